/**
 * Shopify Admin GraphQL emulator: a node:http handler for POST /admin/api/2026-07/graphql.json
 * that EXECUTES each request with graphql-js against the vendored Admin schema, so a query the
 * real API would refuse as invalid is refused here with graphql's own validation errors. Around
 * execution it does what Shopify does: X-Shopify-Access-Token auth (401), access scopes
 * (ACCESS_DENIED; orders older than 60 days hidden without read_all_orders), the calculated
 * query cost (MAX_COST_EXCEEDED above 1,000 requested points), the per-app leaky bucket
 * (THROTTLED), and `extensions.cost` on every GraphQL answer. Bulk query operations run as
 * Shopify runs them and serve their JSONL files at signed URLs without a token (bulk.ts); bulk
 * mutation operations take their variables from a staged upload the emulator receives itself
 * (staged-uploads.ts, bulk-mutation.ts) and run each line through the same resolvers.
 *
 * Where Shopify's documentation is silent, the choice made is stated in a comment marked CHOSEN.
 */
import { readRequestBody } from '../../../src/sandbox/loopback.js';
import { FaultQueue, type EmulatorFault, type FaultInjector, type FaultScenario } from '../../../src/sandbox/emulator-faults.js';
import { corruptNodes, DEFAULT_FAULT_COUNTS, serverError, SpacedFaults, type Corruption } from './faults.js';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  execute,
  getOperationAST,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { SyntheticPerson, WorldAdvance } from '../../../src/sandbox/population-types.js';
import { advanceOn } from '../../../src/sandbox/presence.js';
import { appendAdvance, listedPeople } from './world-advance.js';
import { SHOPIFY_GRAPHQL_PATH } from '../config.js';
import { LeakyBucket, STANDARD_BUCKET, type BucketSettings } from './bucket.js';
import { shopStateReply } from './account.js';
import type { ShopStateName } from '../../../src/sandbox/emulator-account.js';
import { BULK_OUTPUT_PATH, BulkOperations, DEFAULT_BULK_SETTINGS, jsonlLine, type BulkErrorCode, type BulkOperationSnapshot, type BulkSettings } from './bulk.js';
import { actualCost, requestedCost } from './cost.js';
import { STAGED_UPLOAD_PATH } from './staged-uploads.js';
import { gid, iso, parseGid, rootValue, type ResolverContext } from './resolvers.js';
import { adminSchema } from './schema.js';
import { ShopState, type CustomerRecord, type FinancialStatus, type MarketingState } from './state.js';

/** read_products: order lines carry their product (type, vendor, collections), as the demo shows. */
export const DEFAULT_SCOPES = ['read_customers', 'write_customers', 'read_orders', 'read_all_orders', 'read_products', 'write_customer_data_erasure'] as const;
export const MAX_QUERY_COST = 1000;

export interface ShopifyEmulatorOptions {
  /** The only accepted X-Shopify-Access-Token; default 'shpat_sandbox-shopify-token'. */
  accessToken?: string;
  /** The app's bucket; default a Standard plan: 2,000 points, 100 restored per second. */
  bucket?: BucketSettings;
  /** Granted access scopes; default read_customers, write_customers, read_orders, read_all_orders, read_products, write_customer_data_erasure. */
  scopes?: readonly string[];
  /** HTTP status of a THROTTLED answer: 200 as reported for the GraphQL API (default), or 429. */
  throttledStatus?: 200 | 429;
  /** false: the app is not approved for protected customer data; Customer reads answer ACCESS_DENIED (account.ts). Default true. */
  protectedCustomerData?: boolean;
  /** false: the staff member behind the token lacks manage_abandoned_checkouts; abandonedCheckouts answers ACCESS_DENIED. Default true. */
  checkoutPermission?: boolean;
  /** The shop is pending termination, frozen or locked: every request answers as Shopify does then (account.ts). */
  shopState?: ShopStateName;
  /** Clock in ms, default Date.now: the bucket, the 60-day window and modification times use it. */
  now?: () => number;
  /** Bulk operations: how long one runs (default 200 ms), URL lifetime (7 days), how many at once (5 queries, 5 mutations). */
  bulk?: Partial<BulkSettings>;
  /**
   * How late a `slow` fault answers: past the client's timeout (SHOPIFY_TIMEOUT_MS, 30 s by
   * default). Default 35,000 ms; tests set the client's timeout small and this just above it.
   */
  slowMs?: number;
}

