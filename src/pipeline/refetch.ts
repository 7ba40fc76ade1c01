import type { Db } from '../store/db.js';
import { nowIso } from '../store/db.js';
import type { Quarantine } from '../store/quarantine.js';
import type { ReadContext, SourcePage, SourceStream } from '../domain/connector.js';
import { maskSecrets } from '../log/redact.js';

/** What reading quarantined records again by id did. */
export interface RefetchSummary {
  /** Records asked for by id. */
  asked: number;
  /** Now valid: stored, and out of quarantine. */
  stored: number;
  /** Still invalid: in quarantine with the platform's latest version and reason. */
  quarantined: number;
  /** Not found on the platform: left in quarantine, not read again unless retried. */
  missing: number;
  /** Why the reads stopped early, if they did; the rest are asked for by the next pull. */
  error?: string;
}

/**
 * Reads quarantined records of one stream again by id (records whose reason may pass later, or
 * retried by the admin) and writes them like any page: one that now validates is stored and
 * leaves quarantine, one that still fails keeps its row with the new reason. A failure here is
 * reported, not thrown: the stream's own read is done and written, and these records wait for
 * the next pull.
 */
export async function refetchQuarantined(input: {
  db: Db;
  platform: string;
  stream: SourceStream;
  ids: readonly string[];
  quarantine: Quarantine;
  context: ReadContext;
  /** Writes one page in one transaction, as the stream's read does. */
  write(page: SourcePage): void;
}): Promise<RefetchSummary> {
  const { stream, ids, context } = input;
  const summary: RefetchSummary = { asked: ids.length, stored: 0, quarantined: 0, missing: 0 };
  const asked = new Set(ids);
  const found = new Set<string>();
  try {
    for await (const page of stream.refetch!(ids, context)) {
      input.write(page);
      for (const r of [...page.contacts, ...page.purchases]) {
        if (asked.has(r.externalId) && !found.has(r.externalId)) (found.add(r.externalId), summary.stored++);
      }
      for (const q of page.quarantined) {
        if (q.externalId !== null && asked.has(q.externalId) && !found.has(q.externalId)) (found.add(q.externalId), summary.quarantined++);
      }
    }
  } catch (error) {
    if (context.signal.aborted) throw error;
    summary.error = maskSecrets(error instanceof Error ? error.message : String(error));
    return summary;
  }
  const missing = ids.filter((id) => !found.has(id));
  input.db.transaction(() => input.quarantine.markMissing(input.platform, stream.name, missing, nowIso()))();
  summary.missing = missing.length;
  return summary;
}
