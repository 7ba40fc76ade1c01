import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStore } from '../../src/doctor/store.js';
import { openStore, storeError, type StoreMode } from '../../src/store/db.js';
import { currentVersion, migrate, MIGRATIONS } from '../../src/store/migrations.js';
import { inspectStoreFile, SEGSYNC_APPLICATION_ID } from '../../src/store/store-file.js';

const LATEST = MIGRATIONS.at(-1)!.version;
const dir = () => mkdtempSync(join(tmpdir(), 'segsync-open-'));
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const applicationId = (path: string) => readFileSync(path).readInt32BE(68);
const refusal = (path: string, as: StoreMode): string => {
  try {
    openStore(path, as).close();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected ${path} to be refused for ${as}`);
};

/** Another application's database: a table with rows, in rollback-journal mode (SQLite's default). */
function foreignDatabase(path: string, options: { wal?: boolean; applicationId?: number } = {}): void {
  const db = new Database(path);
  if (options.applicationId !== undefined) db.pragma(`application_id = ${options.applicationId}`);
  db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me'), ('and me')");
  if (options.wal) db.pragma('journal_mode = WAL');
  db.close();
}

describe('opening the store by what the command does', () => {
  let umask: number;
  beforeAll(() => {
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
  });

  it('read-only and write-existing commands refuse a missing store and create nothing, not even its folder', () => {
    const root = dir();
    const path = join(root, 'mistyped', 'segsync.db');
    for (const as of ['read', 'write'] as const) {
      const message = refusal(path, as);
      expect(message).toContain(`there is no segsync store at ${path}`);
      expect(message).toContain('Run segsync pull, import or sync first');
      expect(message).toContain('set SEGSYNC_DB');
    }
    expect(readdirSync(root)).toEqual([]);
  });

  it('a creating command makes the store owner-only (0600, folders 0700), its -wal and -shm too, and marks it as segsync\'s', () => {
    const root = dir();
    const path = join(root, 'data', 'deeper', 'segsync.db');
    const db = openStore(path, 'create');
    db.prepare("INSERT INTO runs (command, trigger, started_at, status) VALUES ('pull', 'manual', '2026-01-01T00:00:00Z', 'running')").run();
    expect(mode(join(root, 'data'))).toBe('700');
    expect(mode(join(root, 'data', 'deeper'))).toBe('700');
    expect(mode(path)).toBe('600');
    expect(existsSync(`${path}-wal`) && existsSync(`${path}-shm`)).toBe(true);
    expect(mode(`${path}-wal`)).toBe('600');
    expect(mode(`${path}-shm`)).toBe('600');
    db.close();
    expect(applicationId(path)).toBe(SEGSYNC_APPLICATION_ID);
    expect(inspectStoreFile(path)).toEqual({ kind: 'segsync' });
  });

  it('a creating command initialises an empty (0-byte) file; reading and writing commands refuse it', () => {
    const path = join(dir(), 'segsync.db');
    writeFileSync(path, '', { mode: 0o644 });
    expect(refusal(path, 'read')).toContain(`the store file is empty: ${path}`);
    expect(refusal(path, 'write')).toContain('Run segsync pull, import or sync first');
    openStore(path, 'create').close();
    expect(applicationId(path)).toBe(SEGSYNC_APPLICATION_ID);
    expect(mode(path)).toBe('600');
  });

  for (const [name, options] of [['in rollback-journal mode', {}], ['in WAL mode', { wal: true }], ['with its own application_id', { applicationId: 42 }]] as const) {
    it(`never changes another application's SQLite file (${name}): refused in every mode with its path and the fix`, () => {
      const root = dir();
      const path = join(root, 'other.db');
      foreignDatabase(path, options);
      const before = sha(path);
      const files = readdirSync(root).sort();
      for (const as of ['read', 'write', 'create'] as const) {
        const message = refusal(path, as);
        expect(message).toContain(`${path} is a SQLite database of another application`);
        expect(message).toContain('tables notes');
        expect(message).toContain('Set SEGSYNC_DB to your segsync store');
      }
      expect(sha(path)).toBe(before);
      expect(readdirSync(root).sort()).toEqual(files);
      const db = new Database(path, { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe(options.wal ? 'wal' : 'delete');
      expect((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name)).toEqual(['notes']);
      db.close();
    });
  }

  it('refuses a file that is not a database (file is not a database) without touching it', () => {
    const root = dir();
    const path = join(root, 'contacts.csv');
    writeFileSync(path, 'email,name\na@example.com,Ann\n'.repeat(20));
    const before = sha(path);
    for (const as of ['read', 'write', 'create'] as const) {
      const message = refusal(path, as);
      expect(message).toContain(`${path} is not a segsync store: it is not a SQLite database (file is not a database)`);
      expect(message).toContain('Set SEGSYNC_DB to your segsync store, or move that file away');
    }
    expect(sha(path)).toBe(before);
    expect(readdirSync(root)).toEqual(['contacts.csv']);
  });

  it('recognises a store made by an earlier segsync (no application_id), reads it without marking it, and marks it on the next write', () => {
    const path = join(dir(), 'segsync.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    migrate(old);
    old.close();
    expect(applicationId(path)).toBe(0);
    expect(inspectStoreFile(path)).toEqual({ kind: 'legacy' });
    const before = sha(path);
    const reader = openStore(path, 'read');
    expect((reader.prepare('SELECT COUNT(*) AS n FROM contacts').get() as { n: number }).n).toBe(0);
    reader.close();
    expect(sha(path)).toBe(before);
    openStore(path, 'write').close();
    expect(applicationId(path)).toBe(SEGSYNC_APPLICATION_ID);
  });

  it('a read-only command on an older schema says how to upgrade and changes nothing; a writing one migrates', () => {
    const path = join(dir(), 'segsync.db');
    const old = new Database(path);
    old.pragma(`application_id = ${SEGSYNC_APPLICATION_ID}`);
    old.pragma('journal_mode = WAL');
    migrate(old, MIGRATIONS.slice(0, -1));
    old.close();
    const before = sha(path);
    const message = refusal(path, 'read');
    expect(message).toContain(`the store ${path} is at schema v${LATEST - 1}; this segsync reads v${LATEST}`);
    expect(message).toContain('Run any writing command once (segsync pull, segment or push) to upgrade it');
    expect(sha(path)).toBe(before);
    const db = openStore(path, 'write');
    expect(currentVersion(db)).toBe(LATEST);
    db.close();
  });

  it('a read-only connection cannot write, even by mistake', () => {
    const path = join(dir(), 'segsync.db');
    openStore(path, 'create').close();
    const db = openStore(path, 'read');
    expect(() => db.prepare("INSERT INTO runs (command, trigger, started_at, status) VALUES ('x', 'manual', 'now', 'running')").run()).toThrow(/readonly/);
    db.close();
  });
});

