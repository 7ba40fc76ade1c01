import { describe, expect, it } from 'vitest';

import { quintileScores } from '../../src/segmentation/quintiles.js';
import {
  computeRfm,
  MS_PER_DAY,
  RFM_STATUS_LOST,
  RFM_STATUS_PROSPECT,
  RFM_STATUS_SCORED,
  type PurchaseColumns,
} from '../../src/segmentation/rfm.js';
import {
  assignRfmSegments,
  compileRfmSegments,
  DEFAULT_RFM_SEGMENTS,
  LOST_SEGMENT,
  PROSPECTS_SEGMENT,
  rfmScoreString,
  RfmSegmentRuleSchema,
  type RfmSegmentRule,
} from '../../src/segmentation/rfm-segments.js';

const REF = Date.UTC(2024, 5, 30, 12, 0, 0); // 2024-06-30T12:00:00Z
const DAY = MS_PER_DAY;

/** One purchase: [profile, epoch ms, amount]. */
type Row = [number, number, number];

function columns(rows: Row[]): PurchaseColumns {
  return {
    profileIndex: Int32Array.from(rows.map((row) => row[0])),
    occurredAtMs: Float64Array.from(rows.map((row) => row[1])),
    amount: Float64Array.from(rows.map((row) => row[2])),
  };
}

const daysAgo = (days: number): number => REF - days * DAY;

function scores(values: number[], higherIsBetter = true): number[] {
  return Array.from(quintileScores(Float64Array.from(values), higherIsBetter));
}

