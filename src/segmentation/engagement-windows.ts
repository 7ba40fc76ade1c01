/**
 * Engagement over time windows, from the dated events of table engagement_events, as of the
 * reference date for today's features and as of past cutoffs for the propensity model's training
 * rows (the same fold, so training and scoring can never disagree on what a feature means).
 */
import { ENGAGEMENT_CHANNELS, type EngagementChannel } from '../domain/records.js';

const MS_PER_DAY = 86_400_000;

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

const SLOTS = WINDOWED_CHANNELS.length * WINDOW_DAYS.length;
/** Per person and as-of date: the windowed counts, then the last 90 days and the 90 before. */
const ACCUMULATORS = SLOTS + 2;
/** The channels whose totals and latest times up to the reference date are kept (the features' fallbacks for platforms that keep no totals). */
const TOTALLED: readonly EngagementChannel[] = ['email_delivered', 'email_open', 'email_click', 'web_visit', 'page_view', 'form_fill', 'sales_email_reply'];
const TOTALS = TOTALLED.length;

/**
 * Every person's engagement folded, in one pass over the events, into what the features need as of
 * a few dates fixed beforehand (the reference date and the propensity model's cutoffs): the counts
 * per channel and window, the latest event, the totals and latest times per channel up to the
 * reference date, and the first event of all. The events themselves are not kept: a million people
 * with a year of daily rows are about 85 million events, several GB as typed arrays, while this is
 * about 300 bytes a person (issue 13 §6).
 *
 * `measured[i]` = 1 when a platform of the person provides engagement events at all: only then does
 * "no event in the window" mean 0 rather than "not measured" (NaN).
 */
export class EngagementSummary {
  readonly measured: Uint8Array;
  /** Whether the person has any stored event (any channel, any time). */
  readonly hasEvents: Uint8Array;
  /** The person's earliest event of any channel, NaN if none. */
  readonly firstMs: Float64Array;
  /** Events added, over everyone. */
  events = 0;
  private readonly asOfs: readonly number[];
  /** Per as-of date: rows × ACCUMULATORS counts (float32 holds whole counts exactly up to 16 million). */
  private readonly counts: Float32Array[];
  /** Per as-of date: the latest event (not email_delivered) up to it. */
  private readonly latestMs: Float64Array[];
  /** rows × TOTALS: totals and latest times per totalled channel up to the reference date. */
  private readonly channelTotals: Float32Array;
  private readonly channelLastMs: Float64Array;

  constructor(readonly rows: number, readonly referenceMs: number, asOfs: readonly number[] = []) {
    this.asOfs = [...new Set([referenceMs, ...asOfs])];
    if (this.asOfs.some((t) => t > referenceMs)) throw new Error('engagement is folded as of the reference date or earlier');
    this.measured = new Uint8Array(rows);
    this.hasEvents = new Uint8Array(rows);
    this.firstMs = new Float64Array(rows).fill(Number.NaN);
    this.counts = this.asOfs.map(() => new Float32Array(rows * ACCUMULATORS));
    this.latestMs = this.asOfs.map(() => new Float64Array(rows).fill(Number.NEGATIVE_INFINITY));
    this.channelTotals = new Float32Array(rows * TOTALS);
    this.channelLastMs = new Float64Array(rows * TOTALS).fill(Number.NaN);
  }

  /** One event of person `i`: channel index into ENGAGEMENT_CHANNELS, time, how many times (an aggregated row counts more than once). */
  add(i: number, channel: number, atMs: number, count: number): void {
    this.events++;
    this.hasEvents[i] = 1;
    if (!(this.firstMs[i]! <= atMs)) this.firstMs[i] = atMs;
    if (atMs > this.referenceMs) return;
    const totalled = TOTAL_SLOT_OF[channel]!;
    if (totalled >= 0) {
      const c = i * TOTALS + totalled;
      this.channelTotals[c]! += count;
      if (!(this.channelLastMs[c]! >= atMs)) this.channelLastMs[c] = atMs;
    }
    if (channel === DELIVERED) return;
    const slot = SLOT_OF[channel]!;
    for (let a = 0; a < this.asOfs.length; a++) {
      const asOf = this.asOfs[a]!;
      if (atMs > asOf) continue;
      const counts = this.counts[a]!;
      const base = i * ACCUMULATORS;
      const age = asOf - atMs;
      if (atMs > this.latestMs[a]![i]!) this.latestMs[a]![i] = atMs;
      if (age < NINETY_DAYS_MS) counts[base + SLOTS]! += count;
      else if (age < 2 * NINETY_DAYS_MS) counts[base + SLOTS + 1]! += count;
      if (slot < 0) continue;
      for (let w = 0; w < WINDOW_LIMITS_MS.length; w++) if (age < WINDOW_LIMITS_MS[w]!) counts[base + slot * WINDOW_LIMITS_MS.length + w]! += count;
    }
  }

