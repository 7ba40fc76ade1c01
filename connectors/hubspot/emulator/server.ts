/**
 * HubSpot CRM emulator: a node:http handler that follows HubSpot's public API contract
 * (shared/platforms.md §1) closely enough that the official @hubspot/api-client, pointed at it
 * with `basePath`, works unchanged. Routing, auth, rate limits and error bodies live here; the
 * data lives in state.ts.
 *
 * Where HubSpot's documentation is silent, the choice made is stated in a comment marked CHOSEN.
 */
import { FaultQueue, type EmulatorFault, type FaultInjector } from '../../../src/sandbox/emulator-faults.js';
import { HubSpotFaults, type ConcurrentChange, type Corruption, type HubSpotFaultScenario } from './faults.js';
import { listenOnLoopback, readRequestBody, type ListeningServer } from '../../../src/sandbox/loopback.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SyntheticEvent, SyntheticPerson, WorldAdvance } from '../../../src/sandbox/population-types.js';
import { advanceOn } from '../../../src/sandbox/presence.js';
import { HttpError, SINGULAR, errorBody, kindOrFail, notFound, objectKind, validation, type Ctx, type Reply } from './http-support.js';
import { TokenAccess } from './access.js';
import { CompaniesApi } from './companies-api.js';
import { ListsApi } from './lists-api.js';
import { ObjectsApi } from './objects-api.js';
import { PropertiesApi } from './properties-api.js';
import { PrivacyApi } from './privacy-api.js';
import { DealPipelinesApi } from './pipelines-api.js';
import type { ObjectKind } from './properties.js';
import { EmulatorDailyQuota, EmulatorRateWindow } from '../../../src/sandbox/emulator-rate-window.js';
import { CrmState, applyEvents, iso, type CrmRecord } from './state.js';
import { appendAdvance, listedPeople } from './world-advance.js';

export interface HubSpotEmulatorOptions {
  /** The only accepted bearer token; default 'sandbox-hubspot-token'. */
  accessToken?: string;
  /** Rolling window; default { max: 100, intervalMs: 10_000 } (private app, Free/Starter). */
  rateLimit?: { max: number; intervalMs: number };
  /** Search endpoints' own per-second limit (default 5); search answers carry no burst headers. */
  searchPerSecond?: number;
  /** Default 250_000. */
  dailyLimit?: number;
  /** Default 10_000: paging a search to this offset answers 400, as HubSpot does. */
  searchResultCap?: number;
  /** Clock in ms, default Date.now; used for modification dates of changes. */
  now?: () => number;
  /** Scopes the app was granted (default: every scope); a call that needs another answers 403 MISSING_SCOPES (access.ts). */
  scopes?: readonly string[];
}

export type { EmulatorFault } from '../../../src/sandbox/emulator-faults.js';

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  write: boolean;
}

const JSON_TYPE = 'application/json;charset=utf-8';
/** CHOSEN: the policy group name of the 429 body; HubSpot's real value names the app. */
const RATE_LIMIT_GROUP = 'publicapi:private-app:segsync-sandbox';

const AUTH_MESSAGE =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

/** Read-only POSTs (they change nothing), for the request log's `write` flag. */
function isReadOnlyPost(pathname: string): boolean {
  return /\/search$/.test(pathname) || /\/batch\/read$/.test(pathname);
}

function isWrite(method: string, pathname: string): boolean {
  if (method === 'POST') return !isReadOnlyPost(pathname);
  return method === 'PUT' || method === 'PATCH' || method === 'DELETE';
}

/** CRM search endpoints have their own per-second limit and are exempt from the ten-secondly one. */
function isCrmSearch(method: string, pathname: string): boolean {
  return method === 'POST' && /^\/crm\/v3\/objects\/[^/]+\/search$/.test(pathname);
}

export class HubSpotEmulator implements FaultInjector {
  private readonly answered: RequestLogEntry[] = [];
  private overLimit = 0;
  /** `${listId} ${recordId}` of every membership add that took effect (recordsIdsAdded), in order. */
  private readonly listAdds: string[] = [];
  private readonly faults: HubSpotFaults;
  onRequest?: (info: { method: string; path: string; status: number }) => void;

