/**
 * Issue 13 §5: the sandbox knows the truth, and segsync finds it with its default settings.
 *
 * The default sandbox population (5,000 people, seed 42) pulled from the HubSpot emulator (contacts,
 * deals, companies, and the counters' property history as dated events), then `segment` with no
 * clustering or model settings at all: the default `customers` clustering of buyers and the
 * default `leads` clustering of people who never bought. Against the planted truth (customer types
 * for buyers, lead types for the others; both hidden from the emulator):
 * - everyone who was clustered, in either clustering, is recovered with ARI ≥ 0.8, and each
 *   clustering on its own too;
 * - every persona's label names the type it mostly covers, and every claim it makes holds for its members;
 * - the first-purchase propensity scores the people who never bought against their hidden future
 *   (a first purchase in the 90 days after the anchor) with AUC ≥ 0.75.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pull, segment } from '../../src/pipeline/run.js';
import type { SegmentSummary } from '../../src/pipeline/segment.js';
import type { Session } from '../../src/pipeline/session.js';
import { DEFAULT_LEADS_CATEGORICAL, DEFAULT_LEADS_FEATURES, DEFAULT_CLUSTERING_FEATURES } from '../../src/segmentation/clustering-config.js';
import { CATEGORY_FEATURES, NUMBER_FEATURES, type FeatureSet } from '../../src/segmentation/features.js';
import { adjustedRandIndex } from '../../src/segmentation/metrics.js';
import type { Persona } from '../../src/segmentation/personas.js';
import { DEFAULT_POPULATION_SEED, DEFAULT_POPULATION_SIZE, generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import type { CustomerType, LeadType, SyntheticPerson } from '../../src/sandbox/population-types.js';
import { personaClaimViolations } from '../helpers/persona-claims.js';
import { ANCHOR, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

type Truth = Exclude<CustomerType, 'prospect'> | LeadType;

/** What a marketer must read in the label of a persona that mostly holds each planted type. */
const LABEL_OF_TRUTH: Record<Truth, RegExp> = {
  frequent_small_buyer: /^Frequent small buyers$/,
  rare_big_spender: /^Occasional big spenders$/,
  lapsed_regular: /^Lapsed regulars$/,
  recent_first_timer: /^New customers$/,
  one_off_bargain_buyer: /^Bargain one-timers$/,
  // Leads: what sets each type apart in the generator (population.ts), in the label's words.
  engaged_evaluator: /click through emails|fill in forms|frequent site visitors/i,
  enterprise_researcher: /larger companies/i,
  newsletter_reader: /email readers|open most emails/i,
  cold_lead: /inactive for long|long since the last site visit/i,
};

const CONFIG = `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`;

function storedFeatureSet(values: Array<Record<string, number | string | null>>): FeatureSet {
  const numbers = Object.fromEntries(NUMBER_FEATURES.map((k) => [k, Float64Array.from(values, (v) => (typeof v[k] === 'number' ? v[k] : Number.NaN))]));
  const categories = Object.fromEntries(CATEGORY_FEATURES.map((k) => [k, values.map((v) => (typeof v[k] === 'string' ? v[k] : null))]));
  return { rows: values.length, numbers, categories, attributes: new Map() } as unknown as FeatureSet;
}

/** Codes for ARI: the same string, the same number. */
function codes(values: readonly string[]): number[] {
  const seen = new Map<string, number>();
  return values.map((v) => {
    if (!seen.has(v)) seen.set(v, seen.size);
    return seen.get(v)!;
  });
}

