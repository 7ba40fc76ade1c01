import { beforeEach, describe, expect, it } from 'vitest';
import type { JsonValue, Source, SourcePage, SourceStream } from '../../src/domain/connector.js';
import type { ContactRecord, PurchaseRecord, QuarantinedRecord } from '../../src/domain/records.js';
import { MassDeletionError } from '../../src/pipeline/gone-sweep.js';
import { pullSource } from '../../src/pipeline/pull.js';
import { purgeExpired } from '../../src/pipeline/retention.js';
import { StreamCursors } from '../../src/store/cursors.js';
import { openStore, type Db } from '../../src/store/db.js';
import { Quarantine } from '../../src/store/quarantine.js';
import { SourceRecords } from '../../src/store/source-records.js';

const signal = new AbortController().signal;
const AT = '2026-05-01T00:00:00.000Z';

function contact(externalId: string, archived = false): ContactRecord {
  return {
    platform: 'hubspot', externalId, email: `${externalId}@example.org`, phone: null, firstName: 'Ada', lastName: `L${externalId}`, country: null, city: null,
    createdAt: null, updatedAt: '2026-01-01T00:00:00.000Z', emailConsent: 'subscribed', archived, mergedInto: null, mergedFrom: [], attributes: {}, raw: { id: externalId },
  };
}

function purchase(externalId: string, contactId: string): PurchaseRecord {
  return {
    platform: 'hubspot', externalId, contactExternalIds: [contactId], amount: 10, currency: 'USD', occurredAt: '2026-01-01T00:00:00.000Z', status: 'won',
    archived: false, updatedAt: '2026-01-01T00:00:00.000Z', raw: { id: externalId },
  };
}

const ids = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
const page = (p: Partial<SourcePage>): SourcePage => ({ contacts: [], purchases: [], quarantined: [], received: 0, cursor: { at: 'end' }, ...p });
const bad = (externalId: string | null): QuarantinedRecord => ({ platform: 'hubspot', stream: 'contacts', externalId, reason: 'email: not an address', kind: 'invalid-email', raw: {} });

/** A one-stream source whose read yields these pages (then throws `failWith`, when given). */
function source(pages: SourcePage[], options: { complete?: boolean; failWith?: Error; name?: 'contacts' | 'purchases' } = {}): Source {
  const stream: SourceStream = {
    name: options.name ?? 'contacts',
    ...(options.complete === false ? {} : { fullReadIsComplete: true }),
    async *read(_cursor: JsonValue | undefined) {
      for (const p of pages) yield p;
      if (options.failWith) throw options.failWith;
    },
  };
  return { streams: [stream] };
}

