import type { Db } from './db.js';
import { nowIso } from './db.js';

export interface ResolveOutcome {
  profiles: number;
  liveProfiles: number;
  newProfiles: number;
  identitiesMoved: number;
}

/**
 * Profiles and identities: one profile per person across platforms. A new contact joins the
 * profile with its normalized email; a contact without an email joins the one profile with its
 * phone (never an ambiguous one); anything else starts a profile. A contact keeps its profile once
 * assigned (history stays with the person even when an email changes), and a contact merged on
 * its platform follows the surviving contact's profile. Likely duplicates that are not certain are
 * listed by `segsync duplicates`, never merged here.
 */
export class Profiles {
  constructor(private readonly db: Db) {}

  resolve(): ResolveOutcome {
    const db = this.db;
    const at = nowIso();
    let newProfiles = 0;
    let identitiesMoved = 0;
    db.transaction(() => {
      const findIdentity = db.prepare<[string, string], { profile_id: number }>(
        'SELECT profile_id FROM identities WHERE platform = ? AND external_id = ?',
      );
      const findByEmail = db.prepare<[string], { id: number }>('SELECT id FROM profiles WHERE email_key = ?');
      const findByPhone = db.prepare<[string], { id: number }>('SELECT id FROM profiles WHERE phone_key = ? LIMIT 2');
      const createProfile = db.prepare('INSERT INTO profiles (email_key, phone_key, created_at) VALUES (?, ?, ?)');
      const claimPhone = db.prepare('UPDATE profiles SET phone_key = ? WHERE id = ? AND phone_key IS NULL');
      const setIdentity = db.prepare(`INSERT INTO identities (platform, external_id, profile_id) VALUES (?, ?, ?)
        ON CONFLICT (platform, external_id) DO UPDATE SET profile_id = excluded.profile_id`);
      // A profile created without an email takes the first email one of its contacts gained since,
      // unless another profile holds it: so that later contacts with that email join it.
      const emailless = db
        .prepare(`SELECT p.id, c.email_normalized AS email FROM profiles p
                  JOIN identities i ON i.profile_id = p.id
                  JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
                  WHERE p.email_key IS NULL AND c.email_normalized IS NOT NULL AND c.archived = 0 AND c.merged_into IS NULL
                  ORDER BY p.id, c.platform, c.external_id`)
        .all() as Array<{ id: number; email: string }>;
      const claimEmail = db.prepare('UPDATE profiles SET email_key = ? WHERE id = ? AND email_key IS NULL');
      for (const row of emailless) {
        if (!findByEmail.get(row.email)) claimEmail.run(row.email, row.id);
      }
      const unresolved = db
        .prepare(`SELECT c.platform, c.external_id, c.email_normalized, c.phone_normalized FROM contacts c
                  LEFT JOIN identities i ON i.platform = c.platform AND i.external_id = c.external_id
                  WHERE i.profile_id IS NULL AND c.merged_into IS NULL
                  ORDER BY c.platform, c.external_id`)
        .all() as Array<{ platform: string; external_id: string; email_normalized: string | null; phone_normalized: string | null }>;
      for (const c of unresolved) {
        let profileId = c.email_normalized ? findByEmail.get(c.email_normalized)?.id : undefined;
        if (profileId === undefined && !c.email_normalized && c.phone_normalized) {
          const byPhone = findByPhone.all(c.phone_normalized);
          if (byPhone.length === 1) profileId = byPhone[0]!.id;
        }
        if (profileId === undefined) {
          profileId = Number(createProfile.run(c.email_normalized, c.phone_normalized, at).lastInsertRowid);
          newProfiles++;
        } else if (c.phone_normalized) {
          claimPhone.run(c.phone_normalized, profileId);
        }
        setIdentity.run(c.platform, c.external_id, profileId);
      }
      // Merged contacts follow their survivor (transitively), so the survivor's profile gets their purchases.
      const mergedInto = db.prepare<[string, string], { merged_into: string | null }>(
        'SELECT merged_into FROM contacts WHERE platform = ? AND external_id = ?',
      );
      const merged = db
        .prepare('SELECT platform, external_id, merged_into FROM contacts WHERE merged_into IS NOT NULL')
        .all() as Array<{ platform: string; external_id: string; merged_into: string }>;
      for (const m of merged) {
        let target = m.merged_into;
        const seen = new Set<string>([m.external_id]);
        for (;;) {
          const next = mergedInto.get(m.platform, target)?.merged_into;
          if (!next || seen.has(next)) break;
          seen.add(target);
          target = next;
        }
        const survivor = findIdentity.get(m.platform, target)?.profile_id;
        if (survivor === undefined) continue; // survivor not pulled yet; resolved on a later run
        const current = findIdentity.get(m.platform, m.external_id)?.profile_id;
        if (current !== survivor) {
          setIdentity.run(m.platform, m.external_id, survivor);
          identitiesMoved++;
        }
      }
    })();
    const counts = db
      .prepare(`SELECT (SELECT COUNT(*) FROM profiles) AS profiles,
        (SELECT COUNT(DISTINCT i.profile_id) FROM identities i JOIN contacts c
           ON c.platform = i.platform AND c.external_id = i.external_id
         WHERE c.archived = 0 AND c.merged_into IS NULL) AS live`)
      .get() as { profiles: number; live: number };
    return { profiles: counts.profiles, liveProfiles: counts.live, newProfiles, identitiesMoved };
  }

  /** Profiles with at least one live (not archived, not merged) contact, ascending id. */
  liveProfileIds(): number[] {
    return (this.db
      .prepare(`SELECT DISTINCT i.profile_id AS id FROM identities i JOIN contacts c
                  ON c.platform = i.platform AND c.external_id = i.external_id
                WHERE c.archived = 0 AND c.merged_into IS NULL ORDER BY i.profile_id`)
      .all() as Array<{ id: number }>).map((r) => r.id);
  }
}
