/** The CDNOW sample (test/fixtures/cdnow/, source in SOURCE.md there) as purchase columns. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { groupPurchases, type PurchasesByProfile } from '../../src/segmentation/features.js';

const dir = fileURLToPath(new URL('../fixtures/cdnow/', import.meta.url));

export const CDNOW_CALIBRATION_END = Date.UTC(1997, 8, 30);
export const CDNOW_END = Date.UTC(1998, 5, 30);

export interface CdnowSample {
  customers: number;
  transactions: number;
  purchases: PurchasesByProfile;
  /** Sample id ("0001".."2357") of each profile row. */
  ids: string[];
}

export function loadCdnowSample(): CdnowSample {
  const lines = readFileSync(`${dir}CDNOW_sample.txt`, 'utf8').trim().split(/\r?\n/);
  const rowOf = new Map<string, number>();
  const profileIndex = new Int32Array(lines.length);
  const occurredAtMs = new Float64Array(lines.length);
  const amount = new Float64Array(lines.length);
  lines.forEach((line, k) => {
    const [, sampleId, date, , dollars] = line.trim().split(/\s+/) as [string, string, string, string, string];
    if (!rowOf.has(sampleId)) rowOf.set(sampleId, rowOf.size);
    profileIndex[k] = rowOf.get(sampleId)!;
    occurredAtMs[k] = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8)));
    amount[k] = Number(dollars);
  });
  return {
    customers: rowOf.size,
    transactions: lines.length,
    purchases: groupPurchases(rowOf.size, { profileIndex, occurredAtMs, amount }, CDNOW_END),
    ids: [...rowOf.keys()],
  };
}

/** The published calibration summary: sample id → x, t_x, T (weeks) and zbar. */
export function loadPublishedSummary(): Map<string, { x: number; tx: number; T: number; zbar: number }> {
  const lines = readFileSync(`${dir}cdnow_customers_summary_with_transactions.csv`, 'utf8').trim().split(/\r?\n/).slice(1);
  return new Map(lines.map((line) => {
    const [id, x, tx, T, zbar] = line.split(',').map(Number) as [number, number, number, number, number];
    return [String(id).padStart(4, '0'), { x, tx, T, zbar }];
  }));
}
