import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseWorkspace } from '../../src/config/workspace.js';
import { evaluateRule, RuleSchema, type Rule } from '../../src/segmentation/rules.js';
import {
  CATEGORY_FEATURES, DATE_FEATURES, NUMBER_FEATURES,
  type CategoryFeature, type DateFeature, type FeatureSet, type NumberFeature,
} from '../../src/segmentation/features.js';

const REF = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

interface Person {
  numbers: Partial<Record<NumberFeature, number>>;
  dates: Partial<Record<DateFeature, number>>;
  categories: Partial<Record<CategoryFeature, string>>;
  attributes: Record<string, string | number | boolean | null>;
  purchases: Array<{ at: number; amount: number }>;
}

/** One profile as a one-row feature set. */
function person(overrides: Partial<Person> = {}): FeatureSet {
  const p: Person = {
    numbers: { recencyDays: 40, frequency: 3, monetary: 620, lifetimeFrequency: 5, lifetimeMonetary: 900 },
    dates: { lastPurchaseAt: REF - 40 * DAY, createdAt: REF - 400 * DAY },
    categories: { country: 'DE', city: 'Berlin', emailConsent: 'subscribed', rfmSegment: 'at_risk' },
    attributes: { loyaltyTier: 'gold', ordersCount: '12' },
    purchases: [{ at: REF - 40 * DAY, amount: 70 }, { at: REF - 25 * DAY, amount: 250 }, { at: REF - 10 * DAY, amount: 300 }],
    ...overrides,
  };
  return {
    rows: 1,
    referenceMs: REF,
    windowDays: 365,
    numbers: Object.fromEntries(NUMBER_FEATURES.map((k) => [k, Float64Array.of(p.numbers[k] ?? Number.NaN)])) as FeatureSet['numbers'],
    dates: Object.fromEntries(DATE_FEATURES.map((k) => [k, Float64Array.of(p.dates[k] ?? Number.NaN)])) as FeatureSet['dates'],
    categories: Object.fromEntries(CATEGORY_FEATURES.map((k) => [k, [p.categories[k] ?? null]])) as FeatureSet['categories'],
    attributes: new Map(Object.entries(p.attributes).map(([k, v]) => [k, [v]])),
    purchases: {
      offsets: Int32Array.of(0, p.purchases.length),
      atMs: Float64Array.from(p.purchases.map((x) => x.at)),
      amount: Float64Array.from(p.purchases.map((x) => x.amount)),
    },
  };
}
const holds = (rule: Rule, facts = person()) => evaluateRule(RuleSchema.parse(rule), facts, 0);

