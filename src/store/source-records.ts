import { createHash } from 'node:crypto';
import type { Db } from './db.js';
import { PurchaseItems } from './purchase-items.js';
import type { AttributeValue, ContactField, ContactRecord, EmailConsent, PurchaseRecord } from '../domain/records.js';

export function normalizeEmail(email: string | null): string | null {
  const trimmed = email?.trim().toLowerCase();
  return trimmed ? trimmed : null;
}

/** Digits with a leading + for international numbers; too short to identify anyone → null. */
export function normalizePhone(phone: string | null): string | null {
  if (!phone) return null;
  let p = phone.trim().replace(/[\s().\-/]/g, '');
  if (p.startsWith('00')) p = `+${p.slice(2)}`;
  if (!/^\+?\d+$/.test(p)) return null;
  return p.replace(/\D/g, '').length >= 7 ? p : null;
}

const hash = (value: unknown): string => createHash('sha1').update(JSON.stringify(value)).digest('base64url');

/**
 * The content that matters for segmentation. The platform's modification time and raw body are
 * left out so that re-reading an unchanged record (lookback windows, our own writes echoing back)
 * does not count as a change.
 */
function contactContent(c: ContactRecord): unknown {
  return [c.email, c.phone, c.firstName, c.lastName, c.country, c.city, c.createdAt, c.emailConsent,
    c.archived, c.mergedInto, c.attributes];
}

function purchaseContent(p: PurchaseRecord): unknown {
  const content = [p.amount, p.currency, p.occurredAt, p.status, p.archived, [...p.contactExternalIds].sort()];
  // Only purchases that carry items hash them: the others keep the hashes they always had.
  return p.items === undefined ? content : [...content, p.items];
}

/** A stored contact's content columns: what a partial record keeps of it. */
interface StoredContact {
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  country: string | null;
  city: string | null;
  created_at: string | null;
  updated_at: string;
  email_consent: EmailConsent;
  attributes: string;
}

const STORED_FIELD: { [F in ContactField]: keyof StoredContact } = {
  email: 'email', phone: 'phone', firstName: 'first_name', lastName: 'last_name', country: 'country', city: 'city',
  createdAt: 'created_at', emailConsent: 'email_consent',
};

/**
 * A partial record (one that says which fields it carries) laid over what the store holds: the
 * fields and attributes it does not carry keep their stored values; attributes merge key by key.
 * The modification time is the later of the two (an orders file dated before the contacts export
 * does not make the contact older).
 */
function mergeCarried(stored: StoredContact, c: ContactRecord): ContactRecord {
  const carried = c.carried;
  if (!carried) return c;
  const merged: ContactRecord = { ...c };
  const fields = new Set<ContactField>(carried.fields);
  for (const field of Object.keys(STORED_FIELD) as ContactField[]) {
    if (!fields.has(field)) (merged as unknown as Record<string, unknown>)[field] = stored[STORED_FIELD[field]];
  }
  const attributes = JSON.parse(stored.attributes) as Record<string, AttributeValue>;
  for (const name of carried.attributes) {
    if (name in c.attributes) attributes[name] = c.attributes[name]!;
    else delete attributes[name];
  }
  merged.attributes = attributes;
  if (stored.updated_at > c.updatedAt) merged.updatedAt = stored.updated_at;
  return merged;
}

export interface UpsertOutcome {
  /** New records or records whose content changed. */
  changed: number;
  changedIds: string[];
}

/** Source-record writes, prepared once per store. */
export class SourceRecords {
  private readonly selectContactHash;
  private readonly selectStoredContact;
  private readonly upsertContactStmt;
  private readonly selectPurchaseHash;
  private readonly upsertPurchaseStmt;
  private readonly deleteLinks;
  private readonly insertLink;
  private readonly items: PurchaseItems;
  private readonly markMerged;
  private readonly markInvalidStmt;

