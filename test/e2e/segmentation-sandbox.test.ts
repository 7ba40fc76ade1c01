import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import type { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import { explainProfile } from '../../src/pipeline/explain.js';
import { probabilityAlive } from '../../src/segmentation/predict/bgnbd.js';
import { buildReportData } from '../../src/pipeline/report.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import type { SegmentSummary } from '../../src/pipeline/segment.js';
import { openSession, type Session } from '../../src/pipeline/session.js';
import { renderReportHtml } from '../../src/report/render-html.js';
import { renderWithChromium } from '../../src/report/chromium.js';
import { DEFAULT_CLUSTERING_FEATURES } from '../../src/segmentation/clustering-config.js';
import { NUMBER_FEATURES, type FeatureSet } from '../../src/segmentation/features.js';
import type { Persona } from '../../src/segmentation/personas.js';
import { personaClaimViolations } from '../helpers/persona-claims.js';
import { matrixFromRows } from '../../src/segmentation/matrix.js';
import { adjustedRandIndex, calinskiHarabasz, daviesBouldin, dunnIndex, silhouette, withinClusterSumOfSquares } from '../../src/segmentation/metrics.js';
import { DEFAULT_POPULATION_SEED, DEFAULT_POPULATION_SIZE, generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { CUSTOMER_TYPES, type CustomerType, type SyntheticPerson } from '../../src/sandbox/population-types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { heldOutAsControl } from '../helpers/world.js';

const ANCHOR = new Date('2026-06-01T00:00:00.000Z');

/** A FeatureSet from the features the run stored per profile (numbers only; what the claim check reads). */
function storedFeatureSet(values: Array<Record<string, number | string | null>>): FeatureSet {
  const numbers = Object.fromEntries(NUMBER_FEATURES.map((k) => [k, Float64Array.from(values, (v) => (typeof v[k] === 'number' ? v[k] : Number.NaN))])) as FeatureSet['numbers'];
  return { rows: values.length, numbers, attributes: new Map() } as unknown as FeatureSet;
}
const signal = new AbortController().signal;

/** What a marketer should read for each hidden customer type of the generator. */
const LABEL_OF_TYPE: Record<Exclude<CustomerType, 'prospect'>, string> = {
  frequent_small_buyer: 'Frequent small buyers',
  rare_big_spender: 'Occasional big spenders',
  lapsed_regular: 'Lapsed regulars',
  // 29% of the sandbox's recent first-timers bought a second time: "first-time" would not hold for 80% (personas.ts).
  recent_first_timer: 'New customers',
  one_off_bargain_buyer: 'Bargain one-timers',
};

const WORKSPACE = `segmentation:
  referenceDate: ${ANCHOR.toISOString()}
segments:
  - key: recent_high_spenders
    name: Recent high spenders
    rule: { op: spentWithinDays, days: 30, atLeast: 500 }
  - key: dormant_germans
    name: German customers who are dormant
    rule: { op: all, rules: [{ op: eq, field: country, value: DE }, { op: in, field: lifecycleStage, values: [dormant, churned] }] }
  - key: engaged_readers
    name: Engaged email readers
    rule: { op: all, rules: [{ op: gte, field: emailOpens, value: 10 }, { op: lte, field: daysSinceLastEmailOpen, value: 30 }] }
  - key: lapsed_big_value
    name: Lapsed regulars worth winning back
    rule: { op: all, rules: [{ op: eq, field: persona, value: persona_lapsed_regulars }, { op: gte, field: lifetimeMonetary, value: 1000 }] }
  - key: high_value_at_risk
    name: High value at risk
    rule: { op: all, rules: [{ op: top, field: clv, percent: 20 }, { op: lt, field: pAlive, value: 0.5 }] }
  - key: valuable_soon
    name: Valuable and buying soon
    rule: { op: all, rules: [{ op: top, field: clv, percent: 10 }, { op: gte, field: expectedPurchases90d, value: 1 }] }
`;

describe('segmentation on the default sandbox population (5,000 people, seed 42), pulled from every emulator', () => {
  let sandbox: Sandbox;
  let session: Session;
  let people: Map<string, SyntheticPerson>;
  let result: SegmentSummary;
  let dir: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ registry: CONNECTORS, size: DEFAULT_POPULATION_SIZE, seed: DEFAULT_POPULATION_SEED, anchor: ANCHOR, pace: 'fast' });
    dir = mkdtempSync(join(tmpdir(), 'segsync-clusters-'));
    writeFileSync(join(dir, 'workspace.yaml'), WORKSPACE);
    session = openSession({ env: { ...sandbox.env, SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') }, registry: CONNECTORS });
    people = new Map([...generatePopulation(parsePopulationOptions({ seed: DEFAULT_POPULATION_SEED, size: DEFAULT_POPULATION_SIZE, anchor: ANCHOR }))].map((p) => [p.email, p]));
    await pull(session, { full: true, signal });
    result = segment(session, { exportDir: join(dir, 'export') });
  }, 240_000);
  afterAll(async () => {
    session?.close();
    await sandbox?.close();
  });

  /** profile id → the generator's hidden type, for profiles whose email is a person's (typo-split halves excluded). */
  function hiddenTypes(): Map<number, CustomerType> {
    const out = new Map<number, CustomerType>();
    for (const p of session.db.prepare('SELECT id, email_key AS email FROM profiles').all() as Array<{ id: number; email: string | null }>) {
      const person = p.email ? people.get(p.email) : undefined;
      if (person) out.set(p.id, person.trueType);
    }
    return out;
  }

  function clusterRows(): Array<{ profileId: number; cluster: number; persona: string }> {
    return session.db.prepare(`SELECT f.profile_id AS profileId, f.cluster, p.label AS persona FROM profile_features f
      JOIN personas p ON p.key = f.persona_key AND p.run_id = f.run_id WHERE f.cluster IS NOT NULL`).all() as Array<{ profileId: number; cluster: number; persona: string }>;
  }

  it('k: auto recovers the hidden customer types: adjusted Rand index of at least 0.8', () => {
    expect(result.clustering.status).toBe('clustered');
    const types = hiddenTypes();
    const rows = clusterRows().filter((r) => types.has(r.profileId));
    expect(rows.length).toBeGreaterThan(3000);
    // Only buyers are clustered: prospects have no behaviour to group by.
    expect(rows.every((r) => types.get(r.profileId) !== 'prospect')).toBe(true);
    const ari = adjustedRandIndex(rows.map((r) => CUSTOMER_TYPES.indexOf(types.get(r.profileId)!)), rows.map((r) => r.cluster));
    expect(ari).toBeGreaterThanOrEqual(0.8);
  });

  it('names each persona after the type it covers', () => {
    const types = hiddenTypes();
    const byPersona = new Map<string, Map<CustomerType, number>>();
    for (const r of clusterRows()) {
      const type = types.get(r.profileId);
      if (!type) continue;
      const counts = byPersona.get(r.persona) ?? new Map<CustomerType, number>();
      counts.set(type, (counts.get(type) ?? 0) + 1);
      byPersona.set(r.persona, counts);
    }
    for (const [persona, counts] of byPersona) {
      const [majority] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
      expect(persona, `persona covering mostly ${majority}`).toBe(LABEL_OF_TYPE[majority as Exclude<CustomerType, 'prospect'>]);
    }
    expect(new Set(byPersona.keys())).toEqual(new Set(Object.values(LABEL_OF_TYPE)));
  });

  it('describes personas with real numbers and validates the clustering', () => {
    if (result.clustering.status !== 'clustered') throw new Error('not clustered');
    const c = result.clustering;
    expect(c.selection).toBe('highest silhouette among k = 2..10');
    expect(c.silhouette).toBeGreaterThan(0.5);
    expect(c.silhouetteExact).toBe(true);
    expect(c.stability).toBeGreaterThan(0.9);
    // The customers clustering's personas (the default leads clustering of people who never bought is checked in named-clusterings.test.ts).
    const personas = session.db.prepare("SELECT label, size, narrative, summary, traits FROM personas WHERE clustering = 'customers'").all() as Array<{ label: string; size: number; narrative: string; summary: string; traits: string }>;
    for (const p of personas) {
      expect(p.narrative).toMatch(new RegExp(`^${p.size.toLocaleString('en-US')} customers \\(\\d+%\\)( who (buy every \\d+ days|bought once)|: \\d+% bought more than once)`));
      expect(p.narrative.split('. ').length).toBeGreaterThanOrEqual(2);
      expect(JSON.parse(p.traits).length).toBeGreaterThan(0);
    }
  });

  it('runs the rule segments from the workspace YAML, including one on a persona', () => {
    const sizes = new Map(result.segments.map((s) => [s.key, s.size]));
    expect(sizes.get('recent_high_spenders')).toBeGreaterThan(0);
    expect(sizes.get('dormant_germans')).toBeGreaterThan(0);
    const lapsedWorth = session.db.prepare(`SELECT f.persona_key AS persona, json_extract(f.features, '$.lifetimeMonetary') AS spend FROM memberships m
      JOIN profile_features f ON f.profile_id = m.profile_id WHERE m.segment_key = 'lapsed_big_value' AND m.left_at IS NULL`).all() as Array<{ persona: string; spend: number }>;
    expect(lapsedWorth.length).toBeGreaterThan(0);
    expect(lapsedWorth.every((r) => r.persona === 'persona_lapsed_regulars' && r.spend >= 1000)).toBe(true);
  });

  it('reads engagement where the platform keeps it (HubSpot opens, clicks, last open) into features and rules', () => {
    const rows = session.db.prepare(`SELECT p.email_key AS email, json_extract(f.features, '$.emailOpens') AS opens,
        json_extract(f.features, '$.emailClicks') AS clicks, json_extract(f.features, '$.daysSinceLastEmailOpen') AS days
      FROM profiles p JOIN profile_features f ON f.profile_id = p.id
      WHERE EXISTS (SELECT 1 FROM identities i WHERE i.profile_id = p.id AND i.platform = 'hubspot')`).all() as Array<{ email: string; opens: number | null; clicks: number | null; days: number | null }>;
    let checked = 0;
    for (const r of rows) {
      const person = people.get(r.email);
      if (!person) continue;
      expect(r.opens, r.email).toBe(person.engagement.emailsOpened);
      expect(r.clicks, r.email).toBe(person.engagement.emailsClicked);
      const last = person.engagement.lastOpenedAt;
      expect(r.days, r.email).toBe(last === null ? null : Math.floor((ANCHOR.getTime() - Date.parse(last)) / 86_400_000));
      checked++;
    }
    expect(checked).toBeGreaterThan(2500);
    const engaged = result.segments.find((s) => s.key === 'engaged_readers')!.size;
    expect(engaged).toBeGreaterThan(0);
    // Everyone's features count, Marketo leads' too (their opens come from Marketo's activities).
    const everyone = session.db.prepare(`SELECT json_extract(features, '$.emailOpens') AS opens, json_extract(features, '$.daysSinceLastEmailOpen') AS days
      FROM profile_features`).all() as Array<{ opens: number | null; days: number | null }>;
    expect(everyone.length).toBeGreaterThan(rows.length);
    expect(engaged).toBe(everyone.filter((r) => (r.opens ?? 0) >= 10 && r.days !== null && r.days <= 30).length);
  });

  it('exports the prepared matrix, assignments and metrics so the reported metrics can be recomputed from the files', () => {
    const exportDir = join(dir, 'export');
    const metrics = JSON.parse(readFileSync(join(exportDir, 'metrics.json'), 'utf8')) as {
      clustering: { columns: string[]; scan: Array<{ k: number; silhouette: number; inertia: number; calinskiHarabasz: number }>; metrics: { silhouette: { value: number }; dunn: { value: number }; daviesBouldin: number; calinskiHarabasz: number; inertia: number };
        fitted: Array<{ key: string; median: number; lowerFence: number; upperFence: number; log: boolean; center: number; scale: number }> };
    };
    const prepared = parse(readFileSync(join(exportDir, 'prepared-features.csv')), { columns: true }) as Array<Record<string, string>>;
    const columns = metrics.clustering.columns;
    const matrix = matrixFromRows(prepared.map((r) => columns.map((c) => Number(r[c]))));
    const labels = Int32Array.from(prepared, (r) => Number(r.cluster));
    const close = (actual: number, reported: number) => expect(Math.abs(actual - reported)).toBeLessThanOrEqual(Math.abs(reported) * 1e-5);
    close(silhouette(matrix, labels).value, metrics.clustering.metrics.silhouette.value);
    close(daviesBouldin(matrix, labels), metrics.clustering.metrics.daviesBouldin);
    close(calinskiHarabasz(matrix, labels), metrics.clustering.metrics.calinskiHarabasz);
    close(withinClusterSumOfSquares(matrix, labels), metrics.clustering.metrics.inertia);
    close(dunnIndex(matrix, labels).value, metrics.clustering.metrics.dunn.value);
    // Every k tried, not only the chosen one.
    for (const row of metrics.clustering.scan) {
      const labelsK = Int32Array.from(prepared, (r) => Number(r[`cluster_k${row.k}`]));
      close(silhouette(matrix, labelsK).value, row.silhouette);
      close(withinClusterSumOfSquares(matrix, labelsK), row.inertia);
      close(calinskiHarabasz(matrix, labelsK), row.calinskiHarabasz);
    }

    // The prepared values follow from the raw features and the fitted parameters.
    const raw = new Map((parse(readFileSync(join(exportDir, 'features.csv')), { columns: true }) as Array<Record<string, string>>).map((r) => [r.profile_id, r]));
    for (const row of prepared.slice(0, 200)) {
      for (const f of metrics.clustering.fitted) {
        const text = raw.get(row.profile_id!)![f.key]!;
        let x = text === '' ? f.median : Number(text);
        if (f.log) x = Math.log1p(x);
        x = Math.min(f.upperFence, Math.max(f.lowerFence, x));
        expect((x - f.center) / f.scale).toBeCloseTo(Number(row[f.key]), 3);
      }
    }
    const assignments = parse(readFileSync(join(exportDir, 'assignments.csv')), { columns: true }) as Array<Record<string, string>>;
    expect(assignments.length).toBe(result.profiles);
  });

  /** Every profile's stored features. */
  function storedFeatures(): Array<{ profileId: number; f: Record<string, number | string | null> }> {
    return (session.db.prepare('SELECT profile_id AS profileId, features FROM profile_features').all() as Array<{ profileId: number; features: string }>)
      .map((r) => ({ profileId: r.profileId, f: JSON.parse(r.features) as Record<string, number | string | null> }));
  }

  it('predicts who is still a customer and who will buy, in line with the hidden types', () => {
    expect(result.predictions.status).toBe('fitted');
    const types = hiddenTypes();
    const byType = new Map<CustomerType, { n: number; alive: number; soon: number }>();
    for (const { profileId, f } of storedFeatures()) {
      const type = types.get(profileId);
      if (!type) continue;
      const t = byType.get(type) ?? { n: 0, alive: 0, soon: 0 };
      if (f.pAlive !== null) {
        t.n++;
        t.alive += f.pAlive as number;
        t.soon += f.expectedPurchases90d as number;
      }
      byType.set(type, t);
    }
    const mean = (type: CustomerType) => ({ alive: byType.get(type)!.alive / byType.get(type)!.n, soon: byType.get(type)!.soon / byType.get(type)!.n });
    // Prospects have nothing to predict from; every buyer has a prediction.
    expect(byType.get('prospect')!.n).toBe(0);
    for (const { profileId, f } of storedFeatures()) {
      expect(f.expectedPurchases90d === null, `profile ${profileId}`).toBe(f.lifetimeFrequency === 0);
      // One purchase day: BG/NBD cannot have seen them leave, so no P(alive) rather than "1".
      expect(f.pAlive === null, `profile ${profileId}`).toBe(f.meanDaysBetweenPurchases === null);
    }
    // Lapsed regulars stopped long ago; frequent small buyers and rare big spenders keep buying.
    expect(mean('lapsed_regular').alive).toBeLessThan(0.1);
    expect(mean('frequent_small_buyer').alive).toBeGreaterThan(0.9);
    expect(mean('rare_big_spender').alive).toBeGreaterThan(0.9);
    // Who buys in the next 90 days: the frequent small buyers (every ~17 days) far ahead of the rest.
    expect(mean('frequent_small_buyer').soon).toBeGreaterThan(3);
    expect(mean('frequent_small_buyer').soon).toBeGreaterThan(3 * mean('rare_big_spender').soon);
    expect(mean('lapsed_regular').soon).toBeLessThan(0.05);
  });

  it('checks the model on a holdout, and flags the spend model because the generator ties spend to frequency', () => {
    if (result.predictions.status !== 'fitted') throw new Error('not fitted');
    const p = result.predictions;
    expect(p.holdout).not.toBeNull();
    expect(p.holdout!.actual).toBeGreaterThan(0);
    expect(Math.abs(p.holdout!.expected - p.holdout!.actual) / p.holdout!.actual).toBeLessThan(0.5);
    expect(p.warnings.some((w) => /spend per purchase and number of purchases are correlated \(r = -0\.\d\d/.test(w))).toBe(true);
    expect(p.totals.customers).toBe(3437);
  });

  it('segments on predictions: membership holds exactly for the profiles that meet the rule (percentiles computed independently here)', () => {
    const rows = storedFeatures();
    const clvs = rows.map((r) => r.f.clv).filter((v): v is number => typeof v === 'number');
    // The top p% is the smallest set of the highest values (ties together) holding at least p% of the customers who have one.
    const cutoff = (percent: number) => {
      const counts = new Map<number, number>();
      for (const v of clvs) counts.set(v, (counts.get(v) ?? 0) + 1);
      let holding = 0;
      for (const v of [...counts.keys()].sort((a, b) => b - a)) {
        holding += counts.get(v)!;
        if (holding * 100 >= percent * clvs.length) return v;
      }
      throw new Error('no cutoff');
    };
    const members = (key: string) => new Set((session.db.prepare('SELECT profile_id AS id FROM memberships WHERE segment_key = ? AND left_at IS NULL').all(key) as Array<{ id: number }>).map((r) => r.id));
    const atRisk = members('high_value_at_risk');
    const soon = members('valuable_soon');
    for (const { profileId, f } of rows) {
      const clv = typeof f.clv === 'number' ? f.clv : Number.NaN;
      const stored = (v: number | string | null | undefined) => (typeof v === 'number' ? v : Number.NaN);
      // Stored features are rounded to 3 decimals; the rule saw full precision, so compare with that slack.
      expect(atRisk.has(profileId), `high_value_at_risk ${profileId}`).toBe(clv >= cutoff(20) - 0.0005 && stored(f.pAlive) < 0.5);
      expect(soon.has(profileId), `valuable_soon ${profileId}`).toBe(clv >= cutoff(10) - 0.0005 && stored(f.expectedPurchases90d) >= 1);
    }
    expect(soon.size).toBeGreaterThan(10);
  });

  it('writes the prediction tokens in the formats the platforms take, empty where there is nothing to say', () => {
    const tokens = session.db.prepare(`SELECT t.profile_id AS id, t.token, t.value FROM profile_tokens t
      WHERE t.token IN ('clv', 'p_alive', 'expected_purchases_90d', 'next_purchase_date')`).all() as Array<{ id: number; token: string; value: string }>;
    const features = new Map(storedFeatures().map((r) => [r.profileId, r.f]));
    expect(tokens.length).toBe(4 * result.profiles);
    const formats: Record<string, RegExp> = { clv: /^(0|[1-9]\d?0*)$/, p_alive: /^[01]\.\d\d$/, expected_purchases_90d: /^\d+\.\d$/, next_purchase_date: /^20\d\d-\d\d-\d\d$/ };
    const mondays = new Set<string>();
    for (const t of tokens) {
      const f = features.get(t.id)!;
      const empty = f.lifetimeFrequency === 0 || (t.token === 'p_alive' && f.meanDaysBetweenPurchases === null) || (t.token === 'next_purchase_date' && f.daysToNextPurchase === null);
      if (empty) expect(t.value, `${t.token} of ${t.id}`).toBe('');
      else expect(t.value, `${t.token} of ${t.id}`).toMatch(formats[t.token]!);
      if (t.token === 'next_purchase_date' && t.value !== '') mondays.add(t.value);
    }
    // The next purchase is given as the Monday of its week, within the 12-month horizon.
    for (const d of mondays) expect(new Date(`${d}T00:00:00Z`).getUTCDay(), d).toBe(1);
    expect(tokens.filter((t) => t.token === 'next_purchase_date' && t.value !== '').length).toBeGreaterThan(1500);
  });

  it('says in the personas what a typical member is expected to spend', () => {
    const narratives = session.db.prepare("SELECT label, narrative FROM personas WHERE clustering = 'customers' ORDER BY cluster").all() as Array<{ label: string; narrative: string }>;
    for (const p of narratives) expect(p.narrative, p.label).toMatch(/A typical \(median\) member is expected to spend [\d,.]+ over the next year/);
    // P(alive) as the share of members for whom it is at least 0.5 (never a median dressed as a share).
    const loyal = narratives.find((p) => p.label === 'Frequent small buyers')!;
    expect(loyal.narrative).toMatch(/P\(alive\) ≥ 0\.5 for (9\d|100)% of members\.$/);
    const lapsed = narratives.find((p) => p.label === 'Lapsed regulars')!;
    expect(lapsed.narrative).toMatch(/P\(alive\) ≥ 0\.5 for [0-9]% of members\.$/);
  });

  it('states in every persona only what holds for the share of members it claims (labels, narratives, summaries)', () => {
    const run = session.db.prepare('SELECT MAX(run_id) AS id FROM personas').get() as { id: number };
    const stored = session.db.prepare('SELECT features, cluster FROM profile_features WHERE run_id = ? AND cluster IS NOT NULL ORDER BY profile_id').all(run.id) as Array<{ features: string; cluster: number }>;
    const personas = (session.db.prepare("SELECT key, label, cluster, size, narrative, summary FROM personas WHERE run_id = ? AND clustering = 'customers'").all(run.id) as Array<Pick<Persona, 'key' | 'label' | 'cluster' | 'size' | 'narrative' | 'summary'>>)
      .map((p) => ({ ...p, noise: false }) as Persona);
    expect(personas.length).toBeGreaterThanOrEqual(2);
    const features = storedFeatureSet(stored.map((r) => JSON.parse(r.features) as Record<string, number | string | null>));
    const rows = Int32Array.from(stored.keys());
    const labels = Int32Array.from(stored, (r) => r.cluster);
    expect(personaClaimViolations({ features, rows, labels, personas, numeric: DEFAULT_CLUSTERING_FEATURES, categorical: [] })).toEqual([]);
  });

  it('explains one person: sources, features, scores, each segment with its reason, and tokens', () => {
    const profile = session.db.prepare(`SELECT p.email_key AS email FROM profiles p JOIN memberships m ON m.profile_id = p.id
      WHERE m.segment_key = 'recent_high_spenders' AND m.left_at IS NULL AND p.email_key IS NOT NULL LIMIT 1`).get() as { email: string };
    const e = explainProfile(session, profile.email);
    expect(e.contacts.length).toBeGreaterThan(0);
    expect(e.purchases.count).toBeGreaterThan(0);
    expect(e.features.lifetimeFrequency).toBeGreaterThan(0);
    expect(e.features.lifetimeFrequency).toBeLessThanOrEqual(e.purchases.count);
    const reasons = new Map(e.segments.map((s) => [s.kind === 'rule' ? s.key : s.kind, s.reason]));
    expect(reasons.get('recent_high_spenders')).toBe('matched: spent at least 500 in the last 30 days');
    expect(reasons.get('rfm')).toMatch(/^R \d and F \d match the pattern/);
    expect(reasons.get('persona')).toMatch(/^cluster \d: \d+\.\d\d from its centre, \d+\.\d\d from the next nearest \(.+\)/);
    expect(e.tokens.some((t) => t.token === 'persona' && t.value !== '')).toBe(true);
    // The purchase models' view of this person, with the inputs they saw.
    if (e.predictions.status !== 'fitted') throw new Error(`predictions ${e.predictions.status}`);
    expect(e.predictions.x).toBeGreaterThan(0);
    // P(alive) from the fitted parameters and the inputs explain recomputed from the purchases: the model saw the same.
    if (result.predictions.status !== 'fitted') throw new Error('not fitted');
    const { r, alpha, a, b } = result.predictions.bgnbd;
    expect(e.predictions.pAlive).toBeCloseTo(probabilityAlive({ r, alpha, a, b }, e.predictions.x, e.predictions.tx, e.predictions.T), 3);
    expect(e.predictions.reading).toMatch(/^Bought on \d+ days over [\d.]+ weeks, the last [\d.]+ weeks before the reference date: \d+% likely to still be a customer; expected to make [\d.]+ purchases in the next 90 days, worth [\d,]+ over the next 12 months\.$/);
    expect(e.tokens.some((t) => t.token === 'p_alive' && t.field === 'segsync_p_alive' && t.value === (e.predictions.status === 'fitted' ? e.predictions.pAlive?.toFixed(2) : undefined))).toBe(true);
  });

  it('pushes personas as lists and tokens to every platform', async () => {
    const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    for (const d of pushed.destinations) expect(d.applied!.failed, d.platform).toEqual([]);
    const hubspot = sandbox.emulators.get('hubspot') as HubSpotEmulator;
    const members = session.db.prepare(`SELECT i.external_id AS id, p.label, p.key, f.profile_id AS profile FROM profile_features f JOIN personas p ON p.key = f.persona_key AND p.run_id = f.run_id
      JOIN identities i ON i.profile_id = f.profile_id AND i.platform = 'hubspot'`).all() as Array<{ id: string; label: string; key: string; profile: number }>;
    // A persona's control members are kept off its list (controlGroups), and still get the persona token.
    const heldOut = heldOutAsControl(session);
    expect(members.length).toBeGreaterThan(1000);
    for (const m of members) expect(hubspot.getContact(m.id)!.properties.segsync_persona, m.id).toBe(m.label);
    for (const label of Object.values(LABEL_OF_TYPE)) {
      const list = hubspot.listByName(`segsync · Persona: ${label}`);
      expect(list, label).toBeDefined();
      const ids = members.filter((m) => m.label === label && !heldOut(m.profile, m.key)).map((m) => m.id);
      const optedOut = new Set((session.db.prepare("SELECT external_id AS id FROM contacts WHERE platform = 'hubspot' AND email_consent = 'unsubscribed'").all() as Array<{ id: string }>).map((r) => r.id));
      expect(new Set(hubspot.listMemberIds(list!.listId)), label).toEqual(new Set(ids.filter((id) => !optedOut.has(id))));
    }
  });

  it('writes a report that renders in headless Chromium with every chart', async () => {
    const data = buildReportData(session.db);
    const path = join(dir, 'report.html');
    writeFileSync(path, renderReportHtml(data));
    const dom = await renderWithChromium(path);
    expect(dom).toMatch(/data-rendered="ok"/);
    expect(dom).toContain(`data-points="${data.clustering!.pca.points.length}"`);
    expect(dom).toContain('data-cells="25"');
    expect(data.predictions?.status).toBe('fitted');
    if (data.predictions?.status === 'fitted') expect(dom).toContain(`data-tracking-points="${data.predictions.holdout!.weekly.length}"`);
    for (const label of Object.values(LABEL_OF_TYPE)) expect(dom).toContain(label);
  });
});