describe('quintileScores', () => {
  it('gives a single value a 3', () => {
    expect(scores([42])).toEqual([3]);
  });

  it('gives all-equal values all a 3', () => {
    expect(scores([7, 7, 7, 7, 7, 7, 7])).toEqual([3, 3, 3, 3, 3, 3, 3]);
  });

  it('gives five distinct values 1 to 5, in input order', () => {
    expect(scores([10, 20, 30, 40, 50])).toEqual([1, 2, 3, 4, 5]);
    expect(scores([40, 10, 50, 30, 20])).toEqual([4, 1, 5, 3, 2]);
  });

  it('gives ten distinct values 1,1,2,2,3,3,4,4,5,5', () => {
    expect(scores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });

  it('reverses the direction when lower is better', () => {
    expect(scores([1, 2, 3, 4, 5], false)).toEqual([5, 4, 3, 2, 1]);
  });

  it('gives a block of ties straddling a quintile boundary one common score', () => {
    // The four 3s occupy ranks 3..6 of 10, which would score 2,2,3,3 if they were distinct.
    // Percent rank of the block: worse = 2 of n - 1 = 9 → 1 + floor(10/9) = 2 for all four.
    expect(scores([1, 2, 3, 3, 3, 3, 5, 6, 7, 8])).toEqual([1, 1, 2, 2, 2, 2, 4, 4, 5, 5]);
  });

  it('gives three distinct values 1, 3 and 5 (percent ranks 0, ½, 1)', () => {
    expect(scores([10, 20, 30])).toEqual([1, 3, 5]);
  });

  it('keeps a large block of one-time buyers at F 1, so "New Customers" can exist', () => {
    // Six of ten bought once: worse = 0 → 1. The 2: worse 6 → 1 + floor(30/9) = 4; 3: 7 → 4; 4: 8 → 5; 5: 9 → 5.
    expect(scores([1, 1, 1, 1, 1, 1, 2, 3, 4, 5])).toEqual([1, 1, 1, 1, 1, 1, 4, 4, 5, 5]);
  });

  it('gives tied values equal scores however they are ordered', () => {
    expect(scores([5, 1, 5, 9, 1])).toEqual([3, 1, 3, 5, 1]);
  });

  it('returns an empty array for no values and rejects NaN', () => {
    expect(scores([])).toEqual([]);
    expect(() => scores([1, Number.NaN])).toThrow(/NaN/);
  });
});

describe('computeRfm', () => {
  it('gives the most recent buyer R 5 and the least recent R 1', () => {
    const result = computeRfm(
      3,
      columns([
        [0, daysAgo(1), 50],
        [1, daysAgo(10), 50],
        [2, daysAgo(100), 50],
      ]),
      { referenceDateMs: REF, windowDays: 365 },
    );
    expect(Array.from(result.recencyDays)).toEqual([1, 10, 100]);
    expect(Array.from(result.r)).toEqual([5, 3, 1]);
    // Same frequency and spend for everyone → all 3.
    expect(Array.from(result.f)).toEqual([3, 3, 3]);
    expect(Array.from(result.m)).toEqual([3, 3, 3]);
  });

  it('gives customers with equal spend the same M score', () => {
    const result = computeRfm(
      5,
      columns([
        [0, daysAgo(5), 60],
        [0, daysAgo(6), 40], // profile 0 spends 100 in two purchases
        [1, daysAgo(5), 100], // profile 1 spends 100 in one
        [2, daysAgo(5), 50],
        [3, daysAgo(5), 200],
        [4, daysAgo(5), 10],
      ]),
      { referenceDateMs: REF, windowDays: 365 },
    );
    expect(Array.from(result.monetary)).toEqual([100, 100, 50, 200, 10]);
    // Spends sorted: 10, 50, 100, 100, 200. The two 100s: worse 2, equal 2 → ceil(5·6/10) = 3.
    expect(Array.from(result.m)).toEqual([3, 3, 2, 5, 1]);
  });

  it('gives the same purchases summed in a different order the same monetary value and M score', () => {
    const result = computeRfm(
      3,
      columns([
        [0, daysAgo(1), 0.1],
        [0, daysAgo(2), 0.2],
        [0, daysAgo(3), 0.3],
        [1, daysAgo(1), 0.3],
        [1, daysAgo(2), 0.2],
        [1, daysAgo(3), 0.1],
        [2, daysAgo(1), 5],
      ]),
      { referenceDateMs: REF, windowDays: 365 },
    );
    expect(result.monetary[0]).toBe(0.6);
    expect(result.monetary[1]).toBe(0.6);
    expect(result.m[0]).toBe(result.m[1]);
  });

  it('counts a purchase exactly windowDays before the reference date', () => {
    const result = computeRfm(1, columns([[0, REF - 365 * DAY, 20]]), { referenceDateMs: REF, windowDays: 365 });
    expect(result.status[0]).toBe(RFM_STATUS_SCORED);
    expect(result.recencyDays[0]).toBe(365);
    expect(result.frequency[0]).toBe(1);
    expect(result.monetary[0]).toBe(20);
  });

  it('does not count a purchase one millisecond before the window, and a profile with only that purchase is lost', () => {
    const at = REF - 365 * DAY - 1;
    const result = computeRfm(1, columns([[0, at, 20]]), { referenceDateMs: REF, windowDays: 365 });
    expect(result.status[0]).toBe(RFM_STATUS_LOST);
    expect(result.recencyDays[0]).toBeNaN();
    expect(result.frequency[0]).toBeNaN();
    expect(result.monetary[0]).toBeNaN();
    expect([result.r[0], result.f[0], result.m[0]]).toEqual([0, 0, 0]);
    expect(result.lastPurchaseMs[0]).toBe(at);
  });

  it('counts a purchase exactly at the reference date with recency 0', () => {
    const result = computeRfm(1, columns([[0, REF, 20]]), { referenceDateMs: REF, windowDays: 365 });
    expect(result.status[0]).toBe(RFM_STATUS_SCORED);
    expect(result.recencyDays[0]).toBe(0);
    expect(result.lastPurchaseMs[0]).toBe(REF);
  });

  it('floors recency to whole days', () => {
    const result = computeRfm(
      3,
      columns([
        [0, REF - 1, 1],
        [1, REF - 1.5 * DAY, 1],
        [2, REF - 2 * DAY, 1],
      ]),
      { referenceDateMs: REF, windowDays: 365 },
    );
    expect(Array.from(result.recencyDays)).toEqual([0, 1, 2]);
  });

  it('ignores a purchase after the reference date entirely', () => {
    const result = computeRfm(
      2,
      columns([
        [0, REF + 1, 999], // profile 0: only a future purchase → prospect
        [1, daysAgo(10), 30], // profile 1: one in the window and one in the future
        [1, REF + 5 * DAY, 999],
      ]),
      { referenceDateMs: REF, windowDays: 365 },
    );
    expect(result.status[0]).toBe(RFM_STATUS_PROSPECT);
    expect(result.lastPurchaseMs[0]).toBeNaN();
    expect(result.status[1]).toBe(RFM_STATUS_SCORED);
    expect(result.frequency[1]).toBe(1);
    expect(result.monetary[1]).toBe(30);
    expect(result.recencyDays[1]).toBe(10);
    expect(result.lastPurchaseMs[1]).toBe(daysAgo(10));
  });

  it('tells lost customers from prospects', () => {
    const result = computeRfm(
      4,
      columns([
        [1, daysAgo(400), 80], // bought only before the window → lost
        [2, daysAgo(400), 80], // bought before and inside the window → scored
        [2, daysAgo(20), 10],
        [3, REF + DAY, 10], // only after the reference date → prospect
      ]),
      { referenceDateMs: REF, windowDays: 365 },
    );
    // Profile 0 never bought → prospect.
    expect(Array.from(result.status)).toEqual([RFM_STATUS_PROSPECT, RFM_STATUS_LOST, RFM_STATUS_SCORED, RFM_STATUS_PROSPECT]);
    expect(result.lastPurchaseMs[0]).toBeNaN();
    expect(result.lastPurchaseMs[1]).toBe(daysAgo(400));
    expect(result.lastPurchaseMs[2]).toBe(daysAgo(20));
    expect(result.lastPurchaseMs[3]).toBeNaN();
    expect(Array.from(result.r)).toEqual([0, 0, 3, 0]);
    expect(assignRfmSegments(result)).toEqual(['prospects', 'lost', 'need_attention', 'prospects']);
  });

  it('sums frequency and monetary over the window for a profile with several purchases', () => {
    const result = computeRfm(
      1,
      columns([
        [0, daysAgo(300), 10],
        [0, daysAgo(3), 20.5],
        [0, daysAgo(100), 30],
        [0, daysAgo(500), 1000], // before the window: not counted
        [0, REF + DAY, 1000], // after the reference date: not counted
      ]),
      { referenceDateMs: REF, windowDays: 365 },
    );
    expect(result.frequency[0]).toBe(3);
    expect(result.monetary[0]).toBe(60.5);
    expect(result.recencyDays[0]).toBe(3);
    expect(result.lastPurchaseMs[0]).toBe(daysAgo(3));
  });

  it('takes quintiles among scored customers only', () => {
    // One scored customer among many lost ones and prospects still gets 3s.
    const rows: Row[] = [[0, daysAgo(1), 5]];
    for (let p = 1; p < 20; p++) rows.push([p, daysAgo(1000 + p), 1000 * p]);
    const result = computeRfm(25, columns(rows), { referenceDateMs: REF, windowDays: 365 });
    expect([result.r[0], result.f[0], result.m[0]]).toEqual([3, 3, 3]);
    expect(Array.from(result.status).filter((s) => s === RFM_STATUS_SCORED)).toHaveLength(1);
  });

  it('uses a 365-day window by default and honours a custom one', () => {
    const rows = columns([[0, daysAgo(100), 5]]);
    expect(computeRfm(1, rows, { referenceDateMs: REF }).status[0]).toBe(RFM_STATUS_SCORED);
    expect(computeRfm(1, rows, { referenceDateMs: REF, windowDays: 30 }).status[0]).toBe(RFM_STATUS_LOST);
    expect(computeRfm(1, rows, { referenceDateMs: REF, windowDays: 100 }).status[0]).toBe(RFM_STATUS_SCORED);
  });

  it('handles zero profiles and rejects malformed input', () => {
    const empty = computeRfm(0, columns([]), { referenceDateMs: REF });
    expect(empty.status.length).toBe(0);
    expect(() => computeRfm(1, columns([[1, REF, 1]]), { referenceDateMs: REF })).toThrow(/profileIndex 1/);
    expect(() =>
      computeRfm(
        1,
        { profileIndex: Int32Array.of(0), occurredAtMs: Float64Array.of(REF), amount: new Float64Array(0) },
        { referenceDateMs: REF },
      ),
    ).toThrow(/length/);
    expect(() => computeRfm(1, columns([[0, REF, Number.NaN]]), { referenceDateMs: REF })).toThrow(/amount/);
    expect(() => computeRfm(1, columns([]), { referenceDateMs: Number.NaN })).toThrow(/referenceDateMs/);
  });

  it('scores a larger population into roughly equal quintiles', () => {
    const profileCount = 50_000;
    const perProfile = 4;
    const n = profileCount * perProfile;
    const purchases: PurchaseColumns = {
      profileIndex: new Int32Array(n),
      occurredAtMs: new Float64Array(n),
      amount: new Float64Array(n),
    };
    let seed = 12345;
    const random = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; // 32-bit LCG, exact in integer math
      return seed / 4294967296;
    };
    for (let k = 0; k < n; k++) {
      purchases.profileIndex[k] = Math.floor(random() * profileCount);
      purchases.occurredAtMs[k] = REF - random() * 500 * DAY;
      purchases.amount[k] = Math.round(random() * 100_000) / 100;
    }
    const result = computeRfm(profileCount, purchases, { referenceDateMs: REF, windowDays: 365 });
    const counts = [0, 0, 0, 0, 0, 0];
    let scored = 0;
    for (let p = 0; p < profileCount; p++) {
      if (result.status[p] !== RFM_STATUS_SCORED) continue;
      scored++;
      counts[result.m[p] as number]!++;
    }
    expect(counts[0]).toBe(0);
    for (let s = 1; s <= 5; s++) expect(Math.abs((counts[s] as number) / scored - 0.2)).toBeLessThan(0.01);
  });
});