describe('everyone in the default sandbox, with default settings: the planted truth is found', () => {
  let world: HubSpotWorld;
  let session: Session;
  let summary: SegmentSummary;
  let people: Map<string, SyntheticPerson>;
  beforeAll(async () => {
    world = await hubspotWorld({ size: DEFAULT_POPULATION_SIZE, seed: DEFAULT_POPULATION_SEED, config: CONFIG });
    session = world.open();
    people = new Map([...generatePopulation(parsePopulationOptions({ seed: DEFAULT_POPULATION_SEED, size: DEFAULT_POPULATION_SIZE, anchor: ANCHOR }))].map((p) => [p.email, p]));
    await pull(session, { full: true, signal });
    summary = segment(session);
  }, 300_000);
  afterAll(async () => {
    session?.close();
    await world?.close();
  });

  const truthOf = (p: SyntheticPerson): Truth => (p.leadType ?? p.trueType) as Truth;
  const members = () => session.db.prepare(`SELECT p.email_key AS email, c.clustering, c.cluster, c.persona_key AS persona, f.features
      FROM profile_clusters c JOIN profiles p ON p.id = c.profile_id JOIN profile_features f ON f.profile_id = c.profile_id
      ORDER BY c.clustering, c.profile_id`).all() as Array<{ email: string; clustering: string; cluster: number; persona: string; features: string }>;

  it('both default clusterings run, and together they recover every planted type: ARI ≥ 0.8 over everyone, and within each', () => {
    expect(summary.clusterings.map((c) => [c.name, c.status])).toEqual([['customers', 'clustered'], ['leads', 'clustered']]);
    const rows = members().filter((r) => people.has(r.email));
    // A buyer whose only won deal has no amount counts as never having bought: the generator's
    // truth calls them buyers, so they are left out (under 1% of the leads clustered).
    const misfiled = rows.filter((r) => r.clustering === 'leads' && !people.get(r.email)!.leadType);
    expect(misfiled.length).toBeLessThan(rows.filter((r) => r.clustering === 'leads').length * 0.01);
    const scored = rows.filter((r) => !misfiled.includes(r));
    const clusteredPeople = new Set(scored.map((r) => r.email));
    // Everyone: each person in exactly one of the two clusterings, and nearly everyone clustered.
    expect(clusteredPeople.size).toBe(scored.length);
    expect(clusteredPeople.size).toBeGreaterThan(people.size * 0.95);
    const ari = (subset: typeof scored) => adjustedRandIndex(codes(subset.map((r) => truthOf(people.get(r.email)!))), codes(subset.map((r) => r.persona)));
    const everyone = ari(scored);
    const customers = ari(scored.filter((r) => r.clustering === 'customers'));
    const leads = ari(scored.filter((r) => r.clustering === 'leads'));
    console.log(`ARI everyone ${everyone.toFixed(3)} (${scored.length} people), customers ${customers.toFixed(3)}, leads ${leads.toFixed(3)}`);
    expect(everyone).toBeGreaterThanOrEqual(0.8);
    expect(customers).toBeGreaterThanOrEqual(0.8);
    expect(leads).toBeGreaterThanOrEqual(0.8);
  });

  it('names each persona after the type it mostly covers, and every claim of every persona holds for its members', () => {
    const rows = members().filter((r) => people.has(r.email));
    const byPersona = new Map<string, Map<Truth, number>>();
    for (const r of rows) {
      const counts = byPersona.get(r.persona) ?? new Map<Truth, number>();
      const t = truthOf(people.get(r.email)!);
      counts.set(t, (counts.get(t) ?? 0) + 1);
      byPersona.set(r.persona, counts);
    }
    const run = (session.db.prepare('SELECT MAX(run_id) AS id FROM personas').get() as { id: number }).id;
    const personas = session.db.prepare('SELECT key, label, cluster, size, narrative, summary, clustering FROM personas WHERE run_id = ?').all(run) as Array<Pick<Persona, 'key' | 'label' | 'cluster' | 'size' | 'narrative' | 'summary'> & { clustering: string }>;
    const majorities = new Set<Truth>();
    for (const p of personas) {
      const [majority] = [...byPersona.get(p.key)!].sort((a, b) => b[1] - a[1])[0]!;
      majorities.add(majority);
      expect(p.label, `${p.clustering} persona covering mostly ${majority}`).toMatch(LABEL_OF_TRUTH[majority]);
    }
    // Each planted type is the majority of one persona.
    expect(majorities).toEqual(new Set(Object.keys(LABEL_OF_TRUTH)));

    for (const [name, numeric, categorical] of [['customers', DEFAULT_CLUSTERING_FEATURES, []], ['leads', DEFAULT_LEADS_FEATURES, DEFAULT_LEADS_CATEGORICAL]] as const) {
      const own = rows.filter((r) => r.clustering === name);
      const view = personas.filter((p) => p.clustering === name).map((p) => ({ ...p, noise: false }) as unknown as Persona);
      expect(personaClaimViolations({
        features: storedFeatureSet(own.map((r) => JSON.parse(r.features) as Record<string, number | string | null>)),
        rows: Int32Array.from(own.keys()), labels: Int32Array.from(own, (r) => r.cluster), personas: view, numeric, categorical,
      }), name).toEqual([]);
    }
  });

  it('scores who will buy first: AUC ≥ 0.75 against the hidden future buyers, lift in the top decile', () => {
    const model = summary.propensity;
    expect(model.status).toBe('fitted');
    if (model.status !== 'fitted') return;
    const scores = session.db.prepare(`SELECT p.email_key AS email, json_extract(f.features, '$.purchasePropensity90d') AS score
      FROM profile_features f JOIN profiles p ON p.id = f.profile_id WHERE score IS NOT NULL`).all() as Array<{ email: string; score: number }>;
    const future: number[] = [];
    const not: number[] = [];
    for (const r of scores) {
      const person = people.get(r.email);
      if (!person || !person.leadType) continue;
      (person.futureFirstPurchaseAt ? future : not).push(r.score);
    }
    expect(future.length).toBeGreaterThan(50);
    let wins = 0;
    for (const a of future) for (const b of not) wins += a > b ? 1 : a === b ? 0.5 : 0;
    const auc = wins / (future.length * not.length);
    // The top tenth by score against the hidden future.
    const ranked = scores.filter((r) => people.get(r.email)?.leadType).sort((a, b) => b.score - a.score);
    const top = ranked.slice(0, Math.round(ranked.length / 10));
    const rate = (xs: typeof ranked) => xs.filter((r) => people.get(r.email)!.futureFirstPurchaseAt).length / xs.length;
    const lift = rate(top) / rate(ranked);
    console.log(`propensity: validation AUC ${model.auc.toFixed(3)}, top-decile lift ${(model.topDecileLift ?? Number.NaN).toFixed(2)}; against the hidden future AUC ${auc.toFixed(3)}, lift ${lift.toFixed(2)} (${future.length} future buyers of ${ranked.length})`);
    expect(auc).toBeGreaterThanOrEqual(0.75);
    expect(lift).toBeGreaterThan(2);
  });

  it('says of each leads persona how many of its people are expected to buy, in line with the hidden future', () => {
    const leads = summary.clusterings.find((c) => c.name === 'leads')!;
    if (leads.status !== 'clustered') throw new Error('leads not clustered');
    const rows = members().filter((r) => r.clustering === 'leads' && people.get(r.email)?.leadType);
    const stated = new Map(leads.personas.map((p) => [p.key, Number(/expected to buy within 90 days: about ([\d,]+) of them/.exec(p.typical)?.[1]?.replace(/,/g, '')) / p.size]));
    for (const [key, share] of stated) expect(share, key).toBeGreaterThanOrEqual(0);
    const actual = (key: string) => {
      const own = rows.filter((r) => r.persona === key);
      return own.filter((r) => people.get(r.email)!.futureFirstPurchaseAt).length / own.length;
    };
    // The persona expected to buy most is the one that buys most in the hidden future, and the least the least.
    const byStated = [...stated].sort((a, b) => b[1] - a[1]).map(([key]) => key);
    const byActual = [...stated.keys()].sort((a, b) => actual(b) - actual(a));
    expect(byStated[0]).toBe(byActual[0]);
    expect(byStated.at(-1)).toBe(byActual.at(-1));
  });
});
