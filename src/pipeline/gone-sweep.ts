import type { Db } from '../store/db.js';
import { GoneRecords } from '../store/gone-records.js';
import { Quarantine } from '../store/quarantine.js';
import type { SourcePage } from '../domain/connector.js';
import type { StreamName } from '../domain/records.js';
import { plural } from '../domain/text.js';

/**
 * After a complete full read of a stream that yields everything its platform holds
 * (`SourceStream.fullReadIsComplete`), the stored records it did not yield are gone from the
 * platform: erased (HubSpot's GDPR delete, Shopify's customer erasure) or deleted outright. They
 * are marked gone in one transaction (store/gone-records.ts), and quarantined records it did not
 * meet are marked "not found".
 *
 * The mass-deletion guard: a read that would mark more than `threshold` of the stream's live
 * records gone (and at least GONE_MIN_RECORDS) marks none and fails the pull, unless
 * --allow-mass-deletion: a platform answering an empty or cut-short list must never archive
 * everyone.
 */
export const GONE_MIN_RECORDS = 10;
export const DEFAULT_MASS_DELETION_THRESHOLD = 0.2;

export interface MassDeletionSettings {
  /** --allow-mass-deletion: mark them anyway. */
  allow: boolean;
  /** Share (0..1) of the stream's live records one full read may find gone. */
  threshold: number;
}

/** What one full read yielded: every id, valid or quarantined (records of forgotten people too). */
export class FullReadTracker {
  readonly seen = new Set<string>();
  /** Quarantined records without an id: they could be any stored record. */
  anonymous = 0;
  /** Why the read does not see everything (SourcePage.partialView). */
  partialView: string | undefined;

  constructor(private readonly stream: StreamName) {}

  add(page: SourcePage): void {
    for (const r of this.stream === 'contacts' ? page.contacts : page.purchases) this.seen.add(r.externalId);
    for (const q of page.quarantined) {
      if (q.stream !== this.stream) continue;
      if (q.externalId === null) this.anonymous++;
      else this.seen.add(q.externalId);
    }
    this.partialView ??= page.partialView;
  }
}

export interface GoneOutcome {
  /** Stored records marked gone. */
  gone: number;
  /** Quarantined records marked "not found". */
  quarantineMissing: number;
  /** Why nothing was marked, when the admin should hear it (a warning of the pull). */
  skipped?: string;
}

/** A full read refused by the mass-deletion guard: nothing was marked gone; what it read is stored. Exit 1. */
export class MassDeletionError extends Error {
  constructor(readonly platform: string, readonly stream: StreamName, readonly gone: number, readonly live: number, threshold: number, example: string) {
    super(
      `${platform} ${stream}: pull stopped: the full read did not find ${gone} of the ${plural(live, 'stored record')} ` +
        `(${Math.round((gone / live) * 100)}%, e.g. external id ${example}) on ${platform}; more than ${Math.round(threshold * 100)}% at once ` +
        'looks like a platform answering an incomplete list, so none was marked deleted (the records read were stored).\n' +
        `Fix: check on ${platform} that they are really gone (deleted or erased there); if so, run \`segsync pull --full --allow-mass-deletion\`.`,
    );
    this.name = 'MassDeletionError';
  }
}

export function markUnseenGone(db: Db, platform: string, stream: StreamName, read: FullReadTracker, settings: MassDeletionSettings, at: string): GoneOutcome {
  // The page said why it sees only part of the platform (its warnings tell the admin).
  if (read.partialView !== undefined) return { gone: 0, quarantineMissing: 0 };
  if (read.anonymous > 0) {
    return {
      gone: 0, quarantineMissing: 0,
      skipped: `${plural(read.anonymous, 'record')} without an id went to quarantine: segsync cannot tell which stored records they are, so this full pull marked none deleted`,
    };
  }
  const records = new GoneRecords(db);
  const live = records.liveIds(platform, stream);
  const gone = live.filter((id) => !read.seen.has(id));
  if (!settings.allow && gone.length >= GONE_MIN_RECORDS && gone.length > settings.threshold * live.length) {
    throw new MassDeletionError(platform, stream, gone.length, live.length, settings.threshold, gone[0]!);
  }
  const quarantine = new Quarantine(db);
  const missing = records.quarantinedIds(platform, stream).filter((id) => !read.seen.has(id));
  return db.transaction(() => {
    quarantine.markMissing(platform, stream, missing, at);
    return { gone: records.mark(platform, stream, gone, at), quarantineMissing: missing.length };
  })();
}
