/**
 * Bulk Lead Extract (bulk-lead-extract and bulk-extract docs): create a job (fields, format,
 * one filter), enqueue it, poll its status, download its file. Faithful limits: at most 2 jobs
 * processing at once, at most 10 queued (processing included), 500 MB of files per day (reset at
 * 00:00 CST), createdAt ranges of at most 31 days, updatedAt/smart list filters answered 1035 as in
 * subscriptions without them. A job snapshots the leads when it starts processing, and spends
 * `processingMs` processing. Empty cells are written as the literal `null` (docs). Codes the docs
 * do not give for a situation are marked CHOSEN.
 */
import { createHash } from 'node:crypto';
import { fail, isoZ, leadDbOk, parseJsonBody, type Ctx, type Reply } from './http-support.js';
import { DailyCounter } from './rate-limit.js';
import { guidFor, type ActivityRecord, type LeadValue, type MarketoState } from './state.js';

/** Bulk Activity Extract's columns, in the docs' order (the `fields` parameter picks among them). */
export const ACTIVITY_EXPORT_FIELDS = ['marketoGUID', 'leadId', 'activityDate', 'activityTypeId', 'campaignId', 'primaryAttributeValueId', 'primaryAttributeValue', 'attributes'] as const;

const MAX_RANGE_MS = 31 * 86_400_000;
const SEPARATORS: Record<string, string> = { CSV: ',', TSV: '\t', SSV: ' ' };

type JobStatus = 'Created' | 'Queued' | 'Processing' | 'Cancelled' | 'Completed' | 'Failed';

interface ExportJob {
  exportId: string;
  /** Bulk Lead Extract or Bulk Activity Extract: one queue for both (bulk-extract docs). */
  object: 'leads' | 'activities';
  /** Activity jobs: the activityTypeIds filter (empty: every type). */
  activityTypeIds?: Set<number>;
  fields: string[];
  headers: string[];
  format: string;
  startMs: number;
  endMs: number;
  status: JobStatus;
  createdMs: number;
  queuedMs?: number;
  startedMs?: number;
  finishedMs?: number;
  /** Lead ids (or activity positions) matched when processing started. */
  snapshot?: number[];
  file?: string;
  numberOfRecords?: number;
  fileSize?: number;
  fileChecksum?: string;
}

export interface BulkOptions {
  processingMs: number;
  maxProcessing: number;
  maxQueued: number;
  dailyBytes: number;
}

function csvCell(value: LeadValue, separator: string): string {
  if (value === null || value === undefined) return 'null';
  const s = typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value);
  // A quoted "null" is the text null; quotes also keep separators, line breaks and edge spaces.
  if (s === 'null' || s.includes(separator) || s.includes('"') || /[\r\n]/.test(s) || s !== s.trim()) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** filter.createdAt of an export job: both dates valid, in order, at most 31 days apart (as Marketo checks). */
function createdAtRange(value: unknown): { startMs: number; endMs: number } {
  const range = value as { startAt?: unknown; endAt?: unknown } | undefined;
  const startMs = typeof range?.startAt === 'string' ? Date.parse(range.startAt) : NaN;
  const endMs = typeof range?.endAt === 'string' ? Date.parse(range.endAt) : NaN;
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) fail('704', 'Invalid date format');
  if (endMs < startMs) fail('1003', 'Invalid date range: endAt is before startAt');
  if (endMs - startMs > MAX_RANGE_MS) fail('1003', 'Date range for createdAt filter exceeds 31 days');
  return { startMs, endMs };
}

export class BulkApi {
  /** Fault scenarios: the rows a lead is served as in export files (the lead's data stays as it is). */
  serveRow?: (leadId: number, row: Record<string, LeadValue>) => Array<Record<string, LeadValue>>;
  /** An activity as its export row (the server shapes it as the REST activities answer it). */
  activityRow?: (activity: ActivityRecord) => Record<string, LeadValue>;
  /** false: Create Export Activity Job answers 603, as for a role without Read-Only Activity. */
  allowActivityExport = true;
  private readonly jobs = new Map<string, ExportJob>();
  private readonly daily: DailyCounter;
  private counter = 0;

  constructor(
    private readonly state: MarketoState,
    private readonly options: BulkOptions,
  ) {
    this.daily = new DailyCounter(options.dailyBytes, state.now);
  }

  private now(): number {
    return this.state.now();
  }

  private job(id: string, object: ExportJob['object'] = 'leads'): ExportJob {
    this.advance();
    const job = this.jobs.get(id);
    // CHOSEN: an unknown export id (or one of the other object's jobs) is "object not found".
    if (!job || job.object !== object) fail('1013', `Export job '${id}' not found`);
    return job;
  }

