import type Database from 'better-sqlite3';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SegmentDefinition } from '../domain/segments.js';
import { MIGRATIONS } from '../store/migrations.js';
import { headerSaysWal, inspectStoreFile, openSnapshot } from '../store/store-file.js';
import { currentSegmentKeys, listSegments } from '../store/segmentation-runs.js';
import { storedPurchaseCurrencies } from '../pipeline/currency.js';
import { fail, ok, warn, type Check } from './check.js';
import { shownPath } from './config.js';

const LATEST = MIGRATIONS.at(-1)?.version ?? 0;

export interface StoreResult {
  checks: Check[];
  /** The latest segmentation run's segments (with personas), when the store has one. */
  segments: SegmentDefinition[] | undefined;
  /** Platforms the store holds contacts or purchases of (API platforms and file imports). */
  sources?: string[];
  /** Currencies of the won purchases segmentation adds up (see src/pipeline/currency.ts). */
  currencies?: string[];
}

const writable = (path: string): boolean => {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

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
  return ok('store', `${shown} does not exist yet: the first pull, import or sync creates it (${dir} is writable) at schema v${LATEST}, in WAL mode, readable by its owner only`);
}

export function checkStore(path: string): StoreResult {
  const shown = shownPath(path);
  if (!existsSync(path)) return { checks: [creatable(path)], segments: undefined };
  if (statSync(path).isDirectory()) {
    return { checks: [fail('store', `${shown} is a directory`, 'set SEGSYNC_DB to a file path, like ./data/segsync.db')], segments: undefined };
  }
  const file = inspectStoreFile(path);
  if (file.kind === 'foreign' || file.kind === 'not-sqlite') {
    const what = file.kind === 'foreign'
      ? `a SQLite database of another application (application_id ${file.applicationId}${file.tables.length > 0 ? `, tables ${file.tables.slice(0, 5).join(', ')}` : ''})`
      : 'not a SQLite database';
    return { checks: [fail('store', `${shown} is ${what}, not a segsync store; segsync refuses to open it and leaves it as it is`, 'set SEGSYNC_DB to your segsync store, or to a new path where the first pull creates one')], segments: undefined };
  }
  const checks: Check[] = [];
  if (file.kind === 'empty') {
    checks.push(ok('store', `${shown} is an empty file: the first pull, import or sync makes it the store`));
    checks.push(...checkFileModes(path));
    return { checks, segments: undefined };
  }
  const dir = dirname(resolve(path));
  if (!writable(path) || !writable(dir)) {
    const what = !writable(path) ? `${shown} is read-only` : `${dir} is not writable (SQLite keeps its -wal and -shm files beside the store)`;
    checks.push(fail('store', `${what}; pull, segment, push and every other writing command need to write there`, `give this user write access to ${!writable(path) ? shown : dir}, or set SEGSYNC_DB elsewhere`));
  }
  let db: Database.Database;
  try {
    db = openSnapshot(path);
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
    else if (version < LATEST) {
      checks.push(warn('store schema', `schema v${version}; this segsync reads v${LATEST}, so read-only commands (status, runs, explain, report, duplicates) refuse it until it is upgraded`, `run any writing command once (segsync pull, segment or push): it migrates the store to v${LATEST} (ordered migrations, each in its own transaction)`));
    }
    else {
      checks.push(fail('store schema', `schema v${version} was written by a newer segsync (this one knows up to v${LATEST})`, 'upgrade segsync; the store is left as it is'));
    }
    if (file.kind === 'legacy') checks.push(ok('store mark', 'made by an earlier segsync (no application_id yet): the next writing command marks it as a segsync store'));
    checks.push(...checkFileModes(path));
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
    const currencies = hasTable('purchases') ? storedPurchaseCurrencies(db) : undefined;
    return { checks, segments: latestSegments(db, hasTable('segmentation_runs') && hasTable('segments')), sources, ...(currencies ? { currencies } : {}) };
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

/**
 * The store and its -wal and -shm files hold every person's personal data: anything beyond the
 * owner's read and write is flagged with the chmod that fixes it.
 */
function checkFileModes(path: string): Check[] {
  if (process.platform === 'win32') return [];
  const loose = ['', '-wal', '-shm']
    .map((suffix) => `${path}${suffix}`)
    .filter((file) => existsSync(file) && (statSync(file).mode & 0o077) !== 0)
    .map((file) => ({ file, mode: (statSync(file).mode & 0o777).toString(8).padStart(4, '0') }));
  if (loose.length === 0) return [ok('store permissions', 'the store and its -wal/-shm files are readable by their owner only')];
  return [warn(
    'store permissions',
    `${loose.map((l) => `${shownPath(l.file)} is ${l.mode}`).join(', ')}: other users of this machine can read every person's personal data in it`,
    `chmod 600 ${loose.map((l) => shellQuote(l.file)).join(' ')}`,
  )];
}

const shellQuote = (path: string): string => (/^[\w./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`);
