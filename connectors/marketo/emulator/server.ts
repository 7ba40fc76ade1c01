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
import { FaultQueue, type EmulatorFault } from '../../../src/sandbox/emulator-faults.js';
import { listenOnLoopback, readRequestBody, type ListeningServer } from '../../../src/sandbox/loopback.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SyntheticPerson } from '../../../src/sandbox/population-types.js';
import { ActivitiesApi } from './activities-api.js';
import { BulkApi } from './bulk-api.js';
import { HttpError, MarketoError, errorReply, type Ctx, type Reply } from './http-support.js';
import { LeadsApi } from './leads-api.js';
import { ListsApi } from './lists-api.js';
import { OpportunitiesApi } from './opportunities-api.js';
import { DailyCounter, RollingWindow } from './rate-limit.js';
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
  /** false: Create Lead Fields answers 603 Access denied, as for a role without Read-Write Schema Custom Field. */
  allowFieldCreation?: boolean;
  /** Clock in ms, default Date.now. */
  now?: () => number;
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

export class MarketoEmulator {
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
    this.allowFieldCreation = options.allowFieldCreation ?? true;
    this.state = new MarketoState(this.now);
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
      this.write(res, method, path, errorReply(this.now(), '615', 'Concurrent access limit reached'), write);
      return;
    }
    if (!this.window.tryAcquire()) {
      this.write(res, method, path, errorReply(this.now(), '606', `Max rate limit '${this.window.max}' exceeded with in '${Math.round(this.window.intervalMs / 1000)}' secs`), write);
      return;
    }
    if (this.daily.exhausted()) {
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
    if (!token) return errorReply(this.now(), '601', 'Access token invalid');
    if (token.expiresMs <= this.now()) return errorReply(this.now(), '602', 'Access token expired');
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
    if (p === '/rest/v1/leads/describe.json' && m === 'GET') return this.leads.describe();
    if (p === '/rest/v1/leads/schema/fields.json' && m === 'POST') return this.leads.createFields(ctx, this.allowFieldCreation);
    if (p === '/rest/v1/activities/pagingtoken.json' && m === 'GET') return this.activities.pagingToken(ctx);
    if (p === '/rest/v1/activities.json' && m === 'GET') return this.activities.activities(ctx);
    if (p === '/rest/v1/activities/leadchanges.json' && m === 'GET') return this.activities.leadChanges(ctx);
    if (p === '/rest/v1/activities/deletedleads.json' && m === 'GET') return this.activities.deletedLeads(ctx);
    if (p === '/rest/v1/opportunities.json' && m === 'GET') return this.opportunities.getOpportunities(ctx);
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
    if (p === '/rest/asset/v1/folder/byName.json' && m === 'GET') return this.lists.folderByName(ctx);
    if (p === '/rest/asset/v1/folders.json' && m === 'POST') return this.lists.createFolder(ctx);
    if (s[0] === 'rest' && s[1] === 'asset' && s[2] === 'v1' && s[3] === 'staticList' && /^\d+(\.json)?$/.test(s[4] ?? '')) {
      const id = Number((s[4] ?? '').replace(/\.json$/, ''));
      if (s.length === 5 && m === 'GET') return this.lists.byId(id);
      if (s.length === 6 && s[5] === 'delete.json' && m === 'POST') return this.lists.delete(id);
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


