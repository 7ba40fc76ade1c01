/**
 * Query-cost pacing. Shopify limits each app+store by a leaky bucket of cost points
 * (`extensions.cost.throttleStatus`: maximumAvailable, currentlyAvailable, restoreRate per second).
 * Before a request whose requested cost exceeds what the bucket holds, the client waits
 * (cost − available) / restoreRate seconds, estimating the refill since the last answer, so it is
 * (almost) never throttled. Pure maths here; the client feeds it every answer.
 */
import type { CallGate } from '../../src/http/transport.js';
import { sleep } from '../../src/http/sleep.js';
import type { ThrottleStatus } from './schemas.js';

/** Points in the bucket `elapsedMs` after it held `status.currentlyAvailable`. */
export function estimateAvailable(status: ThrottleStatus, elapsedMs: number): number {
  return Math.min(status.maximumAvailable, status.currentlyAvailable + (status.restoreRate * Math.max(0, elapsedMs)) / 1000);
}

/**
 * How long to wait before sending a request of `cost` points: (cost − available) / restoreRate s,
 * 0 when the bucket already holds enough. A cost above the bucket's size waits for a full bucket
 * (Shopify would otherwise throttle it forever).
 */
export function waitBeforeMs(cost: number, status: ThrottleStatus, elapsedMs: number): number {
  const needed = Math.min(cost, status.maximumAvailable) - estimateAvailable(status, elapsedMs);
  return needed <= 0 ? 0 : Math.ceil((needed / status.restoreRate) * 1000);
}

/** The wait a THROTTLED answer asks for: (requested − currentlyAvailable) / restoreRate s. */
export function throttledWaitMs(requested: number, status: ThrottleStatus): number {
  return waitBeforeMs(requested, status, 0);
}

/** Tracks the bucket from Shopify's answers and holds requests back until they fit. */
export class CostPacer {
  private status: ThrottleStatus | undefined;
  private observedAt = 0;
  /** Last requestedQueryCost Shopify reported per document (name and size): better than our own estimate. */
  private readonly reported = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The bucket as last reported (for sizing batches); undefined before the first answer. */
  get bucket(): ThrottleStatus | undefined {
    return this.status;
  }

  observe(status: ThrottleStatus, documentKey?: string, requested?: number | null): void {
    this.status = { ...status };
    this.observedAt = this.now();
    if (documentKey && typeof requested === 'number' && requested > 0) this.reported.set(documentKey, requested);
  }

  /** The cost to plan for: what Shopify reported for this document last time, else our estimate. */
  costOf(documentKey: string, estimate: number): number {
    return this.reported.get(documentKey) ?? estimate;
  }

  /** Milliseconds to wait now before a request of `cost` points. */
  waitMs(cost: number): number {
    return this.status ? waitBeforeMs(cost, this.status, this.now() - this.observedAt) : 0;
  }

  /** Estimated points available now (undefined before the first answer). */
  available(): number | undefined {
    return this.status ? estimateAvailable(this.status, this.now() - this.observedAt) : undefined;
  }

  /** Waits until `cost` points fit, then books them so a following request does not count them twice. */
  async acquire(cost: number, signal?: AbortSignal): Promise<void> {
    for (let wait = this.waitMs(cost); wait > 0; wait = this.waitMs(cost)) await sleep(wait, signal);
    if (this.status) {
      this.status = { ...this.status, currentlyAvailable: (this.available() ?? 0) - cost };
      this.observedAt = this.now();
    }
  }

  /** A request that was refused (throttled) cost nothing: give back what `acquire` booked. */
  refund(cost: number): void {
    const available = this.available();
    if (this.status && available !== undefined) {
      this.status = { ...this.status, currentlyAvailable: Math.min(this.status.maximumAvailable, available + cost) };
      this.observedAt = this.now();
    }
  }

  /**
   * The pacer as a per-call gate for the shared Transport, which waits for `CallMeta.limiters`
   * before every attempt (retries included) and outside its timeout.
   */
  gate(cost: number): CallGate {
    return { acquire: (signal) => this.acquire(cost, signal) };
  }
}