  private readonly state: CrmState;
  private readonly accessToken: string;
  private readonly now: () => number;
  private readonly limiter: EmulatorRateWindow;
  private readonly searchLimiter: EmulatorRateWindow;
  private readonly daily: EmulatorDailyQuota;
  private readonly objects: ObjectsApi;
  private readonly properties: PropertiesApi;
  private readonly lists: ListsApi;
  private readonly companies: CompaniesApi;
  private readonly privacy: PrivacyApi;
  private readonly pipelines: DealPipelinesApi;
  private readonly faultQueue = new FaultQueue();
  private readonly access: TokenAccess;

  constructor(options: HubSpotEmulatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.accessToken = options.accessToken ?? 'sandbox-hubspot-token';
    const rl = options.rateLimit ?? { max: 100, intervalMs: 10_000 };
    this.limiter = new EmulatorRateWindow(rl.max, rl.intervalMs, this.now);
    this.searchLimiter = new EmulatorRateWindow(options.searchPerSecond ?? 5, 1000, this.now);
    this.daily = new EmulatorDailyQuota(options.dailyLimit ?? 250_000, this.now);
    this.state = new CrmState(this.now);
    this.objects = new ObjectsApi(this.state, options.searchResultCap ?? 10_000);
    this.properties = new PropertiesApi(this.state);
    this.lists = new ListsApi(this.state);
    this.companies = new CompaniesApi(this.state, options.searchResultCap ?? 10_000);
    this.privacy = new PrivacyApi(this.state);
    this.pipelines = new DealPipelinesApi(this.now);
    this.faults = new HubSpotFaults(() => this.rateHeaders(false), RATE_LIMIT_GROUP);
    this.access = new TokenAccess(options.scopes, this.now);
  }

  // ================================================================ lifecycle

  load(people: Iterable<SyntheticPerson>): void {
    this.state.load(people);
  }

  handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    this.dispatch(req, res, path).catch((err: unknown) => {
      if (!res.headersSent) {
        const body = errorBody(`Internal error: ${err instanceof Error ? err.message : String(err)}`, 'INTERNAL_ERROR');
        this.write(res, (req.method ?? 'GET').toUpperCase(), path, { status: 500, body }, false);
      } else {
        res.destroy();
      }
    });
  }

  listen(port = 0): Promise<ListeningServer> {
    return listenOnLoopback((req, res) => this.handle(req, res, req.url ?? '/'), port);
  }

  // ================================================================ ground truth & test controls

  /** Every request answered, in order (429s and injected faults included). */
  get requests(): ReadonlyArray<RequestLogEntry> {
    return this.answered;
  }

  resetRequestLog(): void {
    this.answered.length = 0;
  }

  contactIdForEmail(email: string): string | undefined {
    const id = this.state.emailIndex.get(email.trim().toLowerCase());
    return id === undefined ? undefined : String(id);
  }

  contactIdForPersonIndex(index: number): string | undefined {
    const id = this.state.personIndex.get(index);
    return id === undefined ? undefined : String(id);
  }

  getContact(
    id: string,
  ): { id: string; properties: Record<string, string | null>; archived: boolean; createdAt: string; updatedAt: string } | undefined {
    const rec = this.state.contacts.get(Number(id));
    if (!rec || rec.mergedInto !== null) return undefined;
    return {
      id: String(rec.id),
      properties: this.state.allProperties('contacts', rec),
      archived: rec.archivedMs !== null,
      createdAt: iso(rec.createdMs),
      updatedAt: iso(rec.updatedMs),
    };
  }

  listContacts(): Array<{ id: string; properties: Record<string, string | null>; archived: boolean }> {
    const out: Array<{ id: string; properties: Record<string, string | null>; archived: boolean }> = [];
    for (const rec of this.state.contacts.slots) {
      if (rec.live) out.push({ id: String(rec.id), properties: this.state.allProperties('contacts', rec), archived: false });
    }
    return out;
  }

  /** The contact's primary company's properties (name, industry, numberofemployees, annualrevenue), or undefined. */
  companyOfContact(contactId: string): { id: string; properties: Record<string, string> } | undefined {
    const rec = this.state.contacts.live(Number(contactId));
    const company = rec?.companies[0] === undefined ? undefined : this.state.companies.get(rec.companies[0]);
    return company ? { id: String(company.id), properties: { ...company.props } } : undefined;
  }

  /** Someone edits a company on the portal: its modification date moves, the contacts' do not (as in HubSpot). */
  updateCompany(id: string, properties: Record<string, string>): void {
    const rec = this.state.companies.get(Number(id));
    if (!rec) throw new Error(`no company ${id}`);
    Object.assign(rec.props, properties);
    rec.updatedMs = Math.max(this.now(), rec.createdMs);
  }

  dealIdsForContact(contactId: string): string[] {
    const rec = this.state.contacts.live(Number(contactId));
    return rec ? this.state.liveAssoc('contacts', rec).map(String) : [];
  }

  updateContact(id: string, properties: Record<string, string>): void {
    const rec = this.mustLive('contacts', id);
    this.state.applyProperties('contacts', rec, properties);
    rec.updatedMs = Math.max(this.now(), rec.createdMs);
    this.state.version++;
  }

  /**
   * New activity of a contact: each event raises its channel's counter (or sets the last
   * sales-reply date) with a history entry at the event's time; the contact is modified now.
   */
  recordContactEvents(id: string, events: readonly SyntheticEvent[]): void {
    const rec = this.mustLive('contacts', id);
    applyEvents(rec, events);
    rec.updatedMs = Math.max(this.now(), rec.createdMs);
    this.state.version++;
  }

  /** The sandbox's world clock moved forward: HubSpot's share of what happened (world-advance.ts). */
  advance(advance: WorldAdvance): void {
    appendAdvance(this.state, advanceOn(advance, 'hubspot'));
  }

  /** Population people on each list, by list name (only the named lists when given). */
  listedPeople(listNames?: readonly string[]): Map<string, number[]> {
    return listedPeople(this.state, listNames);
  }

  setContactsModifiedAt(ids: string[], ms: number): void {
    for (const id of ids) this.mustLive('contacts', id).updatedMs = ms;
    this.state.version++;
  }

  updateDeal(id: string, properties: Record<string, string>): void {
    const rec = this.mustLive('deals', id);
    this.state.applyProperties('deals', rec, properties);
    rec.updatedMs = Math.max(this.now(), rec.createdMs);
    this.state.version++;
  }

  archiveContact(id: string): void {
    if (!this.state.archive('contacts', Number(id))) throw new Error(`no live contact ${id}`);
  }

  archiveDeal(id: string): void {
    if (!this.state.archive('deals', Number(id))) throw new Error(`no live deal ${id}`);
  }

  mergeContacts(primaryId: string, mergedId: string): void {
    this.state.merge(Number(primaryId), Number(mergedId));
  }

  listByName(name: string): { listId: string; name: string; processingType: string } | undefined {
    const list = this.state.listByName(name);
    return list ? { listId: String(list.listId), name: list.name, processingType: list.processingType } : undefined;
  }

  listMemberIds(listId: string): string[] {
    const list = this.state.liveList(Number(listId));
    return list ? list.sortedMembers().map(String) : [];
  }

  /** A deal pipeline someone created on the portal, with its stages (ids are what `dealstage` holds). */
  addDealPipeline(id: string, label: string, stages: ReadonlyArray<{ id: string; label: string }>): void {
    this.pipelines.add(id, label, stages);
  }

  injectFault(fault: EmulatorFault): void {
    this.faultQueue.add(fault);
  }

  /** The scopes the app holds from now on (calls that need another answer 403 MISSING_SCOPES); undefined: every scope. */
  setScopes(scopes: readonly string[] | undefined): void {
    this.access.setScopes(scopes);
  }

  /** The token expires now, as an OAuth access token does after 30 minutes (401 EXPIRED_AUTHENTICATION). */
  expireToken(): void {
    this.access.expire();
  }

  /** A fresh token was issued after expireToken(). */
  renewToken(): void {
    this.access.renew();
  }

  // ================================================================ fault scenarios (faults.ts)

  injectScenario(scenario: HubSpotFaultScenario): void {
    this.faults.schedule(scenario);
  }

  /** Faults injected so far: answers given instead of the real one, records corrupted or changed. */
  faultsInjected(): number {
    return this.faults.faultsInjected();
  }

  /** Requests the emulator's own limits refused (ten-secondly, search secondly, daily): over the real limit. */
  overLimitRequests(): number {
    return this.overLimit;
  }

  /** Records served corrupted by a malformed-records scenario. */
  corruptions(): readonly Corruption[] {
    return this.faults.corruptions();
  }

  /** Ground-truth changes made by a concurrent-writer scenario. */
  concurrentChanges(): readonly ConcurrentChange[] {
    return this.faults.concurrentChanges();
  }

  /** The admin issued a working token again after a token-expiry scenario. */
  restoreToken(): void {
    this.faults.restoreToken();
  }

  /** Every membership add that took effect (HubSpot's recordsIdsAdded), as `${listId} ${recordId}`. */
  effectiveListAdds(): readonly string[] {
    return this.listAdds;
  }

  listDeals(): Array<{ id: string; properties: Record<string, string | null>; contactIds: string[] }> {
    const out: Array<{ id: string; properties: Record<string, string | null>; contactIds: string[] }> = [];
    for (const rec of this.state.deals.slots) {
      if (rec.live) out.push({ id: String(rec.id), properties: this.state.allProperties('deals', rec), contactIds: this.state.liveAssoc('deals', rec).map(String) });
    }
    return out;
  }

  /** A contact created by someone else on the portal (no deals). */
  createContact(properties: Record<string, string>): string {
    const at = this.now();
    const props = { ...properties };
    if (props.email) props.email = props.email.trim().toLowerCase();
    const rec = this.state.contacts.create(props, at, at);
    if (props.email) this.state.emailIndex.set(props.email, rec.id);
    this.state.version++;
    return String(rec.id);
  }

  /** A deal someone else created on the portal, associated with one live contact (e.g. a new order). */
  createDeal(contactId: string, properties: Record<string, string>): string {
    const contact = this.mustLive('contacts', contactId);
    const at = this.now();
    const deal = this.state.deals.create({ pipeline: 'default', ...properties }, at, at);
    deal.assoc = [contact.id];
    contact.assoc = [...contact.assoc, deal.id];
    this.state.version++;
    return String(deal.id);
  }

  private mustLive(kind: ObjectKind, id: string): CrmRecord {
    const rec = this.state.store(kind).live(Number(id));
    if (!rec) throw new Error(`no live ${SINGULAR[kind]} ${id}`);
    return rec;
  }

  // ================================================================ HTTP plumbing

  private async dispatch(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawBody = await readRequestBody(req);
    const q = path.indexOf('?');
    const rawPathname = q >= 0 ? path.slice(0, q) : path;
    let pathname = rawPathname.startsWith('/') ? rawPathname : `/${rawPathname}`;
    // The SDK sends '/crm/v3/lists/' for create; HubSpot treats a trailing slash as absent.
    if (pathname.length > 1 && pathname.endsWith('/')) pathname = pathname.slice(0, -1);
    const write = isWrite(method, pathname);

    const fault = await this.faultQueue.take(`${method} ${path}`);
    if (fault) {
      if (fault.status === 0) {
        req.socket.destroy();
        this.log(method, path, 0, write);
        return;
      }
      this.write(res, method, path, { status: fault.status, body: fault.body, headers: fault.headers }, write);
      return;
    }

    const decision = this.faults.decide(`${method} ${path}`);
    if (decision.action === 'answer') {
      this.write(res, method, path, decision.reply, write);
      return;
    }
    if (decision.action === 'reset' && !decision.afterProcessing) {
      req.socket.destroy();
      this.log(method, path, 0, write);
      return;
    }

    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (!m || m[1]?.trim() !== this.accessToken || this.faults.tokenRevoked()) {
      this.write(res, method, path, { status: 401, body: errorBody(AUTH_MESSAGE, 'INVALID_AUTHENTICATION') }, write);
      return;
    }
    const refused = this.access.refuse(method, pathname);
    if (refused) {
      this.write(res, method, path, refused, write);
      return;
    }

    const search = isCrmSearch(method, pathname);
    const limited = this.admit(search);
    if (limited) {
      this.overLimit++;
      this.write(res, method, path, limited, write);
      return;
    }
    const rateHeaders = this.rateHeaders(search);

    const fullUrl = req.url ?? path;
    const fullPathname = fullUrl.split('?')[0] ?? '';
    const prefix = fullPathname.endsWith(rawPathname) ? fullPathname.slice(0, fullPathname.length - rawPathname.length) : '';
    let segments: string[];
    try {
      segments = pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    } catch {
      this.write(res, method, path, { status: 400, body: errorBody('Malformed URL encoding in path.', 'VALIDATION_ERROR'), headers: rateHeaders }, write);
      return;
    }
    const ctx: Ctx = {
      req,
      method,
      path,
      segments,
      query: new URLSearchParams(q >= 0 ? path.slice(q + 1) : ''),
      rawBody,
      linkBase: `http://${req.headers.host ?? '127.0.0.1'}${prefix}`,
    };

    const listed = method === 'GET' && segments.length === 4 && segments[0] === 'crm' && segments[1] === 'v3' && segments[2] === 'objects' ? objectKind(segments[3]) : undefined;
    const afterRaw = ctx.query.get('after');
    if (listed && afterRaw && /^\d+$/.test(afterRaw) && ctx.query.get('archived') !== 'true') {
      this.faults.betweenPages(listed, Number(afterRaw), this.writerHooks());
    }

    let reply: Reply;
    try {
      reply = this.route(ctx);
    } catch (err) {
      if (err instanceof HttpError) reply = err.reply;
      else throw err;
    }
    reply.headers = { ...rateHeaders, ...reply.headers };
    this.afterRoute(ctx, listed, reply);

    if (decision.action === 'reset') {
      // Acted on, then the connection dropped: the client never hears the answer.
      req.socket.destroy();
      this.log(method, path, 0, write);
      return;
    }
    if (decision.action === 'delay') {
      await new Promise((resolve) => setTimeout(resolve, decision.ms));
      if (res.destroyed || req.socket.destroyed) {
        this.log(method, path, reply.status, write);
        return;
      }
    }
    this.write(res, method, path, reply, write);
  }

  /** Records effective list adds, and corrupts served pages for a malformed-records scenario. */
  private afterRoute(ctx: Ctx, listed: ObjectKind | undefined, reply: Reply): void {
    if (reply.status !== 200 || !reply.body || typeof reply.body !== 'object') return;
    const s = ctx.segments;
    if (ctx.method === 'PUT' && s[1] === 'v3' && s[2] === 'lists' && s[4] === 'memberships') {
      for (const id of (reply.body as { recordsIdsAdded?: string[] }).recordsIdsAdded ?? []) this.listAdds.push(`${s[3]} ${id}`);
      return;
    }
    const searched = ctx.method === 'POST' && s.length === 5 && s[1] === 'v3' && s[2] === 'objects' && s[4] === 'search' ? objectKind(s[3]) : undefined;
    const kind = listed ?? searched;
    const results = (reply.body as { results?: unknown }).results;
    if (kind && Array.isArray(results)) this.faults.corruptPage(kind, results as Array<Record<string, unknown>>, listed ? 'list' : 'search');
  }

  private writerHooks() {
    const liveIds = (kind: ObjectKind) => this.state.store(kind).slots.filter((r) => r.live).map((r) => String(r.id));
    return {
      contactIds: () => liveIds('contacts'),
      dealIds: () => liveIds('deals'),
      updateContact: (id: string, p: Record<string, string>) => this.updateContact(id, p),
      updateDeal: (id: string, p: Record<string, string>) => this.updateDeal(id, p),
      archiveContact: (id: string) => this.archiveContact(id),
      createContact: (p: Record<string, string>) => this.createContact(p),
      dealProperties: (id: string) => {
        const rec = this.state.deals.live(Number(id));
        return rec ? this.state.allProperties('deals', rec) : undefined;
      },
    };
  }

  /** Applies the daily, secondly (search) and ten-secondly limits; returns a 429 reply or null. */
  private admit(search: boolean): Reply | null {
    if (this.daily.exhausted()) {
      return {
        status: 429,
        headers: this.rateHeaders(search),
        body: {
          status: 'error',
          message: 'You have reached your daily limit.',
          errorType: 'RATE_LIMIT',
          correlationId: randomUUID(),
          policyName: 'DAILY',
          groupName: RATE_LIMIT_GROUP,
        },
      };
    }
    if (search) {
      if (!this.searchLimiter.tryAcquire()) {
        // Recorded body (error_429_search_secondly_limit.json); no Retry-After, as recorded.
        return {
          status: 429,
          headers: this.rateHeaders(true),
          body: { status: 'error', message: 'You have reached your secondly limit.', correlationId: randomUUID(), category: 'RATE_LIMITS' },
        };
      }
    } else if (!this.limiter.tryAcquire()) {
      // Documented body (platforms.md H5); HubSpot sends no Retry-After header.
      return {
        status: 429,
        headers: this.rateHeaders(false),
        body: {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          correlationId: randomUUID(),
          policyName: 'TEN_SECONDLY_ROLLING',
          groupName: RATE_LIMIT_GROUP,
        },
      };
    }
    this.daily.add();
    return null;
  }

  /**
   * Search answers carry only the daily headers: the recorded search exchanges
   * (_recorded_exchanges_grouparoo.json) have X-HubSpot-RateLimit-Daily(-Remaining) and no
   * Interval/Max/Remaining.
   */
  private rateHeaders(search: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      'X-HubSpot-RateLimit-Daily': String(this.daily.limit),
      'X-HubSpot-RateLimit-Daily-Remaining': String(this.daily.remaining()),
    };
    if (!search) {
      headers['X-HubSpot-RateLimit-Interval-Milliseconds'] = String(this.limiter.intervalMs);
      headers['X-HubSpot-RateLimit-Max'] = String(this.limiter.max);
      headers['X-HubSpot-RateLimit-Remaining'] = String(this.limiter.remaining());
    }
    return headers;
  }

  private write(res: ServerResponse, method: string, path: string, reply: Reply, write: boolean): void {
    const headers: Record<string, string> = { ...reply.headers };
    const body = reply.body;
    const correlation =
      body && typeof body === 'object' && 'correlationId' in body && typeof (body as { correlationId: unknown }).correlationId === 'string'
        ? (body as { correlationId: string }).correlationId
        : randomUUID();
    headers['X-HubSpot-Correlation-Id'] ??= correlation;
    let payload: string | undefined;
    if (body !== undefined && reply.status !== 204) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = JSON_TYPE;
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
    this.log(method, path, reply.status, write);
  }

  private log(method: string, path: string, status: number, write: boolean): void {
    this.answered.push({ method, path, status, write });
    try {
      this.onRequest?.({ method, path, status });
    } catch {
      // A test hook's failure must not break the answer already sent.
    }
  }

  // ================================================================ routing

  private route(ctx: Ctx): Reply {
    const s = ctx.segments;
    const m = ctx.method;
    if (s[0] !== 'crm') return notFound();

    // ---- companies (read-only)
    const company = (seg: string | undefined) => ['companies', 'company', '0-2'].includes((seg ?? '').toLowerCase());
    if (s[1] === 'v3' && s[2] === 'objects' && company(s[3])) {
      if (s.length === 6 && s[4] === 'batch' && s[5] === 'read' && m === 'POST') return this.companies.batchRead(ctx);
      if (s.length === 4 && m === 'GET') return this.companies.listCompanies(ctx);
      if (s.length === 5 && s[4] === 'search' && m === 'POST') return this.companies.search(ctx);
      if (s.length === 5 && m === 'GET') return this.companies.getCompany(ctx, s[4] ?? '');
      return notFound();
    }
    if (s[1] === 'v3' && s[2] === 'properties' && company(s[3])) {
      if (s.length === 4 && m === 'GET') return this.companies.getProperties();
      if (s.length === 5 && m === 'GET') return this.companies.getProperty(s[4] ?? '');
      return notFound();
    }
    if (s[1] === 'v4' && s[2] === 'associations' && s.length === 7 && s[5] === 'batch' && s[6] === 'read' && m === 'POST' && company(s[3])) {
      if (objectKind(s[4]) === 'contacts') return this.companies.companyContacts(ctx);
      return validation(`${s[4] ?? ''} is not a valid association target for companies in this portal`);
    }
    if (s[1] === 'v4' && s[2] === 'associations' && s.length === 7 && s[5] === 'batch' && s[6] === 'read' && m === 'POST' && company(s[4])) {
      if (objectKind(s[3]) === 'contacts') return this.companies.contactCompanies(ctx);
      return validation(`companies is not a valid association target for ${s[3] ?? ''} in this portal`);
    }

    // ---- CRM objects v3
    if (s[1] === 'v3' && s[2] === 'objects') {
      const kind = kindOrFail(s[3]);
      if (s.length === 4 && m === 'GET') return this.objects.listObjects(ctx, kind, s[3] ?? '');
      if (s.length === 5 && s[4] === 'search' && m === 'POST') return this.objects.search(ctx, kind);
      if (s.length === 5 && s[4] === 'gdpr-delete' && m === 'POST') return kind === 'contacts' ? this.privacy.gdprDelete(ctx) : notFound();
      if (s.length === 5 && m === 'GET') return this.objects.getObject(ctx, kind, s[4] ?? '');
      if (s.length === 5 && m === 'PATCH') return this.objects.patchObject(ctx, kind, s[4] ?? '');
      if (s.length === 5 && m === 'DELETE') return this.objects.archiveObject(kind, s[4] ?? '');
      if (s.length === 6 && s[4] === 'batch' && m === 'POST') {
        if (s[5] === 'read') return this.objects.batchRead(ctx, kind);
        if (s[5] === 'update') return this.objects.batchUpdate(ctx, kind);
      }
      return notFound();
    }

    // ---- associations v4
    if (s[1] === 'v4' && s[2] === 'associations' && s.length === 7 && s[5] === 'batch' && s[6] === 'read' && m === 'POST') {
      return this.objects.associationsBatchRead(ctx, kindOrFail(s[3]), kindOrFail(s[4]));
    }
    if (s[1] === 'v4' && s[2] === 'objects' && s.length === 7 && s[5] === 'associations' && m === 'GET') {
      return this.objects.associationsGet(ctx, kindOrFail(s[3]), s[4] ?? '', kindOrFail(s[6]));
    }

    // ---- properties v3
    if (s[1] === 'v3' && s[2] === 'properties') {
      const kind = kindOrFail(s[3]);
      if (s.length === 4 && m === 'GET') return this.properties.getProperties(ctx, kind);
      if (s.length === 4 && m === 'POST') return this.properties.createProperty(ctx, kind);
      if (s.length === 5 && s[4] === 'groups' && m === 'GET') return this.properties.getGroups(kind);
      if (s.length === 5 && s[4] === 'groups' && m === 'POST') return this.properties.createGroup(ctx, kind);
      if (s.length === 6 && s[4] === 'groups' && m === 'GET') return this.properties.getGroup(kind, s[5] ?? '');
      if (s.length === 5 && m === 'GET') return this.properties.getProperty(kind, s[4] ?? '');
      if (s.length === 5 && m === 'PATCH') return this.properties.patchProperty(ctx, kind, s[4] ?? '');
      return notFound();
    }

    // ---- lists v3
    if (s[1] === 'v3' && s[2] === 'lists') return this.lists.route(ctx);

    // ---- pipelines v3 (deal stages)
    if (s[1] === 'v3' && s[2] === 'pipelines') return this.pipelines.route(ctx);
    return notFound();
  }

}

