import { describe, expect, it } from 'vitest';

import {
  ACTIVE_GAPS,
  CATEGORY_FEATURES,
  CHURNED_GAPS,
  computeFeatures,
  DATE_FEATURES,
  FEATURE_CATALOGUE,
  featureLabel,
  groupPurchases,
  lifecycleStages,
  NEW_CUSTOMER_DAYS,
  NUMBER_FEATURES,
  type FeatureSet,
  type ProfileAttributes,
} from '../../src/segmentation/features.js';
import { computeRfm, MS_PER_DAY, type PurchaseColumns } from '../../src/segmentation/rfm.js';
import { assignRfmSegments } from '../../src/segmentation/rfm-segments.js';

const REF = Date.UTC(2024, 5, 30, 12, 0, 0); // 2024-06-30T12:00:00Z
const DAY = MS_PER_DAY;
const daysAgo = (days: number): number => REF - days * DAY;

/** One purchase: [profile, epoch ms, amount]. */
type Row = [number, number, number];

function columns(rows: Row[]): PurchaseColumns {
  return {
    profileIndex: Int32Array.from(rows.map((row) => row[0])),
    occurredAtMs: Float64Array.from(rows.map((row) => row[1])),
    amount: Float64Array.from(rows.map((row) => row[2])),
  };
}

function attributes(createdAtMs: number[]): ProfileAttributes {
  const n = createdAtMs.length;
  return {
    createdAtMs: Float64Array.from(createdAtMs),
    country: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'DE' : null)),
    city: new Array<string | null>(n).fill(null),
    emailConsent: new Array<string | null>(n).fill('subscribed'),
    attributes: new Map([['loyaltyPoints', Array.from({ length: n }, (_, i) => i * 10)]]),
  };
}

/** RFM, segments and features, the way the pipeline chains them. */
function features(createdAtMs: number[], rows: Row[], windowDays = 365): FeatureSet {
  const purchases = columns(rows);
  const n = createdAtMs.length;
  const rfm = computeRfm(n, purchases, { referenceDateMs: REF, windowDays });
  return computeFeatures(n, purchases, rfm, assignRfmSegments(rfm), attributes(createdAtMs), { referenceMs: REF, windowDays });
}

const numbersOf = (set: FeatureSet, key: (typeof NUMBER_FEATURES)[number]): number[] => Array.from(set.numbers[key]);

