/**
 * Issue 13, "Pictures": the report draws the inertia (elbow) chart beside the k scan and a UMAP
 * map beside PCA, on a fixed-seed sample of the prepared matrix, the same map for the same run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReportData } from '../../src/pipeline/report.js';
import { pull, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { findChromium, renderWithChromium } from '../../src/report/chromium.js';
import type { ReportData } from '../../src/report/report-data.js';
import { renderReportHtml } from '../../src/report/render-html.js';
import { ANCHOR, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

function bodyAttribute(dom: string, name: string): string | undefined {
  const body = /<body\b[^>]*>/.exec(dom)?.[0] ?? '';
  return new RegExp(`\\s${name}="([^"]*)"`).exec(body)?.[1];
}

function svg(dom: string, id: string): string {
  const match = new RegExp(`<svg[^>]*\\bid="${id}"[^>]*>[\\s\\S]*?</svg>`).exec(dom);
  expect(match, `svg#${id}`).not.toBeNull();
  return match![0];
}

describe('report pictures: elbow chart and UMAP map, from a segmented sandbox', () => {
  let world: HubSpotWorld;
  let session: Session;
  let first: ReportData;
  let dom: string;
  const dir = mkdtempSync(join(tmpdir(), 'segsync-report-maps-'));
  beforeAll(async () => {
    world = await hubspotWorld({
      size: 400,
      config: `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n  clustering:\n    stabilityResamples: 0\n`,
    });
    session = world.open();
    await pull(session, { full: true, signal });
    segment(session);
    first = buildReportData(session.db);
    if (!findChromium()) throw new Error('Chromium is required for the HTML report test and was not found: install it (apt-get install chromium) or set CHROMIUM_PATH');
    const path = join(dir, 'maps.html');
    writeFileSync(path, renderReportHtml(first));
    dom = await renderWithChromium(path);
  }, 180_000);
  afterAll(() => {
    world.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws one inertia point per scanned k, the chosen k marked', () => {
    const c = first.clustering!;
    expect(c).not.toBeNull();
    expect(bodyAttribute(dom, 'data-rendered')).toBe('ok');
    const elbow = svg(dom, 'elbow');
    const scanned = c.scan.filter((r) => r.inertia !== null).map((r) => r.k).sort((a, b) => a - b);
    expect(scanned.length).toBeGreaterThan(1);
    const drawn = [...elbow.matchAll(/<circle\b[^>]*class="elbow-point[^"]*"[^>]*data-k="(\d+)"/g)].map((m) => Number(m[1]));
    expect(drawn).toEqual(scanned);
    expect(bodyAttribute(dom, 'data-elbow-points')).toBe(String(scanned.length));
    const chosen = [...elbow.matchAll(/<circle\b[^>]*class="elbow-point chosen"[^>]*data-k="(\d+)"/g)].map((m) => Number(m[1]));
    expect(chosen).toEqual([c.chosenK]);
    expect(elbow).toContain(`chosen k = ${c.chosenK}`);
    // Drawn at the height of its inertia: more inertia, higher on the chart (smaller SVG y).
    const ys = [...elbow.matchAll(/<circle\b[^>]*class="elbow-point[^"]*"[^>]*cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    const inertia = scanned.map((k) => c.scan.find((r) => r.k === k)!.inertia!);
    for (let i = 0; i < inertia.length; i++) {
      for (let j = 0; j < inertia.length; j++) if (inertia[i]! > inertia[j]!) expect(ys[i]!).toBeLessThan(ys[j]!);
    }
  });

  it('draws a UMAP map with one circle per sampled profile, coloured by persona, with the sample size and the caveat', () => {
    const c = first.clustering!;
    const u = c.umap;
    if (!u || u.status !== 'drawn') throw new Error(`no UMAP map: ${u && u.status === 'skipped' ? u.reason : 'missing'}`);
    expect(u.sampleSize).toBe(Math.min(2000, c.clusteredProfiles));
    expect(u.points).toHaveLength(u.sampleSize);
    const map = svg(dom, 'umap');
    const circles = [...map.matchAll(/<circle\b[^>]*fill="([^"]+)"[^>]*data-cluster="(\d+)"/g)];
    expect(circles).toHaveLength(u.sampleSize);
    expect(bodyAttribute(dom, 'data-umap-points')).toBe(String(u.sampleSize));
    for (const [, fill, cluster] of circles) expect(fill).toBe(PALETTE[Number(cluster) % PALETTE.length]);
    // Every persona (cluster) of the run appears on the map, and the map's clusters match the profiles' sizes roughly.
    expect(new Set(circles.map((m) => Number(m[2])))).toEqual(new Set(c.personas.map((p) => p.cluster)));
    const section = /<section id="umap-section">[\s\S]*?<\/section>/.exec(dom)?.[0] ?? '';
    expect(section).toContain(`${u.sampleSize.toLocaleString('en-US')} clustered profiles`);
    expect(section).toMatch(/distances between clusters[^<]*mean nothing/);
  });

  it('gives the same UMAP coordinates for two reports of the same store', () => {
    const again = buildReportData(session.db);
    const a = first.clustering?.umap;
    const b = again.clustering?.umap;
    expect(a?.status).toBe('drawn');
    expect(b).toEqual(a);
  }, 60_000);
});
