import { afterEach, describe, expect, it } from 'vitest';
import type { JsonValue, Source, SourcePage } from '../../src/domain/connector.js';
import type { ContactRecord } from '../../src/domain/records.js';
import { BlankingError, blankingViolations } from '../../src/pipeline/blanking-guard.js';
import { pullSource } from '../../src/pipeline/pull.js';
import type { StoredContactValues } from '../../src/store/contact-values.js';
import { openStore, type Db } from '../../src/store/db.js';
import { nearestName } from '../../src/config/nearest-name.js';

function contact(id: number, over: Partial<ContactRecord> = {}): ContactRecord {
  return {
    platform: 'hubspot',
    externalId: String(id),
    email: `p${id}@example.com`,
    phone: null,
    firstName: `First${id}`,
    lastName: `Last${id}`,
    country: null,
    city: null,
    createdAt: null,
    updatedAt: '2026-01-01T00:00:00.000Z',
    emailConsent: 'subscribed',
    archived: false,
    mergedInto: null,
    mergedFrom: [],
    attributes: {},
    raw: {},
    ...over,
  };
}

const storedAs = (records: ContactRecord[]) => {
  const byId = new Map(records.map((r): [string, StoredContactValues] => [r.externalId, { email: r.email, firstName: r.firstName, lastName: r.lastName, emailConsent: r.emailConsent, archived: r.archived }]));
  return (id: string) => byId.get(id);
};

const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

describe('the blanking guard decides on a batch', () => {
  const stored = storedAs(ids(20).map((i) => contact(i)));

  it('refuses a batch that empties the stored email of most records holding one, naming a record', () => {
    const batch = ids(20).map((i) => contact(i, i <= 12 ? { email: null } : {}));
    expect(blankingViolations(batch, stored, 0.5)).toEqual([{ field: 'email', label: 'email', blanked: 12, holding: 20, exampleExternalId: '1' }]);
  });

  it('lets through half or less, and fewer than ten records whatever their share', () => {
    expect(blankingViolations(ids(20).map((i) => contact(i, i <= 10 ? { firstName: null } : {})), stored, 0.5)).toEqual([]);
    expect(blankingViolations([contact(1, { firstName: null }), contact(2, { lastName: '' })], stored, 0.5)).toEqual([]);
    expect(blankingViolations(ids(9).map((i) => contact(i, { email: null, firstName: null, lastName: null })), stored, 0.5)).toEqual([]);
  });

  it('counts consent only when a stored subscribed/unsubscribed becomes unknown', () => {
    const unknownBefore = storedAs(ids(20).map((i) => contact(i, { emailConsent: 'unknown' })));
    const batch = ids(20).map((i) => contact(i, { emailConsent: 'unknown' }));
    expect(blankingViolations(batch, unknownBefore, 0.5)).toEqual([]);
    expect(blankingViolations(batch, stored, 0.5).map((v) => v.field)).toEqual(['emailConsent']);
  });

  it('ignores deletions, new records, and fields a partial record does not carry', () => {
    expect(blankingViolations(ids(20).map((i) => contact(i, { email: null, archived: true })), stored, 0.5)).toEqual([]);
    expect(blankingViolations(ids(20, 100).map((i) => contact(i, { email: null })), stored, 0.5)).toEqual([]);
    const partial = ids(20).map((i) => contact(i, { email: null, firstName: null, carried: { fields: ['firstName'], attributes: [] } }));
    expect(blankingViolations(partial, stored, 0.5).map((v) => v.field)).toEqual(['firstName']);
  });

  it('follows the configured share, and reads a record sent twice in a batch by its last version', () => {
    const batch = ids(20).map((i) => contact(i, i <= 12 ? { email: null } : {}));
    expect(blankingViolations(batch, stored, 0.7)).toEqual([]);
    expect(blankingViolations(batch, stored, 0)).toHaveLength(1);
    expect(blankingViolations([...batch, ...ids(12).map((i) => contact(i))], stored, 0.5)).toEqual([]);
  });
});

describe('pullSource with the blanking guard', () => {
  let db: Db;
  afterEach(() => db?.close());

  /** A source of one contacts stream yielding these pages, pausing before each page as told. */
  function source(pages: Array<{ contacts: ContactRecord[]; cursor: JsonValue; pauseMs?: number }>): Source {
    return {
      streams: [{
        name: 'contacts',
        async *read() {
          for (const p of pages) {
            if (p.pauseMs) await new Promise((r) => setTimeout(r, p.pauseMs));
            const page: SourcePage = { contacts: p.contacts, purchases: [], quarantined: [], received: p.contacts.length, cursor: p.cursor };
            yield page;
          }
        },
      }],
    };
  }
  const run = (s: Source, allow = false) => pullSource({ db, platform: 'hubspot', source: s, full: false, signal: new AbortController().signal, blanking: { allow, threshold: 0.5 } });
  const rows = () => db.prepare("SELECT external_id, email FROM contacts WHERE platform = 'hubspot' ORDER BY CAST(external_id AS INTEGER)").all() as Array<{ external_id: string; email: string | null }>;
  const cursor = () => (db.prepare("SELECT cursor FROM stream_cursors WHERE platform = 'hubspot' AND stream = 'contacts'").get() as { cursor: string } | undefined)?.cursor;

  it('writes nothing of a refused batch and leaves the cursor before it; --allow-blanking writes it', async () => {
    db = openStore(':memory:');
    await run(source([{ contacts: ids(30).map((i) => contact(i)), cursor: 'one' }]));
    const before = rows();
    const blank = source([{ contacts: ids(30).map((i) => contact(i, { email: null })), cursor: 'two' }]);
    const error = await run(blank).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlankingError);
    expect((error as Error).message).toContain('hubspot contacts: pull stopped');
    expect((error as Error).message).toContain('email (email): 30 of the 30 records holding one would lose it (e.g. external id 1)');
    expect(rows()).toEqual(before);
    expect(cursor()).toBe('"one"');
    await run(blank, true);
    expect(rows().every((r) => r.email === null)).toBe(true);
    expect(cursor()).toBe('"two"');
  });

  it('keeps the batches written before the refused one, and writes nothing read after it', async () => {
    db = openStore(':memory:');
    await run(source([{ contacts: ids(30).map((i) => contact(i)), cursor: 'one' }]));
    // The second page waits longer than a flush interval: the first is written on its own, by the timer.
    const pages = source([
      { contacts: [contact(31)], cursor: 'two' },
      { contacts: ids(30).map((i) => contact(i, { email: null })), cursor: 'three', pauseMs: 1_200 },
      { contacts: [contact(32)], cursor: 'four', pauseMs: 1_200 },
    ]);
    const error = await run(pages).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlankingError);
    expect(rows().map((r) => r.external_id)).toEqual(ids(31).map(String));
    expect(rows().every((r) => r.email !== null)).toBe(true);
    expect(cursor()).toBe('"two"');
  });
});

describe('nearestName', () => {
  it('suggests the likely intended name, and nothing when none is close', () => {
    expect(nearestName('emial', ['email', 'phone', 'firstname'])).toBe('email');
    expect(nearestName('Email', ['email'])).toBe('email');
    expect(nearestName('job_title', ['jobtitle', 'company'])).toBe('jobtitle');
    expect(nearestName('loyaltyTier', ['email', 'phone', 'firstname'])).toBeUndefined();
    expect(nearestName('ab', ['xy'])).toBeUndefined();
  });
});
