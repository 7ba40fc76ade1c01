/**
 * Issue 12's drive-through: one store, used through the CLI as a new admin would, with the
 * mistakes and real inputs that used to lose, corrupt or leak data. Each step checks the store
 * itself, byte for byte where it matters:
 *  - item 7: a mistyped path creates nothing; another application's SQLite file is left unchanged;
 *  - item 1: a mapped field the platform lacks stops the pull before it writes; every stored row is as it was;
 *  - items 2 and 3: a Windows-1252 contacts file, then an orders file: names decoded, nothing blanked, no U+FFFD;
 *  - item 12: the daemon runs a pull while a long segmentation runs;
 *  - item 9: a forgotten email is in none of the store's files, and a full pull does not bring it back.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { ROOT, segsync } from '../helpers/cli.js';

const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const REPLACEMENT_CHARACTER = Buffer.from('\uFFFD', 'utf8');

/** Every file of the store (db, -wal, -shm) that exists, as bytes. */
function storeFiles(db: string): Buffer[] {
  return ['', '-wal', '-shm'].filter((s) => existsSync(`${db}${s}`)).map((s) => readFileSync(`${db}${s}`));
}

function query<T>(db: string, sql: string, ...params: unknown[]): T[] {
  const store = new Database(db, { readonly: true });
  try {
    return store.prepare(sql).all(...params) as T[];
  } finally {
    store.close();
  }
}

/**
 * Every stored row of one platform's source tables, in a fixed order: what a pull must never change
 * by mistake. (The other platforms are pulled meanwhile: one platform's mistake does not stop them.)
 */
function sourceRows(db: string, platform: string): string {
  return JSON.stringify([
    query(db, 'SELECT * FROM contacts WHERE platform = ? ORDER BY external_id', platform),
    query(db, 'SELECT * FROM purchases WHERE platform = ? ORDER BY external_id', platform),
    query(db, 'SELECT * FROM purchase_contacts WHERE platform = ? ORDER BY purchase_external_id, contact_external_id', platform),
    query(db, 'SELECT * FROM stream_cursors WHERE platform = ? ORDER BY stream', platform),
    query(db, 'SELECT * FROM quarantine WHERE platform = ? ORDER BY id', platform),
  ]);
}

