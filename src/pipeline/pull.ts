import type { Db } from '../store/db.js';
import { nowIso } from '../store/db.js';
import { SourceRecords } from '../store/source-records.js';
import { Quarantine } from '../store/quarantine.js';
import { StreamCursors } from '../store/cursors.js';
import type { Source, SourcePage } from '../domain/connector.js';
import type { StreamName } from '../domain/records.js';
import { silentProgress, type Progress } from './progress.js';
import { suppressionFilter } from './suppression-filter.js';

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
}

export interface PullOptions {
  db: Db;
  platform: string;
  source: Source;
  full: boolean;
  signal: AbortSignal;
  progress?: Progress;
  now?: () => number;
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
  const suppression = suppressionFilter(db);
  const summaries: StreamPullSummary[] = [];

  for (const stream of source.streams) {
    const cursor = cursors.get(platform, stream.name);
    const mode: 'full' | 'incremental' = options.full || cursor === undefined ? 'full' : 'incremental';
    const summary: StreamPullSummary = {
      platform, stream: stream.name, mode, pages: 0, received: 0, stored: 0, changed: 0, quarantined: 0, suppressed: 0, warnings: [], changedIds: [],
    };
    progress.start(`pull ${platform} ${stream.name}`);
    const buffered: SourcePage[] = [];
    let bufferedRecords = 0;
    let lastFlush = Date.now();
    const write = (read: SourcePage, at: string): void => {
      const { page, suppressed } = suppression.apply(read);
      summary.suppressed += suppressed;
      summary.quarantined += page.quarantined.length;
      const outcome = stream.name === 'contacts'
        ? records.upsertContacts(page.contacts, at)
        : records.upsertPurchases(page.purchases, at);
      const valid = stream.name === 'contacts' ? page.contacts : page.purchases;
      quarantine.add(page.quarantined, at);
      if (stream.name === 'purchases') {
        records.markPurchasesInvalid(platform, page.quarantined.flatMap((q) => (q.externalId ? [q.externalId] : [])));
      }
      quarantine.releaseValid(platform, stream.name, valid.map((r) => r.externalId));
      summary.changed += outcome.changed;
      for (const id of outcome.changedIds) if (summary.changedIds.length < CHANGED_IDS_KEPT) summary.changedIds.push(id);
      summary.stored += valid.length;
    };
    const flush = () => {
      if (buffered.length === 0) return;
      const at = nowIso();
      db.transaction(() => {
        for (const page of buffered) write(page, at);
        cursors.set(platform, stream.name, buffered[buffered.length - 1]!.cursor, at);
      })();
      buffered.length = 0;
      bufferedRecords = 0;
      lastFlush = Date.now();
    };
    // A slow platform (rate limits, a paused download) must not keep read pages unwritten for long:
    // flush them while waiting for the next page too. Safe: writes are synchronous, so this only
    // runs while the loop awaits.
    const timer = setInterval(() => {
      if (buffered.length > 0 && Date.now() - lastFlush >= FLUSH_MS) flush();
    }, FLUSH_MS);
    try {
      for await (const page of stream.read(cursor, { signal, full: options.full, now: options.now ?? Date.now })) {
        buffered.push(page);
        bufferedRecords += page.received;
        if (bufferedRecords >= FLUSH_RECORDS || Date.now() - lastFlush >= FLUSH_MS) flush();
        if (page.mode && summary.pages === 0) summary.mode = page.mode;
        summary.pages++;
        summary.received += page.received;
        for (const w of page.warnings ?? []) if (!summary.warnings.includes(w)) summary.warnings.push(w);
        progress.advance(page.received, page.expectedTotal);
      }
    } finally {
      clearInterval(timer);
      // Pages read before a failure or a stop are good: keep them (and their cursor).
      flush();
    }
    progress.stop();
    summaries.push(summary);
  }
  return summaries;
}
