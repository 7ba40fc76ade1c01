/**
 * Customer lifetime value over a horizon: expected purchases month by month (BG/NBD) times the
 * expected value per purchase (Gamma-Gamma), discounted monthly — the form used by Fader, Hardie
 * & Lee's spreadsheets and by the lifetimes library, with calendar months of 365.25 / 12 days.
 */
import { expectedPurchasesByPeriod, type BgNbdParams } from './bgnbd.js';

export const DAYS_PER_MONTH = 365.25 / 12;

export interface ClvOptions {
  horizonMonths: number;
  /** e.g. 0.01 = 1% a month. */
  monthlyDiscountRate: number;
  unitDays: number;
}

/** Σ_m E[purchases in month m] / (1 + d)^m: multiply by the expected order value to get CLV. */
export function discountedExpectedPurchases(p: BgNbdParams, x: number, tx: number, T: number, options: ClvOptions): number {
  const ends = Array.from({ length: options.horizonMonths }, (_, m) => ((m + 1) * DAYS_PER_MONTH) / options.unitDays);
  const perMonth = expectedPurchasesByPeriod(p, ends, x, tx, T);
  let total = 0;
  for (let m = 0; m < perMonth.length; m++) total += perMonth[m]! / Math.pow(1 + options.monthlyDiscountRate, m + 1);
  return total;
}
