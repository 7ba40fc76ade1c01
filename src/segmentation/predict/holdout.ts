/**
 * The model check marketers can see: fit on the history up to a calibration end, then compare
 * what the model expected in the held-out period with what happened — week by week for the whole
 * calibration cohort (Fader, Hardie & Lee 2005, figure 2) and by calibration-period frequency
 * (their figure 3).
 */
import type { PurchasesByProfile } from '../features.js';
import { conditionalExpectedPurchases, distinctTriples, expectedRepeatPurchases, fitBgNbd, type BgNbdParams } from './bgnbd.js';
import { earliestFirstDay, epochDay, MS_PER_DAY, repeatDaysBetween, type CustomerSummary } from './summary.js';

export interface HoldoutCheck {
  calibrationEnd: string;
  holdoutEnd: string;
  holdoutDays: number;
  customers: number;
  repeatBuyers: number;
  params: BgNbdParams;
  logLikelihood: number;
  /** Repeat purchases of the calibration cohort per week, from the first purchase week to the end of the holdout. */
  weekly: Array<{ weekStart: string; actual: number; expected: number; holdout: boolean }>;
  /** Mean repeat purchases in the holdout by repeat purchases in the calibration period ("7+" groups the rest). */
  byFrequency: Array<{ x: string; customers: number; actual: number; expected: number }>;
  holdoutTotal: { actual: number; expected: number };
}

const FREQUENCY_BUCKETS = 7;
const isoDay = (day: number) => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);

/** `calibration` is the summary at the calibration end; the holdout runs to `holdoutEndMs`. */
export function holdoutCheck(purchases: PurchasesByProfile, calibration: CustomerSummary, holdoutEndMs: number): HoldoutCheck {
  const fit = fitBgNbd(distinctTriples(calibration));
  const { params } = fit;
  const unitDays = calibration.unitDays;
  const calibrationEndDay = calibration.endDay;
  const endDay = epochDay(holdoutEndMs);
  const holdoutLength = (endDay - calibrationEndDay) / unitDays;

  const earliest = earliestFirstDay(calibration);
  // Weeks end on the last day, so the latest week (the one a marketer looks at) is a whole one.
  const weeks = Math.ceil((endDay - earliest + 1) / 7);
  const startDay = endDay - 7 * weeks + 1;
  const actual = new Float64Array(weeks);
  for (let c = 0; c < calibration.row.length; c++) {
    const i = calibration.row[c]!;
    const first = calibration.firstDay[c]!;
    let previous = first;
    for (let j = purchases.offsets[i]!; j < purchases.offsets[i + 1]!; j++) {
      const day = epochDay(purchases.atMs[j]!);
      if (day > endDay) break;
      if (day !== previous) actual[Math.floor((day - startDay) / 7)]!++;
      previous = day;
    }
  }

  // Customers who started on the same day share one expectation curve.
  const cohorts = new Map<number, number>();
  for (const d of calibration.firstDay) cohorts.set(d, (cohorts.get(d) ?? 0) + 1);
  const expected = new Float64Array(weeks);
  for (const [first, size] of cohorts) {
    let previous = 0;
    for (let w = Math.floor((first - startDay) / 7); w < weeks; w++) {
      const weekEnd = startDay + 7 * w + 6;
      const cumulative = size * expectedRepeatPurchases(params, (weekEnd - first) / unitDays);
      expected[w]! += cumulative - previous;
      previous = cumulative;
    }
  }

  const held = repeatDaysBetween(purchases, calibration, calibrationEndDay, endDay);
  const buckets = Array.from({ length: FREQUENCY_BUCKETS + 1 }, (_, x) => ({ x: x < FREQUENCY_BUCKETS ? String(x) : `${FREQUENCY_BUCKETS}+`, customers: 0, actual: 0, expected: 0 }));
  const holdoutTotal = { actual: 0, expected: 0 };
  for (let c = 0; c < calibration.row.length; c++) {
    const x = calibration.x[c]!;
    const bucket = buckets[Math.min(x, FREQUENCY_BUCKETS)]!;
    const e = conditionalExpectedPurchases(params, holdoutLength, x, calibration.tx[c]!, calibration.T[c]!);
    bucket.customers++;
    bucket.actual += held[c]!;
    bucket.expected += e;
    holdoutTotal.actual += held[c]!;
    holdoutTotal.expected += e;
  }
  return {
    calibrationEnd: isoDay(calibrationEndDay),
    holdoutEnd: isoDay(endDay),
    holdoutDays: endDay - calibrationEndDay,
    customers: fit.customers,
    repeatBuyers: fit.repeatBuyers,
    params,
    logLikelihood: fit.logLikelihood,
    weekly: Array.from({ length: weeks }, (_, w) => ({
      weekStart: isoDay(startDay + 7 * w),
      actual: actual[w]!,
      expected: expected[w]!,
      holdout: startDay + 7 * w > calibrationEndDay,
    })),
    byFrequency: buckets
      .filter((b) => b.customers > 0)
      .map((b) => ({ x: b.x, customers: b.customers, actual: b.actual / b.customers, expected: b.expected / b.customers })),
    holdoutTotal,
  };
}
