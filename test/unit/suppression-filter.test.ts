import { beforeEach, describe, expect, it } from 'vitest';
import type { SourcePage } from '../../src/domain/connector.js';
import type { ContactRecord, PurchaseRecord } from '../../src/domain/records.js';
import { suppressionFilter } from '../../src/pipeline/suppression-filter.js';
import { openStore, type Db } from '../../src/store/db.js';
import { Suppressions, emailKey, identityKey, phoneKey, purchaseKey } from '../../src/store/suppressions.js';

function contact(externalId: string, email: string | null, phone: string | null = null): ContactRecord {
  return {
    platform: 'shopify', externalId, email, phone, firstName: null, lastName: null, country: null, city: null, createdAt: null,
    updatedAt: '2026-01-01T00:00:00.000Z', emailConsent: 'unknown', archived: false, mergedInto: null, mergedFrom: [], attributes: {}, raw: {},
  };
}

function purchase(externalId: string, contactExternalIds: string[]): PurchaseRecord {
  return {
    platform: 'shopify', externalId, contactExternalIds, amount: 10, currency: 'USD', occurredAt: '2026-01-01T00:00:00.000Z', status: 'won',
    archived: false, updatedAt: '2026-01-01T00:00:00.000Z', raw: {},
  };
}

const page = (p: Partial<SourcePage>): SourcePage => ({ contacts: [], purchases: [], quarantined: [], received: 0, cursor: null, ...p });

describe('the suppression filter pulls and imports apply', () => {
  let db: Db;
  beforeEach(() => {
    db = openStore(':memory:');
  });

  it('lets everything through while nobody has been forgotten', () => {
    const read = page({ contacts: [contact('1', 'a@example.org')] });
    expect(suppressionFilter(db).apply(read)).toEqual({ page: read, suppressed: 0 });
  });

  it('drops a forgotten email however it is typed, and learns the new id so that person\'s purchases go too', () => {
    new Suppressions(db).add([emailKey('Ada@Example.org')!], '2026-01-01T00:00:00Z');
    const filter = suppressionFilter(db);
    const first = filter.apply(page({ contacts: [contact('new-id', '  ADA@example.ORG '), contact('2', 'bob@example.org')] }));
    expect(first.page.contacts.map((c) => c.externalId)).toEqual(['2']);
    const later = suppressionFilter(db).apply(page({ purchases: [purchase('o-1', ['new-id']), purchase('o-2', ['2'])] }));
    expect(later.page.purchases.map((p) => p.externalId)).toEqual(['o-2']);
    expect(later.suppressed).toBe(1);
  });

  it('matches a phone only on records without an email: a family member with their own email is kept', () => {
    new Suppressions(db).add([phoneKey('+44 7700 900123')!], '2026-01-01T00:00:00Z');
    const out = suppressionFilter(db).apply(page({ contacts: [contact('1', null, '+447700900123'), contact('2', 'kid@example.org', '+44 7700 900123')] }));
    expect(out.page.contacts.map((c) => c.externalId)).toEqual(['2']);
  });

  it('a shared purchase only loses the forgotten contact; their own purchase ids are dropped even without a contact', () => {
    new Suppressions(db).add([identityKey('shopify', '9'), purchaseKey('shopify', 'o-alone')], '2026-01-01T00:00:00Z');
    const out = suppressionFilter(db).apply(page({ purchases: [purchase('o-shared', ['9', '3']), purchase('o-alone', []), purchase('o-guest', [])] }));
    expect(out.page.purchases.map((p) => [p.externalId, p.contactExternalIds])).toEqual([['o-shared', ['3']], ['o-guest', []]]);
    expect(out.suppressed).toBe(1);
  });

  it('a forgotten person\'s own purchase id is dropped only while it names nobody alive: the same id on someone else\'s purchase is theirs', () => {
    // Anna (csv C1) owned O1 and P1; a later file reuses O1 for Bob and P1 for Carla.
    new Suppressions(db).add([identityKey('shopify', 'C1'), purchaseKey('shopify', 'O1'), purchaseKey('shopify', 'P1'), purchaseKey('shopify', 'O2')], '2026-01-01T00:00:00Z');
    const out = suppressionFilter(db).apply(page({
      purchases: [purchase('O1', ['C2']), purchase('P1', ['C3', 'C1']), purchase('O2', ['C1']), purchase('O2-copy', []), purchase('NEW1', ['C2'])],
    }));
    expect(out.page.purchases.map((p) => [p.externalId, p.contactExternalIds])).toEqual([['O1', ['C2']], ['P1', ['C3']], ['O2-copy', []], ['NEW1', ['C2']]]);
    expect(out.suppressed).toBe(1);
    // The deal a platform keeps after erasing them (no contact any more) is still dropped.
    expect(suppressionFilter(db).apply(page({ purchases: [purchase('O2', [])] })).suppressed).toBe(1);
  });

  it('drops a quarantined purchase that names a forgotten contact; one with their old purchase id that names only live contacts is kept', () => {
    new Suppressions(db).add([identityKey('hubspot', '248'), purchaseKey('hubspot', '751')], '2026-01-01T00:00:00Z');
    const deal = (externalId: string, contactExternalIds?: string[]) => ({
      platform: 'hubspot', stream: 'purchases' as const, externalId, reason: 'amount: not a number', ...(contactExternalIds ? { contactExternalIds } : {}), raw: { id: externalId },
    });
    const out = suppressionFilter(db).apply(page({
      quarantined: [deal('750', ['248']), deal('752', ['248', '300']), deal('751'), deal('751', ['300']), deal('753', ['300'])],
    }));
    expect(out.page.quarantined.map((q) => [q.externalId, q.contactExternalIds])).toEqual([['751', ['300']], ['753', ['300']]]);
    expect(out.suppressed).toBe(3);
  });

  it('drops quarantined records that name a forgotten email anywhere in their raw body', () => {
    new Suppressions(db).add([emailKey('ada@example.org')!], '2026-01-01T00:00:00Z');
    const out = suppressionFilter(db).apply(page({
      quarantined: [
        { platform: 'csv', stream: 'contacts', externalId: null, reason: 'bad date', raw: { row: { Email: 'Ada@Example.org', Date: '31/02' } } },
        { platform: 'csv', stream: 'contacts', externalId: null, reason: 'bad date', raw: { row: { Email: 'bob@example.org', Date: '31/02' } } },
      ],
    }));
    expect(out.page.quarantined).toHaveLength(1);
    expect(out.suppressed).toBe(1);
  });

  it('sees a forget committed while a pull is under way (the list is re-read when it grows)', () => {
    const filter = suppressionFilter(db);
    new Suppressions(db).add([emailKey('x@example.org')!], '2026-01-01T00:00:00Z');
    expect(filter.apply(page({ contacts: [contact('1', 'y@example.org')] })).suppressed).toBe(0);
    new Suppressions(db).add([emailKey('y@example.org')!], '2026-01-01T00:00:00Z');
    expect(filter.apply(page({ contacts: [contact('1', 'y@example.org')] })).suppressed).toBe(1);
  });
});
