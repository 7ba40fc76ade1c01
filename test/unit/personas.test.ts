import { describe, expect, it } from 'vitest';

import {
  CATEGORY_FEATURES,
  DATE_FEATURES,
  NUMBER_FEATURES,
  type FeatureSet,
  type NumberFeature,
} from '../../src/segmentation/features.js';
import {
  describePersonas,
  labelFor,
  LAPSED_DAYS,
  PERSONA_FEATURES,
  personaKey,
  TRAIT_THRESHOLD,
  type ClusterProfile,
} from '../../src/segmentation/personas.js';
import { personaClaimViolations } from '../helpers/persona-claims.js';

type PersonaFeature = (typeof PERSONA_FEATURES)[number];

/** An unremarkable repeat customer: every z 0, active, no lapse. Tests override what they need. */
function cluster(
  medians: Partial<ClusterProfile['medians']> = {},
  z: Partial<ClusterProfile['z']> = {},
  stages: ClusterProfile['stages'] = { active: 1 },
): ClusterProfile {
  return {
    medians: {
      daysSinceLastPurchase: 30,
      lifetimeFrequency: 3,
      averageOrderValue: 50,
      lifetimeMonetary: 150,
      meanDaysBetweenPurchases: 40,
      tenureDays: 400,
      daysSinceFirstPurchase: 365,
      spendTrend: 0,
      emailOpens: null,
      ...medians,
    },
    z: {
      daysSinceLastPurchase: 0,
      lifetimeFrequency: 0,
      averageOrderValue: 0,
      lifetimeMonetary: 0,
      meanDaysBetweenPurchases: 0,
      tenureDays: 0,
      daysSinceFirstPurchase: 0,
      spendTrend: 0,
      emailOpens: 0,
      ...z,
    },
    stages,
  };
}

const lapsedStages = { churned: 0.6, dormant: 0.4 };

describe('labelFor', () => {
  const TABLE: Array<[string, ClusterProfile, string]> = [
    // New: first purchase at most 60 days ago, whatever else.
    ['new, big orders', cluster({ daysSinceFirstPurchase: 30 }, { averageOrderValue: 0.75 }), 'New big spenders'],
    ['new, one order, first bought exactly 60 days ago', cluster({ daysSinceFirstPurchase: 60, lifetimeFrequency: 1 }), 'New first-time buyers'],
    ['new, several orders', cluster({ daysSinceFirstPurchase: 45, lifetimeFrequency: 2 }), 'New repeat buyers'],
    ['new beats lapsed and one-time', cluster({ daysSinceFirstPurchase: 10, lifetimeFrequency: 1, daysSinceLastPurchase: 400 }, {}, lapsedStages), 'New first-time buyers'],
    ['first bought 61 days ago: not new', cluster({ daysSinceFirstPurchase: 61 }), 'Occasional buyers'],
    // One-timers: median of at most one purchase.
    ['one-timer, small orders', cluster({ lifetimeFrequency: 1 }, { averageOrderValue: -0.75 }), 'Bargain one-timers'],
    ['one-timer, big orders', cluster({ lifetimeFrequency: 1 }, { averageOrderValue: 0.75 }), 'Big-ticket one-timers'],
    ['one-timer, big orders, lapsed', cluster({ lifetimeFrequency: 1, daysSinceLastPurchase: 500 }, { averageOrderValue: 1 }, lapsedStages), 'Big-ticket one-timers'],
    ['one-timer, lapsed', cluster({ lifetimeFrequency: 1, daysSinceLastPurchase: 366 }, {}, lapsedStages), 'Lapsed one-timers'],
    ['one-timer, silent exactly 365 days: not lapsed', cluster({ lifetimeFrequency: 1, daysSinceLastPurchase: 365 }, {}, lapsedStages), 'One-time buyers'],
    ['one-timer, plain', cluster({ lifetimeFrequency: 1 }, { averageOrderValue: -0.74 }), 'One-time buyers'],
    ['no purchases counted as a one-timer', cluster({ lifetimeFrequency: null }), 'One-time buyers'],
    // Lapsed: at least half churned and a median silence over a year.
    ['lapsed, big orders', cluster({ daysSinceLastPurchase: 400 }, { averageOrderValue: 0.75, lifetimeFrequency: 1 }, lapsedStages), 'Lapsed big spenders'],
    ['lapsed, frequent', cluster({ daysSinceLastPurchase: 400 }, { lifetimeFrequency: 0.5 }, lapsedStages), 'Lapsed regulars'],
    ['lapsed, otherwise plain', cluster({ daysSinceLastPurchase: 400 }, {}, { churned: 0.5, dormant: 0.5 }), 'Lapsed customers'],
    ['under half churned: not lapsed', cluster({ daysSinceLastPurchase: 400 }, {}, { churned: 0.49, dormant: 0.51 }), 'Occasional buyers'],
    // Frequent: z of purchases at least 0.5.
    ['frequent, big orders', cluster({}, { lifetimeFrequency: 0.5, averageOrderValue: 0.75 }), 'High-value loyalists'],
    ['frequent, orders a little below average', cluster({}, { lifetimeFrequency: 1, averageOrderValue: -0.01, lifetimeMonetary: 2 }), 'Frequent small buyers'],
    ['frequent, average orders, high lifetime value', cluster({}, { lifetimeFrequency: 1, lifetimeMonetary: 0.5 }), 'High-value loyalists'],
    ['frequent, average orders, ordinary lifetime value', cluster({}, { lifetimeFrequency: 1, lifetimeMonetary: 0.49 }), 'Loyal regulars'],
    // Occasional: everyone else.
    ['occasional, big orders', cluster({}, { lifetimeFrequency: 0.49, averageOrderValue: 0.75 }), 'Occasional big spenders'],
    ['occasional, small orders', cluster({}, { averageOrderValue: -0.75 }), 'Occasional bargain hunters'],
    ['occasional, plain', cluster({}, { averageOrderValue: 0.74 }), 'Occasional buyers'],
  ];

  it.each(TABLE)('labels %s', (_what, profile, label) => {
    expect(labelFor(profile)).toBe(label);
  });

  it('uses a trait threshold of 0.5 and calls a year of silence lapsed', () => {
    expect([TRAIT_THRESHOLD, LAPSED_DAYS]).toEqual([0.5, 365]);
  });
});

