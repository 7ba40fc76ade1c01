import type { ReportCampaign, ReportData } from './report-data.js';
import { METHOD_BOOTSTRAP, METHOD_Z, type Interval, type Measure, type MeasureKey } from '../measure/lift.js';

/**
 * The report's Campaigns section: per campaign a chart of treatment against control conversion
 * with 95% interval bars, drawn here as static SVG (no script needed), and the lift table.
 */

const TREATMENT = '#0072B2';
const CONTROL = '#E69F00';
const PROPORTIONS: ReadonlySet<MeasureKey> = new Set(['conversion', 'movedToWorseRfm', 'unsubscribes']);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const sign = (x: number) => (x > 0 ? '+' : x < 0 ? '−' : '');

function value(key: MeasureKey, x: number): string {
  if (!Number.isFinite(x)) return '—';
  return PROPORTIONS.has(key) ? pct(x) : x.toFixed(key === 'ordersPerPerson' ? 3 : 2);
}

function difference(key: MeasureKey, x: number): string {
  if (!Number.isFinite(x)) return '—';
  return PROPORTIONS.has(key) ? `${sign(x)}${Math.abs(x * 100).toFixed(1)} pts` : `${sign(x)}${Math.abs(x).toFixed(key === 'ordersPerPerson' ? 3 : 2)}`;
}

const relative = (x: number) => `${sign(x)}${Math.abs(x * 100).toFixed(0)}%`;
const interval = (ci: Interval | null, f: (x: number) => string) => (ci ? ` <span class="ci">[${f(ci[0])}, ${f(ci[1])}]</span>` : '');

/** Two bars (treatment, control) of conversion with their 95% Wilson intervals. */
function conversionChart(c: ReportCampaign, index: number): string {
  const W = 420;
  const H = 260;
  const L = 56;
  const B = 40;
  const T = 16;
  const top = Math.max(0.01, ...(['treatment', 'control'] as const).map((g) => c.groups[g].conversionCi[1])) * 1.1;
  const y = (v: number) => T + (H - T - B) * (1 - v / top);
  const parts: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    parts.push(`<line x1="${L}" x2="${W - 12}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="${k === 0 ? 'zero-line' : 'grid-line'}"/>`,
      `<text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${pct(v)}</text>`);
  }
  (['treatment', 'control'] as const).forEach((g, i) => {
    const group = c.groups[g];
    const x = L + 40 + i * 160;
    const width = 100;
    const mid = x + width / 2;
    const [low, high] = group.conversionCi;
    parts.push(
      `<rect class="campaign-bar" data-group="${g}" x="${x}" y="${y(group.conversion).toFixed(1)}" width="${width}" height="${(y(0) - y(group.conversion)).toFixed(1)}" fill="${g === 'treatment' ? TREATMENT : CONTROL}" fill-opacity="0.85"><title>${g}: ${pct(group.conversion)} (95% CI ${pct(low)}–${pct(high)}), ${integer.format(group.converters)} of ${integer.format(group.people)}</title></rect>`,
      `<g class="ci-bar" data-group="${g}" stroke="#1f2328" stroke-width="1.5"><line x1="${mid}" x2="${mid}" y1="${y(low).toFixed(1)}" y2="${y(high).toFixed(1)}"/>` +
        `<line x1="${mid - 12}" x2="${mid + 12}" y1="${y(low).toFixed(1)}" y2="${y(low).toFixed(1)}"/><line x1="${mid - 12}" x2="${mid + 12}" y1="${y(high).toFixed(1)}" y2="${y(high).toFixed(1)}"/></g>`,
      `<text x="${mid}" y="${H - B + 18}" text-anchor="middle" class="bar-label">${g} (${integer.format(group.people)})</text>`,
      `<text x="${mid + 16}" y="${(y(group.conversion) - 6).toFixed(1)}" class="value">${pct(group.conversion)}</text>`,
    );
  });
  parts.push(`<text x="14" y="${(T + (H - T - B) / 2).toFixed(1)}" text-anchor="middle" class="axis-title" transform="rotate(-90 14 ${(T + (H - T - B) / 2).toFixed(1)})">Conversion in the window</text>`);
  return `<figure class="chart narrow"><svg id="campaign-conversion-${index}" viewBox="0 0 ${W} ${H}" role="img" aria-label="Conversion of treatment and control with 95% interval bars">${parts.join('')}</svg></figure>`;
}

