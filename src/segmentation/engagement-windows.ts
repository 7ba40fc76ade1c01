/**
 * Engagement over time windows, from the dated events of table engagement_events, as of any date:
 * the reference date for today's features, a past cutoff for the propensity model's training rows
 * (the same function, so training and scoring can never disagree on what a feature means).
 */
import { ENGAGEMENT_CHANNELS, type EngagementChannel } from '../domain/records.js';

const MS_PER_DAY = 86_400_000;

/**
 * Engagement events grouped by profile (CSR): profile i's events are [offsets[i], offsets[i+1]).
 * `measured[i]` = 1 when a platform of the person provides engagement events at all: only then
 * does "no event in the window" mean 0 rather than "not measured" (NaN).
 */
export interface EngagementByProfile {
  offsets: Int32Array;
  /** Index into ENGAGEMENT_CHANNELS. */
  channel: Uint8Array;
  atMs: Float64Array;
  /** How many times the event happened (an aggregated row counts more than once). */
  count: Float64Array;
  measured: Uint8Array;
}

export const WINDOW_DAYS = [30, 90, 365] as const;

/** The channels counted per window, and the prefix of their feature names. */
export const WINDOWED_CHANNELS = [
  ['email_open', 'emailOpens', 'marketing emails opened', 'emails'],
  ['email_click', 'emailClicks', 'marketing emails clicked', 'emails'],
  ['web_visit', 'webVisits', 'website visits', 'sessions'],
  ['page_view', 'pageViews', 'page views', 'pages'],
  ['form_fill', 'formFills', 'form submissions', 'forms'],
] as const satisfies ReadonlyArray<readonly [EngagementChannel, string, string, string]>;

type WindowedName = `${(typeof WINDOWED_CHANNELS)[number][1]}${(typeof WINDOW_DAYS)[number]}d`;

export const ENGAGEMENT_WINDOW_FEATURES = [
  'emailOpens30d', 'emailOpens90d', 'emailOpens365d',
  'emailClicks30d', 'emailClicks90d', 'emailClicks365d',
  'webVisits30d', 'webVisits90d', 'webVisits365d',
  'pageViews30d', 'pageViews90d', 'pageViews365d',
  'formFills30d', 'formFills90d', 'formFills365d',
  'engagementEvents90d', 'engagementTrend', 'daysSinceLastEngagement',
] as const satisfies ReadonlyArray<WindowedName | 'engagementEvents90d' | 'engagementTrend' | 'daysSinceLastEngagement'>;
export type EngagementWindowFeature = (typeof ENGAGEMENT_WINDOW_FEATURES)[number];

const channelIndex = (c: EngagementChannel): number => ENGAGEMENT_CHANNELS.indexOf(c);
const DELIVERED = channelIndex('email_delivered');

/** An empty grouping: nobody measured (every windowed feature missing). */
export function noEngagement(rows: number): EngagementByProfile {
  return { offsets: new Int32Array(rows + 1), channel: new Uint8Array(0), atMs: new Float64Array(0), count: new Float64Array(0), measured: new Uint8Array(rows) };
}

/**
 * Every windowed feature of every profile as of `asOfMs`: events after it are ignored. A window is
 * (asOf − N days, asOf]. The trend compares the last 90 days (R) with the 90 before (E):
 * (R − E) ÷ (R + E), missing when both are 0. Unmeasured people get NaN everywhere.
 */
export function engagementWindows(events: EngagementByProfile, asOfMs: number): Record<EngagementWindowFeature, Float64Array> {
  const rows = events.measured.length;
  const out = Object.fromEntries(ENGAGEMENT_WINDOW_FEATURES.map((k) => [k, new Float64Array(rows).fill(Number.NaN)])) as Record<EngagementWindowFeature, Float64Array>;
  // counts[channel slot][window]: a small scratch per profile, reused.
  const slotOf = new Int8Array(ENGAGEMENT_CHANNELS.length).fill(-1);
  WINDOWED_CHANNELS.forEach(([c], s) => (slotOf[channelIndex(c)] = s));
  const targets = WINDOWED_CHANNELS.map(([, prefix]) => WINDOW_DAYS.map((d) => out[`${prefix}${d}d` as EngagementWindowFeature]));
  const scratch = new Float64Array(WINDOWED_CHANNELS.length * WINDOW_DAYS.length);
  const limits = WINDOW_DAYS.map((d) => d * MS_PER_DAY);
  const ninety = 90 * MS_PER_DAY;
  for (let i = 0; i < rows; i++) {
    if (events.measured[i] === 0) continue;
    scratch.fill(0);
    let recent = 0;
    let earlier = 0;
    let last = Number.NEGATIVE_INFINITY;
    for (let j = events.offsets[i]!; j < events.offsets[i + 1]!; j++) {
      const at = events.atMs[j]!;
      if (at > asOfMs) continue;
      const channel = events.channel[j]!;
      if (channel === DELIVERED) continue;
      const age = asOfMs - at;
      const n = events.count[j]!;
      if (at > last) last = at;
      if (age < ninety) recent += n;
      else if (age < 2 * ninety) earlier += n;
      const slot = slotOf[channel]!;
      if (slot < 0) continue;
      for (let w = 0; w < limits.length; w++) if (age < limits[w]!) scratch[slot * limits.length + w]! += n;
    }
    for (let s = 0; s < targets.length; s++) for (let w = 0; w < limits.length; w++) targets[s]![w]![i] = scratch[s * limits.length + w]!;
    out.engagementEvents90d[i] = recent;
    if (recent + earlier > 0) out.engagementTrend[i] = (recent - earlier) / (recent + earlier);
    if (last > Number.NEGATIVE_INFINITY) out.daysSinceLastEngagement[i] = Math.floor((asOfMs - last) / MS_PER_DAY);
  }
  return out;
}

/** Totals per channel over the whole history up to `asOfMs`, and the last time of each (NaN if none or unmeasured). */
export function engagementTotals(events: EngagementByProfile, asOfMs: number, channel: EngagementChannel): { total: Float64Array; lastMs: Float64Array } {
  const rows = events.measured.length;
  const total = new Float64Array(rows).fill(Number.NaN);
  const lastMs = new Float64Array(rows).fill(Number.NaN);
  const wanted = channelIndex(channel);
  for (let i = 0; i < rows; i++) {
    if (events.measured[i] === 0) continue;
    let sum = 0;
    let last = Number.NaN;
    for (let j = events.offsets[i]!; j < events.offsets[i + 1]!; j++) {
      if (events.channel[j] !== wanted) continue;
      const at = events.atMs[j]!;
      if (at > asOfMs) continue;
      sum += events.count[j]!;
      if (!(at <= last)) last = at;
    }
    total[i] = sum;
    lastMs[i] = last;
  }
  return { total, lastMs };
}
