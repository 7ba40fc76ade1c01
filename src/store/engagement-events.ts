import type { Db } from './db.js';
import type { EngagementEvent } from '../domain/records.js';

/** The engagement stream's rows (migration 13). */
export class EngagementEvents {
  constructor(private readonly db: Db) {}

  /** Stores events; one read again (same platform and key) replaces the stored row. Returns how many were new. */
  upsert(events: readonly EngagementEvent[]): { stored: number; added: number } {
    const exists = this.db.prepare('SELECT 1 FROM engagement_events WHERE platform = ? AND key = ?');
    const write = this.db.prepare(`INSERT INTO engagement_events (platform, key, contact_external_id, channel, occurred_at, count)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (platform, key) DO UPDATE SET contact_external_id = excluded.contact_external_id, channel = excluded.channel,
        occurred_at = excluded.occurred_at, count = excluded.count`);
    let added = 0;
    for (const e of events) {
      if (!exists.get(e.platform, e.key)) added++;
      write.run(e.platform, e.key, e.contactExternalId, e.channel, e.occurredAt, e.count);
    }
    return { stored: events.length, added };
  }

  /** Every stored event of a contact (forget erases them with the contact). */
  deleteForContact(platform: string, externalId: string): number {
    return this.db.prepare('DELETE FROM engagement_events WHERE platform = ? AND contact_external_id = ?').run(platform, externalId).changes;
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM engagement_events').get() as { n: number }).n;
  }
}
