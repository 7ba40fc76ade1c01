import Database from 'better-sqlite3';
import { accessSync, chmodSync, closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { inspectStoreFile, readSchemaVersion, SEGSYNC_APPLICATION_ID, type StoreFile } from './store-file.js';

export type Db = Database.Database;

/**
 * How a command may use the store:
 * - `create`: pull, import, sync (and the scheduler, the demo): creates a missing store (and its
 *   folders), initialises an empty file, migrates.
 * - `write`: segment, push: the store must exist already; migrates.
 * - `read`: status, runs, explain, report, duplicates: a read-only connection; changes nothing,
 *   not even the schema version.
 */
export type StoreMode = 'create' | 'write' | 'read';

/** The store holds every person's personal data: readable by its owner only. */
export const STORE_FILE_MODE = 0o600;
export const STORE_DIR_MODE = 0o700;

const LATEST = MIGRATIONS.at(-1)?.version ?? 0;
const WRITING_COMMANDS = 'segsync pull, import or sync';

/**
 * Opens the store for `mode` (default `create`), in WAL mode, migrated to the latest schema
 * unless read-only. A file that is not segsync's store is refused before anything touches it.
 */
export function openStore(path: string, mode: StoreMode = 'create'): Db {
  if (path === ':memory:') return initialise(new Database(path), path, true);
  let file: StoreFile;
  try {
    file = inspectStoreFile(path);
  } catch (error) {
    throw storeError(path, error, 'read');
  }
  switch (file.kind) {
    case 'directory':
      throw new ConfigError(`${path} is a directory, not a store: set SEGSYNC_DB to a file path, like ./data/segsync.db`);
    case 'not-sqlite':
      throw new ConfigError(
        `${path} is not a segsync store: it is not a SQLite database (file is not a database) and was left as it is. ` +
          `Set SEGSYNC_DB to your segsync store, or move that file away so that ${WRITING_COMMANDS} creates a new store there.`,
      );
    case 'foreign': {
      const tables = file.tables.length === 0 ? 'no tables' : `tables ${file.tables.slice(0, 5).join(', ')}${file.tables.length > 5 ? ', …' : ''}`;
      throw new ConfigError(
        `${path} is a SQLite database of another application (application_id ${file.applicationId}, ${tables}), not a segsync store; it was left as it is. ` +
          `Set SEGSYNC_DB to your segsync store (default ./data/segsync.db), or to a new path where ${WRITING_COMMANDS} creates one.`,
      );
    }
    case 'missing':
    case 'empty':
      if (mode !== 'create') {
        const what = file.kind === 'missing' ? 'there is no segsync store at' : 'the store file is empty:';
        throw new ConfigError(
          `${what} ${path}. Run ${WRITING_COMMANDS} first (it creates the store), or set SEGSYNC_DB to your store` +
            `${file.kind === 'missing' ? ' if it is elsewhere (is the path mistyped?)' : ''}.`,
        );
      }
      return create(path, file.kind === 'missing');
    case 'legacy':
    case 'segsync':
      return mode === 'read' ? openReadOnly(path) : openWritable(path, file.kind === 'legacy');
  }
}

function create(path: string, missing: boolean): Db {
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true, mode: STORE_DIR_MODE });
    if (missing) closeSync(openSync(path, 'wx', STORE_FILE_MODE));
    else chmodSync(path, STORE_FILE_MODE);
  } catch (error) {
    throw storeError(path, error, 'create');
  }
  // SQLite gives the -wal and -shm files the store's own mode.
  return connect(path, (db) => initialise(db, path, true));
}

function openWritable(path: string, stamp: boolean): Db {
  for (const [target, what] of [[path, path], [dirname(resolve(path)), `${dirname(resolve(path))} (SQLite keeps the -wal and -shm files beside the store)`]] as const) {
    try {
      accessSync(target, constants.W_OK);
    } catch {
      throw new ConfigError(`the store ${path} cannot be written (readonly database): ${what} is not writable by this user. Give this user write access to it, or run segsync as the store's owner.`);
    }
  }
  return connect(path, (db) => initialise(db, path, stamp));
}

function openReadOnly(path: string): Db {
  return connect(path, (db) => {
    const version = readSchemaVersion(db);
    if (version > LATEST) throw newerSchema(path, version);
    if (version < LATEST) {
      throw new ConfigError(
        `the store ${path} is at schema v${version}; this segsync reads v${LATEST}. Run any writing command once (segsync pull, segment or push) to upgrade it; ` +
          'this command only reads, so it left the store as it is.',
      );
    }
    return db;
  }, { readonly: true });
}

function initialise(db: Db, path: string, stamp: boolean): Db {
  // First, in a new file: a crash after this still leaves a file segsync knows as its own.
  if (stamp) db.pragma(`application_id = ${SEGSYNC_APPLICATION_ID}`);
  db.pragma('journal_mode = WAL');
  // NORMAL is durable in WAL mode except for the last transactions on power loss, never corrupt.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  try {
    migrate(db);
  } catch (error) {
    if (error instanceof Error && /newer than this segsync knows/.test(error.message)) throw newerSchema(path, readSchemaVersion(db));
    throw error;
  }
  return db;
}

function newerSchema(path: string, version: number): ConfigError {
  return new ConfigError(`the store ${path} is at schema version ${version}, newer than this segsync knows (${LATEST}). Upgrade segsync; the store was not changed.`);
}

function connect(path: string, setup: (db: Db) => Db, options: { readonly?: boolean } = {}): Db {
  let db: Db | undefined;
  try {
    db = new Database(path, { fileMustExist: true, timeout: 5_000, ...(options.readonly ? { readonly: true } : {}) });
    return setup(db);
  } catch (error) {
    db?.close();
    throw error instanceof ConfigError ? error : storeError(path, error, options.readonly ? 'read' : 'write');
  }
}

/** better-sqlite3's and the file system's errors at open, with the store's path and what to do. */
export function storeError(path: string, error: unknown, doing: 'create' | 'read' | 'write'): Error {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const dir = dirname(resolve(path));
  // better-sqlite3 checks the folder itself before SQLite would say SQLITE_CANTOPEN.
  if (code === undefined && /directory does not exist/.test(message)) return storeError(path, Object.assign(new Error(message), { code: 'SQLITE_CANTOPEN' }), doing);
  if (typeof code !== 'string') return error instanceof Error ? error : new Error(message);
  if (code.startsWith('SQLITE_NOTADB')) {
    return new ConfigError(`${path} is not a segsync store (file is not a database): set SEGSYNC_DB to your store, or move that file away so that ${WRITING_COMMANDS} creates a new one.`);
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new ConfigError(
      `the store ${path} cannot be ${doing === 'read' ? 'read' : 'written'} (${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : 'readonly database'}): ` +
        `give this user ${doing === 'read' ? 'read' : 'write'} access to ${path} and to ${dir} (SQLite keeps the -wal and -shm files beside the store), or run segsync as the store's owner.`,
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new ConfigError(
      `the store ${path} cannot be opened (unable to open database file): check that ${dir} exists and that this user may ${doing === 'read' ? 'read' : 'write'} the store and its folder ` +
        '(reading a WAL store needs its -wal and -shm files, or a writable folder to create them in).',
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new Error(`the store ${path} is locked by another process (database is locked) for longer than 5 s: a long pull or the scheduler is writing. Run this again when it has finished.`);
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new Error(`the store ${path} is damaged (${message}): restore it from a backup, or move it away and pull again to rebuild it.`);
  }
  return error instanceof Error ? error : new Error(message);
}

export const nowIso = (ms: number = Date.now()): string => new Date(ms).toISOString();
