/**
 * Fault scenarios of the HubSpot emulator (src/sandbox/emulator-faults.ts), each in HubSpot's own
 * form (shared/platforms.md §1 H5). No HTTP here: server.ts asks this module, request by request,
 * what to do instead of (or on top of) the real answer.
 *
 * - throttle-burst: `count` (default 3, under the client's 5 attempts so a sync completes) 429
 *   answers with the TEN_SECONDLY_ROLLING body and the
 *   X-HubSpot-RateLimit-* headers (Remaining 0, no Retry-After, as HubSpot sends). Not counted in
 *   the emulator's own window, and not in overLimitRequests().
 * - server-errors: `count` (default 3) answers cycling 502, 503, 500. CHOSEN bodies: HubSpot's
 *   edge answers 502/503 with an HTML page; 500 carries the JSON error body with category
 *   INTERNAL_ERROR. The request is not acted on.
 * - resets: `count` (default 3) connections destroyed without an answer; CHOSEN: the odd ones
 *   (1st, 3rd, ...) before the request is acted on, the even ones after (a write that landed but
 *   whose answer was lost) — both happen on the real network.
 * - slow: `count` (default 3) answers sent `delayMs` (default 600) late; the request IS acted on
 *   at once (a write lands; the client only hears about it too late).
 * - malformed-records: `count` (default 10) records in contact/deal list pages and search results
 *   served corrupted (the served copy only; see `corruptions()`); the rest of the page is valid.
 * - token-expiry: private-app tokens do not expire, but an admin can revoke or rotate one: from
 *   `afterRequests` (default 0) further requests on, every request answers 401
 *   INVALID_AUTHENTICATION until restoreToken(). Each 401 counts as a fault.
 * - concurrent-writer: while a pull pages through contacts or deals (a list request with an
 *   `after` cursor), `count` (default 6) changes are made to the ground truth between pages, one per
 *   page: a property change on a record already served, a new contact, an archived contact, a
 *   changed deal amount, cycling.
 */
import { randomUUID } from 'node:crypto';
import type { FaultKind, FaultScenario } from '../../../src/sandbox/emulator-faults.js';
import type { Reply } from './http-support.js';

export interface HubSpotFaultScenario extends FaultScenario {
  /** Only requests whose `${METHOD} ${path}` matches get the fault (default: every request). */
  match?: RegExp;
  /** Fault every n-th matching request (default 1: consecutive ones). */
  every?: number;
  /** slow: how late the answer is (default 600 ms). */
  delayMs?: number;
  /** token-expiry: requests still answered normally before the revocation (default 0). */
  afterRequests?: number;
}

export const DEFAULT_COUNT: Record<FaultKind, number> = {
  'throttle-burst': 3,
  'server-errors': 3,
  resets: 3,
  slow: 3,
  'malformed-records': 10,
  'token-expiry': 0,
  'concurrent-writer': 6,
};

/** A record served corrupted: which one, how, and what segsync must do with it. */
export interface Corruption {
  objectType: 'contacts' | 'deals';
  /** The record's real id (ground truth). */
  id: string;
  kind:
    | 'wrong-type'
    | 'missing-id'
    | 'impossible-date'
    | 'negative-amount'
    | 'non-numeric-amount'
    | 'huge-string'
    | 'unicode-id'
    | 'duplicate-id';
  /** The id as served ('' when left out). */
  servedId: string;
  /** `quarantine`: must not be stored from this answer; `store-once`: an exact duplicate, stored once. */
  expect: 'quarantine' | 'store-once';
  /** Which endpoint served it. */
  via: 'list' | 'search';
}

/** A change the concurrent writer made to the ground truth. */
export interface ConcurrentChange {
  change: 'contact-property' | 'new-contact' | 'archived-contact' | 'deal-amount';
  id: string;
}

interface Scheduled {
  kind: 'throttle-burst' | 'server-errors' | 'resets' | 'slow';
  left: number;
  every: number;
  seen: number;
  fired: number;
  match: RegExp | undefined;
  delayMs: number;
}

/** What to do with one request, decided before it is routed. */
export type Decision =
  | { action: 'answer'; reply: Reply }
  | { action: 'reset'; afterProcessing: boolean }
  | { action: 'delay'; ms: number }
  | { action: 'none' };

/** The hooks the fault engine needs on the emulator's ground truth (for the concurrent writer). */
export interface WriterHooks {
  contactIds(): string[];
  dealIds(): string[];
  updateContact(id: string, properties: Record<string, string>): void;
  updateDeal(id: string, properties: Record<string, string>): void;
  archiveContact(id: string): void;
  createContact(properties: Record<string, string>): string;
  dealProperties(id: string): Record<string, string | null> | undefined;
}

