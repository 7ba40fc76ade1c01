/**
 * The per-customer summary the purchase models are fitted on (Fader, Hardie & Lee 2005):
 * x = repeat purchases, t_x = time from the first to the last purchase, T = time from the first
 * purchase to the end of the calibration period. Purchases on the same (UTC) day count once, as
 * one shopping trip whose spend is their sum; times are in whole days divided by the time unit.
 */
import type { PurchasesByProfile } from '../features.js';

export const MS_PER_DAY = 86_400_000;

export interface CustomerSummary {
  /** Days per time unit: 1 for days, 7 for weeks. */
  unitDays: number;
  /** Epoch day (UTC) that ends the calibration period; purchases on it count. */
  endDay: number;
  /** For each customer, the profile row it came from. */
  row: Int32Array;
  /** Repeat purchase days (distinct purchase days − 1). */
  x: Float64Array;
  /** First to last purchase day, in units. */
  tx: Float64Array;
  /** First purchase day to the end of the calibration period, in units. */
  T: Float64Array;
  /** Mean spend per repeat purchase day, the first day left out (the Gamma-Gamma input); 0 when x = 0. */
  zbar: Float64Array;
  /** Spend on the first purchase day: what the spend model has to go on for one-time buyers. */
  firstSpend: Float64Array;
  /** Epoch day of the first purchase. */
  firstDay: Int32Array;
}

export const epochDay = (ms: number): number => Math.floor(ms / MS_PER_DAY);

/** Customers are the profiles with a purchase on or before the calibration end day. */
export function summarizeCustomers(purchases: PurchasesByProfile, calibrationEndMs: number, unitDays: number): CustomerSummary {
  const { offsets, atMs, amount } = purchases;
  const rows = offsets.length - 1;
  const endDay = epochDay(calibrationEndMs);
  let customers = 0;
  for (let i = 0; i < rows; i++) if (offsets[i + 1]! > offsets[i]! && epochDay(atMs[offsets[i]!]!) <= endDay) customers++;
  const summary: CustomerSummary = {
    unitDays,
    endDay,
    row: new Int32Array(customers),
    x: new Float64Array(customers),
    tx: new Float64Array(customers),
    T: new Float64Array(customers),
    zbar: new Float64Array(customers),
    firstSpend: new Float64Array(customers),
    firstDay: new Int32Array(customers),
  };
  let c = 0;
  for (let i = 0; i < rows; i++) {
    const from = offsets[i]!;
    const to = offsets[i + 1]!;
    if (to === from) continue;
    const first = epochDay(atMs[from]!);
    if (first > endDay) continue;
    let last = first;
    let repeatDays = 0;
    let repeatSpend = 0;
    let firstSpend = 0;
    for (let j = from; j < to; j++) {
      const day = epochDay(atMs[j]!);
      if (day > endDay) break;
      if (day !== last) {
        repeatDays++;
        last = day;
      }
      if (day !== first) repeatSpend += amount[j]!;
      else firstSpend += amount[j]!;
    }
    summary.row[c] = i;
    summary.x[c] = repeatDays;
    summary.tx[c] = (last - first) / unitDays;
    summary.T[c] = (endDay - first) / unitDays;
    summary.zbar[c] = repeatDays > 0 ? repeatSpend / repeatDays : 0;
    summary.firstSpend[c] = firstSpend;
    summary.firstDay[c] = first;
    c++;
  }
  return summary;
}

/** The first purchase day of the earliest customer (+∞ without customers). */
export function earliestFirstDay(summary: Pick<CustomerSummary, 'firstDay'>): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const d of summary.firstDay) earliest = Math.min(earliest, d);
  return earliest;
}

/** Each customer's repeat purchase days in (fromDay, toDay]: the holdout actuals. */
export function repeatDaysBetween(purchases: PurchasesByProfile, summary: CustomerSummary, fromDay: number, toDay: number): Float64Array {
  const out = new Float64Array(summary.row.length);
  for (let c = 0; c < summary.row.length; c++) {
    const i = summary.row[c]!;
    let previous = Number.NaN;
    let count = 0;
    for (let j = purchases.offsets[i]!; j < purchases.offsets[i + 1]!; j++) {
      const day = epochDay(purchases.atMs[j]!);
      if (day > toDay) break;
      if (day > fromDay && day !== previous && day !== summary.firstDay[c]) count++;
      previous = day;
    }
    out[c] = count;
  }
  return out;
}
