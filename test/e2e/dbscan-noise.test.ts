/**
 * DBSCAN's noise group is no cluster (issue 13, "Honest labels and numbers"): `segsync segment`
 * reports k without it and the noise count beside it, and `segsync explain` calls a noise point
 * noise rather than "cluster 3".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainProfile } from '../../src/pipeline/explain.js';
import { buildReportData } from '../../src/pipeline/report.js';
import { renderReportHtml } from '../../src/report/render-html.js';
import { pull, segment } from '../../src/pipeline/run.js';
import type { SegmentSummary } from '../../src/pipeline/segment.js';
import type { Session } from '../../src/pipeline/session.js';
import { ANCHOR, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

describe('DBSCAN on the sandbox: noise reported as noise', () => {
  let world: HubSpotWorld;
  let session: Session;
  let result: SegmentSummary;
  beforeAll(async () => {
    world = await hubspotWorld({
      size: 400,
      config: `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n  clustering:\n    algorithm: dbscan\n    stabilityResamples: 0\n`,
    });
    session = world.open();
    await pull(session, { full: true, signal });
    result = segment(session);
  }, 120_000);
  afterAll(() => world.close());

  it('counts clusters without the noise group, gives the noise count, and explains a noise point as noise', () => {
    const c = result.clustering;
    if (c.status !== 'clustered') throw new Error(`not clustered: ${c.reason}`);
    const noise = c.personas.filter((p) => p.label === 'Unusual customers');
    expect(noise).toHaveLength(1);
    expect(noise[0]!.size).toBeGreaterThan(0);
    expect(c.k).toBe(c.personas.length - 1);
    expect(c.scan.map((r) => r.k)).toEqual([c.k]);
    const member = session.db.prepare(`SELECT p.email_key AS email FROM profile_features f JOIN profiles p ON p.id = f.profile_id
      WHERE f.persona_key = ? AND p.email_key IS NOT NULL LIMIT 1`).get(noise[0]!.key) as { email: string };
    const persona = explainProfile(session, member.email).segments.find((s) => s.kind === 'persona')!;
    expect(persona.reason).toMatch(/^DBSCAN noise \(close to no cluster\): [\d.]+ from its centre/);
    expect(c.noise).toBe(noise[0]!.size);
    expect(noise[0]!.noise).toBe(true);
    expect(c.personas.filter((p) => p.noise)).toHaveLength(1);
  });

  it('says so in the report: k without noise, the noise card marked as no cluster', () => {
    const c = result.clustering;
    if (c.status !== 'clustered') throw new Error('not clustered');
    const data = buildReportData(session.db);
    expect(data.clustering?.chosenK).toBe(c.k);
    expect(data.clustering?.personas.filter((p) => p.noise).map((p) => p.label)).toEqual(['Unusual customers']);
    const html = renderReportHtml(data);
    expect(html).toContain(`dbscan, k = ${c.k}: DBSCAN with eps`);
    expect(html).toContain('noise: close to no cluster, not counted in k');
  });
});
