/**
 * Issue 13 §5: the lead types planted in the sandbox population are recoverable from what
 * HubSpot serves. Pull from the HubSpot emulator, cluster the people who never bought on
 * engagement and company size, and compare the clusters with the hidden lead types.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pull, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { adjustedRandIndex } from '../../src/segmentation/metrics.js';
import { DEFAULT_POPULATION_SEED, DEFAULT_POPULATION_SIZE, generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { LEAD_TYPES, type SyntheticPerson } from '../../src/sandbox/population-types.js';
import { ANCHOR, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

const SIZE = DEFAULT_POPULATION_SIZE;
const SEED = DEFAULT_POPULATION_SEED;
/**
 * k is 4 and the count columns are named for the log transform: with `k: auto` the silhouette
 * prefers 3 clusters (newsletter readers and cold leads together), and the `auto` log rule
 * leaves visits, page views, forms and employees unlogged (their units are not money, orders or
 * days). Both are preparation findings reported with issue 13, not properties of the data.
 */
const CONFIG = `segmentation:
  referenceDate: ${ANCHOR.toISOString()}
  clustering:
    population: prospects
    features: [emailOpenRate, emailClickRate, webVisits, pageViews, formFills, daysSinceLastVisit, companyEmployees]
    k: 4
    preparation:
      log: [webVisits, pageViews, formFills, daysSinceLastVisit, companyEmployees]
`;

describe('lead types planted in the sandbox are found by clustering the people who never bought', () => {
  let world: HubSpotWorld;
  let session: Session;
  let people: Map<string, SyntheticPerson>;
  beforeAll(async () => {
    world = await hubspotWorld({ size: SIZE, seed: SEED, config: CONFIG });
    session = world.open();
    people = new Map([...generatePopulation(parsePopulationOptions({ seed: SEED, size: SIZE, anchor: ANCHOR }))].map((p) => [p.email, p]));
    await pull(session, { full: true, signal });
  }, 240_000);
  afterAll(async () => {
    session?.close();
    await world?.close();
  });

  it('k-means on engagement and company size recovers the lead types: adjusted Rand index of at least 0.8', () => {
    const summary = segment(session);
    expect(summary.clustering.status).toBe('clustered');
    const rows = session.db.prepare(`SELECT p.email_key AS email, f.cluster FROM profile_features f JOIN profiles p ON p.id = f.profile_id
      WHERE f.cluster IS NOT NULL AND f.run_id = (SELECT MAX(run_id) FROM profile_features)`).all() as Array<{ email: string; cluster: number }>;
    const truth: number[] = [];
    const clusters: number[] = [];
    let buyersWithoutAmount = 0;
    for (const r of rows) {
      const person = people.get(r.email)!;
      if (!person.leadType) {
        // segsync counts a won deal with no amount as no purchase: such a buyer is clustered with the prospects.
        expect(person.purchases.filter((x) => x.status === 'won').every((x) => x.amount === null), r.email).toBe(true);
        buyersWithoutAmount++;
        continue;
      }
      truth.push(LEAD_TYPES.indexOf(person.leadType));
      clusters.push(r.cluster);
    }
    expect(buyersWithoutAmount).toBeLessThan(rows.length * 0.02);
    const leads = [...people.values()].filter((p) => p.leadType).length;
    expect(truth.length).toBe(leads);
    const ari = adjustedRandIndex(truth, clusters);
    console.log(`lead types: ${truth.length} leads (+${buyersWithoutAmount} buyers without amounts), k = ${new Set(clusters).size}, ARI ${ari.toFixed(3)}`);
    expect(ari).toBeGreaterThanOrEqual(0.8);
  });
});
