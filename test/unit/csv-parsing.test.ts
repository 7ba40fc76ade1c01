import { describe, expect, it } from 'vitest';
import { compileDateFormat, parseDateValue, parseDateWith, zoneReader } from '../../connectors/csv/dates.js';
import { normalizeCustomerId, parseDecimal } from '../../connectors/csv/numbers.js';

describe('CSV numbers', () => {
  it.each([
    // value, decimal separator, expected (hand-checked)
    ['2.55', '.', 2.55],
    ['-3', '.', -3],
    ['17', ',', 17],
    ['1.234,56', ',', 1234.56],
    ['1,234.56', '.', 1234.56],
    ['1.234.567,8', ',', 1234567.8],
    ['-1.234,5', ',', -1234.5],
    ['1 234,56', ',', 1234.56],
    ['1\u00a0234,56', ',', 1234.56],
    ["1'234.56", '.', 1234.56],
    ['€ 1.234,56', ',', 1234.56],
    ['12.50 EUR', '.', 12.5],
    ['$1,000', '.', 1000],
    ['(12.50)', '.', -12.5],
    ['+7', '.', 7],
    ['.5', '.', 0.5],
    // Exponent notation, as spreadsheets export large and tiny numbers.
    ['1e23', '.', 1e23],
    ['1E+23', 'auto', 1e23],
    ['2.5e-3', '.', 0.0025],
    ['2,5E-3', ',', 0.0025],
    ['-1.5E3', '.', -1500],
  ] as const)('%s with decimal "%s" is %d', (value, decimal, expected) => {
    expect(parseDecimal(value, decimal)).toBe(expected);
  });

  it.each([
    ['12,50', '.'], // a thousands comma must be followed by three digits
    ['12.50', ','], // same for a thousands dot: refused, not read as 1250
    ['1.2.3', '.'],
    ['n/a', '.'],
    ['abc', '.'],
    ['12.5O', '.'], // letter O
    ['-', '.'],
    ['12.', '.'],
    ['1,2345', '.'],
    ['1e', '.'],
    ['e5', '.'],
    ['1e2e3', '.'],
  ] as const)('%s with decimal "%s" is not a number', (value, decimal) => {
    expect(parseDecimal(value, decimal)).toBeNaN();
  });

  it('auto: both separators → the last one is decimal; one separator + 3 digits → the file convention', () => {
    expect(parseDecimal('1.234,56', 'auto')).toBe(1234.56);
    expect(parseDecimal('1,234.56', 'auto')).toBe(1234.56);
    expect(parseDecimal('12,5', 'auto')).toBe(12.5);
    expect(parseDecimal('250,50', 'auto')).toBe(250.5);
    expect(parseDecimal('1,234', 'auto', '.')).toBe(1234);
    expect(parseDecimal('1,234', 'auto', ',')).toBe(1.234);
    expect(parseDecimal('1.234', 'auto', ',')).toBe(1234);
    expect(parseDecimal('1.234.567', 'auto')).toBe(1234567);
  });

  it('customer ids re-exported as numbers lose their ".0"; other ids are kept as written', () => {
    expect(normalizeCustomerId('17850.0')).toBe('17850');
    expect(normalizeCustomerId('17850.00')).toBe('17850');
    expect(normalizeCustomerId('17850')).toBe('17850');
    expect(normalizeCustomerId('00123')).toBe('00123');
    expect(normalizeCustomerId('17850.5')).toBe('17850.5');
    expect(normalizeCustomerId('A-12.0')).toBe('A-12.0');
  });
});

