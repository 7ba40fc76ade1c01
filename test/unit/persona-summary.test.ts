import { describe, expect, it } from 'vitest';
import { rawSummaryFigures, roundDays, roundFigures, roundMoney, stableFigures, summaryText, type SummaryFigures } from '../../src/segmentation/persona-summary.js';

const MONTH = 365.25 / 12;
const YEAR = 365.25;

describe('the persona summary token', () => {
  it('rounds durations to days below two weeks, then weeks, months and years', () => {
    expect([0, 1, 9, 13.4].map(roundDays)).toEqual([0, 1, 9, 13]);
    expect([13.5, 20, 23, 59].map(roundDays)).toEqual([14, 21, 21, 56]);
    expect(roundDays(60)).toBeCloseTo(2 * MONTH);
    expect(roundDays(127)).toBeCloseTo(4 * MONTH);
    expect(roundDays(729)).toBeCloseTo(24 * MONTH);
    expect(roundDays(1000)).toBeCloseTo(3 * YEAR);
  });

  it('rounds money to two significant digits', () => {
    expect([0, 0.456, 8.37, 35.16, 84.49, 84.5, 255, 1295, 12_345].map(roundMoney)).toEqual([0, 0.46, 8.4, 35, 84, 85, 260, 1300, 12_000]);
  });

  it('reads like a sentence', () => {
    expect(summaryText(roundFigures({ cadenceDays: 20, orderValue: 31.2, lastDays: 7 }))).toBe('buys every 3 weeks · 31 per order · last 7 days ago');
    expect(summaryText(roundFigures({ cadenceDays: null, orderValue: 1295, lastDays: 127 }))).toBe('bought once · 1,300 per order · last 4 months ago');
    expect(summaryText(roundFigures({ cadenceDays: 1, orderValue: 8.37, lastDays: 0 }))).toBe('buys every day · 8.4 per order · last today');
    expect(summaryText(roundFigures({ cadenceDays: 800, orderValue: 99.96, lastDays: 1 }))).toBe('buys every 2 years · 100 per order · last 1 day ago');
  });

  it('keeps each figure shown while the new value stays within one rounding step of it', () => {
    const shown: SummaryFigures = { cadenceDays: 21, orderValue: 84, lastDays: 8 };
    // 84.49 → 84.51 crosses a rounding edge (84 / 85): the text stays.
    expect(stableFigures({ cadenceDays: 24.4, orderValue: 84.51, lastDays: 9 }, shown)).toEqual(shown);
    expect(stableFigures({ cadenceDays: 17.6, orderValue: 83.2, lastDays: 7 }, shown)).toEqual(shown);
    // A full step away: the figure moves, each on its own.
    expect(stableFigures({ cadenceDays: 29, orderValue: 84.2, lastDays: 8 }, shown)).toEqual({ ...shown, cadenceDays: 28 });
    expect(stableFigures({ cadenceDays: 21, orderValue: 86.2, lastDays: 8 }, shown)).toEqual({ ...shown, orderValue: 86 });
    expect(stableFigures({ cadenceDays: 21, orderValue: 84, lastDays: 10 }, shown)).toEqual({ ...shown, lastDays: 10 });
  });

  it('gives fresh figures to a new persona, and to one that turned from repeat into one-time buyers', () => {
    expect(stableFigures({ cadenceDays: 24.4, orderValue: 84.51, lastDays: 9 }, undefined)).toEqual({ cadenceDays: 21, orderValue: 85, lastDays: 9 });
    expect(stableFigures({ cadenceDays: null, orderValue: 84.2, lastDays: 8 }, { cadenceDays: 21, orderValue: 84, lastDays: 8 })).toEqual({ cadenceDays: null, orderValue: 84, lastDays: 8 });
  });

  it('takes its figures from the persona medians', () => {
    expect(rawSummaryFigures({ lifetimeFrequency: 3, meanDaysBetweenPurchases: 17.5, averageOrderValue: 35.16, daysSinceLastPurchase: 8 }))
      .toEqual({ cadenceDays: 17.5, orderValue: 35.16, lastDays: 8 });
    expect(rawSummaryFigures({ lifetimeFrequency: 1, meanDaysBetweenPurchases: null, averageOrderValue: null, daysSinceLastPurchase: null }))
      .toEqual({ cadenceDays: null, orderValue: 0, lastDays: 0 });
  });
});
