/**
 * segmentation.clusterings (issue 13 §3): named clusterings in the workspace config, the old
 * segmentation.clustering as the one named customers, the default leads clustering, and errors
 * that name the key and the fix.
 */
import { describe, expect, it } from 'vitest';
import { parseWorkspace } from '../../src/config/workspace.js';
import { DEFAULT_LEADS_FEATURES, namedClusterings } from '../../src/segmentation/clustering-config.js';
import { clusterProfiles } from '../../src/segmentation/clustering.js';
import { computeFeatures, type FeatureSet } from '../../src/segmentation/features.js';
import { computeRfm, MS_PER_DAY, type PurchaseColumns } from '../../src/segmentation/rfm.js';
import { assignRfmSegments } from '../../src/segmentation/rfm-segments.js';
import { tokenSpecs } from '../../src/segmentation/tokens.js';

const parse = (segmentation: unknown, extra: Record<string, unknown> = {}) => parseWorkspace({ segmentation, ...extra }, 'segsync.yaml', ['hubspot']);
const refused = (segmentation: unknown, extra: Record<string, unknown> = {}): string => {
  try {
    parse(segmentation, extra);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('accepted');
};
const summary = (segmentation: unknown) => namedClusterings(parse(segmentation).segmentation)
  .map((c) => ({ name: c.name, path: c.path, population: c.settings.population, features: c.settings.features, isDefault: c.isDefault }));

describe('segmentation.clusterings', () => {
  it('declares nothing: customers (buyers, as before) and leads (prospects on engagement and company)', () => {
    const clusterings = namedClusterings(parse({}).segmentation);
    expect(clusterings.map((c) => [c.name, c.path, c.isDefault])).toEqual([
      ['customers', 'segmentation.clustering', true],
      ['leads', 'segmentation.clusterings.leads', true],
    ]);
    expect(clusterings[0]!.settings).toMatchObject({ population: 'auto', features: ['daysSinceLastPurchase', 'lifetimeFrequency', 'averageOrderValue'], categorical: [], minFeatures: 0 });
    expect(clusterings[1]!.settings).toMatchObject({ population: 'prospects', features: [...DEFAULT_LEADS_FEATURES], categorical: ['companyIndustry'], minFeatures: 3, minProfiles: 50 });
  });

  it('reads the old segmentation.clustering as the clustering named customers, and keeps the default leads beside it', () => {
    expect(summary({ clustering: { features: ['attributes.age'], population: 'everyone' } })).toEqual([
      { name: 'customers', path: 'segmentation.clustering', population: 'everyone', features: ['attributes.age'], isDefault: false },
      { name: 'leads', path: 'segmentation.clusterings.leads', population: 'prospects', features: [...DEFAULT_LEADS_FEATURES], isDefault: true },
    ]);
    expect(parse({ clustering: { k: 4 } }).segmentation.clustering.k).toBe(4);
  });

  it('replaces the defaults with what clusterings declares, in its order, customers first', () => {
    expect(summary({ clusterings: { enterprise: { population: 'everyone', features: ['companyEmployees'] }, customers: { k: 3 } } }).map((c) => [c.name, c.path, c.population])).toEqual([
      ['customers', 'segmentation.clusterings.customers', 'auto'],
      ['enterprise', 'segmentation.clusterings.enterprise', 'everyone'],
    ]);
    // Only leads: no customers clustering at all.
    expect(summary({ clusterings: { leads: { k: 4 } } }).map((c) => c.name)).toEqual(['leads']);
    // The old section and named ones together: customers from the old section, then the named ones, no default leads.
    expect(summary({ clustering: { k: 3 }, clusterings: { vip: { population: 'buyers' } } }).map((c) => [c.name, c.path])).toEqual([
      ['customers', 'segmentation.clustering'],
      ['vip', 'segmentation.clusterings.vip'],
    ]);
  });

  it('starts a declared leads clustering from the leads defaults; with its own features, from the usual ones', () => {
    const [leads] = namedClusterings(parse({ clusterings: { leads: { k: 4 } } }).segmentation);
    expect(leads!.settings).toMatchObject({ k: 4, population: 'prospects', features: [...DEFAULT_LEADS_FEATURES], minFeatures: 3 });
    const [empty] = namedClusterings(parse({ clusterings: { leads: null } }).segmentation);
    expect(empty!.settings.features).toEqual([...DEFAULT_LEADS_FEATURES]);
    const [own] = namedClusterings(parse({ clusterings: { leads: { features: ['webVisits', 'pageViews'] } } }).segmentation);
    expect(own!.settings).toMatchObject({ population: 'prospects', features: ['webVisits', 'pageViews'], minFeatures: 0, preparation: { log: 'auto' } });
  });

  it('refuses bad clusterings with the key and the fix', () => {
    expect(refused({ clusterings: { Leads: {} } })).toBe('segsync.yaml is not valid:\n  - segmentation.clusterings.Leads: "Leads" is not a clustering name; use lower-case letters, digits and _ (starting with a letter, at most 40 characters), like leads');
    expect(refused({ clustering: {}, clusterings: { customers: {} } })).toBe('segsync.yaml is not valid:\n  - segmentation.clusterings.customers: the customers clustering is already declared by segmentation.clustering; keep one of the two (segmentation.clustering means the clustering named customers)');
    expect(refused({ clusterings: { leads: { algorithm: 'spectral' } } })).toBe('segsync.yaml is not valid:\n  - segmentation.clusterings.leads.algorithm: use one of kmeans, gmm, ward, dbscan');
    expect(refused({ clusterings: { vip: { minProfle: 20 } } })).toBe('segsync.yaml is not valid:\n  - segmentation.clusterings.vip: Unrecognized key: "minProfle"; did you mean "minProfiles"?');
    expect(refused({ clusterings: { vip: { features: ['shoeSize'] } } })).toContain('segmentation.clusterings.vip.features.0: "shoeSize" is not a number feature');
    expect(refused({ clusterings: { leads: { minFeatures: 12 } } })).toContain('segmentation.clusterings.leads.minFeatures: 12 is more than the 9 features listed; use at most 9');
    expect(refused({ clusterings: { summary: {} } })).toContain('segmentation.clusterings.summary: "summary" is reserved');
    expect(refused({ clusterings: { vip: { population: { op: 'eq', field: 'persona.leads', value: 'persona_leads_x' } } } })).toContain('segmentation.clusterings.vip.population: a population rule cannot use persona');
  });

  it('lets a rule name another clustering\'s persona as persona.<name>, and refuses an unknown one', () => {
    const rule = (r: unknown) => ({ segments: [{ key: 'hot', name: 'Hot leads', rule: r }] });
    expect(parse({}, rule({ op: 'eq', field: 'persona.leads', value: 'persona_leads_frequent_site_visitors' })).segments).toHaveLength(1);
    expect(refused({}, rule({ op: 'eq', field: 'persona.leads', value: 'persona_frequent_small_buyers' })))
      .toContain('segments.0 (hot).rule: persona.leads "persona_frequent_small_buyers" is not a leads persona key; its keys look like persona_leads_');
    expect(refused({}, rule({ op: 'exists', field: 'persona.vip' }))).toContain('segments.0 (hot).rule: persona.vip: no clustering named vip; the clusterings are customers, leads');
    expect(refused({}, rule({ op: 'exists', field: 'persona.customers' }))).toContain('use persona, not persona.customers');
    expect(refused({}, { segments: [{ key: 'x', name: 'Lead persona: hot', rule: { op: 'exists', field: 'country' } }] })).toContain("are reserved for personas' lists");
  });

  it('declares persona_<name> and persona_<name>_summary tokens for each clustering but customers', () => {
    const keys = tokenSpecs([], null, ['customers', 'leads', 'vip']).map((t) => t.key);
    expect(keys).toEqual(expect.arrayContaining(['persona', 'persona_summary', 'persona_leads', 'persona_leads_summary', 'persona_vip', 'persona_vip_summary']));
    expect(keys.filter((k) => k.startsWith('persona_customers'))).toEqual([]);
  });
});

const REF = Date.UTC(2026, 5, 1);

/** `buyers` people with two purchases, then `prospects` with none; attributes as given (per person). */
function store(buyers: number, prospects: number, attributes: (p: number) => Record<string, string | number | null>): FeatureSet {
  const n = buyers + prospects;
  const rows = Array.from({ length: buyers }, (_, i) => [[i, REF - (10 + i) * MS_PER_DAY, 30 + i], [i, REF - (200 + i) * MS_PER_DAY, 50]]).flat();
  const purchases: PurchaseColumns = {
    profileIndex: Int32Array.from(rows, (r) => r[0]!),
    occurredAtMs: Float64Array.from(rows, (r) => r[1]!),
    amount: Float64Array.from(rows, (r) => r[2]!),
  };
  const rfm = computeRfm(n, purchases, { referenceDateMs: REF, windowDays: 365 });
  const columns = new Map<string, Array<string | number | null>>();
  for (let p = 0; p < n; p++) {
    for (const [k, v] of Object.entries(attributes(p))) {
      if (!columns.has(k)) columns.set(k, new Array<string | number | null>(n).fill(null));
      columns.get(k)![p] = v;
    }
  }
  return computeFeatures(n, purchases, rfm, assignRfmSegments(rfm), {
    createdAtMs: new Float64Array(n).fill(Number.NaN),
    country: new Array<string | null>(n).fill(null),
    city: new Array<string | null>(n).fill(null),
    emailConsent: new Array<string | null>(n).fill(null),
    attributes: columns,
  }, { referenceMs: REF, windowDays: 365 });
}

describe('the default leads clustering runs only when enough prospects have engagement data', () => {
  const leads = namedClusterings(parse({}).segmentation).find((c) => c.name === 'leads')!;
  const run = (features: FeatureSet) => clusterProfiles(features, leads.settings, { currency: '', path: leads.path });

  it('skips, saying why, when the prospects have no engagement or company data', () => {
    expect(run(store(60, 80, () => ({})))).toEqual({
      status: 'skipped',
      reason: `only 0 of the 80 prospects have at least 3 of the clustering features (${DEFAULT_LEADS_FEATURES.join(', ')}); the clustering needs at least 50 (segmentation.clusterings.leads.minProfiles, segmentation.clusterings.leads.minFeatures)`,
    });
  });

  it('skips when too few have at least 3 features, and leaves out the ones with fewer when enough do', () => {
    // Profiles 0..19 bought; of the 100 prospects after them, the first 40 (then 70) have visits, page views and a company; the others only visits.
    const none: Record<string, number> = {};
    const engaged = (p: number): Record<string, string | number> => ({ webVisits: 2 + (p % 9), pageViews: 5 + (p % 13), companyEmployees: p % 2 === 0 ? 12 : 800, companyIndustry: p % 2 === 0 ? 'RETAIL' : 'COMPUTER_SOFTWARE' });
    const few = run(store(20, 100, (p) => (p < 20 ? none : p < 60 ? engaged(p) : { webVisits: 3 })));
    expect(few).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^only 40 of the 100 prospects have at least 3 of the clustering features/) });
    const enough = run(store(20, 100, (p) => (p < 20 ? none : p < 90 ? engaged(p) : { webVisits: 3 })));
    if (enough.status !== 'clustered') throw new Error(enough.reason);
    expect(enough.rows.length).toBe(70);
    expect(enough.population.description).toBe('population: prospects; 30 prospects with fewer than 3 of the clustering features were left out');
    // Labelled by what sets them apart (company size and industry here), never by purchases.
    for (const p of enough.personas) expect(p.label).toMatch(/compan|industry|site|page|Mixed/i);
  });
});