describe('rule segments', () => {
  it('"recent high spenders": spent at least 500 in the last 30 days', () => {
    expect(holds({ op: 'spentWithinDays', days: 30, atLeast: 500 })).toBe(true); // 300 + 250
    expect(holds({ op: 'spentWithinDays', days: 20, atLeast: 500 })).toBe(false); // only 300
  });

  it('"German customers who are dormant": combines a static attribute and behaviour', () => {
    const rule: Rule = { op: 'all', rules: [{ op: 'in', field: 'country', values: ['DE', 'AT'] }, { op: 'gte', field: 'recencyDays', value: 30 }] };
    expect(holds(rule)).toBe(true);
    expect(holds(rule, person({ categories: { country: 'FR' } }))).toBe(false);
  });

  it('any / not / between / withinDays / exists / mapped attributes', () => {
    expect(holds({ op: 'any', rules: [{ op: 'eq', field: 'city', value: 'Paris' }, { op: 'eq', field: 'attributes.loyaltyTier', value: 'GOLD' }] })).toBe(true);
    expect(holds({ op: 'not', rule: { op: 'eq', field: 'emailConsent', value: 'subscribed' } })).toBe(false);
    expect(holds({ op: 'between', field: 'monetary', min: 600, max: 700 })).toBe(true);
    expect(holds({ op: 'withinDays', field: 'lastPurchaseAt', days: 40 })).toBe(true);
    expect(holds({ op: 'withinDays', field: 'lastPurchaseAt', days: 39 })).toBe(false);
    expect(holds({ op: 'exists', field: 'attributes.referrer' })).toBe(false);
  });

  it('compares mapped attributes as numbers, and a non-number never matches', () => {
    expect(holds({ op: 'gte', field: 'attributes.ordersCount', value: 10 })).toBe(true);
    expect(holds({ op: 'between', field: 'attributes.ordersCount', min: 13, max: 20 })).toBe(false);
    expect(holds({ op: 'gt', field: 'attributes.loyaltyTier', value: 0 })).toBe(false);
  });

  it('"German customers who are dormant": lifecycle stage combines with a static attribute', () => {
    const rule: Rule = { op: 'all', rules: [{ op: 'eq', field: 'country', value: 'de' }, { op: 'eq', field: 'lifecycleStage', value: 'dormant' }] };
    expect(holds(rule, person({ categories: { country: 'DE', lifecycleStage: 'dormant' } }))).toBe(true);
    expect(holds(rule, person({ categories: { country: 'DE', lifecycleStage: 'active' } }))).toBe(false);
  });

  it('a missing value never satisfies a comparison', () => {
    const prospect = person({ numbers: { frequency: 0, monetary: 0 }, dates: {}, purchases: [] });
    expect(holds({ op: 'lt', field: 'recencyDays', value: 1000 }, prospect)).toBe(false);
    expect(holds({ op: 'gte', field: 'recencyDays', value: 0 }, prospect)).toBe(false);
  });

  it('a config with a bad rule names the segment, the field and what is allowed', () => {
    const config = { segments: [{ key: 'dormant_germans', name: 'Dormant Germans', rule: { op: 'all', rules: [{ op: 'gte', field: 'recency', value: 90 }] } }] };
    expect(() => parseWorkspace(config, 'workspace config x.yaml', ['hubspot'])).toThrow(ConfigError);
    expect(() => parseWorkspace(config, 'workspace config x.yaml', ['hubspot'])).toThrow(/segments\.0 \(dormant_germans\)\.rule\.rules\.0\.field: "recency" is not a number feature; use one of recencyDays/);
  });

  it('a config with an unknown operator or a duplicate key is refused', () => {
    const unknownOp = { segments: [{ key: 'a', name: 'A', rule: { op: 'like', field: 'city', value: 'B%' } }] };
    expect(() => parseWorkspace(unknownOp, 'w', ['hubspot'])).toThrow(/unknown op/);
    const duplicate = { segments: [{ key: 'champions', name: 'Mine', rule: { op: 'exists', field: 'city' } }] };
    expect(() => parseWorkspace({ ...duplicate, segmentation: { rfmSegments: [{ key: 'champions', name: 'C', pattern: '[1-5][1-5]' }] } }, 'w', ['hubspot'])).toThrow(/already used/);
  });

  it('refuses a category value no profile can have, naming the rule, the field and the allowed values', () => {
    const typo = { segments: [{ key: 'sleepy', name: 'Sleepy', rule: { op: 'in', field: 'lifecycleStage', values: ['dormnt'] } }] };
    expect(() => parseWorkspace(typo, 'w.yaml', ['hubspot'])).toThrow(/segments\.0 \(sleepy\)\.rule: lifecycleStage is never "dormnt"; use one of prospect, new, active, dormant, churned/);
    const rfm = { segments: [{ key: 'champs', name: 'Champs', rule: { op: 'eq', field: 'rfmSegment', value: 'champion' } }] };
    expect(() => parseWorkspace(rfm, 'w.yaml', ['hubspot'])).toThrow(/rfmSegment is never "champion"; use one of lost, prospects, champions/);
    const persona = { segments: [{ key: 'p', name: 'P', rule: { op: 'eq', field: 'persona', value: 'Lapsed regulars' } }] };
    expect(() => parseWorkspace(persona, 'w.yaml', ['hubspot'])).toThrow(/persona keys look like persona_lapsed_regulars/);
  });

  it('keeps persona keys and list names for personas, and default RFM keys for RFM', () => {
    const key = { segments: [{ key: 'persona_vip', name: 'VIP', rule: { op: 'exists', field: 'city' } }] };
    expect(() => parseWorkspace(key, 'w.yaml', ['hubspot'])).toThrow(/keys starting with "persona_" are reserved for personas/);
    const name = { segments: [{ key: 'vip', name: 'Persona: VIP', rule: { op: 'exists', field: 'city' } }] };
    expect(() => parseWorkspace(name, 'w.yaml', ['hubspot'])).toThrow(/names starting with "Persona: " are reserved/);
    const rfmKey = { segments: [{ key: 'champions', name: 'My champions', rule: { op: 'exists', field: 'city' } }] };
    expect(() => parseWorkspace(rfmKey, 'w.yaml', ['hubspot'])).toThrow(/"champions" is already used by another segment/);
  });

  it('counts "within N days" in whole days, as the day features do', () => {
    // Last purchase 30.5 days before the reference date: daysSinceLastPurchase = 30.
    const p = person({ dates: { lastPurchaseAt: REF - 30.5 * DAY }, numbers: { daysSinceLastPurchase: 30 }, purchases: [{ at: REF - 30.5 * DAY, amount: 600 }] });
    expect(holds({ op: 'lte', field: 'daysSinceLastPurchase', value: 30 }, p)).toBe(true);
    expect(holds({ op: 'withinDays', field: 'lastPurchaseAt', days: 30 }, p)).toBe(true);
    expect(holds({ op: 'spentWithinDays', days: 30, atLeast: 600 }, p)).toBe(true);
    expect(holds({ op: 'withinDays', field: 'lastPurchaseAt', days: 29 }, p)).toBe(false);
  });
});

