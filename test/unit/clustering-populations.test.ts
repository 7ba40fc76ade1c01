/**
 * segmentation.clustering.population (issue 13): who is clustered, and what a skip says when the
 * population cannot be clustered on the configured features.
 */
import { describe, expect, it } from 'vitest';

import { clusterProfiles, type Clustered, type ClusteringOutcome } from '../../src/segmentation/clustering.js';
import { ClusteringSchema, type ClusteringSettings } from '../../src/segmentation/clustering-config.js';
import { computeFeatures, type FeatureSet } from '../../src/segmentation/features.js';
import { computeRfm, MS_PER_DAY, type PurchaseColumns } from '../../src/segmentation/rfm.js';
import { assignRfmSegments } from '../../src/segmentation/rfm-segments.js';
import { parseWorkspace } from '../../src/config/workspace.js';

const REF = Date.UTC(2024, 5, 30, 12, 0, 0);
const daysAgo = (days: number): number => REF - days * MS_PER_DAY;

/** One purchase: [profile, epoch ms, amount]. */
type Row = [number, number, number];
type Attributes = Record<string, Array<string | number | boolean | null>>;

function featuresFrom(profiles: number, rows: Row[], attributes: Attributes): FeatureSet {
  const purchases: PurchaseColumns = {
    profileIndex: Int32Array.from(rows.map((row) => row[0])),
    occurredAtMs: Float64Array.from(rows.map((row) => row[1])),
    amount: Float64Array.from(rows.map((row) => row[2])),
  };
  const rfm = computeRfm(profiles, purchases, { referenceDateMs: REF, windowDays: 365 });
  return computeFeatures(profiles, purchases, rfm, assignRfmSegments(rfm), {
    createdAtMs: new Float64Array(profiles).fill(Number.NaN),
    country: new Array<string | null>(profiles).fill(null),
    city: new Array<string | null>(profiles).fill(null),
    emailConsent: new Array<string | null>(profiles).fill(null),
    attributes: new Map(Object.entries(attributes)),
  }, { referenceMs: REF, windowDays: 365 });
}

const BUYERS = 30; // profiles 0–29: 15 regulars (10 orders), 15 one-timers a year and a half ago
const PROSPECTS = 40; // profiles 30–69: never bought; 20 aged about 25, 20 aged about 65
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const ageOf = (p: number) => (p < BUYERS ? 40 + (p % 5) : p < BUYERS + PROSPECTS / 2 ? 22 + (p % 7) : 61 + (p % 7));

/** Buyers and prospects in one store, everyone with an age. */
function mixedStore(): FeatureSet {
  const rows: Row[] = [];
  for (let i = 0; i < 15; i++) {
    for (let n = 0; n < 10; n++) rows.push([i, daysAgo(3 + i + 12 * n), 40 + i]);
    rows.push([15 + i, daysAgo(500 + 3 * i), 20 + i]);
  }
  const n = BUYERS + PROSPECTS;
  return featuresFrom(n, rows, { age: range(0, n).map(ageOf) });
}

/** A contacts-only store: 40 people with an age and a spending score, no purchase at all. */
function contactsOnly(): FeatureSet {
  const people = range(0, 40);
  return featuresFrom(40, [], {
    age: people.map((p) => (p < 20 ? 22 + (p % 7) : 61 + (p % 7))),
    spendingScore: people.map((p) => (p < 20 ? 80 + (p % 9) : 10 + (p % 9))),
    gender: people.map((p) => (p % 2 === 0 ? 'Female' : 'Male')),
  });
}

const settings = (overrides: Record<string, unknown> = {}): ClusteringSettings =>
  ClusteringSchema.parse({ minProfiles: 10, stabilityResamples: 0, kRange: [2, 4], ...overrides });

function clustered(outcome: ClusteringOutcome): Clustered {
  if (outcome.status !== 'clustered') throw new Error(`expected a clustering, got: ${outcome.reason}`);
  return outcome;
}

function reason(outcome: ClusteringOutcome): string {
  if (outcome.status !== 'skipped') throw new Error(`expected a skip, got a clustering of ${outcome.rows.length}`);
  return outcome.reason;
}

const AGE = { features: ['attributes.age'] };

