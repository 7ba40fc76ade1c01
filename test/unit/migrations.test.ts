import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { currentVersion, migrate, MIGRATIONS } from '../../src/store/migrations.js';

const latest = MIGRATIONS.at(-1)!.version;
const tempDb = () => join(mkdtempSync(join(tmpdir(), 'segsync-store-')), 'segsync.db');

describe('store migrations', () => {
  it('create every table on an empty store, in WAL mode', () => {
    const db = openStore(tempDb());
    expect(currentVersion(db)).toBe(latest);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name);
    for (const t of ['contacts', 'purchases', 'purchase_contacts', 'quarantine', 'stream_cursors', 'profiles', 'identities',
      'segmentation_runs', 'segments', 'memberships', 'profile_rfm', 'profile_tokens', 'destination_lists',
      'destination_list_members', 'destination_tokens', 'runs']) {
      expect(tables).toContain(t);
    }
    db.close();
  });

  it('bring an existing store up to date without losing its data', () => {
    const path = tempDb();
    const old = new Database(path);
    migrate(old, MIGRATIONS.slice(0, 1));
    old.prepare(`INSERT INTO contacts (platform, external_id, email, updated_at, email_consent, raw, content_hash, first_pulled_at, last_pulled_at)
                 VALUES ('hubspot', '51', 'a@x.com', '2024-01-01T00:00:00Z', 'unknown', '{}', 'h', 't', 't')`).run();
    old.close();
    const db = openStore(path);
    expect(currentVersion(db)).toBe(latest);
    expect(db.prepare('SELECT email FROM contacts').all()).toEqual([{ email: 'a@x.com' }]);
    db.close();
  });

  it('are applied once: reopening changes nothing', () => {
    const path = tempDb();
    openStore(path).close();
    const db = new Database(path);
    expect(migrate(db)).toEqual([]);
    db.close();
  });

  it('refuse a store written by a newer segsync, and leave it untouched', () => {
    const path = tempDb();
    const db = openStore(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
    db.close();
    expect(() => openStore(path)).toThrow(/newer than this segsync knows/);
  });

  it('roll back a failing migration whole', () => {
    const db = new Database(':memory:');
    const broken = [...MIGRATIONS, { version: latest + 1, name: 'broken', sql: 'CREATE TABLE x (a); CREATE TABLE x (a);' }];
    expect(() => migrate(db, broken)).toThrow();
    expect(currentVersion(db)).toBe(latest);
    expect(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'x'").get()).toEqual({ n: 0 });
  });
});