describe('personaKey', () => {
  it('is "persona_" and the slug of the label', () => {
    expect(personaKey('Big-ticket one-timers')).toBe('persona_big_ticket_one_timers');
    expect(personaKey('Occasional buyers (2)')).toBe('persona_occasional_buyers_2');
    expect(personaKey('  Big -- Spenders!! ')).toBe('persona_big_spenders');
  });
});

/**
 * A hand-made FeatureSet: `values[feature]` per profile row; anything not given is NaN.
 * Only what describePersonas reads is filled in.
 */
function featureSet(rows: number, values: Partial<Record<NumberFeature, number[]>>, lifecycle: Array<string | null>): FeatureSet {
  const numbers = Object.fromEntries(
    NUMBER_FEATURES.map((key) => {
      const given = values[key];
      return [key, given ? Float64Array.from(given) : new Float64Array(rows).fill(Number.NaN)];
    }),
  ) as FeatureSet['numbers'];
  const dates = Object.fromEntries(DATE_FEATURES.map((key) => [key, new Float64Array(rows).fill(Number.NaN)])) as FeatureSet['dates'];
  const categories = Object.fromEntries(CATEGORY_FEATURES.map((key) => [key, new Array<string | null>(rows).fill(null)])) as FeatureSet['categories'];
  categories.lifecycleStage = lifecycle;
  return {
    rows,
    referenceMs: Date.UTC(2024, 5, 30),
    windowDays: 365,
    numbers,
    dates,
    categories,
    attributes: new Map(),
    purchases: { offsets: new Int32Array(rows + 1), atMs: new Float64Array(0), amount: new Float64Array(0) },
  };
}

