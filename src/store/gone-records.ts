import type { Db } from './db.js';
import type { StreamName } from '../domain/records.js';

/**
 * Records their platform no longer has (erased, deleted outright: in no listing, not even the
 * archived one), marked gone as a deletion the platform reports would be: archived, with
 * `archived_at` (when segsync first saw them gone), so retention purges their personal data
 * `privacy.retentionDays` later and the next push drops them from segsync's lists state. A record
 * the platform sends again is live again: its upsert clears `archived`, and the content hash
 * 'gone' makes that count as a change.
 */
export class GoneRecords {
  constructor(private readonly db: Db) {}

  /** External ids of the stream's stored records that are neither archived nor merged away. */
  liveIds(platform: string, stream: StreamName): string[] {
    const sql = stream === 'contacts'
      ? 'SELECT external_id FROM contacts WHERE platform = ? AND archived = 0 AND merged_into IS NULL'
      : 'SELECT external_id FROM purchases WHERE platform = ? AND archived = 0';
    return (this.db.prepare(sql).all(platform) as Array<{ external_id: string }>).map((r) => r.external_id);
  }

  /** Marks these records gone; returns how many were live. Call inside the caller's transaction. */
  mark(platform: string, stream: StreamName, externalIds: readonly string[], at: string): number {
    const table = stream === 'contacts' ? 'contacts' : 'purchases';
    const merged = stream === 'contacts' ? ' AND merged_into IS NULL' : '';
    const update = this.db.prepare(`UPDATE ${table} SET archived = 1, archived_at = COALESCE(archived_at, ?), content_hash = 'gone'
                                    WHERE platform = ? AND external_id = ? AND archived = 0${merged}`);
    let marked = 0;
    for (const id of externalIds) marked += update.run(at, platform, id).changes;
    return marked;
  }

  /** Quarantined records of the stream (with an id) not marked "not found" yet. */
  quarantinedIds(platform: string, stream: StreamName): string[] {
    return (this.db
      .prepare('SELECT external_id FROM quarantine WHERE platform = ? AND stream = ? AND external_id IS NOT NULL AND missing_since IS NULL')
      .all(platform, stream) as Array<{ external_id: string }>).map((r) => r.external_id);
  }
}
