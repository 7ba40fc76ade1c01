/**
 * RFM (recency, frequency, monetary) over column-oriented purchases.
 *
 * Semantics:
 * - The window is [referenceDate − windowDays days, referenceDate], both ends inclusive.
 * - Purchases after the reference date are ignored entirely (as of the reference date they have
 *   not happened yet).
 * - Recency = whole days since the last purchase in the window (floor of the ms difference),
 *   frequency = purchases in the window, monetary = sum of their amounts (rounded to 1e-6 so
 *   the summation order cannot make equal spends unequal).
 * - Status: scored (2) if the profile has at least one purchase in the window; lost (1) if it
 *   has purchases at or before the reference date but all of them before the window; prospect
 *   (0) if it has none at or before the reference date.
 * - R, F and M are quintile scores 1..5 among the scored profiles only (see quintiles.ts);
 *   most recent, most frequent and biggest spend get 5. Unscored profiles get 0 and NaN values.
 *
 * O(purchases + profiles · log profiles), typed arrays only, no per-element objects.
 */
import { quintileScores } from './quintiles.js';

export const MS_PER_DAY = 86_400_000;
export const DEFAULT_RFM_WINDOW_DAYS = 365;

export const RFM_STATUS_PROSPECT = 0;
export const RFM_STATUS_LOST = 1;
export const RFM_STATUS_SCORED = 2;

/** One entry per won, non-archived purchase, already converted to one currency. */
export interface PurchaseColumns {
  /** 0..profileCount-1 */
  profileIndex: Int32Array;
  /** Epoch milliseconds. */
  occurredAtMs: Float64Array;
  amount: Float64Array;
}

export interface RfmOptions {
  referenceDateMs: number;
  /** Length of the window in days before the reference date; default 365. */
  windowDays?: number;
}

export interface RfmResult {
  /** 0 = prospect, 1 = lost, 2 = scored. */
  status: Uint8Array;
  /** Days since the last purchase in the window (floor of ms difference / 86_400_000); NaN if not scored. */
  recencyDays: Float64Array;
  /** Purchases in the window; NaN if not scored. */
  frequency: Float64Array;
  /** Sum of amounts in the window; NaN if not scored. */
  monetary: Float64Array;
  /** 1..5 for scored, 0 otherwise. */
  r: Uint8Array;
  f: Uint8Array;
  m: Uint8Array;
  /** Last purchase at or before the reference date over the whole history; NaN if none. */
  lastPurchaseMs: Float64Array;
}

/**
 * Rounds a floating sum to 1e-6 so that the same purchases summed in a different order
 * (0.1 + 0.2 + 0.3 vs 0.3 + 0.2 + 0.1) give the identical value, and therefore the same M score.
 * Sums too large for 1e-6 resolution are returned unchanged.
 */
function roundMonetary(sum: number): number {
  const scaled = sum * 1e6;
  if (!(Math.abs(scaled) < Number.MAX_SAFE_INTEGER)) return sum;
  const rounded = Math.round(scaled) / 1e6;
  return rounded === 0 ? 0 : rounded; // no -0
}

