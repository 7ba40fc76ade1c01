/**
 * The store's file through the CLI: read-only commands change nothing and create nothing; only
 * pull, import and sync create a store; another application's SQLite file is never touched; the
 * store, its -wal/-shm, exports and reports are readable by their owner only.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspotWorld, type HubSpotWorld } from '../helpers/sandbox.js';
import { segsync } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '../..');
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);


/** A sample of each kind (test/unit/store-open.test.ts covers every mode in-process). */
const READ_ONLY = [['status'], ['explain', 'someone@example.com'], ['report', '--out', 'never.html']];

describe('the store file through the CLI', () => {
  let world: HubSpotWorld;
  let umask: number;
  beforeAll(async () => {
    // The children inherit it: what a default Linux account has.
    umask = process.umask(0o022);
    world = await hubspotWorld({ size: 60 });
  });
  afterAll(async () => {
    process.umask(umask);
    await world.close();
  });

  it('read-only commands and segment on a mistyped path: exit 2 naming the path and the fix; no folder, no store', async () => {
    const root = mkdtempSync(join(tmpdir(), 'segsync-missing-'));
    const path = join(root, 'dta', 'segsync.db');
    const env = { ...world.env, SEGSYNC_DB: path };
    const results = await Promise.all([...READ_ONLY, ['segment']].map((args) => segsync(args, env)));
    for (const [i, r] of results.entries()) {
      expect(r.code, String(i)).toBe(2);
      expect(r.stderr).toContain(`there is no segsync store at ${path}`);
      expect(r.stderr).toContain('Run segsync pull, import or sync first');
    }
    expect(readdirSync(root)).toEqual([]);
  });

  it('another application\'s SQLite file is refused by every command and stays byte for byte the same, not switched to WAL', async () => {
    const root = mkdtempSync(join(tmpdir(), 'segsync-foreign-'));
    const path = join(root, 'crm.sqlite');
    const other = new Database(path);
    other.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts (name) VALUES ('Acme')");
    other.close();
    const before = sha(path);
    const env = { ...world.env, SEGSYNC_DB: path };
    const results = await Promise.all([['status'], ['runs'], ['push'], ['pull']].map((args) => segsync(args, env)));
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${path} is a SQLite database of another application (application_id 0, tables accounts), not a segsync store`);
      expect(r.stderr).toContain('Set SEGSYNC_DB to your segsync store');
    }
    expect(sha(path)).toBe(before);
    expect(readdirSync(root)).toEqual(['crm.sqlite']);
    const check = new Database(path, { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    check.close();
    // doctor says the same as a failed line, and also leaves it alone.
    const doctor = await segsync(['doctor'], env);
    expect(doctor.stdout).toContain('is a SQLite database of another application');
    expect(sha(path)).toBe(before);
    expect(readdirSync(root)).toEqual(['crm.sqlite']);
  });

  it('sync creates the store owner-only (0600, its folder 0700, -wal and -shm 0600); status then leaves its bytes alone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'segsync-modes-'));
    const path = join(root, 'data', 'segsync.db');
    const env = { ...world.env, SEGSYNC_DB: path };
    const synced = await segsync(['sync', '--json'], env);
    expect(synced.code, synced.stderr).toBe(0);
    expect(mode(join(root, 'data'))).toBe('700');
    expect(mode(path)).toBe('600');
    // A reader keeps the WAL companions open while the store is in use: they get the store's mode.
    const reader = new Database(path, { readonly: true });
    reader.prepare('SELECT COUNT(*) FROM contacts').get();
    expect(mode(`${path}-wal`)).toBe('600');
    expect(mode(`${path}-shm`)).toBe('600');
    reader.close();

    const before = sha(path);
    for (const args of [['status'], ['runs']]) {
      const r = await segsync(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(sha(path)).toBe(before);
  });

  it('segment --export and report --out write owner-only files (folders they create: 0700)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'segsync-private-'));
    const env = { ...world.env, SEGSYNC_DB: join(root, 'segsync.db') };
    expect((await segsync(['pull'], env)).code).toBe(0);
    const exportDir = join(root, 'exports', 'run');
    const segmented = await segsync(['segment', '--export', exportDir], env);
    expect(segmented.code, segmented.stderr).toBe(0);
    expect(mode(join(root, 'exports'))).toBe('700');
    expect(mode(exportDir)).toBe('700');
    const files = readdirSync(exportDir);
    expect(files).toContain('features.csv');
    for (const f of files) expect(`${f} ${mode(join(exportDir, f))}`).toBe(`${f} 600`);
    const out = join(root, 'reports', 'segsync-report.html');
    const reported = await segsync(['report', '--out', out], env);
    expect(reported.code, reported.stderr).toBe(0);
    expect(mode(join(root, 'reports'))).toBe('700');
    expect(mode(out)).toBe('600');
    expect(existsSync(join(ROOT, 'never.html'))).toBe(false);
  });
});
