import type { Db } from './db.js';
import type { QuarantinedRecord, StreamName } from '../domain/records.js';
import { isQuarantineKind, mayPassLater, refetchDelayMs, type QuarantineKind } from '../domain/quarantine-kinds.js';

export interface QuarantineEntry {
  platform: string;
  stream: string;
  externalId: string | null;
  kind: QuarantineKind;
  reason: string;
  firstSeenAt: string;
  lastSeenAt: string;
  /** When the next pull reads it again by id; null: only once the platform changes it. */
  refetchAfter: string | null;
  refetchAttempts: number;
  /** The last read by id did not find it on the platform. */
  missingSince: string | null;
}

export interface QuarantineFilter {
  platform?: string;
  kind?: QuarantineKind;
}

/** Records per platform, stream and kind of reason. */
export interface QuarantineGroup {
  platform: string;
  stream: string;
  kind: QuarantineKind;
  records: number;
  /** Marked to be read again by id (due now or later). */
  refetchPlanned: number;
  /** Not found on the platform by the last read by id. */
  missing: number;
  /** Without an id: only a full pull (or a new import) reads them again. */
  withoutId: number;
}

interface Row {
  platform: string;
  stream: string;
  external_id: string | null;
  kind: string;
  reason: string;
  raw: string;
  first_seen_at: string;
  last_seen_at: string;
  refetch_after: string | null;
  refetch_attempts: number;
  missing_since: string | null;
}

const kindOf = (k: string): QuarantineKind => (isQuarantineKind(k) ? k : 'other');
const WHERE = '(@platform IS NULL OR platform = @platform) AND (@kind IS NULL OR kind = @kind)';

function entry(r: Row): QuarantineEntry {
  return {
    platform: r.platform,
    stream: r.stream,
    externalId: r.external_id,
    kind: kindOf(r.kind),
    reason: r.reason,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    refetchAfter: r.refetch_after,
    refetchAttempts: r.refetch_attempts,
    missingSince: r.missing_since,
  };
}

/** Records that failed validation: kept with their reason, never dropped silently. */
export class Quarantine {
  private readonly upsert;
  private readonly insertAnonymous;
  private readonly attemptsOf;
  private readonly release;
  private readonly anyOf;

  constructor(private readonly db: Db) {
    this.upsert = db.prepare(`
      INSERT INTO quarantine (platform, stream, external_id, kind, reason, raw, first_seen_at, last_seen_at, refetch_after, refetch_attempts, contact_external_ids)
      VALUES (@platform, @stream, @externalId, @kind, @reason, @raw, @at, @at, @refetchAfter, @attempts, @contacts)
      ON CONFLICT (platform, stream, external_id) WHERE external_id IS NOT NULL
      DO UPDATE SET kind = excluded.kind, reason = excluded.reason, raw = excluded.raw, last_seen_at = excluded.last_seen_at,
        refetch_after = excluded.refetch_after, refetch_attempts = excluded.refetch_attempts, missing_since = NULL,
        contact_external_ids = excluded.contact_external_ids`);
    this.insertAnonymous = db.prepare(`
      INSERT INTO quarantine (platform, stream, external_id, kind, reason, raw, first_seen_at, last_seen_at, contact_external_ids)
      VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?)`);
    this.attemptsOf = db.prepare('SELECT refetch_attempts AS n FROM quarantine WHERE platform = ? AND stream = ? AND external_id = ?');
    this.release = db.prepare('DELETE FROM quarantine WHERE platform = ? AND stream = ? AND external_id = ?');
    this.anyOf = db.prepare('SELECT 1 FROM quarantine WHERE platform = ? AND stream = ? AND external_id IS NOT NULL LIMIT 1');
  }

  /**
   * Records that failed validation as they were read (`refetched`: read again by id). One that may
   * pass later is read again by the next pull; when a read by id fails again, the one after waits
   * longer (refetchDelayMs). A record read normally starts over: its data changed.
   */
  add(records: readonly QuarantinedRecord[], seenAt: string, options: { refetched?: boolean } = {}): void {
    for (const r of records) {
      const raw = JSON.stringify(r.raw ?? null);
      const kind = r.kind ?? 'other';
      const contacts = r.contactExternalIds && r.contactExternalIds.length > 0 ? JSON.stringify([...new Set(r.contactExternalIds)]) : null;
      if (r.externalId === null) {
        this.insertAnonymous.run(r.platform, r.stream, kind, r.reason, raw, seenAt, seenAt, contacts);
        continue;
      }
      const attempts = options.refetched
        ? ((this.attemptsOf.get(r.platform, r.stream, r.externalId) as { n: number } | undefined)?.n ?? 0) + 1
        : 0;
      const refetchAfter = mayPassLater(kind) ? new Date(Date.parse(seenAt) + refetchDelayMs(attempts)).toISOString() : null;
      this.upsert.run({ platform: r.platform, stream: r.stream, externalId: r.externalId, kind, reason: r.reason, raw, at: seenAt, refetchAfter, attempts, contacts });
    }
  }

