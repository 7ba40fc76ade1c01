import type { Db } from './db.js';
import { runRowsMentioning, scrubJson, segmentationRowsMentioning, textScrubber } from './mention-scrub.js';

/**
 * Everything the store holds about one person, found from an email or a platform id, and its
 * erasure (`segsync forget`). A person is a whole profile: every contact resolved into it on
 * every platform, contacts merged into those, contacts not resolved yet that share its emails (or,
 * without an email, its phone), and everything hanging off them.
 */
/** A record (contact or purchase) on its platform. */
export interface RecordKey {
  platform: string;
  externalId: string;
}
export type ContactKey = RecordKey;

export interface PersonRecords {
  contacts: ContactKey[];
  profiles: number[];
  /** Normalised emails of every contact (and the one asked for). */
  emails: string[];
  /** Normalised phones of every contact. */
  phones: string[];
  /** Phones as the platforms sent them (for finding them in text). */
  rawPhones: string[];
  /** Full names ("First Last") of their contacts, as stored: quarantined records naming them are erased. */
  names: string[];
}

const keyOf = (platform: string, externalId: string): string => `${platform}\u0000${externalId}`;
const unkey = (key: string): RecordKey => {
  const [platform, externalId] = key.split('\u0000') as [string, string];
  return { platform, externalId };
};

export function findPerson(db: Db, seed: { email?: string; contact?: ContactKey }): PersonRecords {
  const byEmail = db.prepare<[string], { platform: string; external_id: string }>('SELECT platform, external_id FROM contacts WHERE email_normalized = ?');
  const profileByEmail = db.prepare<[string], { id: number }>('SELECT id FROM profiles WHERE email_key = ?');
  const profileOf = db.prepare<[string, string], { profile_id: number }>('SELECT profile_id FROM identities WHERE platform = ? AND external_id = ?');
  const contactRow = db.prepare<[string, string], {
    email_normalized: string | null; phone_normalized: string | null; phone: string | null; merged_into: string | null; first_name: string | null; last_name: string | null;
  }>('SELECT email_normalized, phone_normalized, phone, merged_into, first_name, last_name FROM contacts WHERE platform = ? AND external_id = ?');
  const mergedIntoIt = db.prepare<[string, string], { external_id: string }>('SELECT external_id FROM contacts WHERE platform = ? AND merged_into = ?');
  const identitiesOf = db.prepare<[number], { platform: string; external_id: string }>('SELECT platform, external_id FROM identities WHERE profile_id = ?');
  const unresolvedByPhone = db.prepare<[string], { platform: string; external_id: string }>(`
    SELECT c.platform, c.external_id FROM contacts c
    WHERE c.phone_normalized = ? AND c.email_normalized IS NULL
      AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.platform = c.platform AND i.external_id = c.external_id)`);

  const contacts = new Set<string>();
  const profiles = new Set<number>();
  const emails = new Set<string>();
  const phones = new Set<string>();
  const rawPhones = new Set<string>();
  const names = new Set<string>();
  const emailQueue: string[] = [];
  const contactQueue: string[] = [];
  const addEmail = (e: string | null) => {
    if (e && !emails.has(e)) {
      emails.add(e);
      emailQueue.push(e);
    }
  };
  const addContact = (platform: string, externalId: string) => {
    const k = keyOf(platform, externalId);
    if (!contacts.has(k)) {
      contacts.add(k);
      contactQueue.push(k);
    }
  };
  const addProfile = (id: number) => {
    if (profiles.has(id)) return;
    profiles.add(id);
    for (const r of identitiesOf.all(id)) addContact(r.platform, r.external_id);
  };
  if (seed.email) addEmail(seed.email);
  if (seed.contact) addContact(seed.contact.platform, seed.contact.externalId);
  while (emailQueue.length > 0 || contactQueue.length > 0) {
    const email = emailQueue.pop();
    if (email !== undefined) {
      for (const r of byEmail.all(email)) addContact(r.platform, r.external_id);
      const p = profileByEmail.get(email);
      if (p) addProfile(p.id);
      continue;
    }
    const { platform, externalId } = unkey(contactQueue.pop()!);
    const profile = profileOf.get(platform, externalId);
    if (profile) addProfile(profile.profile_id);
    const row = contactRow.get(platform, externalId);
    if (row) {
      addEmail(row.email_normalized);
      if (row.phone_normalized) {
        phones.add(row.phone_normalized);
        if (!row.email_normalized) for (const r of unresolvedByPhone.all(row.phone_normalized)) addContact(r.platform, r.external_id);
      }
      if (row.phone) rawPhones.add(row.phone.trim());
      const name = [row.first_name, row.last_name].map((n) => n?.trim() ?? '');
      if (name[0] !== '' && name[1] !== '') names.add(name.join(' '));
      if (row.merged_into) addContact(platform, row.merged_into);
    }
    for (const r of mergedIntoIt.all(platform, externalId)) addContact(platform, r.external_id);
  }
  return {
    contacts: [...contacts].map(unkey).sort((a, b) => a.platform.localeCompare(b.platform) || a.externalId.localeCompare(b.externalId)),
    profiles: [...profiles].sort((a, b) => a - b),
    emails: [...emails].sort(),
    phones: [...phones].sort(),
    rawPhones: [...rawPhones].filter((p) => p.length >= 7).sort(),
    // Too short a name would match other people's text.
    names: [...names].filter((n) => n.length >= 5).sort(),
  };
}

