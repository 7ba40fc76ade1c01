import { parse } from 'csv-parse/sync';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { segsync } from '../helpers/cli.js';



/** What a spreadsheet would run: a cell starting with = + - @, a tab or a carriage return... */
const FORMULA_START = /^[=+\-@\t\r]/;
/** ...unless it is a plain number, which must stay a number. */
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

const CALC = "=cmd|' /C calc'!A0";
const SUM = '@SUM(1+1)';
const EVIL_EMAIL = "=cmd|'/c_calc'!a0@evil.example"; // emails are stored lower-cased
const PLUS_EMAIL = '+sum(1+1)@evil.example';

describe('segment --export on a store holding spreadsheet formulas', () => {
  let exportDir: string;
  let files: string[];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-export-injection-'));
    writeFileSync(join(dir, 'workspace.yaml'), 'segmentation:\n  referenceDate: 2026-06-01T00:00:00Z\n');
    const env = { SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') };
    const rows = ['Order ID,Date,Amount,Currency,Email,City,Country'];
    const customers = [
      { email: EVIL_EMAIL, city: CALC, country: SUM },
      { email: PLUS_EMAIL, city: '-2+3', country: '+1' },
      ...Array.from({ length: 28 }, (_, i) => ({ email: `buyer${i}@example.org`, city: i % 2 ? 'Lyon' : 'Graz', country: i % 2 ? 'FR' : 'AT' })),
    ];
    let order = 1000;
    customers.forEach((c, i) => {
      for (let k = 0; k <= i % 4; k++) {
        const day = String(1 + ((i * 7 + k * 11) % 27)).padStart(2, '0');
        rows.push(`O-${order++},2026-0${1 + ((i + k) % 5)}-${day},${(12.5 + i * 3.25 + k).toFixed(2)},USD,"${c.email}","${c.city}","${c.country}"`);
      }
    });
    writeFileSync(join(dir, 'orders.csv'), `${rows.join('\n')}\n`);
    const imported = await segsync(['import', join(dir, 'orders.csv'), '--json'], env);
    expect(imported.code, imported.stderr).toBe(0);
    exportDir = join(dir, 'export');
    const segmented = await segsync(['segment', '--export', exportDir, '--json'], env);
    expect(segmented.code, segmented.stderr).toBe(0);
    files = readdirSync(exportDir).filter((f) => f.endsWith('.csv'));
  }, 120_000);

  it('writes the exported CSVs', () => {
    expect(files).toEqual(expect.arrayContaining(['features.csv', 'assignments.csv']));
  });

  it('neutralises every cell a spreadsheet would run, in every exported CSV, keeping the text readable', () => {
    const cells: string[] = [];
    for (const file of files) {
      const table = parse(readFileSync(join(exportDir, file)), { relax_column_count: false }) as string[][];
      for (const row of table) cells.push(...row);
      const dangerous = table.flat().filter((cell) => FORMULA_START.test(cell) && !PLAIN_NUMBER.test(cell));
      expect(dangerous, file).toEqual([]);
    }
    // The values are there, as text a spreadsheet shows and never runs.
    for (const value of [CALC, SUM, EVIL_EMAIL, PLUS_EMAIL, '-2+3']) expect(cells, value).toContain(`'${value}`);
  });

  it('leaves numbers as numbers: features of the same rows are written as they are', () => {
    const features = parse(readFileSync(join(exportDir, 'features.csv')), { columns: true }) as Array<Record<string, string>>;
    const evil = features.find((r) => r.email === `'${EVIL_EMAIL}`)!;
    expect(evil).toBeDefined();
    expect(evil.city).toBe(`'${CALC}`);
    expect(evil.country).toBe(`'${SUM}`);
    expect(evil.profile_id).toMatch(/^\d+$/);
    const numeric = Object.entries(evil).filter(([key, v]) => key !== 'profile_id' && PLAIN_NUMBER.test(v));
    expect(numeric.length).toBeGreaterThan(3);
    for (const [, v] of numeric) expect(Number.isFinite(Number(v))).toBe(true);
    const plus = features.find((r) => r.email === `'${PLUS_EMAIL}`)!;
    // "+1" as a country is text that happens to be a number: it stays as it is (a number in a spreadsheet, never a formula).
    expect(plus.country).toBe('+1');
  });
});
