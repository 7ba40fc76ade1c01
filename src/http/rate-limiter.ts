import { sleep } from './sleep.js';

/**
 * A rolling-window limiter: at most `max` starts in any `intervalMs`. Platforms count requests
 * the same way (HubSpot's TEN_SECONDLY_ROLLING, Marketo's 100 per 20 s), so a window rather
 * than a token bucket keeps us under the real limit even in bursts.
 */
export interface RateLimit {
  max: number;
  intervalMs: number;
}

export class RollingWindowLimiter {
  private readonly starts: number[] = [];
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly limit: RateLimit,
    // Monotonic: a wall-clock jump back would otherwise stall every call for the size of the jump.
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.max >= 1) || !(limit.intervalMs > 0)) {
      throw new Error(`rate limit must allow at least 1 request per interval, got ${JSON.stringify(limit)}`);
    }
  }

  /** Resolves when one more request may start; callers are served in order. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot(signal));
    // A caller that gives up must not block the ones behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * The platform says only `remaining` requests are left in its current window (its counters
   * include other processes with the same credentials, and this process's previous runs): never
   * allow more than that locally. The shortfall is counted as requests made now, so it frees up
   * one interval later, a little after the platform's own window has moved on.
   */
  observeRemaining(remaining: number): void {
    if (!Number.isFinite(remaining) || remaining < 0) return;
    const now = this.now();
    while (this.starts.length > 0 && this.starts[0]! <= now - this.limit.intervalMs) this.starts.shift();
    const allowedHere = this.limit.max - this.starts.length;
    for (let k = 0; k < allowedHere - remaining; k++) this.starts.push(now);
  }

  /** After the platform said "slow down", stop everyone for a while. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  private async waitForSlot(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      while (this.starts.length > 0 && this.starts[0]! <= now - this.limit.intervalMs) this.starts.shift();
      const waitPause = this.pausedUntil - now;
      const waitWindow =
        this.starts.length >= this.limit.max ? this.starts[0]! + this.limit.intervalMs - now + 1 : 0;
      const wait = Math.max(waitPause, waitWindow);
      if (wait <= 0) {
        this.starts.push(now);
        return;
      }
      await sleep(wait, signal);
    }
  }
}

/** Caps requests in flight (Marketo allows 10 at once). */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so no newcomer can slip in between.
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