describe('real inputs and an admin\'s mistakes, through the CLI, on one store', () => {
  let sandbox: Sandbox;
  let dir: string;
  let db: string;
  let env: NodeJS.ProcessEnv;
  const workspace = (extra = '') => {
    writeFileSync(join(dir, 'workspace.yaml'), `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n${extra}`);
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ registry: CONNECTORS, size: 120, seed: 12, anchor: ANCHOR, pace: 'fast' });
    dir = mkdtempSync(join(tmpdir(), 'segsync-real-inputs-'));
    db = join(dir, 'store', 'segsync.db');
    env = { ...sandbox.env, SEGSYNC_DB: db, SEGSYNC_CONFIG: join(dir, 'workspace.yaml') };
    workspace();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('item 7: a mistyped store path and another application\'s SQLite file are refused, and nothing is created or changed', async () => {
    const typo = join(dir, 'stroe', 'segsync.db');
    const status = await segsync(['status'], { ...env, SEGSYNC_DB: typo });
    expect(status.code).toBe(2);
    expect(status.stderr).toContain(typo);
    expect(existsSync(join(dir, 'stroe'))).toBe(false);

    const foreign = join(dir, 'crm-notes.sqlite');
    const other = new Database(foreign);
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('call back on Monday')");
    other.close();
    const before = sha(foreign);
    for (const command of [['status'], ['pull'], ['segment']]) {
      const r = await segsync(command, { ...env, SEGSYNC_DB: foreign });
      expect(r.code, command.join(' ')).not.toBe(0);
      expect(r.stderr, command.join(' ')).toContain(foreign);
    }
    expect(sha(foreign)).toBe(before);
    expect(readdirSync(dir).filter((f) => f.startsWith('crm-notes'))).toEqual(['crm-notes.sqlite']);
  });

  it('item 1: `email: emial` in the mapping stops pull and sync before anything is written; doctor fails on it', async () => {
    const first = await segsync(['pull'], env);
    expect(first.code, first.stderr).toBe(0);
    const emails = query<{ n: number }>(db, "SELECT COUNT(*) AS n FROM contacts WHERE platform = 'hubspot' AND email IS NOT NULL AND email <> ''")[0]!.n;
    expect(emails).toBeGreaterThan(0);
    const before = sourceRows(db, 'hubspot');

    const mapping = join(dir, 'hubspot-typo.yaml');
    writeFileSync(mapping, readFileSync(join(ROOT, 'mappings/hubspot.yaml'), 'utf8').replace(/^ {4}email: email$/m, '    email: emial'));
    workspace(`sources:\n  hubspot:\n    mapping: ${mapping}\n`);
    try {
      for (const command of [['pull', '--full'], ['sync']]) {
        const r = await segsync(command, env);
        expect(r.code, command.join(' ')).toBe(2);
        expect(r.stderr).toContain('emial');
        expect(r.stderr).toContain('contacts.fields.email');
        expect(r.stderr).toContain('hubspot-typo.yaml');
        expect(sourceRows(db, 'hubspot')).toBe(before);
      }
      const doctor = await segsync(['doctor'], env);
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toMatch(/✗ hubspot mapped fields[^\n]*\n[^\n]*contacts.fields.email[^\n]*"emial"/);
    } finally {
      workspace();
    }
    expect(query<{ n: number }>(db, "SELECT COUNT(*) AS n FROM contacts WHERE platform = 'hubspot' AND email IS NOT NULL AND email <> ''")[0]!.n).toBe(emails);
  });

  it('items 2 and 3: a Windows-1252 contacts file, then an orders file: accents decoded, nothing blanked, no replacement character anywhere', async () => {
    const contacts = join(dir, 'contacts-excel.csv');
    // What Excel on Windows saves: cp1252, with a curly apostrophe (0x92) and a euro sign (0x80),
    // which latin1 does not have.
    writeFileSync(contacts, Buffer.concat([
      Buffer.from('Email,First Name,Last Name,Country,Total Spent\r\nzoe@example.org,Zo\xEB,D', 'latin1'),
      Buffer.from([0x92]),
      Buffer.from('\xC5ngstr\xF6m,SE,', 'latin1'),
      Buffer.from([0x80]),
      Buffer.from('120\r\nfrancois@example.org,Fran\xE7ois,Lef\xE8vre,FR,80\r\n', 'latin1'),
    ]));
    const orders = join(dir, 'orders.csv');
    writeFileSync(orders, 'Order ID,Date,Amount,Email\n1001,2026-05-01,35.00,zoe@example.org\n1002,2026-05-03,0.00,francois@example.org\n');

    const imported = await segsync(['import', contacts, '--json'], env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout.toLowerCase()).toContain('windows-1252');
    const ordersImported = await segsync(['import', orders], env);
    expect(ordersImported.code, ordersImported.stderr).toBe(0);

    const people = query<{ email: string; first_name: string; last_name: string; country: string; attributes: string }>(
      db, "SELECT email, first_name, last_name, country, attributes FROM contacts WHERE platform = 'csv' ORDER BY email");
    expect(people.map((p) => [p.email, p.first_name, p.last_name, p.country])).toEqual([
      ['francois@example.org', 'François', 'Lefèvre', 'FR'],
      ['zoe@example.org', 'Zoë', 'D’Ångström', 'SE'],
    ]);
    expect(JSON.parse(people[1]!.attributes)).toMatchObject({ totalSpent: 120 });
    // The $0.00 order is a purchase like any other (its status comes from the data, not the amount).
    expect(query(db, "SELECT external_id, status FROM purchases WHERE platform = 'csv' ORDER BY external_id")).toEqual([
      { external_id: '1001', status: 'won' },
      { external_id: '1002', status: 'won' },
    ]);
    for (const bytes of storeFiles(db)) expect(bytes.includes(REPLACEMENT_CHARACTER)).toBe(false);
  });

  it('item 12: the daemon pulls while a long segmentation runs in its worker thread', async () => {
    workspace(`schedule:
  leaseSeconds: 10
  shutdownSeconds: 30
  jobs:
    - name: segment-all
      run: segment
      cron: "* * * * * *"
    - name: pull-hubspot
      run: pull
      platform: hubspot
      cron: "* * * * * *"
`);
    const release = join(dir, 'release-segmentation');
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'schedule', '--health-port', '0', '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, SEGSYNC_TEST_HOLD_SEGMENTATION: release },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const runs = () => query<{ id: number; job: string; status: string; started_at: string }>(db, 'SELECT id, job, status, started_at FROM runs WHERE job IS NOT NULL ORDER BY id');
    const until = async (check: () => boolean, what: string) => {
      const deadline = Date.now() + 60_000;
      while (!check()) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`waiting for ${what}:\n${output.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await until(() => runs().some((r) => r.job === 'segment-all' && r.status === 'running'), 'the segmentation to start');
      const held = runs().find((r) => r.job === 'segment-all' && r.status === 'running')!;
      await until(() => runs().some((r) => r.job === 'pull-hubspot' && r.status === 'succeeded' && r.started_at > held.started_at), 'a pull during the segmentation');
      writeFileSync(release, '');
      await until(() => runs().find((r) => r.id === held.id)?.status === 'succeeded', 'the segmentation to finish');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
      workspace();
    }
  }, 120_000);

  it('item 9: a forgotten person is in none of the store\'s files afterwards, and a full pull does not bring them back', async () => {
    const [person] = query<{ email: string; external_id: string }>(db,
      "SELECT email, external_id FROM contacts WHERE platform = 'hubspot' AND email LIKE '%@%' ORDER BY external_id LIMIT 1");
    expect(person).toBeDefined();
    const email = person!.email;
    expect(storeFiles(db).some((bytes) => bytes.includes(Buffer.from(email)))).toBe(true);

    const forgotten = await segsync(['forget', email, '--json'], env);
    expect(forgotten.code, forgotten.stderr).toBe(0);
    for (const bytes of storeFiles(db)) {
      expect(bytes.includes(Buffer.from(email))).toBe(false);
      expect(bytes.includes(Buffer.from(email.toLowerCase()))).toBe(false);
    }

    const again = await segsync(['pull', '--full'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(query(db, 'SELECT external_id FROM contacts WHERE lower(email) = lower(?) OR (platform = ? AND external_id = ?)', email, 'hubspot', person!.external_id)).toEqual([]);
    for (const bytes of storeFiles(db)) expect(bytes.includes(Buffer.from(email))).toBe(false);
  });
});
