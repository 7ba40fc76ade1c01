import type { Db } from '../store/db.js';
import { nowIso } from '../store/db.js';

const DAY_MS = 86_400_000;

export interface PurgeSummary {
  /** Contacts whose email, phone, names, place, attributes and raw record were blanked. */
  contacts: number;
  /** Purchases deleted: archived ones, and those of people now entirely purged. */
  purchases: number;
  /** Profiles left without any contact that is not purged: their email and phone keys dropped. */
  profiles: number;
  quarantine: number;
}

/**
 * Retention of records that are gone from their platform (deleted, archived, merged away):
 * `retentionDays` after segsync first saw them gone, their personal data is purged. Runs at the
 * end of every pull and import (so in sync and the daemon too).
 *
 * Kept: the contact row's platform, id, archived/merged flags, times and consent (its identity
 * and destination state stay until the next push drops them from segsync's lists), so the
 * person's memberships history stays pseudonymous. Purged: email, phone, names, country, city,
 * attributes and the raw JSON; quarantined copies; the profile's email and phone keys once none
 * of its contacts is live; purchases archived on their platform, and the purchases of a person
 * whose every contact is purged (purchases are personal data too). Purchases of a purged contact
 * whose person is still live elsewhere keep counting for that person.
 *
 * A record the platform restores is live again: its next pull stores it whole, and the clock is
 * reset. A purged record the platform sends again still gone is purged again by the same pull.
 */
export function purgeExpired(db: Db, options: { retentionDays: number; now?: number }): PurgeSummary {
  const now = options.now ?? Date.now();
  const at = nowIso(now);
  const cutoff = nowIso(now - options.retentionDays * DAY_MS);
  const summary: PurgeSummary = { contacts: 0, purchases: 0, profiles: 0, quarantine: 0 };
  db.transaction(() => {
    // When each record was first seen gone: the pull that stored it gone (this runs after every pull).
    db.prepare('UPDATE contacts SET archived_at = MIN(last_pulled_at, ?) WHERE (archived = 1 OR merged_into IS NOT NULL) AND archived_at IS NULL').run(at);
    db.prepare('UPDATE contacts SET archived_at = NULL, purged_at = NULL WHERE archived = 0 AND merged_into IS NULL AND archived_at IS NOT NULL').run();
    db.prepare('UPDATE purchases SET archived_at = MIN(last_pulled_at, ?) WHERE archived = 1 AND archived_at IS NULL').run(at);
    db.prepare('UPDATE purchases SET archived_at = NULL WHERE archived = 0 AND archived_at IS NOT NULL').run();

    const expired = db
      .prepare(`SELECT platform, external_id FROM contacts
                WHERE archived_at IS NOT NULL AND archived_at <= ? AND (purged_at IS NULL OR last_pulled_at > purged_at)`)
      .all(cutoff) as Array<{ platform: string; external_id: string }>;
    const blank = db.prepare(`UPDATE contacts SET email = NULL, email_normalized = NULL, phone = NULL, phone_normalized = NULL,
      first_name = NULL, last_name = NULL, country = NULL, city = NULL, attributes = '{}', raw = '{}', content_hash = 'purged', purged_at = ?
      WHERE platform = ? AND external_id = ?`);
    const dropQuarantine = db.prepare('DELETE FROM quarantine WHERE platform = ? AND stream = ? AND external_id = ?');
    for (const c of expired) {
      summary.contacts += blank.run(at, c.platform, c.external_id).changes;
      summary.quarantine += dropQuarantine.run(c.platform, 'contacts', c.external_id).changes;
    }

    // People whose every contact is purged: their profile keys and their purchases go too.
    const deadProfiles = db
      .prepare(`SELECT DISTINCT i.profile_id AS id FROM identities i JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
                WHERE c.purged_at IS NOT NULL AND NOT EXISTS (
                  SELECT 1 FROM identities j JOIN contacts d ON d.platform = j.platform AND d.external_id = j.external_id
                  WHERE j.profile_id = i.profile_id AND d.purged_at IS NULL)`)
      .all() as Array<{ id: number }>;
    const clearKeys = db.prepare('UPDATE profiles SET email_key = NULL, phone_key = NULL WHERE id = ? AND (email_key IS NOT NULL OR phone_key IS NOT NULL)');
    for (const p of deadProfiles) summary.profiles += clearKeys.run(p.id).changes;
    const dead = new Set(
      (db.prepare(`SELECT c.platform, c.external_id FROM contacts c WHERE c.purged_at IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM identities i JOIN identities j ON j.profile_id = i.profile_id
          JOIN contacts d ON d.platform = j.platform AND d.external_id = j.external_id
          WHERE i.platform = c.platform AND i.external_id = c.external_id AND d.purged_at IS NULL)`)
        .all() as Array<{ platform: string; external_id: string }>).map((c) => `${c.platform}\u0000${c.external_id}`),
    );
    const linksOf = db.prepare<[string, string], { contact_external_id: string }>(
      'SELECT contact_external_id FROM purchase_contacts WHERE platform = ? AND purchase_external_id = ?',
    );
    const purchasesOf = db.prepare<[string, string], { purchase_external_id: string }>(
      'SELECT purchase_external_id FROM purchase_contacts WHERE platform = ? AND contact_external_id = ?',
    );
    const doomed = new Map<string, { platform: string; externalId: string }>();
    for (const key of dead) {
      const [platform, contact] = key.split('\u0000') as [string, string];
      for (const p of purchasesOf.all(platform, contact)) {
        if (linksOf.all(platform, p.purchase_external_id).every((l) => dead.has(`${platform}\u0000${l.contact_external_id}`))) {
          doomed.set(`${platform}\u0000${p.purchase_external_id}`, { platform, externalId: p.purchase_external_id });
        }
      }
    }
    for (const p of db.prepare('SELECT platform, external_id FROM purchases WHERE archived_at IS NOT NULL AND archived_at <= ?').all(cutoff) as
      Array<{ platform: string; external_id: string }>) {
      doomed.set(`${p.platform}\u0000${p.external_id}`, { platform: p.platform, externalId: p.external_id });
    }
    // Quarantined records their platform no longer has (a read by id or a complete full read did not find them).
    summary.quarantine += db.prepare('DELETE FROM quarantine WHERE missing_since IS NOT NULL AND missing_since <= ?').run(cutoff).changes;
    const deleteLinks = db.prepare('DELETE FROM purchase_contacts WHERE platform = ? AND purchase_external_id = ?');
    const deletePurchase = db.prepare('DELETE FROM purchases WHERE platform = ? AND external_id = ?');
    for (const p of doomed.values()) {
      deleteLinks.run(p.platform, p.externalId);
      summary.purchases += deletePurchase.run(p.platform, p.externalId).changes;
      summary.quarantine += dropQuarantine.run(p.platform, 'purchases', p.externalId).changes;
    }
  })();
  return summary;
}
