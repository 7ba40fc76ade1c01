/**
 * In-memory CRM state of the HubSpot emulator: contacts, deals, their associations, property
 * definitions and groups, and lists with memberships. No HTTP here.
 *
 * Compactness: a record keeps its stored properties in one plain object whose keys are created in
 * the same order for every loaded record (V8 shares the shape), dates as epoch-ms numbers, and
 * associations as numeric ids. Values HubSpot computes (hs_object_id, createdate,
 * lastmodifieddate, hs_lastmodifieddate, ...) are derived on output, never stored.
 */
import type { SyntheticActivity, SyntheticEvent, SyntheticPerson } from '../../../src/sandbox/population-types.js';
import type { EngagementChannel } from '../../../src/domain/records.js';
import {
  ALWAYS_RETURNED,
  DEFAULT_PROPERTIES,
  DERIVED,
  builtinCompanyProperties,
  builtinGroups,
  builtinProperties,
  type GroupDef,
  type ObjectKind,
  type PropertyDef,
} from './properties.js';

export const FIRST_CONTACT_ID = 101;
export const FIRST_DEAL_ID = 9_000_000_001;
export const FIRST_COMPANY_ID = 30_000_000_001;
const DAY_MS = 86_400_000;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

const NO_COMPANIES: readonly number[] = Object.freeze([]);

/** One value a property held, from `ms` on (HubSpot's propertiesWithHistory entry). */
export interface HistoryEntryState {
  ms: number;
  value: string;
  sourceType: string;
  sourceId?: string;
}

export class CrmRecord {
  archivedMs: number | null = null;
  /**
   * Value histories, oldest first, of the properties that changed since the record was created
   * (or that were built from dated events). A property absent here held its current value since
   * `baselineMs`: one entry, as HubSpot shows a value set once. Stored flat as numbers,
   * [ms, value, byApi, ...] (a counter's count or a date's ms; NaN = empty): a contact's events
   * cost 24 bytes each instead of an object's ~150 (a 160,000-contact sandbox with dozens of
   * events each would otherwise hold most of a gigabyte).
   */
  history: Record<string, number[]> | null = null;
  /** When the loaded values were set: the modification date at creation (it never moves). */
  readonly baselineMs: number;
  /** Contacts only: the primary this one was merged into. */
  mergedInto: number | null = null;
  /** Ids of associated records of the other kind (contact → deals, deal → contacts); replaced, never pushed to. */
  assoc: number[] = [];
  /** Contacts only: associated company ids, the primary first (empty: no company). */
  companies: readonly number[] = NO_COMPANIES;

  constructor(
    readonly id: number,
    public props: Record<string, string>,
    public createdMs: number,
    public updatedMs: number,
  ) {
    this.baselineMs = updatedMs;
  }

  get live(): boolean {
    return this.archivedMs === null && this.mergedInto === null;
  }
}

export class ObjectStore {
  /**
   * Every record ever created, at index `id - firstId`: ids are assigned consecutively, so the
   * array is also the id-ascending order that list paging walks, with no map or index to keep.
   */
  readonly slots: CrmRecord[] = [];
  readonly properties = new Map<string, PropertyDef>();
  readonly groups = new Map<string, GroupDef>();

  constructor(
    readonly kind: ObjectKind,
    readonly firstId: number,
  ) {
    for (const p of builtinProperties(kind)) this.properties.set(p.name, p);
    for (const g of builtinGroups(kind)) this.groups.set(g.name, g);
  }

  create(props: Record<string, string>, createdMs: number, updatedMs: number): CrmRecord {
    const rec = new CrmRecord(this.firstId + this.slots.length, props, createdMs, updatedMs);
    this.slots.push(rec);
    return rec;
  }

  /** Any record with this id, archived and merged ones included. */
  get(id: number): CrmRecord | undefined {
    return Number.isInteger(id) ? this.slots[id - this.firstId] : undefined;
  }

  /** A record that is neither archived nor merged away. */
  live(id: number): CrmRecord | undefined {
    const rec = this.get(id);
    return rec && rec.live ? rec : undefined;
  }