describe('default RFM segments', () => {
  // Hand-written: R score, F score → expected segment name.
  const TABLE: [number, number, string][] = [
    [5, 5, 'Champions'],
    [5, 4, 'Champions'],
    [5, 3, 'Potential Loyalists'],
    [5, 2, 'Potential Loyalists'],
    [5, 1, 'New Customers'],
    [4, 5, 'Loyal Customers'],
    [4, 4, 'Loyal Customers'],
    [4, 3, 'Potential Loyalists'],
    [4, 2, 'Potential Loyalists'],
    [4, 1, 'Promising'],
    [3, 5, 'Loyal Customers'],
    [3, 4, 'Loyal Customers'],
    [3, 3, 'Need Attention'],
    [3, 2, 'About to Sleep'],
    [3, 1, 'About to Sleep'],
    [2, 5, "Can't Lose Them"],
    [2, 4, 'At Risk'],
    [2, 3, 'At Risk'],
    [2, 2, 'Hibernating'],
    [2, 1, 'Hibernating'],
    [1, 5, "Can't Lose Them"],
    [1, 4, 'At Risk'],
    [1, 3, 'At Risk'],
    [1, 2, 'Hibernating'],
    [1, 1, 'Hibernating'],
  ];
  const segmentOf = compileRfmSegments(DEFAULT_RFM_SEGMENTS);

  it.each(TABLE)('maps R %i F %i to %s', (r, f, name) => {
    expect(segmentOf(r, f).name).toBe(name);
  });

  it('lists the ten default segments in order and names the two unscored segments', () => {
    expect(DEFAULT_RFM_SEGMENTS.map((rule) => rule.key)).toEqual([
      'champions',
      'loyal_customers',
      'potential_loyalists',
      'new_customers',
      'promising',
      'need_attention',
      'about_to_sleep',
      'at_risk',
      'cant_lose_them',
      'hibernating',
    ]);
    expect(LOST_SEGMENT).toEqual({ key: 'lost', name: 'Lost' });
    expect(PROSPECTS_SEGMENT).toEqual({ key: 'prospects', name: 'Prospects' });
  });

  it('rejects scores outside 1..5 at lookup', () => {
    expect(() => segmentOf(0, 3)).toThrow(RangeError);
    expect(() => segmentOf(3, 6)).toThrow(RangeError);
  });
});

