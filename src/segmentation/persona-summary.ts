/**
 * The persona summary token ("buys every 3 weeks · 84 per order · last 2 months ago"): a value
 * that describes a group, written to every member's contact. It must change only when what it
 * says changes, not whenever a median moves by a cent (5 new orders rewrote 1,225 HubSpot
 * contacts), so:
 *
 * - figures are rounded to what a reader uses: durations in days below two weeks, then weeks,
 *   months (below two years) and years; money to two significant digits (84, 8.4, 1,200);
 * - a persona that existed in the previous run keeps each figure it showed while the new value
 *   stays within one rounding step of it (a day, a week, a month, a year; 1 for 84, 100 for
 *   1,200), so a value hovering on a rounding edge does not flip the text back and forth.
 */
import { z } from 'zod';

const MONTH_DAYS = 365.25 / 12;
const YEAR_DAYS = 365.25;

export const SummaryFiguresSchema = z.object({
  /** Days between purchases as shown; null for a persona that bought once. */
  cadenceDays: z.number().nonnegative().nullable(),
  orderValue: z.number().nonnegative(),
  /** Days since the last purchase, as shown. */
  lastDays: z.number().nonnegative(),
  /**
   * Share of members who bought once, to the nearest 10%, where neither "bought once" nor "buys
   * every …" holds for 80% of them: the text then says both ("about 70% bought once, the others buy
   * every 10 days"). Absent otherwise (and in figures stored before it existed).
   */
  onceShare: z.number().min(0).max(1).optional(),
  /** No member bought (a clustering over prospects): the text says so and nothing else. */
  noPurchases: z.literal(true).optional(),
});
export type SummaryFigures = z.infer<typeof SummaryFiguresSchema>;

/**
 * The figures behind a summary, unrounded, from a persona's medians and the shares of its members who
 * bought once and more than once. "bought once" is said only when it holds for at least 80% of the members, "buys
 * every …" (the median among those who bought again) only when buying again does; between the two
 * the text gives the share. Without `shares`, the median decides.
 */
export function rawSummaryFigures(medians: Record<string, number | null>, shares?: { once: number; repeat: number }): SummaryFigures {
  if (shares && shares.once === 0 && shares.repeat === 0) return { cadenceDays: null, orderValue: 0, lastDays: 0, noPurchases: true };
  const onceShare = shares?.once;
  const orders = medians.lifetimeFrequency ?? 0;
  const once = onceShare === undefined ? orders <= 1 : onceShare >= ONCE_CLAIM_SHARE;
  const mixed = onceShare !== undefined && !once && onceShare > 1 - ONCE_CLAIM_SHARE;
  return {
    cadenceDays: once ? null : Math.max(0, medians.meanDaysBetweenPurchases ?? 0),
    orderValue: Math.max(0, medians.averageOrderValue ?? 0),
    lastDays: Math.max(0, medians.daysSinceLastPurchase ?? 0),
    ...(mixed ? { onceShare } : {}),
  };
}

/** "bought once" or "buys every …" must hold for this share of members (personas.ts CLAIM_SHARE). */
const ONCE_CLAIM_SHARE = 0.8;
const SHARE_STEP = 0.1;

/** Days as a reader counts them: whole days below two weeks, then whole weeks, months, years (at least 2). */
export function roundDays(days: number): number {
  if (days < 13.5) return Math.round(days);
  if (days < 59.5) return Math.max(2, Math.round(days / 7)) * 7;
  if (days < 730) return Math.max(2, Math.round(days / MONTH_DAYS)) * MONTH_DAYS;
  return Math.max(2, Math.round(days / YEAR_DAYS)) * YEAR_DAYS;
}

/** The unit a shown duration is counted in. */
function dayStep(shown: number): number {
  return shown < 14 ? 1 : shown < 60 ? 7 : shown < 730 ? MONTH_DAYS : YEAR_DAYS;
}

/** Two significant digits: 84.37 → 84, 8.37 → 8.4, 1,234 → 1,200. */
export function roundMoney(value: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(2));
}

/** The place of the second significant digit of a shown amount. */
function moneyStep(shown: number): number {
  return shown === 0 ? 0.01 : 10 ** (Math.floor(Math.log10(shown)) - 1);
}

export function roundFigures(raw: SummaryFigures): SummaryFigures {
  if (raw.noPurchases) return raw;
  return {
    cadenceDays: raw.cadenceDays === null ? null : roundDays(raw.cadenceDays),
    orderValue: roundMoney(raw.orderValue),
    lastDays: roundDays(raw.lastDays),
    ...(raw.onceShare === undefined ? {} : { onceShare: Math.round(raw.onceShare / SHARE_STEP) * SHARE_STEP }),
  };
}

/** Within one rounding step of what was shown (a little slack for float noise): keep showing it. */
const near = (raw: number, shown: number, step: number) => Math.abs(raw - shown) <= step * (1 + 1e-9);

/**
 * The figures to show: each one the previous run showed, while the new value stays within one
 * rounding step of it; otherwise the new value, rounded. A persona that is new, or that turned
 * from repeat buyers into one-time buyers (or back), gets fresh figures.
 */
export function stableFigures(raw: SummaryFigures, previous: SummaryFigures | undefined): SummaryFigures {
  const fresh = roundFigures(raw);
  if (!previous || raw.noPurchases || previous.noPurchases || (previous.cadenceDays === null) !== (raw.cadenceDays === null) || (previous.onceShare === undefined) !== (raw.onceShare === undefined)) return fresh;
  return {
    ...(raw.onceShare === undefined || previous.onceShare === undefined ? {} : { onceShare: near(raw.onceShare, previous.onceShare, SHARE_STEP) ? previous.onceShare : fresh.onceShare! }),
    cadenceDays: raw.cadenceDays === null || previous.cadenceDays === null || !near(raw.cadenceDays, previous.cadenceDays, dayStep(previous.cadenceDays))
      ? fresh.cadenceDays
      : previous.cadenceDays,
    orderValue: near(raw.orderValue, previous.orderValue, moneyStep(previous.orderValue)) ? previous.orderValue : fresh.orderValue,
    lastDays: near(raw.lastDays, previous.lastDays, dayStep(previous.lastDays)) ? previous.lastDays : fresh.lastDays,
  };
}

function duration(days: number): { n: number; unit: string } {
  if (days < 14) return { n: Math.round(days), unit: 'day' };
  if (days < 60) return { n: Math.round(days / 7), unit: 'week' };
  if (days < 730) return { n: Math.round(days / MONTH_DAYS), unit: 'month' };
  return { n: Math.round(days / YEAR_DAYS), unit: 'year' };
}

const counted = (d: { n: number; unit: string }) => `${d.n.toLocaleString('en-US')} ${d.unit}${d.n === 1 ? '' : 's'}`;

/** The token's text, e.g. "buys every 3 weeks · 84 per order · last 2 months ago". */
export function summaryText(f: SummaryFigures): string {
  if (f.noPurchases) return 'has not bought yet';
  const every = f.cadenceDays === null ? null : duration(f.cadenceDays);
  const buys = every === null ? 'bought once' : every.n <= 1 ? `buys every ${every.unit}` : `buys every ${counted(every)}`;
  const cadence = f.onceShare === undefined || every === null ? buys : `about ${Math.round(f.onceShare * 100)}% bought once, the others ${buys.replace(/^buys/, 'buy')}`;
  const last = duration(f.lastDays);
  const when = last.n === 0 ? 'last today' : `last ${counted(last)} ago`;
  return `${cadence} · ${f.orderValue.toLocaleString('en-US', { maximumFractionDigits: 2 })} per order · ${when}`;
}