/** A feature set of several profiles with only the given number columns set. */
function population(columns: Partial<Record<NumberFeature, number[]>>): FeatureSet {
  const rows = Object.values(columns)[0]!.length;
  const base = person();
  return {
    ...base,
    rows,
    numbers: Object.fromEntries(NUMBER_FEATURES.map((k) => [k, Float64Array.from(columns[k] ?? new Array<number>(rows).fill(Number.NaN))])) as FeatureSet['numbers'],
    dates: Object.fromEntries(DATE_FEATURES.map((k) => [k, new Float64Array(rows).fill(Number.NaN)])) as FeatureSet['dates'],
    categories: Object.fromEntries(CATEGORY_FEATURES.map((k) => [k, new Array<string | null>(rows).fill(null)])) as FeatureSet['categories'],
    attributes: new Map(),
    purchases: { offsets: new Int32Array(rows + 1), atMs: new Float64Array(0), amount: new Float64Array(0) },
  };
}
const members = (rule: Rule, facts: FeatureSet) => Array.from({ length: facts.rows }, (_, i) => i).filter((i) => evaluateRule(RuleSchema.parse(rule), facts, i));

describe('percentile rules', () => {
  // Ten customers with CLV 10, 20, ..., 100 and one prospect (no CLV); P(alive) falls as CLV rises for the last three.
  const facts = population({
    clv: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, Number.NaN],
    pAlive: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.4, 0.3, Number.NaN],
  });

  it('"top 20%" is the two highest of the ten customers who have a value; prospects never count', () => {
    expect(members({ op: 'top', field: 'clv', percent: 20 }, facts)).toEqual([8, 9]);
    expect(members({ op: 'bottom', field: 'clv', percent: 30 }, facts)).toEqual([0, 1, 2]);
    expect(members({ op: 'top', field: 'clv', percent: 100 }, facts)).toHaveLength(10);
  });

  it('"high value at risk": CLV in the top 20% and P(alive) below 0.5', () => {
    const rule: Rule = { op: 'all', rules: [{ op: 'top', field: 'clv', percent: 20 }, { op: 'lt', field: 'pAlive', value: 0.5 }] };
    expect(members(rule, facts)).toEqual([8, 9]);
    const top30: Rule = { op: 'all', rules: [{ op: 'top', field: 'clv', percent: 30 }, { op: 'lt', field: 'pAlive', value: 0.5 }] };
    expect(members(top30, facts)).toEqual([8, 9]); // the 80-CLV customer is in the top 30% but likely alive
  });

  it('"top 7%" of 100 customers is 7 of them (7/100·100 is 7.000000000000001 in floating point)', () => {
    const hundred = population({ clv: Array.from({ length: 100 }, (_, i) => i + 1) });
    expect(members({ op: 'top', field: 'clv', percent: 7 }, hundred)).toHaveLength(7);
    expect(members({ op: 'bottom', field: 'clv', percent: 14 }, hundred)).toHaveLength(14);
    expect(members({ op: 'top', field: 'clv', percent: 28 }, hundred)).toHaveLength(28);
  });

  it('keeps tied values together at the cut', () => {
    const tied = population({ clv: [5, 7, 7, 7, 1] });
    expect(members({ op: 'top', field: 'clv', percent: 20 }, tied)).toEqual([1, 2, 3]);
  });

  it('refuses a percent of 0 or a non-number field, naming the fix', () => {
    expect(() => RuleSchema.parse({ op: 'top', field: 'clv', percent: 0 })).toThrow(/percent must be above 0/);
    expect(() => RuleSchema.parse({ op: 'top', field: 'country', percent: 10 })).toThrow(/not a number feature/);
  });
});