  private json(job: ExportJob): Record<string, unknown> {
    return {
      exportId: job.exportId,
      format: job.format,
      status: job.status,
      createdAt: isoZ(job.createdMs),
      ...(job.queuedMs !== undefined ? { queuedAt: isoZ(job.queuedMs) } : {}),
      ...(job.startedMs !== undefined ? { startedAt: isoZ(job.startedMs) } : {}),
      ...(job.finishedMs !== undefined ? { finishedAt: isoZ(job.finishedMs) } : {}),
      ...(job.status === 'Completed' ? { numberOfRecords: job.numberOfRecords, fileSize: job.fileSize, fileChecksum: job.fileChecksum } : {}),
    };
  }

  /** Moves jobs along as time passes: queued jobs start when a slot frees, processing ones finish. */
  private advance(): void {
    const now = this.now();
    let freedAt = Number.NEGATIVE_INFINITY;
    for (;;) {
      const processing = [...this.jobs.values()].filter((j) => j.status === 'Processing');
      const finishing = processing
        .map((j) => ({ j, at: (j.startedMs ?? now) + this.options.processingMs }))
        .filter((x) => x.at <= now)
        .sort((a, b) => a.at - b.at)[0];
      if (finishing) {
        this.finish(finishing.j, finishing.at);
        freedAt = Math.max(freedAt, finishing.at);
        continue;
      }
      if (processing.length >= this.options.maxProcessing) return;
      const next = [...this.jobs.values()].filter((j) => j.status === 'Queued').sort((a, b) => (a.queuedMs ?? 0) - (b.queuedMs ?? 0))[0];
      if (!next) return;
      // It started when it was queued, or when a slot freed for it.
      this.start(next, Math.min(now, Math.max(next.queuedMs ?? now, freedAt)));
    }
  }

  private start(job: ExportJob, at: number): void {
    job.status = 'Processing';
    job.startedMs = at;
    if (job.object === 'activities') {
      const types = job.activityTypeIds;
      job.snapshot = [];
      this.state.activities.forEach((a, i) => {
        if (a.dateMs >= job.startMs && a.dateMs <= job.endMs && (!types || types.size === 0 || types.has(a.typeId))) job.snapshot!.push(i);
      });
      return;
    }
    job.snapshot = this.state.leads.filter((l) => l.deletedMs === null && l.createdMs >= job.startMs && l.createdMs <= job.endMs).map((l) => l.id);
  }

  private finish(job: ExportJob, at: number): void {
    const sep = SEPARATORS[job.format] ?? ',';
    const lines = [job.headers.map((h) => csvCell(h, sep)).join(sep)];
    if (job.object === 'activities') {
      for (const position of job.snapshot ?? []) {
        const activity = this.state.activities[position];
        if (!activity || !this.activityRow) continue;
        const row = this.activityRow(activity);
        lines.push(job.fields.map((f) => csvCell(row[f] ?? null, sep)).join(sep));
      }
    }
    for (const id of job.object === 'leads' ? job.snapshot ?? [] : []) {
      const lead = this.state.lead(id);
      if (!lead) continue;
      const row: Record<string, LeadValue> = {};
      for (const f of job.fields) row[f] = this.state.value(lead, f);
      for (const served of this.serveRow ? this.serveRow(id, row) : [row]) lines.push(job.fields.map((f) => csvCell(served[f] ?? null, sep)).join(sep));
    }
    const file = `${lines.join('\n')}\n`;
    job.file = file;
    job.numberOfRecords = lines.length - 1;
    job.fileSize = Buffer.byteLength(file);
    job.fileChecksum = createHash('sha256').update(file).digest('hex');
    job.finishedMs = at;
    job.status = 'Completed';
    job.snapshot = undefined;
    this.daily.add(job.fileSize);
  }

  /** A new job in status Created, answered as the create call answers. */
  private open(spec: Omit<ExportJob, 'exportId' | 'status' | 'createdMs'>): Reply {
    const at = this.now();
    const job: ExportJob = { ...spec, exportId: guidFor(`export:${at}:${++this.counter}`), status: 'Created', createdMs: at };
    this.jobs.set(job.exportId, job);
    return leadDbOk(at, [this.json(job)]);
  }