  /** Like HubSpot, the id of a merged-away contact still resolves, to the surviving record. */
  resolve(id: number): CrmRecord | undefined {
    let rec = this.get(id);
    for (let hops = 0; rec && rec.mergedInto !== null && hops < 64; hops++) rec = this.get(rec.mergedInto);
    return rec && rec.live ? rec : undefined;
  }

  /** Index in `slots` of the first record whose id is >= `id`. */
  indexFrom(id: number): number {
    return Math.min(Math.max(0, id - this.firstId), this.slots.length);
  }
}

/** A company record: read-only through the API (segsync only reads companies). */
export class CompanyRecord {
  /** Its contacts' ids (the reverse of CrmRecord.companies), for companies → contacts associations. */
  contacts: readonly number[] = [];

  constructor(
    readonly id: number,
    public props: Record<string, string>,
    public createdMs: number,
    public updatedMs: number,
  ) {}
}

export class CompanyStore {
  readonly kind = 'companies' as const;
  readonly slots: CompanyRecord[] = [];

  readonly properties = new Map<string, PropertyDef>(builtinCompanyProperties().map((p) => [p.name, p]));

  create(props: Record<string, string>, createdMs: number, updatedMs: number): CompanyRecord {
    const rec = new CompanyRecord(FIRST_COMPANY_ID + this.slots.length, props, createdMs, updatedMs);
    this.slots.push(rec);
    return rec;
  }

  get(id: number): CompanyRecord | undefined {
    return Number.isInteger(id) ? this.slots[id - FIRST_COMPANY_ID] : undefined;
  }

  value(rec: CompanyRecord, name: string): string | undefined {
    switch (name) {
      case 'hs_object_id':
        return String(rec.id);
      case 'createdate':
        return iso(rec.createdMs);
      case 'hs_lastmodifieddate':
        return iso(rec.updatedMs);
      default:
        return rec.props[name];
    }
  }

  /** The v3 object shape; unknown names are left out, the always-returned ones added (as for contacts). */
  objectJson(rec: CompanyRecord, requested: readonly string[] | undefined): Record<string, unknown> {
    const names = new Set(requested && requested.length > 0 ? ['createdate', 'hs_lastmodifieddate', 'hs_object_id'] : ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name']);
    for (const n of requested ?? []) if (this.properties.has(n)) names.add(n);
    const properties: Record<string, string | null> = {};
    for (const n of [...names].sort()) properties[n] = this.value(rec, n) ?? null;
    return { id: String(rec.id), properties, createdAt: iso(rec.createdMs), updatedAt: iso(rec.updatedMs), archived: false };
  }
}

export class ListRecord {
  listVersion = 1;
  deletedMs: number | null = null;
  lastAddedMs: number | null = null;
  /** contact id → membership timestamp (ms). */
  readonly members = new Map<number, number>();
  private sorted: number[] | null = null;

  constructor(
    readonly listId: number,
    public name: string,
    readonly objectTypeId: string,
    readonly processingType: string,
    public createdMs: number,
    public updatedMs: number,
    public filtersUpdatedMs: number,
    public filterBranch: unknown,
  ) {}

  add(id: number, at: number): boolean {
    if (this.members.has(id)) return false;
    this.members.set(id, at);
    this.lastAddedMs = at;
    this.sorted = null;
    return true;
  }

  remove(id: number): boolean {
    if (!this.members.delete(id)) return false;
    this.sorted = null;
    return true;
  }