describe('computeFeatures', () => {
  // Five profiles, reference 2024-06-30 12:00, 365-day window (its recent half starts 182.5 days back).
  // 0: a repeat buyer seen 400 days ago, four purchases (and one after the reference date).
  // 1: a one-time buyer 30.9 days ago whose contact was only created 5 days ago.
  // 2: a lost customer: two purchases, both before the window.
  // 3: a prospect created 20 days ago.
  // 4: a prospect whose only purchase is after the reference date, creation date unknown.
  const set = features(
    [daysAgo(400), daysAgo(5), daysAgo(600), daysAgo(20), Number.NaN],
    [
      [0, daysAgo(200), 50],
      [0, daysAgo(300), 100],
      [0, daysAgo(10.5), 20],
      [0, daysAgo(100), 30],
      [0, REF + DAY, 999],
      [1, daysAgo(30.9), 80],
      [2, daysAgo(400), 60],
      [2, daysAgo(500), 40],
      [4, REF + 3 * DAY, 500],
    ],
  );

  it('floors days since the last and the first purchase to whole days, and leaves them missing for prospects', () => {
    // 0: last 10.5 → 10, first 300. 1: 30.9 → 30 for both. 2: 400 and 500.
    expect(numbersOf(set, 'daysSinceLastPurchase')).toEqual([10, 30, 400, Number.NaN, Number.NaN]);
    expect(numbersOf(set, 'daysSinceFirstPurchase')).toEqual([300, 30, 500, Number.NaN, Number.NaN]);
    expect(Array.from(set.dates.lastPurchaseAt)).toEqual([daysAgo(10.5), daysAgo(30.9), daysAgo(400), Number.NaN, Number.NaN]);
    expect(Array.from(set.dates.firstPurchaseAt)).toEqual([daysAgo(300), daysAgo(30.9), daysAgo(500), Number.NaN, Number.NaN]);
  });

  it('counts and sums every purchase up to the reference date, window or not, ignoring later ones', () => {
    // 0: 100 + 50 + 30 + 20 = 200 in 4 (the 999 tomorrow is not counted). 2: 40 + 60 = 100 in 2.
    expect(numbersOf(set, 'lifetimeFrequency')).toEqual([4, 1, 2, 0, 0]);
    expect(numbersOf(set, 'lifetimeMonetary')).toEqual([200, 80, 100, 0, 0]);
  });

  it('divides lifetime spend by lifetime purchases for the average order value, missing for prospects', () => {
    // 200/4 = 50, 80/1 = 80, 100/2 = 50.
    expect(numbersOf(set, 'averageOrderValue')).toEqual([50, 80, 50, Number.NaN, Number.NaN]);
  });

  it('counts tenure from the earlier of the creation date and the first purchase', () => {
    // 0: created 400 days ago, first bought 300 → 400. 1: created 5, bought 30.9 → 30.
    // 2: created 600, bought 500 → 600. 3: never bought, created 20 → 20. 4: nothing known → missing.
    expect(numbersOf(set, 'tenureDays')).toEqual([400, 30, 600, 20, Number.NaN]);
    expect(Array.from(set.dates.createdAt)).toEqual([daysAgo(400), daysAgo(5), daysAgo(600), daysAgo(20), Number.NaN]);
  });

  it('takes the mean gap as (last − first) / (purchases − 1), missing below two purchases', () => {
    // 0: (300 − 10.5)/3 = 96.5 days (not floored). 2: (500 − 400)/1 = 100.
    expect(numbersOf(set, 'meanDaysBetweenPurchases')).toEqual([96.5, Number.NaN, 100, Number.NaN, Number.NaN]);
  });

  it('counts several orders on one day as one trip when taking the mean gap', () => {
    // 0: two orders on the day 20 days back (12:00 and 13:00 UTC) and one 10 days back: 2 trips → (20 − 10)/1 = 10.
    // 1: two orders on one day only: one trip → no cadence.
    const trips = features(
      [Number.NaN, Number.NaN],
      [
        [0, daysAgo(20), 10],
        [0, daysAgo(20) + DAY / 24, 10],
        [0, daysAgo(10), 10],
        [1, daysAgo(5), 10],
        [1, daysAgo(5) + DAY / 24, 10],
      ],
    );
    expect(Array.from(trips.numbers.meanDaysBetweenPurchases)).toEqual([10, Number.NaN]);
    expect(Array.from(trips.numbers.lifetimeFrequency)).toEqual([3, 2]);
  });

  it('compares spend in the recent half of the window with the earlier half', () => {
    // 0: recent (≤ 182.5 days) 30 + 20 = 50, earlier 100 + 50 = 150 → (50 − 150)/200 = −0.5.
    // 1: all of it recent → +1. 2: nothing in the window → missing, like the prospects.
    expect(numbersOf(set, 'spendTrend')).toEqual([-0.5, 1, Number.NaN, Number.NaN, Number.NaN]);
  });

  it('passes the RFM values through for scored customers and uses 0 or missing for everyone else', () => {
    // In the window: 0 bought 4 times for 200, last 10 days ago; 1 once for 80, 30 days ago.
    // Two scored customers: the better one scores 5, the other 1, on all three.
    expect(numbersOf(set, 'recencyDays')).toEqual([10, 30, Number.NaN, Number.NaN, Number.NaN]);
    expect(numbersOf(set, 'frequency')).toEqual([4, 1, 0, 0, 0]);
    expect(numbersOf(set, 'monetary')).toEqual([200, 80, 0, 0, 0]);
    expect(numbersOf(set, 'r')).toEqual([5, 1, Number.NaN, Number.NaN, Number.NaN]);
    expect(numbersOf(set, 'f')).toEqual([5, 1, Number.NaN, Number.NaN, Number.NaN]);
    expect(numbersOf(set, 'm')).toEqual([5, 1, Number.NaN, Number.NaN, Number.NaN]);
  });

  it('carries the categories through, stages everyone, and leaves the persona empty', () => {
    // Lifecycle: 0 is silent 10 days against its own 96.5-day gap → active. 1 first bought 30 days ago → new.
    // 2 is silent 400 days against a 100-day gap: 4 gaps exactly, still dormant. 3 and 4 never bought.
    expect(set.categories.lifecycleStage).toEqual(['active', 'new', 'dormant', 'prospect', 'prospect']);
    expect(set.categories.rfmSegment).toEqual(['champions', 'hibernating', 'lost', 'prospects', 'prospects']);
    expect(set.categories.country).toEqual(['DE', null, 'DE', null, 'DE']);
    expect(set.categories.emailConsent).toEqual(['subscribed', 'subscribed', 'subscribed', 'subscribed', 'subscribed']);
    expect(set.categories.persona).toEqual([null, null, null, null, null]);
    expect(set.attributes.get('loyaltyPoints')).toEqual([0, 10, 20, 30, 40]);
    expect(set).toMatchObject({ rows: 5, referenceMs: REF, windowDays: 365 });
  });

  it('has one column of the right length for every number and date feature', () => {
    expect(Object.keys(set.numbers).sort()).toEqual([...NUMBER_FEATURES].sort());
    expect(Object.keys(set.dates).sort()).toEqual([...DATE_FEATURES].sort());
    for (const key of NUMBER_FEATURES) expect(set.numbers[key]).toHaveLength(5);
  });

  it('counts a purchase at the midpoint of the window as recent and one at its start as earlier', () => {
    // 100-day window: the recent half starts 50 days back. 30 at exactly 50 days → recent;
    // 10 at exactly 100 days → earlier; 1,000 one millisecond before the window → neither.
    // (30 − 10)/(30 + 10) = 0.5.
    const trend = features(
      [Number.NaN],
      [
        [0, daysAgo(50), 30],
        [0, daysAgo(100), 10],
        [0, daysAgo(100) - 1, 1000],
      ],
      100,
    );
    expect(trend.numbers.spendTrend[0]).toBe(0.5);
    expect(trend.numbers.lifetimeMonetary[0]).toBe(1040);
  });

  it('gives a steady spender a trend of 0 and one who only bought earlier −1', () => {
    const trend = features(
      [Number.NaN, Number.NaN],
      [
        [0, daysAgo(300), 25],
        [0, daysAgo(20), 25],
        [1, daysAgo(250), 70],
      ],
    );
    expect(Array.from(trend.numbers.spendTrend)).toEqual([0, -1]);
  });

  it('rounds lifetime spend to cents', () => {
    // 0.1 + 0.2 = 0.30000000000000004 in floating point → 0.3.
    const cents = features([Number.NaN], [
      [0, daysAgo(2), 0.1],
      [0, daysAgo(1), 0.2],
    ]);
    expect(cents.numbers.lifetimeMonetary[0]).toBe(0.3);
  });
});