const CONTACT_KINDS: Corruption['kind'][] = ['wrong-type', 'missing-id', 'impossible-date', 'huge-string', 'unicode-id', 'duplicate-id'];
const DEAL_KINDS: Corruption['kind'][] = ['non-numeric-amount', 'negative-amount', 'impossible-date', 'wrong-type', 'duplicate-id'];
const ARABIC_DIGITS = '٠١٢٣٤٥٦٧٨٩';

export class HubSpotFaults {
  private scheduled: Scheduled[] = [];
  private injected = 0;
  private malformedLeft = 0;
  private readonly corrupted: Corruption[] = [];
  private revokeAfter: number | null = null;
  private revoked = false;
  private writerLeft = 0;
  private writerStep = 0;
  private readonly changes: ConcurrentChange[] = [];
  private corruptStep = { contacts: 0, deals: 0 };

  constructor(
    private readonly rateLimitHeaders: () => Record<string, string>,
    private readonly groupName: string,
  ) {}

  schedule(scenario: HubSpotFaultScenario): void {
    const count = scenario.count ?? DEFAULT_COUNT[scenario.kind];
    switch (scenario.kind) {
      case 'throttle-burst':
      case 'server-errors':
      case 'resets':
      case 'slow':
        this.scheduled.push({
          kind: scenario.kind,
          left: count,
          every: Math.max(1, scenario.every ?? 1),
          seen: 0,
          fired: 0,
          match: scenario.match,
          delayMs: scenario.delayMs ?? 600,
        });
        return;
      case 'malformed-records':
        this.malformedLeft += count;
        return;
      case 'token-expiry':
        this.revokeAfter = scenario.afterRequests ?? 0;
        if (this.revokeAfter === 0) this.revoked = true;
        return;
      case 'concurrent-writer':
        this.writerLeft += count;
        return;
    }
  }

  faultsInjected(): number {
    return this.injected;
  }

  corruptions(): readonly Corruption[] {
    return this.corrupted;
  }

  concurrentChanges(): readonly ConcurrentChange[] {
    return this.changes;
  }

  restoreToken(): void {
    this.revoked = false;
    this.revokeAfter = null;
  }

  /** Whether this request meets a revoked token (counted as a fault when it does). */
  tokenRevoked(): boolean {
    if (!this.revoked && this.revokeAfter !== null) {
      if (this.revokeAfter <= 0) this.revoked = true;
      else this.revokeAfter--;
    }
    if (this.revoked) this.injected++;
    return this.revoked;
  }

  /** The transport-level fault for this request, if one is due. */
  decide(key: string): Decision {
    for (const s of this.scheduled) {
      if (s.left <= 0 || (s.match && !s.match.test(key))) continue;
      s.seen++;
      if (s.seen % s.every !== 0) continue;
      s.left--;
      s.fired++;
      this.injected++;
      this.scheduled = this.scheduled.filter((x) => x.left > 0);
      switch (s.kind) {
        case 'throttle-burst':
          return { action: 'answer', reply: this.throttled() };
        case 'server-errors':
          return { action: 'answer', reply: serverError(s.fired) };
        case 'resets':
          return { action: 'reset', afterProcessing: s.fired % 2 === 0 };
        case 'slow':
          return { action: 'delay', ms: s.delayMs };
      }
    }
    return { action: 'none' };
  }

  private throttled(): Reply {
    const headers = { ...this.rateLimitHeaders(), 'X-HubSpot-RateLimit-Remaining': '0' };
    return {
      status: 429,
      headers,
      body: {
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        correlationId: randomUUID(),
        policyName: 'TEN_SECONDLY_ROLLING',
        groupName: this.groupName,
      },
    };
  }

  // ---------------------------------------------------------------- concurrent writer