describe('compileRfmSegments', () => {
  it('rejects an incomplete map, naming the uncovered combinations and the fix', () => {
    const withoutHibernating = DEFAULT_RFM_SEGMENTS.filter((rule) => rule.key !== 'hibernating');
    expect(() => compileRfmSegments(withoutHibernating)).toThrow(/11, 12, 21, 22/);
    expect(() => compileRfmSegments(withoutHibernating)).toThrow(/\[1-5\]\[1-5\]/);
    expect(() => compileRfmSegments([])).toThrow(/25 of the 25/);
  });

  it.each(['6[1-5]', '5', '[1-5]', '5[4-5]1', '5[5-4]', 'ab', '[]1', '5 4', '[1-5]{2}', ''])(
    'rejects the malformed pattern %j',
    (pattern) => {
      expect(() => compileRfmSegments([{ key: 'all', name: 'All', pattern }])).toThrow(/Invalid RFM segment.*pattern/);
    },
  );

  it('rejects a key that is not a slug, an empty name, a reserved key and a key with two names', () => {
    const all = '[1-5][1-5]';
    expect(() => compileRfmSegments([{ key: 'At Risk', name: 'At Risk', pattern: all }])).toThrow(/key/);
    expect(() => compileRfmSegments([{ key: 'all', name: ' ', pattern: all }])).toThrow(/name/);
    expect(() => compileRfmSegments([{ key: 'lost', name: 'Lost', pattern: all }])).toThrow(/reserved/);
    expect(() =>
      compileRfmSegments([
        { key: 'a', name: 'A', pattern: '5[1-5]' },
        { key: 'a', name: 'B', pattern: all },
      ]),
    ).toThrow(/one name per key/);
  });

  it('lets the first matching rule win', () => {
    const segmentOf = compileRfmSegments([
      { key: 'best', name: 'Best', pattern: '55' },
      { key: 'rest', name: 'Rest', pattern: '[1-5][1-5]' },
      { key: 'never', name: 'Never', pattern: '55' },
    ]);
    expect(segmentOf(5, 5).key).toBe('best');
    expect(segmentOf(5, 4).key).toBe('rest');
  });

  it('accepts classes with lists and ranges', () => {
    const segmentOf = compileRfmSegments([
      { key: 'odd', name: 'Odd R', pattern: '[135][1-5]' },
      { key: 'even', name: 'Even R', pattern: '[24][1-25]' },
      { key: 'even_mid', name: 'Even R, mid F', pattern: '[2-24][3-4]' },
    ]);
    expect(segmentOf(3, 3).key).toBe('odd');
    expect(segmentOf(4, 5).key).toBe('even');
    expect(segmentOf(2, 3).key).toBe('even_mid');
  });
});

