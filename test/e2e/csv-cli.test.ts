/**
 * `segsync import` (and the commands a CSV-only user runs next) through the CLI, as a new user
 * runs them: separate files imported one after the other, real-world encodings and layouts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { groupPurchases } from '../../src/segmentation/features.js';
import { summarizeCustomers } from '../../src/segmentation/predict/summary.js';
import { CDNOW_CALIBRATION_END, CDNOW_END, loadPublishedSummary } from '../helpers/cdnow.js';

const ROOT = join(import.meta.dirname, '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

interface Run { code: number; stdout: string; stderr: string }

/** Runs the CLI in an empty working directory (no .env) against its own store. */
function segsync(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SEGSYNC_DB: join(dir, 'segsync.db'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The error a failed command reported: off a terminal, stderr is a JSON log line with the message in `msg`. */
function errorOf(run: Run): string {
  const line = run.stderr.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as { msg: string }).msg : run.stderr;
}

function workspace(files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'segsync-csv-cli-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

function query<T>(dir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dir, 'segsync.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

interface ContactRow {
  external_id: string; email: string | null; first_name: string | null; last_name: string | null; country: string | null;
  city: string | null; email_consent: string; attributes: string; created_at: string | null;
}
const contact = (dir: string, id: string) =>
  query<ContactRow>(dir, "SELECT * FROM contacts WHERE platform = 'csv' AND external_id = ?", id)[0];

const CONTACTS = [
  'Customer ID,Email,First Name,Last Name,Country,Created,Email Marketing Consent,Total Spent,Tags',
  'C1,ada@example.com,Ada,Lovelace,GB,2024-01-10,yes,120.50,vip',
  'C2,alan@example.com,Alan,Turing,GB,2024-01-11,no,80,',
].join('\n');
const ORDERS = [
  'Order ID,Customer ID,Date,Amount',
  'O-1,C1,2024-03-01,40.00',
  'O-2,C1,2024-03-05,25.00',
  'O-3,C2,2024-03-02,0.00',
].join('\n');

describe('separate imports: a later file never blanks what it does not carry', () => {
  const expectBoth = (dir: string) => {
    expect(contact(dir, 'C1')).toMatchObject({
      email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', country: 'GB', email_consent: 'subscribed',
      created_at: '2024-01-10T00:00:00.000Z',
    });
    expect(JSON.parse(contact(dir, 'C1')!.attributes)).toEqual({ totalSpent: 120.5, tags: 'vip' });
    expect(contact(dir, 'C2')).toMatchObject({ email: 'alan@example.com', first_name: 'Alan', last_name: 'Turing', country: 'GB', email_consent: 'unsubscribed' });
    expect(JSON.parse(contact(dir, 'C2')!.attributes)).toEqual({ totalSpent: 80, tags: null });
    const purchases = query<{ external_id: string; contact: string }>(dir,
      "SELECT p.external_id, pc.contact_external_id AS contact FROM purchases p JOIN purchase_contacts pc ON pc.platform = p.platform AND pc.purchase_external_id = p.external_id ORDER BY 1");
    expect(purchases).toEqual([{ external_id: 'O-1', contact: 'C1' }, { external_id: 'O-2', contact: 'C1' }, { external_id: 'O-3', contact: 'C2' }]);
  };

  it('contacts, then orders: the orders file keeps email, names, country, consent and attributes', async () => {
    const dir = workspace({ 'contacts.csv': CONTACTS, 'orders.csv': ORDERS });
    expect((await segsync(dir, ['import', 'contacts.csv'])).code).toBe(0);
    const orders = await segsync(dir, ['import', 'orders.csv', '--json']);
    expect(orders.code).toBe(0);
    expectBoth(dir);
    // Nothing the orders file says about C1 and C2 differs from what is stored: no change counted.
    const summary = JSON.parse(orders.stdout) as { pull: { streams: Array<{ stream: string; changed: number }> } };
    expect(summary.pull.streams.find((s) => s.stream === 'contacts')!.changed).toBe(0);
  });

  it('orders, then contacts: the contacts file fills in what the orders file did not have, and importing either again changes nothing', async () => {
    const dir = workspace({ 'contacts.csv': CONTACTS, 'orders.csv': ORDERS });
    expect((await segsync(dir, ['import', 'orders.csv'])).code).toBe(0);
    expect(contact(dir, 'C1')).toMatchObject({ email: null, first_name: null });
    expect((await segsync(dir, ['import', 'contacts.csv'])).code).toBe(0);
    expectBoth(dir);
    for (const file of ['orders.csv', 'contacts.csv']) {
      const again = JSON.parse((await segsync(dir, ['import', file, '--json'])).stdout) as { pull: { totals: { changed: number } } };
      expect(again.pull.totals.changed).toBe(0);
    }
    expectBoth(dir);
  });

  it('both files in one import merge the same way, in either order', async () => {
    for (const files of [['contacts.csv', 'orders.csv'], ['orders.csv', 'contacts.csv']]) {
      const dir = workspace({ 'contacts.csv': CONTACTS, 'orders.csv': ORDERS });
      expect((await segsync(dir, ['import', ...files])).code).toBe(0);
      expectBoth(dir);
    }
  });

  it('a contacts file states the person: a cell it empties is cleared, a column it lacks is kept', async () => {
    const dir = workspace({
      'contacts.csv': CONTACTS,
      'update.csv': 'Customer ID,Email,Last Name,Total Spent\nC1,ada@example.com,,130\n',
    });
    expect((await segsync(dir, ['import', 'contacts.csv'])).code).toBe(0);
    expect((await segsync(dir, ['import', 'update.csv'])).code).toBe(0);
    expect(contact(dir, 'C1')).toMatchObject({ email: 'ada@example.com', first_name: 'Ada', last_name: null, country: 'GB', email_consent: 'subscribed' });
    expect(JSON.parse(contact(dir, 'C1')!.attributes)).toEqual({ totalSpent: 130, tags: 'vip' });
  });
});

/** Windows-1252 bytes of a text (the characters used here; others are Latin-1). */
function cp1252(text: string): Buffer {
  const special: Record<string, number> = { '€': 0x80, '’': 0x92, '“': 0x93, '”': 0x94, '–': 0x96 };
  return Buffer.from([...text].map((ch) => special[ch] ?? ch.charCodeAt(0)));
}

/** Every text segsync stored: source records with raw JSON and attributes, and quarantine. */
function storedText(dir: string): string {
  return ['contacts', 'purchases', 'quarantine'].map((table) => JSON.stringify(query(dir, `SELECT * FROM ${table}`))).join('\n');
}

describe('encodings: never a replacement character', () => {
  const LATIN1 = Buffer.from([
    'Customer ID,Email,First Name,Last Name,City,Tags',
    'L1,jose@example.es,José,García,Málaga,Señor',
    'L2,mueller@example.de,Jürgen,Müller,Köln,Größe',
    'L3,françois@,François,Lefèvre,Orléans,', // not an email: quarantined, with its accents intact
  ].join('\n'), 'latin1');
  const CP1252 = cp1252([
    'Order ID,Customer ID,Date,Amount,Name',
    'W-1,W1,2024-03-01,€ 12.50,Zoë O’Brien',
    'W-2,W2,2024-03-02,30.00,“Renée” Dupont–Fils',
  ].join('\n'));
  // Shift-JIS: 山田 太郎, 東京: neither Windows-1252 nor ISO-8859-1 text, but every byte decodes in both.
  const SHIFT_JIS = Buffer.concat([
    Buffer.from('Customer ID,Email,First Name,Last Name,City\nJ1,yamada@example.jp,'),
    Buffer.from([0x91, 0xbe, 0x98, 0x59, 0x2c, 0x8e, 0x52, 0x93, 0x63, 0x2c, 0x93, 0x8c, 0x8b, 0x9e]),
    Buffer.from('\n'),
  ]);
  // 0x81 is text in neither Windows-1252 nor ISO-8859-1.
  const INVALID_IN_BOTH = Buffer.concat([Buffer.from('Customer ID,Email,First Name\nX1,x@example.com,Ann\nX2,y@example.com,A'), Buffer.from([0x81]), Buffer.from('b\n')]);

  it('reads Latin-1 and Windows-1252 files without `encoding:`, says so, and refuses files whose encoding cannot be told', async () => {
    const dir = workspace({ 'latin1.csv': LATIN1, 'cp1252.csv': CP1252, 'japanese.csv': SHIFT_JIS, 'mixed.csv': INVALID_IN_BOTH });
    const latin1 = await segsync(dir, ['import', 'latin1.csv']);
    const windows = await segsync(dir, ['import', 'cp1252.csv']);
    expect([latin1.code, windows.code]).toEqual([0, 0]);
    const text = storedText(dir);
    expect(text).not.toContain('\uFFFD');
    expect(contact(dir, 'L1')).toMatchObject({ first_name: 'José', last_name: 'García', city: 'Málaga' });
    expect(JSON.parse(contact(dir, 'L2')!.attributes)).toEqual({ tags: 'Größe' });
    expect(contact(dir, 'W1')).toMatchObject({ first_name: 'Zoë', last_name: 'O’Brien' });
    expect(contact(dir, 'W2')).toMatchObject({ first_name: '“Renée”', last_name: 'Dupont–Fils' });
    expect(query(dir, "SELECT amount FROM purchases WHERE external_id = 'W-1'")).toEqual([{ amount: 12.5 }]);
    // The summary says which encoding was sniffed.
    expect(latin1.stdout).toMatch(/latin1\.csv \(contacts; 2 valid rows of 3; ISO-8859-1, sniffed: not UTF-8/);
    expect(windows.stdout).toMatch(/cp1252\.csv \(transactions; 2 valid rows of 2; Windows-1252, sniffed: .*€ ’ “/);

    for (const [file, row] of [['japanese.csv', 2], ['mixed.csv', 3]] as const) {
      const refused = await segsync(dir, ['import', file]);
      expect(refused.code).toBe(2);
      expect(errorOf(refused)).toContain(join(dir, file));
      expect(errorOf(refused)).toContain(`on row ${row}`);
      expect(errorOf(refused)).toMatch(/encoding: windows-1252 .* under formats\.contacts in the CSV mapping, or --encoding <name>/);
    }
    expect(query(dir, "SELECT external_id FROM contacts WHERE external_id IN ('J1', 'X1', 'X2')")).toEqual([]);
    expect(storedText(dir)).not.toContain('\uFFFD');
    expect(storedText(dir)).toContain('françois@');
  });

  it('imports a file whose encoding is declared with --encoding', async () => {
    const dir = workspace({ 'japanese.csv': SHIFT_JIS });
    const run = await segsync(dir, ['import', 'japanese.csv', '--encoding', 'shift_jis']);
    expect(run.code).toBe(0);
    expect(contact(dir, 'J1')).toMatchObject({ first_name: '太郎', last_name: '山田', city: '東京' });
  });
});

describe('a file that is all wrong', () => {
  it('exits 1 with the reason (header and delimiter seen), and stores nothing', async () => {
    const dir = workspace({ 'orders.csv': 'Order ID,Customer ID,Date,Amount\nO-1,C1,2024-03-01,abc\nO-2,C2,2024-03-02,n/a\n' });
    const run = await segsync(dir, ['import', 'orders.csv']);
    expect(run.code).toBe(1);
    expect(errorOf(run)).toContain('import refused, nothing was stored');
    expect(errorOf(run)).toContain('Read with delimiter "," and the header "Order ID", "Customer ID", "Date", "Amount"');
    const json = await segsync(dir, ['import', 'orders.csv', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { kind: 'input_refused' } });
    expect(query(dir, 'SELECT (SELECT COUNT(*) FROM contacts) + (SELECT COUNT(*) FROM purchases) + (SELECT COUNT(*) FROM quarantine) AS n')).toEqual([{ n: 0 }]);
  });
});

describe('the workspace config imports: block', () => {
  it('is accepted as documented and sets the import limits and formats (validated by the CSV mapping schema)', async () => {
    const dir = workspace({
      'segsync.yaml': [
        'imports:',
        '  defaults:',
        '    limits: { minValidShare: 0.9 }',
        '  formats:',
        '    shop:',
        '      kind: transactions',
        '      detect: [Bestellnummer]',
        '      columns: { orderId: Bestellnummer, date: Datum, amount: Betrag, customerId: Kunde }',
        '      dateFormats: [D.M.YYYY]',
        '      decimal: ","',
        '      currency: EUR',
      ].join('\n'),
      'bad.yaml': 'imports:\n  formats:\n    shop:\n      kind: orders\n',
      'bestellungen.csv': 'Bestellnummer;Datum;Betrag;Kunde\nB-1;1.3.2024;12,50;K1\nB-2;2.3.2024;abc;K2\n',
    });
    const refused = await segsync(dir, ['import', 'bestellungen.csv'], { SEGSYNC_CONFIG: join(dir, 'segsync.yaml') });
    expect(refused.code).toBe(1);
    expect(errorOf(refused)).toContain('format shop): 1 valid row of 2 (50%; the minimum is 90%, limits.minValidShare)');
    const invalid = await segsync(dir, ['import', 'bestellungen.csv'], { SEGSYNC_CONFIG: join(dir, 'bad.yaml') });
    expect(invalid.code).toBe(2);
    expect(errorOf(invalid)).toContain('imports.formats.shop.kind: must be "transactions"');
  });
});

describe('raw data set layouts: CDNOW (whitespace-separated, no header, YYYYMMDD dates)', () => {
  it('stores all 2,357 customers as buyers, $0.00 lines included, and the purchase model sees the published cohort', async () => {
    const dir = workspace();
    const fixture = join(ROOT, 'test/fixtures/cdnow/CDNOW_sample.txt');
    const run = await segsync(dir, ['import', fixture, '--format', 'cdnow', '--json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { import: { rows: number; lineItems: number; purchases: number; contacts: number; invalidRows: number; refunded: number } };
    // Every line is a transaction; one customer's lines of one day are one purchase (6,696 purchase days).
    expect(summary.import).toMatchObject({ rows: 6919, lineItems: 6919, purchases: 6696, contacts: 2357, invalidRows: 0, refunded: 0 });

    const lines = readFileSync(fixture, 'utf8').trim().split(/\r?\n/).map((l) => l.trim().split(/\s+/));
    const zeroLines = lines.filter((l) => Number(l[4]) === 0);
    expect(zeroLines.length).toBeGreaterThan(0);
    const buyers = query<{ n: number }>(dir, "SELECT COUNT(DISTINCT pc.contact_external_id) AS n FROM purchase_contacts pc JOIN purchases p ON p.platform = pc.platform AND p.external_id = pc.purchase_external_id WHERE p.status = 'won'");
    expect(buyers).toEqual([{ n: 2357 }]);
    const cents = query<{ cents: number }>(dir, "SELECT SUM(ROUND(amount * 100)) AS cents FROM purchases WHERE status = 'won'")[0]!.cents;
    expect(cents).toBe(lines.reduce((sum, l) => sum + Math.round(Number(l[4]) * 100), 0));

    // The stored purchases give the purchase models the published calibration summary, customer by customer.
    const rows = query<{ contact: string; at: string; amount: number }>(dir,
      'SELECT pc.contact_external_id AS contact, p.occurred_at AS at, p.amount FROM purchases p JOIN purchase_contacts pc ON pc.platform = p.platform AND pc.purchase_external_id = p.external_id ORDER BY 1, 2');
    const rowOf = new Map<string, number>();
    for (const r of rows) if (!rowOf.has(r.contact)) rowOf.set(r.contact, rowOf.size);
    const grouped = groupPurchases(rowOf.size, {
      profileIndex: Int32Array.from(rows, (r) => rowOf.get(r.contact)!),
      occurredAtMs: Float64Array.from(rows, (r) => Date.parse(r.at)),
      amount: Float64Array.from(rows, (r) => r.amount),
    }, CDNOW_END);
    const calibration = summarizeCustomers(grouped, CDNOW_CALIBRATION_END, 7);
    expect(calibration.row.length).toBe(2357);
    expect(calibration.x.filter((x) => x > 0).length).toBe(946);
    const sampleOf = new Map(lines.map((l) => [l[0]!, l[1]!]));
    const customers = [...rowOf.keys()];
    const published = loadPublishedSummary();
    const mismatches = [];
    for (let c = 0; c < calibration.row.length; c++) {
      const p = published.get(sampleOf.get(customers[calibration.row[c]!]!)!)!;
      if (calibration.x[c] !== p.x || Math.abs(calibration.tx[c]! - p.tx) > 0.005 || Math.abs(calibration.T[c]! - p.T) > 0.005 || Math.abs(calibration.zbar[c]! - p.zbar) > 0.005 + 1e-9) mismatches.push(c);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('the import summary', () => {
  it('prints each warning once, and counts with the right noun ("1 order", "1 record")', async () => {
    const dir = workspace({
      'march.csv': 'Order ID,Email,Date,Amount\nO-1,ann@example.com,2024-03-01,10\nO-2,bo@example.com,2024-03-02,20\n',
      // O-3 twice: the same row exported twice (a duplicate-rows warning).
      'march-again.csv': 'Order ID,Email,Date,Amount\nO-2,bo@example.com,2024-03-02,20\nO-3,cy@example.com,2024-03-03,30\nO-3,cy@example.com,2024-03-03,30\nO-4,,2024-03-04,40\n',
    });
    const run = await segsync(dir, ['import', 'march.csv', 'march-again.csv']);
    expect(run.code).toBe(0);
    expect(run.stdout.match(/in more than one file/g)).toHaveLength(1);
    expect(run.stdout.match(/several rows with the same amount/g)).toHaveLength(1);
    expect(run.stdout).toContain('warning (csv purchases): 1 order has several rows with the same amount, summed, e.g. O-3 (2 × 30 in march-again.csv)');
    expect(run.stdout).toContain("warning (csv purchases): 1 order appears in more than one file; the later file's rows replace the earlier ones (1 row replaced)");
    expect(run.stdout).toContain('1 record failed validation and is in quarantine');
    expect(run.stdout).toContain('Imported 2 files:');
    expect(run.stdout).not.toMatch(/\b1 (records|orders|rows|files|customers|purchases|contacts)\b/);
  });
});

describe('explain on a store of CSV imports', () => {
  it('explains a person with a CSV record, and reads profile:<id>, <platform>:<id>, and a bare id only when it names one person', async () => {
    const dir = workspace({
      'first.csv': 'Customer ID,Email,First Name\nA1,ann@example.com,Ann\n',
      'second.csv': 'Customer ID,Email,First Name\n1,bo@example.com,Bo\n',
      'orders.csv': 'Order ID,Customer ID,Date,Amount\nO-1,A1,2024-03-01,40\nO-2,1,2024-03-02,25\n',
    });
    // Profile 1 is Ann (A1); Bo, CSV contact "1", becomes profile 2 at the second segmentation.
    expect((await segsync(dir, ['import', 'first.csv'])).code).toBe(0);
    expect((await segsync(dir, ['segment'])).code).toBe(0);
    expect((await segsync(dir, ['import', 'second.csv', 'orders.csv'])).code).toBe(0);
    expect((await segsync(dir, ['segment'])).code).toBe(0);
    const profileOf = (id: string) => query<{ p: number }>(dir, "SELECT profile_id AS p FROM identities WHERE platform = 'csv' AND external_id = ?", id)[0]!.p;
    expect([profileOf('A1'), profileOf('1')]).toEqual([1, 2]);

    const byEmail = await segsync(dir, ['explain', 'ann@example.com']);
    expect(byEmail.code).toBe(0);
    expect(byEmail.stdout).toContain('Profile 1 <ann@example.com> (found as email ann@example.com)');
    expect(byEmail.stdout).toMatch(/csv\s+A1\s+ann@example\.com\s+Ann/);

    const byPlatform = JSON.parse((await segsync(dir, ['explain', 'csv:1', '--json'])).stdout) as { profileId: number; matchedBy: string; tokens: unknown[] };
    expect(byPlatform).toMatchObject({ profileId: 2, matchedBy: 'csv contact 1', tokens: [] });
    const byProfile = JSON.parse((await segsync(dir, ['explain', 'profile:1', '--json'])).stdout) as { profileId: number; matchedBy: string };
    expect(byProfile).toMatchObject({ profileId: 1, matchedBy: 'profile 1' });

    const ambiguous = await segsync(dir, ['explain', '1']);
    expect(ambiguous.code).toBe(2);
    expect(errorOf(ambiguous)).toContain('"1" names more than one person: profile 1; csv contact 1 (profile 2). Say which: `segsync explain profile:1` or `segsync explain csv:1`.');
    const one = await segsync(dir, ['explain', 'A1']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('(found as csv contact A1)');
  });
});

describe('doctor on a store of CSV imports only', () => {
  it('passes with a clear line: a CSV source has nothing to check online; with no data and no platform it still fails', async () => {
    const dir = workspace({ 'contacts.csv': CONTACTS });
    const empty = await segsync(dir, ['doctor', '--json']);
    expect(empty.code).toBe(1);
    expect((JSON.parse(empty.stdout) as { checks: Array<{ name: string; status: string }> }).checks.find((c) => c.name === 'platforms')).toMatchObject({ status: 'fail' });

    expect((await segsync(dir, ['import', 'contacts.csv'])).code).toBe(0);
    const run = await segsync(dir, ['doctor']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ platforms +no API platform is configured; the store holds file imports only \(csv\), which have nothing to check online/);
    expect(run.stdout).not.toContain('✗');
  });
});

describe('a new user\'s second trial: files that look right but are not what they seem', () => {
  const CONSENTED = 'Customer ID,Email,First Name,Email Marketing Consent\nC1,anna@example.com,Anna,yes\nC3,carla@example.com,Carla,yes\n';
  const DE_ORDERS = 'Customer ID;E-Mail;Status;Betrag;Datum\nC1;anna@example.com;paid;10,00;05.11.2024\nC3;carla@example.com;shipped;20,00;06.11.2024\n';
  const consentOf = (dir: string) => query<{ id: string; consent: string }>(dir,
    "SELECT external_id AS id, email_consent AS consent FROM contacts WHERE external_id IN ('C1', 'C3') ORDER BY 1");

  it('a German orders file is not read as contacts: without an order number it is refused naming the column; consent is never overwritten', async () => {
    const dir = workspace({
      'contacts.csv': CONSENTED,
      'de_orders.csv': DE_ORDERS,
      'semicolon.csv': 'Bestellnummer;Datum;Betrag;E-Mail;Status\nB-1;05.11.2024;10,00;anna@example.com;bezahlt\nB-2;06.11.2024;1.234,50;carla@example.com;storniert\nB-3;07.11.2024;5,00;anna@example.com;in Klärung\n',
    });
    expect((await segsync(dir, ['import', 'contacts.csv'])).code).toBe(0);
    const subscribed = [{ id: 'C1', consent: 'subscribed' }, { id: 'C3', consent: 'subscribed' }];

    // Detected as orders (transactions reads all 5 of its columns, contacts 3), which need an order number.
    const refused = await segsync(dir, ['import', 'de_orders.csv']);
    expect(refused.code).toBe(2);
    expect(errorOf(refused)).toContain('de_orders.csv (format transactions)');
    expect(errorOf(refused)).toContain('columns.orderId ("Order ID"');
    expect(errorOf(refused)).toContain('--format contacts');
    expect(consentOf(dir)).toEqual(subscribed);
    expect(query(dir, 'SELECT COUNT(*) AS n FROM purchases')).toEqual([{ n: 0 }]);

    // With an order number it is an orders file: German names, decimal commas, German statuses.
    const orders = await segsync(dir, ['import', 'semicolon.csv', '--json']);
    expect(orders.code).toBe(0);
    const summary = JSON.parse(orders.stdout) as { import: { purchases: number; byFile: Record<string, { format: string }> }; pull: { streams: Array<{ warnings: string[] }> } };
    expect(Object.values(summary.import.byFile)[0]!.format).toBe('transactions');
    expect(query(dir, 'SELECT external_id AS id, amount, status FROM purchases ORDER BY 1')).toEqual([
      { id: 'B-1', amount: 10, status: 'won' }, { id: 'B-2', amount: 1234.5, status: 'cancelled' }, { id: 'B-3', amount: 5, status: 'won' },
    ]);
    // A status the format does not know is read as its default, and said.
    expect(summary.pull.streams.flatMap((s) => s.warnings)).toContain(
      '1 order has a Status value segsync does not know, read as won (the format\'s status.default), e.g. "in klärung" on order B-3 of semicolon.csv; map such values under the format\'s status.values in the CSV mapping');

    // Read as contacts on purpose: the order status is not consent, and the unused columns are named.
    const asContacts = await segsync(dir, ['import', 'de_orders.csv', '--format', 'contacts']);
    expect(asContacts.code).toBe(0);
    expect(consentOf(dir)).toEqual(subscribed);
    expect(asContacts.stdout).toContain('2 values of Status were not understood as email consent');
    expect(asContacts.stdout).toContain('e.g. "paid" on row 2 of de_orders.csv');
    expect(asContacts.stdout).toContain('de_orders.csv: columns not used: Betrag, Datum — if this is an orders file, use --format transactions or add these names to the format');
  });

  it('a UTF-8 file with a row in another encoding is refused naming the row; a declared encoding over UTF-8 text is refused too', async () => {
    const utf8 = 'First Name,Last Name,City,Email\nJosé,Muñoz,Málaga,jose@example.es\nAna,Peña,León,ana@example.es\n';
    const dir = workspace({
      'mixed.csv': Buffer.concat([Buffer.from(utf8, 'utf8'), Buffer.from('J\xe9r\xf4me,Dupont,Paris,jerome@example.fr\n', 'latin1')]),
      'utf8.csv': utf8,
    });
    const mixed = await segsync(dir, ['import', 'mixed.csv']);
    expect(mixed.code).toBe(2);
    expect(errorOf(mixed)).toContain('it mixes encodings');
    expect(errorOf(mixed)).toContain('The first byte that is not UTF-8 is 0xE9 on row 4');
    expect(errorOf(mixed)).toContain('--encoding');
    expect(query(dir, 'SELECT COUNT(*) AS n FROM contacts')).toEqual([{ n: 0 }]);

    const declared = await segsync(dir, ['import', 'utf8.csv', '--encoding', 'windows-1252']);
    expect(declared.code).toBe(2);
    expect(errorOf(declared)).toContain('reads as UTF-8');
    expect(errorOf(declared)).toContain('"é" would be stored as "Ã©"');
    expect(errorOf(declared)).toContain('--encoding windows-1252');
    expect(query(dir, 'SELECT COUNT(*) AS n FROM contacts')).toEqual([{ n: 0 }]);

    // Declared over the mixed file, on purpose: imported as declared, with a warning counting what reads as UTF-8.
    const forced = await segsync(dir, ['import', 'mixed.csv', '--encoding', 'windows-1252']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/mixed\.csv: 5 characters read as UTF-8 \(the first, "é", on row 2\) but the file is read as Windows-1252 \(declared\)/);
    expect(query(dir, "SELECT first_name FROM contacts WHERE external_id = 'jerome@example.fr'")).toEqual([{ first_name: 'Jérôme' }]);
  });

  it('a file with only its header is refused and not recorded as imported', async () => {
    const dir = workspace({ 'header_only.csv': 'Order ID,Date,Amount,Customer ID\n' });
    const run = await segsync(dir, ['import', 'header_only.csv']);
    expect(run.code).toBe(1);
    expect(errorOf(run)).toContain('import refused, nothing was stored');
    expect(errorOf(run)).toContain('header_only.csv (format transactions): no data rows');
    expect(query(dir, 'SELECT COUNT(*) AS n FROM stream_cursors')).toEqual([{ n: 0 }]);
  });

  it('an import in a currency the store cannot add up is refused before anything is written; doctor flags a store that mixes them', async () => {
    const dir = workspace({
      'usd.csv': 'Order ID,Customer ID,Date,Amount,Currency\nU-1,C1,2024-03-01,10,USD\n',
      'eur.csv': 'Order ID,Customer ID,Date,Amount,Currency\nE-1,C2,2024-03-02,20,EUR\n',
      'rates.yaml': 'currency:\n  base: USD\n  rates: { EUR: 1.1 }\n',
    });
    expect((await segsync(dir, ['import', 'usd.csv'])).code).toBe(0);
    const refused = await segsync(dir, ['import', 'eur.csv']);
    expect(refused.code).toBe(2);
    expect(errorOf(refused)).toContain('import refused, nothing was stored');
    expect(errorOf(refused)).toContain('EUR');
    expect(errorOf(refused)).toContain('USD');
    expect(errorOf(refused)).toContain('currency: { base: USD, rates: { EUR: ');
    expect(query(dir, 'SELECT external_id AS id FROM purchases UNION ALL SELECT external_id FROM contacts ORDER BY 1')).toEqual([{ id: 'C1' }, { id: 'U-1' }]);
    const currencyCheck = async (env: NodeJS.ProcessEnv = {}) =>
      (JSON.parse((await segsync(dir, ['doctor', '--json'], env)).stdout) as { checks: Array<{ name: string; status: string; detail: string; fix?: string }> })
        .checks.find((c) => c.name === 'currencies');
    expect(await currencyCheck()).toMatchObject({ status: 'ok', detail: "the store's won purchases are in USD" });

    const withRates = { SEGSYNC_CONFIG: join(dir, 'rates.yaml') };
    expect((await segsync(dir, ['import', 'eur.csv'], withRates)).code).toBe(0);
    expect((await segsync(dir, ['segment'], withRates)).code).toBe(0);
    const check = await currencyCheck();
    expect(check).toMatchObject({ status: 'fail' });
    expect(check!.detail).toContain('EUR, USD');
    expect(check!.fix).toContain('currency: { base:');
    expect(await currencyCheck(withRates)).toMatchObject({ status: 'ok' });
  });

  it('every CSV quarantine entry has its kind of reason; 1e23 is a number, quarantined as implausible', async () => {
    const good = Array.from({ length: 8 }, (_, i) => `G-${i},C${i},2024-03-01,10`);
    const dir = workspace({
      'orders.csv': ['Order ID,Customer ID,Date,Amount', ...good,
        'Q-big,Q1,2024-03-01,1e23', 'Q-future,Q2,2099-01-01,10', 'Q-nan,Q3,2024-03-01,abc', 'Q-date,Q4,yesterday,10',
        'Q-nobody,,2024-03-01,10', 'Q-empty,Q5,2024-03-01,', ',Q6,2024-03-01,10'].join('\n'),
      'contacts.csv': 'Customer ID,Email,Created\nK1,k1@example.com,2024-01-01\nK2,k2@example.com,2024-01-01\nK3,k3@example.com,2024-01-01\nK4,not-an-address,2024-01-01\n',
    });
    const run = await segsync(dir, ['import', 'orders.csv', 'contacts.csv']);
    expect(run.code).toBe(0);
    expect(query(dir, 'SELECT external_id AS id, kind FROM quarantine ORDER BY 1')).toEqual([
      { id: 'Q-big', kind: 'implausible' },
      { id: 'Q-date', kind: 'invalid-date' },
      { id: 'Q-empty', kind: 'missing-value' },
      { id: 'Q-future', kind: 'implausible' },
      { id: 'Q-nan', kind: 'invalid-number' },
      { id: 'Q-nobody', kind: 'no-contact' },
      { id: 'contacts.csv#row5', kind: 'invalid-email' },
      { id: 'orders.csv#row16', kind: 'missing-value' },
    ]);
    const reason = (query<{ reason: string }>(dir, "SELECT reason FROM quarantine WHERE external_id = 'Q-big'")[0]!).reason;
    expect(reason).toContain('above limits.maxAmount');
    const implausible = JSON.parse((await segsync(dir, ['quarantine', 'list', '--reason', 'implausible', '--json'])).stdout) as { total: number };
    expect(implausible.total).toBe(2);
  });

  it('a directory is named in a clear error; a contacts file receives no purchases', async () => {
    const dir = workspace({ 'contacts.csv': CONTACTS });
    const folder = await segsync(dir, ['import', dir]);
    expect(folder.code).toBe(2);
    expect(errorOf(folder)).toContain(`${dir} is a directory`);
    expect(folder.stderr).not.toContain('EISDIR');

    const run = await segsync(dir, ['import', 'contacts.csv', '--json']);
    expect(run.code).toBe(0);
    const streams = (JSON.parse(run.stdout) as { pull: { streams: Array<{ stream: string; received: number; stored: number }> } }).pull.streams;
    expect(streams.map((s) => [s.stream, s.received, s.stored])).toEqual([['contacts', 2, 2], ['purchases', 0, 0]]);
  });
});
