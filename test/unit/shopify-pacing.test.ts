import { describe, expect, it } from 'vitest';
import { CostPacer, estimateAvailable, throttledWaitMs, waitBeforeMs } from '../../connectors/shopify/cost.js';

const standard = { maximumAvailable: 2000, currentlyAvailable: 500, restoreRate: 100 };

describe('query-cost pacing', () => {
  it('estimates the refill since the last answer, up to the bucket size', () => {
    expect(estimateAvailable(standard, 0)).toBe(500);
    expect(estimateAvailable(standard, 2_000)).toBe(700);
    expect(estimateAvailable(standard, 60_000)).toBe(2000);
  });

  it('waits (cost − available) / restoreRate seconds before a request that does not fit', () => {
    // 998 points asked, 700 there after 2 s: (998 − 700) / 100 = 2.98 s.
    expect(waitBeforeMs(998, standard, 2_000)).toBe(2_980);
    expect(waitBeforeMs(700, standard, 2_000)).toBe(0);
    expect(waitBeforeMs(10, standard, 0)).toBe(0);
  });

  it('never waits for more than a full bucket', () => {
    const small = { maximumAvailable: 1000, currentlyAvailable: 0, restoreRate: 50 };
    expect(waitBeforeMs(5000, small, 0)).toBe(20_000);
  });

  it('computes the wait a THROTTLED answer asks for from its own throttleStatus', () => {
    expect(throttledWaitMs(502, { maximumAvailable: 2000, currentlyAvailable: 2, restoreRate: 100 })).toBe(5_000);
    expect(throttledWaitMs(252, { maximumAvailable: 1000.0, currentlyAvailable: 232, restoreRate: 50.0 })).toBe(400);
  });

  it('does not wait before it has heard from Shopify, then books what it sends', async () => {
    let now = 0;
    const pacer = new CostPacer(() => now);
    expect(pacer.waitMs(1000)).toBe(0);
    pacer.observe({ maximumAvailable: 1000, currentlyAvailable: 1000, restoreRate: 50 });
    await pacer.acquire(600);
    expect(pacer.available()).toBe(400);
    // The second request must not count the same 400 points twice: 600 − 400 = 200 → 4 s at 50/s.
    expect(pacer.waitMs(600)).toBe(4_000);
    now += 4_000;
    expect(pacer.waitMs(600)).toBe(0);
  });

  it('learns the cost Shopify reports for a document and plans with it next time', () => {
    const pacer = new CostPacer(() => 0);
    expect(pacer.costOf('CustomersPage#998', 998)).toBe(998);
    pacer.observe({ maximumAvailable: 2000, currentlyAvailable: 1500, restoreRate: 100 }, 'CustomersPage#998', 752);
    expect(pacer.costOf('CustomersPage#998', 998)).toBe(752);
    expect(pacer.bucket?.currentlyAvailable).toBe(1500);
  });
});