/** A change the concurrent writer made while a pull ran. */
export interface ConcurrentChange {
  change: 'new-order' | 'edited-customer' | 'cancelled-order';
  id: string;
  /** Between a bulk operation's start and its completion, or between two query pages. */
  during: 'bulk' | 'pages';
}

export type { EmulatorFault } from '../../../src/sandbox/emulator-faults.js';

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  /** The GraphQL operation name, when there was one. */
  operation: string | null;
  /** A mutation (it may change the shop), or the staged upload of a bulk mutation's variables. */
  write: boolean;
  requestedCost: number | null;
  actualCost: number | null;
  /** Answered THROTTLED. */
  throttled: boolean;
  /** An injected fault (a scenario's or injectFault's), not the emulator's own judgement. */
  injected: boolean;
}

export interface CustomerSnapshot {
  id: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  city: string | null;
  countryCode: string | null;
  marketingState: MarketingState;
  createdAt: string;
  updatedAt: string;
  tags: string[];
  /** `namespace.key` → value and type. */
  metafields: Record<string, { type: string; value: string }>;
}

export interface OrderSnapshot {
  id: string;
  name: string;
  customerId: string | null;
  amount: string;
  currency: string;
  processedAt: string;
  createdAt: string;
  updatedAt: string;
  cancelled: boolean;
  test: boolean;
  financialStatus: FinancialStatus;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const INVALID_TOKEN = '[API] Invalid API key or access token (unrecognized login or wrong password)';

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Parsed {
  query: string;
  variables: Record<string, unknown>;
  operationName: string | null;
}

function operationNameOf(body: Partial<Parsed>): string | null {
  if (typeof body.operationName === 'string' && body.operationName) return body.operationName;
  return /\b(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(body.query ?? '')?.[1] ?? null;
}

export class ShopifyEmulator implements FaultInjector {
  onRequest?: (info: { method: string; path: string; status: number; operation: string | null }) => void;

  private readonly answered: RequestLogEntry[] = [];
  private readonly state: ShopState;
  private readonly accessToken: string;
  private readonly now: () => number;
  private bucket: LeakyBucket;
  private readonly schema: GraphQLSchema;
  private readonly throttledStatus: 200 | 429;
  private readonly bulk: BulkOperations;
  private scopes: Set<string>;
  private protectedCustomerData: boolean;
  private readonly checkoutPermission: boolean;
  private shopState: ShopStateName | undefined;
  private readonly faultQueue = new FaultQueue();
  private downloadCut: { afterLines: number; left: number } | null = null;
  // ---- fault scenarios (faults.ts)
  private readonly slowMs: number;
  private injectedCount = 0;
  /** THROTTLED answers the emulator gave on its own (its bucket was short): requests over the real limit. */
  private ownThrottled = 0;
  private throttleBurst = 0;
  private spaced: SpacedFaults<{ kind: 'error'; n: number } | { kind: 'reset' } | { kind: 'slow' }> | null = null;
  private corruptBudget = 0;
  private readonly corrupted: Corruption[] = [];
  private readonly corruptTurn = { customers: 0, orders: 0 };
  /** Served (corrupted) copies of result files, by path: a download opened again gets the same lines. */
  private readonly servedFiles = new Map<string, string>();
  private revokeAfter: number | null = null;
  private tokenRevoked = false;
  private concurrentLeft = 0;
  private readonly concurrent: ConcurrentChange[] = [];

  constructor(options: ShopifyEmulatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.accessToken = options.accessToken ?? 'shpat_sandbox-shopify-token';
    this.bucket = new LeakyBucket(options.bucket ?? STANDARD_BUCKET, this.now);
    this.scopes = new Set(options.scopes ?? DEFAULT_SCOPES);
    this.throttledStatus = options.throttledStatus ?? 200;
    this.protectedCustomerData = options.protectedCustomerData ?? true;
    this.checkoutPermission = options.checkoutPermission ?? true;
    this.shopState = options.shopState;
    this.state = new ShopState(this.now);
    this.schema = adminSchema();
    this.bulk = new BulkOperations(this.schema, this.now, { ...DEFAULT_BULK_SETTINGS, ...options.bulk });
    this.slowMs = options.slowMs ?? 35_000;
  }

  // ================================================================ lifecycle

  /** Loads people as Shopify has them (use `populationOn(people, 'shopify')`). */
  load(people: Iterable<SyntheticPerson>): void {
    this.state.load(people);
  }

  handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    this.dispatch(req, res, path).catch((err: unknown) => {
      if (!res.headersSent) {
        // As recorded (error_internal_server_error.json).
        const body = { errors: [{ message: `Internal error. Looks like something went wrong on our end.\n${err instanceof Error ? err.message : String(err)}`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
        this.send(res, (req.method ?? 'GET').toUpperCase(), path, { status: 500, body }, { operation: null, write: false });
      } else {
        res.destroy();
      }
    });
  }

  listen(port = 0): Promise<{ url: string; close(): Promise<void> }> {
    const server = http.createServer((req, res) => this.handle(req, res, req.url ?? '/'));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const { port: actual } = server.address() as AddressInfo;
        resolve({
          url: `http://127.0.0.1:${actual}`,
          close: () =>
            new Promise<void>((done, failClose) => {
              server.close((err) => (err ? failClose(err) : done()));
              server.closeAllConnections();
            }),
        });
      });
    });
  }

