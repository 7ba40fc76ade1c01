import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import type { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import type { MarketoEmulator } from '../../connectors/marketo/emulator/index.js';
import type { ShopifyEmulator } from '../../connectors/shopify/emulator/index.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { emailAsTypedOn, platformsOf } from '../../src/sandbox/presence.js';
import type { SyntheticPerson } from '../../src/sandbox/population-types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { normalizePhone } from '../../src/store/source-records.js';
import { tokenFields } from '../helpers/world.js';
import { segsync } from '../helpers/cli.js';
import { hubspotWorld, type HubSpotWorld } from '../helpers/sandbox.js';

const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const SIZE = 160;
const SEED = 11;


/**
 * Another process holding the store open, as `segsync schedule` does: its connection keeps the
 * WAL and shared-memory files on disk. (A separate process, because reading the database file in
 * a process that holds a SQLite connection to it drops that connection's POSIX locks.)
 */
async function holdStoreOpen(db: string): Promise<ChildProcess> {
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const script = `const D = require(process.argv[1]); const db = new D(process.argv[2]);
    db.prepare('SELECT COUNT(*) FROM contacts').get(); process.stdout.write('ready\\n');
    process.stdin.on('end', () => { db.close(); process.exit(0); }); process.stdin.resume();`;
  const child = spawn(process.execPath, ['-e', script, sqlite, db], { stdio: ['pipe', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return child;
}

/** The store's files as they are on disk: the database, and its WAL and shared-memory index when present. */
function storeFiles(db: string): string[] {
  return [db, `${db}-wal`, `${db}-shm`].filter((f) => existsSync(f));
}

/** Which of the files contain the text: exactly (UTF-8), or ignoring ASCII case. */
function filesContaining(files: readonly string[], text: string, ignoreCase = false): string[] {
  return files.filter((f) => {
    const bytes = readFileSync(f);
    return ignoreCase ? bytes.toString('latin1').toLowerCase().includes(text.toLowerCase()) : bytes.indexOf(Buffer.from(text, 'utf8')) >= 0;
  });
}

interface Outcome { platform: string; externalId: string; action: string; target: string; status: string; reason?: string }
interface ForgetJson {
  ok: boolean;
  forget: {
    dryRun: boolean;
    people: Array<{ target: string; found: boolean; profiles: number[]; contacts: string[] }>;
    store: Record<string, number>;
    suppressionKeys: number;
    platforms: Outcome[];
    compaction?: { complete: boolean; detail: string };
  };
}

describe('segsync forget on the sandbox (HubSpot, Marketo, Shopify)', () => {
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let dbPath: string;
  let people: SyntheticPerson[];
  let person: SyntheticPerson;
  let other: SyntheticPerson;
  let hubspot: HubSpotEmulator;
  let marketo: MarketoEmulator;
  let shopify: ShopifyEmulator;
  /** The forgotten person's ids on each platform, read before forgetting. */
  let ids: { hubspot: string; marketo: string; shopify: string };
  let otherIds: { hubspot: string; marketo?: string; shopify?: string };
  /** segsync's lists on each platform (remote ids), from the store. */
  let lists: Array<{ destination: string; remote_id: string }>;
  /** A process holding the store open like the daemon: the WAL and shared-memory files stay on disk. */
  let daemon: ChildProcess | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ registry: CONNECTORS, size: SIZE, seed: SEED, anchor: ANCHOR, pace: 'fast' });
    hubspot = sandbox.emulators.get('hubspot') as HubSpotEmulator;
    marketo = sandbox.emulators.get('marketo') as MarketoEmulator;
    shopify = sandbox.emulators.get('shopify') as ShopifyEmulator;
    dir = mkdtempSync(join(tmpdir(), 'segsync-forget-'));
    dbPath = join(dir, 'segsync.db');
    writeFileSync(join(dir, 'workspace.yaml'), `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`);
    env = { ...sandbox.env, SEGSYNC_DB: dbPath, SEGSYNC_CONFIG: join(dir, 'workspace.yaml') };
    people = [...generatePopulation(parsePopulationOptions({ seed: SEED, size: SIZE, anchor: ANCHOR }))];
    const lastNames = new Map<string, number>();
    for (const p of people) lastNames.set(p.lastName, (lastNames.get(p.lastName) ?? 0) + 1);
    // Someone on all three platforms, on segsync's lists (subscribed), with an email the same
    // everywhere once normalised, and a last name nobody else has (so finding it means finding them).
    const everywhere = people.filter((p) => platformsOf(p).length === 3 && p.emailConsent === 'subscribed' && p.phone
      && emailAsTypedOn(p, 'shopify').trim().toLowerCase() === p.email && /^[A-Za-z]+$/.test(p.lastName) && lastNames.get(p.lastName) === 1
      && !people.some((q) => q !== p && (q.email.includes(p.lastName.toLowerCase()) || q.city.includes(p.lastName))));
    person = everywhere[0]!;
    other = people.find((p) => p !== person && platformsOf(p).includes('hubspot') && p.emailConsent === 'subscribed'
      && emailAsTypedOn(p, 'shopify').trim().toLowerCase() === p.email)!;
    expect(person, 'the population has someone on all three platforms with a unique last name').toBeDefined();

    const sync = await segsync(['sync', '--json'], env);
    expect(sync.code, sync.stderr).toBe(0);
    // A file import too: the person's email becomes a csv contact id, and the run history mentions it.
    writeFileSync(join(dir, 'orders-before.csv'), `Order ID,Date,Amount,Currency,Email,Name,Phone\n` +
      `F-1,2026-03-02,40.00,USD,${person.email},${person.firstName} ${person.lastName},${person.phone}\n` +
      `F-2,2026-03-03,25.00,USD,someone.else@example.org,Some One,\n`);
    const imported = await segsync(['import', join(dir, 'orders-before.csv'), '--json'], env);
    expect(imported.code, imported.stderr).toBe(0);

    ids = { hubspot: hubspot.contactIdForEmail(person.email)!, marketo: marketo.leadIdForEmail(person.email)!, shopify: shopify.customerIdForEmail(person.email)! };
    otherIds = {
      hubspot: hubspot.contactIdForEmail(other.email)!,
      ...(marketo.leadIdForEmail(other.email) ? { marketo: marketo.leadIdForEmail(other.email)! } : {}),
      ...(shopify.customerIdForEmail(other.email) ? { shopify: shopify.customerIdForEmail(other.email)! } : {}),
    };
    const db = new Database(dbPath, { readonly: true });
    lists = db.prepare('SELECT destination, remote_id FROM destination_lists').all() as typeof lists;
    db.close();
  }, 180_000);

  afterAll(async () => {
    if (daemon) {
      daemon.stdin!.end();
      await once(daemon, 'exit');
    }
    await sandbox?.close();
  });

  const inAnyList = (platform: 'hubspot' | 'marketo', id: string): boolean =>
    lists.filter((l) => l.destination === platform).some((l) => (platform === 'hubspot' ? hubspot.listMemberIds(l.remote_id) : marketo.listMemberIds(l.remote_id)).includes(id));

  it('refuses a store that does not exist (exit 2, naming the path) instead of creating an empty one', async () => {
    const missing = join(dir, 'nowhere', 'segsync.db');
    const { code, stderr } = await segsync(['forget', person.email], { ...env, SEGSYNC_DB: missing });
    expect(code).toBe(2);
    expect(stderr).toContain(missing);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });

  it('before: the person is in the store files and on every platform\'s segsync lists (so the checks below can fail)', () => {
    const files = storeFiles(dbPath);
    expect(filesContaining(files, person.email, true)).not.toEqual([]);
    expect(filesContaining(files, person.lastName)).not.toEqual([]);
    expect(filesContaining(files, normalizePhone(person.phone)!)).not.toEqual([]);
    expect(inAnyList('hubspot', ids.hubspot)).toBe(true);
    expect(inAnyList('marketo', ids.marketo)).toBe(true);
    expect(shopify.getCustomer(ids.shopify)!.tags.some((t) => t.startsWith('segsync:'))).toBe(true);
  });

  it('--dry-run prints the plan and changes nothing: the store is byte for byte the same, nothing is sent', async () => {
    const before = readFileSync(dbPath);
    const writes = [hubspot, marketo, shopify].map((e) => e.requests.filter((r) => r.write).length);
    const { code, stdout, stderr } = await segsync(['forget', person.email, '--on-platforms', '--dry-run', '--json'], env);
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout) as ForgetJson;
    expect(out.forget.dryRun).toBe(true);
    expect(out.forget.people[0]).toMatchObject({ found: true });
    expect(out.forget.store.contacts).toBe(4); // hubspot, marketo, shopify and the file import
    expect(new Set(out.forget.platforms.filter((o) => o.action === 'erase').map((o) => o.platform))).toEqual(new Set(['hubspot', 'marketo', 'shopify']));
    expect(out.forget.platforms.every((o) => o.status === 'planned')).toBe(true);
    expect(readFileSync(dbPath).equals(before)).toBe(true);
    expect(existsSync(`${dbPath}-wal`) && readFileSync(`${dbPath}-wal`).length > 0).toBe(false);
    expect([hubspot, marketo, shopify].map((e) => e.requests.filter((r) => r.write).length)).toEqual(writes);
    expect(hubspot.contactIdForEmail(person.email)).toBe(ids.hubspot);
  });

  it('forgets someone on all three platforms: gone from the store files (db, WAL, shm) and erased on each platform; --json says what was erased where', async () => {
    daemon = await holdStoreOpen(dbPath);
    const typed = ` ${person.email.toUpperCase()} `;
    const { code, stdout, stderr } = await segsync(['forget', typed, '--on-platforms', '--json'], env);
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout) as ForgetJson;
    expect(out.ok).toBe(true);
    expect(out.forget.people[0]!.contacts).toEqual(expect.arrayContaining([
      `hubspot:${ids.hubspot}`, `marketo:${ids.marketo}`, `shopify:${ids.shopify}`, `csv:${person.email}`,
    ]));
    expect(out.forget.store).toMatchObject({ contacts: 4, profiles: 1 });
    expect(out.forget.store.purchases).toBeGreaterThan(0);
    expect(out.forget.store.runsScrubbed).toBeGreaterThan(0);
    for (const platform of ['hubspot', 'marketo', 'shopify'] as const) {
      const mine = out.forget.platforms.filter((o) => o.platform === platform && o.externalId === ids[platform]);
      expect(mine.filter((o) => o.action === 'list_remove').length, platform).toBeGreaterThan(0);
      expect(mine.find((o) => o.action === 'clear_tokens')?.status, platform).toBe('done');
      expect(mine.find((o) => o.action === 'erase')?.status, platform).toBe('done');
      expect(mine.every((o) => o.status === 'done'), JSON.stringify(mine)).toBe(true);
    }
    expect(out.forget.compaction?.complete).toBe(true);

    const files = storeFiles(dbPath);
    expect(files).toEqual([dbPath, `${dbPath}-wal`, `${dbPath}-shm`]);
    expect(filesContaining(files, person.email, true)).toEqual([]);
    expect(filesContaining(files, person.email.split('@')[0]!, true)).toEqual([]);
    expect(filesContaining(files, person.phone)).toEqual([]);
    expect(filesContaining(files, normalizePhone(person.phone)!)).toEqual([]);
    expect(filesContaining(files, person.lastName)).toEqual([]);

    // Erased on each platform: not found by email, not by id, on no list.
    expect(hubspot.contactIdForEmail(person.email)).toBeUndefined();
    expect(hubspot.getContact(ids.hubspot)).toBeUndefined();
    expect(inAnyList('hubspot', ids.hubspot)).toBe(false);
    expect(marketo.leadIdForEmail(person.email)).toBeUndefined();
    expect(marketo.getLead(ids.marketo)).toBeUndefined();
    expect(inAnyList('marketo', ids.marketo)).toBe(false);
    expect(shopify.customerIdForEmail(person.email)).toBeUndefined();
    expect(shopify.getCustomer(ids.shopify)).toBeUndefined();
    expect(shopify.listCustomers().some((c) => c.id === ids.shopify)).toBe(false);
  }, 120_000);

  it('forget hubspot:<id> forgets that whole person and takes them off segsync\'s lists and tokens everywhere, leaving the platforms\' contacts', async () => {
    const { code, stdout, stderr } = await segsync(['forget', `hubspot:${otherIds.hubspot}`, '--json'], env);
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout) as ForgetJson;
    expect(out.forget.people[0]!.contacts).toContain(`hubspot:${otherIds.hubspot}`);
    expect(filesContaining(storeFiles(dbPath), other.email, true)).toEqual([]);
    // Still a HubSpot contact (no --on-platforms), but on none of segsync's lists and without its tokens.
    expect(hubspot.getContact(otherIds.hubspot)).toBeDefined();
    expect(inAnyList('hubspot', otherIds.hubspot)).toBe(false);
    const properties = hubspot.getContact(otherIds.hubspot)!.properties;
    for (const field of Object.values(tokenFields('hubspot'))) expect(properties[field] ?? '', field).toBe('');
    if (otherIds.marketo) {
      expect(inAnyList('marketo', otherIds.marketo)).toBe(false);
      const fields = marketo.getLead(otherIds.marketo)!.fields;
      for (const field of Object.values(tokenFields('marketo'))) expect(fields[field] ?? null, field).toBeNull();
    }
    if (otherIds.shopify) {
      const customer = shopify.getCustomer(otherIds.shopify)!;
      expect(customer.tags.filter((t) => t.startsWith('segsync:'))).toEqual([]);
      expect(Object.keys(customer.metafields).filter((k) => k.startsWith('segsync.'))).toEqual([]);
    }
  }, 60_000);

  it('a later pull --full and an import containing them do not bring them back', async () => {
    const pulled = await segsync(['pull', '--full', '--json'], env);
    expect(pulled.code, pulled.stderr).toBe(0);
    const pull = JSON.parse(pulled.stdout) as { pull: { totals: { suppressed: number } } };
    // The other person still exists on the platforms: their records arrive and are dropped.
    expect(pull.pull.totals.suppressed).toBeGreaterThan(0);

    writeFileSync(join(dir, 'orders-after.csv'), `Order ID,Date,Amount,Currency,Email,Name,Phone\n` +
      `G-1,2026-04-02,55.00,USD,${person.email.toUpperCase()},${person.firstName} ${person.lastName},${person.phone}\n` +
      `G-2,2026-04-03,15.00,USD,${other.email},${other.firstName} ${other.lastName},\n` +
      `G-3,2026-04-04,35.00,USD,new.customer@example.org,New Customer,\n`);
    const imported = await segsync(['import', join(dir, 'orders-after.csv'), '--json'], env);
    expect(imported.code, imported.stderr).toBe(0);
    const result = JSON.parse(imported.stdout) as { pull: { totals: { suppressed: number; stored: number } } };
    expect(result.pull.totals.suppressed).toBe(4); // two contacts, and the two orders that were theirs alone

    const files = storeFiles(dbPath);
    expect(filesContaining(files, person.email, true)).toEqual([]);
    expect(filesContaining(files, person.lastName)).toEqual([]);
    expect(filesContaining(files, other.email, true)).toEqual([]);
    expect(filesContaining(files, 'new.customer@example.org')).not.toEqual([]);
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare("SELECT COUNT(*) AS n FROM purchases WHERE platform = 'csv' AND external_id IN ('G-1', 'G-2')").get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT COUNT(*) AS n FROM purchases WHERE platform = 'csv' AND external_id = 'G-3'").get()).toEqual({ n: 1 });
    db.close();
  }, 120_000);
});

