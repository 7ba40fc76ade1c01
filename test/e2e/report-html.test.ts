import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findChromium, renderWithChromium } from '../../src/report/chromium.js';
import type { ReportData, ReportPersona } from '../../src/report/report-data.js';
import { renderReportHtml } from '../../src/report/render-html.js';

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

  it('renders a report without clustering: explanations instead of scatter, cards and metrics', async () => {
    const data = { ...reportData(), clustering: null, segments: reportData().segments.filter((s) => s.kind !== 'persona') };
    const { dom } = await open('no-clustering', data);
    expect(bodyAttribute(dom, 'data-rendered')).toBe('ok');
    expect(bodyAttribute(dom, 'data-points')).toBe('0');
    expect(bodyAttribute(dom, 'data-cells')).toBe('25');
    expect(bodyAttribute(dom, 'data-bars')).toBe(String(data.segments.length));
    expect(dom).not.toContain('<circle');
    expect(dom).not.toContain('<article class="persona"');
    expect(count(dom, /No clustering in this run/g)).toBe(3);
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
  });

  it('reports a drawing error on the page instead of a blank chart', async () => {
    const data = { ...reportData(), rfGrid: reportData().rfGrid.slice(0, 4) };
    const { dom } = await open('broken', data);
    expect(bodyAttribute(dom, 'data-rendered')).toBe('error: rfGrid must be 5 × 5');
    expect(dom).toMatch(/<div id="render-error" role="alert">The charts could not be drawn: rfGrid must be 5 × 5<\/div>/);
  });
});
