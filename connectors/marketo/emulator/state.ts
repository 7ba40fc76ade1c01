/**
 * In-memory lead database of the Marketo emulator: leads and their field definitions,
 * opportunities and opportunity roles, the activity log, static lists and folders. No HTTP here.
 */
import { createHash } from 'node:crypto';
import type { SyntheticPerson, SyntheticPurchase } from '../../../src/sandbox/population-types.js';
import { ENGAGEMENT_ACTIVITY, leadScoreOf } from './engagement.js';

export type LeadValue = string | number | boolean | null;

export interface FieldDef {
  id: number;
  name: string;
  displayName: string;
  dataType: string;
  length?: number;
  readOnly: boolean;
  custom: boolean;
  description?: string;
}

/**
 * Standard lead fields served by describe (ids, names, types and lengths as in the recorded
 * leads_describe.json); custom fields created through the API are added after them.
 */
const STANDARD_FIELDS: Array<Omit<FieldDef, 'custom'>> = [
  { id: 4, name: 'company', displayName: 'Company Name', dataType: 'string', length: 255, readOnly: false },
  { id: 11, name: 'website', displayName: 'Website', dataType: 'url', length: 255, readOnly: false },
  { id: 15, name: 'annualRevenue', displayName: 'Annual Revenue', dataType: 'currency', readOnly: false },
  { id: 16, name: 'numberOfEmployees', displayName: 'Num Employees', dataType: 'integer', readOnly: false },
  { id: 17, name: 'industry', displayName: 'Industry', dataType: 'string', length: 255, readOnly: false },
  { id: 44, name: 'id', displayName: 'Id', dataType: 'integer', readOnly: false },
  { id: 53, name: 'firstName', displayName: 'First Name', dataType: 'string', length: 255, readOnly: false },
  { id: 55, name: 'lastName', displayName: 'Last Name', dataType: 'string', length: 255, readOnly: false },
  { id: 56, name: 'email', displayName: 'Email Address', dataType: 'email', length: 255, readOnly: false },
  { id: 57, name: 'phone', displayName: 'Phone Number', dataType: 'phone', length: 255, readOnly: false },
  { id: 58, name: 'mobilePhone', displayName: 'Mobile Phone Number', dataType: 'phone', length: 255, readOnly: false },
  { id: 60, name: 'title', displayName: 'Job Title', dataType: 'string', length: 255, readOnly: false },
  { id: 62, name: 'dateOfBirth', displayName: 'Date of Birth', dataType: 'date', readOnly: false },
  { id: 63, name: 'address', displayName: 'Address', dataType: 'text', readOnly: false },
  { id: 64, name: 'city', displayName: 'City', dataType: 'string', length: 255, readOnly: false },
  { id: 65, name: 'state', displayName: 'State', dataType: 'string', length: 255, readOnly: false },
  { id: 66, name: 'country', displayName: 'Country', dataType: 'string', length: 255, readOnly: false },
  { id: 67, name: 'postalCode', displayName: 'Postal Code', dataType: 'string', length: 255, readOnly: false },
  { id: 77, name: 'emailInvalid', displayName: 'Email Invalid', dataType: 'boolean', readOnly: false },
  { id: 78, name: 'emailInvalidCause', displayName: 'Email Invalid Cause', dataType: 'string', length: 255, readOnly: false },
  { id: 79, name: 'unsubscribed', displayName: 'Unsubscribed', dataType: 'boolean', readOnly: false },
  { id: 81, name: 'unsubscribedReason', displayName: 'Unsubscribed Reason', dataType: 'string', length: 2000, readOnly: false },
  { id: 82, name: 'doNotCall', displayName: 'Do Not Call', dataType: 'boolean', readOnly: false },
  { id: 85, name: 'marketingSuspended', displayName: 'Marketing Suspended', dataType: 'boolean', readOnly: false },
  { id: 87, name: 'blackListed', displayName: 'Black Listed', dataType: 'boolean', readOnly: false },
  { id: 130, name: 'createdAt', displayName: 'Created At', dataType: 'datetime', readOnly: true },
  { id: 131, name: 'updatedAt', displayName: 'Updated At', dataType: 'datetime', readOnly: true },
  { id: 144, name: 'leadSource', displayName: 'Lead Source', dataType: 'string', length: 255, readOnly: false },
  { id: 145, name: 'leadStatus', displayName: 'Lead Status', dataType: 'string', length: 255, readOnly: false },
  { id: 146, name: 'leadScore', displayName: 'Lead Score', dataType: 'integer', readOnly: false },
  // Further standard fields of the recorded describe, so that every type it shows is served.
  { id: 61, name: 'contactCompany', displayName: 'Contact Company', dataType: 'reference', readOnly: true },
  { id: 89, name: 'mktoPersonNotes', displayName: 'Person Notes', dataType: 'text', readOnly: false },
  { id: 147, name: 'urgency', displayName: 'Urgency', dataType: 'float', readOnly: false },
];