  /** Member ids ascending; cached until the membership changes. */
  sortedMembers(): number[] {
    if (!this.sorted) this.sorted = [...this.members.keys()].sort((a, b) => a - b);
    return this.sorted;
  }
}

export interface ObjectJsonOptions {
  /** Property names asked for; undefined = the default set. Unknown names are silently left out. */
  properties?: readonly string[] | undefined;
  /** Inline v3 associations to include (`associations=deals`). */
  associations?: boolean;
}

/** The contact properties HubSpot computes from email, web and sales activity; empty ones left out, as HubSpot does. */
function activityProperties(a: SyntheticActivity): Record<string, string> {
  const out: Record<string, string> = {
    hs_email_delivered: String(a.emailsDelivered),
    hs_email_bounce: String(a.emailsBounced),
    num_conversion_events: String(a.formSubmissions),
  };
  if (a.lastClickedAt) out.hs_email_last_click_date = a.lastClickedAt;
  if (a.webVisits !== null) out.hs_analytics_num_visits = String(a.webVisits);
  if (a.pageViews !== null) out.hs_analytics_num_page_views = String(a.pageViews);
  if (a.lastVisitAt) out.hs_analytics_last_visit_timestamp = a.lastVisitAt;
  if (a.lastSalesReplyAt) out.hs_sales_email_last_replied = a.lastSalesReplyAt;
  if (a.leadStatus) out.hs_lead_status = a.leadStatus;
  if (a.jobTitle) out.jobtitle = a.jobTitle;
  return out;
}

/**
 * The contact property HubSpot keeps each engagement channel in: a counter (one more per event)
 * or the date of the latest one. Unsubscribes and abandoned checkouts have no counter on a contact.
 */
export const CHANNEL_PROPERTY: Partial<Record<EngagementChannel, { property: string; kind: 'counter' | 'date' }>> = {
  email_delivered: { property: 'hs_email_delivered', kind: 'counter' },
  email_open: { property: 'hs_email_open', kind: 'counter' },
  email_click: { property: 'hs_email_click', kind: 'counter' },
  email_bounce: { property: 'hs_email_bounce', kind: 'counter' },
  web_visit: { property: 'hs_analytics_num_visits', kind: 'counter' },
  page_view: { property: 'hs_analytics_num_page_views', kind: 'counter' },
  form_fill: { property: 'num_conversion_events', kind: 'counter' },
  sales_email_reply: { property: 'hs_sales_email_last_replied', kind: 'date' },
};

/** Properties whose every change the emulator records in their history. */
const HISTORY_KEPT = new Set(Object.values(CHANNEL_PROPERTY).map((t) => t.property));

/** The "last …" date properties HubSpot moves with a channel's events. */
const CHANNEL_LAST_DATE: Partial<Record<EngagementChannel, string>> = {
  email_open: 'hs_email_last_open_date',
  email_click: 'hs_email_last_click_date',
  web_visit: 'hs_analytics_last_visit_timestamp',
};

/** Who HubSpot names as the source of a computed value (as recorded: ANALYTICS / ContactAnalyticsDetailsUpdateWorker). */
function sourceOf(property: string): { sourceType: string; sourceId?: string } {
  if (property.startsWith('hs_analytics_')) return { sourceType: 'ANALYTICS', sourceId: 'ContactAnalyticsDetailsUpdateWorker' };
  if (property.startsWith('hs_email_') || property === 'hs_sales_email_last_replied') return { sourceType: 'EMAIL' };
  if (property === 'num_conversion_events') return { sourceType: 'FORM' };
  return { sourceType: 'API' };
}

/**
 * Applies dated events to a contact: each counter rises by one per event (events at one instant
 * make one entry), each date property takes the event's date; every change is a history entry
 * at the event's time, so the totals stay equal to the last history value. Returns the latest
 * event time (NaN without events).
 */
export function applyEvents(rec: CrmRecord, events: readonly SyntheticEvent[]): number {
  const dated = events.map((e) => ({ e, ms: Date.parse(e.at) })).filter((x) => Number.isFinite(x.ms)).sort((a, b) => a.ms - b.ms);
  let latest = Number.NaN;
  for (const { e, ms } of dated) {
    const target = CHANNEL_PROPERTY[e.channel];
    if (!target) continue;
    // "Last replied" only moves forward: an older reply recorded late changes nothing.
    if (target.kind === 'date' && rec.props[target.property] && Date.parse(rec.props[target.property]!) >= ms) continue;
    const value = target.kind === 'counter' ? String(Number(rec.props[target.property] || '0') + 1) : iso(ms);
    appendHistory(rec, target.property, ms, value, false);
    rec.props[target.property] = value;
    const lastDate = CHANNEL_LAST_DATE[e.channel];
    if (lastDate && (!rec.props[lastDate] || Date.parse(rec.props[lastDate]) < ms)) rec.props[lastDate] = iso(ms);
    latest = Number.isFinite(latest) ? Math.max(latest, ms) : ms;
  }
  return latest;
}

/** Date-valued properties among those with a kept history (their values are stored as ms). */
const DATE_HISTORY = new Set(Object.values(CHANNEL_PROPERTY).filter((t) => t.kind === 'date').map((t) => t.property));

function encodeValue(property: string, value: string): number {
  if (value === '') return Number.NaN;
  return DATE_HISTORY.has(property) ? (/^\d+$/.test(value) ? Number(value) : Date.parse(value)) : Number(value);
}

function decodeValue(property: string, value: number): string {
  if (Number.isNaN(value)) return '';
  return DATE_HISTORY.has(property) ? iso(value) : String(value);
}

/**
 * Records that `property` took `value` at `ms`: the first change first records the value it held
 * since the baseline; a change at the same instant as the last entry replaces it (one entry).
 */
function appendHistory(rec: CrmRecord, property: string, ms: number, value: string, byApi: boolean): void {
  rec.history ??= {};
  let flat = rec.history[property];
  if (!flat) {
    const current = rec.props[property];
    flat = current !== undefined && current !== '' ? [rec.baselineMs, encodeValue(property, current), 0] : [];
    rec.history[property] = flat;
  }
  const n = flat.length;
  if (n >= 3 && flat[n - 3] === ms) {
    flat[n - 2] = encodeValue(property, value);
    flat[n - 1] = byApi ? 1 : 0;
  } else flat.push(ms, encodeValue(property, value), byApi ? 1 : 0);
}

/** A kept history, oldest first. */
function historyEntries(property: string, flat: readonly number[]): HistoryEntryState[] {
  const out: HistoryEntryState[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    out.push({ ms: flat[i]!, value: decodeValue(property, flat[i + 1]!), ...(flat[i + 2] === 1 ? { sourceType: 'API' } : sourceOf(property)) });
  }
  return out;
}

export class CrmState {
  /** Bumped on every change that can alter a search result. */
  version = 0;
  readonly contacts = new ObjectStore('contacts', FIRST_CONTACT_ID);
  readonly deals = new ObjectStore('deals', FIRST_DEAL_ID);
  readonly companies = new CompanyStore();
  /** Lower-cased email → contact id (live contacts, plus merged-away emails → primary). */
  readonly emailIndex = new Map<string, number>();
  /** Person index → contact id. */
  readonly personIndex = new Map<number, number>();
  readonly lists = new Map<number, ListRecord>();
  nextListId = 1;

