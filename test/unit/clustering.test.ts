import { describe, expect, it } from 'vitest';

import { clusterProfiles, sphericalCriteria, type Clustered, type ClusteringOutcome } from '../../src/segmentation/clustering.js';
import { ClusteringSchema, type ClusteringSettings } from '../../src/segmentation/clustering-config.js';
import { computeFeatures, NUMBER_FEATURES, type FeatureSet } from '../../src/segmentation/features.js';
import { computeRfm, MS_PER_DAY, type PurchaseColumns } from '../../src/segmentation/rfm.js';
import { assignRfmSegments } from '../../src/segmentation/rfm-segments.js';
import { selectRows } from '../../src/segmentation/matrix.js';
import { silhouette } from '../../src/segmentation/metrics.js';

const REF = Date.UTC(2024, 5, 30, 12, 0, 0); // 2024-06-30T12:00:00Z
const DAY = MS_PER_DAY;
const daysAgo = (days: number): number => REF - days * DAY;

/** One purchase: [profile, epoch ms, amount]. */
type Row = [number, number, number];

/** Features for `profiles` profiles from hand-made purchases, as the pipeline builds them. */
function featuresFrom(profiles: number, rows: Row[]): FeatureSet {
  const purchases: PurchaseColumns = {
    profileIndex: Int32Array.from(rows.map((row) => row[0])),
    occurredAtMs: Float64Array.from(rows.map((row) => row[1])),
    amount: Float64Array.from(rows.map((row) => row[2])),
  };
  const rfm = computeRfm(profiles, purchases, { referenceDateMs: REF, windowDays: 365 });
  return computeFeatures(
    profiles,
    purchases,
    rfm,
    assignRfmSegments(rfm),
    {
      createdAtMs: new Float64Array(profiles).fill(Number.NaN),
      country: new Array<string | null>(profiles).fill(null),
      city: new Array<string | null>(profiles).fill(null),
      emailConsent: new Array<string | null>(profiles).fill(null),
      attributes: new Map(),
    },
    { referenceMs: REF, windowDays: 365 },
  );
}

const GROUP = 20;
const LOYAL = 0; // profiles 0–19
const BIG_TICKET = GROUP; // 20–39
const LAPSED = 2 * GROUP; // 40–59
const PROSPECTS = [60, 61, 62, 63, 64, 65];

/**
 * Three well-separated kinds of buyer, 20 of each, plus six prospects. Within a group, buyer i sits on
 * a 5 × 4 grid: a = i mod 5 moves the last purchase 3 days back, b = ⌊i / 5⌋ adds 3 to every order.
 * - loyal: 10 purchases 10 days apart, the last 2 + 3a days ago, 40 + 3b each;
 * - big-ticket: 2 purchases 60 days apart, the last 100 + 3a days ago, 500 + 3b each;
 * - lapsed one-timers: one purchase 500 + 3a days ago, 15 + 3b;
 * - prospects 60–64 never bought; 65's only order is after the reference date.
 */
function threeGroups(): FeatureSet {
  return threeGroupsAnd([]);
}

/** The three groups, with `extra` purchases for profiles 60–65 (otherwise prospects). */
function threeGroupsAnd(extra: Row[]): FeatureSet {
  const rows: Row[] = [...extra];
  for (let i = 0; i < GROUP; i++) {
    const a = i % 5;
    const b = Math.floor(i / 5);
    for (let n = 0; n < 10; n++) rows.push([LOYAL + i, daysAgo(2 + 3 * a + 10 * n), 40 + 3 * b]);
    for (let n = 0; n < 2; n++) rows.push([BIG_TICKET + i, daysAgo(100 + 3 * a + 60 * n), 500 + 3 * b]);
    rows.push([LAPSED + i, daysAgo(500 + 3 * a), 15 + 3 * b]);
  }
  rows.push([65, REF + 2 * DAY, 80]);
  return featuresFrom(66, rows);
}

