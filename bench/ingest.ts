/**
 * Ingest: rows per second that segsync's store path writes, against a raw better-sqlite3 loop
 * over the same rows, measured in the same run.
 *
 * Rows: N synthetic contacts (ContactRecord, platform "bench") and P purchases (PurchaseRecord,
 * each linked to one contact), built in memory before any timing, deterministic.
 *
 * - segsync: pullSource (src/pipeline/pull.ts) over an in-memory Source that yields the rows in
 *   pages of 100 (HubSpot's page size), written as a real pull writes them: SourceRecords' upserts
 *   (content hash, previous-hash lookup, normalised email/phone, JSON of attributes and raw, the
 *   purchase-contact links), quarantine bookkeeping and the stream cursor, committed every 5,000
 *   records. A fresh store.
 * - segsync, one transaction (info): SourceRecords.upsertContacts/upsertPurchases over all rows in
 *   ONE transaction, to show what the per-page commits cost.
 * - baseline: a fresh store with the same schema (openStore) and a plain prepared INSERT per row
 *   (contacts, purchases, purchase_contacts; JSON.stringify of attributes and raw, which SQLite
 *   needs as text; no hash, no lookup) in ONE transaction.
 *
 * Ratio = segsync rows/s ÷ baseline rows/s (target ≥ 0.5).
 *
 *   npx tsx bench/ingest.ts [--contacts 50000] [--purchases 100000] [--page 100] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Source, SourcePage } from '../src/domain/connector.js';
import type { ContactRecord, PurchaseRecord } from '../src/domain/records.js';
import { pullSource } from '../src/pipeline/pull.js';
import { nowIso, openStore } from '../src/store/db.js';
import { SourceRecords } from '../src/store/source-records.js';
import { argValue, figuresTable, fixed, log as logFor, machine, num, round, secs, table, wantJson, type RatioFigure } from './lib/report.js';

const log = logFor('ingest');
const CONTACTS = Number(argValue('--contacts') ?? 50_000);
const PURCHASES = Number(argValue('--purchases') ?? 100_000);
const PAGE = Number(argValue('--page') ?? 100);
const PLATFORM = 'bench';

function makeRows(): { contacts: ContactRecord[]; purchases: PurchaseRecord[] } {
  const base = Date.parse('2024-01-01T00:00:00Z');
  const countries = ['US', 'GB', 'DE', 'FR', 'NL', null];
  const contacts: ContactRecord[] = [];
  for (let i = 0; i < CONTACTS; i++) {
    const created = new Date(base + i * 60_000).toISOString();
    const properties = { email: `person${i}@example.com`, firstname: `First${i}`, lastname: `Last${i}`, country: countries[i % 6] ?? null };
    contacts.push({
      platform: PLATFORM,
      externalId: String(1000 + i),
      email: i % 7 === 0 ? ` Person${i}@Example.com ` : `person${i}@example.com`,
      phone: i % 3 === 0 ? `+1 (555) ${String(i % 10_000).padStart(4, '0')}-${String(i % 1000).padStart(3, '0')}` : null,
      firstName: `First${i}`,
      lastName: `Last${i}`,
      country: countries[i % 6] ?? null,
      city: i % 2 ? 'Springfield' : null,
      createdAt: created,
      updatedAt: created,
      emailConsent: i % 10 === 0 ? 'unsubscribed' : 'subscribed',
      archived: false,
      mergedInto: null,
      mergedFrom: [],
      attributes: { lifecycle: i % 4 ? 'customer' : 'lead' },
      raw: { id: String(1000 + i), properties, createdAt: created, updatedAt: created, archived: false },
    });
  }
  const statuses = ['won', 'won', 'won', 'lost', 'open'] as const;
  const purchases: PurchaseRecord[] = [];
  for (let j = 0; j < PURCHASES; j++) {
    const at = new Date(base + j * 97_000).toISOString();
    const contact = String(1000 + ((j * 7919) % CONTACTS));
    const amount = ((j * 37) % 50_000) / 100;
    purchases.push({
      platform: PLATFORM,
      externalId: `d${j}`,
      contactExternalIds: [contact],
      amount,
      currency: 'USD',
      occurredAt: at,
      status: statuses[j % 5]!,
      archived: false,
      updatedAt: at,
      raw: { id: `d${j}`, properties: { amount: String(amount), closedate: at, dealstage: 'closedwon' }, associations: { contacts: { results: [{ id: contact }] } } },
    });
  }
  return { contacts, purchases };
}

function pagedSource(rows: { contacts: ContactRecord[]; purchases: PurchaseRecord[] }): Source {
  const stream = (name: 'contacts' | 'purchases') => ({
    name,
    async *read(): AsyncGenerator<SourcePage> {
      const all = name === 'contacts' ? rows.contacts : rows.purchases;
      for (let i = 0; i < all.length; i += PAGE) {
        const slice = all.slice(i, i + PAGE);
        yield {
          contacts: name === 'contacts' ? (slice as ContactRecord[]) : [],
          purchases: name === 'purchases' ? (slice as PurchaseRecord[]) : [],
          quarantined: [],
          received: slice.length,
          cursor: { after: i + PAGE },
          mode: 'full',
        };
      }
    },
  });
  return { streams: [stream('contacts'), stream('purchases')] };
}

function baseline(path: string, rows: { contacts: ContactRecord[]; purchases: PurchaseRecord[] }): number {
  const db = openStore(path);
  const insertContact = db.prepare(`INSERT INTO contacts (platform, external_id, email, email_normalized, phone, phone_normalized,
      first_name, last_name, country, city, created_at, updated_at, email_consent, archived, merged_into, attributes, raw,
      content_hash, first_pulled_at, last_pulled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertPurchase = db.prepare(`INSERT INTO purchases (platform, external_id, amount, currency, occurred_at, status, archived,
      updated_at, raw, content_hash, first_pulled_at, last_pulled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertLink = db.prepare('INSERT INTO purchase_contacts (platform, purchase_external_id, contact_external_id) VALUES (?, ?, ?)');
  const started = performance.now();
  const at = nowIso();
  db.transaction(() => {
    for (const c of rows.contacts) {
      insertContact.run(c.platform, c.externalId, c.email, c.email, c.phone, c.phone, c.firstName, c.lastName, c.country, c.city,
        c.createdAt, c.updatedAt, c.emailConsent, 0, c.mergedInto, JSON.stringify(c.attributes), JSON.stringify(c.raw), '', at, at);
    }
    for (const p of rows.purchases) {
      insertPurchase.run(p.platform, p.externalId, p.amount, p.currency, p.occurredAt, p.status, 0, p.updatedAt, JSON.stringify(p.raw), '', at, at);
      for (const id of p.contactExternalIds) insertLink.run(p.platform, p.externalId, id);
    }
  })();
  const ms = performance.now() - started;
  db.close();
  return ms;
}

async function segsyncPaged(path: string, rows: { contacts: ContactRecord[]; purchases: PurchaseRecord[] }): Promise<number> {
  const db = openStore(path);
  const started = performance.now();
  const summaries = await pullSource({ db, platform: PLATFORM, source: pagedSource(rows), full: true, signal: new AbortController().signal });
  const ms = performance.now() - started;
  const stored = summaries.reduce((n, s) => n + s.stored, 0);
  db.close();
  if (stored !== rows.contacts.length + rows.purchases.length) throw new Error(`stored ${stored} rows, expected ${rows.contacts.length + rows.purchases.length}`);
  return ms;
}

function segsyncOneTransaction(path: string, rows: { contacts: ContactRecord[]; purchases: PurchaseRecord[] }): number {
  const db = openStore(path);
  const records = new SourceRecords(db);
  const started = performance.now();
  const at = nowIso();
  db.transaction(() => {
    records.upsertContacts(rows.contacts, at);
    records.upsertPurchases(rows.purchases, at);
  })();
  const ms = performance.now() - started;
  db.close();
  return ms;
}

export interface IngestResult {
  contacts: number;
  purchases: number;
  pageSize: number;
  baselineMs: number;
  segsyncMs: number;
  oneTransactionMs: number;
  baselineRowsPerSec: number;
  segsyncRowsPerSec: number;
  oneTransactionRowsPerSec: number;
  ratio: number;
  figures: RatioFigure[];
}

export async function runIngest(): Promise<IngestResult> {
  const dir = mkdtempSync(join(tmpdir(), 'segsync-bench-ingest-'));
  log(`building ${num(CONTACTS)} contacts and ${num(PURCHASES)} purchases …`);
  const rows = makeRows();
  const n = CONTACTS + PURCHASES;
  const baselineMs = baseline(join(dir, 'raw.db'), rows);
  log(`raw insert loop ${secs(baselineMs)}`);
  const segsyncMs = await segsyncPaged(join(dir, 'segsync.db'), rows);
  log(`segsync pullSource ${secs(segsyncMs)}`);
  const oneTransactionMs = segsyncOneTransaction(join(dir, 'one.db'), rows);
  log(`segsync one transaction ${secs(oneTransactionMs)}`);
  rmSync(dir, { recursive: true, force: true });
  const rate = (ms: number) => n / (ms / 1000);
  const ratio = rate(segsyncMs) / rate(baselineMs);
  return {
    contacts: CONTACTS,
    purchases: PURCHASES,
    pageSize: PAGE,
    baselineMs: round(baselineMs, 0),
    segsyncMs: round(segsyncMs, 0),
    oneTransactionMs: round(oneTransactionMs, 0),
    baselineRowsPerSec: Math.round(rate(baselineMs)),
    segsyncRowsPerSec: Math.round(rate(segsyncMs)),
    oneTransactionRowsPerSec: Math.round(rate(oneTransactionMs)),
    ratio: round(ratio),
    figures: [
      {
        bench: 'ingest',
        figure: `store ingest, ${num(n)} rows, pages of ${PAGE}, vs raw insert loop`,
        ratio: 'segsync / raw rows/s',
        value: round(ratio),
        target: '≥ 0.5',
        pass: ratio >= 0.5,
        measured: `${num(Math.round(rate(segsyncMs)))} / ${num(Math.round(rate(baselineMs)))}`,
      },
      {
        bench: 'ingest',
        figure: '  SourceRecords in one transaction vs raw (info)',
        ratio: 'segsync / raw rows/s',
        value: round(rate(oneTransactionMs) / rate(baselineMs)),
        target: '(info)',
        pass: true,
        measured: `${num(Math.round(rate(oneTransactionMs)))} / ${num(Math.round(rate(baselineMs)))}`,
      },
    ],
  };
}

export function printIngest(r: IngestResult): void {
  console.log(`\nStore ingest: ${num(r.contacts)} contacts + ${num(r.purchases)} purchases (fresh store each)\n`);
  console.log(
    table(
      ['', 'time', 'rows/s'],
      [
        ['raw better-sqlite3 INSERT loop, one transaction', secs(r.baselineMs), num(r.baselineRowsPerSec)],
        [`segsync pullSource, pages of ${r.pageSize}`, secs(r.segsyncMs), num(r.segsyncRowsPerSec)],
        ['segsync SourceRecords, one transaction', secs(r.oneTransactionMs), num(r.oneTransactionRowsPerSec)],
      ],
    ),
  );
  console.log(`\nratio segsync / raw: ${fixed(r.ratio, 3)}\n`);
  console.log(figuresTable(r.figures));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runIngest();
  if (wantJson()) console.log(JSON.stringify({ machine: machine(), ...result }, null, 2));
  else printIngest(result);
}
