import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, openSync, readFileSync, readSync, closeSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SegmentDefinition } from '../domain/segments.js';
import { MIGRATIONS } from '../store/migrations.js';
import { currentSegmentKeys, listSegments } from '../store/segmentation-runs.js';
import { fail, ok, warn, type Check } from './check.js';
import { shownPath } from './config.js';

/**
 * A store closed cleanly (no -wal file) up to this size is read as an in-memory snapshot: a
 * read-only SQLite connection to a WAL database would leave -wal and -shm files behind, owned by
 * whoever ran doctor. Larger stores are opened read-only in place.
 */
const SNAPSHOT_MAX_BYTES = 512 * 1024 * 1024;
const LATEST = MIGRATIONS.at(-1)?.version ?? 0;

export interface StoreResult {
  checks: Check[];
  /** The latest segmentation run's segments (with personas), when the store has one. */
  segments: SegmentDefinition[] | undefined;
  /** Platforms the store holds contacts or purchases of (API platforms and file imports). */
  sources?: string[];
}

const writable = (path: string): boolean => {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

/** The SQLite header says WAL when its read and write versions are 2. */
function headerSaysWal(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(20);
    return readSync(fd, header, 0, 20, 0) === 20 && header[18] === 2 && header[19] === 2;
  } finally {
    closeSync(fd);
  }
}

function openReadOnly(path: string): Database.Database {
  if (!existsSync(`${path}-wal`) && statSync(path).size <= SNAPSHOT_MAX_BYTES) {
    const image = readFileSync(path);
    // An in-memory database cannot be in WAL mode: mark the copy as a rollback-journal file.
    if (image.length >= 20 && image[18] === 2) image[18] = image[19] = 1;
    return new Database(image, { readonly: true });
  }
  return new Database(path, { readonly: true, fileMustExist: true, timeout: 5_000 });
}

/** Where a file would be created: its nearest existing ancestor must be a writable directory. */
function creatable(path: string): Check {
  let dir = dirname(resolve(path));
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const shown = shownPath(path);
  if (!statSync(dir).isDirectory()) {
    return fail('store', `cannot create ${shown}: ${dir} is a file, not a directory`, 'set SEGSYNC_DB to a file in a writable directory (default ./data/segsync.db)');
  }
  if (!writable(dir)) {
    return fail('store', `cannot create ${shown}: ${dir} is not writable`, `set SEGSYNC_DB to a file in a writable directory, or give this user write access to ${dir}`);
  }
  return ok('store', `${shown} does not exist yet: the first command creates it (${dir} is writable) at schema v${LATEST}, in WAL mode`);
}

export function checkStore(path: string): StoreResult {
  const shown = shownPath(path);
  if (!existsSync(path)) return { checks: [creatable(path)], segments: undefined };
  if (statSync(path).isDirectory()) {
    return { checks: [fail('store', `${shown} is a directory`, 'set SEGSYNC_DB to a file path, like ./data/segsync.db')], segments: undefined };
  }
  const checks: Check[] = [];
  const dir = dirname(resolve(path));
  if (!writable(path) || !writable(dir)) {
    const what = !writable(path) ? `${shown} is read-only` : `${dir} is not writable (SQLite keeps its -wal and -shm files beside the store)`;
    checks.push(fail('store', `${what}; every command writes to the store`, `give this user write access to ${!writable(path) ? shown : dir}, or set SEGSYNC_DB elsewhere`));
  }
  let db: Database.Database;
  try {
    db = openReadOnly(path);
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
  } catch (error) {
    checks.push(fail('store', `${shown} does not open as a SQLite database: ${(error as Error).message}`, 'set SEGSYNC_DB to segsync\'s store, or move that file away so segsync creates a new one'));
    return { checks, segments: undefined };
  }
  try {
    if (checks.length === 0) checks.push(ok('store', `${shown} opens (${(statSync(path).size / 1024 / 1024).toFixed(1)} MB), and it and its directory are writable`));
    const hasTable = (name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    const version = hasTable('schema_migrations')
      ? ((db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0)
      : 0;
    if (version === LATEST) checks.push(ok('store schema', `schema v${version} (current)`));
    else if (version < LATEST) checks.push(ok('store schema', `schema v${version}; the next command migrates it to v${LATEST} (ordered migrations, each in its own transaction)`));
    else {
      checks.push(fail('store schema', `schema v${version} was written by a newer segsync (this one knows up to v${LATEST})`, 'upgrade segsync; the store is left as it is'));
    }
    const wal = existsSync(`${path}-wal`) || headerSaysWal(path);
    checks.push(wal ? ok('store WAL', 'journal mode WAL') : warn('store WAL', 'the store is not in WAL mode', 'nothing to do: the next segsync command switches it to WAL'));
    if (hasTable('quarantine')) {
      const rows = db.prepare('SELECT platform, COUNT(*) AS n FROM quarantine GROUP BY platform ORDER BY platform').all() as Array<{ platform: string; n: number }>;
      const total = rows.reduce((n, r) => n + r.n, 0);
      checks.push(
        total === 0
          ? ok('store quarantine', 'no quarantined records')
          : warn(
            'store quarantine',
            `${total.toLocaleString('en-US')} record${total === 1 ? '' : 's'} in quarantine (${rows.map((r) => `${r.platform} ${r.n.toLocaleString('en-US')}`).join(', ')})`,
            'run `segsync status` for the reasons; fix the records on the platform (or the mapping) and pull again',
          ),
      );
    }
    const sources = hasTable('contacts') && hasTable('purchases')
      ? (db.prepare('SELECT platform FROM contacts UNION SELECT platform FROM purchases ORDER BY 1').all() as Array<{ platform: string }>).map((r) => r.platform)
      : [];
    return { checks, segments: latestSegments(db, hasTable('segmentation_runs') && hasTable('segments')), sources };
  } finally {
    db.close();
  }
}

/** What a push would write: the segments of the latest run (personas included). */
function latestSegments(db: Database.Database, tables: boolean): SegmentDefinition[] | undefined {
  if (!tables) return undefined;
  try {
    const keys = currentSegmentKeys(db);
    if (!keys) return undefined;
    return listSegments(db).filter((s) => keys.has(s.key));
  } catch {
    return undefined;
  }
}
