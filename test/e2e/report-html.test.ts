import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findChromium, renderWithChromium } from '../../src/report/chromium.js';
import type { ReportData, ReportPersona, ReportPredictions } from '../../src/report/report-data.js';
import { renderReportHtml } from '../../src/report/render-html.js';
import type { ReportMovement } from '../../src/report/movement-data.js';

/** Small fixed-seed generator so the data is the same every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const PERSONAS: ReportPersona[] = [
  {
    key: 'persona-high-value-loyalists',
    label: 'High-value loyalists',
    cluster: 0,
    size: 412,
    share: 0.206,
    narrative: 'They buy every 23 days and spend 184 per order, 2.3 sd above the average. 9 in 10 bought in the last quarter.',
    summary: 'buys every 23 days · 184 per order',
    traits: [
      { feature: 'averageOrderValue', label: 'average order value', z: 2.31 },
      { feature: 'orders', label: 'orders', z: 1.72 },
      { feature: 'recencyDays', label: 'days since last order', z: -1.1 },
    ],
    medians: { recencyDays: 12, orders: 14, averageOrderValue: 184.5, totalSpend: 2583 },
  },
  {
    key: 'persona-occasional-bargain-hunters',
    label: 'Occasional bargain hunters',
    cluster: 1,
    size: 1096,
    share: 0.548,
    narrative: 'They order about twice a year, 41 per order. Most of their orders use a discount code.',
    summary: 'buys every 180 days · 41 per order',
    traits: [
      { feature: 'discountShare', label: 'share of discounted orders', z: 1.4 },
      { feature: 'averageOrderValue', label: 'average order value', z: -0.8 },
    ],
    medians: { recencyDays: 96, orders: 2, averageOrderValue: 41, totalSpend: 82, discountShare: 0.67 },
  },
  {
    key: 'persona-lapsed-one-timers',
    label: 'Lapsed one-timers',
    cluster: 2,
    size: 492,
    share: 0.246,
    narrative: 'They bought once, 14 months ago on average. Half of them never opened an email since.',
    summary: 'one order · 420 days ago',
    traits: [
      { feature: 'recencyDays', label: 'days since last order', z: 1.9 },
      { feature: 'orders', label: 'orders', z: -0.9 },
    ],
    medians: { recencyDays: 420, orders: 1, averageOrderValue: 57.25, totalSpend: 57.25, discountShare: null },
  },
];

type FittedPredictions = Extract<ReportPredictions, { status: 'fitted' }>;

const WARNING = 'spend per purchase and number of purchases are correlated (r = 0.42) <b>above</b> 0.3 & <img src=x onerror="document.body.dataset.rendered=1"> so treat CLV with caution.';

/** Week w starts on 2024-06-03 + 7w; weeks 0..35 are calibration, 36..51 the holdout (to the reference date). */
const WEEKS = 52;
const CALIBRATION_WEEKS = 36;

const BY_FREQUENCY = [
  { x: '0', customers: 1_411, actual: 0.24, expected: 0.23 },
  { x: '1', customers: 439, actual: 0.71, expected: 0.63 },
  { x: '2', customers: 214, actual: 1.39, expected: 1.06 },
  { x: '3', customers: 100, actual: 1.56, expected: 1.48 },
  { x: '4', customers: 62, actual: 2.37, expected: 1.87 },
  { x: '5', customers: 38, actual: 2.15, expected: 2.31 },
  { x: '6', customers: 29, actual: 2.9, expected: 2.72 },
  { x: '7+', customers: 64, actual: 3.69, expected: 3.94 },
];

function predictions(): FittedPredictions {
  const weekly = Array.from({ length: WEEKS }, (_, w) => {
    // The cohort is acquired over the first weeks, then buys less and less (the shape of FHL's figure 2).
    const expected = Math.round(4_000 * (1 - Math.exp(-(w + 1) / 6)) * Math.exp(-w / 70)) / 100;
    return {
      weekStart: new Date(Date.UTC(2024, 5, 3 + 7 * w)).toISOString().slice(0, 10),
      actual: Math.max(0, Math.round(expected * (1 + 0.2 * Math.sin(1.7 * w)))),
      expected,
      holdout: w >= CALIBRATION_WEEKS,
    };
  });
  return {
    status: 'fitted',
    timeUnit: 'weeks',
    horizonMonths: 12,
    monthlyDiscountRate: 0.01,
    historyDays: 364,
    bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: -9_582.43, customers: 2_357, repeatBuyers: 1_065 },
    gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44, logLikelihood: -4_059.81, customers: 946 },
    spendFrequencyCorrelation: 0.42,
    warnings: [WARNING],
    totals: { customers: 2_357, expectedPurchases90d: 1_234.56, clv: 182_430.4, meanPAlive: 0.634 },
    holdout: {
      calibrationEnd: '2025-02-09',
      holdoutEnd: '2025-06-01',
      holdoutDays: 112,
      customers: 2_357,
      weekly,
      byFrequency: BY_FREQUENCY,
      holdoutTotal: { actual: 1_872, expected: 1_811.37 },
    },
  };
}

