/**
 * The kinds of trouble every emulator can make on request (reliability tests, and
 * `segsync sandbox --faults`), each in the platform's own form:
 * - throttle-burst: a burst of rate-limit answers (HubSpot 429 with its policy body, Marketo 606
 *   inside an HTTP 200, Shopify THROTTLED GraphQL errors);
 * - server-errors: 500/502/503 answers;
 * - resets: connections destroyed without an answer;
 * - slow: answers delayed past the client's timeout;
 * - malformed-records: some records in pages with wrong types, missing ids, impossible dates,
 *   negative or non-numeric amounts, huge strings, duplicate ids in one page (the rest valid);
 * - token-expiry: the access token stops working mid-run (the client must re-authenticate or fail clearly);
 * - concurrent-writer: a second writer changes records while a pull pages through them.
 */
export const FAULT_KINDS = ['throttle-burst', 'server-errors', 'resets', 'slow', 'malformed-records', 'token-expiry', 'concurrent-writer'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultScenario {
  kind: FaultKind;
  /** How many faults to inject (requests answered badly, or records corrupted/changed); a per-kind default otherwise. */
  count?: number;
}

/** What every emulator offers for fault scenarios. */
export interface FaultInjector {
  /** Schedules the scenario's faults; they fire as matching requests arrive. */
  injectScenario(scenario: FaultScenario): void;
  /** Faults injected so far (answers given instead of the real thing, records corrupted or changed). */
  faultsInjected(): number;
}

/** A fault an emulator answers instead of the real thing, for reliability tests. */
export interface EmulatorFault {
  /** Tested against `${METHOD} ${path}` (path as given to handle(); Shopify adds the operation name). */
  match: RegExp;
  /** How many matching requests get this answer; default 1. */
  times?: number;
  /** HTTP status to answer; 0 = destroy the connection without answering (a reset). */
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** Faults waiting to be answered, each for its number of matching requests. */
export class FaultQueue {
  private faults: Array<EmulatorFault & { left: number }> = [];

  add(fault: EmulatorFault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** The fault that answers this request (described by `key`), after its delay; counts it down. */
  async take(key: string): Promise<EmulatorFault | undefined> {
    const fault = this.faults.find((f) => f.left > 0 && f.match.test(key));
    if (!fault) return undefined;
    fault.left--;
    this.faults = this.faults.filter((f) => f.left > 0);
    if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    return fault;
  }
}
