import type { Db } from '../store/db.js';
import { nowIso } from '../store/db.js';
import { SourceRecords } from '../store/source-records.js';
import { Quarantine } from '../store/quarantine.js';
import { EngagementEvents } from '../store/engagement-events.js';
import { StreamCursors } from '../store/cursors.js';
import type { Source, SourcePage } from '../domain/connector.js';
import type { StreamName } from '../domain/records.js';
import { displayPath, type MappingOrigin } from '../config/mapping-origin.js';
import { StoredContacts } from '../store/contact-values.js';
import { silentProgress, type Progress } from './progress.js';
import { BlankingError, blankingViolations, DEFAULT_BLANKING_THRESHOLD, guardedPlatformFields, type BlankingSettings } from './blanking-guard.js';
import { StatusChangeError, wonStatusViolation } from './status-guard.js';
import { StoredPurchases } from '../store/purchase-status.js';
import type { Mapping } from '../config/mapping.js';
import { checkSourceMapping } from './mapping-check.js';
import { refetchQuarantined, type RefetchSummary } from './refetch.js';
import { suppressionFilter } from './suppression-filter.js';
import { DEFAULT_MASS_DELETION_THRESHOLD, FullReadTracker, markUnseenGone, type MassDeletionSettings } from './gone-sweep.js';
import { reportRunPartIfAbsent, runCheckpoint } from './run-progress.js';

export interface StreamPullSummary {
  platform: string;
  stream: StreamName;
  mode: 'full' | 'incremental';
  pages: number;
  received: number;
  stored: number;
  changed: number;
  quarantined: number;
  /** Records of forgotten people (`segsync forget`) dropped before anything was stored. */
  suppressed: number;
  warnings: string[];
  /** External ids whose content changed (capped, for tests and `--json`). */
  changedIds: string[];
  /** Quarantined records read again by id after the stream's read (see refetch.ts); absent when none were due. */
  refetched?: RefetchSummary;
  /**
   * A complete full read of a stream that sees everything its platform holds: stored records it
   * did not find there (erased, deleted outright), now marked deleted (gone-sweep.ts).
   */
  gone?: number;
}

/** The totals of a pull's streams (what the summaries and the run's counts show). */
export function pullTotals(streams: readonly StreamPullSummary[]): { received: number; stored: number; changed: number; quarantined: number; suppressed: number } {
  const totals = { received: 0, stored: 0, changed: 0, quarantined: 0, suppressed: 0 };
  for (const s of streams) {
    totals.received += s.received;
    totals.stored += s.stored;
    totals.changed += s.changed;
    totals.quarantined += s.quarantined;
    totals.suppressed += s.suppressed;
  }
  return totals;
}

export interface PullOptions {
  db: Db;
  platform: string;
  source: Source;
  full: boolean;
  signal: AbortSignal;
  progress?: Progress;
  now?: () => number;
  /** The blanking guard (blanking-guard.ts); on, with the default threshold, unless said otherwise. */
  blanking?: BlankingSettings;
  /** The mass-deletion guard of full reads (gone-sweep.ts); on, with the default threshold, unless said otherwise. */
  massDeletion?: MassDeletionSettings;
  /** The platform's mapping and where it comes from, named by the mapped-field check's and the guards' errors. */
  mapping?: { displayName: string; origin: MappingOrigin; mapping?: Mapping };
  /** Receives each stream's summary as the stream starts, kept up to date: what a failed pull did store. */
  summaries?: StreamPullSummary[];
}

const CHANGED_IDS_KEPT = 10_000;
const FLUSH_RECORDS = 5_000;
const FLUSH_MS = 1_000;

/**
 * Reads every stream of one source. Pages are written together with the cursor of the last of
 * them in one transaction, a few pages at a time (every FLUSH_RECORDS records, and whatever was
 * read once FLUSH_MS passed): a crash loses at most those pages, read again by the rerun, which resumes after the
 * last cursor written. A failure or a stop writes the pages already read before it ends.
 * (One commit per 100-record page spent about half of the ingest time on commits.)
 */