/** Rows erased per table (or that a dry run would erase). */
export interface ErasureCounts {
  contacts: number;
  purchases: number;
  purchaseLinks: number;
  profiles: number;
  identities: number;
  memberships: number;
  /** Their rows in campaign cohorts (which group they were in, their RFM segment at the start). */
  campaignMembers: number;
  rfmRows: number;
  tokenValues: number;
  featureRows: number;
  destinationListMembers: number;
  destinationTokens: number;
  quarantine: number;
  runsScrubbed: number;
  segmentationRunsScrubbed: number;
}

export interface ErasurePlan {
  person: PersonRecords;
  /** Purchases of nobody else: deleted with their links. A purchase shared with others loses only the person's link. */
  purchases: RecordKey[];
  /** Quarantined purchases that name only the person's contacts (their ids are suppressed like `purchases`). */
  quarantinedPurchases: RecordKey[];
  quarantineIds: number[];
  /** What segsync last applied on each platform for the person's contacts: what forget must take back. */
  applied: Array<{ platform: string; externalId: string; segmentKeys: string[]; tokenFields: string[] }>;
  counts: ErasureCounts;
}

function count(db: Db, sql: string, ...params: unknown[]): number {
  return (db.prepare(sql).get(...params) as { n: number }).n;
}

/** Pure reads: what erasing this person would delete (a dry run prints it). */
export function planErasure(db: Db, person: PersonRecords): ErasurePlan {
  const counts: ErasureCounts = {
    contacts: 0, purchases: 0, purchaseLinks: 0, profiles: 0, identities: 0, memberships: 0, campaignMembers: 0, rfmRows: 0, tokenValues: 0, featureRows: 0,
    destinationListMembers: 0, destinationTokens: 0, quarantine: 0, runsScrubbed: 0, segmentationRunsScrubbed: 0,
  };
  const mine = new Set(person.contacts.map((c) => keyOf(c.platform, c.externalId)));
  const purchaseKeys = new Set<string>();
  const links = db.prepare<[string, string], { purchase_external_id: string }>(
    'SELECT purchase_external_id FROM purchase_contacts WHERE platform = ? AND contact_external_id = ?',
  );
  const contactsOfPurchase = db.prepare<[string, string], { contact_external_id: string }>(
    'SELECT contact_external_id FROM purchase_contacts WHERE platform = ? AND purchase_external_id = ?',
  );
  const contactExists = db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM contacts WHERE platform = ? AND external_id = ?');
  const identityExists = db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM identities WHERE platform = ? AND external_id = ?');
  const appliedLists = db.prepare<[string, string], { segment_key: string }>(
    'SELECT segment_key FROM destination_list_members WHERE destination = ? AND external_id = ? ORDER BY segment_key',
  );
  const appliedTokens = db.prepare<[string, string], { token: string }>(
    'SELECT token FROM destination_tokens WHERE destination = ? AND external_id = ? ORDER BY token',
  );
  const applied: ErasurePlan['applied'] = [];
  for (const c of person.contacts) {
    counts.contacts += contactExists.get(c.platform, c.externalId)!.n;
    counts.identities += identityExists.get(c.platform, c.externalId)!.n;
    for (const l of links.all(c.platform, c.externalId)) {
      counts.purchaseLinks++;
      const others = contactsOfPurchase.all(c.platform, l.purchase_external_id).filter((o) => !mine.has(keyOf(c.platform, o.contact_external_id)));
      if (others.length === 0) purchaseKeys.add(keyOf(c.platform, l.purchase_external_id));
    }
    const segmentKeys = appliedLists.all(c.platform, c.externalId).map((r) => r.segment_key);
    const tokenFields = appliedTokens.all(c.platform, c.externalId).map((r) => r.token);
    counts.destinationListMembers += segmentKeys.length;
    counts.destinationTokens += tokenFields.length;
    if (segmentKeys.length > 0 || tokenFields.length > 0) applied.push({ platform: c.platform, externalId: c.externalId, segmentKeys, tokenFields });
  }
  const purchases = [...purchaseKeys].map(unkey);
  counts.purchases = purchases.reduce((n, p) => n + count(db, 'SELECT COUNT(*) AS n FROM purchases WHERE platform = ? AND external_id = ?', p.platform, p.externalId), 0);
  for (const id of person.profiles) {
    counts.profiles += count(db, 'SELECT COUNT(*) AS n FROM profiles WHERE id = ?', id);
    counts.memberships += count(db, 'SELECT COUNT(*) AS n FROM memberships WHERE profile_id = ?', id);
    counts.campaignMembers += count(db, 'SELECT COUNT(*) AS n FROM campaign_members WHERE profile_id = ?', id);
    counts.rfmRows += count(db, 'SELECT COUNT(*) AS n FROM profile_rfm WHERE profile_id = ?', id);
    counts.tokenValues += count(db, 'SELECT COUNT(*) AS n FROM profile_tokens WHERE profile_id = ?', id);
    counts.featureRows += count(db, 'SELECT COUNT(*) AS n FROM profile_features WHERE profile_id = ?', id);
  }

  const quarantineIds = new Set<number>();
  const byRecord = db.prepare<[string, string, string], { id: number }>('SELECT id FROM quarantine WHERE platform = ? AND stream = ? AND external_id = ?');
  for (const c of person.contacts) for (const r of byRecord.all(c.platform, 'contacts', c.externalId)) quarantineIds.add(r.id);
  for (const p of purchases) for (const r of byRecord.all(p.platform, 'purchases', p.externalId)) quarantineIds.add(r.id);
  // A quarantined purchase that names one of their contacts (a malformed deal of theirs, an
  // invalid order row with their customer id) is theirs, even when it names someone else too.
  const naming = db.prepare<[string, string], { id: number; external_id: string | null; contact_external_ids: string }>(
    `SELECT id, external_id, contact_external_ids FROM quarantine WHERE platform = ? AND stream = 'purchases' AND contact_external_ids IS NOT NULL
       AND EXISTS (SELECT 1 FROM json_each(quarantine.contact_external_ids) WHERE value = ?)`,
  );
  const quarantinedPurchases = new Map<string, RecordKey>();
  for (const c of person.contacts) {
    for (const r of naming.all(c.platform, c.externalId)) {
      quarantineIds.add(r.id);
      const named = JSON.parse(r.contact_external_ids) as string[];
      if (r.external_id !== null && named.every((id) => mine.has(keyOf(c.platform, id)))) {
        quarantinedPurchases.set(keyOf(c.platform, r.external_id), { platform: c.platform, externalId: r.external_id });
      }
    }
  }
  // A quarantined record names the person in its raw body or its reason (a CSV row, an invalid
  // email, a deal called "Order #518857 — Anna Müller"). Both sides folded by SQLite's lower().
  const mentioning = db.prepare<[string, string], { id: number }>('SELECT id FROM quarantine WHERE instr(lower(raw), lower(?)) > 0 OR instr(lower(reason), lower(?)) > 0');
  for (const needle of [...person.emails, ...person.rawPhones.map((p) => p.toLowerCase()), ...person.names]) {
    for (const r of mentioning.all(needle, needle)) quarantineIds.add(r.id);
  }
  counts.quarantine = quarantineIds.size;
  const scrub = textScrubber(person);
  counts.runsScrubbed = runRowsMentioning(db, scrub).length;
  counts.segmentationRunsScrubbed = segmentationRowsMentioning(db, scrub).length;
  return { person, purchases, quarantinedPurchases: [...quarantinedPurchases.values()], quarantineIds: [...quarantineIds].sort((a, b) => a - b), applied, counts };
}

