import { ApiError } from './errors.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffPolicy } from './backoff.js';
import { type RollingWindowLimiter } from './rate-limiter.js';
import { sleep } from './sleep.js';

/** Anything that makes a call wait its turn: a rate window, a cost bucket. */
export interface CallGate {
  acquire(signal?: AbortSignal): Promise<void>;
}

/** What one call is, for limits, counting and error messages. */
export interface CallMeta {
  /** e.g. "GET /crm/v3/objects/contacts". Never contains credentials. */
  call: string;
  write: boolean;
  /** Extra gates for this call (HubSpot search's per-second limit, Shopify's cost bucket). */
  limiters?: CallGate[];
}

export interface TransportStats {
  reads: number;
  writes: number;
  retries: number;
  throttled: number;
}

export interface TransportEvents {
  onRetry?(info: { call: string; attempt: number; delayMs: number; error: ApiError }): void;
}

export interface TransportOptions {
  platform: string;
  /** Applies to every call of this platform. */
  limiter: RollingWindowLimiter;
  /** Turns whatever `send` threw into an ApiError. */
  classify: (error: unknown, call: string) => ApiError;
  maxAttempts?: number;
  timeoutMs?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  events?: TransportEvents;
  /** Waiting between attempts; tests record the waits instead of sleeping. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class TimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * The shared resilient transport: every platform call goes through `request`, which waits for
 * the rate limiters, enforces a timeout, and retries rate limits, 5xx and network errors with
 * backoff. Other errors are thrown at once as ApiError.
 */
export class Transport {
  readonly stats: TransportStats = { reads: 0, writes: 0, retries: 0, throttled: 0 };
  readonly platform: string;
  private readonly options: Required<Omit<TransportOptions, 'events'>> & { events: TransportEvents };

  constructor(options: TransportOptions) {
    this.platform = options.platform;
    this.options = {
      maxAttempts: 5,
      timeoutMs: 30_000,
      backoff: DEFAULT_BACKOFF,
      random: Math.random,
      events: {},
      sleep,
      ...options,
    };
  }

  async request<T>(meta: CallMeta, send: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
    const { maxAttempts, limiter, classify, backoff, random, events } = this.options;
    const wait = this.options.sleep;
    for (let attempt = 1; ; attempt++) {
      await limiter.acquire(outer);
      for (const extra of meta.limiters ?? []) await extra.acquire(outer);
      if (meta.write) this.stats.writes++;
      else this.stats.reads++;
      try {
        return await this.withTimeout(send, outer);
      } catch (raw) {
        if (outer?.aborted) throw outer.reason;
        const error = raw instanceof ApiError ? raw : classify(raw, meta.call);
        error.attempts = attempt;
        if (error.kind === 'rate_limited') {
          this.stats.throttled++;
          if (error.retryAfterMs !== undefined) limiter.pause(error.retryAfterMs);
        }
        if (!error.retryable || attempt >= maxAttempts) throw error;
        const delayMs = backoffDelay(attempt, backoff, random, error.retryAfterMs);
        this.stats.retries++;
        events.onRetry?.({ call: meta.call, attempt, delayMs, error });
        await wait(delayMs, outer);
      }
    }
  }

  private async withTimeout<T>(send: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
    const controller = new AbortController();
    const onOuterAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new TimeoutError(this.options.timeoutMs);
        controller.abort(error);
        reject(error);
      }, this.options.timeoutMs);
    });
    try {
      return await Promise.race([send(controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }
}
