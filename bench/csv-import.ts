/**
 * How fast `segsync import` reads a line-item export, as a ratio against a baseline measured in
 * the same run: csv-parse alone reading the same file (no mapping, no aggregation, no store).
 *
 *   npx tsx bench/csv-import.ts [rows]        (default 500,000 rows of the UCI Online Retail layout)
 */
import { createReadStream, createWriteStream, mkdtempSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { createCsvSource } from '../connectors/csv/index.js';
import { pullSource } from '../src/pipeline/pull.js';
import { openStore } from '../src/store/db.js';

const rows = Number(process.argv[2] ?? 500_000);
const dir = mkdtempSync(join(tmpdir(), 'segsync-bench-csv-'));
const file = join(dir, 'online_retail.csv');

/** Deterministic rows in the published layout: multi-line invoices, cancellations, missing customers. */
async function writeFile(): Promise<void> {
  const out = createWriteStream(file);
  out.write('InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n');
  let invoice = 536365;
  let left = 0;
  let buffer = '';
  for (let i = 0; i < rows; i++) {
    if (left === 0) {
      invoice++;
      left = 1 + ((invoice * 7) % 37);
    }
    left--;
    const cancelled = invoice % 10 === 0 ? 'C' : '';
    const quantity = cancelled ? -(1 + (i % 5)) : 1 + (i % 12);
    const date = `${1 + (invoice % 12)}/${1 + (invoice % 28)}/2011 ${invoice % 24}:${String(invoice % 60).padStart(2, '0')}`;
    const customer = invoice % 13 === 0 ? '' : `${12000 + (invoice % 5000)}.0`;
    buffer += `${cancelled}${invoice},85123A,"WHITE HANGING HEART T-LIGHT HOLDER, LARGE",${quantity},${date},${(1 + (i % 500)) / 100},${customer},United Kingdom\n`;
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

async function baseline(): Promise<number> {
  const started = performance.now();
  let n = 0;
  for await (const _record of createReadStream(file).pipe(parse({ columns: true }))) n++;
  if (n !== rows) throw new Error(`baseline read ${n} rows, expected ${rows}`);
  return performance.now() - started;
}

async function segsyncImport(): Promise<{ ms: number; purchases: number; contacts: number }> {
  const started = performance.now();
  const { source, stats } = createCsvSource([file]);
  const db = openStore(join(dir, 'bench.db'));
  await pullSource({ db, platform: 'csv', source, full: true, signal: new AbortController().signal });
  db.close();
  if (stats.rows !== rows) throw new Error(`import read ${stats.rows} rows, expected ${rows}`);
  return { ms: performance.now() - started, purchases: stats.purchases, contacts: stats.contacts };
}

await writeFile();
const baselineMs = await baseline();
const imported = await segsyncImport();
console.log(JSON.stringify({
  rows,
  megabytes: Number((statSync(file).size / 1e6).toFixed(1)),
  baseline: { what: 'csv-parse alone, columns: true', seconds: Number((baselineMs / 1000).toFixed(2)) },
  segsyncImport: { what: 'parse + map + aggregate per invoice + write to SQLite', seconds: Number((imported.ms / 1000).toFixed(2)), purchases: imported.purchases, contacts: imported.contacts },
  importTimeOverBaseline: Number((imported.ms / baselineMs).toFixed(2)),
}, null, 2));
