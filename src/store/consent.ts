import type { Db } from './db.js';

/**
 * Profiles that opted out of email: any live contact of theirs is unsubscribed. Control groups
 * and campaign cohorts leave them out of both groups (they get no campaign, so they measure none).
 */
export function unsubscribedProfileIds(db: Db): Set<number> {
  const rows = db
    .prepare(`SELECT DISTINCT i.profile_id AS id FROM identities i
              JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
              WHERE c.archived = 0 AND c.merged_into IS NULL AND c.email_consent = 'unsubscribed'`)
    .all() as Array<{ id: number }>;
  return new Set(rows.map((r) => r.id));
}
