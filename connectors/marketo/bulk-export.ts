import { parse } from 'csv-parse/sync';
import { ApiError } from '../../src/http/errors.js';
import { sleep } from '../../src/http/sleep.js';
import type { MarketoClient } from './client.js';
import { MarketoApiError } from './errors.js';
import { ExportJobsSchema, LeadsPageSchema, type ExportJob } from './schemas.js';
import { parseMarketoDate } from './mapper.js';

/**
 * Bulk Lead Extract (docs: bulk-lead-extract.md, bulk-extract.md): the documented way to read every
 * lead. Jobs are filtered by `createdAt` in windows of at most 31 days, created, enqueued, polled
 * until Completed and downloaded as CSV. Marketo runs 2 jobs at once and queues at most 10 per
 * instance (shared with other integrations), so segsync keeps only a few enqueued ahead.
 */

export const DAY_MS = 86_400_000;
/** Documented maximum span of a createdAt filter. */
export const MAX_WINDOW_MS = 31 * DAY_MS;
/** CHOSEN: 4 jobs ahead keeps Marketo's 2 export slots busy and leaves 6 queue places to others. */
const JOBS_AHEAD = 4;
/** Rows per yielded chunk: a 31-day window of a big instance can hold 100k leads. */
const CHUNK_ROWS = 2_000;
/** A window whose job Failed is retried this many times before the pull stops. */
const MAX_JOB_ATTEMPTS = 3;
/**
 * CHOSEN: when no lead can be probed (MARKETO_EXTRACT_SINCE unset, ids 1..300 all deleted), the
 * windows start when Marketo was founded: nothing can be older.
 */
export const FALLBACK_SINCE_MS = Date.parse('2006-01-01T00:00:00Z');

export interface PendingJob {
  exportId: string;
  startAt: string;
  endAt: string;
  enqueued: boolean;
  attempts: number;
}

/** Where an extract stands; stored in the stream cursor so a crash resumes at the next window. */
export interface ExtractState {
  /** Start of the first window not yet delivered completely (ms). */
  nextStartMs: number;
  /** End of the last window (ms). */
  endMs: number;
  /** Jobs already created for the windows from nextStartMs on, in window order. */
  pending: PendingJob[];
}

export type CsvRow = Record<string, string | number | null>;

export interface ExtractChunk {
  rows: CsvRow[];
  state: ExtractState;
  /** The last chunk of a window: the state now points past it. */
  windowDone: boolean;
  window: { startAt: string; endAt: string };
}

/** ISO-8601 without milliseconds, as the createdAt filter wants it. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Parses an export file. Empty cells are written as the literal `null` (bulk-lead-extract docs);
 * a quoted "null" is the text null. Ids become numbers.
 */
export function parseExportCsv(csv: string): CsvRow[] {
  if (csv.trim() === '') return [];
  const records = parse(csv, {
    columns: true,
    skip_empty_lines: true,
    bom: true,
    cast: (value, context) => (!context.quoting && value === 'null' ? null : value),
  }) as Array<Record<string, string | null>>;
  return records.map((r) => {
    const row: CsvRow = { ...r };
    if (typeof r.id === 'string' && /^\d+$/.test(r.id)) row.id = Number(r.id);
    return row;
  });
}

/**
 * The creation time of the oldest leads: lead ids are assigned in order, so the lowest ids are
 * the oldest leads. One call; undefined when ids 1..300 are all gone.
 */
export async function probeOldestLead(client: MarketoClient, signal: AbortSignal): Promise<number | undefined> {
  const ids = Array.from({ length: 300 }, (_, i) => i + 1);
  const page = await client.request(
    { method: 'GET', path: '/rest/v1/leads.json', qs: { filterType: 'id', filterValues: ids.join(','), fields: 'id,createdAt', batchSize: 300 }, schema: LeadsPageSchema, write: false },
    signal,
  );
  let oldest: number | undefined;
  for (const lead of page.result ?? []) {
    const at = parseMarketoDate((lead as { createdAt?: unknown }).createdAt);
    const ms = at === null || at === 'invalid' ? Number.NaN : Date.parse(at);
    if (Number.isFinite(ms)) oldest = oldest === undefined ? ms : Math.min(oldest, ms);
  }
  return oldest;
}

/** Where the first window starts: configured, else a day before the oldest lead, else 2006. */
export async function extractStart(client: MarketoClient, signal: AbortSignal): Promise<number> {
  if (client.config.extractSince) return Date.parse(client.config.extractSince);
  const oldest = await probeOldestLead(client, signal);
  if (oldest === undefined) return FALLBACK_SINCE_MS;
  return Math.floor(oldest / DAY_MS) * DAY_MS - DAY_MS;
}

export interface ExtractOptions {
  fields: string[];
  state: ExtractState;
  signal: AbortSignal;
  pollMs: number;
  /** Bulk Lead Extract (default) or Bulk Activity Extract: same job life, other paths. */
  object?: 'leads' | 'activities';
  /** Filters besides createdAt (activities: activityTypeIds). */
  extraFilter?: Record<string, unknown>;
}

function jobError(call: string, detail: string, object: 'leads' | 'activities' = 'leads'): ApiError {
  return new ApiError({
    platform: 'marketo',
    call,
    kind: 'retryable',
    detail,
    hint: `Marketo could not complete a bulk ${object === 'leads' ? 'lead' : 'activity'} export; run the pull again later (it resumes at this window)`,
  });
}

