import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../../src/report/csv-file.js';

describe('CSV that segsync writes', () => {
  it('neutralises cells a spreadsheet would run as a formula (OWASP CSV injection)', () => {
    expect(csvCell('=cmd|\' /C calc\'!A0')).toBe('"\'=cmd|\' /C calc\'!A0"');
    expect(csvCell('@SUM(1+1)*cmd|\' /C calc\'!A0')).toBe('"\'@SUM(1+1)*cmd|\' /C calc\'!A0"');
    expect(csvCell('+1+cmd')).toBe('"\'+1+cmd"');
    expect(csvCell('-2+3')).toBe('"\'-2+3"');
    expect(csvCell('\t=1')).toBe('"\'\t=1"');
    expect(csvCell('\r=1')).toBe('"\'\r=1"');
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
  });

  it('leaves real numbers as numbers, negative ones included', () => {
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell('-12.50')).toBe('-12.50');
    expect(csvCell('+44')).toBe('+44');
    expect(csvCell('1e3')).toBe('1e3');
    expect(csvCell(Number.NaN)).toBe('');
  });

  it('quotes delimiters, quotes and line breaks, and leaves plain text alone', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("O'Brien")).toBe("O'Brien");
    expect(csvCell(null)).toBe('');
    expect(toCsv(['email', 'name'], [['a@x.com', '=1+1'], ['b@x.com', 'Bo']])).toBe('email,name\na@x.com,"\'=1+1"\nb@x.com,Bo\n');
  });
});