  /** A record that now validates leaves quarantine. */
  releaseValid(platform: string, stream: StreamName, externalIds: readonly string[]): void {
    // Almost always nothing of this stream is quarantined: one lookup instead of a delete per record.
    if (externalIds.length === 0 || this.anyOf.get(platform, stream) === undefined) return;
    for (const id of externalIds) this.release.run(platform, stream, id);
  }

  /** External ids of this stream due to be read again by id at `at`. */
  due(platform: string, stream: StreamName, at: string): string[] {
    return (this.db
      .prepare(`SELECT external_id AS id FROM quarantine
                WHERE platform = ? AND stream = ? AND refetch_after IS NOT NULL AND refetch_after <= ? AND external_id IS NOT NULL
                ORDER BY refetch_after, id`)
      .all(platform, stream, at) as Array<{ id: string }>).map((r) => r.id);
  }

  /** A read by id did not find these: the platform no longer has them. They stay, and are not read again unless retried. */
  markMissing(platform: string, stream: StreamName, externalIds: readonly string[], at: string): void {
    const mark = this.db.prepare(`UPDATE quarantine SET missing_since = COALESCE(missing_since, ?), refetch_after = NULL, refetch_attempts = refetch_attempts + 1
                                  WHERE platform = ? AND stream = ? AND external_id = ?`);
    for (const id of externalIds) mark.run(at, platform, stream, id);
  }

  /** Marks records (with an id) of these platforms to be read again by the next pull; returns how many. */
  markForRefetch(platforms: readonly string[], filter: QuarantineFilter, at: string): number {
    const mark = this.db.prepare(`UPDATE quarantine SET refetch_after = @at
                                  WHERE platform = @one AND external_id IS NOT NULL AND (@kind IS NULL OR kind = @kind)`);
    let marked = 0;
    for (const one of platforms) {
      if (filter.platform !== undefined && filter.platform !== one) continue;
      marked += mark.run({ at, one, kind: filter.kind ?? null }).changes;
    }
    return marked;
  }

  count(platform?: string): number {
    const row = (platform
      ? this.db.prepare('SELECT COUNT(*) AS n FROM quarantine WHERE platform = ?').get(platform)
      : this.db.prepare('SELECT COUNT(*) AS n FROM quarantine').get()) as { n: number };
    return row.n;
  }

  /** Records per platform, stream and kind, the largest groups first. */
  groups(filter: QuarantineFilter = {}): QuarantineGroup[] {
    const rows = this.db
      .prepare(`SELECT platform, stream, kind, COUNT(*) AS records,
                  SUM(refetch_after IS NOT NULL) AS refetchPlanned, SUM(missing_since IS NOT NULL) AS missing, SUM(external_id IS NULL) AS withoutId
                FROM quarantine WHERE ${WHERE}
                GROUP BY platform, stream, kind ORDER BY records DESC, platform, stream, kind`)
      .all({ platform: filter.platform ?? null, kind: filter.kind ?? null }) as Array<Omit<QuarantineGroup, 'kind'> & { kind: string }>;
    return rows.map((r) => ({ ...r, kind: kindOf(r.kind) }));
  }

  /** The newest entries first. */
  list(limit = 50, filter: QuarantineFilter = {}): QuarantineEntry[] {
    return (this.db
      .prepare(`SELECT * FROM quarantine WHERE ${WHERE} ORDER BY last_seen_at DESC, id DESC LIMIT @limit`)
      .all({ platform: filter.platform ?? null, kind: filter.kind ?? null, limit }) as Row[]).map(entry);
  }

  /** Every entry with the record as the platform sent it, oldest first (for export). */
  *all(filter: QuarantineFilter = {}): Generator<QuarantineEntry & { raw: string }> {
    const rows = this.db
      .prepare(`SELECT * FROM quarantine WHERE ${WHERE} ORDER BY id`)
      .iterate({ platform: filter.platform ?? null, kind: filter.kind ?? null }) as IterableIterator<Row>;
    for (const r of rows) yield { ...entry(r), raw: r.raw };
  }
}
