import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { Profiles } from '../../src/store/profiles.js';
import { normalizePhone, SourceRecords } from '../../src/store/source-records.js';
import type { ContactRecord, PurchaseRecord } from '../../src/domain/records.js';
import { findLikelyDuplicates } from '../../src/pipeline/duplicates.js';

function contact(platform: string, externalId: string, fields: Partial<ContactRecord> = {}): ContactRecord {
  return {
    platform, externalId, email: null, phone: null, firstName: null, lastName: null, country: null, city: null,
    createdAt: null, updatedAt: '2026-01-01T00:00:00.000Z', emailConsent: 'unknown', archived: false, mergedInto: null,
    mergedFrom: [], attributes: {}, raw: {}, ...fields,
  };
}

function store() {
  const db = openStore(':memory:');
  const records = new SourceRecords(db);
  const profiles = new Profiles(db);
  const profileOf = (platform: string, id: string) =>
    (db.prepare('SELECT profile_id AS p FROM identities WHERE platform = ? AND external_id = ?').get(platform, id) as { p: number }).p;
  return { db, records, profiles, profileOf, add: (...cs: ContactRecord[]) => records.upsertContacts(cs, 'now') };
}

describe('identity resolution', () => {
  it('makes one profile of the same email typed differently on three platforms', () => {
    const s = store();
    s.add(contact('hubspot', '1', { email: 'Ada.Lovelace@Example.com' }), contact('marketo', '77', { email: ' ada.lovelace@example.com ' }),
      contact('shopify', 'gid://shopify/Customer/5', { email: 'ADA.LOVELACE@EXAMPLE.COM' }));
    s.profiles.resolve();
    expect(new Set([s.profileOf('hubspot', '1'), s.profileOf('marketo', '77'), s.profileOf('shopify', 'gid://shopify/Customer/5')]).size).toBe(1);
  });

  it('joins a contact without an email by phone, in any notation', () => {
    const s = store();
    s.add(contact('hubspot', '1', { email: 'a@x.com', phone: '+49 30 1234-5678' }));
    s.profiles.resolve();
    s.add(contact('csv', 'c9', { phone: '0049 (30) 12345678' }));
    s.profiles.resolve();
    expect(s.profileOf('csv', 'c9')).toBe(s.profileOf('hubspot', '1'));
    expect(normalizePhone('0049 (30) 12345678')).toBe('+493012345678');
  });

  it('does not merge two different emails that share a phone; it lists them as likely duplicates', () => {
    const s = store();
    s.add(contact('hubspot', '1', { email: 'a@x.com', phone: '+14155550100' }), contact('shopify', '2', { email: 'b@y.com', phone: '+1 415 555 0100' }));
    s.profiles.resolve();
    expect(s.profileOf('hubspot', '1')).not.toBe(s.profileOf('shopify', '2'));
    expect(findLikelyDuplicates(s.db).map((d) => d.reasons)).toEqual([['same_phone']]);
  });

  it('lists emails one typo apart and same name in the same city, without merging', () => {
    const s = store();
    s.add(
      contact('hubspot', '1', { email: 'jane.doe@gmail.com', firstName: 'Jane', lastName: 'Doe', city: 'Leeds' }),
      contact('shopify', '2', { email: 'jane.de@gmail.com', firstName: 'Jane', lastName: 'Doe', city: 'Leeds' }),
    );
    s.profiles.resolve();
    const pairs = findLikelyDuplicates(s.db);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]!.reasons).toEqual(['email_typo', 'same_name_and_city']);
    expect(s.profileOf('hubspot', '1')).not.toBe(s.profileOf('shopify', '2'));
  });

  it('keeps a profile when its contact gains an email, and later contacts with that email join it', () => {
    const s = store();
    s.add(contact('hubspot', '1', { phone: '+14155550199' }));
    s.profiles.resolve();
    const first = s.profileOf('hubspot', '1');
    s.add(contact('hubspot', '1', { phone: '+14155550199', email: 'late@x.com' }));
    s.add(contact('shopify', '9', { email: 'LATE@x.com' }));
    s.profiles.resolve();
    expect(s.profileOf('hubspot', '1')).toBe(first);
    expect(s.profileOf('shopify', '9')).toBe(first);
  });
});

describe('a purchase whose new version fails validation', () => {
  it('keeps its stored valid version but stops counting it', () => {
    const s = store();
    const deal: PurchaseRecord = { platform: 'hubspot', externalId: 'd1', contactExternalIds: ['1'], amount: 500, currency: 'USD',
      occurredAt: '2026-01-01T00:00:00.000Z', status: 'won', archived: false, updatedAt: '2026-01-01T00:00:00.000Z', raw: {} };
    s.records.upsertPurchases([deal], 'now');
    expect(s.records.markPurchasesInvalid('hubspot', ['d1'])).toBe(1);
    expect(s.db.prepare('SELECT amount, invalid FROM purchases').get()).toEqual({ amount: 500, invalid: 1 });
    s.records.upsertPurchases([deal], 'later');
    expect(s.db.prepare('SELECT invalid FROM purchases').get()).toEqual({ invalid: 0 });
  });
});