export const FIRST_CUSTOM_FIELD_ID = 1001;
export const FIRST_LIST_ID = 1001;
export const FIRST_FOLDER_ID = 1001;
const DAY_MS = 86_400_000;
const LEAD_SOURCES = ['Website', 'Webinar', 'Trade Show', 'Referral', 'Paid Search'];

/** Deterministic GUID-shaped id (8-4-4-4-12 hex) from a key. */
/** The opportunity a synthetic purchase is in Marketo: at load and when the sandbox's world moves on. */
export function opportunityFieldsOf(p: SyntheticPurchase): Record<string, LeadValue> {
  return {
    name: p.name,
    description: null,
    type: 'New Business',
    source: 'Web',
    amount: p.amount,
    closeDate: p.occurredAt.slice(0, 10),
    isClosed: p.status !== 'open',
    isWon: p.status === 'won',
    stage: p.status === 'won' ? 'Closed Won' : p.status === 'lost' ? 'Closed Lost' : 'Proposal',
  };
}

export function guidFor(key: string): string {
  const h = createHash('sha1').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export class Lead {
  deletedMs: number | null = null;
  constructor(
    readonly id: number,
    public values: Record<string, LeadValue>,
    public createdMs: number,
    public updatedMs: number,
  ) {}
}

export interface Opportunity {
  marketoGUID: string;
  externalOpportunityId: string;
  values: Record<string, LeadValue>;
  createdMs: number;
  updatedMs: number;
}

export interface OpportunityRole {
  marketoGUID: string;
  externalOpportunityId: string;
  leadId: number;
  role: string;
  isPrimary: boolean;
  createdMs: number;
  updatedMs: number;
}

export interface ActivityRecord {
  id: number;
  leadId: number;
  dateMs: number;
  typeId: number;
  primaryAttributeValueId?: number;
  primaryAttributeValue?: string;
  attributes: Array<{ name: string; value: LeadValue }>;
  /** Data value changes (type 13): what changed. */
  fields?: Array<{ id: number; name: string; newValue: LeadValue; oldValue: LeadValue }>;
  /**
   * Engagement activities (engagement.ts) keep only the event's ordinal for the lead: their
   * primary attribute and attributes are derived from it when served, so that a population with
   * many events stays small in memory.
   */
  engagement?: number;
}

const NO_ATTRIBUTES: ActivityRecord['attributes'] = [];

export interface StaticList {
  id: number;
  name: string;
  description: string | null;
  folder: { id: number; type: string };
  createdMs: number;
  updatedMs: number;
  /** lead id → when it was added. */
  members: Map<number, number>;
}

export interface Folder {
  id: number;
  name: string;
  description: string | null;
  parent: { id: number; type: string } | null;
  folderType: string;
  path: string;
  isSystem: boolean;
  createdMs: number;
  updatedMs: number;
}

export const ACTIVITY = {
  newLead: 12,
  changeDataValue: 13,
  addToList: 24,
  removeFromList: 25,
  addToOpportunity: 34,
  removeFromOpportunity: 35,
  updateOpportunity: 36,
  deleteLead: 37,
  changeScore: 22,
} as const;

export class MarketoState {
  readonly fields = new Map<string, FieldDef>();
  nextFieldId = FIRST_CUSTOM_FIELD_ID;
  /** Every lead ever created, at index id - 1 (ids are consecutive from 1). */
  readonly leads: Lead[] = [];
  readonly emailIndex = new Map<string, number>();
  readonly personIndex = new Map<number, number>();
  readonly opportunities = new Map<string, Opportunity>();
  readonly opportunityByGuid = new Map<string, Opportunity>();
  readonly rolesByLead = new Map<number, OpportunityRole[]>();
  readonly rolesByOpportunity = new Map<string, OpportunityRole[]>();
  readonly roleByGuid = new Map<string, OpportunityRole>();
  /** Ordered by date (and id): paging tokens are positions in it. */
  readonly activities: ActivityRecord[] = [];
  readonly lists = new Map<number, StaticList>();
  nextListId = FIRST_LIST_ID;
  readonly folders = new Map<number, Folder>();
  nextFolderId = FIRST_FOLDER_ID;

  constructor(readonly now: () => number) {
    for (const f of STANDARD_FIELDS) this.fields.set(f.name, { ...f, custom: false });
    // The Lead Database's default list folder, as recorded (asset_folder_by_name.json).
    const t = Date.parse('2020-08-14T20:43:13Z');
    this.folders.set(12, {
      id: 12,
      name: 'Group Lists',
      description: null,
      parent: { id: 5, type: 'Folder' },
      folderType: 'List',
      path: '/Lead Database/Default/Group Lists',
      isSystem: true,
      createdMs: t,
      updatedMs: t,
    });
  }

  // ---------------------------------------------------------------- load

  load(people: Iterable<SyntheticPerson>): void {
    const nowMs = this.now();
    const loaded: Array<Omit<ActivityRecord, 'id'>> = [];
    // Marketo numbers leads in the order they were created: the oldest lead has the lowest id.
    const ordered = [...people].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.index - b.index);
    for (const person of ordered) {
      const created = Math.min(Date.parse(person.createdAt), nowMs);
      let lastTouch = created;
      for (const p of person.purchases) lastTouch = Math.max(lastTouch, Math.min(Date.parse(p.occurredAt), nowMs));
      const id = this.leads.length + 1;
      const lead = new Lead(
        id,
        {
          email: person.email,
          firstName: person.firstName,
          lastName: person.lastName,
          phone: person.phone,
          city: person.city,
          country: person.country,
          unsubscribed: person.emailConsent === 'unsubscribed',
          // About 1.5% of addresses bounced hard at some point.
          emailInvalid: (Math.imul(person.index + 1, 2654435761) >>> 0) % 67 === 0,
          leadSource: LEAD_SOURCES[person.index % LEAD_SOURCES.length]!,
          // Firmographics on the lead itself (Marketo's flat company fields); the industry is the
          // population's value as it is, so that one person's industry is one category everywhere.
          company: person.company?.name ?? null,
          industry: person.company?.industry ?? null,
          numberOfEmployees: person.company?.employees ?? null,
          annualRevenue: person.company?.annualRevenue ?? null,
          title: person.activity?.jobTitle ?? null,
          leadStatus: person.activity?.leadStatus ?? null,
          // No events known (a hand-built person, or a population without them): no score yet.
          leadScore: person.events ? leadScoreOf(person.events) : null,
        },
        created,
        lastTouch,
      );
      this.leads.push(lead);
      this.emailIndex.set(person.email.trim().toLowerCase(), id);
      this.personIndex.set(person.index, id);
      loaded.push({ leadId: id, dateMs: created, typeId: ACTIVITY.newLead, primaryAttributeValueId: id, primaryAttributeValue: `${person.firstName} ${person.lastName}`, attributes: [{ name: 'Source Type', value: 'Web service API' }] });
      // What the person did: one activity per event, in the log by date (engagement.ts).
      (person.events ?? []).forEach((event, n) => {
        const at = Date.parse(event.at);
        const typeId = ENGAGEMENT_ACTIVITY[event.channel];
        if (Number.isFinite(at) && typeId !== undefined) loaded.push({ leadId: id, dateMs: Math.min(at, nowMs), typeId, attributes: NO_ATTRIBUTES, engagement: n });
      });
      for (const p of person.purchases) {
        const closeMs = Date.parse(p.occurredAt);
        let oppCreated = Math.min(closeMs, Math.max(created, closeMs - 3 * DAY_MS));
        oppCreated = Math.min(oppCreated, nowMs);
        const oppUpdated = Math.max(oppCreated, Math.min(closeMs, nowMs));
        const opportunity = this.addOpportunity(
          `SGS-${p.key}`,
          opportunityFieldsOf(p),
          oppCreated,
          oppUpdated,
        );
        this.addRole(opportunity, id, oppCreated);
        loaded.push({ leadId: id, dateMs: oppCreated, typeId: ACTIVITY.addToOpportunity, primaryAttributeValue: p.name, attributes: [{ name: 'Role', value: 'Buyer' }, { name: 'Is Primary', value: true }] });
      }
    }
    // The log is ordered by date; activity ids grow with it.
    loaded.sort((a, b) => a.dateMs - b.dateMs);
    const start = this.activities.length;
    loaded.forEach((a, i) => this.activities.push({ ...a, id: start + i + 1 }));
    if (start > 0) this.activities.sort((a, b) => a.dateMs - b.dateMs || a.id - b.id);
  }

  // ---------------------------------------------------------------- leads

  lead(id: number): Lead | undefined {
    return Number.isInteger(id) && id >= 1 ? this.leads[id - 1] : undefined;
  }

  liveLead(id: number): Lead | undefined {
    const lead = this.lead(id);
    return lead && lead.deletedMs === null ? lead : undefined;
  }

  leadByEmail(email: string): Lead | undefined {
    const id = this.emailIndex.get(email.trim().toLowerCase());
    return id === undefined ? undefined : this.liveLead(id);
  }

  /** A field's value on a lead; system fields are derived. */
  value(lead: Lead, name: string): LeadValue {
    switch (name) {
      case 'id':
        return lead.id;
      case 'createdAt':
        return new Date(Math.floor(lead.createdMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      case 'updatedAt':
        return new Date(Math.floor(lead.updatedMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      default: {
        const v = lead.values[name];
        if (v !== undefined) return v;
        // Unset booleans come back false, everything else null (recorded leads_get_by_id_with_fields.json).
        return this.fields.get(name)?.dataType === 'boolean' ? false : null;
      }
    }
  }

  createLead(values: Record<string, LeadValue>, at = this.now()): Lead {
    const lead = new Lead(this.leads.length + 1, {}, at, at);
    this.leads.push(lead);
    for (const [k, v] of Object.entries(values)) lead.values[k] = v;
    const email = typeof values.email === 'string' ? values.email : null;
    if (email) this.emailIndex.set(email.trim().toLowerCase(), lead.id);
    this.log({ leadId: lead.id, typeId: ACTIVITY.newLead, primaryAttributeValueId: lead.id, primaryAttributeValue: `${values.firstName ?? ''} ${values.lastName ?? ''}`.trim(), attributes: [{ name: 'Source Type', value: 'Web service API' }] });
    return lead;
  }

  /**
   * Writes already validated values; each change is a Data Value Change activity (with the old
   * and new value) and moves updatedAt. Returns whether anything changed.
   */
  applyLeadValues(lead: Lead, values: Record<string, LeadValue>, reason = 'Web service API'): boolean {
    let changed = false;
    for (const [name, value] of Object.entries(values)) {
      const old = this.value(lead, name);
      if (old === value || ((old === null || old === '') && (value === null || value === ''))) continue;
      if (name === 'email') {
        if (typeof old === 'string' && this.emailIndex.get(old.trim().toLowerCase()) === lead.id) this.emailIndex.delete(old.trim().toLowerCase());
        if (typeof value === 'string' && value.trim() !== '') this.emailIndex.set(value.trim().toLowerCase(), lead.id);
      }
      lead.values[name] = value;
      changed = true;
      const def = this.fields.get(name);
      this.log({
        leadId: lead.id,
        typeId: ACTIVITY.changeDataValue,
        primaryAttributeValueId: def?.id ?? 0,
        primaryAttributeValue: def?.displayName ?? name,
        attributes: [
          { name: 'New Value', value },
          { name: 'Old Value', value: old },
          { name: 'Reason', value: reason },
          { name: 'Source', value: reason },
        ],
        fields: [{ id: def?.id ?? 0, name, newValue: value, oldValue: old }],
      });
    }
    if (changed) lead.updatedMs = Math.max(this.now(), lead.createdMs);
    return changed;
  }

  deleteLead(lead: Lead): void {
    if (lead.deletedMs !== null) return;
    lead.deletedMs = this.now();
    const email = lead.values.email;
    if (typeof email === 'string' && this.emailIndex.get(email.trim().toLowerCase()) === lead.id) this.emailIndex.delete(email.trim().toLowerCase());
    for (const list of this.lists.values()) list.members.delete(lead.id);
    const name = `${lead.values.firstName ?? ''} ${lead.values.lastName ?? ''}`.trim();
    this.log({ leadId: lead.id, typeId: ACTIVITY.deleteLead, primaryAttributeValueId: lead.id, primaryAttributeValue: name, attributes: [] });
  }

  // ---------------------------------------------------------------- opportunities

  addOpportunity(externalOpportunityId: string, values: Record<string, LeadValue>, createdMs: number, updatedMs: number): Opportunity {
    const opportunity: Opportunity = { marketoGUID: guidFor(`opportunity:${externalOpportunityId}`), externalOpportunityId, values, createdMs, updatedMs };
    this.opportunities.set(externalOpportunityId, opportunity);
    this.opportunityByGuid.set(opportunity.marketoGUID, opportunity);
    return opportunity;
  }

  addRole(opportunity: Opportunity, leadId: number, at: number, role = 'Buyer'): OpportunityRole {
    const r: OpportunityRole = {
      marketoGUID: guidFor(`role:${opportunity.externalOpportunityId}:${leadId}:${role}`),
      externalOpportunityId: opportunity.externalOpportunityId,
      leadId,
      role,
      isPrimary: (this.rolesByOpportunity.get(opportunity.externalOpportunityId) ?? []).length === 0,
      createdMs: at,
      updatedMs: at,
    };
    this.rolesByLead.set(leadId, [...(this.rolesByLead.get(leadId) ?? []), r]);
    this.rolesByOpportunity.set(opportunity.externalOpportunityId, [...(this.rolesByOpportunity.get(opportunity.externalOpportunityId) ?? []), r]);
    this.roleByGuid.set(r.marketoGUID, r);
    return r;
  }

  // ---------------------------------------------------------------- activities

  /** Appends an activity now; dates never go backwards, so positions stay in date order. */
  log(activity: Omit<ActivityRecord, 'id' | 'dateMs'>): ActivityRecord {
    const last = this.activities[this.activities.length - 1];
    const record: ActivityRecord = { ...activity, id: (last?.id ?? 0) + 1, dateMs: Math.max(this.now(), last?.dateMs ?? 0) };
    this.activities.push(record);
    return record;
  }

  /** Position of the first activity at or after `ms`. */
  positionAt(ms: number): number {
    let lo = 0;
    let hi = this.activities.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.activities[mid]!.dateMs < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // ---------------------------------------------------------------- lists and folders

  listByName(name: string): StaticList | undefined {
    for (const list of this.lists.values()) if (list.name === name) return list;
    return undefined;
  }

  folderByName(name: string): Folder[] {
    return [...this.folders.values()].filter((f) => f.name === name);
  }
}