describe('population', () => {
  const store = mixedStore();

  it('auto clusters the buyers of a store that has purchases, as before', () => {
    const result = clustered(clusterProfiles(store, settings(), { currency: '' }));
    expect(Array.from(result.rows)).toEqual(range(0, BUYERS));
    expect(result.population).toEqual({ kind: 'buyers', description: 'population auto: buyers, as the store has purchases' });
  });

  it('prospects: clusters exactly the profiles that never bought, and splits them by age', () => {
    const result = clustered(clusterProfiles(store, settings({ population: 'prospects', ...AGE, k: 2 }), { currency: '' }));
    expect(Array.from(result.rows)).toEqual(range(BUYERS, PROSPECTS));
    expect(result.population.kind).toBe('prospects');
    const young = new Set(Array.from(result.labels.slice(0, PROSPECTS / 2)));
    const old = new Set(Array.from(result.labels.slice(PROSPECTS / 2)));
    expect([young.size, old.size]).toEqual([1, 1]);
    expect(young).not.toEqual(old);
    // Every clustered prospect has a persona.
    expect(result.personas).toHaveLength(2);
    expect(result.personas.reduce((sum, p) => sum + p.size, 0)).toBe(PROSPECTS);
  });

  it('everyone: clusters every profile, buyers and prospects', () => {
    const result = clustered(clusterProfiles(store, settings({ population: 'everyone', ...AGE }), { currency: '' }));
    expect(Array.from(result.rows)).toEqual(range(0, BUYERS + PROSPECTS));
    expect(result.population).toEqual({ kind: 'everyone', description: 'population: everyone' });
  });

  it('a rule: clusters the profiles it matches, in the rule segments\' language', () => {
    const result = clustered(clusterProfiles(store, settings({ population: { op: 'gte', field: 'attributes.age', value: 42 }, ...AGE }), { currency: '' }));
    expect(Array.from(result.rows)).toEqual(range(0, BUYERS + PROSPECTS).filter((p) => ageOf(p) >= 42));
    expect(result.population).toEqual({ kind: 'rule', description: 'population: attributes.age ≥ 42' });
    const prospects = clustered(clusterProfiles(store, settings({ population: { op: 'eq', field: 'rfmSegment', value: 'prospects' }, ...AGE }), { currency: '' }));
    expect(Array.from(prospects.rows)).toEqual(range(BUYERS, PROSPECTS));
  });

  it('auto clusters everyone in a contacts-only store, on its attributes', () => {
    const result = clustered(clusterProfiles(contactsOnly(), settings({ features: ['attributes.age', 'attributes.spendingScore'], k: 2 }), { currency: '' }));
    expect(result.rows).toHaveLength(40);
    expect(result.population).toEqual({ kind: 'everyone', description: 'population auto: everyone, as no profile has purchases' });
    expect(new Set(Array.from(result.labels.slice(0, 20))).size).toBe(1);
    expect(result.labels[0]).not.toBe(result.labels[39]);
  });
});

describe('population: a skip names the cause and the fix', () => {
  it('a contacts-only store on the default (purchase) features: says no one bought, and to cluster on attributes', () => {
    expect(reason(clusterProfiles(contactsOnly(), settings(), { currency: '' }))).toBe(
      'no profile has purchases; the clustering features daysSinceLastPurchase, lifetimeFrequency, averageOrderValue need purchases: ' +
        'set segmentation.clustering.features to attributes.<name> (numeric attributes here: attributes.age, attributes.spendingScore) or other features every person has',
    );
  });

  it('prospects on purchase features in a store with buyers: also offers population buyers', () => {
    expect(reason(clusterProfiles(mixedStore(), settings({ population: 'prospects' }), { currency: '' }))).toBe(
      'none of the 40 prospects has purchases; the clustering features daysSinceLastPurchase, lifetimeFrequency, ' +
        'averageOrderValue need purchases: set segmentation.clustering.features to attributes.<name> (numeric attributes here: attributes.age) or other features every person has, ' +
        'or segmentation.clustering.population: buyers',
    );
  });

  it('too few buyers, with more people in the store: points at population everyone, not only at minProfiles', () => {
    expect(reason(clusterProfiles(mixedStore(), settings({ minProfiles: 31 }), { currency: '' }))).toBe(
      'only 30 profiles have purchases; clustering (population auto: buyers) needs at least 31 (segmentation.clustering.minProfiles); ' +
        'to cluster all 70 profiles, set segmentation.clustering.population: everyone, with features every person has, like attributes.<name> (numeric attributes here: attributes.age)',
    );
  });

  it('buyers asked for in a contacts-only store', () => {
    expect(reason(clusterProfiles(contactsOnly(), settings({ population: 'buyers', features: ['attributes.age'] }), { currency: '' }))).toBe(
      'only 0 profiles have purchases; clustering (population: buyers) needs at least 10 (segmentation.clustering.minProfiles); ' +
        'to cluster all 40 profiles, set segmentation.clustering.population: everyone',
    );
  });

  it('a rule matching too few profiles names the rule', () => {
    expect(reason(clusterProfiles(mixedStore(), settings({ population: { op: 'gte', field: 'attributes.age', value: 67 }, ...AGE }), { currency: '' }))).toMatch(
      /^only 3 profiles match the population rule \(attributes\.age ≥ 67\); clustering \(population: rule\) needs at least 10 \(segmentation\.clustering\.minProfiles\); to cluster all 70 profiles/,
    );
  });
});

