import { describe, expect, it } from 'vitest';
import { parseStrictDate } from '../../src/domain/dates.js';

describe('strict platform dates', () => {
  it('reads ISO dates and date-times, a date alone being midnight UTC', () => {
    expect(parseStrictDate('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseStrictDate('2024-02-29T23:59:59Z')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    expect(parseStrictDate('2024-03-01T01:00:00+01:00')).toBe(Date.UTC(2024, 2, 1, 0, 0, 0));
    expect(parseStrictDate('2024-03-01T01:00:00.250Z')).toBe(Date.UTC(2024, 2, 1, 1, 0, 0, 250));
  });

  it('refuses impossible calendar dates and times instead of rolling them into the next month', () => {
    for (const bad of ['2025-02-30', '2025-02-29T10:00:00Z', '2024-04-31', '2024-13-01', '2024-00-10', '0000-01-01', '2024-01-01T24:00:00Z', '2024-01-01T10:60:00Z', 'yesterday', '']) {
      expect(parseStrictDate(bad), bad).toBeNaN();
    }
  });
});
