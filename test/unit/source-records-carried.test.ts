import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { SourceRecords } from '../../src/store/source-records.js';
import type { ContactRecord } from '../../src/domain/records.js';

function contact(fields: Partial<ContactRecord> = {}): ContactRecord {
  return {
    platform: 'csv', externalId: 'c1', email: null, phone: null, firstName: null, lastName: null, country: null, city: null,
    createdAt: null, updatedAt: '2026-01-01T00:00:00.000Z', emailConsent: 'unknown', archived: false, mergedInto: null,
    mergedFrom: [], attributes: {}, raw: {}, ...fields,
  };
}

const FULL = contact({
  email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', country: 'GB', city: 'London', emailConsent: 'subscribed',
  createdAt: '2024-01-10T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z', attributes: { totalSpent: 120, tags: 'vip' },
});

function stored(db: ReturnType<typeof openStore>) {
  return db.prepare("SELECT email, first_name, last_name, country, city, email_consent, created_at, updated_at, attributes FROM contacts WHERE external_id = 'c1'").get() as Record<string, string | null>;
}

describe('partial contact records (ContactRecord.carried)', () => {
  it('change only the fields and attributes they carry; the rest keep their stored values', () => {
    const db = openStore(':memory:');
    const records = new SourceRecords(db);
    records.upsertContacts([FULL], 'now');
    const partial = contact({ country: 'FR', attributes: { totalSpent: 130 }, carried: { fields: ['country'], attributes: ['totalSpent'] } });
    expect(records.upsertContacts([partial], 'now').changed).toBe(1);
    expect(stored(db)).toMatchObject({
      email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', country: 'FR', city: 'London', email_consent: 'subscribed',
      created_at: '2024-01-10T00:00:00.000Z', updated_at: '2026-02-01T00:00:00.000Z',
    });
    expect(JSON.parse(stored(db).attributes!)).toEqual({ totalSpent: 130, tags: 'vip' });
    // The hash is the merged content's: the same partial record again is no change.
    expect(records.upsertContacts([partial], 'now').changed).toBe(0);
  });

  it('clear a carried field whose value is empty', () => {
    const db = openStore(':memory:');
    const records = new SourceRecords(db);
    records.upsertContacts([FULL], 'now');
    records.upsertContacts([contact({ carried: { fields: ['city', 'email'], attributes: ['tags'] }, email: 'ada@example.com', attributes: { tags: null } })], 'now');
    expect(stored(db)).toMatchObject({ email: 'ada@example.com', city: null, first_name: 'Ada' });
    expect(JSON.parse(stored(db).attributes!)).toEqual({ totalSpent: 120, tags: null });
  });

  it('a record without carried (an API source) replaces every field, as before', () => {
    const db = openStore(':memory:');
    const records = new SourceRecords(db);
    records.upsertContacts([FULL], 'now');
    records.upsertContacts([contact({ email: 'ada@example.com', updatedAt: '2026-01-01T00:00:00.000Z' })], 'now');
    expect(stored(db)).toMatchObject({ email: 'ada@example.com', first_name: null, country: null, email_consent: 'unknown', updated_at: '2026-01-01T00:00:00.000Z' });
    expect(JSON.parse(stored(db).attributes!)).toEqual({});
  });
});
