/**
 * Marketo Engage emulator: a node:http handler that follows Marketo's public REST contract
 * (shared/platforms.md §2, the Swagger files in shared/specs/marketo/, and the recorded answers):
 * client-credentials identity with expiring tokens, HTTP-200 errors with string codes, 100 calls
 * per rolling 20 s (606), 10 calls in flight (615), a daily quota (607), batch limits of 300,
 * record-level `skipped` results, the activities API with paging tokens, opportunities and roles,
 * static lists and folders (asset API), list membership, lead fields, and Bulk Lead Extract.
 * Routing, auth, limits and faults live here; the data lives in state.ts.
 *
 * Where Marketo's documentation is silent, the choice is stated in a comment marked CHOSEN.
 */
import { FaultQueue, type EmulatorFault, type FaultInjector, type FaultKind, type FaultScenario } from '../../../src/sandbox/emulator-faults.js';
import { listenOnLoopback, readRequestBody, type ListeningServer } from '../../../src/sandbox/loopback.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SyntheticPerson, WorldAdvance } from '../../../src/sandbox/population-types.js';
import { advanceOn } from '../../../src/sandbox/presence.js';
import { appendAdvance, listedPeople } from './world-advance.js';
import { ActivitiesApi } from './activities-api.js';
import { ENGAGEMENT_ACTIVITY } from './engagement.js';
import type { EngagementChannel } from '../../../src/domain/records.js';
import { defineAdminFields, type AdminField } from './admin-fields.js';
import { browseStaticLists, getLists } from './list-listings.js';
import { BulkApi } from './bulk-api.js';
import { HttpError, MarketoError, errorReply, type Ctx, type Reply } from './http-support.js';
import { LeadsApi } from './leads-api.js';
import { ListsApi } from './lists-api.js';
import { OpportunitiesApi } from './opportunities-api.js';
import { DailyCounter, RollingWindow } from './rate-limit.js';
import { DEFAULT_COUNTS, ScenarioSchedule, TARGET, serverErrorReply, spread, throttleReply } from './faults.js';
import { ACTIVITY, guidFor, MarketoState, type LeadValue } from './state.js';

export interface MarketoEmulatorOptions {
  /** The only accepted client credentials; defaults 'sandbox-marketo-client' / 'sandbox-marketo-secret'. */
  clientId?: string;
  clientSecret?: string;
  /** Token lifespan (Marketo: 3600 s). */
  tokenLifetimeSeconds?: number;
  /** Rolling window; default { max: 100, intervalMs: 20_000 } (Marketo). */
  rateLimit?: { max: number; intervalMs: number };
  /** Calls in flight; default 10 (Marketo). */
  maxConcurrent?: number;
  /** Calls per day; default 50,000 (Marketo's default subscription quota). */
  dailyQuota?: number;
  /** Every REST/bulk answer waits this long first, so that calls overlap as on a real network. */
  latencyMs?: number;
  /** How long a bulk export job processes; default 200 ms. */
  exportProcessingMs?: number;
  /** Bulk export files per day in bytes; default 500 MB (Marketo). */
  exportDailyBytes?: number;
  /** Activities scanned per activities call before answering (moreResult may be true with fewer items); default 1000. */
  activityScanLimit?: number;
  /** false: Create Export Activity Job answers 603 Access denied, as for a role without Read-Only Activity. */
  allowActivityExport?: boolean;
  /** false: Create Lead Fields answers 603 Access denied, as for a role without Read-Write Schema Custom Field. */
  allowFieldCreation?: boolean;
  /** Custom lead fields an admin created in Marketo beforehand, of any describe type (admin-fields.ts). */
  fields?: readonly AdminField[];
  /** Clock in ms, default Date.now. */
  now?: () => number;
  /** How long a `slow` fault holds its answer; default 35 s (past segsync's default 30 s timeout). */
  faultDelayMs?: number;
}

/** A record the malformed-records scenario served corrupted (the instance's own data is intact). */
export interface CorruptedRecord {
  stream: 'contacts' | 'purchases';
  /** Lead id or opportunity marketoGUID. */
  id: string;
  defect: string;
  /** The served copy cannot be stored as it is: it must land in quarantine with a reason. */
  mustQuarantine: boolean;
  /** Field values as served, where they differ from the instance. */
  served: Record<string, unknown>;
}

/** A change the concurrent-writer scenario made while segsync was reading. */
export interface WriterChange {
  change: 'lead-updated' | 'lead-created' | 'lead-deleted' | 'opportunity-updated' | 'opportunity-added';
  id: string;
}

export type { EmulatorFault } from '../../../src/sandbox/emulator-faults.js';

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  /** Changes data on the instance (upserts, list membership, list/folder/field creation). */
  write: boolean;
  /** Marketo's error code when the answer was `success: false` (e.g. "606"). */
  code?: string;
}

const JSON_TYPE = 'application/json;charset=UTF-8';
/** Marketo's limits on request size (error-codes docs). */
const MAX_URI = 8 * 1024;
const MAX_BODY = 1024 * 1024;

interface IssuedToken {
  value: string;
  expiresMs: number;
}

export class MarketoEmulator implements FaultInjector {
  onRequest?: (info: { method: string; path: string; status: number; code?: string }) => void;

