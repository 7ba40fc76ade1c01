import { afterEach, describe, expect, it } from 'vitest';
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

  describe('date-times without an offset are UTC, whatever TZ the process runs under', () => {
    const original = process.env.TZ;
    afterEach(() => {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
    });

    for (const tz of ['UTC', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Asia/Kolkata']) {
      it(`under TZ=${tz}`, () => {
        // Node reads TZ again when it is assigned: Date.parse would now give local times.
        process.env.TZ = tz;
        expect(parseStrictDate('2014-11-13 12:43:04')).toBe(Date.UTC(2014, 10, 13, 12, 43, 4));
        expect(parseStrictDate('2014-11-13T12:43:04')).toBe(Date.UTC(2014, 10, 13, 12, 43, 4));
        expect(parseStrictDate('2014-11-13T23:30')).toBe(Date.UTC(2014, 10, 13, 23, 30));
        expect(parseStrictDate('2014-11-13T12:43:04.5')).toBe(Date.UTC(2014, 10, 13, 12, 43, 4, 500));
        expect(parseStrictDate('2024-06-30')).toBe(Date.UTC(2024, 5, 30));
        // An offset still counts, in each of the forms platforms send.
        expect(parseStrictDate('2014-09-17T22:31:49+0000')).toBe(Date.UTC(2014, 8, 17, 22, 31, 49));
        expect(parseStrictDate('2014-09-17T22:31:49-08:00')).toBe(Date.UTC(2014, 8, 18, 6, 31, 49));
        expect(parseStrictDate('2014-09-17T22:31:49+05:30')).toBe(Date.UTC(2014, 8, 17, 17, 1, 49));
        expect(parseStrictDate('2014-09-17T22:31:49.123456z')).toBe(Date.UTC(2014, 8, 17, 22, 31, 49, 123));
      });
    }

    it('refuses what only looks like a date-time', () => {
      for (const bad of ['2014-11-13 12:43:04 PST', '2014-11-13T12:43:04+25:00', '2014-11-13+01:00', '2014-11-13T12', '2014-11-13T12:43:04Zjunk']) {
        expect(parseStrictDate(bad), bad).toBeNaN();
      }
    });
  });
});