/**
 * Deletes everything planned. Call inside one transaction with `PRAGMA secure_delete` on, and
 * compact afterwards (`compactStore`) so no copy stays in free pages or the WAL.
 */
export function eraseFromStore(db: Db, plan: ErasurePlan): void {
  const { person } = plan;
  const run = (sql: string, ...params: unknown[]) => db.prepare(sql).run(...params);
  for (const c of person.contacts) {
    run('DELETE FROM purchase_contacts WHERE platform = ? AND contact_external_id = ?', c.platform, c.externalId);
    run('DELETE FROM engagement_events WHERE platform = ? AND contact_external_id = ?', c.platform, c.externalId);
    run('DELETE FROM destination_list_members WHERE destination = ? AND external_id = ?', c.platform, c.externalId);
    run('DELETE FROM destination_tokens WHERE destination = ? AND external_id = ?', c.platform, c.externalId);
    run('DELETE FROM identities WHERE platform = ? AND external_id = ?', c.platform, c.externalId);
    run('DELETE FROM contacts WHERE platform = ? AND external_id = ?', c.platform, c.externalId);
  }
  for (const p of plan.purchases) {
    run('DELETE FROM purchase_contacts WHERE platform = ? AND purchase_external_id = ?', p.platform, p.externalId);
    run('DELETE FROM purchase_items WHERE platform = ? AND purchase_external_id = ?', p.platform, p.externalId);
    run('DELETE FROM purchases WHERE platform = ? AND external_id = ?', p.platform, p.externalId);
  }
  for (const id of person.profiles) {
    run('DELETE FROM memberships WHERE profile_id = ?', id);
    run('DELETE FROM campaign_members WHERE profile_id = ?', id);
    run('DELETE FROM profile_rfm WHERE profile_id = ?', id);
    run('DELETE FROM profile_tokens WHERE profile_id = ?', id);
    run('DELETE FROM profile_features WHERE profile_id = ?', id);
    run('DELETE FROM profile_clusters WHERE profile_id = ?', id);
    run('DELETE FROM identities WHERE profile_id = ?', id);
    run('DELETE FROM profiles WHERE id = ?', id);
  }
  for (const id of plan.quarantineIds) run('DELETE FROM quarantine WHERE id = ?', id);
  const scrub = textScrubber(person);
  for (const row of runRowsMentioning(db, scrub)) {
    run('UPDATE runs SET summary = ?, error = ? WHERE id = ?', scrubJson(row.summary, scrub), row.error === null ? null : scrub.text(row.error), row.id);
  }
  for (const row of segmentationRowsMentioning(db, scrub)) {
    run('UPDATE segmentation_runs SET summary = ?, clustering = ?, predictions = ? WHERE id = ?',
      scrubJson(row.summary, scrub), scrubJson(row.clustering, scrub), scrubJson(row.predictions, scrub), row.id);
  }
}