  // ================================================================ ground truth & test controls

  /** Every request answered, in order (THROTTLED answers and injected faults included). */
  get requests(): ReadonlyArray<RequestLogEntry> {
    return this.answered;
  }

  resetRequestLog(): void {
    this.answered.length = 0;
  }

  injectFault(fault: EmulatorFault): void {
    this.faultQueue.add(fault);
  }

  /** The bucket as Shopify would report it now. */
  throttleStatus(): { maximumAvailable: number; currentlyAvailable: number; restoreRate: number } {
    return this.bucket.status();
  }

  /** Every bulk operation started, oldest first, with its result file. */
  bulkOperations(): BulkOperationSnapshot[] {
    return this.bulk.snapshot();
  }

  /** The next bulk operation fails with this errorCode once it has run. */
  failNextBulkOperation(code: BulkErrorCode = 'INTERNAL_SERVER_ERROR'): void {
    this.bulk.failNextOperation(code);
  }

  /** Every bulk operation's URL expires now (status EXPIRED, files refused), as seven days later. */
  expireBulkOperations(): void {
    this.bulk.expireAll();
  }

  /** The next `times` downloads of a result file break off after `afterLines` lines (the connection is reset). */
  cutBulkDownloads(afterLines: number, times = 1): void {
    this.downloadCut = { afterLines, left: times };
  }

  // ================================================================ fault scenarios

  /**
   * Schedules a fault scenario (src/sandbox/emulator-faults.ts), in Shopify's forms:
   * - throttle-burst: the next `count` GraphQL requests answer THROTTLED with throttleStatus
   *   showing an empty bucket (as when another client of the same app drained it; the emulator's
   *   own bucket is not touched), and the next result-file download answers 429 (storage SlowDown);
   * - server-errors / resets / slow: `count` requests (GraphQL or result downloads), every 2nd
   *   (every 3rd for slow) from now, answer 500/502/503 in turn, lose their connection unanswered,
   *   or answer `slowMs` late (a slow request is still carried out, as a slow server does);
   * - malformed-records: up to `count` records are corrupted in the served copies of bulk result
   *   files and CustomersPage/OrdersPage answers, at most 5 per file or page (see `corruptions()`);
   * - token-expiry: after `count` more GraphQL requests the access token is revoked: every
   *   request answers 401 until `restoreToken()`;
   * - concurrent-writer: `count` changes (a new order, an edited customer, a cancelled order, in
   *   turn), one as each bulk operation starts and at each poll while it runs, and one between two
   *   query pages (after a page answered with hasNextPage).
   */
  injectScenario(scenario: FaultScenario): void {
    const count = Math.max(0, Math.floor(scenario.count ?? DEFAULT_FAULT_COUNTS[scenario.kind]));
    switch (scenario.kind) {
      case 'throttle-burst':
        this.throttleBurst += count;
        this.faultQueue.add({
          match: /^GET \/bulk-operation-outputs\//,
          status: 429,
          // CHOSEN: Google Cloud Storage's answer to too many requests.
          body: "<?xml version='1.0' encoding='UTF-8'?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
          headers: { 'Content-Type': 'application/xml; charset=UTF-8', 'Retry-After': '1' },
        });
        break;
      case 'server-errors':
        this.spaced = new SpacedFaults(count, 2, (n) => ({ kind: 'error' as const, n }));
        break;
      case 'resets':
        this.spaced = new SpacedFaults(count, 2, () => ({ kind: 'reset' as const }));
        break;
      case 'slow':
        this.spaced = new SpacedFaults(count, 3, () => ({ kind: 'slow' as const }));
        break;
      case 'malformed-records':
        this.corruptBudget += count;
        break;
      case 'token-expiry':
        this.revokeAfter = count;
        break;
      case 'concurrent-writer':
        this.concurrentLeft += count;
        break;
    }
  }