describe('describePersonas', () => {
  // Rows 0–2 are cluster 0 (frequent, small orders), row 3 is cluster 1 (one big order),
  // row 4 is a prospect that is not clustered. Values are 2^x − 1, so log1p is x·ln 2 and
  // every z below is worked out in units of ln 2, which cancel.
  const set = featureSet(
    5,
    {
      daysSinceLastPurchase: [7, 7, 3, 127, NaN], //       log2(1+v): 3, 3, 2 | 7
      lifetimeFrequency: [7, 7, 15, 1, 0], //               3, 3, 4 | 1
      averageOrderValue: [15, 31, 63, 255, NaN], //        4, 5, 6 | 8
      lifetimeMonetary: [105, 217, 945, 255, 0],
      meanDaysBetweenPurchases: [20, 20, 124 / 14, NaN, NaN],
      tenureDays: [127, 127, 255, 127, NaN], //             7, 7, 8 | 7
      daysSinceFirstPurchase: [127, 127, 127, 127, NaN],
      spendTrend: [0.5, 0, 1, -1, NaN], //                  used as it is
    },
    ['active', 'active', 'active', 'dormant', 'prospect'],
  );
  const personas = describePersonas(set, Int32Array.of(0, 1, 2, 3), Int32Array.of(0, 0, 0, 1), 2, { currency: 'EUR' });
  const [frequent, bigTicket] = personas as [(typeof personas)[0], (typeof personas)[0]];
  const zOf = (persona: typeof frequent, feature: PersonaFeature) => persona.differences.find((d) => d.feature === feature)!.z;

  // Six customers of two kinds, alternating (rows 0, 1 | 2–5 in the twin tests): when both clusters
  // hold both kinds, every cluster mean is the population mean, every z is 0 and both are "Occasional buyers".
  const twice = <T>(pair: [T, T]): T[] => [...pair, ...pair, ...pair];
  const mixed = featureSet(
    6,
    {
      daysSinceLastPurchase: twice([10, 30]),
      lifetimeFrequency: twice([2, 4]),
      averageOrderValue: twice([30, 50]),
      lifetimeMonetary: twice([60, 200]),
      meanDaysBetweenPurchases: twice([20, 40]),
      tenureDays: twice([150, 250]),
      daysSinceFirstPurchase: twice([100, 200]),
      spendTrend: twice([0, 0.5]),
    },
    twice(['active', 'active']),
  );

  it('counts sizes and shares over the clustered profiles only', () => {
    expect(personas.map((p) => [p.cluster, p.size, p.share])).toEqual([
      [0, 3, 0.75],
      [1, 1, 0.25],
    ]);
  });

  it('reports medians in raw units, null where the cluster has no value', () => {
    expect(frequent.medians).toEqual({
      daysSinceLastPurchase: 7,
      lifetimeFrequency: 7,
      averageOrderValue: 31,
      lifetimeMonetary: 217,
      meanDaysBetweenPurchases: 20,
      tenureDays: 127,
      daysSinceFirstPurchase: 127,
      spendTrend: 0.5,
      emailOpens: null,
    });
    expect(bigTicket.medians.averageOrderValue).toBe(255);
    expect(bigTicket.medians.meanDaysBetweenPurchases).toBeNull();
  });

  it('takes z on log1p values against the clustered population, rounded to two decimals', () => {
    // Average order value, in ln 2 units 4, 5, 6 | 8: mean 23/4, variance (1.75² + 0.75² + 0.25² + 2.25²)/4 = 35/16.
    //   Cluster 0: (5 − 5.75)/(√35/4) = −3/√35 ≈ −0.51. Cluster 1: 2.25·4/√35 = 9/√35 ≈ 1.52.
    //   (On raw values cluster 0 would be (36.33 − 91)/96.25 ≈ −0.57.)
    // Purchases, 3, 3, 4 | 1: mean 11/4, variance 19/16. Cluster 0: (10/3 − 11/4)·4/√19 = 7/(3√19) ≈ 0.54; cluster 1: −7/√19 ≈ −1.61.
    // Days since the last purchase, 3, 3, 2 | 7: mean 15/4, variance 59/16. Cluster 0: −13/(3√59) ≈ −0.56; cluster 1: 13/√59 ≈ 1.69.
    // Tenure, 7, 7, 8 | 7: mean 29/4, variance 3/16. Cluster 0: 1/(3√3) ≈ 0.19; cluster 1: −1/√3 ≈ −0.58.
    // Spend trend is not logged: 0.5, 0, 1 | −1: mean 1/8, variance 35/64. Cluster 0: 3/√35 ≈ 0.51; cluster 1: −9/√35 ≈ −1.52.
    // Days since the first purchase are all 127: sd 0 → z 0. Days between purchases: only cluster 0 has any → 0 for both.
    expect(zOf(frequent, 'averageOrderValue')).toBe(-0.51);
    expect(zOf(bigTicket, 'averageOrderValue')).toBe(1.52);
    expect(zOf(frequent, 'lifetimeFrequency')).toBe(0.54);
    expect(zOf(bigTicket, 'lifetimeFrequency')).toBe(-1.61);
    expect(zOf(frequent, 'daysSinceLastPurchase')).toBe(-0.56);
    expect(zOf(bigTicket, 'daysSinceLastPurchase')).toBe(1.69);
    expect(zOf(frequent, 'tenureDays')).toBe(0.19);
    expect(zOf(bigTicket, 'tenureDays')).toBe(-0.58);
    expect(zOf(frequent, 'spendTrend')).toBe(0.51);
    expect(zOf(bigTicket, 'spendTrend')).toBe(-1.52);
    for (const persona of personas) {
      expect(zOf(persona, 'daysSinceFirstPurchase')).toBe(0);
      expect(zOf(persona, 'meanDaysBetweenPurchases')).toBe(0);
    }
  });

  it('lists every difference largest first and names at most four with |z| ≥ 0.5 as traits', () => {
    // Cluster 1: 1.69, −1.61, then 1.52 and −1.52 tied, taken alphabetically; tenure −0.58 is the fifth.
    expect(bigTicket.differences).toHaveLength(PERSONA_FEATURES.length);
    expect(bigTicket.traits).toEqual([
      { feature: 'daysSinceLastPurchase', label: 'days since the last purchase', z: 1.69 },
      { feature: 'lifetimeFrequency', label: 'purchases', z: -1.61 },
      { feature: 'averageOrderValue', label: 'average order value', z: 1.52 },
      { feature: 'spendTrend', label: 'spend trend', z: -1.52 },
    ]);
    expect(frequent.traits.map((t) => [t.feature, t.z])).toEqual([
      ['daysSinceLastPurchase', -0.56],
      ['lifetimeFrequency', 0.54],
      ['averageOrderValue', -0.51],
      ['spendTrend', 0.51],
    ]);
  });

  it('labels each cluster only with words that hold for 80% of its members, and keys it by the label', () => {
    // Cluster 0: median 7 orders, z purchases 0.54 ≥ 0.5, z order value < 0: the table says "Frequent small buyers".
    // But the typical buyer places 7 orders and spends 47 per order: more orders holds for 1 of 3 members,
    // smaller orders for 2 of 3, so neither "Frequent small buyers" nor its plainer "Frequent buyers" or
    // "Bargain hunters" holds, and no trait both sets the cluster apart and holds for 80%: "Mixed group".
    // Cluster 1: one order (100% bought once), 255 per order, above the typical 47.
    expect(personas.map((p) => [p.label, p.key])).toEqual([
      ['Mixed group', 'persona_mixed_group'],
      ['Big-ticket one-timers', 'persona_big_ticket_one_timers'],
    ]);
  });

  it('keeps the table label where its words hold for 80% of members, and falls back to a plainer one where only some do', () => {
    // Ten buyers: five with 9–10 orders, mostly of 10; five with one order of 100–104.
    // Typical buyer: 5 orders (median of 1 and 9), order value 100.5.
    const ten = featureSet(
      10,
      {
        lifetimeFrequency: [9, 10, 9, 10, 9, 1, 1, 1, 1, 1],
        averageOrderValue: [10, 10, 10, 10, 120, 100, 101, 102, 103, 104],
        lifetimeMonetary: [90, 100, 90, 100, 1080, 100, 101, 102, 103, 104],
        daysSinceLastPurchase: [5, 5, 5, 5, 5, 100, 100, 100, 100, 100],
        daysSinceFirstPurchase: [300, 300, 300, 300, 300, 100, 100, 100, 100, 100],
        meanDaysBetweenPurchases: [30, 30, 30, 30, 30, NaN, NaN, NaN, NaN, NaN],
      },
      new Array(10).fill('active'),
    );
    const two = describePersonas(ten, Int32Array.from({ length: 10 }, (_, i) => i), Int32Array.of(0, 0, 0, 0, 0, 1, 1, 1, 1, 1), 2, { currency: '' });
    // Cluster 0: "small" (below 100.5) holds for 4 of 5 (80%), "frequent" (more than 5 orders) for 5 of 5: the table's label stands.
    // Cluster 1: everyone bought once, and 4 of 5 spent above the typical 100.5: "Big-ticket one-timers".
    expect(two.map((p) => p.label)).toEqual(['Frequent small buyers', 'Big-ticket one-timers']);
    // One more big order in cluster 0 (typical order now 101.5): "small" holds for 3 of 5, so the plainer
    // "Frequent buyers"; cluster 1 is no longer set apart by its order value, and is plain "One-time buyers".
    ten.numbers.averageOrderValue[3] = 120;
    const again = describePersonas(ten, Int32Array.from({ length: 10 }, (_, i) => i), Int32Array.of(0, 0, 0, 0, 0, 1, 1, 1, 1, 1), 2, { currency: '' });
    expect(again.map((p) => p.label)).toEqual(['Frequent buyers', 'One-time buyers']);
  });

  it('tells each cluster’s story with its own numbers', () => {
    // The typical (median) order value of the four customers is (31 + 63)/2 = 47.
    // Cluster 0: 31/47 ≈ 0.66 → "below". Cluster 1: 255/47 ≈ 5.43 → "5.4 times".
    // Every member of cluster 0 bought more than once and the one of cluster 1 once: no share needs stating.
    expect(frequent.narrative).toBe(
      "3 customers (75%) who buy every 20 days (median) and spend 31 EUR per order, below the typical buyer's. " +
        'A typical member has placed 7 orders worth 217 EUR in total, the last one 7 days ago.',
    );
    expect(bigTicket.narrative).toBe(
      "1 customer (25%) who bought once and spent 255 EUR per order, 5.4 times the typical buyer's. " +
        'Their purchase was a median 127 days ago; they have been customers for a median 127 days.',
    );
    // The token rounds to what a reader uses (persona-summary.ts): 20 days → 3 weeks, 255 → 260, 127 days → 4 months.
    expect(frequent.summary).toBe('buys every 3 weeks · 31 per order · last 7 days ago');
    expect(bigTicket.summary).toBe('bought once · 260 per order · last 4 months ago');
  });

  it('puts an order value against the typical buyer’s as a share, "about", or a multiple', () => {
    // One cluster each, customers' order values 10, 45, 50, 55, 200: the typical one is 50.
    // 10/50 = 0.2 → "0.2 times"; 45/50 = 0.9 → "about"; 55/50 = 1.1 → "about"; 200/50 = 4 → "4 times".
    const five = featureSet(5, { lifetimeFrequency: [1, 1, 1, 1, 1], averageOrderValue: [10, 45, 50, 55, 200] }, new Array(5).fill('active'));
    const each = describePersonas(five, Int32Array.of(0, 1, 2, 3, 4), Int32Array.of(0, 1, 2, 3, 4), 5, { currency: '' });
    expect(each.map((p) => /per order, (.*?typical buyer's)/.exec(p.narrative)?.[1])).toEqual([
      // A ratio, not a percentage: a percentage in a narrative is always a share of members.
      "0.2 times the typical buyer's",
      "about the typical buyer's",
      "about the typical buyer's",
      "about the typical buyer's",
      "4 times the typical buyer's",
    ]);
  });

  it('calls the noise group "Unusual customers", leaving the other labels unnumbered', () => {
    // Both clusters would be "Mixed group" (see below); as noise, cluster 1 does not take the label.
    const personas = describePersonas(mixed, Int32Array.of(0, 1, 2, 3, 4, 5), Int32Array.of(0, 0, 1, 1, 1, 1), 2, { currency: '', noiseLabel: 1 });
    expect(personas.map((p) => [p.label, p.key, p.noise])).toEqual([
      ['Mixed group', 'persona_mixed_group', false],
      ['Unusual customers', 'persona_unusual_customers', true],
    ]);
  });

  it('numbers a repeated label by size when no trait tells the twins apart: the larger cluster keeps it, the smaller gets " (2)"', () => {
    // Half of each cluster has 2 orders and half 4, around the typical 3: "Occasional buyers" holds for 50%, no trait sets either apart.
    const twins = describePersonas(mixed, Int32Array.of(0, 1, 2, 3, 4, 5), Int32Array.of(0, 0, 1, 1, 1, 1), 2, { currency: '' });
    expect(twins.map((p) => [p.cluster, p.size, p.label, p.key])).toEqual([
      [0, 2, 'Mixed group (2)', 'persona_mixed_group_2'],
      [1, 4, 'Mixed group', 'persona_mixed_group'],
    ]);
    // No currency: no unit after the amounts. Medians fall midway: (20 + 40)/2 = 30 days, (30 + 50)/2 = 40, (60 + 200)/2 = 130.
    expect(twins[1]!.summary).toBe('buys every 4 weeks · 40 per order · last 3 weeks ago');
    expect(twins[1]!.narrative).toBe(
      "4 customers (67%) who buy every 30 days (median) and spend 40 per order, about the typical buyer's. " +
        'A typical member has placed 3 orders worth 130 in total, the last one 20 days ago.',
    );
  });

  it('tells twins apart by their next most distinctive trait that holds, before numbering them', () => {
    // Two clusters of one-time buyers; the second's orders are all above the typical one, the first's all below.
    const six = featureSet(
      6,
      { lifetimeFrequency: [1, 1, 1, 1, 1, 1], averageOrderValue: [10, 11, 12, 50, 51, 52], daysSinceLastPurchase: [100, 100, 100, 100, 100, 100] },
      new Array(6).fill('active'),
    );
    const labels = describePersonas(six, Int32Array.of(0, 1, 2, 3, 4, 5), Int32Array.of(0, 0, 0, 1, 1, 1), 2, { currency: '' }).map((p) => p.label);
    expect(labels).toEqual(['Bargain one-timers', 'Big-ticket one-timers']);
    // Same table label twice (both clusters plain one-timers by clustering on income), told apart by income.
    const withIncome = featureSet(6, { lifetimeFrequency: [1, 1, 1, 1, 1, 1], averageOrderValue: [10, 50, 11, 51, 12, 52] }, new Array(6).fill('active'));
    withIncome.attributes.set('income', [20_000, 21_000, 22_000, 90_000, 91_000, 92_000]);
    const twins = describePersonas(withIncome, Int32Array.of(0, 1, 2, 3, 4, 5), Int32Array.of(0, 0, 0, 1, 1, 1), 2, {
      currency: '',
      clusteredOn: { numeric: ['lifetimeFrequency', 'attributes.income'], categorical: [] },
    });
    expect(twins.map((p) => p.label)).toEqual(['One-time buyers', 'One-time buyers, high income']);
  });

  it('says of a cluster of people who never bought only that, and names it by what sets it apart', () => {
    const four = featureSet(4, { lifetimeFrequency: [0, 0, 0, 0], emailOpens: [1, 2, 30, 40] }, new Array(4).fill('prospect'));
    const leads = describePersonas(four, Int32Array.of(0, 1, 2, 3), Int32Array.of(0, 0, 1, 1), 2, {
      currency: '',
      clusteredOn: { numeric: ['emailOpens'], categorical: [] },
    });
    expect(leads.map((p) => [p.label, p.narrative, p.summary])).toEqual([
      ['Low marketing emails opened', '2 people (50%) who have not bought yet.', 'has not bought yet'],
      ['High marketing emails opened', '2 people (50%) who have not bought yet.', 'has not bought yet'],
    ]);
    expect(personaClaimViolations({ features: four, rows: Int32Array.of(0, 1, 2, 3), labels: Int32Array.of(0, 0, 1, 1), personas: leads, numeric: ['emailOpens'], categorical: [] })).toEqual([]);
  });

  it('keeps the label for the lower cluster number when two clusters with one label have the same size', () => {
    const same = featureSet(
      4,
      { lifetimeFrequency: [1, 1, 1, 1], averageOrderValue: [10, 30, 30, 10], daysSinceLastPurchase: [5, 9, 9, 5], daysSinceFirstPurchase: [100, 200, 200, 100] },
      ['active', 'active', 'active', 'active'],
    );
    const twins = describePersonas(same, Int32Array.of(0, 1, 2, 3), Int32Array.of(0, 0, 1, 1), 2, { currency: '' });
    expect(twins.map((p) => p.label)).toEqual(['One-time buyers', 'One-time buyers (2)']);
    expect(twins.map((p) => p.summary.startsWith('bought once'))).toEqual([true, true]);
  });
});
