import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { MIGRATIONS } from './migrations.js';

/**
 * What is at a store path, found without changing anything there: segsync's stores carry
 * SQLite's `application_id` header field (offset 68), so a file of another application is told
 * apart by its first 100 bytes, before any connection could add tables or switch it to WAL.
 */
export const SEGSYNC_APPLICATION_ID = 0x53675379; // "SgSy"

export type StoreFile =
  | { kind: 'missing' }
  | { kind: 'directory' }
  /** 0 bytes (e.g. `touch`ed): a creating command may make it the store. */
  | { kind: 'empty' }
  | { kind: 'not-sqlite' }
  | { kind: 'segsync' }
  /** Made by a segsync from before application_id: its schema_migrations say so. Stamped on the next writing open. */
  | { kind: 'legacy' }
  | { kind: 'foreign'; applicationId: number; tables: string[] };

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** A closed WAL database up to this size is inspected as an in-memory copy (see openSnapshot). */
const SNAPSHOT_MAX_BYTES = 512 * 1024 * 1024;

function readHeader(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(100);
    const n = readSync(fd, header, 0, 100, 0);
    return header.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The SQLite header says WAL when its read and write versions (bytes 18 and 19) are 2. */
export function headerSaysWal(path: string): boolean {
  const header = readHeader(path);
  return header.length >= 20 && header[18] === 2 && header[19] === 2;
}

/**
 * A read-only connection that leaves nothing behind. SQLite opens a WAL database read-only only
 * by creating its -wal and -shm files (and leaves them); for a file that may be another
 * application's, a closed WAL database is read as an in-memory copy instead. With a -wal file
 * present (the database is in use, or was not closed cleanly) it is opened read-only in place:
 * its companions exist already.
 */
export function openSnapshot(path: string): Database.Database {
  if (!existsSync(`${path}-wal`) && statSync(path).size <= SNAPSHOT_MAX_BYTES) {
    const image = readFileSync(path);
    // An in-memory database cannot be in WAL mode: mark the copy as a rollback-journal file.
    if (image.length >= 20 && image[18] === 2) image[18] = image[19] = 1;
    return new Database(image, { readonly: true });
  }
  return new Database(path, { readonly: true, fileMustExist: true, timeout: 5_000 });
}

/** Whether `schema_migrations` is segsync's: its rows name segsync's migrations (newer versions are a newer segsync's). */
function hasSegsyncMigrations(db: Database.Database, tables: readonly string[]): boolean {
  if (!tables.includes('schema_migrations')) return false;
  const columns = (db.prepare("SELECT name FROM pragma_table_info('schema_migrations')").all() as Array<{ name: string }>).map((c) => c.name);
  if (!['version', 'name', 'applied_at'].every((c) => columns.includes(c))) return false;
  const rows = db.prepare('SELECT version, name FROM schema_migrations').all() as Array<{ version: number; name: string }>;
  // An older segsync stopped before its first migration: nothing else may be there.
  if (rows.length === 0) return tables.length === 1;
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  return rows.every((r) => r.version > latest || MIGRATIONS.some((m) => m.version === r.version && m.name === r.name));
}

export function inspectStoreFile(path: string): StoreFile {
  if (!existsSync(path)) return { kind: 'missing' };
  const stat = statSync(path);
  if (stat.isDirectory()) return { kind: 'directory' };
  if (stat.size === 0) return { kind: 'empty' };
  const header = readHeader(path);
  if (header.length < 100 || !header.subarray(0, 16).equals(SQLITE_MAGIC)) return { kind: 'not-sqlite' };
  const applicationId = header.readInt32BE(68);
  if (applicationId === SEGSYNC_APPLICATION_ID) return { kind: 'segsync' };
  let db: Database.Database;
  try {
    db = openSnapshot(path);
  } catch {
    return { kind: 'not-sqlite' };
  }
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
    if (applicationId === 0 && hasSegsyncMigrations(db, tables)) return { kind: 'legacy' };
    return { kind: 'foreign', applicationId, tables };
  } catch {
    return { kind: 'not-sqlite' };
  } finally {
    db.close();
  }
}

/** The schema version, without creating schema_migrations (which a read-only connection cannot). */
export function readSchemaVersion(db: Database.Database): number {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  if (!exists) return 0;
  return (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
}
