/**
 * Did the forecasts come true, as a CSV user sees it: CDNOW imported, `segment --json` at the
 * paper's split (reference 1998-06-30, a 273-day holdout = 39 weeks after 1997-09-30), then
 * `report`: the block is in the JSON, in the printed summary and in the report, drawn.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSegment } from '../../src/cli/render.js';
import type { SegmentSummary } from '../../src/pipeline/segment.js';
import { findChromium, renderWithChromium } from '../../src/report/chromium.js';
import type { ReportData } from '../../src/report/report-data.js';
import { renderReportHtml } from '../../src/report/render-html.js';
import { ROOT, segsync } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'segsync-forecasts-'));
const env = { SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('segment and report on CDNOW: did the forecasts come true', () => {
  let summary: SegmentSummary;

  beforeAll(async () => {
    // Clustering off: it has nothing to do with forecasts and would triple the time (the report's UMAP map).
    writeFileSync(env.SEGSYNC_CONFIG, 'segmentation:\n  referenceDate: 1998-06-30T00:00:00.000Z\n  predictions:\n    holdoutDays: 273\n  clustering:\n    enabled: false\n');
    const imported = await segsync(['import', join(ROOT, 'test/fixtures/cdnow/CDNOW_sample.txt'), '--format', 'cdnow'], env, { cwd: dir });
    expect(imported.code, imported.stderr).toBe(0);
    const run = await segsync(['segment', '--json'], env, { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    summary = (JSON.parse(run.stdout) as { segment: SegmentSummary }).segment;
  }, 120_000);

  it('returns the forecasts at the holdout cutoff against what happened, with the totals of the model check', () => {
    const f = summary.forecastAccuracy.purchaseModels;
    if (f.status !== 'measured' || summary.predictions.status !== 'fitted') throw new Error(`not measured: ${JSON.stringify(f)}`);
    expect(f).toMatchObject({ cutoff: '1997-09-30', end: '1998-06-30', windowDays: 273, customers: 2357 });
    // The same window and fit as the predictions' own model check: 1,882 repeat purchases happened.
    expect(f.purchases.total.actual).toBe(1882);
    expect(f.purchases.total.actual).toBe(summary.predictions.holdout!.actual);
    expect(f.purchases.total.predicted).toBeCloseTo(summary.predictions.holdout!.expected, 6);
    expect(f.purchases.deciles).toHaveLength(10);
    expect(f.pAlive.customers).toBe(946);
    expect(f.pAlive.auc).toBeGreaterThan(0.6);
    expect(f.spend?.total.actual).toBeGreaterThan(0);
    // Shown once, on its own: not repeated inside the predictions.
    expect(summary.predictions).not.toHaveProperty('forecastAccuracy');
    // No engagement in CDNOW: the propensity model says why it has nothing to show.
    expect(summary.forecastAccuracy.firstPurchase).toEqual({ status: 'skipped', reason: expect.stringContaining('no engagement events') });
  });

  it('prints a short block in the segment summary', () => {
    const text = renderSegment(summary);
    expect(text).toContain('Forecasts at 1997-09-30 vs what happened to 1998-06-30 (273 days; 2,357 customers who had bought by 1997-09-30):');
    expect(text).toMatch(/Expected 1,653 repeat purchases, 1,882 happened \(−12\.1%\)/);
    expect(text).toMatch(/P\(alive\) AUC 0\.\d\d \(Gini 0\.\d\d\) on 946 repeat buyers/);
  });

  it('draws forecast and outcome per decile in the report, read back from the stored run', async () => {
    const out = join(dir, 'report.html');
    const run = await segsync(['report', '--out', out], env, { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    const section = /<section id="forecasts">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(section).toContain('Did the forecasts come true');
    expect(section).toContain('expected 1,653 (−12.1%)');
    expect(section).toContain('No first-purchase propensity check: no engagement events');
    if (!findChromium()) throw new Error('Chromium is required for the HTML report test and was not found: install it (apt-get install chromium) or set CHROMIUM_PATH');
    const dom = await renderWithChromium(out);
    expect(dom).toMatch(/<body[^>]*data-rendered="ok"/);
    // P(alive), purchases and spend: ten deciles of two bars each.
    expect(dom).toMatch(/<body[^>]*data-forecast-bars="60"/);
    expect(dom.match(/class="forecast-bar" data-series="actual"/g)).toHaveLength(30);
  }, 120_000);

  it('in a report without purchase forecasts, says why and still draws the first-purchase check', async () => {
    const deciles = [0.31, 0.12, 0.08, 0.05, 0.04, 0.03, 0.02, 0.02, 0.01, 0.01].map((actual, i) => ({ decile: i + 1, people: 120, predicted: 0.28 - i * 0.03, actual, lift: actual / 0.069 }));
    const data: ReportData = {
      title: 'segsync segmentation report', generatedAt: '2026-07-01T00:00:00.000Z', referenceDate: '2026-07-01T00:00:00.000Z', profiles: 1200,
      segments: [], rfGrid: Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]), preparation: [], clusteringSkipped: 'switched off', clustering: null, predictions: null,
      forecastAccuracy: {
        purchaseModels: { status: 'skipped', reason: 'no purchase models: the history spans 40 days <of purchases>' },
        firstPurchase: { status: 'measured', cutoff: '2026-04-02', horizonDays: 90, people: 1200, positives: 83, auc: 0.874, gini: 0.748, deciles },
      },
    };
    const out = join(dir, 'first-purchase-only.html');
    writeFileSync(out, renderReportHtml(data));
    const dom = await renderWithChromium(out);
    expect(dom).toMatch(/<body[^>]*data-rendered="ok"/);
    expect(dom).toMatch(/<body[^>]*data-forecast-bars="20"/);
    const section = /<section id="forecasts">[\s\S]*?<\/section>/.exec(dom)?.[0] ?? '';
    // Escaped: the reason is text, never markup.
    expect(section).toContain('The purchase models’ forecasts were not checked: no purchase models: the history spans 40 days &lt;of purchases&gt;.');
    expect(section).toContain('AUC 0.87 (Gini 0.75)');
  }, 60_000);
});