  constructor(readonly now: () => number) {}

  store(kind: ObjectKind): ObjectStore {
    return kind === 'contacts' ? this.contacts : this.deals;
  }

  other(kind: ObjectKind): ObjectKind {
    return kind === 'contacts' ? 'deals' : 'contacts';
  }

  // ---------------------------------------------------------------- load

  load(people: Iterable<SyntheticPerson>): void {
    const nowMs = this.now();
    for (const person of people) {
      const personCreated = Date.parse(person.createdAt);
      let lastTouch = personCreated;
      const purchases = person.purchases.map((p) => ({ p, closeMs: Date.parse(p.occurredAt) }));
      // "Touched when the deal closed"; an open deal's expected close date may lie in the future,
      // and a modification date after now() would break incremental pulls, so it is capped.
      for (const { closeMs } of purchases) lastTouch = Math.max(lastTouch, Math.min(closeMs, nowMs));
      const email = person.email.trim().toLowerCase(); // HubSpot stores emails trimmed and lower-cased
      const contact = this.contacts.create(
        {
          email,
          firstname: person.firstName,
          lastname: person.lastName,
          phone: person.phone,
          city: person.city,
          country: person.country,
          hs_email_optout: person.emailConsent === 'unsubscribed' ? 'true' : 'false',
          lifecyclestage: person.purchases.some((p) => p.status === 'won') ? 'customer' : 'lead',
          hs_email_open: String(person.engagement.emailsOpened),
          hs_email_click: String(person.engagement.emailsClicked),
          ...(person.engagement.lastOpenedAt ? { hs_email_last_open_date: person.engagement.lastOpenedAt } : {}),
          ...(person.activity ? activityProperties(person.activity) : {}),
        },
        personCreated,
        lastTouch,
      );
      if (person.events && person.events.length > 0) {
        // The dated events are the truth: each channel's counter is rebuilt from them (from 0),
        // so the total HubSpot shows is the last value of its history.
        for (const channel of new Set(person.events.map((e) => e.channel))) {
          const target = CHANNEL_PROPERTY[channel];
          if (target) delete contact.props[target.property];
        }
        const latest = applyEvents(contact, person.events);
        // A counter that moved touches the contact (lastmodifieddate), never later than now().
        if (Number.isFinite(latest)) contact.updatedMs = Math.max(contact.updatedMs, Math.min(latest, nowMs));
      }
      if (person.company) {
        const c = person.company;
        const company = this.companies.create(
          { name: c.name, industry: c.industry, numberofemployees: String(c.employees), annualrevenue: String(c.annualRevenue) },
          personCreated,
          personCreated,
        );
        contact.companies = [company.id];
        company.contacts = [contact.id];
      }
      this.emailIndex.set(email, contact.id);
      this.personIndex.set(person.index, contact.id);
      const dealIds: number[] = [];
      for (const { p, closeMs } of purchases) {
        let created = Math.min(closeMs, Math.max(personCreated, closeMs - 3 * DAY_MS));
        created = Math.min(created, Math.max(nowMs, personCreated));
        const updated = Math.max(created, Math.min(closeMs, nowMs));
        const deal = this.deals.create(
          {
            dealname: p.name,
            amount: p.amount === null ? '' : p.amount.toFixed(2),
            deal_currency_code: p.currency,
            closedate: iso(closeMs),
            dealstage: p.status === 'won' ? 'closedwon' : p.status === 'lost' ? 'closedlost' : 'qualifiedtobuy',
            pipeline: 'default',
          },
          created,
          updated,
        );
        // Exact-size arrays: push() onto an empty array reserves room for 17 ids.
        deal.assoc = [contact.id];
        dealIds.push(deal.id);
      }
      contact.assoc = dealIds.slice();
    }
    this.version++;
  }

