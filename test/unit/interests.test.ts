import { describe, expect, it } from 'vitest';
import { computeInterests, productTypeSlug, type InterestInputs } from '../../src/segmentation/interests.js';
import { featureLabel } from '../../src/segmentation/features.js';
import { RuleSchema, evaluateRule } from '../../src/segmentation/rules.js';
import { ClusteringSchema } from '../../src/segmentation/clustering-config.js';

const DAY = 86_400_000;
const REF = Date.parse('2026-12-01T00:00:00Z');
const inputs = (items: Array<[number, string | null, number, number?]>, checkouts: Array<[number, number]> = []): InterestInputs => ({
  items: {
    profileIndex: Int32Array.from(items, (x) => x[0]),
    productType: items.map((x) => x[1]),
    amount: Float64Array.from(items, (x) => x[2]),
    atMs: Float64Array.from(items, (x) => REF - (x[3] ?? 10) * DAY),
  },
  checkouts: { profileIndex: Int32Array.from(checkouts, (x) => x[0]), atMs: Float64Array.from(checkouts, (x) => REF - x[1] * DAY) },
});

describe('interests', () => {
  it('names a product type in lower camel case', () => {
    expect(['Coffee', 'Coffee Beans', 'T-Shirts', 'Crème brûlée', '3D Prints', '  ', 'USB cables'].map(productTypeSlug))
      .toEqual(['coffee', 'coffeeBeans', 'tShirts', 'cremeBrulee', 'type3dPrints', null, 'usbCables']);
    expect(featureLabel('interests.coffeeBeans')).toBe('share of spend on coffee beans');
  });

  it('shares of each person\'s line-item spend on the store\'s top types; missing without items, 0 for a buyer of other things', () => {
    const r = computeInterests(4, inputs([[0, 'Coffee', 30], [0, 'Tea', 10], [0, 'coffee', 20], [1, 'Tea', 60], [1, null, 40], [2, 'Mugs', 5], [0, 'Coffee', 99, -3]]), REF);
    // Person 0: coffee 50 of 60 (the purchase after the reference date does not count); "Coffee" and "coffee" are one type.
    expect([...r.shares.keys()]).toEqual(['tea', 'coffee', 'mugs']);
    expect(Array.from(r.shares.get('coffee')!)).toEqual([50 / 60, 0, 0, Number.NaN]);
    expect(Array.from(r.shares.get('tea')!)).toEqual([10 / 60, 0.6, 0, Number.NaN]);
    expect(r.topProductType).toEqual(['Coffee', 'Tea', 'Mugs', null]);
    expect(Array.from(r.topProductTypeShare)).toEqual([50 / 60, 0.6, 1, Number.NaN]);
  });

  it('keeps the top 8 product types of the store by spend, ties by name', () => {
    const types = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6', 'g7', 'h8', 'i9', 'j10'];
    const r = computeInterests(1, inputs(types.map((t, n) => [0, t, n < 2 ? 5 : 10 + n])), REF);
    expect([...r.shares.keys()]).toEqual(['j10', 'i9', 'h8', 'g7', 'f6', 'e5', 'd4', 'c3']);
  });

  it('abandoned checkouts: days since the last, count in 90 days; missing for all when nobody has any', () => {
    const r = computeInterests(3, inputs([], [[0, 100], [0, 10], [1, 91], [1, -2]]), REF);
    expect(Array.from(r.daysSinceLastAbandonedCheckout)).toEqual([10, 91, Number.NaN]);
    expect(Array.from(r.abandonedCheckouts90d)).toEqual([1, 0, 0]);
    const none = computeInterests(2, inputs([]), REF);
    expect(Array.from(none.abandonedCheckouts90d)).toEqual([Number.NaN, Number.NaN]);
  });

  it('rules and clustering accept interests.<slug>; a rule reads the share, and a type without a feature never matches', () => {
    const rule = RuleSchema.parse({ op: 'gte', field: 'interests.coffee', value: 0.5 });
    const shares = new Map([['coffee', Float64Array.from([0.8, 0.5, 0.2, Number.NaN])]]);
    const features = { rows: 4, interests: shares } as never;
    expect([0, 1, 2, 3].map((i) => evaluateRule(rule, features, i))).toEqual([true, true, false, false]);
    expect([0, 1].map((i) => evaluateRule(RuleSchema.parse({ op: 'gte', field: 'interests.tea', value: 0 }), features, i))).toEqual([false, false]);
    expect(() => RuleSchema.parse({ op: 'gte', field: 'interests.Coffee Beans', value: 0.5 })).toThrow(/interests\.<productType>/);
    expect(ClusteringSchema.safeParse({ features: ['interests.coffee', 'lifetimeMonetary'] }).success).toBe(true);
  });
});
