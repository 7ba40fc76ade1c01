import { describe, expect, it } from 'vitest';
import { clusterProfiles, type Clustered, type ClusteringOutcome } from '../../src/segmentation/clustering.js';
import { ClusteringSchema, type ClusteringSettings } from '../../src/segmentation/clustering-config.js';
import { computeFeatures, type FeatureSet } from '../../src/segmentation/features.js';
import { applyPredictions, predictCustomers } from '../../src/segmentation/predict/index.js';
import { PredictionSettingsSchema } from '../../src/segmentation/predict/settings.js';
import { computeRfm, MS_PER_DAY, type PurchaseColumns } from '../../src/segmentation/rfm.js';
import { assignRfmSegments } from '../../src/segmentation/rfm-segments.js';
import { DEFAULT_POPULATION_SEED, DEFAULT_POPULATION_SIZE, generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { seededRandom } from '../../src/segmentation/random.js';
import { clusteringSummary } from '../../src/pipeline/segment.js';
import { renderClustering } from '../../src/cli/render.js';
import { personaClaimViolations } from '../helpers/persona-claims.js';

const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const REF = ANCHOR.getTime();

function featureSet(profiles: number, rows: Array<[number, number, number]>, attributes: Map<string, Array<string | number | null>> = new Map()): FeatureSet {
  const purchases: PurchaseColumns = {
    profileIndex: Int32Array.from(rows.map((r) => r[0])),
    occurredAtMs: Float64Array.from(rows.map((r) => r[1])),
    amount: Float64Array.from(rows.map((r) => r[2])),
  };
  const rfm = computeRfm(profiles, purchases, { referenceDateMs: REF, windowDays: 365 });
  return computeFeatures(profiles, purchases, rfm, assignRfmSegments(rfm), {
    createdAtMs: new Float64Array(profiles).fill(Number.NaN),
    country: new Array<string | null>(profiles).fill(null),
    city: new Array<string | null>(profiles).fill(null),
    emailConsent: new Array<string | null>(profiles).fill(null),
    attributes,
  }, { referenceMs: REF, windowDays: 365 });
}

/** The default sandbox population (5,000 people, seed 42): its won purchases, amounts as they are. */
function sandboxFeatures(): FeatureSet {
  const people = [...generatePopulation(parsePopulationOptions({ seed: DEFAULT_POPULATION_SEED, size: DEFAULT_POPULATION_SIZE, anchor: ANCHOR }))];
  const rows: Array<[number, number, number]> = [];
  people.forEach((p, i) => {
    for (const o of p.purchases) if (o.status === 'won' && o.amount !== null) rows.push([i, Date.parse(o.occurredAt), o.amount]);
  });
  const features = featureSet(people.length, rows);
  const predictions = predictCustomers(features.purchases, REF, PredictionSettingsSchema.parse({}));
  applyPredictions(features, predictions);
  return features;
}

/**
 * A contacts-only file: 400 people in four planted groups of income, age and spending score, and
 * (as a user had to invent) one purchase each in the last month, of about the same amount;
 * `scattered` more people belong to no group.
 */
function attributesOnlyFeatures(scattered = 0): { features: FeatureSet; group: number[] } {
  const random = seededRandom(13);
  const centres = [
    { income: 25_000, age: 24, score: 80 },
    { income: 90_000, age: 28, score: 20 },
    { income: 95_000, age: 55, score: 75 },
    { income: 30_000, age: 60, score: 15 },
  ];
  const n = 400;
  const income: number[] = [];
  const age: number[] = [];
  const score: number[] = [];
  const group: number[] = [];
  const rows: Array<[number, number, number]> = [];
  for (let i = 0; i < n; i++) {
    const c = centres[i % 4]!;
    group.push(i % 4);
    income.push(Math.round(c.income * (0.9 + 0.2 * random())));
    age.push(Math.round(c.age + 6 * (random() - 0.5)));
    score.push(Math.round(c.score + 10 * (random() - 0.5)));
    rows.push([i, REF - Math.floor(1 + 28 * random()) * MS_PER_DAY, 10 + random()]);
  }
  // People who belong to no group: spread evenly over the whole range.
  for (let i = 0; i < scattered; i++) {
    group.push(-1);
    income.push(Math.round(20_000 + 80_000 * random()));
    age.push(Math.round(20 + 45 * random()));
    score.push(Math.round(100 * random()));
    rows.push([n + i, REF - Math.floor(1 + 28 * random()) * MS_PER_DAY, 10 + random()]);
  }
  const attributes = new Map<string, Array<string | number | null>>([['income', income], ['age', age], ['spendingScore', score]]);
  return { features: featureSet(n + scattered, rows, attributes), group };
}

const settings = (overrides: Record<string, unknown>): ClusteringSettings => ClusteringSchema.parse({ stabilityResamples: 0, restarts: 2, ...overrides });

function clustered(outcome: ClusteringOutcome): Clustered {
  if (outcome.status !== 'clustered') throw new Error(`expected a clustering, got: ${outcome.reason}`);
  return outcome;
}

function violations(features: FeatureSet, result: Clustered, s: ClusteringSettings): string[] {
  return personaClaimViolations({ features, rows: result.rows, labels: result.labels, personas: result.personas, numeric: s.features, categorical: s.categorical });
}

describe('every persona says only what holds for the share of members it claims', () => {
  const sandbox = sandboxFeatures();

  it('on the default sandbox population, k-means with k auto (labels, narratives with P(alive), summaries)', () => {
    const s = settings({});
    const result = clustered(clusterProfiles(sandbox, s, { currency: 'EUR', horizonMonths: 12 }));
    expect(result.personas.length).toBeGreaterThanOrEqual(2);
    expect(violations(sandbox, result, s)).toEqual([]);
    // The outlook sentence was there to be checked.
    expect(result.personas.some((p) => p.narrative.includes('P(alive)'))).toBe(true);
  });

  it('on the default sandbox population at every k from 2 to 8, where clusters mix types', () => {
    for (let k = 2; k <= 8; k++) {
      const s = settings({ k });
      const result = clustered(clusterProfiles(sandbox, s, { currency: 'EUR', horizonMonths: 12 }));
      expect(violations(sandbox, result, s), `k = ${k}`).toEqual([]);
    }
  });

  it('on attributes alone (with one invented recent purchase each), five clusters get distinct labels from the attributes', () => {
    const { features } = attributesOnlyFeatures();
    const s = settings({ k: 5, features: ['attributes.income', 'attributes.age', 'attributes.spendingScore'] });
    const result = clustered(clusterProfiles(features, s, { currency: '' }));
    expect(violations(features, result, s)).toEqual([]);
    const labels = result.personas.map((p) => p.label);
    // Five different labels, none numbered, none about the invented purchase.
    expect(new Set(labels).size).toBe(5);
    expect(labels.filter((l) => /\(\d+\)$/.test(l))).toEqual([]);
    expect(labels.filter((l) => /buyer|one-time|first-time|New /i.test(l))).toEqual([]);
    // Each names at least one of the clustering's attributes.
    for (const label of labels) expect(label, label).toMatch(/income|age|younger|older|spending score/i);
  });

  it('on attributes alone with four planted groups, k 4: each planted group gets its own true label', () => {
    const { features, group } = attributesOnlyFeatures();
    const s = settings({ k: 4, features: ['attributes.income', 'attributes.age', 'attributes.spendingScore'] });
    const result = clustered(clusterProfiles(features, s, { currency: '' }));
    expect(violations(features, result, s)).toEqual([]);
    // Group 0 (income 25k, age 24): low income and younger.
    const clusterOfGroup0 = result.labels[group.indexOf(0)]!;
    expect(result.personas[clusterOfGroup0]!.label).toMatch(/low income|younger/i);
    expect(new Set(result.personas.map((p) => p.label)).size).toBe(4);
  });

  it('with DBSCAN: k counts the clusters without the noise group, which is reported as noise with its size', () => {
    const { features } = attributesOnlyFeatures(20);
    const s = settings({ algorithm: 'dbscan', features: ['attributes.income', 'attributes.age', 'attributes.spendingScore'], dbscan: { eps: 0.3, minPts: 10 } });
    const result = clustered(clusterProfiles(features, s, { currency: '' }));
    expect(violations(features, result, s)).toEqual([]);
    const noise = result.personas.filter((p) => p.noise);
    expect(noise).toHaveLength(1);
    expect(result.k).toBe(result.personas.length - noise.length);
    expect(result.dbscan!.noise).toBe(noise.reduce((sum, p) => sum + p.size, 0));
    expect(result.scan[0]!.k).toBe(result.k);
    expect(result.selection).toContain('silhouette and other scores are computed over the clustered points only');
    // What `segsync segment` prints and its --json: k without noise, the noise count beside it.
    const summary = clusteringSummary(result);
    if (summary.status !== 'clustered') throw new Error('not clustered');
    expect([summary.k, summary.noise]).toEqual([result.k, noise[0]!.size]);
    const printed = renderClustering(summary);
    expect(printed).toContain(`k = ${result.k} + ${noise[0]!.size} noise points`);
    expect(printed).toContain('Unusual customers (noise, not a cluster)');
    expect(printed).toContain('(noise left out)');
  });
});
