/**
 * Fault scenarios of the Shopify emulator (src/sandbox/emulator-faults.ts), in Shopify's own
 * forms: THROTTLED GraphQL answers showing an empty bucket (and a 429 from the storage behind a
 * bulk result URL), 500/502/503 answers, connections reset, answers slower than the client waits,
 * corrupted records in the served copy of bulk result files and query pages (the shop itself
 * stays intact), a revoked access token, and a second writer changing the shop while a pull runs.
 *
 * This file holds the pure parts: the schedule of spaced request faults and the record
 * corruptions. server.ts wires them into the request path.
 */
import type { FaultKind } from '../../../src/sandbox/emulator-faults.js';

/** Per-kind default `count` when a scenario gives none. */
export const DEFAULT_FAULT_COUNTS: Record<FaultKind, number> = {
  // Consecutive THROTTLED answers: fewer than the client's 5 attempts, so a sync against them completes.
  'throttle-burst': 3,
  'server-errors': 6,
  resets: 5,
  slow: 3,
  'malformed-records': 20,
  // Requests answered normally before the token stops working.
  'token-expiry': 4,
  'concurrent-writer': 6,
};

/**
 * Request faults that are spread out (every `every`-th request that could carry one) rather
 * than consecutive, so each call is retried once or twice and a run is not one call hammered
 * `count` times in a row. CHOSEN spacing: every 2nd request for 5xx and resets, every 3rd for slow.
 */
export class SpacedFaults<T> {
  private seen = 0;

  constructor(
    private left: number,
    private readonly every: number,
    private readonly make: (n: number) => T,
  ) {}

  get remaining(): number {
    return this.left;
  }

  /** The fault for this request, if it is one of the spaced ones. */
  next(): T | undefined {
    if (this.left <= 0) return undefined;
    this.seen++;
    if (this.seen % this.every !== 0) return undefined;
    this.left--;
    return this.make(this.seen / this.every - 1);
  }
}