  /** Faults injected so far: answers given instead of the real one, records corrupted, changes made. */
  faultsInjected(): number {
    return this.injectedCount;
  }

  /** THROTTLED answers the emulator gave on its own because its bucket was short (not injected). */
  overLimit(): number {
    return this.ownThrottled;
  }

  /** Every record corrupted in a served copy, with what segsync must do with it. */
  corruptions(): Corruption[] {
    return this.corrupted.map((c) => ({ ...c }));
  }

  /** Every change the concurrent writer made. */
  concurrentChanges(): ConcurrentChange[] {
    return this.concurrent.map((c) => ({ ...c }));
  }

  /** The access token stops working now (every request answers 401) until restoreToken(). */
  revokeToken(): void {
    this.tokenRevoked = true;
    this.revokeAfter = null;
  }

  restoreToken(): void {
    this.tokenRevoked = false;
    this.revokeAfter = null;
  }

  /** The sandbox's world clock moved forward: the shop's share of what happened (world-advance.ts). */
  advance(advance: WorldAdvance): void {
    appendAdvance(this.state, advanceOn(advance, 'shopify'));
  }

  /** From now on the bucket never runs short (the `fast` pace's bucket). */
  liftRateLimits(): void {
    this.bucket = new LeakyBucket({ maximumAvailable: 1_000_000, restoreRate: 1_000_000 }, this.now);
  }

  /** Population people holding each tag segsync added, by tag (only the named ones when given). */
  listedPeople(listNames?: readonly string[]): Map<string, number[]> {
    return listedPeople(this.state, listNames);
  }

  /** A new order of a customer, placed now (PAID unless said otherwise); the customer's updatedAt moves too. */
  createOrder(customerId: string, options: { amount?: string; currency?: string; financialStatus?: FinancialStatus } = {}): string {
    const rec = this.customerRecord(customerId);
    if (!rec) throw new Error(`no customer ${customerId}`);
    const now = this.now();
    const order = this.state.addOrder(rec, now, now, null, options.financialStatus ?? 'PAID', options.amount ?? '42.00', options.currency ?? 'USD', false);
    this.state.touch(rec);
    return gid('Order', order.id);
  }

  private concurrentChange(during: 'bulk' | 'pages'): void {
    if (this.concurrentLeft <= 0) return;
    const n = this.concurrent.length;
    const customers = this.state.customers;
    if (customers.length === 0) return;
    const customer = customers[(7 + 13 * n) % customers.length]!;
    let change: ConcurrentChange;
    if (n % 3 === 0) {
      change = { change: 'new-order', id: this.createOrder(gid('Customer', customer.id), { amount: `${40 + n}.50` }), during };
    } else if (n % 3 === 1) {
      this.updateCustomer(gid('Customer', customer.id), { lastName: `${customer.lastName ?? 'Doe'}-edited`, city: `Concurrent City ${n}` });
      change = { change: 'edited-customer', id: gid('Customer', customer.id), during };
    } else {
      const live = this.state.orders.filter((o) => !o.test && o.cancelledMs === null && o.financialStatus === 'PAID');
      const order = live[(11 * n) % Math.max(1, live.length)];
      if (!order) return;
      this.cancelOrder(gid('Order', order.id));
      change = { change: 'cancelled-order', id: gid('Order', order.id), during };
    }
    this.concurrentLeft--;
    this.injectedCount++;
    this.concurrent.push(change);
  }

  /** The served copy of a result file, corrupted once and then served the same on every download. */
  private servedFile(pathname: string, body: string): string {
    const kept = this.servedFiles.get(pathname);
    if (kept !== undefined) return kept;
    if (this.corruptBudget <= 0 || body === '') return body;
    const nodes = body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
    const { nodes: served, done } = corruptNodes(nodes, Math.min(5, this.corruptBudget), 'bulk', 7, this.corruptTurn);
    this.noteCorruptions(done);
    const text = served.map((n) => `${jsonlLine(n)}\n`).join('');
    this.servedFiles.set(pathname, text);
    return text;
  }

  private noteCorruptions(done: Corruption[]): void {
    this.corruptBudget -= done.length;
    this.injectedCount += done.length;
    this.corrupted.push(...done);
  }

