import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, InputRefusedError } from '../../src/config/errors.js';
import { pullSource, type StreamPullSummary } from '../../src/pipeline/pull.js';
import { openStore, type Db } from '../../src/store/db.js';
import { createCsvSource, loadCsvMapping, parseCsvMapping, type CsvImportOptions } from '../../connectors/csv/index.js';

const fixture = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'csv', name);
const tempDir = () => mkdtempSync(join(tmpdir(), 'segsync-csv-e2e-'));

let db: Db | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
});

function store(): Db {
  db = openStore(join(tempDir(), 'segsync.db'));
  return db;
}

async function importFiles(target: Db, files: string[], options?: CsvImportOptions) {
  const { source, stats } = createCsvSource(files, options);
  const streams = await pullSource({ db: target, platform: 'csv', source, full: true, signal: new AbortController().signal });
  const by = (name: string) => streams.find((s) => s.stream === name) as StreamPullSummary;
  return { stats, contacts: by('contacts'), purchases: by('purchases') };
}

interface PurchaseRow { external_id: string; amount: number; currency: string; status: string; occurred_at: string; updated_at: string }
const purchase = (target: Db, id: string) =>
  target.prepare("SELECT * FROM purchases WHERE platform = 'csv' AND external_id = ?").get(id) as PurchaseRow | undefined;
const contactsOf = (target: Db, purchaseId: string) =>
  (target.prepare("SELECT contact_external_id AS id FROM purchase_contacts WHERE platform = 'csv' AND purchase_external_id = ? ORDER BY 1").all(purchaseId) as Array<{ id: string }>).map((r) => r.id);
const quarantine = (target: Db) =>
  target.prepare("SELECT stream, external_id AS id, reason FROM quarantine WHERE platform = 'csv' ORDER BY stream, external_id").all() as Array<{ stream: string; id: string; reason: string }>;
