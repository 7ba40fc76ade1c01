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

  it('says "bought once" or "buys every …" only when it holds for 80% of members, and the share in between', () => {
    const medians = { lifetimeFrequency: 1, meanDaysBetweenPurchases: 10, averageOrderValue: 84.56, daysSinceLastPurchase: 16 };
    // 85% bought once: "bought once". 15% bought once (85% again): "buys every …".
    expect(summaryText(roundFigures(rawSummaryFigures(medians, { once: 0.85, repeat: 0.15 })))).toBe('bought once · 85 per order · last 2 weeks ago');
    expect(summaryText(roundFigures(rawSummaryFigures(medians, { once: 0.15, repeat: 0.85 })))).toBe('buys every 10 days · 85 per order · last 2 weeks ago');
    // 71% once: neither holds for 80%, so the text gives the share, to the nearest 10%.
    expect(summaryText(roundFigures(rawSummaryFigures(medians, { once: 0.714, repeat: 0.286 })))).toBe('about 70% bought once, the others buy every 10 days · 85 per order · last 2 weeks ago');
    // The shown share stays while the new one is within 10 points of it; a flip between kinds of text is fresh.
    expect(stableFigures(rawSummaryFigures(medians, { once: 0.76, repeat: 0.24 }), { cadenceDays: 10, orderValue: 85, lastDays: 16, onceShare: 0.7 }).onceShare).toBe(0.7);
    expect(stableFigures(rawSummaryFigures(medians, { once: 0.58, repeat: 0.42 }), { cadenceDays: 10, orderValue: 85, lastDays: 16, onceShare: 0.7 }).onceShare).toBeCloseTo(0.6);
    expect(stableFigures(rawSummaryFigures(medians, { once: 0.15, repeat: 0.85 }), { cadenceDays: 10, orderValue: 85, lastDays: 16, onceShare: 0.3 })).toEqual({ cadenceDays: 10, orderValue: 85, lastDays: 14 });
  });
});