function measureRow(m: Measure): string {
  return `<tr><td>${escapeHtml(m.label)}</td><td class="num">${value(m.key, m.treatment)}</td><td class="num">${value(m.key, m.control)}</td>` +
    `<td class="num">${difference(m.key, m.difference)}${interval(m.differenceCi, (x) => difference(m.key, x))}</td>` +
    `<td class="num">${m.relative === null ? '—' : `${relative(m.relative)}${interval(m.relativeCi, relative)}`}</td>` +
    `<td class="num">${m.pValue === null ? '—' : m.pValue < 0.001 ? '&lt;0.001' : m.pValue.toFixed(3)}</td><td>${m.method === METHOD_Z ? 'z' : 'bootstrap'}</td></tr>`;
}

function countsTable(c: ReportCampaign): string {
  const rows = (['treatment', 'control'] as const).map((g) => {
    const n = c.groups[g];
    return `<tr><td>${g}</td><td class="num">${integer.format(n.people)}</td><td class="num">${integer.format(n.converters)}</td><td class="num">${integer.format(n.orders)}</td><td class="num">${n.revenue.toFixed(2)}</td><td class="num">${integer.format(n.unsubscribed)}</td></tr>`;
  }).join('');
  return `<table class="campaign-counts" style="margin-bottom: 16px"><thead><tr><th>Group</th><th class="num">People</th><th class="num">Converters</th><th class="num">Orders</th><th class="num">Revenue</th><th class="num">Unsubscribed</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function campaignBlock(c: ReportCampaign, index: number): string {
  const w = c.window;
  const when = `${escapeHtml(w.start.slice(0, 10))} → ${escapeHtml(w.end.slice(0, 10))}, ${w.status === 'running' ? `day ${Math.floor(w.elapsedDays)} of ${w.lengthDays}` : `${w.status} (${w.lengthDays} days)`}`;
  const head = `<h3>${escapeHtml(c.name)} <span class="intro">on ${escapeHtml(c.segmentName)} · ${when}</span></h3>`;
  if (c.notEnoughData) {
    const list = (items: string[]) => `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
    return `<div class="campaign" data-campaign="${escapeHtml(c.name)}">${head}<div class="empty"><strong>Not enough data yet.</strong>${list(c.notEnoughData.reasons)}${c.notEnoughData.fixes.length > 0 ? `What would fix it:${list(c.notEnoughData.fixes)}` : ''}</div>${countsTable(c)}</div>`;
  }
  const mde = c.mde
    ? `<p class="note">The smallest conversion lift these sizes detect (80% power, α 0.05, two-sided): ${(c.mde.absolute * 100).toFixed(1)} pts${c.mde.relative === null ? '' : ` (${(c.mde.relative * 100).toFixed(0)}% relative)`} on a ${pct(c.mde.baseline)} baseline.</p>`
    : '';
  const table = `<div class="scroll"><table class="params lift"><thead><tr><th>Measure</th><th class="num">Treatment</th><th class="num">Control</th><th class="num">Difference [95% CI]</th><th class="num">Relative [95% CI]</th><th class="num">p</th><th>Method</th></tr></thead><tbody>${c.measures!.map(measureRow).join('')}</tbody></table></div>`;
  return `<div class="campaign" data-campaign="${escapeHtml(c.name)}">${head}${conversionChart(c, index)}${countsTable(c)}${table}${mde}</div>`;
}

export function campaignsSection(data: ReportData): string {
  const c = data.campaigns;
  if (!c) return '';
  const intro = 'Each campaign\'s treated members against its control group (held out of the list), over the campaign\'s window: purchases after the start, up to its end, its stop or the newest data.';
  const body = c.status === 'unmeasurable'
    ? `<p class="empty">Lift cannot be measured: ${escapeHtml(c.reason)}</p>`
    : `${c.campaigns.map(campaignBlock).join('\n')}<p class="note">Methods: z = ${escapeHtml(METHOD_Z)}; bootstrap = ${escapeHtml(METHOD_BOOTSTRAP)}. Relative differences are treatment ÷ control − 1. Chart bars: each group's conversion with its 95% Wilson interval.</p>`;
  return `<section id="campaigns"><h2>Campaigns</h2><p class="intro">${intro}</p>${body}</section>`;
}