function reportData(): ReportData {
  const random = mulberry32(42);
  const centres: Array<[number, number]> = [[2.5, 1.2], [-0.8, -1.5], [-1.9, 1.8]];
  const points: Array<[number, number, number]> = [];
  for (let i = 0; i < 300; i++) {
    const cluster = i % 3;
    const [cx, cy] = centres[cluster] as [number, number];
    points.push([cx + 0.7 * gaussian(random), cy + 0.6 * gaussian(random), cluster]);
  }
  // rfGrid[r - 1][f - 1]; distinct counts so a misplaced cell is noticed.
  const rfGrid = Array.from({ length: 5 }, (_, r) => Array.from({ length: 5 }, (_, f) => 10 * (r + 1) + (f + 1) + (r === 4 && f === 4 ? 1200 : 0)));
  const scan = [2, 3, 4, 5, 6].map((k) => ({
    k,
    inertia: 18_000 / k,
    silhouette: k === 3 ? 0.412 : 0.3 - 0.01 * k,
    daviesBouldin: 0.7 + 0.05 * k,
    calinskiHarabasz: 1500 - 100 * k,
    dunn: 0.05 + 0.001 * k,
    bic: 42_000 + 500 * k,
    aic: 41_000 + 450 * k,
    stability: k === 3 ? 0.93 : null,
  }));
  return {
    title: 'Acme Outdoor — customer segments',
    generatedAt: '2025-06-02T09:14:05.000Z',
    referenceDate: '2025-06-01',
    profiles: 2_418,
    segments: [
      { key: 'rfm-champions', name: 'Champions', kind: 'rfm', size: 311 },
      { key: 'rfm-loyal', name: 'Loyal customers', kind: 'rfm', size: 402 },
      { key: 'rfm-at-risk', name: 'At risk', kind: 'rfm', size: 288 },
      { key: 'rfm-hibernating', name: 'Hibernating', kind: 'rfm', size: 999 },
      { key: 'rule-newsletter', name: 'Newsletter, no order in 90 days', kind: 'rule', size: 1_204 },
      { key: 'rule-vip', name: 'VIP (spend over 1,000)', kind: 'rule', size: 57 },
      ...PERSONAS.map((p) => ({ key: p.key, name: p.label, kind: 'persona', size: p.size })),
    ],
    rfGrid,
    preparation: [
      { step: 'impute', column: 'averageOrderValue', detail: 'filled 12 missing values with the median 52.4' },
      { step: 'cap', column: 'totalSpend', detail: 'capped 41 values above 1,630.5 (IQR × 1.5)' },
      { step: 'log', column: 'orders', detail: 'log(1 + x)' },
      { step: 'scale', column: null, detail: 'standardized every feature to mean 0, sd 1' },
    ],
    clustering: {
      algorithm: 'k-means++',
      chosenK: 3,
      selection: 'highest silhouette among k = 2..6',
      silhouetteExact: false,
      silhouetteSampleSize: 1_000,
      clusteredProfiles: 2_000,
      scan,
      pca: {
        explainedVariance: [0.412, 0.236],
        loadings: [
          { feature: 'recencyDays', pc1: -0.52, pc2: 0.31 },
          { feature: 'orders', pc1: 0.61, pc2: 0.12 },
          { feature: 'averageOrderValue', pc1: 0.44, pc2: -0.58 },
          { feature: 'discountShare', pc1: -0.18, pc2: 0.69 },
          { feature: 'totalSpend', pc1: 0.35, pc2: -0.25 },
        ],
        points,
      },
      personas: PERSONAS,
    },
    predictions: predictions(),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'segsync-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the report, opens it in headless Chromium and returns the HTML and the DOM after scripts ran. */
async function open(name: string, data: ReportData): Promise<{ html: string; dom: string }> {
  if (!findChromium()) {
    throw new Error('Chromium is required for the HTML report test and was not found: install it (apt-get install chromium) or set CHROMIUM_PATH');
  }
  const html = renderReportHtml(data);
  const path = join(dir, `${name}.html`);
  writeFileSync(path, html);
  return { html, dom: await renderWithChromium(path) };
}

function bodyAttribute(dom: string, name: string): string | undefined {
  const body = /<body\b[^>]*>/.exec(dom)?.[0] ?? '';
  return new RegExp(`\\s${name}="([^"]*)"`).exec(body)?.[1];
}

/** The serialized <svg id="…"> element. */
function svg(dom: string, id: string): string {
  const match = new RegExp(`<svg[^>]*\\bid="${id}"[^>]*>[\\s\\S]*?</svg>`).exec(dom);
  expect(match, `svg#${id}`).not.toBeNull();
  return match![0];
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

/** The [x, y] pairs of the <polyline data-series="…"> in an SVG. */
function polyline(svgText: string, series: string): Array<[number, number]> {
  const element = new RegExp(`<polyline\\b[^>]*\\bdata-series="${series}"[^>]*>`).exec(svgText)?.[0];
  expect(element, `polyline ${series}`).toBeDefined();
  const points = /\spoints="([^"]*)"/.exec(element!)?.[1] ?? '';
  return points.trim().split(/\s+/).filter(Boolean).map((pair) => pair.split(',').map(Number) as [number, number]);
}

/** The <section id="…"> element. */
function sectionOf(dom: string, id: string): string {
  return new RegExp(`<section id="${id}">[\\s\\S]*?</section>`).exec(dom)?.[0] ?? '';
}

/** Text of an element with tags removed and entities decoded. */
function text(html: string): string {
  return decode(html.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

function decode(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))).replace(/&amp;/g, '&');
}