describe('assignRfmSegments', () => {
  const result = computeRfm(
    7,
    columns([
      [0, daysAgo(1), 500], // most recent, big spender, frequent
      [0, daysAgo(2), 500],
      [0, daysAgo(3), 500],
      [1, daysAgo(200), 10], // long ago, once
      [2, daysAgo(50), 20],
      [3, daysAgo(20), 30],
      [3, daysAgo(21), 30],
      [4, daysAgo(100), 40],
      [5, daysAgo(1000), 99], // lost
      // profile 6: prospect
    ]),
    { referenceDateMs: REF, windowDays: 365 },
  );

  it('maps scored profiles by their RF scores, lost to lost and prospects to prospects', () => {
    // Scored: 0,1,2,3,4 (n = 5). Recency days 1,200,50,20,100 → R 5,1,3,4,2.
    // Frequency 3,1,1,2,1 → the three 1s: worse 0 → 1; 2: worse 3 → 1 + floor(15/4) = 4; 3: worse 4 → 5.
    expect(Array.from(result.r)).toEqual([5, 1, 3, 4, 2, 0, 0]);
    expect(Array.from(result.f)).toEqual([5, 1, 1, 4, 1, 0, 0]);
    expect(Array.from(result.m)).toEqual([5, 1, 2, 4, 3, 0, 0]);
    expect(assignRfmSegments(result)).toEqual([
      'champions', // 55
      'hibernating', // 11
      'about_to_sleep', // 31
      'loyal_customers', // 44
      'hibernating', // 21
      'lost',
      'prospects',
    ]);
  });

  it('applies a custom override map', () => {
    const custom: RfmSegmentRule[] = [
      { key: 'vip', name: 'VIP', pattern: '[4-5][4-5]' },
      { key: 'slipping', name: 'Slipping', pattern: '[1-2][1-5]' },
      { key: 'everyone_else', name: 'Everyone Else', pattern: '[1-5][1-5]' },
    ];
    expect(assignRfmSegments(result, custom)).toEqual([
      'vip',
      'slipping',
      'everyone_else',
      'vip',
      'slipping',
      'lost',
      'prospects',
    ]);
  });

  it('formats the score string', () => {
    expect(rfmScoreString(5, 4, 5)).toBe('545');
    expect(rfmScoreString(result.r[3] as number, result.f[3] as number, result.m[3] as number)).toBe('444');
    expect(() => rfmScoreString(0, 4, 5)).toThrow(RangeError);
  });
});

describe('RfmSegmentRuleSchema', () => {
  it('accepts a well-formed rule and rejects malformed ones', () => {
    expect(RfmSegmentRuleSchema.safeParse({ key: 'at_risk', name: 'At Risk', pattern: '[1-2][3-4]' }).success).toBe(true);
    expect(RfmSegmentRuleSchema.safeParse({ key: 'at-risk', name: 'At Risk', pattern: '[1-2][3-4]' }).success).toBe(false);
    expect(RfmSegmentRuleSchema.safeParse({ key: 'at_risk', name: '', pattern: '[1-2][3-4]' }).success).toBe(false);
    expect(RfmSegmentRuleSchema.safeParse({ key: 'at_risk', name: 'At Risk', pattern: '[0-2][3-4]' }).success).toBe(false);
    expect(RfmSegmentRuleSchema.safeParse({ key: 'at_risk', name: 'At Risk', pattern: '[4-3]1' }).success).toBe(false);
  });
});
