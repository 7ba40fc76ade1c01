import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { ReadContext, Source, SourcePage } from '../../src/domain/connector.js';
import type { ContactRecord, QuarantinedRecord } from '../../src/domain/records.js';
import type { QuarantineKind } from '../../src/domain/quarantine-kinds.js';
import { refetchDelayMs } from '../../src/domain/quarantine-kinds.js';
import { pullSource } from '../../src/pipeline/pull.js';
import { openStore } from '../../src/store/db.js';
import { MIGRATIONS, migrate } from '../../src/store/migrations.js';

const signal = new AbortController().signal;
const HOUR = 3_600_000;

function contact(id: string): ContactRecord {
  return {
    platform: 'test', externalId: id, email: `${id}@example.org`, phone: null, firstName: null, lastName: null, country: null, city: null,
    createdAt: null, updatedAt: '2026-01-01T00:00:00.000Z', emailConsent: 'unknown', archived: false, mergedInto: null, mergedFrom: [],
    attributes: {}, raw: { id },
  };
}

const bad = (id: string, kind: QuarantineKind): QuarantinedRecord => ({ platform: 'test', stream: 'contacts', externalId: id, reason: `${kind} problem`, kind, raw: { id } });

function page(records: Array<ContactRecord | QuarantinedRecord>): SourcePage {
  return {
    contacts: records.filter((r): r is ContactRecord => 'email' in r),
    purchases: [],
    quarantined: records.filter((r): r is QuarantinedRecord => 'reason' in r),
    received: records.length,
    cursor: { at: 1 },
  };
}

/** A platform whose stream read serves `changed`, and whose read by id serves `byId` (absent ids: deleted). */
function platform() {
  const state = {
    changed: [] as Array<ContactRecord | QuarantinedRecord>,
    byId: new Map<string, ContactRecord | QuarantinedRecord>(),
    failById: false,
    asked: [] as string[][],
  };
  const source: Source = {
    streams: [{
      name: 'contacts',
      async *read(_cursor: unknown, _context: ReadContext) {
        yield page(state.changed);
      },
      async *refetch(ids: readonly string[]) {
        state.asked.push([...ids]);
        if (state.failById) throw new Error('503 from the platform');
        yield page(ids.flatMap((id) => (state.byId.has(id) ? [state.byId.get(id)!] : [])));
      },
    }],
  };
  return { state, source };
}

const rows = (db: Database.Database) =>
  db.prepare('SELECT external_id AS id, kind, refetch_after AS after, refetch_attempts AS attempts, missing_since AS missing FROM quarantine ORDER BY external_id').all() as
    Array<{ id: string; kind: string; after: string | null; attempts: number; missing: string | null }>;

describe('reading quarantined records again by id', () => {
  it('the next pull reads again what may pass later (not in the pull that quarantined it); data problems wait for a change', async () => {
    const db = openStore(':memory:');
    const { state, source } = platform();
    state.changed = [bad('a', 'malformed'), bad('b', 'invalid-email'), bad('c', 'no-contact'), contact('d')];
    const [first] = await pullSource({ db, platform: 'test', source, full: false, signal });
    expect(state.asked).toEqual([]);
    expect(first!.refetched).toBeUndefined();
    expect(rows(db).map((r) => [r.id, r.kind, r.after !== null])).toEqual([['a', 'malformed', true], ['b', 'invalid-email', false], ['c', 'no-contact', true]]);

    state.changed = [];
    state.byId.set('a', contact('a')).set('b', contact('b')).set('c', bad('c', 'no-contact'));
    const before = Date.now();
    const [second] = await pullSource({ db, platform: 'test', source, full: false, signal });
    expect(state.asked).toEqual([['a', 'c']]);
    expect(second!.refetched).toEqual({ asked: 2, stored: 1, quarantined: 1, missing: 0 });
    expect(db.prepare("SELECT email FROM contacts WHERE external_id = 'a'").get()).toEqual({ email: 'a@example.org' });
    // c failed again: the next read waits an hour; b waits for the platform to change it.
    const c = rows(db).find((r) => r.id === 'c')!;
    expect(c.attempts).toBe(1);
    expect(Date.parse(c.after!) - before).toBeGreaterThanOrEqual(HOUR - 1000);
    expect(rows(db).map((r) => r.id)).toEqual(['b', 'c']);

    await pullSource({ db, platform: 'test', source, full: false, signal });
    expect(state.asked).toHaveLength(1);
  });

  it('a due record the read meets anyway is not asked for again; one the platform no longer has is marked, not read again', async () => {
    const db = openStore(':memory:');
    const { state, source } = platform();
    state.changed = [bad('a', 'malformed'), bad('b', 'malformed')];
    await pullSource({ db, platform: 'test', source, full: false, signal });
    state.changed = [contact('a')];
    const [second] = await pullSource({ db, platform: 'test', source, full: false, signal });
    expect(state.asked).toEqual([['b']]);
    expect(second!.refetched).toEqual({ asked: 1, stored: 0, quarantined: 0, missing: 1 });
    expect(rows(db)).toEqual([{ id: 'b', kind: 'malformed', after: null, attempts: 1, missing: expect.any(String) }]);
    state.changed = [];
    await pullSource({ db, platform: 'test', source, full: false, signal });
    expect(state.asked).toHaveLength(1);
  });

  it('a failing read by id does not fail the pull: the records stay due for the next one', async () => {
    const db = openStore(':memory:');
    const { state, source } = platform();
    state.changed = [bad('a', 'malformed')];
    await pullSource({ db, platform: 'test', source, full: false, signal });
    state.changed = [contact('d')];
    state.failById = true;
    const [second] = await pullSource({ db, platform: 'test', source, full: false, signal });
    expect(second!.stored).toBe(1);
    expect(second!.refetched).toEqual({ asked: 1, stored: 0, quarantined: 0, missing: 0, error: '503 from the platform' });
    expect(rows(db)[0]).toMatchObject({ id: 'a', attempts: 0, missing: null });
    state.failById = false;
    state.byId.set('a', contact('a'));
    await pullSource({ db, platform: 'test', source, full: false, signal });
    expect(rows(db)).toEqual([]);
  });

  it('waits longer after each failed read by id: next pull, 1 h, 4 h, 16 h, then daily', () => {
    expect([0, 1, 2, 3, 4, 9].map((n) => refetchDelayMs(n) / HOUR)).toEqual([0, 1, 4, 16, 24, 24]);
  });

  it('records quarantined before the upgrade are read again once by the next pull', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.filter((m) => m.version < 9));
    db.prepare(`INSERT INTO quarantine (platform, stream, external_id, reason, raw, first_seen_at, last_seen_at)
                VALUES ('hubspot', 'contacts', '7', 'old', '{}', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
                       ('csv', 'contacts', NULL, 'old', '{}', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z')`).run();
    migrate(db);
    expect(db.prepare('SELECT external_id AS id, kind, refetch_after AS after FROM quarantine ORDER BY id').all()).toEqual([
      { id: null, kind: 'other', after: null },
      { id: '7', kind: 'other', after: '2026-01-02T00:00:00.000Z' },
    ]);
  });
});