/** Reads every lead (or activity) created in [state.nextStartMs, state.endMs), window by window. */
export async function* extractLeads(client: MarketoClient, options: ExtractOptions): AsyncGenerator<ExtractChunk> {
  const { fields, signal, pollMs } = options;
  const object = options.object ?? 'leads';
  const base = `/bulk/v1/${object}/export`;
  const noun = object === 'leads' ? 'leads' : 'activities';
  let nextStartMs = options.state.nextStartMs;
  const endMs = options.state.endMs;
  // Keep only resumed jobs that continue exactly where delivery stands.
  const pending: PendingJob[] = [];
  let createdUpTo = nextStartMs;
  for (const job of options.state.pending) {
    if (Date.parse(job.startAt) !== createdUpTo) break;
    pending.push({ ...job });
    createdUpTo = Date.parse(job.endAt);
  }
  const snapshot = (pendingNow: PendingJob[], next: number): ExtractState => ({ nextStartMs: next, endMs, pending: pendingNow.map((j) => ({ ...j })) });

  const create = async (startMs: number, stopMs: number, attempts: number): Promise<PendingJob> => {
    const startAt = isoSeconds(startMs);
    const endAt = isoSeconds(stopMs);
    const data = await client.request(
      {
        method: 'POST',
        path: `${base}/create.json`,
        json: { fields, format: 'CSV', filter: { createdAt: { startAt, endAt }, ...options.extraFilter } },
        schema: ExportJobsSchema,
        write: false,
      },
      signal,
    );
    const job = data.result?.[0];
    if (!job) throw jobError(`POST ${base}/create.json`, 'the answer named no exportId', object);
    return { exportId: job.exportId, startAt, endAt, enqueued: false, attempts };
  };

  /** Enqueues what it can, in window order; stops at a full queue (1029), which clears as jobs finish. */
  const enqueueWaiting = async (): Promise<void> => {
    for (const job of pending) {
      if (job.enqueued) continue;
      try {
        await client.request(
          { method: 'POST', path: `${base}/${job.exportId}/enqueue.json`, schema: ExportJobsSchema, write: false },
          signal,
        );
        job.enqueued = true;
      } catch (error) {
        if (!(error instanceof MarketoApiError) || error.code !== '1029') throw error;
        if (/already queued/i.test(error.detail)) {
          job.enqueued = true;
          continue;
        }
        if (error.kind === 'quota_exhausted') throw error;
        return; // Too many jobs in queue: try again after the next poll.
      }
    }
  };

  const status = async (job: PendingJob): Promise<ExportJob | undefined> => {
    try {
      const data = await client.request(
        { method: 'GET', path: `${base}/${job.exportId}/status.json`, schema: ExportJobsSchema, write: false },
        signal,
      );
      return data.result?.[0];
    } catch (error) {
      // A resumed job Marketo no longer knows: make it again.
      if (error instanceof MarketoApiError && (error.kind === 'not_found' || error.code === '1003')) return undefined;
      throw error;
    }
  };

  // The next job has usually finished while the previous file was read: look before waiting.
  let wait = false;
  while (nextStartMs < endMs) {
    while (pending.length < JOBS_AHEAD && createdUpTo < endMs) {
      const stop = Math.min(createdUpTo + MAX_WINDOW_MS, endMs);
      pending.push(await create(createdUpTo, stop, 1));
      createdUpTo = stop;
    }
    await enqueueWaiting();
    const head = pending[0]!;
    // Marketo refreshes job status once a minute: asking sooner only spends calls.
    if (wait) await sleep(pollMs, signal);
    wait = true;
    if (!head.enqueued) continue;
    const job = await status(head);
    if (job && (job.status === 'Queued' || job.status === 'Processing' || job.status === 'Created')) {
      if (job.status === 'Created') head.enqueued = false;
      continue;
    }
    if (!job || job.status !== 'Completed') {
      if (head.attempts >= MAX_JOB_ATTEMPTS) {
        throw jobError(`GET ${base}/${head.exportId}/status.json`, `export ${head.exportId} of ${noun} created ${head.startAt}..${head.endAt} ended ${job?.status ?? 'unknown'}${job?.errorMsg ? `: ${job.errorMsg}` : ''}`, object);
      }
      pending[0] = await create(Date.parse(head.startAt), Date.parse(head.endAt), head.attempts + 1);
      continue;
    }
    const csv = await client.requestText({ method: 'GET', path: `${base}/${head.exportId}/file.json`, write: false }, signal);
    const rows = parseExportCsv(csv);
    const window = { startAt: head.startAt, endAt: head.endAt };
    const windowEnd = Date.parse(head.endAt);
    for (let i = 0; i < rows.length || i === 0; i += CHUNK_ROWS) {
      const last = i + CHUNK_ROWS >= rows.length;
      // Until the window's last chunk, a crash re-reads the whole window (upserts are idempotent).
      const state = last ? snapshot(pending.slice(1), windowEnd) : snapshot(pending, nextStartMs);
      yield { rows: rows.slice(i, i + CHUNK_ROWS), state, windowDone: last, window };
    }
    pending.shift();
    nextStartMs = windowEnd;
    wait = false;
  }
}
