import type { Db } from '../store/db.js';
import { nowIso } from '../store/db.js';
import { SourceRecords } from '../store/source-records.js';
import { Quarantine } from '../store/quarantine.js';
import { StreamCursors } from '../store/cursors.js';
import type { Source } from '../domain/connector.js';
import type { StreamName } from '../domain/records.js';
import { silentProgress, type Progress } from './progress.js';

export interface StreamPullSummary {
  platform: string;
  stream: StreamName;
  mode: 'full' | 'incremental';
  pages: number;
  received: number;
  stored: number;
  changed: number;
  quarantined: number;
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

/**
 * Reads every stream of one source. Each page is written together with its cursor in one
 * transaction, so a crash loses at most the page in flight and a rerun resumes after the last
 * page written.
 */
export async function pullSource(options: PullOptions): Promise<StreamPullSummary[]> {
  const { db, platform, source, signal } = options;
  const progress = options.progress ?? silentProgress;
  const records = new SourceRecords(db);
  const quarantine = new Quarantine(db);
  const cursors = new StreamCursors(db);
  const summaries: StreamPullSummary[] = [];

  for (const stream of source.streams) {
    const cursor = cursors.get(platform, stream.name);
    const mode: 'full' | 'incremental' = options.full || cursor === undefined ? 'full' : 'incremental';
    const summary: StreamPullSummary = {
      platform, stream: stream.name, mode, pages: 0, received: 0, stored: 0, changed: 0, quarantined: 0, warnings: [], changedIds: [],
    };
    progress.start(`pull ${platform} ${stream.name}`);
    for await (const page of stream.read(cursor, { signal, full: options.full, now: options.now ?? Date.now })) {
      const at = nowIso();
      db.transaction(() => {
        const outcome = stream.name === 'contacts'
          ? records.upsertContacts(page.contacts, at)
          : records.upsertPurchases(page.purchases, at);
        const valid = stream.name === 'contacts' ? page.contacts : page.purchases;
        quarantine.add(page.quarantined, at);
        if (stream.name === 'purchases') {
          records.markPurchasesInvalid(platform, page.quarantined.flatMap((q) => (q.externalId ? [q.externalId] : [])));
        }
        quarantine.releaseValid(platform, stream.name, valid.map((r) => r.externalId));
        cursors.set(platform, stream.name, page.cursor, at);
        summary.changed += outcome.changed;
        for (const id of outcome.changedIds) if (summary.changedIds.length < CHANGED_IDS_KEPT) summary.changedIds.push(id);
        summary.stored += valid.length;
      })();
      if (page.mode && summary.pages === 0) summary.mode = page.mode;
      summary.pages++;
      summary.received += page.received;
      summary.quarantined += page.quarantined.length;
      for (const w of page.warnings ?? []) if (!summary.warnings.includes(w)) summary.warnings.push(w);
      progress.advance(page.received, page.expectedTotal);
    }
    progress.stop();
    summaries.push(summary);
  }
  return summaries;
}