const settings = (overrides: Record<string, unknown> = {}): ClusteringSettings => ClusteringSchema.parse(overrides);

function clustered(outcome: ClusteringOutcome): Clustered {
  if (outcome.status !== 'clustered') throw new Error(`expected a clustering, got: ${outcome.reason}`);
  return outcome;
}

/** The cluster label of each of the three groups, one per group if every member shares it. */
function groupLabels(result: Clustered): Array<number | 'mixed'> {
  const labelOf = new Map<number, number>();
  result.rows.forEach((row, j) => labelOf.set(row, result.labels[j]!));
  return [LOYAL, BIG_TICKET, LAPSED].map((start) => {
    const labels = new Set(Array.from({ length: GROUP }, (_, i) => labelOf.get(start + i)));
    return labels.size === 1 ? [...labels][0]! : 'mixed';
  });
}

describe('sphericalCriteria', () => {
  it('computes BIC and AIC for two equal clusters on a line by hand', () => {
    // n = 4, d = 1, sizes 2 and 2, WCSS = 2/π → σ² = WCSS/(n·d) = 1/(2π), so ln(2πσ²) = 0.
    // ln L = Σ n_c ln(n_c/n) − (n·d/2)·0 − n·d/2 = 4·ln(1/2) − 2 = −2 − 4 ln 2.
    // Parameters k·d + 1 + (k − 1) = 2 + 1 + 1 = 4.
    // BIC = 4 ln 4 − 2 ln L = 8 ln 2 + 4 + 8 ln 2 = 4 + 16 ln 2. AIC = 2·4 − 2 ln L = 12 + 8 ln 2.
    const { bic, aic } = sphericalCriteria(2 / Math.PI, [2, 2], 1);
    expect(bic).toBeCloseTo(4 + 16 * Math.LN2, 12);
    expect(aic).toBeCloseTo(12 + 8 * Math.LN2, 12);
  });

  it('computes them for unequal clusters in two dimensions, counting an empty cluster’s parameters only', () => {
    // n = 4, d = 2, sizes 3, 1, 0, WCSS = 8 → σ² = 8/8 = 1.
    // ln L = 3 ln(3/4) + 1·ln(1/4) + 0 − (8/2) ln(2π) − 8/2 = 3 ln 3 − 8 ln 2 − 4 ln(2π) − 4.
    // Parameters 3·2 + 1 + 2 = 9. BIC = 9 ln 4 − 2 ln L; AIC = 18 − 2 ln L.
    const logL = 3 * Math.log(3) - 8 * Math.LN2 - 4 * Math.log(2 * Math.PI) - 4;
    const { bic, aic } = sphericalCriteria(8, [3, 1, 0], 2);
    expect(bic).toBeCloseTo(9 * Math.log(4) - 2 * logL, 12);
    expect(aic).toBeCloseTo(18 - 2 * logL, 12);
  });

  it('charges d + 1 parameters for every extra cluster: (d + 1)·ln n more BIC, 2(d + 1) more AIC', () => {
    // Same fit with an empty third cluster: ln L is unchanged, p grows by d + 1 = 3.
    const two = sphericalCriteria(8, [3, 1], 2);
    const three = sphericalCriteria(8, [3, 1, 0], 2);
    expect(three.bic - two.bic).toBeCloseTo(3 * Math.log(4), 12);
    expect(three.aic - two.aic).toBeCloseTo(6, 12);
  });

  it('stays finite for a perfect fit with no within-cluster scatter', () => {
    const { bic, aic } = sphericalCriteria(0, [2, 2], 1);
    expect(Number.isFinite(bic)).toBe(true);
    expect(Number.isFinite(aic)).toBe(true);
  });
});