  private readonly answered: RequestLogEntry[] = [];
  private readonly state: MarketoState;
  private readonly now: () => number;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly tokenLifetimeMs: number;
  private readonly window: RollingWindow;
  private readonly daily: DailyCounter;
  private readonly maxConcurrent: number;
  private readonly latencyMs: number;
  private readonly allowFieldCreation: boolean;
  private readonly leads: LeadsApi;
  private readonly activities: ActivitiesApi;
  private readonly opportunities: OpportunitiesApi;
  private readonly lists: ListsApi;
  private readonly bulk: BulkApi;
  private readonly tokens = new Map<string, IssuedToken>();
  private current: IssuedToken | undefined;
  private tokenCounter = 0;
  private inFlight = 0;
  private readonly faultQueue = new FaultQueue();
  private readonly schedule = new ScenarioSchedule();
  private readonly faultDelayMs: number;
  /** Tokens a token-expiry fault made stop working. */
  private readonly killedTokens = new Set<string>();
  private overLimitCount = 0;
  private readonly corrupted: CorruptedRecord[] = [];
  private readonly corruptLeads = new Map<number, { patch: Record<string, LeadValue>; duplicate: boolean }>();
  private readonly corruptOpportunities = new Map<string, { patch: Record<string, unknown>; drop: string[]; duplicate: boolean }>();
  private readonly writerChanges: WriterChange[] = [];

  constructor(options: MarketoEmulatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.clientId = options.clientId ?? 'sandbox-marketo-client';
    this.clientSecret = options.clientSecret ?? 'sandbox-marketo-secret';
    this.tokenLifetimeMs = (options.tokenLifetimeSeconds ?? 3600) * 1000;
    const rl = options.rateLimit ?? { max: 100, intervalMs: 20_000 };
    this.window = new RollingWindow(rl.max, rl.intervalMs, this.now);
    this.daily = new DailyCounter(options.dailyQuota ?? 50_000, this.now);
    this.maxConcurrent = options.maxConcurrent ?? 10;
    this.latencyMs = options.latencyMs ?? 0;
    this.faultDelayMs = options.faultDelayMs ?? 35_000;
    this.allowFieldCreation = options.allowFieldCreation ?? true;
    this.state = new MarketoState(this.now);
    if (options.fields) defineAdminFields(this.state, options.fields);
    this.leads = new LeadsApi(this.state);
    this.activities = new ActivitiesApi(this.state, options.activityScanLimit ?? 1000);
    this.opportunities = new OpportunitiesApi(this.state);
    this.lists = new ListsApi(this.state, this.leads, 'app-sj01.marketo.com');
    this.bulk = new BulkApi(this.state, {
      processingMs: options.exportProcessingMs ?? 200,
      maxProcessing: 2,
      maxQueued: 10,
      dailyBytes: options.exportDailyBytes ?? 500 * 1024 * 1024,
    });
    this.bulk.allowActivityExport = options.allowActivityExport ?? true;
    this.bulk.activityRow = (a) => this.activities.exportRow(a);
    this.bulk.serveRow = (id, row) => {
      const c = this.corruptLeads.get(id);
      if (!c) return [row];
      const served = { ...row, ...c.patch };
      return c.duplicate ? [served, { ...served }] : [served];
    };
    this.opportunities.serveOpportunity = (o, json) => {
      const c = this.corruptOpportunities.get(o.marketoGUID);
      if (!c) return [json];
      const served: Record<string, unknown> = { ...json, ...c.patch };
      for (const k of c.drop) delete served[k];
      return c.duplicate ? [served, { ...served }] : [served];
    };
  }

  // ================================================================ lifecycle

  load(people: Iterable<SyntheticPerson>): void {
    this.state.load(people);
  }

  handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    this.dispatch(req, res, path).catch((err: unknown) => {
      if (!res.headersSent) {
        this.write(res, (req.method ?? 'GET').toUpperCase(), path, errorReply(this.now(), '611', `System error: ${err instanceof Error ? err.message : String(err)}`), false);
      } else {
        res.destroy();
      }
    });
  }

  listen(port = 0): Promise<ListeningServer> {
    return listenOnLoopback((req, res) => this.handle(req, res, req.url ?? '/'), port);
  }

  // ================================================================ ground truth & test controls

  /** Every request answered, in order (606/615 and injected faults included). */
  get requests(): ReadonlyArray<RequestLogEntry> {
    return this.answered;
  }

  resetRequestLog(): void {
    this.answered.length = 0;
  }

  injectFault(fault: EmulatorFault): void {
    this.faultQueue.add(fault);
  }

  /** Every token issued so far expires now: the next call with one answers 602. */
  expireTokens(): void {
    const at = this.now() - 1;
    for (const t of this.tokens.values()) t.expiresMs = Math.min(t.expiresMs, at);
  }

  leadIdForEmail(email: string): string | undefined {
    const lead = this.state.leadByEmail(email);
    return lead ? String(lead.id) : undefined;
  }

  leadIdForPersonIndex(index: number): string | undefined {
    const id = this.state.personIndex.get(index);
    return id !== undefined && this.state.liveLead(id) ? String(id) : undefined;
  }

  /** A live lead with every field that has a value, system fields included. */
  getLead(id: string): { id: string; fields: Record<string, LeadValue>; createdAt: string; updatedAt: string } | undefined {
    const lead = this.state.liveLead(Number(id));
    if (!lead) return undefined;
    const fields: Record<string, LeadValue> = {};
    for (const name of this.state.fields.keys()) fields[name] = this.state.value(lead, name);
    return { id: String(lead.id), fields, createdAt: String(fields.createdAt), updatedAt: String(fields.updatedAt) };
  }

  listLeads(): Array<{ id: string; email: string | null }> {
    return this.state.leads.filter((l) => l.deletedMs === null).map((l) => ({ id: String(l.id), email: typeof l.values.email === 'string' ? l.values.email : null }));
  }

  /** Opportunities a lead has a role for, as Get Opportunities would show them. */
  opportunitiesForLead(id: string): Array<{ marketoGUID: string; externalOpportunityId: string; values: Record<string, LeadValue> }> {
    return (this.state.rolesByLead.get(Number(id)) ?? [])
      .map((r) => this.state.opportunities.get(r.externalOpportunityId))
      .filter((o) => o !== undefined)
      .map((o) => ({ marketoGUID: o.marketoGUID, externalOpportunityId: o.externalOpportunityId, values: { ...o.values } }));
  }

  listByName(name: string): { id: string; name: string; folderId: number } | undefined {
    const list = this.state.listByName(name);
    return list ? { id: String(list.id), name: list.name, folderId: list.folder.id } : undefined;
  }

  listMemberIds(listId: string): string[] {
    const list = this.state.lists.get(Number(listId));
    return list ? [...list.members.keys()].filter((id) => this.state.liveLead(id)).sort((a, b) => a - b).map(String) : [];
  }

  /** Every static list (test read accessor: no list may exist twice). */
  staticLists(): Array<{ id: string; name: string }> {
    return [...this.state.lists.values()].map((l) => ({ id: String(l.id), name: l.name }));
  }

  /** Effective membership changes, oldest first: Add to / Remove from List activities are logged only when membership changed. */
  listMembershipChanges(): Array<{ listId: string; leadId: string; change: 'added' | 'removed' }> {
    return this.state.activities
      .filter((a) => a.typeId === ACTIVITY.addToList || a.typeId === ACTIVITY.removeFromList)
      .map((a) => ({ listId: String(a.primaryAttributeValueId), leadId: String(a.leadId), change: a.typeId === ACTIVITY.addToList ? 'added' as const : 'removed' as const }));
  }

  /** Custom lead fields (created through the API), name → data type. */
  customFields(): Record<string, string> {
    return Object.fromEntries([...this.state.fields.values()].filter((f) => f.custom).map((f) => [f.name, f.dataType]));
  }

  folderNames(): string[] {
    return [...this.state.folders.values()].map((f) => f.path);
  }

  exportJobCounts(): Record<string, number> {
    return this.bulk.counts();
  }

  /** A marketer edits a lead in Marketo: Data Value Change activities, updatedAt moves. */
  updateLead(id: string, fields: Record<string, LeadValue>): void {
    const lead = this.state.liveLead(Number(id));
    if (!lead) throw new Error(`no live lead ${id}`);
    for (const name of Object.keys(fields)) if (!this.state.fields.has(name)) throw new Error(`no lead field ${name}`);
    this.state.applyLeadValues(lead, fields, 'Changed by user');
  }

  /** A marketer deletes a lead: Delete Lead activity (37), gone from every list. */
  deleteLead(id: string): void {
    const lead = this.state.liveLead(Number(id));
    if (!lead) throw new Error(`no live lead ${id}`);
    this.state.deleteLead(lead);
  }

  /** The sandbox's world clock moved forward: Marketo's share of what happened (world-advance.ts). */
  advance(advance: WorldAdvance): void {
    appendAdvance(this.state, advanceOn(advance, 'marketo'));
  }

  /** Population people on each static list, by list name (only the named lists when given). */
  listedPeople(listNames?: readonly string[]): Map<string, number[]> {
    return listedPeople(this.state, listNames);
  }

  /** The lead does something now (visits a page, opens an email…): one activity of the matching type (engagement.ts). */
  recordEngagement(leadId: string, channel: EngagementChannel): void {
    const lead = this.state.liveLead(Number(leadId));
    if (!lead) throw new Error(`no live lead ${leadId}`);
    const typeId = ENGAGEMENT_ACTIVITY[channel];
    if (typeId === undefined) throw new Error(`Marketo has no standard activity for ${channel}`);
    const n = this.state.activities.filter((a) => a.leadId === lead.id).length;
    this.state.log({ leadId: lead.id, typeId, attributes: [], engagement: n });
  }

  /**
   * A scoring campaign changes a lead's score: Marketo logs Change Score (22), not a Data Value
   * Change, and updatedAt moves.
   */
  changeScore(leadId: string, delta: number): void {
    const lead = this.state.liveLead(Number(leadId));
    if (!lead) throw new Error(`no live lead ${leadId}`);
    const old = typeof lead.values.leadScore === 'number' ? lead.values.leadScore : 0;
    lead.values.leadScore = old + delta;
    lead.updatedMs = Math.max(this.now(), lead.createdMs);
    this.state.log({
      leadId: lead.id,
      typeId: ACTIVITY.changeScore,
      primaryAttributeValue: 'Lead Score',
      attributes: [
        { name: 'Change Value', value: `${delta >= 0 ? '+' : ''}${delta}` },
        { name: 'New Value', value: old + delta },
        { name: 'Old Value', value: old },
        { name: 'Reason', value: 'Scoring campaign' },
      ],
    });
  }

  /** A new lead appears (form fill, import): New Lead activity (12). Returns its id. */
  createLead(fields: Record<string, LeadValue>): string {
    return String(this.state.createLead(fields).id);
  }

  /** A new opportunity with one role for the lead: Add to Opportunity (34). Returns its marketoGUID. */
  addOpportunity(leadId: string, values: { name: string; amount: number | null; closeDate: string; isWon: boolean; isClosed: boolean }): string {
    const lead = this.state.liveLead(Number(leadId));
    if (!lead) throw new Error(`no live lead ${leadId}`);
    const at = this.now();
    const external = `SGS-new-${this.state.opportunities.size + 1}`;
    const o = this.state.addOpportunity(external, { ...values, stage: values.isWon ? 'Closed Won' : values.isClosed ? 'Closed Lost' : 'Proposal', type: 'New Business', source: 'Web' }, at, at);
    this.state.addRole(o, lead.id, at);
    this.state.log({ leadId: lead.id, typeId: ACTIVITY.addToOpportunity, primaryAttributeValue: values.name, attributes: [{ name: 'Role', value: 'Buyer' }] });
    return o.marketoGUID;
  }

  /** An opportunity changes (e.g. closes won): Update Opportunity (36) on every lead with a role. */
  updateOpportunity(marketoGUID: string, values: Record<string, LeadValue>): void {
    const o = this.state.opportunityByGuid.get(marketoGUID);
    if (!o) throw new Error(`no opportunity ${marketoGUID}`);
    Object.assign(o.values, values);
    o.updatedMs = this.now();
    for (const r of this.state.rolesByOpportunity.get(o.externalOpportunityId) ?? []) {
      this.state.log({ leadId: r.leadId, typeId: ACTIVITY.updateOpportunity, primaryAttributeValue: String(o.values.name ?? ''), attributes: Object.keys(values).map((k) => ({ name: k, value: values[k] ?? null })) });
    }
  }

  // ================================================================ fault scenarios

  /** Schedules a scenario's faults (FaultInjector); they fire as matching requests arrive. */
  injectScenario(scenario: FaultScenario): void {
    const count = Math.max(0, Math.floor(scenario.count ?? DEFAULT_COUNTS[scenario.kind]));
    const kind = scenario.kind;
    const T = TARGET;
    switch (kind) {
      case 'throttle-burst':
        for (const f of spread(count, [T.exportStatus, T.roles, T.listAdd, T.exportFile, T.leadsWrite, T.opportunities])) {
          this.schedule.add(kind, f.match, f.skip, { type: 'reply', reply: () => throttleReply(this.now(), f.i) });
        }
        return;
      case 'server-errors':
        for (const f of spread(count, [T.exportFile, T.roles, T.listAdd, T.exportStatus, T.leadsWrite, T.exportCreate])) {
          this.schedule.add(kind, f.match, f.skip, { type: 'reply', reply: () => serverErrorReply(this.now(), f.i) });
        }
        return;
      case 'resets':
        for (const f of spread(count, [T.exportStatus, T.opportunities, T.listAdd, T.deletedLeads, T.leadsWrite])) this.schedule.add(kind, f.match, f.skip, { type: 'reset' });
        return;
      case 'slow':
        for (const f of spread(count, [T.exportStatus, T.roles, T.listAdd, T.listCreate, T.leadsWrite])) this.schedule.add(kind, f.match, f.skip, { type: 'slow' });
        return;
      case 'token-expiry':
        // From a point on the token in use stops working: first expired (602), later revoked (601).
        for (const f of spread(count, [/^(GET|POST|DELETE) \/(rest|bulk)\//], 30, 60)) {
          this.schedule.add(kind, f.match, f.skip, { type: 'expire-token', code: f.i % 2 === 0 ? '602' : '601' });
        }
        return;
      case 'malformed-records':
        this.corruptRecords(count);
        return;
      case 'concurrent-writer':
        this.scheduleWriter(count);
        return;
    }
  }

  /** Faults injected so far: answers given instead of the real thing, records corrupted, changes made. */
  faultsInjected(): number {
    return this.schedule.injected;
  }

  faultsInjectedByKind(): Partial<Record<FaultKind, number>> {
    return Object.fromEntries(this.schedule.byKind);
  }

  /** Scheduled faults no request has met yet (a scenario that did not fire proves nothing). */
  pendingFaults(): Array<{ kind: FaultKind; match: string }> {
    return this.schedule.pending();
  }

  /** Requests refused for being over Marketo's real limits (606, 615, 607 from the emulator's own limiting; injected ones excluded). */
  overLimitRequests(): number {
    return this.overLimitCount;
  }

  corruptedRecords(): CorruptedRecord[] {
    return this.corrupted.map((c) => ({ ...c, served: { ...c.served } }));
  }

  concurrentChanges(): WriterChange[] {
    return [...this.writerChanges];
  }

  /** Every opportunity on the instance with the lead ids that hold a role in it. */
  allOpportunities(): Array<{ marketoGUID: string; externalOpportunityId: string; values: Record<string, LeadValue>; leadIds: string[] }> {
    return [...this.state.opportunities.values()].map((o) => ({
      marketoGUID: o.marketoGUID,
      externalOpportunityId: o.externalOpportunityId,
      values: { ...o.values },
      leadIds: (this.state.rolesByOpportunity.get(o.externalOpportunityId) ?? []).map((r) => String(r.leadId)),
    }));
  }

  private killCurrentToken(code: '601' | '602'): void {
    const token = this.current;
    if (!token || token.expiresMs <= this.now()) return;
    this.killedTokens.add(token.value);
    if (code === '602') {
      token.expiresMs = this.now() - 1;
    } else {
      this.tokens.delete(token.value);
      this.current = undefined;
    }
  }

  /** Live leads spread over the id range, `n` of them, skipping `exclude`. */
  private pickLeads(n: number, exclude: ReadonlySet<number>, salt: number): number[] {
    const live = this.state.leads.filter((l) => l.deletedMs === null && !exclude.has(l.id)).map((l) => l.id);
    const out: number[] = [];
    for (let k = 0; k < n && live.length > 0; k++) {
      const id = live[(Math.floor(((k + 0.5) * live.length) / n) + salt) % live.length]!;
      if (!out.includes(id)) out.push(id);
    }
    return out;
  }

  private corruptRecords(count: number): void {
    const LEAD_DEFECTS = ['missing-id', 'impossible-date', 'bad-email', 'wrong-type-date', 'huge-string', 'unicode', 'duplicate-id'] as const;
    const OPP_DEFECTS = ['missing-id', 'non-numeric-amount', 'negative-amount', 'impossible-date', 'wrong-type-amount', 'duplicate-id', 'unicode'] as const;
    const leadCount = Math.ceil(count / 2);
    const oppCount = count - leadCount;
    const taken = new Set<number>([...this.corruptLeads.keys()]);
    const leads = this.pickLeads(leadCount, taken, 3);
    leads.forEach((id, i) => {
      const defect = LEAD_DEFECTS[i % LEAD_DEFECTS.length]!;
      let patch: Record<string, LeadValue> = {};
      let mustQuarantine = true;
      let duplicate = false;
      switch (defect) {
        case 'missing-id':
          patch = { id: null };
          break;
        case 'impossible-date':
          patch = { createdAt: '2025-02-30T10:00:00Z' };
          break;
        case 'bad-email':
          patch = { email: 'not an email address' };
          break;
        case 'wrong-type-date':
          patch = { createdAt: 'yesterday' };
          break;
        case 'huge-string':
          // 100 kB in a 255-character field: nothing Marketo could hold.
          patch = { firstName: 'x'.repeat(100 * 1024) };
          break;
        case 'unicode':
          patch = { firstName: 'Zoë 李 🚀', lastName: 'Ñandú-Øre', city: 'Kraków' };
          mustQuarantine = false;
          break;
        case 'duplicate-id':
          duplicate = true;
          mustQuarantine = false;
          break;
      }
      this.corruptLeads.set(id, { patch, duplicate });
      this.corrupted.push({ stream: 'contacts', id: String(id), defect, mustQuarantine, served: { ...patch } });
      taken.add(id);
    });
    // Opportunities of leads served intact, so their quarantine is about the opportunity alone.
    const candidates = [...this.state.opportunities.values()].filter((o) => {
      const roles = this.state.rolesByOpportunity.get(o.externalOpportunityId) ?? [];
      return roles.length > 0 && roles.every((r) => !taken.has(r.leadId) && this.state.liveLead(r.leadId)) && !this.corruptOpportunities.has(o.marketoGUID);
    });
    const won = candidates.filter((o) => o.values.isWon === true && typeof o.values.amount === 'number');
    const used = new Set<string>();
    for (let i = 0; i < oppCount; i++) {
      const defect = OPP_DEFECTS[i % OPP_DEFECTS.length]!;
      const pool = (defect === 'negative-amount' ? won : candidates).filter((o) => !used.has(o.marketoGUID));
      const o = pool[Math.floor(((i + 0.5) * pool.length) / Math.max(1, oppCount))] ?? pool[0];
      if (!o) continue;
      used.add(o.marketoGUID);
      let patch: Record<string, unknown> = {};
      let drop: string[] = [];
      let mustQuarantine = true;
      let duplicate = false;
      switch (defect) {
        case 'missing-id':
          drop = ['marketoGUID'];
          break;
        case 'non-numeric-amount':
          patch = { amount: 'twelve hundred' };
          break;
        case 'negative-amount':
          patch = { amount: -Math.abs(Number(o.values.amount) || 50) };
          break;
        case 'impossible-date':
          patch = { closeDate: '2024-02-31' };
          break;
        case 'wrong-type-amount':
          patch = { amount: { value: 12 } };
          break;
        case 'duplicate-id':
          duplicate = true;
          mustQuarantine = false;
          break;
        case 'unicode':
          patch = { name: 'Commande spéciale — 注文 🚚' };
          mustQuarantine = false;
          break;
      }
      this.corruptOpportunities.set(o.marketoGUID, { patch, drop, duplicate });
      this.corrupted.push({ stream: 'purchases', id: o.marketoGUID, defect, mustQuarantine, served: { ...patch, ...Object.fromEntries(drop.map((k) => [k, undefined])) } });
    }
    this.schedule.count('malformed-records', this.corrupted.length);
  }

  /** Changes made while a pull pages through leads (bulk files) and opportunities (roles, opportunity pages). */
  private scheduleWriter(count: number): void {
    const T = TARGET;
    const targets = [T.exportFile, T.exportFile, T.exportFile, T.roles, T.opportunities, T.exportFile];
    const victims = this.pickLeads(count * 2 + 2, new Set(), 5);
    const noOpportunity = victims.filter((id) => (this.state.rolesByLead.get(id) ?? []).length === 0);
    let v = 0;
    const nextVictim = () => victims[v++ % victims.length]!;
    for (let i = 0; i < count; i++) {
      const match = targets[i % targets.length]!;
      // Bulk files: after the first one, then every third; roles and opportunity pages (one or two per pull): the first.
      const earlier = targets.slice(0, i % targets.length).filter((t) => t === match).length + Math.floor(i / targets.length) * targets.filter((t) => t === match).length;
      const skip = match === T.exportFile ? 1 + 3 * earlier : earlier;
      const step = i % 6;
      let apply: () => void;
      switch (step) {
        case 0: {
          const id = nextVictim();
          apply = () => {
            if (!this.state.liveLead(id)) return;
            this.updateLead(String(id), { city: `Moved during pull ${i}` });
            this.writerChanges.push({ change: 'lead-updated', id: String(id) });
          };
          break;
        }
        case 1: {
          const id = nextVictim();
          apply = () => {
            if (!this.state.liveLead(id)) return;
            this.updateLead(String(id), { firstName: `Renamed${i}`, unsubscribed: true });
            this.writerChanges.push({ change: 'lead-updated', id: String(id) });
          };
          break;
        }
        case 2: {
          // A lead with no opportunity: deleting it leaves no orphaned purchase to argue about.
          const id = noOpportunity.shift() ?? nextVictim();
          apply = () => {
            if (!this.state.liveLead(id)) return;
            this.deleteLead(String(id));
            this.writerChanges.push({ change: 'lead-deleted', id: String(id) });
          };
          break;
        }
        case 3:
          apply = () => {
            const id = this.createLead({ email: `written.during.pull.${i}@example.org`, firstName: 'Concurrent', lastName: `Writer${i}`, unsubscribed: false, city: 'Lyon', country: 'France' });
            this.writerChanges.push({ change: 'lead-created', id });
          };
          break;
        case 4:
          apply = () => {
            const o = [...this.state.opportunities.values()].find((x) => x.values.isWon === true && typeof x.values.amount === 'number' && (this.state.rolesByOpportunity.get(x.externalOpportunityId) ?? []).some((r) => this.state.liveLead(r.leadId)));
            if (!o) return;
            this.updateOpportunity(o.marketoGUID, { amount: Number(o.values.amount) + 1000.25 });
            this.writerChanges.push({ change: 'opportunity-updated', id: o.marketoGUID });
          };
          break;
        default: {
          const id = nextVictim();
          apply = () => {
            if (!this.state.liveLead(id)) return;
            const guid = this.addOpportunity(String(id), { name: `Order written during pull ${i}`, amount: 321.5, closeDate: '2026-05-10', isWon: true, isClosed: true });
            this.writerChanges.push({ change: 'opportunity-added', id: guid });
          };
        }
      }
      this.schedule.add('concurrent-writer', match, skip, { type: 'write', label: `writer ${i}`, apply });
    }
  }

  // ================================================================ HTTP plumbing

  private async dispatch(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    let method = (req.method ?? 'GET').toUpperCase();
    const rawBody = await readRequestBody(req);
    const q = path.indexOf('?');
    const pathname = (q >= 0 ? path.slice(0, q) : path) || '/';
    let query = new URLSearchParams(q >= 0 ? path.slice(q + 1) : '');
    // POST with _method=GET carries a long query in the body (error-codes docs, 414); _method=DELETE deletes leads (recorded).
    const override = query.get('_method')?.toUpperCase() ?? (/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? '')) ? new URLSearchParams(rawBody).get('_method')?.toUpperCase() : undefined);
    let body = rawBody;
    if (method === 'POST' && override === 'GET') {
      method = 'GET';
      const merged = new URLSearchParams(query);
      for (const [k, v] of new URLSearchParams(rawBody)) merged.append(k, v);
      merged.delete('_method');
      query = merged;
      body = '';
    }
    const deleteOverride = method === 'POST' && override === 'DELETE';
    const write = isWrite(method, pathname) || deleteOverride;

    const fault = await this.faultQueue.take(`${(req.method ?? 'GET').toUpperCase()} ${path}`);
    if (fault) {
      if (fault.status === 0) {
        req.socket.destroy();
        this.log(method, path, 0, write);
        return;
      }
      this.write(res, method, path, { status: fault.status, body: fault.body, ...(fault.headers ? { headers: fault.headers } : {}) }, write);
      return;
    }

    const scheduled = pathname === '/identity/oauth/token' ? undefined : this.schedule.take(`${(req.method ?? 'GET').toUpperCase()} ${path}`);
    if (scheduled) {
      const { kind, action } = scheduled;
      switch (action.type) {
        case 'reset':
          this.schedule.count(kind);
          req.socket.destroy();
          this.log(method, path, 0, write);
          return;
        case 'reply':
          this.schedule.count(kind);
          this.write(res, method, path, action.reply(), write);
          return;
        case 'slow':
          // The answer comes late; the request is still carried out (the client has given up by then).
          this.schedule.count(kind);
          await new Promise((r) => setTimeout(r, this.faultDelayMs));
          break;
        case 'expire-token':
          this.killCurrentToken(action.code);
          break;
        case 'write':
          this.schedule.count(kind);
          action.apply();
          break;
      }
    }

    if (pathname === '/identity/oauth/token') {
      this.write(res, method, path, this.identity(method, query, rawBody, String(req.headers['content-type'] ?? '')), false);
      return;
    }
    if (!pathname.startsWith('/rest/') && !pathname.startsWith('/bulk/')) {
      this.write(res, method, path, { status: 404, body: { message: 'Not Found' } }, write);
      return;
    }
    if (path.length > MAX_URI) {
      this.write(res, method, path, { status: 414, text: '<html><body><h1>414 Request-URI Too Large</h1></body></html>', headers: { 'Content-Type': 'text/html' } }, write);
      return;
    }
    if (Buffer.byteLength(rawBody) > MAX_BODY) {
      this.write(res, method, path, { status: 413, text: '<html><body><h1>413 Request Entity Too Large</h1></body></html>', headers: { 'Content-Type': 'text/html' } }, write);
      return;
    }

    // Auth first: 601/602 answers do not count against the rate limit or the quota.
    const denied = this.authenticate(req, query);
    if (denied) {
      this.write(res, method, path, denied, write);
      return;
    }
    if (this.inFlight >= this.maxConcurrent) {
      this.overLimitCount++;
      this.write(res, method, path, errorReply(this.now(), '615', 'Concurrent access limit reached'), write);
      return;
    }
    if (!this.window.tryAcquire()) {
      this.overLimitCount++;
      this.write(res, method, path, errorReply(this.now(), '606', `Max rate limit '${this.window.max}' exceeded with in '${Math.round(this.window.intervalMs / 1000)}' secs`), write);
      return;
    }
    if (this.daily.exhausted()) {
      this.overLimitCount++;
      this.write(res, method, path, errorReply(this.now(), '607', 'Daily quota reached'), write);
      return;
    }
    this.daily.add();
    this.inFlight++;
    try {
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      const ctx: Ctx = {
        method,
        path,
        pathname,
        segments: pathname.split('/').filter((s) => s !== '').map((s) => safeDecode(s)),
        query,
        rawBody: body,
        contentType: String(req.headers['content-type'] ?? ''),
        headers: req.headers,
      };
      let reply: Reply;
      try {
        reply = deleteOverride && pathname === '/rest/v1/leads.json' ? this.leads.deleteLeads(ctx) : this.route(ctx);
      } catch (err) {
        if (err instanceof MarketoError) reply = errorReply(this.now(), err.code, err.message);
        else if (err instanceof HttpError) reply = err.reply;
        else throw err;
      }
      this.write(res, method, path, reply, write);
    } finally {
      this.inFlight--;
    }
  }

  /** GET or POST /identity/oauth/token?grant_type=client_credentials&client_id=&client_secret= */
  private identity(method: string, query: URLSearchParams, rawBody: string, contentType: string): Reply {
    if (method !== 'GET' && method !== 'POST') return { status: 405, body: { error: 'method_not_allowed' } };
    const params = new URLSearchParams(query);
    // CHOSEN: the spec puts the credentials in the query; a form body is accepted too.
    if (method === 'POST' && /x-www-form-urlencoded/i.test(contentType)) for (const [k, v] of new URLSearchParams(rawBody)) params.append(k, v);
    if (params.get('grant_type') !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: `Unsupported grant type: ${params.get('grant_type') ?? ''}` } };
    }
    if (params.get('client_id') !== this.clientId || params.get('client_secret') !== this.clientSecret) {
      // Recorded: token_error_invalid_client.json with HTTP 401.
      return { status: 401, body: { error: 'invalid_client', error_description: 'Bad client credentials' } };
    }
    const now = this.now();
    // Before expiry identity hands back the same token with its remaining life (authentication docs).
    if (!this.current || this.current.expiresMs <= now) {
      this.tokenCounter++;
      this.current = { value: `${guidFor(`token:${this.tokenCounter}:${now}`)}:sj`, expiresMs: now + this.tokenLifetimeMs };
      this.tokens.set(this.current.value, this.current);
    }
    return {
      status: 200,
      body: { access_token: this.current.value, token_type: 'bearer', expires_in: Math.max(0, Math.floor((this.current.expiresMs - now) / 1000)), scope: 'segsync-api@sandbox.example' },
      headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    };
  }

  private authenticate(req: IncomingMessage, query: URLSearchParams): Reply | undefined {
    const header = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    // The access_token query parameter is still accepted (its removal is announced for 2026).
    const value = header ?? query.get('access_token') ?? undefined;
    // CHOSEN: no token at all is 600, an unknown one 601, an expired one 602.
    if (!value) return errorReply(this.now(), '600', 'Access token not specified');
    const token = this.tokens.get(value);
    if (!token) {
      if (this.killedTokens.has(value)) this.schedule.count('token-expiry');
      return errorReply(this.now(), '601', 'Access token invalid');
    }
    if (token.expiresMs <= this.now()) {
      if (this.killedTokens.has(value)) this.schedule.count('token-expiry');
      return errorReply(this.now(), '602', 'Access token expired');
    }
    return undefined;
  }

  private write(res: ServerResponse, method: string, path: string, reply: Reply, write: boolean): void {
    const headers: Record<string, string> = { ...reply.headers };
    let payload: string | undefined;
    if (reply.text !== undefined) payload = reply.text;
    else if (reply.body !== undefined) payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    if (payload !== undefined) {
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = JSON_TYPE;
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
    const body = reply.body as { success?: unknown; errors?: Array<{ code?: unknown }> } | undefined;
    const code = body && body.success === false ? String(body.errors?.[0]?.code ?? '') : undefined;
    this.log(method, path, reply.status, write, code);
  }

  private log(method: string, path: string, status: number, write: boolean, code?: string): void {
    // Never keep a client secret in the log.
    const safePath = path.replace(/client_secret=[^&]*/g, 'client_secret=***');
    this.answered.push({ method, path: safePath, status, write, ...(code ? { code } : {}) });
    try {
      this.onRequest?.({ method, path: safePath, status, ...(code ? { code } : {}) });
    } catch {
      // A test hook's failure must not break the answer already sent.
    }
  }

  // ================================================================ routing

  private route(ctx: Ctx): Reply {
    const s = ctx.segments;
    const m = ctx.method;
    const p = ctx.pathname;
    const nowMs = this.now();

    // ---- lead database (/rest/v1)
    if (p === '/rest/v1/leads.json') {
      if (m === 'GET') return this.leads.getLeads(ctx);
      if (m === 'POST') return this.leads.syncLeads(ctx);
      return methodNotAllowed(nowMs);
    }
    if (p === '/rest/v1/leads/delete.json' && m === 'POST') return this.leads.deleteLeads(ctx);
    if (p === '/rest/v1/lists.json' && m === 'GET') return getLists(this.state, ctx);
    if (p === '/rest/v1/leads/describe.json' && m === 'GET') return this.leads.describe();
    if (p === '/rest/v1/leads/schema/fields.json' && m === 'POST') return this.leads.createFields(ctx, this.allowFieldCreation);
    if (p === '/rest/v1/activities/types.json' && m === 'GET') return this.activities.types();
    if (p === '/rest/v1/activities/pagingtoken.json' && m === 'GET') return this.activities.pagingToken(ctx);
    if (p === '/rest/v1/activities.json' && m === 'GET') return this.activities.activities(ctx);
    if (p === '/rest/v1/activities/leadchanges.json' && m === 'GET') return this.activities.leadChanges(ctx);
    if (p === '/rest/v1/activities/deletedleads.json' && m === 'GET') return this.activities.deletedLeads(ctx);
    if (p === '/rest/v1/opportunities.json' && m === 'GET') return this.opportunities.getOpportunities(ctx);
    if (p === '/rest/v1/opportunities/describe.json' && m === 'GET') return this.opportunities.describe();
    if (p === '/rest/v1/opportunities/roles.json' && m === 'GET') return this.opportunities.getRoles(ctx);
    // /rest/v1/lists/{id}/leads.json (and the recorded singular /rest/v1/list/{id}/leads.json)
    if (s[0] === 'rest' && s[1] === 'v1' && (s[2] === 'lists' || s[2] === 'list') && s.length >= 5 && s[4] === 'leads.json') {
      const listId = /^\d+$/.test(s[3] ?? '') ? Number(s[3]) : NaN;
      if (s.length === 5) {
        if (m === 'GET') return this.lists.members(ctx, listId);
        if (m === 'POST' && s[2] === 'lists') return this.lists.addMembers(ctx, listId);
        if (m === 'DELETE' && s[2] === 'lists') return this.lists.removeMembers(ctx, listId);
        return methodNotAllowed(nowMs);
      }
    }
    if (s[0] === 'rest' && s[1] === 'v1' && s[2] === 'lists' && s.length === 6 && s[4] === 'leads' && s[5] === 'ismember.json' && m === 'GET') {
      return this.lists.isMember(ctx, Number(s[3]));
    }

    // ---- asset API (/rest/asset/v1)
    if (p === '/rest/asset/v1/staticList/byName.json' && m === 'GET') return this.lists.byName(ctx);
    if (p === '/rest/asset/v1/staticLists.json' && m === 'POST') return this.lists.create(ctx);
    if (p === '/rest/asset/v1/staticLists.json' && m === 'GET') return browseStaticLists(this.state, ctx, (list) => this.lists.listJson(list));
    if (p === '/rest/asset/v1/folder/byName.json' && m === 'GET') return this.lists.folderByName(ctx);
    if (p === '/rest/asset/v1/folders.json' && m === 'POST') return this.lists.createFolder(ctx);
    if (s[0] === 'rest' && s[1] === 'asset' && s[2] === 'v1' && s[3] === 'staticList' && /^\d+(\.json)?$/.test(s[4] ?? '')) {
      const id = Number((s[4] ?? '').replace(/\.json$/, ''));
      if (s.length === 5 && m === 'GET') return this.lists.byId(id);
      if (s.length === 6 && s[5] === 'delete.json' && m === 'POST') return this.lists.delete(id);
    }

    // ---- bulk activity extract (/bulk/v1/activities/export): the same queue as leads
    if (p === '/bulk/v1/activities/export/create.json' && m === 'POST') return this.bulk.createActivities(ctx);
    if (s[0] === 'bulk' && s[1] === 'v1' && s[2] === 'activities' && s[3] === 'export' && s.length === 6) {
      const id = s[4]!;
      if (s[5] === 'enqueue.json' && m === 'POST') return this.bulk.enqueue(id, 'activities');
      if (s[5] === 'status.json' && m === 'GET') return this.bulk.status(id, 'activities');
      if (s[5] === 'file.json' && m === 'GET') return this.bulk.file(ctx, id, 'activities');
      if (s[5] === 'cancel.json' && m === 'POST') return this.bulk.cancel(id, 'activities');
    }
    // ---- bulk lead extract (/bulk/v1/leads/export)
    if (p === '/bulk/v1/leads/export/create.json' && m === 'POST') return this.bulk.create(ctx);
    if (s[0] === 'bulk' && s[1] === 'v1' && s[2] === 'leads' && s[3] === 'export' && s.length === 6) {
      const id = s[4] ?? '';
      if (s[5] === 'enqueue.json' && m === 'POST') return this.bulk.enqueue(id);
      if (s[5] === 'status.json' && m === 'GET') return this.bulk.status(id);
      if (s[5] === 'file.json' && m === 'GET') return this.bulk.file(ctx, id);
      if (s[5] === 'cancel.json' && m === 'POST') return this.bulk.cancel(id);
    }
    // CHOSEN: an unknown resource is 610 inside an HTTP 200, like the other request-level errors.
    return errorReply(nowMs, '610', 'Requested resource not found');
  }
}

function methodNotAllowed(nowMs: number): Reply {
  return errorReply(nowMs, '605', 'HTTP Method not supported');
}

/** Data changes: upserts, deletes, list membership, list/folder/field creation. Bulk job control and _method=GET are reads. */
function isWrite(method: string, pathname: string): boolean {
  if (pathname.startsWith('/bulk/')) return false;
  return method === 'POST' || method === 'DELETE';
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}