  // ---------------------------------------------------------------- reading

  /** Associated live records of the other kind, ids ascending. */
  liveAssoc(kind: ObjectKind, rec: CrmRecord): number[] {
    const other = this.store(this.other(kind));
    return rec.assoc.filter((id) => other.live(id) !== undefined).sort((a, b) => a - b);
  }

  /** A property's current value: stored, or derived the way HubSpot computes it. */
  value(kind: ObjectKind, rec: CrmRecord, name: string): string | undefined {
    if (DERIVED[kind].has(name)) {
      switch (name) {
        case 'hs_object_id':
          return String(rec.id);
        case 'createdate':
          return iso(rec.createdMs);
        case 'lastmodifieddate':
        case 'hs_lastmodifieddate':
          return iso(rec.updatedMs);
        case 'hs_email_domain': {
          const email = rec.props.email;
          const at = email ? email.lastIndexOf('@') : -1;
          return email && at >= 0 ? email.slice(at + 1) : undefined;
        }
        case 'num_associated_deals':
        case 'num_associated_contacts':
          return String(this.liveAssoc(kind, rec).length);
      }
    }
    return rec.props[name];
  }

  /**
   * A property's value history, newest first, in HubSpot's shape (`value`, `timestamp`,
   * `sourceType`, `sourceId`): a property never set has `[]`, one set once has one entry.
   */
  historyJson(kind: ObjectKind, rec: CrmRecord, name: string): Array<Record<string, string>> {
    const stored = rec.history?.[name];
    const entries: HistoryEntryState[] = stored ? historyEntries(name, stored) : (() => {
      const current = this.value(kind, rec, name);
      if (current === undefined || current === '') return [];
      // Derived values (modification date, ids) were set when they last changed.
      const ms = DERIVED[kind].has(name) ? (name === 'createdate' || name === 'hs_object_id' ? rec.createdMs : rec.updatedMs) : rec.baselineMs;
      return [{ ms, value: current, ...(DERIVED[kind].has(name) ? { sourceType: 'CALCULATED' } : sourceOf(name)) }];
    })();
    return [...entries].reverse().map((e) => ({ value: e.value, timestamp: iso(e.ms), sourceType: e.sourceType, ...(e.sourceId ? { sourceId: e.sourceId } : {}) }));
  }