describe('groupPurchases', () => {
  it('groups by profile, oldest first, keeps input order for equal times and drops later purchases', () => {
    const grouped = groupPurchases(
      3,
      columns([
        [2, daysAgo(1), 5],
        [0, daysAgo(3), 1],
        [2, daysAgo(9), 4],
        [0, daysAgo(3), 2],
        [1, REF + 1, 99], // after the reference date
      ]),
      REF,
    );
    // Profile 0: rows 0..2, profile 1: none, profile 2: rows 2..4.
    expect(Array.from(grouped.offsets)).toEqual([0, 2, 2, 4]);
    expect(Array.from(grouped.atMs)).toEqual([daysAgo(3), daysAgo(3), daysAgo(9), daysAgo(1)]);
    expect(Array.from(grouped.amount)).toEqual([1, 2, 4, 5]);
  });

  it('keeps a purchase exactly at the reference date', () => {
    const grouped = groupPurchases(1, columns([[0, REF, 7]]), REF);
    expect(Array.from(grouped.offsets)).toEqual([0, 1]);
    expect(Array.from(grouped.amount)).toEqual([7]);
  });
});

/** Lifecycle stages from [purchases, days since last, days since first, mean gap] per profile. */
function stages(rows: Array<[number, number, number, number]>): string[] {
  const column = (j: number) => Float64Array.from(rows.map((row) => row[j]!));
  return lifecycleStages({
    lifetimeFrequency: column(0),
    daysSinceLastPurchase: column(1),
    daysSinceFirstPurchase: column(2),
    meanDaysBetweenPurchases: column(3),
  });
}