describe('forget and quarantined records: what names the person goes, their purchase ids drop only what is still theirs', () => {
  let world: HubSpotWorld;
  let person: { id: string; email: string };
  /** The person's deal that HubSpot serves invalid (amount "12O.00"), named after them. */
  let badDeal: string;

  beforeAll(async () => {
    world = await hubspotWorld({ size: 40, seed: 5 });
    const withDeals = world.emulator.listContacts().filter((c) => c.properties.email && world.emulator.dealIdsForContact(c.id).length > 0);
    const chosen = withDeals[0]!;
    person = { id: chosen.id, email: chosen.properties.email! };
    world.emulator.updateContact(person.id, { firstname: 'Mirco', lastname: 'Schnürer' });
    badDeal = world.emulator.createDeal(person.id, {
      dealname: 'Order #518857 — Mirco Schnürer', amount: '12O.00', dealstage: 'closedwon', closedate: '2026-03-01T00:00:00.000Z',
    });
  }, 60_000);

  afterAll(() => world.close());

  const quarantineRows = () => {
    const db = new Database(world.dbPath, { readonly: true });
    try {
      return db.prepare('SELECT platform, external_id AS id, reason, raw FROM quarantine').all() as Array<{ platform: string; id: string | null; reason: string; raw: string }>;
    } finally {
      db.close();
    }
  };

  it('forget hubspot:<id> erases the quarantined deal that names them and an order row that names them only by name; a pull --full does not bring them back', async () => {
    const pulled = await segsync(['pull', '--json'], world.env);
    expect(pulled.code, pulled.stderr).toBe(0);
    // An order typed by hand elsewhere: no order number, no customer id, no email, only the name.
    writeFileSync(join(world.dbPath, '..', 'orders.csv'), 'Order ID,Date,Amount,Currency,Customer ID,Name\n,2026-02-01,10.00,USD,,Mirco Schnürer\nK-2,2026-02-02,12.00,USD,K2,Karl Klein\n');
    const imported = await segsync(['import', join(world.dbPath, '..', 'orders.csv'), '--json'], world.env);
    expect(imported.code, imported.stderr).toBe(0);
    const before = quarantineRows();
    expect(before.find((q) => q.platform === 'hubspot' && q.id === badDeal)?.raw).toContain('"contacts"');
    expect(before.filter((q) => q.raw.includes('Schnürer'))).toHaveLength(2);

    const forgotten = await segsync(['forget', `hubspot:${person.id}`, '--json'], world.env);
    expect(forgotten.code, forgotten.stderr).toBe(0);
    const out = JSON.parse(forgotten.stdout) as ForgetJson;
    expect(out.forget.store.quarantine).toBe(2);
    expect(quarantineRows().filter((q) => q.raw.includes('Schnürer') || q.reason.includes('Schnürer') || q.id === badDeal)).toEqual([]);
    expect(filesContaining(storeFiles(world.dbPath), 'Schnürer')).toEqual([]);
    const db = new Database(world.dbPath, { readonly: true });
    expect(db.prepare("SELECT external_id FROM purchases WHERE platform = 'csv'").all()).toEqual([{ external_id: 'K-2' }]);
    db.close();

    // Still on HubSpot (no --on-platforms), with the invalid deal associated: dropped before it is stored.
    const again = await segsync(['pull', '--full', '--json'], world.env);
    expect(again.code, again.stderr).toBe(0);
    expect(quarantineRows().some((q) => q.id === badDeal)).toBe(false);
    expect(filesContaining(storeFiles(world.dbPath), 'Schnürer')).toEqual([]);
  }, 120_000);

  it('after HubSpot\'s GDPR delete the person\'s deals stay there without a contact: a pull --full still drops them', async () => {
    const other = world.emulator.listContacts().find((c) => c.id !== person.id && c.properties.email && world.emulator.dealIdsForContact(c.id).length > 0)!;
    const deals = world.emulator.dealIdsForContact(other.id);
    const forgotten = await segsync(['forget', other.properties.email!, '--on-platforms', '--json'], world.env);
    expect(forgotten.code, forgotten.stderr).toBe(0);
    expect(world.emulator.getContact(other.id)).toBeUndefined();
    expect(world.emulator.listDeals().filter((d) => deals.includes(d.id)).map((d) => d.contactIds)).toEqual(deals.map(() => []));
    const pulled = await segsync(['pull', '--full', '--json'], world.env);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect((JSON.parse(pulled.stdout) as { pull: { totals: { suppressed: number } } }).pull.totals.suppressed).toBeGreaterThanOrEqual(deals.length);
    const db = new Database(world.dbPath, { readonly: true });
    const stored = db.prepare(`SELECT COUNT(*) AS n FROM purchases WHERE platform = 'hubspot' AND external_id IN (${deals.map(() => '?').join(',')})`).get(...deals);
    const quarantined = db.prepare(`SELECT COUNT(*) AS n FROM quarantine WHERE platform = 'hubspot' AND external_id IN (${deals.map(() => '?').join(',')})`).get(...deals);
    db.close();
    expect({ stored, quarantined }).toEqual({ stored: { n: 0 }, quarantined: { n: 0 } });
  }, 120_000);
});