export async function pullSource(options: PullOptions): Promise<StreamPullSummary[]> {
  const { db, platform, source, signal } = options;
  const progress = options.progress ?? silentProgress;
  const records = new SourceRecords(db);
  const quarantine = new Quarantine(db);
  const cursors = new StreamCursors(db);
  const stored = new StoredContacts(db);
  const storedPurchases = new StoredPurchases(db);
  const engagement = new EngagementEvents(db);
  const blanking = options.blanking ?? { allow: false, threshold: DEFAULT_BLANKING_THRESHOLD };
  const massDeletion = options.massDeletion ?? { allow: false, threshold: DEFAULT_MASS_DELETION_THRESHOLD };
  const suppression = suppressionFilter(db);
  const summaries: StreamPullSummary[] = options.summaries ?? [];
  // pull() reports its platforms' streams together; a file import has no pull() around it.
  reportRunPartIfAbsent('pull', () => ({ streams: summaries, totals: pullTotals(summaries) }));

  // A mapped field the platform lacks would be read as empty everywhere: check before any write.
  if (source.checkMapping) {
    const origin = options.mapping?.origin ?? { file: 'the mapping file', workspaceAttributes: [] };
    await checkSourceMapping({ platform, displayName: options.mapping?.displayName ?? platform, source, origin }, signal);
  }

  for (const stream of source.streams) {
    const cursor = cursors.get(platform, stream.name);
    const mode: 'full' | 'incremental' = options.full || cursor === undefined ? 'full' : 'incremental';
    const summary: StreamPullSummary = {
      platform, stream: stream.name, mode, pages: 0, received: 0, stored: 0, changed: 0, quarantined: 0, suppressed: 0, warnings: [], changedIds: [],
    };
    summaries.push(summary);
    progress.start(`pull ${platform} ${stream.name}`);
    // A read from the start of a stream that sees the whole platform: what it does not yield is gone there.
    const fullRead = stream.fullReadIsComplete === true && mode === 'full' ? new FullReadTracker(stream.name) : undefined;
    // Quarantined records due to be read again by id: after the read, unless it met them.
    const due = new Set(stream.refetch ? quarantine.due(platform, stream.name, nowIso()) : []);
    // The guards protect what the store held before this read: a first pull (the largest) has
    // nothing to protect, and skips their lookup per record.
    const guarded = !blanking.allow && stream.name !== 'engagement' && (stream.name === 'contacts' ? stored.any(platform) : storedPurchases.any(platform));
    const buffered: SourcePage[] = [];
    let bufferedRecords = 0;
    let lastFlush = Date.now();
    const write = (read: SourcePage, at: string, refetched = false): void => {
      const { page, suppressed } = suppression.apply(read);
      summary.suppressed += suppressed;
      // Records read again by id are counted in `refetched`, not as this read's.
      if (!refetched) summary.quarantined += page.quarantined.length;
      if (stream.name === 'engagement') {
        const events = page.events ?? [];
        const outcome = engagement.upsert(events);
        quarantine.add(page.quarantined, at, { refetched });
        if (refetched) return;
        summary.changed += outcome.added;
        summary.stored += events.length;
        return;
      }
      const outcome = stream.name === 'contacts'
        ? records.upsertContacts(page.contacts, at)
        : records.upsertPurchases(page.purchases, at);
      const valid = stream.name === 'contacts' ? page.contacts : page.purchases;
      quarantine.add(page.quarantined, at, { refetched });
      if (stream.name === 'purchases') {
        records.markPurchasesInvalid(platform, page.quarantined.flatMap((q) => (q.externalId ? [q.externalId] : [])));
      }
      quarantine.releaseValid(platform, stream.name, valid.map((r) => r.externalId));
      if (due.size > 0) for (const r of [...valid, ...page.quarantined]) if (r.externalId !== null) due.delete(r.externalId);
      // Records read again by id are counted in `refetched`, not as this read's.
      if (refetched) return;
      summary.changed += outcome.changed;
      for (const id of outcome.changedIds) if (summary.changedIds.length < CHANGED_IDS_KEPT) summary.changedIds.push(id);
      summary.stored += valid.length;
    };
    /** Set once a guard refused a batch: nothing more of this stream is written (its cursor stays before the batch). */
    let refused: BlankingError | StatusChangeError | undefined;
    const flush = () => {
      if (buffered.length === 0 || refused) return;
      if (guarded) {
        const file = options.mapping?.origin.file;
        const mapping = options.mapping?.mapping;
        if (stream.name === 'contacts') {
          const violations = blankingViolations(buffered.flatMap((p) => p.contacts), (id) => stored.get(platform, id), blanking.threshold);
          if (violations.length > 0) {
            refused = new BlankingError(platform, stream.name, violations, blanking.threshold, file ? displayPath(file) : undefined, mapping ? guardedPlatformFields(mapping) : {});
          }
        } else {
          const violation = wonStatusViolation(buffered.flatMap((p) => p.purchases), (id) => storedPurchases.get(platform, id), blanking.threshold);
          if (violation) {
            refused = new StatusChangeError(platform, violation, blanking.threshold, { ...(file ? { file: displayPath(file) } : {}), ...(mapping ? { status: mapping.purchases.status } : {}) });
          }
        }
        if (refused) {
          buffered.length = 0;
          bufferedRecords = 0;
          throw refused;
        }
      }
      const at = nowIso();
      db.transaction(() => {
        for (const page of buffered) write(page, at);
        cursors.set(platform, stream.name, buffered[buffered.length - 1]!.cursor, at);
        // The run's row counts what this transaction stores, in it: a run killed next still says so.
        runCheckpoint();
      })();
      buffered.length = 0;
      bufferedRecords = 0;
      lastFlush = Date.now();
    };
    // A slow platform (rate limits, a paused download) must not keep read pages unwritten for long:
    // flush them while waiting for the next page too. Safe: writes are synchronous, so this only
    // runs while the loop awaits. A refusal there is thrown by the loop, not by the timer.
    const timer = setInterval(() => {
      if (buffered.length === 0 || Date.now() - lastFlush < FLUSH_MS) return;
      try {
        flush();
      } catch {
        // `refused` holds it.
      }
    }, FLUSH_MS);
    let failed = false;
    try {
      for await (const page of stream.read(cursor, { signal, full: options.full, now: options.now ?? Date.now })) {
        if (refused) throw refused;
        fullRead?.add(page);
        buffered.push(page);
        bufferedRecords += page.received;
        // Counted before the flush, whose checkpoint writes the counts of what it stores.
        if (page.mode && summary.pages === 0) summary.mode = page.mode;
        summary.pages++;
        summary.received += page.received;
        for (const w of page.warnings ?? []) if (!summary.warnings.includes(w)) summary.warnings.push(w);
        if (bufferedRecords >= FLUSH_RECORDS || Date.now() - lastFlush >= FLUSH_MS) flush();
        progress.advance(page.received, page.expectedTotal);
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      clearInterval(timer);
      // Pages read before a failure or a stop are good: keep them (and their cursor), unless the
      // guard refuses them; then the first failure is the one reported.
      try {
        flush();
      } catch (error) {
        if (!failed) throw error;
      }
    }
    if (refused) throw refused;
    if (fullRead && !signal.aborted) {
      const outcome = markUnseenGone(db, platform, stream.name, fullRead, massDeletion, nowIso());
      if (outcome.gone > 0) summary.gone = outcome.gone;
      if (outcome.skipped && !summary.warnings.includes(outcome.skipped)) summary.warnings.push(outcome.skipped);
    }
    if (due.size > 0 && stream.refetch) {
      summary.refetched = await refetchQuarantined({
        db, platform, stream, ids: [...due], quarantine,
        context: { signal, full: false, now: options.now ?? Date.now },
        write: (page) => db.transaction(() => {
          write(page, nowIso(), true);
          runCheckpoint();
        })(),
      });
    }
    progress.stop();
  }
  return summaries;
}