const NaN_ = Number.NaN;

describe('lifecycleStages', () => {
  it('uses the documented thresholds', () => {
    expect([NEW_CUSTOMER_DAYS, ACTIVE_GAPS, CHURNED_GAPS]).toEqual([60, 2, 4]);
  });

  it('calls someone who never bought a prospect and a first purchase within 60 days new', () => {
    expect(
      stages([
        [0, NaN_, NaN_, NaN_],
        [1, 60, 60, NaN_], // first purchase exactly 60 days ago: still new
        [3, 1, 61, 30], // 61 days: judged by cadence
      ]),
    ).toEqual(['prospect', 'new', 'active']);
  });

  it('judges a repeat buyer against their own gap: active up to 2 gaps, dormant up to 4, then churned', () => {
    // Gap 10: silent 20 → active, 21 → dormant, 40 → dormant, 41 → churned.
    expect(
      stages([
        [5, 20, 200, 10],
        [5, 21, 200, 10],
        [5, 40, 200, 10],
        [5, 41, 200, 10],
      ]),
    ).toEqual(['active', 'dormant', 'dormant', 'churned']);
  });

  it('judges one-time buyers by the median gap of the repeat buyers', () => {
    // Repeat gaps 10, 30, 50 → median 30: a one-timer is active to 60 days, dormant to 120.
    // (Against their own gaps the repeat buyers, silent 1 day, are all active.)
    expect(
      stages([
        [2, 1, 100, 10],
        [2, 1, 100, 30],
        [2, 1, 100, 50],
        [1, 60, 60 + 1, NaN_],
        [1, 61, 61, NaN_],
        [1, 120, 120, NaN_],
        [1, 121, 121, NaN_],
      ]),
    ).toEqual(['active', 'active', 'active', 'active', 'dormant', 'dormant', 'churned']);
  });

  it('takes the mean of the middle two gaps when there is an even number of repeat buyers', () => {
    // Gaps 10 and 40 → median 25: a one-timer silent 50 days is active, 51 dormant.
    expect(
      stages([
        [2, 1, 100, 10],
        [2, 1, 100, 40],
        [1, 50, 100, NaN_],
        [1, 51, 100, NaN_],
      ]),
    ).toEqual(['active', 'active', 'active', 'dormant']);
  });

  it('falls back to a 30-day gap when nobody bought twice', () => {
    expect(
      stages([
        [1, 60, 100, NaN_],
        [1, 61, 100, NaN_],
        [1, 121, 200, NaN_],
      ]),
    ).toEqual(['active', 'dormant', 'churned']);
  });

  it('treats a gap shorter than one day as one day', () => {
    // Two purchases minutes apart either side of midnight: gap ≈ 0 → 1. Silent 2 days → active, 3 → dormant, 5 → churned.
    expect(
      stages([
        [2, 2, 100, 0],
        [2, 3, 100, 0],
        [2, 5, 100, 0],
      ]),
    ).toEqual(['active', 'dormant', 'churned']);
  });
});

describe('FEATURE_CATALOGUE', () => {
  it('documents every feature exactly once, with its kind, and nothing else', () => {
    const expected = [
      ...NUMBER_FEATURES.map((key) => `${key}:number`),
      ...DATE_FEATURES.map((key) => `${key}:date`),
      ...CATEGORY_FEATURES.map((key) => `${key}:category`),
    ];
    const documented = FEATURE_CATALOGUE.map((doc) => `${doc.key}:${doc.kind}`);
    expect(documented.sort()).toEqual(expected.sort());
    expect(new Set(FEATURE_CATALOGUE.map((doc) => doc.key)).size).toBe(FEATURE_CATALOGUE.length);
  });

  it('gives every feature a label, a unit and a description', () => {
    for (const doc of FEATURE_CATALOGUE) {
      expect(doc.label.trim(), doc.key).not.toBe('');
      expect(doc.unit.trim(), doc.key).not.toBe('');
      expect(doc.description.trim(), doc.key).not.toBe('');
    }
  });

  it('reads a label from the catalogue, and spells out an attribute from its name', () => {
    expect(featureLabel('averageOrderValue')).toBe('average order value');
    expect(featureLabel('attributes.loyaltyPoints')).toBe('loyalty points');
  });
});