describe('store errors name the path and the fix', () => {
  const path = '/srv/segsync/data/segsync.db';
  /** A real better-sqlite3 error of each kind. */
  function sqliteError(make: (root: string) => void): unknown {
    try {
      make(dir());
    } catch (error) {
      return error;
    }
    throw new Error('expected an error');
  }

  it('"file is not a database"', () => {
    const error = sqliteError((root) => {
      writeFileSync(join(root, 'x.db'), 'SQLite format 3\0'.padEnd(4096, 'x'));
      new Database(join(root, 'x.db')).prepare('SELECT * FROM sqlite_master').all();
    });
    expect((error as { code: string }).code).toBe('SQLITE_NOTADB');
    const message = storeError(path, error, 'read').message;
    expect(message).toContain(`${path} is not a segsync store (file is not a database)`);
    expect(message).toContain('set SEGSYNC_DB to your store');
  });

  it('"readonly database"', () => {
    const error = sqliteError((root) => {
      new Database(join(root, 'x.db')).exec('CREATE TABLE t (x)');
      new Database(join(root, 'x.db'), { readonly: true }).exec('INSERT INTO t VALUES (1)');
    });
    expect((error as { code: string }).code).toMatch(/^SQLITE_READONLY/);
    const message = storeError(path, error, 'write').message;
    expect(message).toContain(`the store ${path} cannot be written (readonly database)`);
    expect(message).toContain('give this user write access to /srv/segsync/data/segsync.db and to /srv/segsync/data');
  });

  it('"unable to open database file"', () => {
    const error = sqliteError((root) => new Database(root).prepare('SELECT 1').get());
    expect((error as { code: string }).code).toBe('SQLITE_CANTOPEN');
    const message = storeError(path, error, 'read').message;
    expect(message).toContain(`the store ${path} cannot be opened`);
    expect(message).toContain('check that /srv/segsync/data exists');
  });

  it('"database is locked"', () => {
    const error = sqliteError((root) => {
      const holder = new Database(join(root, 'x.db'));
      holder.exec('CREATE TABLE t (x); BEGIN EXCLUSIVE');
      new Database(join(root, 'x.db'), { timeout: 0 }).prepare('SELECT * FROM t').all();
    });
    expect((error as { code: string }).code).toBe('SQLITE_BUSY');
    const message = storeError(path, error, 'write').message;
    expect(message).toContain(`the store ${path} is locked by another process (database is locked)`);
    expect(message).toContain('Run this again when it has finished');
  });
});

describe('doctor and the store file', () => {
  it('flags a store, -wal or -shm readable by others, with the chmod that fixes it', () => {
    const path = join(dir(), 'segsync.db');
    const db = openStore(path, 'create');
    db.exec('PRAGMA wal_checkpoint');
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(mode(f)).toBe('600');
    expect(checkStore(path).checks.find((c) => c.name === 'store permissions')?.status).toBe('ok');
    // A store made 0644 by an earlier segsync: SQLite gives new -wal/-shm files the store's mode.
    for (const f of [path, `${path}-wal`, `${path}-shm`]) chmodSync(f, 0o644);
    const line = checkStore(path).checks.find((c) => c.name === 'store permissions')!;
    db.close();
    expect(line.status).toBe('warn');
    expect(line.detail).toContain('is 0644');
    expect(line.detail).toContain('-wal is 0644');
    expect(line.detail).toContain('-shm is 0644');
    expect(line.fix).toBe(`chmod 600 ${path} ${path}-wal ${path}-shm`);
  });

  it('fails the store line for another application\'s database, and leaves it as it is', () => {
    const root = dir();
    const path = join(root, 'other.db');
    foreignDatabase(path, { wal: true });
    const before = sha(path);
    const line = checkStore(path).checks[0]!;
    expect(line).toMatchObject({ name: 'store', status: 'fail' });
    expect(line.detail).toContain('is a SQLite database of another application (application_id 0, tables notes), not a segsync store');
    expect(sha(path)).toBe(before);
    expect(readdirSync(root)).toEqual(['other.db']);
  });
});

