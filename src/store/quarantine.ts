import type { Db } from './db.js';
import type { QuarantinedRecord, StreamName } from '../domain/records.js';

/** Records that failed validation: kept with their reason, never dropped silently. */
export class Quarantine {
  private readonly upsert;
  private readonly insertAnonymous;
  private readonly release;
  private readonly anyOf;

  constructor(private readonly db: Db) {
    this.upsert = db.prepare(`
      INSERT INTO quarantine (platform, stream, external_id, reason, raw, first_seen_at, last_seen_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (platform, stream, external_id) WHERE external_id IS NOT NULL
      DO UPDATE SET reason = excluded.reason, raw = excluded.raw, last_seen_at = excluded.last_seen_at`);
    this.insertAnonymous = db.prepare(`
      INSERT INTO quarantine (platform, stream, external_id, reason, raw, first_seen_at, last_seen_at)
      VALUES (?, ?, NULL, ?, ?, ?, ?)`);
    this.release = db.prepare('DELETE FROM quarantine WHERE platform = ? AND stream = ? AND external_id = ?');
    this.anyOf = db.prepare('SELECT 1 FROM quarantine WHERE platform = ? AND stream = ? AND external_id IS NOT NULL LIMIT 1');
  }

  add(records: readonly QuarantinedRecord[], seenAt: string): void {
    for (const r of records) {
      const raw = JSON.stringify(r.raw ?? null);
      if (r.externalId === null) this.insertAnonymous.run(r.platform, r.stream, r.reason, raw, seenAt, seenAt);
      else this.upsert.run(r.platform, r.stream, r.externalId, r.reason, raw, seenAt, seenAt);
    }
  }

  /** A record that now validates leaves quarantine. */
  releaseValid(platform: string, stream: StreamName, externalIds: readonly string[]): void {
    // Almost always nothing of this stream is quarantined: one lookup instead of a delete per record.
    if (externalIds.length === 0 || this.anyOf.get(platform, stream) === undefined) return;
    for (const id of externalIds) this.release.run(platform, stream, id);
  }

  count(platform?: string): number {
    const row = (platform
      ? this.db.prepare('SELECT COUNT(*) AS n FROM quarantine WHERE platform = ?').get(platform)
      : this.db.prepare('SELECT COUNT(*) AS n FROM quarantine').get()) as { n: number };
    return row.n;
  }

  list(limit = 50): Array<{ platform: string; stream: string; externalId: string | null; reason: string; lastSeenAt: string }> {
    return this.db
      .prepare(`SELECT platform, stream, external_id AS externalId, reason, last_seen_at AS lastSeenAt
                FROM quarantine ORDER BY last_seen_at DESC, id DESC LIMIT ?`)
      .all(limit) as Array<{ platform: string; stream: string; externalId: string | null; reason: string; lastSeenAt: string }>;
  }
}