  constructor(private readonly db: Db) {
    this.items = new PurchaseItems(db);
    this.selectContactHash = db.prepare<[string, string], { content_hash: string }>(
      'SELECT content_hash FROM contacts WHERE platform = ? AND external_id = ?',
    );
    this.selectStoredContact = db.prepare<[string, string], StoredContact & { content_hash: string }>(
      `SELECT email, phone, first_name, last_name, country, city, created_at, updated_at, email_consent, attributes, content_hash
       FROM contacts WHERE platform = ? AND external_id = ?`,
    );
    this.upsertContactStmt = db.prepare(`
      INSERT INTO contacts (platform, external_id, email, email_normalized, phone, phone_normalized, first_name, last_name,
        country, city, created_at, updated_at, email_consent, archived, merged_into, attributes, raw,
        content_hash, first_pulled_at, last_pulled_at)
      VALUES (@platform, @externalId, @email, @emailNormalized, @phone, @phoneNormalized, @firstName, @lastName, @country,
        @city, @createdAt, @updatedAt, @emailConsent, @archived, @mergedInto, @attributes, @raw,
        @contentHash, @pulledAt, @pulledAt)
      ON CONFLICT (platform, external_id) DO UPDATE SET
        email = excluded.email, email_normalized = excluded.email_normalized, phone = excluded.phone,
        phone_normalized = excluded.phone_normalized,
        first_name = excluded.first_name, last_name = excluded.last_name, country = excluded.country,
        city = excluded.city, created_at = excluded.created_at, updated_at = excluded.updated_at,
        email_consent = excluded.email_consent, archived = excluded.archived,
        merged_into = COALESCE(excluded.merged_into, contacts.merged_into),
        attributes = excluded.attributes, raw = excluded.raw, content_hash = excluded.content_hash,
        last_pulled_at = excluded.last_pulled_at`);
    this.selectPurchaseHash = db.prepare<[string, string], { content_hash: string }>(
      'SELECT content_hash FROM purchases WHERE platform = ? AND external_id = ?',
    );
    this.upsertPurchaseStmt = db.prepare(`
      INSERT INTO purchases (platform, external_id, amount, currency, occurred_at, status, archived,
        updated_at, raw, content_hash, first_pulled_at, last_pulled_at)
      VALUES (@platform, @externalId, @amount, @currency, @occurredAt, @status, @archived, @updatedAt,
        @raw, @contentHash, @pulledAt, @pulledAt)
      ON CONFLICT (platform, external_id) DO UPDATE SET
        amount = excluded.amount, currency = excluded.currency, occurred_at = excluded.occurred_at,
        status = excluded.status, archived = excluded.archived, updated_at = excluded.updated_at,
        raw = excluded.raw, content_hash = excluded.content_hash, last_pulled_at = excluded.last_pulled_at,
        invalid = 0`);
    this.markInvalidStmt = db.prepare('UPDATE purchases SET invalid = 1 WHERE platform = ? AND external_id = ? AND invalid = 0');
    this.deleteLinks = db.prepare('DELETE FROM purchase_contacts WHERE platform = ? AND purchase_external_id = ?');
    this.insertLink = db.prepare(
      'INSERT OR IGNORE INTO purchase_contacts (platform, purchase_external_id, contact_external_id) VALUES (?, ?, ?)',
    );
    // A merged-away contact may never come back from the platform: record the merge from the survivor.
    this.markMerged = db.prepare(`
      UPDATE contacts SET merged_into = ?
      WHERE platform = ? AND external_id = ? AND (merged_into IS NULL OR merged_into <> ?)`);
  }

  /**
   * Call inside the page's transaction. A record with `carried` (a file that has only some of the
   * fields) changes only those: the rest keep their stored values, and the content hash is the
   * merged content's, so importing the same file again changes nothing.
   */
  upsertContacts(contacts: readonly ContactRecord[], pulledAt: string): UpsertOutcome {
    const changedIds: string[] = [];
    for (const record of contacts) {
      const stored = record.carried ? this.selectStoredContact.get(record.platform, record.externalId) : undefined;
      const before = record.carried ? stored : this.selectContactHash.get(record.platform, record.externalId);
      const c = stored ? mergeCarried(stored, record) : record;
      const contentHash = hash(contactContent(c));
      if (before?.content_hash !== contentHash) changedIds.push(c.externalId);
      this.upsertContactStmt.run({
        platform: c.platform,
        externalId: c.externalId,
        email: c.email,
        emailNormalized: normalizeEmail(c.email),
        phone: c.phone,
        phoneNormalized: normalizePhone(c.phone),
        firstName: c.firstName,
        lastName: c.lastName,
        country: c.country,
        city: c.city,
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
        emailConsent: c.emailConsent,
        archived: c.archived ? 1 : 0,
        mergedInto: c.mergedInto,
        attributes: JSON.stringify(c.attributes),
        raw: JSON.stringify(c.raw),
        contentHash,
        pulledAt,
      });
      for (const loser of c.mergedFrom) {
        if (loser !== c.externalId && this.markMerged.run(c.externalId, c.platform, loser, c.externalId).changes > 0) {
          changedIds.push(loser);
        }
      }
    }
    return { changed: changedIds.length, changedIds };
  }

  upsertPurchases(purchases: readonly PurchaseRecord[], pulledAt: string): UpsertOutcome {
    const changedIds: string[] = [];
    for (const p of purchases) {
      const contentHash = hash(purchaseContent(p));
      const before = this.selectPurchaseHash.get(p.platform, p.externalId);
      if (before?.content_hash !== contentHash) changedIds.push(p.externalId);
      this.upsertPurchaseStmt.run({
        platform: p.platform,
        externalId: p.externalId,
        amount: p.amount,
        currency: p.currency,
        occurredAt: p.occurredAt,
        status: p.status,
        archived: p.archived ? 1 : 0,
        updatedAt: p.updatedAt,
        raw: JSON.stringify(p.raw),
        contentHash,
        pulledAt,
      });
      this.deleteLinks.run(p.platform, p.externalId);
      for (const contactId of p.contactExternalIds) this.insertLink.run(p.platform, p.externalId, contactId);
      if (p.items !== undefined) this.items.replace(p.platform, p.externalId, p.items);
    }
    return { changed: changedIds.length, changedIds };
  }

  /**
   * The platform now holds an invalid version of these purchases (they went to quarantine): the
   * stored valid version is kept but stops counting until a valid version arrives.
   */
  markPurchasesInvalid(platform: string, externalIds: readonly string[]): number {
    let n = 0;
    for (const id of externalIds) n += this.markInvalidStmt.run(platform, id).changes;
    return n;
  }

  counts(): { contacts: number; purchases: number } {
    const row = this.db
      .prepare('SELECT (SELECT COUNT(*) FROM contacts) AS contacts, (SELECT COUNT(*) FROM purchases) AS purchases')
      .get() as { contacts: number; purchases: number };
    return row;
  }
}
