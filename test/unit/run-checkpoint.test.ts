/**
 * A recorded run's row holds the counts of what it stored from the moment it stored it (issue 12,
 * trial item 5): each pull flush writes them in its own transaction, so a run killed outright
 * (SIGKILL, before any heartbeat) still says what it stored. A file import (pullSource without
 * pull() around it) counts the same way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Source, SourcePage } from '../../src/domain/connector.js';
import type { ContactRecord } from '../../src/domain/records.js';
import { pullSource, pullTotals } from '../../src/pipeline/pull.js';
import { recorded } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { openStore, type Db } from '../../src/store/db.js';

function contact(id: number): ContactRecord {
  return {
    platform: 'csv', externalId: String(id), email: `p${id}@example.com`, phone: null, firstName: null, lastName: null, country: null, city: null,
    createdAt: null, updatedAt: '2026-01-01T00:00:00.000Z', emailConsent: 'unknown', archived: false, mergedInto: null, mergedFrom: [], attributes: {}, raw: {},
  };
}

describe('the run row follows each pull flush', () => {
  let db: Db;
  afterEach(() => db?.close());

  it('an import run\'s row counts exactly what is stored at any moment, long before its first heartbeat', async () => {
    db = openStore(':memory:');
    const session = { db, dbPath: ':memory:', connectors: [], close: () => undefined } as unknown as Session;
    const runRow = () => db.prepare('SELECT counts, heartbeat_at FROM runs ORDER BY id DESC LIMIT 1').get() as { counts: string | null; heartbeat_at: string | null };
    const storedContacts = () => (db.prepare('SELECT COUNT(*) AS n FROM contacts').get() as { n: number }).n;
    const seen: Array<{ pulled: number | null; stored: number }> = [];
    const PAGE = 2_500;
    const source: Source = {
      streams: [{
        name: 'contacts',
        async *read() {
          for (let p = 0; p < 6; p++) {
            // What a SIGKILL here would leave: the row as it is now.
            const counts = JSON.parse(runRow().counts ?? 'null') as { pulled: number } | null;
            seen.push({ pulled: counts?.pulled ?? null, stored: storedContacts() });
            const contacts = Array.from({ length: PAGE }, (_, i) => contact(p * PAGE + i + 1));
            const page: SourcePage = { contacts, purchases: [], quarantined: [], received: contacts.length, cursor: p };
            yield page;
          }
        },
      }],
    };
    const started = Date.now();
    // As `segsync import` runs it.
    await recorded(session, 'import', async () => {
      const streams = await pullSource({ db, platform: 'csv', source, full: true, signal: new AbortController().signal });
      return { streams, totals: pullTotals(streams) };
    });
    // The checks below ran before any heartbeat could (every 5 s).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen.map((s) => s.stored)).toEqual([0, 0, 5_000, 5_000, 10_000, 10_000]);
    for (const s of seen.filter((x) => x.stored > 0)) expect(s.pulled).toBe(s.stored);
    expect(JSON.parse(runRow().counts!)).toMatchObject({ pulled: 15_000 });
  });
});
