import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter, RollingWindowLimiter } from '../../src/http/rate-limiter.js';
import { backoffDelay } from '../../src/http/backoff.js';
import { parseRetryAfter } from '../../src/http/errors.js';

describe('ConcurrencyLimiter', () => {
  it('never lets more than max tasks run at once, even when newcomers arrive as one finishes', async () => {
    const limiter = new ConcurrencyLimiter(2);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
    };
    const all: Array<Promise<void>> = [];
    for (let i = 0; i < 40; i++) {
      all.push(limiter.run(task));
      if (i % 3 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(peak).toBe(2);
  });
});

describe('RollingWindowLimiter', () => {
  it('lets at most max starts into any window', async () => {
    const limiter = new RollingWindowLimiter({ max: 3, intervalMs: 40 });
    const starts: number[] = [];
    for (let i = 0; i < 10; i++) {
      await limiter.acquire();
      starts.push(performance.now());
    }
    for (let i = 3; i < starts.length; i++) expect(starts[i]! - starts[i - 3]!).toBeGreaterThanOrEqual(40);
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter in the upper half, capped, with Retry-After as a floor', () => {
    const policy = { baseMs: 500, maxMs: 4000 };
    expect(backoffDelay(1, policy, () => 0)).toBe(250);
    expect(backoffDelay(1, policy, () => 1)).toBe(500);
    expect(backoffDelay(3, policy, () => 1)).toBe(2000);
    expect(backoffDelay(10, policy, () => 1)).toBe(4000);
    expect(backoffDelay(1, policy, () => 1, 3000)).toBe(3000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:10 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('a platform that reports how many requests are left', () => {
  it('never allows more locally than the platform says remain; the rest frees one interval later', async () => {
    const limiter = new RollingWindowLimiter({ max: 10, intervalMs: 60 });
    const t0 = performance.now();
    await limiter.acquire(); // 1 used here, 9 more allowed by our own count...
    limiter.observeRemaining(2); // ...but the platform says only 2 remain (another process used the rest)
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await limiter.acquire();
      starts.push(performance.now() - t0);
    }
    expect(starts[0]!).toBeLessThan(60); // the two remaining go at once
    expect(starts[1]!).toBeLessThan(60);
    expect(starts[2]!).toBeGreaterThanOrEqual(60); // the third waits for the window
  });
});