  setScopes(scopes: readonly string[]): void {
    this.scopes = new Set(scopes);
  }

  /** Whether the app is approved for protected customer data (false: Customer reads answer ACCESS_DENIED). */
  setProtectedCustomerData(approved: boolean): void {
    this.protectedCustomerData = approved;
  }

  /** The shop's state from now on (undefined: active). */
  setShopState(state: ShopStateName | undefined): void {
    this.shopState = state;
  }

  /** Effective tag changes by tagsAdd/tagsRemove, oldest first (test read accessor). */
  tagChanges(): Array<{ customerId: string; tag: string; change: 'added' | 'removed' }> {
    return this.state.tagChanges.map((c) => ({ customerId: gid('Customer', c.customerId), tag: c.tag, change: c.change }));
  }

  customerIdForEmail(email: string): string | undefined {
    const id = this.state.emailIndex.get(email.trim().toLowerCase());
    return id === undefined ? undefined : gid('Customer', id);
  }

  getCustomer(id: string): CustomerSnapshot | undefined {
    const rec = this.customerRecord(id);
    return rec ? this.snapshot(rec) : undefined;
  }

  listCustomers(): CustomerSnapshot[] {
    return this.state.liveCustomers().map((c) => this.snapshot(c));
  }

  /** Every order, visible to the app or not (ground truth). */
  /** Abandoned checkouts of customers the shop still has, as abandonedCheckouts serves them. */
  listAbandonedCheckouts(): Array<{ id: string; customerId: string; createdAt: string; updatedAt: string }> {
    return this.state.checkouts
      .filter((c) => this.state.customer(c.customerId) !== undefined)
      .map((c) => ({ id: gid('AbandonedCheckout', c.id), customerId: gid('Customer', c.customerId), createdAt: iso(c.createdMs), updatedAt: iso(c.updatedMs) }));
  }

  listOrders(): OrderSnapshot[] {
    return this.state.orders.map((o) => ({
      id: gid('Order', o.id),
      name: o.name,
      customerId: o.customerId === null ? null : gid('Customer', o.customerId),
      amount: o.amount,
      currency: o.currency,
      processedAt: iso(o.processedMs),
      createdAt: iso(o.createdMs),
      updatedAt: iso(o.updatedMs),
      cancelled: o.cancelledMs !== null,
      test: o.test,
      financialStatus: o.financialStatus,
    }));
  }