/** Shopify's recorded 500 body; a gateway's HTML 502; a 503 as Shopify's edge gives it (CHOSEN body). */
export function serverError(n: number): { status: number; body: unknown; headers?: Record<string, string> } {
  switch (n % 3) {
    case 0:
      return {
        status: 500,
        body: { errors: [{ message: 'Internal error. Looks like something went wrong on our end.\nRequest ID: 00000000-0000-0000-0000-000000000000 (include this in support requests).', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] },
      };
    case 1:
      return { status: 502, body: '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>', headers: { 'Content-Type': 'text/html' } };
    default:
      return { status: 503, body: { errors: 'Service Unavailable' }, headers: { 'Retry-After': '1' } };
  }
}

// ---------------------------------------------------------------------------------------------
// Record corruption (served copies only)
// ---------------------------------------------------------------------------------------------

export type CorruptionKind =
  | 'wrong-type'
  | 'missing-id'
  | 'impossible-date'
  | 'negative-amount'
  | 'non-numeric-amount'
  | 'huge-string'
  | 'unicode'
  | 'duplicate-id';

export interface Corruption {
  /** The record's real id (the served copy may lack it). */
  id: string;
  stream: 'customers' | 'orders';
  kind: CorruptionKind;
  /** Where it was served: a bulk operation's result file, or a query page. */
  where: 'bulk' | 'page';
  /**
   * True when the served record is invalid and segsync must quarantine it (with a reason);
   * false when it is valid but unusual (a 100 kB name, unicode, the same record twice in one
   * page) and must be stored exactly once, exactly as served.
   */
  mustQuarantine: boolean;
  /** For records stored as served: the field path changed and the value served. */
  field?: string;
  served?: string;
}

/** A valid name in many scripts: combining marks, emoji with ZWJ, right-to-left, CJK, astral. */
export const UNICODE_NAME = 'Zoë Ångström-Łukasz 👩🏽‍💻 مريم 山田 𝔘𝔫𝔦 e\u0301';
export const HUGE_STRING_LENGTH = 100 * 1024;
/** February has no 30th: Date.parse rolls it over to March 2nd, a real date parser refuses it. */
export const IMPOSSIBLE_DATE = '2026-02-30T10:00:00Z';

const CUSTOMER_KINDS: CorruptionKind[] = ['wrong-type', 'missing-id', 'impossible-date', 'huge-string', 'unicode', 'duplicate-id'];
const ORDER_KINDS: CorruptionKind[] = ['wrong-type', 'missing-id', 'impossible-date', 'negative-amount', 'non-numeric-amount', 'duplicate-id'];

type Json = Record<string, unknown>;

function streamOf(node: Json): 'customers' | 'orders' | null {
  const id = typeof node.id === 'string' ? node.id : '';
  if (id.startsWith('gid://shopify/Customer/')) return 'customers';
  if (id.startsWith('gid://shopify/Order/')) return 'orders';
  return null;
}

/** A paid, live, real order: the only kind where a negative amount is wrong beyond doubt. */
function paidOrder(node: Json): boolean {
  return node.displayFinancialStatus === 'PAID' && !node.cancelledAt && node.test !== true;
}

function amountHolder(node: Json): Json | null {
  const set = node.currentTotalPriceSet as Json | null | undefined;
  const money = set?.shopMoney as Json | null | undefined;
  return money && typeof money === 'object' && 'amount' in money ? money : null;
}

/**
 * Corrupts up to `budget` of `nodes` in place (a served copy), every `stride`-th eligible node,
 * kinds in turn. Returns the new node list (duplicates inserted) and what was done.
 */
export function corruptNodes(nodes: unknown[], budget: number, where: 'bulk' | 'page', stride: number, turn: { customers: number; orders: number }): { nodes: unknown[]; done: Corruption[] } {
  const out: unknown[] = [];
  const done: Corruption[] = [];
  let eligible = 0;
  for (const raw of nodes) {
    if (done.length >= budget || raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      out.push(raw);
      continue;
    }
    const node = raw as Json;
    const stream = streamOf(node);
    // Test orders are skipped by segsync anyway: corrupting them proves nothing.
    if (stream === null || node.test === true || '__parentId' in node) {
      out.push(raw);
      continue;
    }
    eligible++;
    if (eligible % stride !== 0) {
      out.push(raw);
      continue;
    }
    const kinds = stream === 'customers' ? CUSTOMER_KINDS : ORDER_KINDS;
    let kind = kinds[turn[stream] % kinds.length]!;
    if (kind === 'negative-amount' && (!paidOrder(node) || !amountHolder(node))) {
      out.push(raw);
      continue;
    }
    if (kind === 'non-numeric-amount' && !amountHolder(node)) kind = 'wrong-type';
    turn[stream]++;
    const id = node.id as string;
    const copy = JSON.parse(JSON.stringify(node)) as Json;
    const record = (c: Omit<Corruption, 'id' | 'stream' | 'kind' | 'where'>) => done.push({ id, stream, kind, where, ...c });
    switch (kind) {
      case 'wrong-type':
        // updatedAt as a number (epoch seconds) where an ISO DateTime string is due.
        copy.updatedAt = Math.floor(Date.parse(String(node.updatedAt)) / 1000);
        if (stream === 'orders') copy.test = 'false';
        record({ mustQuarantine: true });
        break;
      case 'missing-id':
        delete copy.id;
        record({ mustQuarantine: true });
        break;
      case 'impossible-date':
        if (stream === 'customers') copy.createdAt = IMPOSSIBLE_DATE;
        else copy.processedAt = IMPOSSIBLE_DATE;
        record({ mustQuarantine: true, field: stream === 'customers' ? 'createdAt' : 'processedAt', served: IMPOSSIBLE_DATE });
        break;
      case 'negative-amount': {
        const money = amountHolder(copy)!;
        money.amount = `-${String(money.amount).replace(/^-/, '')}`;
        record({ mustQuarantine: true, field: 'amount', served: String(money.amount) });
        break;
      }
      case 'non-numeric-amount': {
        const money = amountHolder(copy)!;
        money.amount = String(money.amount).replace('.', ',') + ' USD';
        record({ mustQuarantine: true, field: 'amount', served: String(money.amount) });
        break;
      }
      case 'huge-string': {
        const value = `${String(node.firstName ?? 'Name')} ${'x'.repeat(HUGE_STRING_LENGTH)}`;
        copy.firstName = value;
        record({ mustQuarantine: false, field: 'firstName', served: value });
        break;
      }
      case 'unicode':
        copy.firstName = UNICODE_NAME;
        record({ mustQuarantine: false, field: 'firstName', served: UNICODE_NAME });
        break;
      case 'duplicate-id':
        out.push(copy);
        record({ mustQuarantine: false });
        break;
    }
    out.push(copy);
  }
  return { nodes: out, done };
}