  /** POST /bulk/v1/leads/export/create.json */
  create(ctx: Ctx): Reply {
    const body = parseJsonBody(ctx);
    const fields = body.fields;
    if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== 'string')) fail('701', 'fields cannot be blank');
    for (const f of fields as string[]) if (!this.state.fields.has(f)) fail('1006', `Field '${f}' not found`);
    const format = body.format === undefined ? 'CSV' : body.format;
    if (typeof format !== 'string' || !SEPARATORS[format]) fail('1003', `Invalid format '${String(format)}': use CSV, TSV or SSV`);
    const filter = body.filter as Record<string, unknown> | undefined;
    if (!filter || typeof filter !== 'object' || Object.keys(filter).length === 0) fail('701', 'filter cannot be blank');
    if (Object.keys(filter).length > 1) fail('1003', 'Only one filter type may be specified per export job');
    const [type] = Object.keys(filter);
    // This emulated subscription lacks the optional filter infrastructure (docs: error 1035).
    if (type === 'updatedAt' || type === 'smartListId' || type === 'smartListName') fail('1035', 'Unsupported filter type for target subscription');
    if (type !== 'createdAt') fail('1003', `Invalid filter type '${type}'`);
    const { startMs, endMs } = createdAtRange(filter.createdAt);
    const names = (body.columnHeaderNames ?? {}) as Record<string, unknown>;
    return this.open({
      object: 'leads',
      fields: fields as string[],
      headers: (fields as string[]).map((f) => (typeof names[f] === 'string' ? (names[f] as string) : f)),
      format,
      startMs,
      endMs,
    });
  }

  /**
   * POST /bulk/v1/activities/export/create.json (bulk-activity-extract docs): filter.createdAt is
   * required (at most 31 days), filter.activityTypeIds optional; fields among
   * ACTIVITY_EXPORT_FIELDS, default all of them.
   */
  createActivities(ctx: Ctx): Reply {
    if (!this.allowActivityExport) fail('603', 'Access denied');
    const body = parseJsonBody(ctx);
    const fields = body.fields === undefined ? [...ACTIVITY_EXPORT_FIELDS] : body.fields;
    if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== 'string')) fail('701', 'fields cannot be blank');
    for (const f of fields as string[]) if (!(ACTIVITY_EXPORT_FIELDS as readonly string[]).includes(f)) fail('1003', `Invalid field '${f}'`);
    const format = body.format === undefined ? 'CSV' : body.format;
    if (typeof format !== 'string' || !SEPARATORS[format]) fail('1003', `Invalid format '${String(format)}': use CSV, TSV or SSV`);
    const filter = body.filter as Record<string, unknown> | undefined;
    if (!filter || typeof filter !== 'object' || filter.createdAt === undefined) fail('701', 'createdAt filter cannot be blank');
    for (const k of Object.keys(filter)) if (k !== 'createdAt' && k !== 'activityTypeIds') fail('1003', `Invalid filter type '${k}'`);
    const { startMs, endMs } = createdAtRange(filter.createdAt);
    const types = filter.activityTypeIds;
    if (types !== undefined && (!Array.isArray(types) || types.some((t) => !Number.isSafeInteger(t)))) fail('1003', 'Invalid activityTypeIds');
    return this.open({
      object: 'activities',
      activityTypeIds: new Set((types as number[] | undefined) ?? []),
      fields: fields as string[],
      headers: fields as string[],
      format,
      startMs,
      endMs,
    });
  }

  /** POST /bulk/v1/leads/export/{exportId}/enqueue.json */
  enqueue(id: string, object: ExportJob['object'] = 'leads'): Reply {
    const job = this.job(id, object);
    if (job.status !== 'Created') fail('1029', 'Job already queued');
    if (this.daily.exhausted()) fail('1029', 'Export daily quota exceeded');
    const inQueue = [...this.jobs.values()].filter((j) => j.status === 'Queued' || j.status === 'Processing').length;
    if (inQueue >= this.options.maxQueued) fail('1029', 'Too many jobs in queue');
    job.status = 'Queued';
    job.queuedMs = this.now();
    this.advance();
    return leadDbOk(this.now(), [this.json(job)]);
  }

  /** GET /bulk/v1/leads/export/{exportId}/status.json */
  status(id: string, object: ExportJob['object'] = 'leads'): Reply {
    return leadDbOk(this.now(), [this.json(this.job(id, object))]);
  }

  /** POST /bulk/v1/leads/export/{exportId}/cancel.json */
  cancel(id: string, object: ExportJob['object'] = 'leads'): Reply {
    const job = this.job(id, object);
    if (job.status === 'Queued' || job.status === 'Processing' || job.status === 'Created') {
      job.status = 'Cancelled';
      job.snapshot = undefined;
    }
    return leadDbOk(this.now(), [this.json(job)]);
  }

  /** GET /bulk/v1/leads/export/{exportId}/file.json (optionally with a bytes Range) */
  file(ctx: Ctx, id: string, object: ExportJob['object'] = 'leads'): Reply {
    const job = this.job(id, object);
    // CHOSEN: a file asked for before completion is invalid data.
    if (job.status !== 'Completed' || job.file === undefined) fail('1003', `Export job '${id}' is not completed`);
    const headers = { 'Content-Type': 'text/csv;charset=UTF-8' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(ctx.headers.range ?? ''));
    if (range) {
      const buf = Buffer.from(job.file);
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), buf.length - 1) : buf.length - 1;
      return { status: 206, text: buf.subarray(start, end + 1).toString('utf8'), headers: { ...headers, 'Content-Range': `bytes ${start}-${end}/${buf.length}` } };
    }
    return { status: 200, text: job.file, headers };
  }

  /** Jobs in each status, for tests. */
  counts(): Record<string, number> {
    this.advance();
    const out: Record<string, number> = {};
    for (const j of this.jobs.values()) out[j.status] = (out[j.status] ?? 0) + 1;
    return out;
  }
}