  /** Called before a contacts/deals list page with an `after` cursor is served. */
  betweenPages(kind: 'contacts' | 'deals', after: number, hooks: WriterHooks): void {
    if (this.writerLeft <= 0) return;
    const served = (ids: string[]) => ids.filter((id) => Number(id) < after);
    const step = this.writerStep++ % 4;
    let change: ConcurrentChange | undefined;
    if (step === 0) {
      const pool = kind === 'contacts' ? served(hooks.contactIds()) : hooks.contactIds();
      const id = pool[Math.floor(pool.length / 2)];
      if (id) {
        hooks.updateContact(id, { city: `Moved during pull ${this.changes.length}` });
        change = { change: 'contact-property', id };
      }
    } else if (step === 1) {
      const n = this.changes.length;
      const id = hooks.createContact({
        email: `concurrent-${n}-${randomUUID().slice(0, 8)}@example.org`,
        firstname: 'Concurrent',
        lastname: `Writer ${n}`,
        city: 'Lyon',
        country: 'France',
        hs_email_optout: 'false',
        lifecyclestage: 'lead',
      });
      change = { change: 'new-contact', id };
    } else if (step === 2) {
      const pool = kind === 'contacts' ? served(hooks.contactIds()) : hooks.contactIds();
      const id = pool[Math.floor(pool.length / 3)];
      if (id) {
        hooks.archiveContact(id);
        change = { change: 'archived-contact', id };
      }
    } else {
      const pool = kind === 'deals' ? served(hooks.dealIds()) : hooks.dealIds();
      const id = pool.find((d) => {
        const p = hooks.dealProperties(d);
        return p && p.amount !== null && p.amount !== '';
      });
      if (id) {
        const old = Number(hooks.dealProperties(id)?.amount ?? '0');
        hooks.updateDeal(id, { amount: (old + 111).toFixed(2) });
        change = { change: 'deal-amount', id };
      }
    }
    if (change) {
      this.changes.push(change);
      this.writerLeft--;
      this.injected++;
    }
  }

  // ---------------------------------------------------------------- malformed records

  /** Corrupts some records of a page about to be served (a fresh copy, never the ground truth). */
  corruptPage(kind: 'contacts' | 'deals', results: Array<Record<string, unknown>>, via: 'list' | 'search'): void {
    if (this.malformedLeft <= 0 || results.length === 0) return;
    // At most 3 per page, spread over the page, so every page keeps mostly valid records.
    const perPage = Math.min(3, this.malformedLeft);
    const used = new Set<number>();
    const kinds = kind === 'contacts' ? CONTACT_KINDS : DEAL_KINDS;
    for (let i = 0; i < perPage; i++) {
      const corruption = kinds[this.corruptStep[kind] % kinds.length]!;
      const at = this.pick(results, used, corruption, i);
      if (at === undefined) {
        this.corruptStep[kind]++;
        continue;
      }
      used.add(at);
      const rec = results[at]!;
      const id = String(rec.id);
      const props = rec.properties as Record<string, unknown>;
      let servedId = id;
      let expect: Corruption['expect'] = 'quarantine';
      switch (corruption) {
        case 'wrong-type':
          if (kind === 'contacts') props.email = 4711;
          else props.amount = 120.5;
          break;
        case 'missing-id':
          delete rec.id;
          servedId = '';
          break;
        case 'impossible-date':
          if (kind === 'contacts') rec.updatedAt = '2026-02-30T25:61:00.000Z';
          else props.closedate = '2026-13-45T00:00:00.000Z';
          break;
        case 'negative-amount':
          props.amount = '-250.00';
          break;
        case 'non-numeric-amount':
          props.amount = '12O.00';
          break;
        case 'huge-string':
          // 100 kB in the email property: over HubSpot's 65,536-character limit for any string value.
          props.email = `${'x'.repeat(100_000)}`;
          break;
        case 'unicode-id':
          servedId = [...id].map((d) => ARABIC_DIGITS[Number(d)] ?? d).join('');
          rec.id = servedId;
          break;
        case 'duplicate-id':
          results.push(structuredClone(rec));
          expect = 'store-once';
          break;
      }
      this.corrupted.push({ objectType: kind, id, kind: corruption, servedId, expect, via });
      this.corruptStep[kind]++;
      this.malformedLeft--;
      this.injected++;
      if (this.malformedLeft <= 0) return;
    }
  }

  /** A record to corrupt this way, spread over the page; negative amounts only on won deals with an amount. */
  private pick(results: Array<Record<string, unknown>>, used: Set<number>, corruption: Corruption['kind'], i: number): number | undefined {
    const n = results.length;
    const start = Math.floor(((i * 2 + 1) * n) / 6);
    for (let k = 0; k < n; k++) {
      const at = (start + k) % n;
      if (used.has(at)) continue;
      const rec = results[at]!;
      if (typeof rec.id !== 'string') continue;
      const props = rec.properties as Record<string, unknown>;
      if (corruption === 'negative-amount' && !(props.dealstage === 'closedwon' && typeof props.amount === 'string' && props.amount !== '')) continue;
      if (this.corrupted.some((c) => c.id === rec.id)) continue;
      return at;
    }
    return undefined;
  }
}

function serverError(nth: number): Reply {
  const status = [502, 503, 500][(nth - 1) % 3]!;
  if (status === 500) {
    return {
      status,
      body: { status: 'error', message: 'internal error', correlationId: randomUUID(), category: 'INTERNAL_ERROR' },
    };
  }
  const title = status === 502 ? '502 Bad Gateway' : '503 Service Temporarily Unavailable';
  return {
    status,
    headers: { 'Content-Type': 'text/html' },
    body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`,
  };
}