const count = (target: Db, table: string) => (target.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE platform = 'csv'`).get() as { n: number }).n;
const statuses = (target: Db) =>
  Object.fromEntries((target.prepare("SELECT status, COUNT(*) AS n FROM purchases WHERE platform = 'csv' GROUP BY status").all() as Array<{ status: string; n: number }>).map((r) => [r.status, r.n]));

describe('CSV import: UCI Online Retail layout', () => {
  it('aggregates line items per invoice and counts cancellations, returns, missing customers and bad rows', async () => {
    const target = store();
    const file = fixture('online_retail_sample.csv');
    const { stats, contacts, purchases } = await importFiles(target, [file]);
    expect(stats).toEqual({
      files: 1, rows: 60, lineItems: 59, purchases: 16, contacts: 12, cancellations: 3, returns: 3, refunded: 1,
      rowsWithoutCustomer: 9, invalidRows: 3, quarantined: 7, formatByFile: { [file]: 'online_retail' },
      // 60 rows − 9 without a customer − row 53 (no invoice number) − the 4 rows of the two invoices with a bad row (44, 45) = 46.
      byFile: { [file]: { format: 'online_retail', encoding: 'UTF-8', encodingDecided: 'utf-8', delimiter: ',', rows: 60, validRows: 46 } },
    });
    expect(count(target, 'purchases')).toBe(16);
    expect(count(target, 'contacts')).toBe(12);
    expect(statuses(target)).toEqual({ won: 12, cancelled: 3, refunded: 1 });
    // Both streams report every row read, for the progress bar.
    expect(contacts.received).toBe(60);
    expect(purchases.received).toBe(60);
    expect(purchases.quarantined).toBe(7);

    // 6×2.55 + 6×3.39 + 8×2.75 + 6×3.39 + 6×3.39 + 2×7.65 + 6×4.25 = 139.12
    expect(purchase(target, '536365')).toMatchObject({ amount: 139.12, currency: 'GBP', status: 'won', occurred_at: '2010-12-01T08:26:00.000Z' });
    // "17850.0" is customer 17850.
    expect(contactsOf(target, '536366')).toEqual(['17850']);
    expect(purchase(target, '536366')!.amount).toBe(22.2);
    // Two identical lines are both kept: 32×1.69 + 6×2.1 + 6×2.1 + 8×3.75 + 8×3.75 + 4×7.95 = 171.08
    expect(purchase(target, '536367')!.amount).toBe(171.08);
    // A multi-line quoted description is one row: 90 + 90 + 45 + 10.2 + 15.6 + 54 = 304.8
    expect(purchase(target, '536370')).toMatchObject({ amount: 304.8, status: 'won' });
    // C-invoices are their own cancelled records with negative amounts: −12×1.65 − 24×0.29 = −26.76
    expect(purchase(target, 'C536391')).toMatchObject({ amount: -26.76, status: 'cancelled' });
    expect(purchase(target, 'C536379')).toMatchObject({ amount: -27.5, status: 'cancelled' });
    expect(contactsOf(target, 'C536383')).toEqual(['15311']);
    // A return line reduces its invoice: 10×1.25 + 4×3.75 − 2×3.75 = 20
    expect(purchase(target, '536390')).toMatchObject({ amount: 20, status: 'won' });
    // Fully returned: 2×12.75 − 2×12.75 = 0 → refunded
    expect(purchase(target, '536395')).toMatchObject({ amount: 0, status: 'refunded' });
    // −3×2.95 + 10×1.95 = 10.65, dated the next day
    expect(purchase(target, '536598')).toMatchObject({ amount: 10.65, status: 'won', occurred_at: '2010-12-02T08:03:00.000Z' });

    const contact = target.prepare("SELECT * FROM contacts WHERE platform = 'csv' AND external_id = '17850'").get() as Record<string, unknown>;
    expect(contact).toMatchObject({ country: 'United Kingdom', email: null, updated_at: '2010-12-01T10:51:00.000Z' });
    // The customer of a quarantined invoice still exists; the row without invoice number names nobody.
    expect(count(target, 'contacts')).toBe(12);
    expect(target.prepare("SELECT 1 FROM contacts WHERE external_id = '13448'").get()).toBeDefined();
    expect(target.prepare("SELECT 1 FROM contacts WHERE external_id = '16250'").get()).toBeUndefined();

    expect(quarantine(target)).toEqual([
      { stream: 'purchases', id: '536400', reason: 'InvoiceDate: "12/32/2010 11:05" on row 44 is not a date (expected M/D/YYYY H:MM or YYYY-MM-DD HH:MM:SS) — order 536400 (rows 43–44 of online_retail_sample.csv) is not imported until this is fixed' },
      { stream: 'purchases', id: '536401', reason: 'UnitPrice: "n/a" on row 45 is not a number — order 536401 (rows 45–46 of online_retail_sample.csv) is not imported until this is fixed' },
      { stream: 'purchases', id: '536414', reason: 'no customer (CustomerID empty on row 47 of online_retail_sample.csv): order 536414 counts for nobody' },
      { stream: 'purchases', id: '536544', reason: 'no customer (CustomerID empty on all 5 rows (48–52) of online_retail_sample.csv): order 536544 counts for nobody' },
      { stream: 'purchases', id: '536592', reason: 'no customer (CustomerID empty on all 2 rows (54–55) of online_retail_sample.csv): order 536592 counts for nobody' },
      { stream: 'purchases', id: 'C536548', reason: 'no customer (CustomerID empty on row 56 of online_retail_sample.csv): order C536548 counts for nobody' },
      { stream: 'purchases', id: 'online_retail_sample.csv#row53', reason: 'InvoiceNo: empty on row 53 of online_retail_sample.csv; every row needs an order number' },
    ]);
  });

  it('importing the same file again changes nothing', async () => {
    const target = store();
    const file = fixture('online_retail_sample.csv');
    await importFiles(target, [file]);
    const before = { purchases: count(target, 'purchases'), contacts: count(target, 'contacts'), quarantine: quarantine(target) };
    const again = await importFiles(target, [file]);
    expect(again.contacts.changed).toBe(0);
    expect(again.purchases.changed).toBe(0);
    expect(again.stats.purchases).toBe(16);
    expect({ purchases: count(target, 'purchases'), contacts: count(target, 'contacts'), quarantine: quarantine(target) }).toEqual(before);
    const cursor = target.prepare("SELECT cursor FROM stream_cursors WHERE platform = 'csv' AND stream = 'purchases'").get() as { cursor: string };
    expect(JSON.parse(cursor.cursor)).toEqual({ files: [{ path: file, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
  });

  it('an order found in two files is one record: the later file replaces it, with a warning', async () => {
    const target = store();
    const dir = tempDir();
    const copy = join(dir, 'online_retail_copy.csv');
    copyFileSync(fixture('online_retail_sample.csv'), copy);
    const { stats, purchases } = await importFiles(target, [fixture('online_retail_sample.csv'), copy]);
    expect(stats.purchases).toBe(16);
    expect(stats.rows).toBe(120);
    expect(purchase(target, '536365')!.amount).toBe(139.12);
    expect(purchases.warnings.join('\n')).toMatch(/22 orders appear in more than one file; the later file's rows replace the earlier ones/);
  });
});

describe('CSV import: Shopify orders export', () => {
  it('takes order totals from the first row of each order and maps financial status, cancellations and refunds', async () => {
    const target = store();
    const file = fixture('shopify_orders_sample.csv');
    const { stats, contacts } = await importFiles(target, [file]);
    expect(stats).toEqual({
      files: 1, rows: 31, lineItems: 31, purchases: 17, contacts: 14, cancellations: 2, returns: 3, refunded: 2,
      rowsWithoutCustomer: 2, invalidRows: 0, quarantined: 1, formatByFile: { [file]: 'shopify_orders' },
      byFile: { [file]: { format: 'shopify_orders', encoding: 'UTF-8', encodingDecided: 'utf-8', delimiter: ',', rows: 31, validRows: 29 } },
    });
    expect(contacts.received).toBe(31);
    expect(statuses(target)).toEqual({ won: 10, cancelled: 2, refunded: 2, open: 2, lost: 1 });
    // Three lines, one total; "-0500" offset → UTC.
    expect(purchase(target, '#1001')).toMatchObject({ amount: 87.45, currency: 'USD', status: 'won', occurred_at: '2024-03-05T19:02:11.000Z' });
    expect(contactsOf(target, '#1001')).toEqual(['jane.doe@example.com']);
    // Voided with "Cancelled at" set.
    expect(purchase(target, '#1003')).toMatchObject({ status: 'cancelled', amount: 60, updated_at: '2024-03-08T15:00:00.000Z' });
    // Refunded in full: 55.00 − 55.00.
    expect(purchase(target, '#1004')).toMatchObject({ status: 'refunded', amount: 0 });
    // Partially refunded: 120.00 − 20.00.
    expect(purchase(target, '#1005')).toMatchObject({ status: 'won', amount: 100 });
    expect(purchase(target, '#1006')).toMatchObject({ status: 'open', amount: 29 });
    // Email only on the first line; mixed case normalized.
    expect(purchase(target, '#1008')).toMatchObject({ amount: 103.92 });
    expect(contactsOf(target, '#1008')).toEqual(['grace.hopper@example.com']);
    expect(purchase(target, '#1010')).toMatchObject({ amount: 83.06, currency: 'EUR', occurred_at: '2024-04-03T16:44:12.000Z' });
    // Refunded and cancelled: cancellation wins.
    expect(purchase(target, '#1017')).toMatchObject({ status: 'cancelled' });
    expect(purchase(target, '#1018')).toMatchObject({ status: 'lost', amount: 85 });
    expect(quarantine(target)).toEqual([
      { stream: 'purchases', id: '#1007', reason: 'no customer (Email empty on all 2 rows (11–12) of shopify_orders_sample.csv): order #1007 counts for nobody' },
    ]);

    const erin = target.prepare("SELECT * FROM contacts WHERE external_id = 'erin@example.com'").get() as Record<string, unknown>;
    expect(erin).toMatchObject({ first_name: 'Erin', last_name: 'van der Berg', city: 'Chicago', country: 'US', email_consent: 'subscribed' });
    const jane = target.prepare("SELECT * FROM contacts WHERE external_id = 'jane.doe@example.com'").get() as Record<string, unknown>;
    expect(jane).toMatchObject({ phone: '+1 503-555-0101', updated_at: '2024-04-20T23:12:00.000Z', email_consent: 'subscribed' });
    const bob = target.prepare("SELECT email_consent FROM contacts WHERE external_id = 'bob.smith@example.com'").get() as Record<string, unknown>;
    expect(bob).toEqual({ email_consent: 'unsubscribed' });

    const again = await importFiles(target, [file]);
    expect([again.contacts.changed, again.purchases.changed]).toEqual([0, 0]);
    expect(count(target, 'purchases')).toBe(17);
  });
});

describe('CSV import: European semicolon exports with a BOM', () => {
  it('reads decimal commas, thousands dots, several date formats and quoted newlines', async () => {
    const target = store();
    const contactsFile = fixture('contacts_eu_semicolon.csv');
    const ordersFile = fixture('transactions_eu_semicolon.csv');
    const { stats } = await importFiles(target, [contactsFile, ordersFile]);
    expect(stats).toEqual({
      files: 2, rows: 15, lineItems: 7, purchases: 5, contacts: 5, cancellations: 1, returns: 1, refunded: 1,
      rowsWithoutCustomer: 2, invalidRows: 1, quarantined: 3,
      formatByFile: { [contactsFile]: 'contacts', [ordersFile]: 'transactions' },
      byFile: {
        [contactsFile]: { format: 'contacts', encoding: 'UTF-8', encodingDecided: 'bom', delimiter: ';', rows: 8, validRows: 6 },
        [ordersFile]: { format: 'transactions', encoding: 'UTF-8', encodingDecided: 'bom', delimiter: ';', rows: 7, validRows: 6 },
      },
    });
    const anna = target.prepare("SELECT * FROM contacts WHERE external_id = 'anna.schmidt@example.de'").get() as Record<string, unknown>;
    // Two rows for Anna: the later one (same date) wins; "1.300,00" is 1300.
    expect(anna).toMatchObject({ last_name: 'Schmidt-Weber', city: 'Potsdam', country: 'DE', created_at: '2024-03-05T14:30:00.000Z', email_consent: 'unsubscribed' });
    expect(JSON.parse(anna.attributes as string)).toEqual({ totalSpent: 1300, totalOrders: 13 });
    const jan = target.prepare("SELECT * FROM contacts WHERE external_id = 'jan.devries@example.nl'").get() as Record<string, unknown>;
    expect(jan).toMatchObject({ created_at: '2023-12-01T00:00:00.000Z', email_consent: 'subscribed' });
    expect(JSON.parse(jan.attributes as string)).toEqual({ totalSpent: 12345, totalOrders: 57 });
    const luca = target.prepare("SELECT * FROM contacts WHERE external_id = 'luca.bianchi@example.it'").get() as Record<string, unknown>;
    expect(luca).toMatchObject({ email: 'luca.bianchi@example.it', created_at: '2024-01-15T00:00:00.000Z', updated_at: '2024-03-06T10:15:00.000Z' });
    const sofia = target.prepare("SELECT attributes FROM contacts WHERE external_id = 'sofia.garcia@example.es'").get() as { attributes: string };
    expect(JSON.parse(sofia.attributes)).toEqual({ totalSpent: 250.5, totalOrders: 3 });

    expect(purchase(target, 'EU-1001')).toMatchObject({ amount: 1234.56, currency: 'EUR', status: 'won', occurred_at: '2024-03-05T00:00:00.000Z' });
    expect(purchase(target, 'EU-1002')).toMatchObject({ amount: 89.9, occurred_at: '2024-03-06T10:15:00.000Z' });
    expect(purchase(target, 'EU-1003')).toMatchObject({ status: 'cancelled' });
    // 2.500,00 − 500,00 on two rows of one order.
    expect(purchase(target, 'EU-1004')).toMatchObject({ amount: 2000, status: 'won' });
    expect(purchase(target, 'EU-1005')).toMatchObject({ amount: 60, status: 'refunded' });
    // The purchase's contact is the one from the contacts file (same normalized email).
    expect(contactsOf(target, 'EU-1001')).toEqual(['anna.schmidt@example.de']);
    expect(quarantine(target)).toEqual([
      { stream: 'contacts', id: 'contacts_eu_semicolon.csv#row6', reason: 'no customer (Email empty on row 6 of contacts_eu_semicolon.csv)' },
      { stream: 'contacts', id: 'contacts_eu_semicolon.csv#row7', reason: 'Email: "not-an-email" on row 7 of contacts_eu_semicolon.csv is not an email address' },
      { stream: 'purchases', id: 'EU-1006', reason: 'no customer (Customer Email empty on row 8 of transactions_eu_semicolon.csv): order EU-1006 counts for nobody' },
    ]);
    const again = await importFiles(target, [contactsFile, ordersFile]);
    expect([again.contacts.changed, again.purchases.changed]).toEqual([0, 0]);
    expect(quarantine(target)).toHaveLength(3);
  });
});

describe('CSV import: a mapping from the workspace config', () => {
  it('reads a custom layout with its own columns, id prefix and time zone', async () => {
    const target = store();
    const mapping = parseCsvMapping({
      formats: {
        boutique: {
          kind: 'transactions',
          detect: ['Commande', 'Montant TTC'],
          columns: { orderId: 'Commande', date: 'Date', amount: 'Montant TTC', customerId: 'Client', email: 'Courriel', country: 'Pays', status: 'Statut' },
          dateFormats: ['DD/MM/YYYY HH:MM'],
          timeZone: 'Europe/Paris',
          decimal: ',',
          currency: 'EUR',
          idPrefix: 'boutique-',
          status: { values: { payée: 'won', annulée: 'cancelled', remboursée: 'refunded' }, default: 'open' },
        },
      },
    }, 'workspace config (imports)', loadCsvMapping());
    const file = join(tempDir(), 'ventes.csv');
    writeFileSync(file, [
      'Commande;Date;Client;Courriel;Pays;Montant TTC;Statut',
      '1001;14/07/2024 10:30;C-17;marie@example.fr;FR;1 249,90;Payée',
      '1002;01/01/2024 00:15;C-17;marie@example.fr;FR;20,00;Annulée',
      '1003;15/07/2024;;paul@example.fr;FR;35,5;remboursée',
      '1004;15/07/2024 9:00;C-18;;BE;12,00;en attente',
    ].join('\n'));
    const { stats } = await importFiles(target, [file], { mapping });
    expect(stats.formatByFile[file]).toBe('boutique');
    expect(stats).toMatchObject({ purchases: 4, contacts: 3, cancellations: 1, refunded: 1 });
    // Naive date-times in Paris time (CEST in July, CET in January); a date-only value is midnight UTC.
    expect(purchase(target, 'boutique-1001')).toMatchObject({ amount: 1249.9, currency: 'EUR', status: 'won', occurred_at: '2024-07-14T08:30:00.000Z' });
    expect(purchase(target, 'boutique-1002')).toMatchObject({ status: 'cancelled', occurred_at: '2023-12-31T23:15:00.000Z' });
    expect(purchase(target, 'boutique-1003')).toMatchObject({ amount: 35.5, status: 'refunded', occurred_at: '2024-07-15T00:00:00.000Z' });
    expect(purchase(target, 'boutique-1004')).toMatchObject({ status: 'open' });
    expect(contactsOf(target, 'boutique-1003')).toEqual(['paul@example.fr']);
    expect(contactsOf(target, 'boutique-1001')).toEqual(['C-17']);

    // The time zone option overrides the mapping's.
    const utc = store();
    await importFiles(utc, [file], { mapping, timeZone: 'UTC' });
    expect(purchase(utc, 'boutique-1001')!.occurred_at).toBe('2024-07-14T10:30:00.000Z');
  });
});

describe('CSV import: generic transactions', () => {
  it('an order-level total repeated on each line counts once; a repeated row amount is summed with a warning', async () => {
    const target = store();
    const dir = tempDir();
    const lineItems = join(dir, 'woo.csv');
    writeFileSync(lineItems, 'Order Number,Order Date,Customer Email,Order Total,Item\n501,2024-05-01 10:00,ann@example.com,59.90,Mug\n501,2024-05-01 10:00,ann@example.com,59.90,Plate\n');
    const payments = join(dir, 'payments.csv');
    writeFileSync(payments, 'Order ID,Date,Email,Amount\n601,2024-05-02,bo@example.com,20.00\n601,2024-05-02,bo@example.com,20.00\n');
    const { stats, purchases } = await importFiles(target, [lineItems, payments]);
    expect(stats.formatByFile).toEqual({ [lineItems]: 'transactions', [payments]: 'transactions' });
    expect(purchase(target, '501')).toMatchObject({ amount: 59.9, occurred_at: '2024-05-01T10:00:00.000Z' });
    expect(purchase(target, '601')).toMatchObject({ amount: 40 });
    expect(purchases.warnings.join('\n')).toContain('1 order has several rows with the same amount, summed, e.g. 601 (2 × 20 in payments.csv)');
  });
});

describe('CSV import: status comes from the data, not the amount', () => {
  it('a $0.00 order without a status column is a purchase (won); only an order whose returns take its amount back is refunded', async () => {
    const target = store();
    const file = join(tempDir(), 'orders.csv');
    writeFileSync(file, [
      'Order ID,Email,Date,Amount',
      'FREE,ann@example.com,2024-01-01,0.00', // a free sample, a 100% coupon: still a purchase
      'RET,bo@example.com,2024-01-02,25.00',
      'RET,bo@example.com,2024-01-03,-25.00', // returned in full
      'NEG,cy@example.com,2024-01-04,-5.00', // a refund with nothing bought in this file
      'PAID,di@example.com,2024-01-05,12.00',
    ].join('\n'));
    const { stats } = await importFiles(target, [file]);
    expect(purchase(target, 'FREE')).toMatchObject({ amount: 0, status: 'won' });
    expect(purchase(target, 'RET')).toMatchObject({ amount: 0, status: 'refunded' });
    expect(purchase(target, 'NEG')).toMatchObject({ amount: -5, status: 'refunded' });
    expect(purchase(target, 'PAID')).toMatchObject({ amount: 12, status: 'won' });
    expect(stats.refunded).toBe(2);
  });

  it('a status column still decides: "refunded" is refunded whatever the amount', async () => {
    const target = store();
    const file = join(tempDir(), 'orders.csv');
    writeFileSync(file, 'Order ID,Email,Date,Amount,Status\n1,ann@example.com,2024-01-01,0.00,completed\n2,bo@example.com,2024-01-02,30.00,refunded\n');
    await importFiles(target, [file]);
    expect(purchase(target, '1')).toMatchObject({ status: 'won' });
    expect(purchase(target, '2')).toMatchObject({ status: 'refunded' });
  });
});

describe('CSV import: broken files', () => {
  it('an unclosed quote stops the import with an error naming the file', async () => {
    const target = store();
    const file = join(tempDir(), 'broken.csv');
    writeFileSync(file, 'Order ID,Email,Date,Amount\n1,a@example.com,2024-01-01,10\n2,"b@example.com,2024-01-02,20\n');
    const error = await importFiles(target, [file]).then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toMatch(/CSV file .*broken\.csv is not valid CSV/);
  });

  it('rows of only delimiters and blank lines are skipped but keep their row numbers', async () => {
    const target = store();
    const file = join(tempDir(), 'excel.csv');
    writeFileSync(file, 'Order ID,Email,Date,Amount\r\n1,a@example.com,2024-01-01,10\r\n,,,\r\n\r\n2,b@example.com,2024-01-02,abc\r\n');
    const { stats } = await importFiles(target, [file]);
    expect(stats).toMatchObject({ rows: 2, purchases: 1, invalidRows: 1 });
    expect(quarantine(target)[0]!.reason).toContain('Amount: "abc" on row 5 is not a number');
  });
});

const stored = (target: Db) =>
  Object.fromEntries(['contacts', 'purchases', 'quarantine', 'stream_cursors'].map((table) => [table, (target.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n]));
const nothingStored = { contacts: 0, purchases: 0, quarantine: 0, stream_cursors: 0 };
const refusal = (promise: Promise<unknown>) => promise.then(() => { throw new Error('expected the import to be refused'); }, (e: unknown) => e as Error);

describe('CSV import: files that are all wrong, and implausible values', () => {
  const NOW = Date.parse('2024-06-01T12:00:00Z');

  it('a file whose every amount is not a number refuses the whole import, quoting the header and delimiter; nothing is stored', async () => {
    const target = store();
    const dir = tempDir();
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'Order ID,Email,Date,Amount\nG1,ann@example.com,2024-01-01,10\n');
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'Order ID,Email,Date,Amount\n1,a@example.com,2024-01-01,abc\n2,b@example.com,2024-01-02,n/a\n3,c@example.com,2024-01-03,x\n');
    const error = await refusal(importFiles(target, [good, bad]));
    expect(error).toBeInstanceOf(InputRefusedError);
    expect(error.message).toContain(`import refused, nothing was stored: ${bad} (format transactions): 0 valid rows of 3 (0%; the minimum is 50%, limits.minValidShare, and at least one)`);
    expect(error.message).toContain('Read with delimiter "," and the header "Order ID", "Email", "Date", "Amount"');
    expect(error.message).toContain('Amount: "abc" on row 2 is not a number');
    // All or nothing: the good file given with it is not stored either, nor any cursor.
    expect(stored(target)).toEqual(nothingStored);
  });

  it('a file read with the wrong delimiter (every row one field) is refused', async () => {
    const target = store();
    const file = join(tempDir(), 'semicolons.csv');
    writeFileSync(file, 'Order ID,Email,Date,Amount\n1;a@example.com;2024-01-01;10\n2;b@example.com;2024-01-02;20\n');
    const error = await refusal(importFiles(target, [file]));
    expect(error.message).toMatch(/0 valid rows of 2 .* delimiter ","/);
    expect(stored(target)).toEqual(nothingStored);
  });

  it('refuses a file with fewer valid rows than limits.minValidShare (default 50%); the share can be changed', async () => {
    const dir = tempDir();
    const file = join(dir, 'mostly-bad.csv');
    writeFileSync(file, 'Order ID,Email,Date,Amount\n1,a@example.com,2024-01-01,10\n2,b@example.com,2024-13-45,20\n3,c@example.com,2024-01-03,abc\n');
    const strict = store();
    const error = await refusal(importFiles(strict, [file]));
    expect(error.message).toContain('1 valid row of 3 (33.3%; the minimum is 50%, limits.minValidShare)');
    expect(stored(strict)).toEqual(nothingStored);
    db?.close();

    const lenient = store();
    const mapping = parseCsvMapping({ defaults: { limits: { minValidShare: 0.3 } } }, 'test', loadCsvMapping());
    expect(mapping.defaults.limits).toEqual({ minValidShare: 0.3, maxAmount: 1_000_000_000, maxFutureDays: 1, maxTextLength: 10_000 });
    const { stats } = await importFiles(lenient, [file], { mapping });
    expect(stats).toMatchObject({ purchases: 1, invalidRows: 2 });
    expect(stats.byFile[file]).toMatchObject({ rows: 3, validRows: 1 });
  });

  it('quarantines implausible values with reasons: an amount of 1e23, a date more than a day ahead, a megabyte of text', async () => {
    const target = store();
    const file = join(tempDir(), 'implausible.csv');
    const megabyte = 'x'.repeat(1024 * 1024);
    writeFileSync(file, [
      'Order ID,Email,Date,Amount,Name',
      '1,a@example.com,2024-05-01,10,Ann',
      '2,b@example.com,2024-05-02,100000000000000000000000,Bo',
      '3,c@example.com,2024-06-02T11:00:00Z,30,Cy', // 23 hours ahead: believed
      '4,d@example.com,2024-06-03,40,Di', // a day and a half ahead
      `5,e@example.com,2024-05-05,50,${megabyte}`,
      '6,f@example.com,2024-05-06,60,Fay',
    ].join('\n'));
    const { stats } = await importFiles(target, [file], { now: () => NOW });
    expect(stats).toMatchObject({ purchases: 3, invalidRows: 3 });
    expect(quarantine(target).map((q) => [q.id, q.reason])).toEqual([
      ['2', expect.stringContaining('Amount: 100000000000000000000000 on row 3 is above limits.maxAmount (1,000,000,000): not a plausible amount')],
      ['4', expect.stringContaining('Date: "2024-06-03" on row 5 is in the future by more than limits.maxFutureDays (1 day): not a plausible date')],
      ['5', expect.stringContaining('Name: 1,048,576 characters on row 6, more than limits.maxTextLength (10,000): not a plausible value')],
    ]);
    // The quarantined row keeps the cell cut to the limit, with its full length: not a megabyte in the store.
    const raw = (target.prepare("SELECT raw FROM quarantine WHERE external_id = '5'").get() as { raw: string }).raw;
    expect(raw.length).toBeLessThan(11_000);
    expect(raw).toContain('(1,048,576 characters in all)');
  });

  it('the limits can be raised (or lowered) for a format', async () => {
    const target = store();
    const file = join(tempDir(), 'preorders.csv');
    writeFileSync(file, 'Order ID,Email,Date,Amount\n1,a@example.com,2024-09-01,2000000000\n2,b@example.com,2024-05-01,20\n');
    const mapping = parseCsvMapping({ formats: { transactions: { ...loadCsvMapping().formats.transactions, limits: { maxFutureDays: 120, maxAmount: 5_000_000_000 } } } }, 'test', loadCsvMapping());
    const { stats } = await importFiles(target, [file], { mapping, now: () => NOW });
    expect(stats).toMatchObject({ purchases: 2, invalidRows: 0 });
  });

  it('a UTF-8 file that already holds U+FFFD (text lost before the export) is imported with a warning saying where', async () => {
    const target = store();
    const file = join(tempDir(), 'damaged.csv');
    writeFileSync(file, 'Customer ID,Email,Last Name\nC1,a@example.com,M\uFFFDller\nC2,b@example.com,Smith\n');
    const { contacts } = await importFiles(target, [file]);
    expect(contacts.warnings).toEqual([expect.stringContaining('damaged.csv already holds 1 replacement character (U+FFFD, the first on row 2)')]);
  });

  it('a 262 KB header is quoted in a message cut to a few hundred characters, with its full length', () => {
    const file = join(tempDir(), 'wide.csv');
    const header = Array.from({ length: 20_000 }, (_, i) => `Column ${i}`).join(',');
    writeFileSync(file, `${header}\n${'1,'.repeat(19_999)}1\n`);
    const error = (() => { try { createCsvSource([file]); } catch (e) { return e as Error; } return undefined; })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('matches no format');
    expect(error!.message).toMatch(/"Column 0", "Column 1", .*… \(\d{3},\d{3} characters in all\)/);
    expect(error!.message.length).toBeLessThan(1_000);
  });
});

/** A synthetic export in the online_retail layout, with totals computed in integer pence. */
function generateOnlineRetail(path: string, rows: number) {
  const lines: string[] = ['InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country'];
  const expected = { purchases: 0, cancellations: 0, refunded: 0, returns: 0, rowsWithoutCustomer: 0, wonPence: 0, cancelledPence: 0, customers: new Set<string>() };
  let written = 0;
  for (let k = 0; written < rows; k++) {
    const count = Math.min(1 + (k % 15), rows - written);
    const cancelled = k % 25 === 0;
    const customer = k % 7 === 3 ? '' : String(12000 + ((k * 37) % 4000));
    const invoice = `${cancelled ? 'C' : ''}${540000 + k}`;
    const date = `${1 + (k % 12)}/${1 + (k % 28)}/2011 ${k % 24}:${String(k % 60).padStart(2, '0')}`;
    let pence = 0;
    let returns = 0;
    for (let j = 0; j < count; j++) {
      const returned = !cancelled && k % 11 === 0 && j === count - 1;
      const quantity = cancelled || returned ? -(1 + ((k + j) % 5)) : 1 + ((k + j) % 12);
      const pricePence = 1 + ((k * 13 + j * 7) % 999);
      if (returned) returns++;
      pence += quantity * pricePence;
      const id = customer === '' ? '' : j % 2 === 0 ? `${customer}.0` : customer;
      lines.push(`${invoice},SKU${j},"ITEM ${j}, ASSORTED",${quantity},${date},${(pricePence / 100).toFixed(2)},${id},United Kingdom`);
    }
    written += count;
    if (customer === '') {
      expected.rowsWithoutCustomer += count;
      continue;
    }
    expected.customers.add(customer);
    expected.purchases++;
    if (cancelled) {
      expected.cancellations++;
      expected.cancelledPence += pence;
    } else {
      expected.returns += returns;
      // A return that takes the whole amount back (or more) makes the invoice refunded.
      if (pence < 0 || (pence === 0 && returns > 0)) expected.refunded++;
      else expected.wonPence += pence;
    }
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return expected;
}

describe('CSV import: a large file', () => {
  it('imports 200,000 line items completely with correct totals', async () => {
    const target = store();
    const file = join(tempDir(), 'online_retail_200k.csv');
    const expected = generateOnlineRetail(file, 200_000);
    const { stats, contacts, purchases } = await importFiles(target, [file]);
    expect(stats).toMatchObject({
      rows: 200_000, lineItems: 200_000, purchases: expected.purchases, cancellations: expected.cancellations,
      refunded: expected.refunded, returns: expected.returns, rowsWithoutCustomer: expected.rowsWithoutCustomer,
      invalidRows: 0, contacts: expected.customers.size,
    });
    expect(count(target, 'purchases')).toBe(expected.purchases);
    expect(count(target, 'contacts')).toBe(expected.customers.size);
    const pence = (status: string) =>
      (target.prepare("SELECT amount FROM purchases WHERE platform = 'csv' AND status = ?").all(status) as Array<{ amount: number }>)
        .reduce((sum, r) => sum + Math.round(r.amount * 100), 0);
    expect(pence('won')).toBe(expected.wonPence);
    expect(pence('cancelled')).toBe(expected.cancelledPence);
    expect(contacts.received).toBe(200_000);
    expect(purchases.received).toBe(200_000);
    expect(contacts.pages).toBeGreaterThan(10); // progress pages while reading
  });
});