describe('preparation off means the raw values', () => {
  it('scaling none, log none, outliers none and impute false: the matrix is the raw columns, skew and outliers included', () => {
    const store = mixedStore();
    // lifetimeMonetary is a money column (auto would log it); the one-timers make it skewed.
    const off = { impute: false, outliers: { method: 'none' }, log: 'none', scaling: 'none' };
    const result = clustered(clusterProfiles(store, settings({ population: 'buyers', features: ['lifetimeMonetary', 'attributes.age'], k: 2, preparation: off }), { currency: '' }));
    const raw = Array.from(result.rows).flatMap((p) => [store.numbers.lifetimeMonetary[p]!, ageOf(p)]);
    expect(Array.from(result.prepared.matrix.data)).toEqual(raw);
    expect(result.prepared.fitted.map((f) => ({ log: f.log, center: f.center, scale: f.scale, lowerFence: f.lowerFence, upperFence: f.upperFence, median: f.median })))
      .toEqual([0, 1].map(() => ({ log: false, center: 0, scale: 1, lowerFence: null, upperFence: null, median: null })));
    // The same with the defaults does transform them: the check above can fail.
    const prepared = clustered(clusterProfiles(store, settings({ population: 'buyers', features: ['lifetimeMonetary', 'attributes.age'], k: 2 }), { currency: '' }));
    expect(Array.from(prepared.prepared.matrix.data)).not.toEqual(raw);
  });
});

describe('population in the workspace config', () => {
  const parse = (population: unknown) => parseWorkspace({ segmentation: { clustering: { population } } }, 'segsync.yaml', ['hubspot']);
  const refused = (population: unknown): string => {
    try {
      parse(population);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('not refused');
  };

  it('defaults to auto and accepts the three names and a rule', () => {
    expect(parseWorkspace({}, 'segsync.yaml', ['hubspot']).segmentation.clustering.population).toBe('auto');
    for (const name of ['buyers', 'prospects', 'everyone']) expect(parse(name).segmentation.clustering.population).toBe(name);
    expect(parse({ op: 'gte', field: 'attributes.age', value: 18 }).segmentation.clustering.population).toEqual({ op: 'gte', field: 'attributes.age', value: 18 });
  });

  it('refuses an unknown name, listing what is allowed', () => {
    expect(refused('all')).toBe('segsync.yaml is not valid:\n  - segmentation.clustering.population: use one of auto, buyers, prospects, everyone, or a rule like { op: gte, field: attributes.age, value: 18 }');
  });

  it('refuses a rule on persona (personas come from this clustering) and a value no profile has', () => {
    expect(refused({ op: 'eq', field: 'persona', value: 'persona_x' })).toContain('segmentation.clustering.population: a population rule cannot use persona');
    expect(refused({ op: 'eq', field: 'rfmSegment', value: 'champs' })).toContain('segmentation.clustering.population: rfmSegment is never "champs"');
    expect(refused({ op: 'gte', field: 'nope', value: 1 })).toContain('"nope" is not a number feature');
  });
});