describe('forget in a file-only store: a forgotten person\'s order ids reused by someone else are kept (issue 12, new-user trial)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segsync-forget-csv-'));
  const env: NodeJS.ProcessEnv = { SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') };
  writeFileSync(join(dir, 'workspace.yaml'), `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`);
  const purchases = () => {
    const db = new Database(env.SEGSYNC_DB!, { readonly: true });
    try {
      return db.prepare(`SELECT p.external_id AS id, p.amount, group_concat(l.contact_external_id) AS contacts FROM purchases p
                         LEFT JOIN purchase_contacts l ON l.platform = p.platform AND l.purchase_external_id = p.external_id
                         GROUP BY p.external_id ORDER BY p.external_id`).all();
    } finally {
      db.close();
    }
  };

  it('forget erases their quarantined order (linked by customer id only); a later file\'s O1 of Bob and P1 of Carla are stored, theirs again is dropped', async () => {
    writeFileSync(join(dir, 'orders.csv'), 'Order ID,Date,Amount,Customer ID,Currency,Email\n' +
      'O1,2026-10-01,10.00,C1,EUR,anna.mueller@example.com\nO2,2026-10-02,11.00,C1,EUR,anna.mueller@example.com\nP1,2026-10-03,12.00,C1,EUR,anna.mueller@example.com\n' +
      'O3,2026-02-30,13.00,C1,EUR,\nB1,2026-10-04,20.00,C2,EUR,bob@example.com\n');
    const first = await segsync(['import', join(dir, 'orders.csv'), '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    const forgotten = await segsync(['forget', 'anna.mueller@example.com', '--json'], env);
    expect(forgotten.code, forgotten.stderr).toBe(0);
    expect((JSON.parse(forgotten.stdout) as ForgetJson).forget.store).toMatchObject({ contacts: 1, purchases: 3, quarantine: 1 });
    const db = new Database(env.SEGSYNC_DB!, { readonly: true });
    expect(db.prepare('SELECT external_id FROM quarantine').all()).toEqual([]);
    db.close();

    writeFileSync(join(dir, 'later.csv'), 'Order ID,Date,Amount,Customer ID,Currency\nO1,2026-11-30,77,C2,EUR\nP1,2026-11-30,88,C3,EUR\nNEW1,2026-11-30,99,C2,EUR\n');
    const later = await segsync(['import', join(dir, 'later.csv'), '--json'], env);
    expect(later.code, later.stderr).toBe(0);
    expect((JSON.parse(later.stdout) as { pull: { totals: { suppressed: number } } }).pull.totals.suppressed).toBe(0);
    expect(purchases()).toEqual([
      { id: 'B1', amount: 20, contacts: 'C2' },
      { id: 'NEW1', amount: 99, contacts: 'C2' },
      { id: 'O1', amount: 77, contacts: 'C2' },
      { id: 'P1', amount: 88, contacts: 'C3' },
    ]);

    // Anna's own order again, by her customer id: still hers, still dropped.
    writeFileSync(join(dir, 'again.csv'), 'Order ID,Date,Amount,Customer ID,Currency\nO2,2026-12-01,11.00,C1,EUR\n');
    const again = await segsync(['import', join(dir, 'again.csv'), '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { pull: { totals: { suppressed: number } } }).pull.totals.suppressed).toBe(2);
    expect(purchases().map((p) => (p as { id: string }).id)).not.toContain('O2');
  }, 60_000);
});