describe('segsync report: one self-contained HTML file, drawn in headless Chromium', () => {
  it('draws every chart: a circle per PCA point, 25 R×F cells with their counts, a bar per segment, a card per persona', async () => {
    const data = reportData();
    const { dom } = await open('full', data);

    expect(bodyAttribute(dom, 'data-rendered')).toBe('ok');
    expect(dom).toContain('id="render-error" role="alert" hidden');

    const scatter = svg(dom, 'scatter');
    expect(count(scatter, /<circle\b/g)).toBe(300);
    expect(bodyAttribute(dom, 'data-points')).toBe('300');
    expect(scatter).toContain('PC1 (41.2% of variance)');
    expect(scatter).toContain('PC2 (23.6% of variance)');
    const legend = /<ul class="legend">([\s\S]*?)<\/ul>/.exec(dom)?.[1] ?? '';
    for (const p of PERSONAS) expect(legend).toContain(p.label);
    expect(dom).toMatch(/<table class="loadings">[\s\S]*average order value[\s\S]*<\/table>/);

    const grid = svg(dom, 'rf-grid');
    expect(count(grid, /<rect\b[^>]*class="cell"/g)).toBe(25);
    expect(bodyAttribute(dom, 'data-cells')).toBe('25');
    const cellTexts = [...grid.matchAll(/<text\b[^>]*class="cell-count"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    // Drawn top row first: R5 F1..F5, then R4, ... R1.
    const expected = [5, 4, 3, 2, 1].flatMap((r) => [1, 2, 3, 4, 5].map((f) => data.rfGrid[r - 1]![f - 1]!.toLocaleString('en-US')));
    expect(cellTexts).toEqual(expected);
    expect(cellTexts).toContain('1,255'); // R5 F5, with a thousands separator

    const bars = svg(dom, 'segment-bars');
    expect(count(bars, /<rect\b[^>]*class="bar"/g)).toBe(data.segments.length);
    expect(bodyAttribute(dom, 'data-bars')).toBe(String(data.segments.length));
    for (const s of data.segments) expect(bars).toContain(`data-key="${s.key}"`);
    const groups = [...bars.matchAll(/class="group-title"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(groups).toEqual(['RFM segments', 'Rule segments', 'Persona segments']);

    const cards = [...dom.matchAll(/<article class="persona"[\s\S]*?<\/article>/g)].map((m) => m[0]);
    expect(cards).toHaveLength(3);
    for (const p of PERSONAS) expect(cards.some((card) => card.includes(p.label) && card.includes(p.narrative))).toBe(true);
    expect(dom).toContain('+2.3 sd</span> average order value');
    expect(dom).toContain('1,096 profiles · 54.8% of clustered');

    const metrics = /<table class="metrics">[\s\S]*?<\/table>/.exec(dom)?.[0] ?? '';
    expect(count(metrics, /<tbody>[\s\S]*<\/tbody>/g)).toBe(1);
    expect(count(metrics, /<tr\b/g)).toBe(1 + 5);
    expect(count(metrics, /<tr class="chosen">/g)).toBe(1);
    expect(metrics).toMatch(/<tr class="chosen"><th scope="row" class="num">3 /);
    expect(dom).toContain('fixed-seed sample of 1,000 of 2,000 clustered profiles');

    expect(count(/<table class="preparation">[\s\S]*?<\/table>/.exec(dom)?.[0] ?? '', /<tr\b/g)).toBe(1 + 4);
    expect(dom).toContain('2,418');
  });

  it('says the UMAP map is a sample of the clustered profiles, or why there is none', async () => {
    const base = reportData();
    const umapPoints = base.clustering!.pca.points.slice(0, 150).map(([x, y, k]): [number, number, number] => [y, x, k]);
    const drawn = { ...base, clustering: { ...base.clustering!, umap: { status: 'drawn' as const, points: umapPoints, sampleSize: 150, neighbours: 15, epochs: 150, seed: 7 } } };
    const { dom } = await open('umap-sample', drawn);
    expect(bodyAttribute(dom, 'data-rendered')).toBe('ok');
    expect(count(svg(dom, 'umap'), /<circle\b/g)).toBe(150);
    expect(bodyAttribute(dom, 'data-umap-points')).toBe('150');
    expect(bodyAttribute(dom, 'data-elbow-points')).toBe(String(base.clustering!.scan.length));
    const section = text(sectionOf(dom, 'umap-section'));
    expect(section).toContain('a fixed-seed sample of 150 of 2,000 clustered profiles');
    expect(section).toContain('The distances between clusters, their sizes and the axes mean nothing');

    const skipped = { ...base, clustering: { ...base.clustering!, umap: { status: 'skipped' as const, reason: 'only 12 clustered profiles; a UMAP map needs at least 20' } } };
    const second = await open('umap-skipped', skipped);
    expect(bodyAttribute(second.dom, 'data-umap-points')).toBe('0');
    expect(text(sectionOf(second.dom, 'umap-section'))).toContain('No UMAP map: only 12 clustered profiles; a UMAP map needs at least 20.');
  });

  it('renders a report without clustering: explanations instead of scatter, cards and metrics', async () => {
    const data = { ...reportData(), clustering: null, segments: reportData().segments.filter((s) => s.kind !== 'persona') };
    const { dom } = await open('no-clustering', data);
    expect(bodyAttribute(dom, 'data-rendered')).toBe('ok');
    expect(bodyAttribute(dom, 'data-points')).toBe('0');
    expect(bodyAttribute(dom, 'data-cells')).toBe('25');
    expect(bodyAttribute(dom, 'data-bars')).toBe(String(data.segments.length));
    expect(dom).not.toContain('id="scatter"');
    expect(dom.replace(svg(dom, 'frequency-check'), '')).not.toContain('<circle');
    expect(dom).not.toContain('<article class="persona"');
    expect(count(dom, /No clustering in this run/g)).toBe(3);
  });

  it('draws the predictions: actual and expected repeat purchases per week on both sides of the calibration marker, and holdout purchases by past frequency', async () => {
    const data = reportData();
    const p = data.predictions as FittedPredictions;
    const h = p.holdout!;
    const { dom } = await open('predictions', data);
    expect(bodyAttribute(dom, 'data-rendered')).toBe('ok');

    const tracking = svg(dom, 'tracking');
    expect(bodyAttribute(dom, 'data-tracking-points')).toBe(String(WEEKS));
    expect(count(tracking, /<polyline\b/g)).toBe(2);
    const actual = polyline(tracking, 'actual');
    const expected = polyline(tracking, 'expected');
    expect(actual).toHaveLength(WEEKS);
    expect(expected).toHaveLength(WEEKS);
    // Week by week, left to right, both lines at the same x.
    for (let w = 1; w < WEEKS; w++) expect(actual[w]![0]).toBeGreaterThan(actual[w - 1]![0]);
    expect(expected.map((pt) => pt[0])).toEqual(actual.map((pt) => pt[0]));
    // Both lines on one linear y axis (SVG y grows downwards): y = y0 − k·value for every point.
    const values = [...h.weekly.map((w) => w.actual), ...h.weekly.map((w) => w.expected)];
    const ys = [...actual.map((pt) => pt[1]), ...expected.map((pt) => pt[1])];
    const hi = values.indexOf(Math.max(...values));
    const lo = values.indexOf(Math.min(...values));
    const k = (ys[lo]! - ys[hi]!) / (values[hi]! - values[lo]!);
    expect(k).toBeGreaterThan(0);
    values.forEach((v, i) => expect(Math.abs(ys[i]! - (ys[lo]! - k * (v - values[lo]!)))).toBeLessThan(0.2));

    // The marker sits between the last calibration week and the first holdout week, at their boundary.
    const marker = /<line\b[^>]*class="calibration-end"[^>]*>/.exec(tracking)?.[0] ?? '';
    expect(marker).toContain(`data-date="${h.calibrationEnd}"`);
    const markerX = Number(/\sx1="([^"]*)"/.exec(marker)?.[1]);
    const lastCalibration = actual[CALIBRATION_WEEKS - 1]![0];
    const firstHoldout = actual[CALIBRATION_WEEKS]![0];
    expect(markerX).toBeGreaterThan(lastCalibration);
    expect(markerX).toBeLessThan(firstHoldout);
    expect(Math.abs(markerX - (lastCalibration + firstHoldout) / 2)).toBeLessThan(0.2);
    expect(tracking).toContain('Calibration');
    expect(tracking).toContain('Holdout');
    // Axes: a y title, y ticks and month ticks on the x axis.
    expect(tracking).toContain('Repeat purchases per week');
    const ticks = [...tracking.matchAll(/class="tick"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(ticks).toEqual(expect.arrayContaining(['0', 'Jan 2025']));
    expect(ticks.length).toBeGreaterThanOrEqual(8);
    const figure = /<figure class="chart"><svg id="tracking"[\s\S]*?<\/figure>/.exec(dom)?.[0] ?? '';
    expect(text(/<ul class="legend">[\s\S]*?<\/ul>/.exec(figure)?.[0] ?? '')).toBe('Actual Expected (model fitted on the calibration period)');

    // By calibration frequency: two lines with a dot per group, and the same numbers in a table.
    const frequency = svg(dom, 'frequency-check');
    expect(bodyAttribute(dom, 'data-frequency-points')).toBe(String(BY_FREQUENCY.length));
    expect(polyline(frequency, 'actual')).toHaveLength(BY_FREQUENCY.length);
    expect(polyline(frequency, 'expected')).toHaveLength(BY_FREQUENCY.length);
    expect(count(frequency, /<circle\b[^>]*class="frequency-point"/g)).toBe(2 * BY_FREQUENCY.length);
    const dotTitles = [...frequency.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(dotTitles).toContain('3 before (100 customers): 1.56 actual, 1.48 expected');
    expect(dotTitles).toContain('7+ before (64 customers): 3.69 actual, 3.94 expected');
    const rows = [...(/<table class="frequency">[\s\S]*?<\/table>/.exec(dom)?.[0] ?? '').matchAll(/<tbody>[\s\S]*<\/tbody>/g)]
      .flatMap((m) => [...m[0].matchAll(/<tr>([\s\S]*?)<\/tr>/g)])
      .map((m) => text(m[1]!));
    expect(rows).toEqual(BY_FREQUENCY.map((g) => `${g.x} ${g.customers.toLocaleString('en-US')} ${g.actual.toFixed(2)} ${g.expected.toFixed(2)}`));
    expect(text(/<dl class="facts kpis holdout-total">[\s\S]*?<\/dl>/.exec(dom)?.[0] ?? '')).toBe(
      'Actual repeat purchases 1,872 in the 112-day holdout Expected by the model 1,811 fitted before the holdout Difference −3.2% expected vs actual',
    );
  });

  it('shows the prediction totals, the model parameters and the warnings, escaped', async () => {
    const { html, dom } = await open('predictions-text', reportData());
    const section = sectionOf(dom, 'predictions');
    expect(section).not.toBe('');
    const intro = text(/<p class="intro">[\s\S]*?<\/p>/.exec(section)?.[0] ?? '');
    expect(intro).toContain('On average a customer who has bought more than once has a 63.4% chance of still being an active buyer (one-time buyers cannot be judged yet).');
    expect(intro).toContain('expected to make about 1,235 purchases in the next 90 days and to be worth 182,430 over the next 12 months');
    expect(intro).toContain('discounted at 1% a month');
    expect(text(/<dl class="facts kpis">[\s\S]*?<\/dl>/.exec(section)?.[0] ?? '')).toBe(
      'Customers 2,357 with at least one purchase Likely still active 63.4% mean P(alive) of repeat buyers Expected purchases, 90 days 1,235 all customers together Lifetime value, 12 months 182,430 total CLV, discounted',
    );

    const params = new Map(
      [...(/<table class="params">[\s\S]*?<\/table>/.exec(section)?.[0] ?? '').matchAll(/<tr><th scope="row">([^<]*)<\/th><td class="num">([^<]*)<\/td>/g)]
        .map((m) => [decode(m[1]!), m[2]!] as const)
        .filter(([name]) => name !== 'Log-likelihood' && name !== 'Customers'),
    );
    expect(Object.fromEntries(params)).toEqual({
      r: '0.243', α: '4.414', a: '0.793', b: '2.426', 'Time unit': 'weeks',
      p: '6.25', q: '3.74', γ: '15.44', 'Spend/frequency correlation': '+0.42',
    });
    const table = text(/<table class="params">[\s\S]*?<\/table>/.exec(section)?.[0] ?? '');
    expect(table).toContain('Log-likelihood −9,582.4');
    expect(table).toContain('Customers 2,357 1,065 of them repeat buyers');
    expect(table).toContain('Log-likelihood −4,059.8');
    expect(table).toContain('Customers 946');
    expect(table).toContain('r/α = 0.055 purchases a week');
    expect(table).toContain('pγ/(q − 1) = 35.22');

    // The warning is shown before the numbers, as text: its markup is escaped, not parsed.
    const warnings = /<div class="warnings" role="note">[\s\S]*?<\/div>/.exec(section)?.[0] ?? '';
    expect(section.indexOf(warnings)).toBeLessThan(section.indexOf('<dl class="facts kpis">'));
    expect(text(warnings)).toBe(`Read with care ${WARNING.charAt(0).toUpperCase()}${WARNING.slice(1)}`);
    expect(warnings).toContain('&lt;b&gt;above&lt;/b&gt;');
    expect(html).not.toMatch(/<b>above/);
    expect(count(dom, /<img\b/gi)).toBe(0);
    expect(bodyAttribute(dom, 'data-rendered')).toBe('ok');
  });

  it('shows why there is no CLV and no model check when the spend model and the holdout were skipped', async () => {
    const fitted = predictions();
    const data: ReportData = {
      ...reportData(),
      predictions: {
        ...fitted,
        gammaGamma: null,
        gammaGammaSkipped: "the spend model's q is 0.870 (≤ 1 & <unstable>): spend per purchase varies too wildly for a finite average, so there is no CLV.",
        totals: { ...fitted.totals, clv: null },
        warnings: [],
        holdout: null,
        holdoutSkipped: 'the history (120 days) is too short to hold out 40 days for a model check (at least 28, and less than the history).',
      },
    };
    const { dom } = await open('predictions-partial', data);
    expect(bodyAttribute(dom, 'data-rendered')).toBe('ok');
    expect(bodyAttribute(dom, 'data-tracking-points')).toBe('0');
    expect(bodyAttribute(dom, 'data-frequency-points')).toBe('0');
    expect(bodyAttribute(dom, 'data-bars')).toBe(String(data.segments.length));
    expect(dom).not.toContain('id="tracking"');
    expect(dom).not.toContain('id="frequency-check"');
    const section = sectionOf(dom, 'predictions');
    expect(section).not.toContain('class="warnings"');
    expect(text(/<dl class="facts kpis">[\s\S]*?<\/dl>/.exec(section)?.[0] ?? '')).toContain('Lifetime value, 12 months — no spend model');
    expect(section).toContain('(≤ 1 &amp; &lt;unstable&gt;)');
    expect(text(section)).toContain("There is no lifetime value for the next 12 months: the spend model's q is 0.870 (≤ 1 & <unstable>)");
    expect(text(section)).toContain("Not fitted: the spend model's q is 0.870");
    expect(text(section)).toContain('No model check against held-out purchases: the history (120 days) is too short to hold out 40 days');
    expect(text(section)).toContain('r 0.243');
  });

  it('shows the reason when predictions were skipped, and no section for runs from before predictions', async () => {
    const reason = 'the history spans 40 days of purchases (< 90 & from 2025-04-22); predictions need at least 90 (segmentation.predictions.minHistoryDays).';
    const skipped = await open('predictions-skipped', { ...reportData(), predictions: { status: 'skipped', reason } });
    expect(bodyAttribute(skipped.dom, 'data-rendered')).toBe('ok');
    expect(bodyAttribute(skipped.dom, 'data-tracking-points')).toBe('0');
    expect(bodyAttribute(skipped.dom, 'data-frequency-points')).toBe('0');
    expect(bodyAttribute(skipped.dom, 'data-points')).toBe('300');
    const section = sectionOf(skipped.dom, 'predictions');
    expect(section).toContain('(&lt; 90 &amp; from 2025-04-22)');
    expect(text(section)).toBe(`Predictions No predictions: ${reason}`);
    expect(skipped.dom).not.toContain('id="tracking"');

    const old = await open('predictions-null', { ...reportData(), predictions: null });
    expect(bodyAttribute(old.dom, 'data-rendered')).toBe('ok');
    expect(bodyAttribute(old.dom, 'data-tracking-points')).toBe('0');
    expect(bodyAttribute(old.dom, 'data-cells')).toBe('25');
    expect(old.dom).not.toContain('id="predictions"');
    expect(old.dom).not.toContain('No predictions');
  });

  it('shows segment movement: a line per RFM segment and per persona over the runs, and the RFM transition matrix with the largest moves', async () => {
    const run = (id: number, day: string) => ({ id, createdAt: `${day}T06:00:00.000Z` });
    const movement: ReportMovement = {
      status: 'shown',
      runs: [run(1, '2026-10-01'), run(2, '2026-11-01'), run(3, '2026-12-01')],
      rfm: [{ key: 'champions', name: 'Champions', sizes: [20, 58, 60] }, { key: 'prospects', name: 'Prospects', sizes: [40, 50, 55] }, { key: 'at_risk', name: 'At Risk', sizes: [40, 2, 5] }],
      personas: [{ key: 'persona_a', name: 'Persona: A', sizes: [10, 12, 14] }, { key: 'persona_b', name: 'Persona: <img src=x onerror="document.body.dataset.rendered=1">', sizes: [5, 6, 7] }],
      transition: {
        from: run(2, '2026-11-01'), to: run(3, '2026-12-01'),
        segments: [{ key: 'champions', name: 'Champions' }, { key: 'prospects', name: 'Prospects' }, { key: 'at_risk', name: 'At Risk' }],
        // Rows: Champions, Prospects, At Risk, not in any; the last column is not in any.
        counts: [[50, 0, 5, 3], [2, 48, 0, 0], [2, 0, 0, 0], [6, 7, 0, 0]],
        entered: 13, left: 3,
        retention: [
          { key: 'champions', name: 'Champions', atFrom: 58, stayed: 50, share: 50 / 58 },
          { key: 'prospects', name: 'Prospects', atFrom: 50, stayed: 48, share: 0.96 },
          { key: 'at_risk', name: 'At Risk', atFrom: 2, stayed: 0, share: 0 },
        ],
        largestMoves: [
          { from: 'champions', fromName: 'Champions', to: 'at_risk', toName: 'At Risk', count: 5 },
          { from: 'at_risk', fromName: 'At Risk', to: 'champions', toName: 'Champions', count: 2 },
        ],
      },
    };
    const { dom } = await open('movement', { ...reportData(), movement });
    expect(bodyAttribute(dom, 'data-rendered')).toBe('ok');
    expect(bodyAttribute(dom, 'data-movement-lines')).toBe('3');
    expect(bodyAttribute(dom, 'data-movement-persona-lines')).toBe('2');
    const sizes = svg(dom, 'movement-rfm');
    expect(count(sizes, /<polyline\b[^>]*class="movement-line"/g)).toBe(3);
    const line = (key: string) => {
      const points = /\spoints="([^"]*)"/.exec(new RegExp(`<polyline\\b[^>]*data-key="${key}"[^>]*>`).exec(sizes)![0])![1]!;
      return points.trim().split(/\s+/).map((pair) => pair.split(',').map(Number) as [number, number]);
    };
    // One point per run, left to right; a bigger segment is drawn higher (smaller y).
    expect(line('champions').map(([x]) => x)).toEqual([...line('champions').map(([x]) => x)].sort((a, b) => a - b));
    expect(line('champions')).toHaveLength(3);
    expect(line('champions')[2]![1]).toBeLessThan(line('at_risk')[2]![1]);
    expect(line('at_risk')[0]![1]).toBeCloseTo(line('prospects')[0]![1], 5);
    expect(sizes).toContain('Champions: 20 → 58 → 60');
    expect(count(svg(dom, 'movement-personas'), /class="movement-line"/g)).toBe(2);
    // Names are text, never markup: in the legend and in the lines' titles.
    expect(count(dom, /<img\b/gi)).toBe(0);
    expect(decode(sectionOf(dom, 'movement'))).toContain('Persona: <img src=x onerror="document.body.dataset.rendered=1">');

    const section = sectionOf(dom, 'movement');
    const words = text(section);
    expect(words).toContain('RFM segments, run #2 (2026-11-01) → run #3 (2026-12-01)');
    expect(words).toContain('Largest moves Champions → At Risk: 5 At Risk → Champions: 2');
    const rows = [...(/<table class="transition">[\s\S]*?<\/table>/.exec(section)?.[0] ?? '').matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => text(m[1]!));
    expect(rows).toEqual([
      'From \\ to Champions Prospects At Risk Not in any Total Stayed',
      'Champions 50 0 5 3 58 86.2%',
      'Prospects 2 48 0 0 50 96.0%',
      'At Risk 2 0 0 0 2 0.0%',
      'Not in any (new) 6 7 0 13',
    ]);
    expect(words).toContain('new since then (13), or no longer segmented (3:');

    const one = await open('movement-one-run', { ...reportData(), movement: { status: 'skipped', reason: 'segsync has made only one segmentation run so far' } });
    expect(bodyAttribute(one.dom, 'data-movement-lines')).toBe('0');
    expect(text(sectionOf(one.dom, 'movement'))).toContain('No movement to show yet: segsync has made only one segmentation run so far.');
  });

  it('is self-contained: no http(s) reference, no external script, style, font or image', () => {
    for (const data of [reportData(), { ...reportData(), clustering: null }]) {
      const html = renderReportHtml(data);
      expect(html).not.toMatch(/https?:\/\//i);
      expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
      expect(html).not.toMatch(/<script\b[^>]*\bsrc=/i);
      expect(html).not.toMatch(/@import|url\(/i);
      expect(count(html, /<script\b/gi)).toBe(2);
    }
  });

  it('embeds the data as JSON that no string can break out of', async () => {
    const evil = '</script><script>document.body.dataset.rendered="pwned"</script><!--';
    const data = reportData();
    data.title = `Report ${evil}`;
    data.segments[0]!.name = evil;
    data.clustering!.personas[0]!.label = '<img src=x onerror="document.body.dataset.rendered=1">';
    const p = data.predictions as FittedPredictions;
    p.warnings.push(evil);
    p.holdout!.byFrequency[0]!.x = evil;
    const html = renderReportHtml(data);
    expect(count(html, /<\/script/gi)).toBe(2);
    expect(count(html, /<img\b/gi)).toBe(0);
    const json = /<script type="application\/json" id="segsync-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(json).not.toContain('<');
    expect(JSON.parse(json)).toEqual(data);

    const { dom } = await open('escaping', data);
    expect(bodyAttribute(dom, 'data-rendered')).toBe('ok');
    expect(count(dom, /<script\b/gi)).toBe(2);
    expect(count(dom, /<img\b/gi)).toBe(0);
    const bars = svg(dom, 'segment-bars');
    const titles = [...bars.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => decode(m[1]!));
    expect(titles).toContain(evil);
    expect(decode(dom)).toContain(data.clustering!.personas[0]!.label);
    const dots = [...svg(dom, 'frequency-check').matchAll(/<title>([^<]*)<\/title>/g)].map((m) => decode(m[1]!));
    expect(dots).toContain(`${evil} before (1,411 customers): 0.24 actual, 0.23 expected`);
  });

  it('reports a drawing error on the page instead of a blank chart', async () => {
    const data = { ...reportData(), rfGrid: reportData().rfGrid.slice(0, 4) };
    const { dom } = await open('broken', data);
    expect(bodyAttribute(dom, 'data-rendered')).toBe('error: rfGrid must be 5 × 5');
    expect(dom).toMatch(/<div id="render-error" role="alert">The charts could not be drawn: rfGrid must be 5 × 5<\/div>/);
  });

  it('reports a bad week in the model check as a drawing error', async () => {
    const data = reportData();
    (data.predictions as FittedPredictions).holdout!.weekly[3]!.weekStart = 'week 4';
    const { dom } = await open('broken-tracking', data);
    expect(bodyAttribute(dom, 'data-rendered')).toBe('error: weekly[3].weekStart is not a date: week 4');
  });
});