describe('clusterProfiles', () => {
  const features = threeGroups();
  const fast = { kRange: [2, 6], stabilityResamples: 0 };

  it('starts from features where the three groups and the prospects are what they should be', () => {
    // A sanity check of the input, so a failure below is about clustering, not about the data.
    const at = (key: 'lifetimeFrequency' | 'daysSinceLastPurchase' | 'averageOrderValue', p: number) => features.numbers[key][p];
    expect([LOYAL, BIG_TICKET, LAPSED].map((p) => at('lifetimeFrequency', p))).toEqual([10, 2, 1]);
    // Buyer 19 of each group: a = 4, b = 3.
    expect([LOYAL, BIG_TICKET, LAPSED].map((p) => at('daysSinceLastPurchase', p + 19))).toEqual([14, 112, 512]);
    expect([LOYAL, BIG_TICKET, LAPSED].map((p) => at('averageOrderValue', p + 19))).toEqual([49, 509, 24]);
    expect(PROSPECTS.map((p) => at('lifetimeFrequency', p))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('skips with a reason naming minProfiles when too few profiles have purchases', () => {
    // 60 buyers, 61 needed.
    const outcome = clusterProfiles(features, settings({ minProfiles: 61 }), { currency: '' });
    expect(outcome.status).toBe('skipped');
    expect(outcome.status === 'skipped' && outcome.reason).toBe(
      'only 60 profiles have purchases; clustering (population auto: buyers) needs at least 61 (segmentation.clustering.minProfiles); ' +
        'to cluster all 66 profiles, set segmentation.clustering.population: everyone, with features every person has, like attributes.<name>',
    );
  });

  it('does not count prospects towards minProfiles', () => {
    // 66 profiles but 60 buyers: 60 is enough for minProfiles 60.
    expect(clusterProfiles(features, settings({ ...fast, minProfiles: 60 }), { currency: '' }).status).toBe('clustered');
  });

  it('skips when clustering is switched off, saying so', () => {
    const outcome = clusterProfiles(features, settings({ enabled: false }), { currency: '' });
    expect(outcome).toEqual({ status: 'skipped', reason: 'clustering is switched off (segmentation.clustering.enabled: false)' });
  });

  it.each([
    ['kmeans', {}],
    ['ward', {}],
    ['gmm', { covariance: 'diagonal' }],
    ['gmm', { covariance: 'full' }],
  ])('finds the three groups with %s %o and k auto', (algorithm, extra) => {
    const result = clustered(clusterProfiles(features, settings({ ...fast, algorithm, ...extra }), { currency: '' }));
    expect(result.algorithm).toBe(algorithm);
    expect(result.k).toBe(3);
    expect(result.selection).toBe('highest silhouette among k = 2..6');
    const groups = groupLabels(result);
    expect(new Set(groups)).toEqual(new Set([0, 1, 2]));
    // One scan row per k, and k = 3 has the best silhouette.
    expect(result.scan.map((row) => row.k)).toEqual([2, 3, 4, 5, 6]);
    const best = Math.max(...result.scan.map((row) => row.silhouette));
    expect(result.scan.find((row) => row.k === 3)!.silhouette).toBe(best);
    expect(result.metrics.silhouette.value).toBe(best);
    for (const row of result.scan) expect(row.bic).not.toBeNull();
    expect(result.personas).toHaveLength(3);
  });

  it('clusters buyers only, in ascending row order, and leaves prospects out', () => {
    const result = clustered(clusterProfiles(features, settings(fast), { currency: '' }));
    expect(Array.from(result.rows)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(result.labels).toHaveLength(60);
    expect(result.personas.reduce((sum, p) => sum + p.size, 0)).toBe(60);
  });

  it('scans one row per k of kRange', () => {
    const result = clustered(clusterProfiles(features, settings({ kRange: [3, 5], stabilityResamples: 0 }), { currency: '' }));
    expect(result.scan.map((row) => row.k)).toEqual([3, 4, 5]);
    expect(result.selection).toBe('highest silhouette among k = 3..5');
  });

  it('takes a configured k as it is, with a single scan row', () => {
    const result = clustered(clusterProfiles(features, settings({ k: 4, stabilityResamples: 0 }), { currency: '' }));
    expect(result.k).toBe(4);
    expect(result.scan.map((row) => row.k)).toEqual([4]);
    expect(result.selection).toBe('k = 4 as configured');
  });

  it('names the personas of the three groups', () => {
    const result = clustered(clusterProfiles(features, settings(fast), { currency: 'EUR' }));
    const [loyal, bigTicket, lapsed] = groupLabels(result) as number[];
    // The loyal buyers' orders (40–49) are below the population's mean on the log scale, but the
    // typical (median) order of all 60 is among theirs: "small" would hold for only half of them.
    expect(result.personas[loyal!]!.label).toBe('Frequent buyers');
    expect(result.personas[bigTicket!]!.label).toBe('Occasional big spenders');
    // One order of 15–24, over 500 days ago: small orders are named before the lapse.
    expect(result.personas[lapsed!]!.label).toBe('Bargain one-timers');
    expect(result.personas.map((p) => p.size)).toEqual([20, 20, 20]);
  });

  it('gives the same labels for the same input twice', () => {
    const first = clustered(clusterProfiles(features, settings({ kRange: [2, 6] }), { currency: '' }));
    const second = clustered(clusterProfiles(threeGroups(), settings({ kRange: [2, 6] }), { currency: '' }));
    expect(Array.from(second.labels)).toEqual(Array.from(first.labels));
    expect(second.scan).toEqual(first.scan);
    expect(second.metrics.stability).toEqual(first.metrics.stability);
    // And the stability of three far-apart groups is perfect.
    expect(first.metrics.stability?.mean).toBe(1);
  });

  it('finds the three groups with dbscan at a configured eps, without noise', () => {
    // Within a group neighbours are about 0.014 apart (3 days ÷ sd 215, 3 ÷ sd 223); groups are over 1 apart.
    const result = clustered(clusterProfiles(features, settings({ algorithm: 'dbscan', dbscan: { eps: 0.2 }, stabilityResamples: 0 }), { currency: '' }));
    expect(result.dbscan).toEqual({ eps: 0.2, suggested: false, minPts: 6, noiseLabel: null, noise: 0 }); // minPts max(4, 2 × 3 columns)
    expect(result.k).toBe(3);
    expect(new Set(groupLabels(result))).toEqual(new Set([0, 1, 2]));
    expect(result.scan).toHaveLength(1);
    expect(result.scan[0]).toMatchObject({ k: 3, bic: null, aic: null });
    expect(result.selection).toBe('DBSCAN with eps 0.200 and minPts 6: 3 clusters and 0 noise points (noise is not a cluster: it is listed as its own group, and the silhouette and other scores are computed over the clustered points only)');
  });

  it('finds the three groups with dbscan at the suggested eps, any noise being the last group', () => {
    const result = clustered(clusterProfiles(features, settings({ algorithm: 'dbscan', stabilityResamples: 0 }), { currency: '' }));
    const info = result.dbscan!;
    expect(info.suggested).toBe(true);
    expect(info.eps).toBeGreaterThan(0);
    expect(info.eps).toBeLessThan(1); // well below the gap between groups
    // k counts clusters only; noise, if any, carries the label after them.
    expect(result.k).toBe(3);
    expect(info.noiseLabel === null || info.noiseLabel === 3).toBe(true);
    const labelOf = new Map<number, number>();
    result.rows.forEach((row, j) => labelOf.set(row, result.labels[j]!));
    const perGroup = [LOYAL, BIG_TICKET, LAPSED].map((start) => {
      const labels = Array.from({ length: GROUP }, (_, i) => labelOf.get(start + i)!);
      return new Set(labels.filter((label) => label !== info.noiseLabel));
    });
    // Each group is one cluster, apart from at most a few of its edge points left as noise.
    expect(perGroup.map((labels) => labels.size)).toEqual([1, 1, 1]);
    expect(new Set(perGroup.flatMap((labels) => [...labels]))).toEqual(new Set([0, 1, 2]));
    const noise = Array.from(result.labels).filter((label) => label === info.noiseLabel).length;
    expect(noise).toBeLessThanOrEqual(6);
  });

  it('keeps dbscan noise as its own last group and calls it "Unusual customers"', () => {
    // One more buyer, far from all three groups: 5 orders of 250, the last 300 days ago.
    const rows: Row[] = [];
    for (let n = 0; n < 5; n++) rows.push([60, daysAgo(300 + 20 * n), 250]);
    const withOutlier = threeGroupsAnd(rows);
    const result = clustered(clusterProfiles(withOutlier, settings({ algorithm: 'dbscan', dbscan: { eps: 0.2 }, stabilityResamples: 0 }), { currency: '' }));
    expect(result.dbscan).toMatchObject({ suggested: false, noiseLabel: 3, noise: 1 });
    // Three clusters and a noise point: k is 3, and the scan row (the silhouette) is over the 60 clustered points.
    expect(result.k).toBe(3);
    expect(result.scan.map((r) => r.k)).toEqual([3]);
    const clusteredOnly = Int32Array.from(result.labels.keys()).filter((j) => result.labels[j] !== 3);
    expect(clusteredOnly).toHaveLength(60);
    const withoutNoise = silhouette(selectRows(result.prepared.matrix, clusteredOnly), Int32Array.from(clusteredOnly, (j) => result.labels[j]!)).value;
    expect(result.metrics.silhouette.value).toBe(withoutNoise);
    expect(result.metrics.silhouette.value).not.toBe(silhouette(result.prepared.matrix, result.labels).value);
    expect(new Set(groupLabels(result))).toEqual(new Set([0, 1, 2]));
    expect(result.labels[60]).toBe(3);
    expect(result.personas[3]).toMatchObject({ label: 'Unusual customers', key: 'persona_unusual_customers', size: 1, noise: true });
    expect(result.personas.slice(0, 3).every((p) => !p.noise)).toBe(true);
    expect(result.selection).toContain('3 clusters and 1 noise point (noise is not a cluster');
  });
});

describe('ClusteringSchema', () => {
  it('fills in the documented defaults', () => {
    expect(settings()).toMatchObject({
      enabled: true,
      algorithm: 'kmeans',
      k: 'auto',
      kRange: [2, 10],
      features: ['daysSinceLastPurchase', 'lifetimeFrequency', 'averageOrderValue'],
      minProfiles: 50,
    });
  });

  it('rejects an unknown feature, naming the allowed ones', () => {
    const result = ClusteringSchema.safeParse({ features: ['basketSize'] });
    expect(result.success).toBe(false);
    const message = result.error!.issues.map((issue) => issue.message).join('\n');
    expect(message).toContain('"basketSize" is not a number feature');
    expect(message).toContain(`use one of ${NUMBER_FEATURES.join(', ')}, attributes.<name> or interests.<productType>`);
  });

  it('accepts a mapped attribute as a feature', () => {
    expect(ClusteringSchema.safeParse({ features: ['attributes.loyaltyPoints'] }).success).toBe(true);
  });

  it('rejects persona as a categorical feature, naming the allowed ones', () => {
    const result = ClusteringSchema.safeParse({ categorical: ['persona'] });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.message).toBe(
      '"persona" is not a category feature; use one of country, city, emailConsent, lifecycleStage, rfmSegment, crmLifecycleStage, leadStatus, companyIndustry, topProductType or attributes.<name>',
    );
  });

  it('rejects a kRange that runs backwards', () => {
    expect(ClusteringSchema.safeParse({ kRange: [6, 3] }).success).toBe(false);
  });
});