  /** A merchant edits a customer in the admin: its updatedAt moves to now. */
  updateCustomer(
    id: string,
    changes: Partial<{ firstName: string | null; lastName: string | null; email: string | null; phone: string | null; city: string | null; countryCode: string | null; marketingState: MarketingState }>,
  ): void {
    const rec = this.customerRecord(id);
    if (!rec) throw new Error(`no customer ${id}`);
    if (changes.email !== undefined) {
      const old = rec.email?.trim().toLowerCase();
      if (old && this.state.emailIndex.get(old) === rec.id) this.state.emailIndex.delete(old);
      if (changes.email) this.state.emailIndex.set(changes.email.trim().toLowerCase(), rec.id);
    }
    Object.assign(rec, Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)));
    this.state.touch(rec);
  }

  /** A merchant cancels an order (refunding it, or voiding an unpaid one). */
  cancelOrder(id: string, options: { refund?: boolean } = {}): void {
    const parsed = parseGid(id);
    const order = parsed?.type === 'Order' ? this.state.order(parsed.id) : undefined;
    if (!order) throw new Error(`no order ${id}`);
    if (order.cancelledMs !== null) throw new Error(`order ${id} is already cancelled`);
    const at = Math.max(this.now(), order.updatedMs + 1);
    order.cancelledMs = at;
    order.updatedMs = at;
    order.financialStatus = options.refund || order.financialStatus === 'PAID' ? 'REFUNDED' : 'VOIDED';
  }

  private customerRecord(id: string): CustomerRecord | undefined {
    const parsed = parseGid(id);
    return parsed?.type === 'Customer' ? this.state.customer(parsed.id) : undefined;
  }

  private snapshot(c: CustomerRecord): CustomerSnapshot {
    return {
      id: gid('Customer', c.id),
      email: c.email,
      firstName: c.firstName,
      lastName: c.lastName,
      phone: c.phone,
      city: c.city,
      countryCode: c.countryCode,
      marketingState: c.marketingState,
      createdAt: iso(c.createdMs),
      updatedAt: iso(c.updatedMs),
      tags: [...c.tags],
      metafields: Object.fromEntries([...c.metafields.values()].map((m) => [`${m.namespace}.${m.key}`, { type: m.type, value: m.value }])),
    };
  }

  // ================================================================ HTTP

  private async dispatch(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawBody = await readRequestBody(req);
    const pathname = path.split('?')[0] ?? path;
    let body: Partial<Parsed> = {};
    try {
      const json = rawBody.trim() === '' ? {} : (JSON.parse(rawBody) as unknown);
      if (json && typeof json === 'object' && !Array.isArray(json)) body = json as Partial<Parsed>;
    } catch {
      body = {};
    }
    const operation = operationNameOf(body);
    // A staged upload carries the variables of a bulk mutation: counted with the writes.
    const upload = pathname === STAGED_UPLOAD_PATH;
    const write = /^\s*mutation\b/.test(body.query ?? '') || (upload && method === 'POST');
    const meta = { operation, write };

    const fault = await this.faultQueue.take(`${method} ${path} ${operation ?? ''}`);
    if (fault) {
      this.injectedCount++;
      if (fault.status === 0) {
        req.socket.destroy();
        this.log({ method, path, status: 0, ...meta, injected: true });
        return;
      }
      this.send(res, method, path, { status: fault.status, body: fault.body, ...(fault.headers ? { headers: fault.headers } : {}) }, meta, true);
      return;
    }
    const scheduled = pathname === SHOPIFY_GRAPHQL_PATH || pathname.startsWith(BULK_OUTPUT_PATH) || upload ? this.spaced?.next() : undefined;
    if (scheduled) {
      this.injectedCount++;
      if (scheduled.kind === 'reset') {
        req.socket.destroy();
        this.log({ method, path, status: 0, ...meta, injected: true });
        return;
      }
      if (scheduled.kind === 'error') {
        this.send(res, method, path, serverError(scheduled.n), meta, true);
        return;
      }
      // Slow: the answer comes after the client stopped waiting; the request is still carried out.
      await new Promise((resolve) => setTimeout(resolve, this.slowMs));
    }

    if (pathname.startsWith(BULK_OUTPUT_PATH)) {
      this.serveBulkFile(req, res, method, path, pathname, meta);
      return;
    }
    if (upload) {
      // No access token: the signed policy in the form is the credential (staged-uploads.ts).
      if (method !== 'POST') {
        this.send(res, method, path, { status: 405, body: 'Method Not Allowed', headers: { Allow: 'POST', 'Content-Type': 'text/plain' } }, meta);
        return;
      }
      const reply = await this.bulk.uploads.upload(req.headers['content-type'], Buffer.from(rawBody, 'utf8'));
      this.send(res, method, path, { status: reply.status, body: reply.body, headers: { 'Content-Type': reply.contentType } }, meta);
      return;
    }
    if (pathname !== SHOPIFY_GRAPHQL_PATH) {
      this.send(res, method, path, { status: 404, body: { errors: 'Not Found' } }, meta);
      return;
    }
    const token = req.headers['x-shopify-access-token'];
    if (token === this.accessToken && this.revokeAfter !== null) {
      if (this.revokeAfter <= 0) this.revokeToken();
      else this.revokeAfter--;
    }
    if (typeof token !== 'string' || token !== this.accessToken || this.tokenRevoked) {
      const revoked = token === this.accessToken;
      if (revoked) this.injectedCount++;
      this.send(res, method, path, { status: 401, body: { errors: INVALID_TOKEN } }, meta, revoked);
      return;
    }
    if (this.shopState && this.shopState !== 'pending-termination') {
      this.send(res, method, path, shopStateReply(this.shopState, undefined), meta);
      return;
    }
    if (method !== 'POST') {
      // CHOSEN: only POST is emulated.
      this.send(res, method, path, { status: 405, body: { errors: 'Method Not Allowed' }, headers: { Allow: 'POST' } }, meta);
      return;
    }
    if (typeof body.query !== 'string' || body.query.trim() === '') {
      // CHOSEN: Shopify's REST-style answer to a body without a query.
      this.send(res, method, path, { status: 400, body: { errors: { query: 'Required parameter missing or invalid' } } }, meta);
      return;
    }
    const variables = body.variables && typeof body.variables === 'object' && !Array.isArray(body.variables) ? body.variables : {};
    this.send(res, method, path, await this.graphql(body.query, variables, body.operationName ?? null, baseUrlOf(req, path)), meta);
  }

  /** A bulk operation's result file: no token, the signed URL is the credential (bulk.ts). */
  private serveBulkFile(req: IncomingMessage, res: ServerResponse, method: string, path: string, pathname: string, meta: { operation: string | null; write: boolean }): void {
    if (method !== 'GET') {
      this.send(res, method, path, { status: 405, body: 'Method Not Allowed', headers: { Allow: 'GET', 'Content-Type': 'text/plain' } }, meta);
      return;
    }
    const query = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
    const reply = this.bulk.download(pathname, query);
    if (reply.status === 200) reply.body = this.servedFile(pathname, reply.body);
    const cut = this.downloadCut;
    if (reply.status === 200 && cut && cut.left > 0) {
      cut.left--;
      this.injectedCount++;
      const lines = reply.body.split('\n').slice(0, cut.afterLines).map((l) => `${l}\n`).join('');
      res.writeHead(200, { 'Content-Type': reply.contentType });
      res.write(lines, () => {
        req.socket.destroy();
        this.log({ method, path, status: 200, ...meta });
      });
      return;
    }
    this.send(res, method, path, { status: reply.status, body: reply.body, headers: { 'Content-Type': reply.contentType } }, meta);
  }

  private costExtension(requested: number | null, actual: number | null) {
    return { cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: this.bucket.status() } };
  }

  private async graphql(query: string, variables: Record<string, unknown>, operationName: string | null, baseUrl: string): Promise<Reply> {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return { status: 200, body: { errors: [(error as GraphQLError).toJSON()], extensions: this.costExtension(0, 0) } };
    }
    const invalid = validate(this.schema, document);
    if (invalid.length > 0) return { status: 200, body: { errors: invalid.map((e) => e.toJSON()), extensions: this.costExtension(0, 0) } };
    const operation: OperationDefinitionNode | null | undefined = getOperationAST(document, operationName ?? undefined);
    if (!operation) {
      const message = operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.';
      return { status: 200, body: { errors: [{ message }], extensions: this.costExtension(0, 0) } };
    }
    if (this.shopState === 'pending-termination') {
      const first = operation.selectionSet.selections.find((sel) => sel.kind === Kind.FIELD);
      return shopStateReply(this.shopState, first?.kind === Kind.FIELD ? first.name.value : undefined);
    }
    const requested = requestedCost(this.schema, document, operation, variables);
    if (requested > MAX_QUERY_COST) {
      // Shopify's wording (as quoted in public issue reports).
      const message =
        `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_QUERY_COST}).\n\n` +
        'See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\n' +
        'To query larger amounts of data with fewer limits, bulk operations should be used instead.\n' +
        'See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n';
      return {
        status: 200,
        body: {
          errors: [{ message, extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: MAX_QUERY_COST, documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
          extensions: this.costExtension(requested, null),
        },
      };
    }
    if (this.throttleBurst > 0) {
      // Injected: another client of the same app has just emptied the bucket.
      this.throttleBurst--;
      this.injectedCount++;
      const status = this.bucket.status();
      return {
        status: this.throttledStatus,
        body: {
          errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
          extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: { ...status, currentlyAvailable: 0 } } },
        },
        headers: { 'X-Segsync-Throttled': '1', 'X-Segsync-Injected': '1' },
      };
    }
    if (!this.bucket.take(requested)) {
      this.ownThrottled++;
      // The recorded minimal THROTTLED body, plus what real answers carry: documentation and the cost.
      return {
        status: this.throttledStatus,
        body: {
          errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
          extensions: this.costExtension(requested, null),
        },
        headers: { 'X-Segsync-Throttled': '1' },
      };
    }
    const ctx: ResolverContext = {
      state: this.state,
      scopes: this.scopes,
      now: this.now,
      searchWarnings: [],
      bulk: this.bulk,
      baseUrl,
      ...(this.protectedCustomerData ? {} : { customerDataRefused: true }),
      ...(this.checkoutPermission ? {} : { checkoutsRefused: true }),
    };
    const result = await execute({ schema: this.schema, document, rootValue: rootValue(ctx), contextValue: ctx, variableValues: variables, operationName: operationName ?? undefined });
    const data = (result.data ?? null) as Record<string, unknown> | null;
    const actual = result.data === undefined ? 0 : Math.min(requested, actualCost(this.schema, document, operation, variables, data));
    this.bucket.refund(requested - actual);
    const extensions: Record<string, unknown> = this.costExtension(requested, actual);
    if (ctx.searchWarnings.length > 0) extensions.search = ctx.searchWarnings.map((w) => ({ path: w.path, query: w.query, warnings: w.warnings }));
    const out: Record<string, unknown> = {};
    if (result.errors?.length) out.errors = result.errors.map((e) => e.toJSON());
    if (result.data !== undefined) out.data = result.data;
    out.extensions = extensions;
    this.afterExecution(operationName ?? operation.name?.value ?? null, out);
    return { status: 200, body: out };
  }

  /** Scenario work on an executed answer: corrupt a page's served copy; let the concurrent writer act. */
  private afterExecution(operation: string | null, out: Record<string, unknown>): void {
    const data = out.data as Record<string, unknown> | null | undefined;
    if (!data) return;
    if (operation === 'CustomersPage' || operation === 'OrdersPage') {
      const connection = data[operation === 'CustomersPage' ? 'customers' : 'orders'] as { nodes?: unknown[]; edges?: Array<{ node: unknown; cursor?: string }>; pageInfo?: { hasNextPage?: boolean } } | null;
      if (!connection) return;
      if (this.corruptBudget > 0) {
        if (Array.isArray(connection.nodes)) {
          const { nodes, done } = corruptNodes(connection.nodes, Math.min(5, this.corruptBudget), 'page', 5, this.corruptTurn);
          connection.nodes = nodes;
          this.noteCorruptions(done);
        } else if (Array.isArray(connection.edges)) {
          const edges = connection.edges;
          const { nodes, done } = corruptNodes(edges.map((e) => e.node), Math.min(5, this.corruptBudget), 'page', 5, this.corruptTurn);
          // Duplicates share their original's cursor.
          const byId = new Map(edges.map((e) => [(e.node as { id?: string } | null)?.id, e.cursor]));
          connection.edges = nodes.map((node, i) => ({ cursor: byId.get((node as { id?: string } | null)?.id) ?? edges[Math.min(i, edges.length - 1)]?.cursor ?? '', node }));
          this.noteCorruptions(done);
        }
      }
      if (connection.pageInfo?.hasNextPage) this.concurrentChange('pages');
      return;
    }
    if (operation === 'BulkQueryRun') {
      const run = data.bulkOperationRunQuery as { bulkOperation?: unknown } | null;
      if (run?.bulkOperation) this.concurrentChange('bulk');
      return;
    }
    if (operation === 'BulkOperation') {
      const op = data.bulkOperation as { status?: string } | null;
      if (op && (op.status === 'CREATED' || op.status === 'RUNNING')) this.concurrentChange('bulk');
    }
  }

  private send(res: ServerResponse, method: string, path: string, reply: Reply, meta: { operation: string | null; write: boolean }, injectedFault = false): void {
    const headers: Record<string, string> = { ...reply.headers };
    const throttled = headers['X-Segsync-Throttled'] === '1';
    const injected = injectedFault || headers['X-Segsync-Injected'] === '1';
    delete headers['X-Segsync-Throttled'];
    delete headers['X-Segsync-Injected'];
    let payload: string | undefined;
    if (reply.body !== undefined) {
      payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = JSON_TYPE;
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
    const cost = (reply.body as { extensions?: { cost?: { requestedQueryCost?: number | null; actualQueryCost?: number | null } } } | undefined)?.extensions?.cost;
    this.log({
      method,
      path,
      status: reply.status,
      ...meta,
      requestedCost: cost?.requestedQueryCost ?? null,
      actualCost: cost?.actualQueryCost ?? null,
      throttled,
      injected,
    });
  }

  private log(entry: Partial<RequestLogEntry> & { method: string; path: string; status: number; operation: string | null; write: boolean }): void {
    const full: RequestLogEntry = { requestedCost: null, actualCost: null, throttled: false, injected: false, ...entry };
    this.answered.push(full);
    try {
      this.onRequest?.({ method: full.method, path: full.path, status: full.status, operation: full.operation });
    } catch {
      // A test hook's failure must not break the answer already sent.
    }
  }
}

/**
 * Where the client reached the emulator: its Host and the mount prefix in front of `path` (the
 * sandbox mounts it at /shopify and hands on the rest), so result URLs work behind the sandbox.
 */
function baseUrlOf(req: IncomingMessage, path: string): string {
  const full = req.url ?? path;
  const prefix = full.endsWith(path) ? full.slice(0, full.length - path.length) : '';
  return `http://${req.headers.host ?? '127.0.0.1'}${prefix}`;
}