  /** Whether person `i` had any event (any channel) by `asOfMs`. */
  hasEventBy(i: number, asOfMs: number): boolean {
    return this.firstMs[i]! <= asOfMs;
  }

  /** The index of a folded as-of date; asking for one not folded is a programming error. */
  asOfIndex(asOfMs: number): number {
    const a = this.asOfs.indexOf(asOfMs);
    if (a < 0) throw new Error(`engagement was not folded as of ${new Date(asOfMs).toISOString()} (folded: ${this.asOfs.map((t) => new Date(t).toISOString()).join(', ')})`);
    return a;
  }

  /** Person i's total of one channel up to the reference date: NaN if unmeasured. */
  total(i: number, channel: EngagementChannel): number {
    return this.measured[i] === 0 ? Number.NaN : this.channelTotals[i * TOTALS + totalledIndex(channel)]!;
  }

  /** Person i's latest event of one channel up to the reference date: NaN if none or unmeasured. */
  lastMs(i: number, channel: EngagementChannel): number {
    return this.measured[i] === 0 ? Number.NaN : this.channelLastMs[i * TOTALS + totalledIndex(channel)]!;
  }

  /** @internal for engagementWindows */
  folded(asOfMs: number): { counts: Float32Array; lastMs: Float64Array } {
    const a = this.asOfIndex(asOfMs);
    return { counts: this.counts[a]!, lastMs: this.latestMs[a]! };
  }
}

function totalledIndex(channel: EngagementChannel): number {
  const c = TOTALLED.indexOf(channel);
  if (c < 0) throw new Error(`totals of ${channel} are not kept (kept: ${TOTALLED.join(', ')})`);
  return c;
}
const TOTAL_SLOT_OF = Int8Array.from(ENGAGEMENT_CHANNELS, (c) => TOTALLED.indexOf(c));
const SLOT_OF = (() => {
  const slots = new Int8Array(ENGAGEMENT_CHANNELS.length).fill(-1);
  WINDOWED_CHANNELS.forEach(([c], s) => (slots[channelIndex(c)] = s));
  return slots;
})();
const WINDOW_LIMITS_MS = WINDOW_DAYS.map((d) => d * MS_PER_DAY);
const NINETY_DAYS_MS = 90 * MS_PER_DAY;

/** Nobody measured (every windowed feature missing). */
export function noEngagement(rows: number, referenceMs: number): EngagementSummary {
  return new EngagementSummary(rows, referenceMs);
}

/**
 * Every windowed feature as of `asOfMs` (one of the folded dates), of every profile or, given
 * `only`, of those profile rows (entry r of each column is then row only[r]): events after it are
 * ignored. A window is (asOf − N days, asOf]. The trend compares the last 90 days (R) with the 90
 * before (E): (R − E) ÷ (R + E), missing when both are 0. Unmeasured people get NaN everywhere.
 */
export function engagementWindows(summary: EngagementSummary, asOfMs: number, only?: Int32Array): Record<EngagementWindowFeature, Float64Array> {
  const length = only ? only.length : summary.rows;
  const out = Object.fromEntries(ENGAGEMENT_WINDOW_FEATURES.map((k) => [k, new Float64Array(length).fill(Number.NaN)])) as Record<EngagementWindowFeature, Float64Array>;
  const { counts, lastMs } = summary.folded(asOfMs);
  const targets = WINDOWED_CHANNELS.map(([, prefix]) => WINDOW_DAYS.map((d) => out[`${prefix}${d}d` as EngagementWindowFeature]));
  for (let r = 0; r < length; r++) {
    const i = only ? only[r]! : r;
    if (summary.measured[i] === 0) continue;
    const base = i * ACCUMULATORS;
    for (let s = 0; s < targets.length; s++) for (let w = 0; w < WINDOW_DAYS.length; w++) targets[s]![w]![r] = counts[base + s * WINDOW_DAYS.length + w]!;
    const recent = counts[base + SLOTS]!;
    const earlier = counts[base + SLOTS + 1]!;
    out.engagementEvents90d[r] = recent;
    if (recent + earlier > 0) out.engagementTrend[r] = (recent - earlier) / (recent + earlier);
    const last = lastMs[i]!;
    if (last > Number.NEGATIVE_INFINITY) out.daysSinceLastEngagement[r] = Math.floor((asOfMs - last) / MS_PER_DAY);
  }
  return out;
}
