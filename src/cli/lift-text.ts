import { fmt, table } from './output.js';
import type { CampaignLift } from '../measure/lift-data.js';
import { METHOD_BOOTSTRAP, METHOD_Z, type Interval, type Measure, type MeasureKey } from '../measure/lift.js';

/** How `lift`, `status` and the report write the numbers of a campaign's lift. */

const PROPORTIONS: ReadonlySet<MeasureKey> = new Set(['conversion', 'movedToWorseRfm', 'unsubscribes']);
const sign = (x: number) => (x > 0 ? '+' : x < 0 ? '−' : '');

function decimals(key: MeasureKey): number {
  return key === 'ordersPerPerson' ? 3 : 2;
}

/** A value of the measure: a percentage for proportions, a number otherwise. */
export function measureValue(key: MeasureKey, x: number): string {
  if (!Number.isFinite(x)) return '–';
  return PROPORTIONS.has(key) ? `${(x * 100).toFixed(1)}%` : x.toFixed(decimals(key));
}

/** A difference: points for proportions. */
export function measureDifference(key: MeasureKey, x: number): string {
  if (!Number.isFinite(x)) return '–';
  return PROPORTIONS.has(key) ? `${sign(x)}${Math.abs(x * 100).toFixed(1)} pts` : `${sign(x)}${Math.abs(x).toFixed(decimals(key))}`;
}

const percent = (x: number) => `${sign(x)}${Math.abs(x * 100).toFixed(0)}%`;
const interval = (ci: Interval | null, f: (x: number) => string) => (ci ? ` [${f(ci[0])}, ${f(ci[1])}]` : '');

export function pValueText(p: number | null): string {
  if (p === null) return '–';
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

function measureRow(m: Measure): string[] {
  return [
    m.label,
    measureValue(m.key, m.treatment),
    measureValue(m.key, m.control),
    `${measureDifference(m.key, m.difference)}${interval(m.differenceCi, (x) => measureDifference(m.key, x))}`,
    m.relative === null ? '–' : `${percent(m.relative)}${interval(m.relativeCi, percent)}`,
    pValueText(m.pValue),
    m.method === METHOD_Z ? 'z' : 'bootstrap',
  ];
}

/** "12.0% vs 9.0%, +3.0 pts [−0.2, +6.2], p 0.080" or "not enough data yet (...)". */
export function conversionLine(l: CampaignLift): string {
  const conversion = l.measures?.find((m) => m.key === 'conversion');
  if (!conversion) return `not enough data yet (${l.notEnoughData?.reasons.join('; ') ?? 'no conversion measure'})`;
  return `conversion ${measureValue('conversion', conversion.treatment)} treated vs ${measureValue('conversion', conversion.control)} control, ` +
    `${measureDifference('conversion', conversion.difference)}${interval(conversion.differenceCi, (x) => measureDifference('conversion', x))} (95% CI), p ${pValueText(conversion.pValue)}`;
}

function windowLine(l: CampaignLift): string {
  const w = l.window;
  const state = w.status === 'running' ? `day ${Math.floor(w.elapsedDays)} of ${w.lengthDays}` : `${w.status}, ${w.lengthDays} days`;
  return `window ${w.start.slice(0, 10)} → ${w.end.slice(0, 10)} (${state})`;
}

/** The human `lift` output for one campaign. */
export function renderCampaignLift(l: CampaignLift): string {
  const out: string[] = [];
  out.push(`Campaign "${l.campaign.name}" on ${l.segmentName} (${l.campaign.segmentKey}): ${windowLine(l)}`);
  const rows = [
    ['group', 'people', 'converters', 'orders', 'revenue', 'unsubscribed'],
    ...(['treatment', 'control'] as const).map((g) => {
      const c = l[g];
      return [g, fmt(c.people), fmt(c.converters), fmt(c.orders), c.revenue.toFixed(2), fmt(c.unsubscribed)];
    }),
  ];
  out.push(table(rows, ['l', 'r', 'r', 'r', 'r', 'r']));
  if (l.notEnoughData) {
    out.push('Not enough data yet:');
    for (const r of l.notEnoughData.reasons) out.push(`  - ${r}`);
    if (l.notEnoughData.fixes.length > 0) out.push('What would fix it:');
    for (const f of l.notEnoughData.fixes) out.push(`  - ${f}`);
    return out.join('\n');
  }
  out.push(table([['measure', 'treatment', 'control', 'difference [95% CI]', 'relative [95% CI]', 'p', 'method'], ...l.measures!.map(measureRow)], ['l', 'r', 'r', 'r', 'r', 'r', 'l']));
  if (l.mde) {
    out.push(`Smallest conversion lift these sizes detect (80% power, α 0.05, two-sided): ${(l.mde.absolute * 100).toFixed(1)} pts` +
      `${l.mde.relative === null ? '' : ` (${(l.mde.relative * 100).toFixed(0)}% relative)`} on a ${(l.mde.baseline * 100).toFixed(1)}% baseline.`);
  }
  if (l.rfmRunId === null) out.push('RFM moves: no segmentation run since the start yet.');
  return out.join('\n');
}

export const METHODS_NOTE = `Methods: z = ${METHOD_Z}; bootstrap = ${METHOD_BOOTSTRAP}. Relative differences are treatment / control − 1.`;