  /** All properties of a record (stored + derived), for ground-truth accessors. */
  allProperties(kind: ObjectKind, rec: CrmRecord): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    for (const name of DERIVED[kind]) out[name] = this.value(kind, rec, name) ?? null;
    for (const [name, v] of Object.entries(rec.props)) out[name] = v;
    return out;
  }

  /** The property names a response carries for a record. */
  selectedNames(kind: ObjectKind, requested: readonly string[] | undefined): string[] {
    const store = this.store(kind);
    // An empty list asks for nothing in particular: HubSpot answers with the default set.
    if (requested === undefined || requested.length === 0) return [...DEFAULT_PROPERTIES[kind]];
    const names = new Set<string>(ALWAYS_RETURNED[kind]);
    for (const n of requested) if (store.properties.has(n)) names.add(n);
    return [...names].sort();
  }

  /** The v3 object shape of contacts_page.json / deals_page.json. */
  objectJson(kind: ObjectKind, rec: CrmRecord, names: readonly string[], withAssociations = false, withCompanies = false, withHistory?: readonly string[]): Record<string, unknown> {
    const properties: Record<string, string | null> = {};
    // Properties asked for with history come back among `properties` too (hubspot-api-nodejs#154).
    const known = (withHistory ?? []).filter((n) => this.store(kind).properties.has(n));
    for (const n of [...new Set([...names, ...known])].sort()) properties[n] = this.value(kind, rec, n) ?? null;
    const out: Record<string, unknown> = {
      id: String(rec.id),
      properties,
      createdAt: iso(rec.createdMs),
      updatedAt: iso(rec.updatedMs),
    };
    if (withAssociations) {
      const ids = this.liveAssoc(kind, rec);
      if (ids.length > 0) {
        const otherKind = this.other(kind);
        const type = kind === 'contacts' ? 'contact_to_deal' : 'deal_to_contact';
        out.associations = { [otherKind]: { results: ids.map((id) => ({ id: String(id), type })) } };
      }
    }
    if (withCompanies && rec.companies.length > 0) {
      // v3 inline names: the primary company is listed twice, as contact_to_company (primary) and unlabeled.
      const results = rec.companies.flatMap((id, k) => [
        ...(k === 0 ? [{ id: String(id), type: 'contact_to_company' }] : []),
        { id: String(id), type: 'contact_to_company_unlabeled' },
      ]);
      out.associations = { ...(out.associations as Record<string, unknown> | undefined), companies: { results } };
    }
    if (withHistory) {
      // Unknown names are ignored, as for `properties` (the SDK's doc of the parameter says so).
      out.propertiesWithHistory = Object.fromEntries(known.map((n) => [n, this.historyJson(kind, rec, n)]));
    }
    out.archived = rec.archivedMs !== null;
    if (rec.archivedMs !== null) out.archivedAt = iso(rec.archivedMs);
    return out;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Applies already validated values. Returns whether anything changed; a change bumps the
   * modification date to now() (so an integration sees its own writes on its next incremental pull).
   */
  applyProperties(kind: ObjectKind, rec: CrmRecord, changes: Record<string, string>, at = this.now()): boolean {
    let changed = false;
    for (const [name, value] of Object.entries(changes)) {
      if ((rec.props[name] ?? '') === value) continue;
      if (kind === 'contacts' && name === 'email') this.reindexEmail(rec, rec.props.email, value);
      // Histories are kept for the engagement properties only (what segsync reads with history):
      // keeping every write's (tokens on a million contacts) would cost the emulator gigabytes.
      if (kind === 'contacts' && (HISTORY_KEPT.has(name) || rec.history?.[name])) appendHistory(rec, name, at, value, true);
      rec.props[name] = value;
      changed = true;
    }
    if (changed) {
      rec.updatedMs = Math.max(at, rec.createdMs);
      this.version++;
    }
    return changed;
  }

  private reindexEmail(rec: CrmRecord, oldEmail: string | undefined, newEmail: string): void {
    if (oldEmail && this.emailIndex.get(oldEmail.toLowerCase()) === rec.id) this.emailIndex.delete(oldEmail.toLowerCase());
    if (newEmail) this.emailIndex.set(newEmail.toLowerCase(), rec.id);
  }

  archive(kind: ObjectKind, id: number): boolean {
    const rec = this.store(kind).live(id);
    if (!rec) return false;
    const at = this.now();
    rec.archivedMs = at;
    if (kind === 'contacts') {
      const email = rec.props.email?.toLowerCase();
      if (email && this.emailIndex.get(email) === rec.id) this.emailIndex.delete(email);
      for (const list of this.lists.values()) list.remove(rec.id);
    }
    this.version++;
    return true;
  }

  /** HubSpot merge: the secondary disappears (also from lists), its deals move to the primary. */
  merge(primaryId: number, mergedId: number): void {
    const primary = this.contacts.live(primaryId);
    const merged = this.contacts.live(mergedId);
    if (!primary) throw new Error(`no live contact ${primaryId}`);
    if (!merged) throw new Error(`no live contact ${mergedId}`);
    if (primary === merged) throw new Error('cannot merge a contact into itself');
    const at = this.now();
    for (const dealId of merged.assoc) {
      const deal = this.deals.get(dealId);
      if (!deal) continue;
      deal.assoc = deal.assoc.filter((c) => c !== mergedId);
      if (!deal.assoc.includes(primaryId)) deal.assoc = [...deal.assoc, primaryId];
      if (!primary.assoc.includes(dealId)) primary.assoc = [...primary.assoc, dealId];
    }
    merged.assoc = [];
    // Companies follow like deals do: the primary keeps its primary company, the merged one's are added.
    for (const companyId of merged.companies) {
      const company = this.companies.get(companyId);
      if (company) company.contacts = [...new Set([...company.contacts.filter((c) => c !== mergedId), primaryId])];
    }
    primary.companies = [...new Set([...primary.companies, ...merged.companies])];
    merged.companies = [];
    const mergedIds = [
      ...(primary.props.hs_merged_object_ids ? primary.props.hs_merged_object_ids.split(';') : []),
      String(mergedId),
      ...(merged.props.hs_merged_object_ids ? merged.props.hs_merged_object_ids.split(';') : []),
    ];
    primary.props.hs_merged_object_ids = [...new Set(mergedIds)].join(';');
    const secondaryEmail = merged.props.email?.toLowerCase();
    if (secondaryEmail && secondaryEmail !== primary.props.email?.toLowerCase()) {
      const extra = primary.props.hs_additional_emails ? primary.props.hs_additional_emails.split(';') : [];
      if (!extra.includes(secondaryEmail)) extra.push(secondaryEmail);
      primary.props.hs_additional_emails = extra.join(';');
      // Looking the secondary email up afterwards finds the surviving contact.
      this.emailIndex.set(secondaryEmail, primaryId);
    }
    merged.mergedInto = primaryId;
    for (const list of this.lists.values()) list.remove(mergedId);
    primary.updatedMs = Math.max(at, primary.createdMs);
    this.version++;
  }

  // ---------------------------------------------------------------- lists

  listByName(name: string): ListRecord | undefined {
    const key = name.toLowerCase();
    for (const list of this.lists.values()) if (list.deletedMs === null && list.name.toLowerCase() === key) return list;
    return undefined;
  }

  liveList(listId: number): ListRecord | undefined {
    const list = this.lists.get(listId);
    return list && list.deletedMs === null ? list : undefined;
  }

  createList(name: string, objectTypeId: string, processingType: string, filterBranch: unknown): ListRecord {
    const at = this.now();
    const list = new ListRecord(this.nextListId++, name, objectTypeId, processingType, at, at, at, filterBranch);
    this.lists.set(list.listId, list);
    return list;
  }
}