export function computeRfm(profileCount: number, purchases: PurchaseColumns, options: RfmOptions): RfmResult {
  if (!Number.isSafeInteger(profileCount) || profileCount < 0) {
    throw new RangeError(`computeRfm: profileCount must be a non-negative integer, got ${profileCount}`);
  }
  const referenceMs = options.referenceDateMs;
  if (!Number.isFinite(referenceMs)) {
    throw new RangeError(`computeRfm: referenceDateMs must be a finite epoch-ms number, got ${referenceMs}`);
  }
  const windowDays = options.windowDays ?? DEFAULT_RFM_WINDOW_DAYS;
  if (!Number.isFinite(windowDays) || windowDays < 0) {
    throw new RangeError(`computeRfm: windowDays must be a finite number >= 0, got ${windowDays}`);
  }
  const { profileIndex, occurredAtMs, amount } = purchases;
  const purchaseCount = profileIndex.length;
  if (occurredAtMs.length !== purchaseCount || amount.length !== purchaseCount) {
    throw new RangeError(
      `computeRfm: purchase columns differ in length (profileIndex ${purchaseCount}, occurredAtMs ${occurredAtMs.length}, amount ${amount.length})`,
    );
  }
  const windowStartMs = referenceMs - windowDays * MS_PER_DAY;

  const lastPurchaseMs = new Float64Array(profileCount).fill(Number.NaN);
  const lastInWindowMs = new Float64Array(profileCount).fill(Number.NaN);
  const countInWindow = new Uint32Array(profileCount);
  const sumInWindow = new Float64Array(profileCount);

  for (let k = 0; k < purchaseCount; k++) {
    const p = profileIndex[k] as number;
    if (p < 0 || p >= profileCount) {
      throw new RangeError(`computeRfm: purchase ${k} has profileIndex ${p}, outside 0..${profileCount - 1}`);
    }
    const t = occurredAtMs[k] as number;
    if (!Number.isFinite(t)) {
      throw new RangeError(`computeRfm: purchase ${k} has a non-finite occurredAtMs (${t})`);
    }
    if (t > referenceMs) continue; // has not happened yet as of the reference date
    const a = amount[k] as number;
    if (!Number.isFinite(a)) {
      throw new RangeError(`computeRfm: purchase ${k} has a non-finite amount (${a})`);
    }
    const last = lastPurchaseMs[p] as number;
    if (!(t <= last)) lastPurchaseMs[p] = t; // also replaces NaN
    if (t >= windowStartMs) {
      countInWindow[p] = (countInWindow[p] as number) + 1;
      sumInWindow[p] = (sumInWindow[p] as number) + a;
      const lastIn = lastInWindowMs[p] as number;
      if (!(t <= lastIn)) lastInWindowMs[p] = t;
    }
  }

  const status = new Uint8Array(profileCount);
  const recencyDays = new Float64Array(profileCount).fill(Number.NaN);
  const frequency = new Float64Array(profileCount).fill(Number.NaN);
  const monetary = new Float64Array(profileCount).fill(Number.NaN);
  const r = new Uint8Array(profileCount);
  const f = new Uint8Array(profileCount);
  const m = new Uint8Array(profileCount);

  let scoredCount = 0;
  for (let p = 0; p < profileCount; p++) {
    if ((countInWindow[p] as number) > 0) {
      status[p] = RFM_STATUS_SCORED;
      scoredCount++;
    } else if (!Number.isNaN(lastPurchaseMs[p] as number)) {
      status[p] = RFM_STATUS_LOST;
    } else {
      status[p] = RFM_STATUS_PROSPECT;
    }
  }

  // Compact the scored profiles so quintiles are taken among them only.
  const scoredIndex = new Int32Array(scoredCount);
  const compactRecency = new Float64Array(scoredCount);
  const compactFrequency = new Float64Array(scoredCount);
  const compactMonetary = new Float64Array(scoredCount);
  for (let p = 0, j = 0; p < profileCount; p++) {
    if (status[p] !== RFM_STATUS_SCORED) continue;
    const days = Math.floor((referenceMs - (lastInWindowMs[p] as number)) / MS_PER_DAY);
    const freq = countInWindow[p] as number;
    const money = roundMonetary(sumInWindow[p] as number);
    recencyDays[p] = days;
    frequency[p] = freq;
    monetary[p] = money;
    scoredIndex[j] = p;
    compactRecency[j] = days;
    compactFrequency[j] = freq;
    compactMonetary[j] = money;
    j++;
  }

  const rScores = quintileScores(compactRecency, false);
  const fScores = quintileScores(compactFrequency, true);
  const mScores = quintileScores(compactMonetary, true);
  for (let j = 0; j < scoredCount; j++) {
    const p = scoredIndex[j] as number;
    r[p] = rScores[j] as number;
    f[p] = fScores[j] as number;
    m[p] = mScores[j] as number;
  }

  return { status, recencyDays, frequency, monetary, r, f, m, lastPurchaseMs };
}