describe('CSV dates', () => {
  const utc = zoneReader('UTC');
  const iso = (value: string, format: string, zone = utc) => {
    const compiled = compileDateFormat(format);
    if (!compiled) throw new Error(`format ${format} does not compile`);
    const ms = parseDateValue(value, compiled, zone);
    return Number.isNaN(ms) ? 'invalid' : new Date(ms).toISOString();
  };

  it.each([
    ['12/1/2010 8:26', 'M/D/YYYY H:MM', '2010-12-01T08:26:00.000Z'],
    ['6/30/2011 17:05', 'M/D/YYYY H:MM', '2011-06-30T17:05:00.000Z'],
    ['2024-03-05', 'YYYY-MM-DD', '2024-03-05T00:00:00.000Z'],
    ['05/03/2024', 'DD/MM/YYYY', '2024-03-05T00:00:00.000Z'],
    ['05/03/2024 14:30', 'DD/MM/YYYY HH:MM', '2024-03-05T14:30:00.000Z'],
    ['5.3.2024 9:07:45', 'D.M.YYYY HH:MM:SS', '2024-03-05T09:07:45.000Z'],
    ['2024-03-05 14:02:11 -0500', 'YYYY-MM-DD HH:MM:SS Z', '2024-03-05T19:02:11.000Z'],
    ['2024-03-05T14:02:11Z', 'ISO8601', '2024-03-05T14:02:11.000Z'],
    ['2024-03-05T14:02:11.250+01:00', 'ISO8601', '2024-03-05T13:02:11.250Z'],
    ['2024-03-05 23:30:00 +0530', 'ISO8601', '2024-03-05T18:00:00.000Z'],
    ['2024-02-29', 'YYYY-MM-DD', '2024-02-29T00:00:00.000Z'],
    ['7/4/2024 1:15 PM', 'M/D/YYYY h:MM A', '2024-07-04T13:15:00.000Z'],
    ['7/4/2024 12:00 AM', 'M/D/YYYY h:MM A', '2024-07-04T00:00:00.000Z'],
    ['19970101', 'YYYYMMDD', '1997-01-01T00:00:00.000Z'],
    ['19980630 14:05', 'YYYYMMDD HH:MM', '1998-06-30T14:05:00.000Z'],
  ])('%s read as %s is %s', (value, format, expected) => {
    expect(iso(value, format)).toBe(expected);
  });

  it.each([
    ['12/32/2010 9:00', 'M/D/YYYY H:MM'],
    ['13/1/2010 9:00', 'M/D/YYYY H:MM'],
    ['31/02/2024', 'DD/MM/YYYY'],
    ['2023-02-29', 'YYYY-MM-DD'],
    ['2024-03-05 24:00', 'ISO8601'],
    ['2024-03-05 9:7', 'ISO8601'],
    ['05-03-24', 'DD-MM-YYYY'],
    ['yesterday', 'ISO8601'],
    ['2024-03-05x', 'ISO8601'],
    ['05/03/2024', 'YYYY-MM-DD'],
    ['1997011', 'YYYYMMDD'],
    ['199701011', 'YYYYMMDD'],
    ['19971301', 'YYYYMMDD'],
    ['1997-01-01', 'YYYYMMDD'],
  ])('%s is not a %s date', (value, format) => {
    expect(iso(value, format)).toBe('invalid');
  });

  it('reads a naive date-time in the configured zone, a date-only value as midnight UTC, an offset as given', () => {
    const london = zoneReader('Europe/London');
    const newYork = zoneReader('America/New_York');
    expect(iso('12/1/2010 8:26', 'M/D/YYYY H:MM', london)).toBe('2010-12-01T08:26:00.000Z'); // GMT in winter
    expect(iso('6/1/2011 8:26', 'M/D/YYYY H:MM', london)).toBe('2011-06-01T07:26:00.000Z'); // BST = UTC+1
    expect(iso('2024-07-04 12:00', 'ISO8601', newYork)).toBe('2024-07-04T16:00:00.000Z'); // EDT = UTC-4
    expect(iso('2024-01-04 12:00', 'ISO8601', newYork)).toBe('2024-01-04T17:00:00.000Z'); // EST = UTC-5
    expect(iso('2024-07-04', 'ISO8601', newYork)).toBe('2024-07-04T00:00:00.000Z');
    expect(iso('2024-07-04 12:00 +0200', 'ISO8601', newYork)).toBe('2024-07-04T10:00:00.000Z');
  });

  it('tries the formats in order: the first that reads the value wins', () => {
    const formats = ['DD/MM/YYYY', 'M/D/YYYY'].map((f) => compileDateFormat(f)!);
    expect(new Date(parseDateWith('03/04/2024', formats, utc)).toISOString()).toBe('2024-04-03T00:00:00.000Z');
    expect(new Date(parseDateWith('12/31/2024', formats, utc)).toISOString()).toBe('2024-12-31T00:00:00.000Z');
    expect(parseDateWith('2024-12-31', formats, utc)).toBeNaN();
  });

  it('accepts only date formats it can read', () => {
    for (const ok of ['YYYY-MM-DD', 'DD/MM/YYYY', 'M/D/YYYY H:MM', 'ISO8601', 'D.M.YYYY', 'YYYY-MM-DD HH:MM:SS Z', 'YYYY-MM-DDTHH:MM:SS+HH:MM']) {
      expect(compileDateFormat(ok), ok).toBeDefined();
    }
    for (const bad of ['DD/MM/YY', 'YYYY/DD', 'MMM D, YYYY', 'YYYY-MM-DD hh:mm', '']) expect(compileDateFormat(bad), bad).toBeUndefined();
  });
});
