import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findChromium, renderWithChromium } from '../../src/report/chromium.js';
import type { ReportData, ReportPropensity } from '../../src/report/report-data.js';
import { renderReportHtml } from '../../src/report/render-html.js';

const dir = mkdtempSync(join(tmpdir(), 'segsync-report-propensity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DECILES = [0.31, 0.12, 0.08, 0.05, 0.04, 0.03, 0.02, 0.02, 0.01, 0.01].map((actual, i) => ({
  decile: i + 1, people: 120, predicted: Math.max(0.005, 0.28 - i * 0.03), actual, lift: actual / 0.069,
}));

const FITTED: ReportPropensity = {
  status: 'fitted', horizonDays: 90, trainingCutoff: '2026-01-02T00:00:00.000Z', validationCutoff: '2026-04-02T00:00:00.000Z',
  validationPeople: 1200, validationPositives: 83, baseRate: 83 / 1200, auc: 0.874, topDecileLift: 0.31 / 0.069, brier: 0.0571,
  deciles: DECILES, scored: 2062,
  inputs: [{ feature: 'webVisits30d', label: 'website visits in the last 30 days', coefficient: 0.91 }, { feature: 'tenureDays', label: 'days as a customer', coefficient: -0.22 }],
};

function data(propensity: ReportPropensity | null): ReportData {
  return {
    title: 'segsync segmentation report', generatedAt: '2026-07-01T00:00:00.000Z', referenceDate: '2026-07-01T00:00:00.000Z', profiles: 2500,
    segments: [{ key: 'prospects', name: 'Prospects', kind: 'rfm', size: 2062 }], rfGrid: Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]),
    preparation: [], clusteringSkipped: 'switched off', clustering: null, predictions: null, propensity,
  };
}

async function open(name: string, report: ReportData): Promise<string> {
  if (!findChromium()) throw new Error('Chromium is required for the HTML report test and was not found: install it (apt-get install chromium) or set CHROMIUM_PATH');
  const path = join(dir, `${name}.html`);
  writeFileSync(path, renderReportHtml(report));
  return renderWithChromium(path);
}

const bodyAttribute = (dom: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(/<body\b[^>]*>/.exec(dom)?.[0] ?? '')?.[1];
const sectionOf = (dom: string, id: string) => new RegExp(`<section id="${id}">[\\s\\S]*?</section>`).exec(dom)?.[0] ?? '';

describe('segsync report: the first-purchase propensity section', () => {
  it('shows AUC, lift and base rate, draws a lift bar per decile and a calibration point per decile', async () => {
    const dom = await open('fitted', data(FITTED));
    expect(bodyAttribute(dom, 'data-rendered')).toBe('ok');
    expect(bodyAttribute(dom, 'data-lift-bars')).toBe('10');
    expect(bodyAttribute(dom, 'data-calibration-points')).toBe('10');
    const section = sectionOf(dom, 'propensity');
    expect(section).toContain('0.874');
    expect(section).toContain('4.5×');
    expect(section).toContain('6.9%');
    expect(section).toContain('website visits in the last 30 days');
    expect(section.match(/class="lift-bar"/g)).toHaveLength(10);
    expect(section.match(/class="calibration-point"/g)).toHaveLength(10);
    // The top decile's bar is the tallest (highest lift) — bars grow upwards from the axis.
    const heights = [...section.matchAll(/class="lift-bar"[^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(Math.max(...heights)).toBe(heights[0]);
  }, 60_000);

  it('says why there is no model, and draws no section for runs from before it', async () => {
    const skipped = await open('skipped', data({ status: 'skipped', reason: 'too little history: 120 people had never bought at the training cutoff' }));
    expect(bodyAttribute(skipped, 'data-rendered')).toBe('ok');
    expect(bodyAttribute(skipped, 'data-lift-bars')).toBe('0');
    expect(sectionOf(skipped, 'propensity')).toContain('No propensity model: too little history');
    const old = await open('old', data(null));
    expect(bodyAttribute(old, 'data-rendered')).toBe('ok');
    expect(sectionOf(old, 'propensity')).toBe('');
  }, 60_000);
});