describe('a complete full read marks what the platform no longer has gone', () => {
  let db: Db;
  const state = (id: string) => db.prepare("SELECT archived, archived_at IS NOT NULL AS dated FROM contacts WHERE platform = 'hubspot' AND external_id = ?").get(id);
  const archivedIds = () => (db.prepare("SELECT external_id AS id FROM contacts WHERE archived = 1 ORDER BY external_id").all() as Array<{ id: string }>).map((r) => r.id);

  beforeEach(() => {
    db = openStore(':memory:');
    // 30 live contacts, one already archived, one quarantined (stored valid before).
    new SourceRecords(db).upsertContacts([...ids(30).map((id) => contact(id)), contact('old', true)], AT);
    new Quarantine(db).add([bad('c30'), bad('q-only')], AT);
  });

  it('marks the stored records it did not yield archived, dated, in one go; a quarantined record is still on the platform', async () => {
    const read = page({ contacts: ids(28).map((id) => contact(id)), quarantined: [bad('c30')], received: 29 });
    const [summary] = await pullSource({ db, platform: 'hubspot', source: source([read]), full: true, signal });
    expect(summary!.gone).toBe(1);
    expect(state('c29')).toEqual({ archived: 1, dated: 1 });
    expect(state('c30')).toEqual({ archived: 0, dated: 0 });
    expect(archivedIds()).toEqual(['c29', 'old']);
    // The quarantined record the read did not meet is "not found" (retention deletes it later).
    const missing = db.prepare('SELECT external_id AS id FROM quarantine WHERE missing_since IS NOT NULL').all();
    expect(missing).toEqual([{ id: 'q-only' }]);
  });

  it('a record marked gone that the platform sends again is live again, and retention keeps it', async () => {
    await pullSource({ db, platform: 'hubspot', source: source([page({ contacts: ids(29).map((id) => contact(id)), quarantined: [bad('c30')] })]), full: true, signal });
    expect(state('c29')).toEqual({ archived: 0, dated: 0 });
    await pullSource({ db, platform: 'hubspot', source: source([page({ contacts: ids(28).map((id) => contact(id)), quarantined: [bad('c30')] })]), full: true, signal });
    expect(state('c29')).toEqual({ archived: 1, dated: 1 });
    const [summary] = await pullSource({ db, platform: 'hubspot', source: source([page({ contacts: ids(29).map((id) => contact(id)), quarantined: [bad('c30')] })]), full: true, signal });
    expect(summary).toMatchObject({ changedIds: expect.arrayContaining(['c29']) });
    purgeExpired(db, { retentionDays: 0 });
    expect(db.prepare("SELECT archived, archived_at, email FROM contacts WHERE external_id = 'c29'").get()).toEqual({ archived: 0, archived_at: null, email: 'c29@example.org' });
  });

  it('marks nothing after an incremental read, a read that failed or was stopped, a source that is never complete, or a page that sees only part of the platform', async () => {
    const some = page({ contacts: ids(5).map((id) => contact(id)) });
    new StreamCursors(db).set('hubspot', 'contacts', { at: 'before' }, AT);
    await pullSource({ db, platform: 'hubspot', source: source([some]), full: false, signal });
    await expect(pullSource({ db, platform: 'hubspot', source: source([some], { failWith: new Error('connection reset') }), full: true, signal })).rejects.toThrow('connection reset');
    const stop = new AbortController();
    stop.abort();
    await pullSource({ db, platform: 'hubspot', source: source([some]), full: true, signal: stop.signal }).catch(() => undefined);
    await pullSource({ db, platform: 'csv', source: source([{ ...some, contacts: some.contacts.map((c) => ({ ...c, platform: 'csv' })) }], { complete: false }), full: true, signal });
    await pullSource({ db, platform: 'hubspot', source: source([{ ...some, partialView: 'Shopify shows only the last 60 days of orders' }]), full: true, signal });
    expect(archivedIds()).toEqual(['old']);
  });

  it('a quarantined record without an id could be any stored record: nothing is marked, and the pull says why', async () => {
    const read = page({ contacts: ids(20).map((id) => contact(id)), quarantined: [bad(null)] });
    const [summary] = await pullSource({ db, platform: 'hubspot', source: source([read]), full: true, signal });
    expect(summary!.gone).toBeUndefined();
    expect(summary!.warnings).toEqual([expect.stringMatching(/1 record without an id went to quarantine: .* marked none deleted/)]);
    expect(archivedIds()).toEqual(['old']);
  });

  it('the mass-deletion guard: a platform answering an empty list archives nobody and the pull fails saying why; --allow-mass-deletion marks them', async () => {
    const empty = source([page({})]);
    const error = await pullSource({ db, platform: 'hubspot', source: empty, full: true, signal }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MassDeletionError);
    expect((error as Error).message).toMatch(/hubspot contacts: pull stopped: the full read did not find 30 of the 30 stored records \(100%.*more than 20%.*none was marked deleted/s);
    expect((error as Error).message).toMatch(/segsync pull --full --allow-mass-deletion/);
    expect(archivedIds()).toEqual(['old']);
    // 10 of 30 (33%) is over the share too; the threshold is the workspace's.
    const most = source([page({ contacts: ids(19).map((id) => contact(id)), quarantined: [bad('c30')] })]);
    await expect(pullSource({ db, platform: 'hubspot', source: most, full: true, signal })).rejects.toThrow(MassDeletionError);
    const [allowed] = await pullSource({ db, platform: 'hubspot', source: most, full: true, signal, massDeletion: { allow: false, threshold: 0.5 } });
    expect(allowed!.gone).toBe(10);
    const [all] = await pullSource({ db, platform: 'hubspot', source: empty, full: true, signal, massDeletion: { allow: true, threshold: 0.2 } });
    expect(all!.gone).toBe(20);
    expect(archivedIds()).toHaveLength(31);
  });

  it('a few records gone at once are below the guard\'s minimum (10), whatever their share', async () => {
    const small = openStore(':memory:');
    new SourceRecords(small).upsertContacts(ids(4).map((id) => contact(id)), AT);
    const [summary] = await pullSource({ db: small, platform: 'hubspot', source: source([page({ contacts: [contact('c1')] })]), full: true, signal });
    expect(summary!.gone).toBe(3);
  });

  it('purchases too: a deal or order the platform no longer has is archived (retention deletes it)', async () => {
    new SourceRecords(db).upsertPurchases(ids(12, 'd').map((id) => purchase(id, 'c1')), AT);
    const [summary] = await pullSource({ db, platform: 'hubspot', source: source([page({ purchases: ids(11, 'd').map((id) => purchase(id, 'c1')) })], { name: 'purchases' }), full: true, signal });
    expect(summary!.gone).toBe(1);
    expect(db.prepare("SELECT archived FROM purchases WHERE external_id = 'd12'").get()).toEqual({ archived: 1 });
    expect(purgeExpired(db, { retentionDays: 0 }).purchases).toBe(1);
  });
});
