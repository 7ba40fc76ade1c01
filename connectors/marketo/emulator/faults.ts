/**
 * Fault scenarios of the Marketo emulator (src/sandbox/emulator-faults.ts), in Marketo's own form:
 * - throttle-burst: 606 "Max rate limit" (and every third one 615 "Concurrent access limit") inside
 *   an HTTP 200;
 * - server-errors: the gateway's 502/503 pages, and 604 "Request timed out" / 611 "System error"
 *   inside an HTTP 200;
 * - resets: the connection destroyed without an answer;
 * - slow: the answer given only after `faultDelayMs` (the request is still carried out, late, as a
 *   real server does after the client gave up);
 * - malformed-records: some leads in served bulk-export files and some opportunities in served REST
 *   pages corrupted (the instance's data stays intact), with the list of what was corrupted;
 * - token-expiry: the access token in use stops working (602 expired, then 601 invalid);
 * - concurrent-writer: leads and opportunities changed, created and deleted while a pull pages.
 *
 * Faults are spread over kinds of request (bulk status/file, roles, opportunities, list writes,
 * lead writes), each firing after a few matching requests went through, so that no single call
 * meets more than one fault in a row. No state here besides the schedule and the counts.
 */
import type { FaultKind, FaultScenario } from '../../../src/sandbox/emulator-faults.js';
import type { Reply } from './http-support.js';
import { errorReply } from './http-support.js';
import type { LeadValue } from './state.js';

/** Request kinds faults are aimed at (tested against `${METHOD} ${path}`, path with its query). */
export const TARGET = {
  exportCreate: /^POST \/bulk\/v1\/leads\/export\/create\.json/,
  exportStatus: /^GET \/bulk\/v1\/leads\/export\/[^/]+\/status\.json/,
  exportFile: /^GET \/bulk\/v1\/leads\/export\/[^/]+\/file\.json/,
  roles: /^(GET|POST) \/rest\/v1\/opportunities\/roles\.json/,
  opportunities: /^(GET|POST) \/rest\/v1\/opportunities\.json/,
  deletedLeads: /^GET \/rest\/v1\/activities\/deletedleads\.json/,
  listCreate: /^POST \/rest\/asset\/v1\/staticLists\.json/,
  listAdd: /^POST \/rest\/v1\/lists\/\d+\/leads\.json/,
  leadsWrite: /^POST \/rest\/v1\/leads\.json(?!\?_method)/,
  describe: /^GET \/rest\/v1\/leads\/describe\.json/,
} as const;

export type ScheduledAction =
  | { type: 'reply'; reply: () => Reply }
  | { type: 'reset' }
  | { type: 'slow' }
  | { type: 'expire-token'; code: '601' | '602' }
  | { type: 'write'; label: string; apply: () => void };

interface Scheduled {
  kind: FaultKind;
  match: RegExp;
  /** Matching requests let through before this one fires. */
  skip: number;
  seen: number;
  fired: boolean;
  action: ScheduledAction;
}

export const DEFAULT_COUNTS: Record<FaultKind, number> = {
  'throttle-burst': 5,
  'server-errors': 4,
  resets: 3,
  slow: 3,
  'malformed-records': 14,
  'token-expiry': 2,
  'concurrent-writer': 6,
};

export function throttleReply(nowMs: number, i: number): Reply {
  return i % 3 === 2
    ? errorReply(nowMs, '615', 'Concurrent access limit reached')
    : errorReply(nowMs, '606', "Max rate limit '100' exceeded with in '20' secs");
}

export function serverErrorReply(nowMs: number, i: number): Reply {
  switch (i % 4) {
    case 0:
      return { status: 502, text: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>', headers: { 'Content-Type': 'text/html' } };
    case 1:
      return errorReply(nowMs, '604', 'Request timed out');
    case 2:
      return { status: 503, text: '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>', headers: { 'Content-Type': 'text/html' } };
    default:
      return errorReply(nowMs, '611', 'System error');
  }
}

/** The schedule of faults, and what fired. */
export class ScenarioSchedule {
  private readonly entries: Scheduled[] = [];
  /** Faults injected so far, every kind. */
  injected = 0;
  readonly byKind = new Map<FaultKind, number>();

  add(kind: FaultKind, match: RegExp, skip: number, action: ScheduledAction): void {
    this.entries.push({ kind, match, skip, seen: 0, fired: false, action });
  }

  count(kind: FaultKind, n = 1): void {
    this.injected += n;
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + n);
  }

  /** The action for this request, if one is due: every matching entry sees it, the first ready one fires. */
  take(key: string): { kind: FaultKind; action: ScheduledAction } | undefined {
    let due: Scheduled | undefined;
    for (const e of this.entries) {
      if (e.fired || !e.match.test(key)) continue;
      e.seen++;
      if (!due && e.seen > e.skip) due = e;
    }
    if (!due) return undefined;
    due.fired = true;
    return { kind: due.kind, action: due.action };
  }

  /** Scheduled faults that never met a matching request. */
  pending(): Array<{ kind: FaultKind; match: string }> {
    return this.entries.filter((e) => !e.fired).map((e) => ({ kind: e.kind, match: e.match.source }));
  }
}

/** Spreads `count` faults over `targets`: the i-th goes to targets[i % n], after a few matching requests. */
export function spread(count: number, targets: readonly RegExp[], first = 0, gap = 2): Array<{ match: RegExp; skip: number; i: number }> {
  return Array.from({ length: count }, (_, i) => ({ match: targets[i % targets.length]!, skip: first + Math.floor(i / targets.length) * gap, i }));
}

export type { FaultScenario, LeadValue };
