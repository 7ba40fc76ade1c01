import { latestSegmentationRun, listSegments } from '../store/segmentation-runs.js';
import { RunHistory } from '../store/runs.js';
import { destinationSettings, sourceSettings } from '../config/workspace.js';
import { tokenSpecs } from '../segmentation/tokens.js';
import { latestPredictionRecord, predictionTokenHorizon } from './prediction-record.js';
import type { DestinationPlan } from '../domain/plan.js';
import type { Db } from '../store/db.js';
import type { TokenSpec } from '../domain/segments.js';
import { applyPlan, type ApplySummary } from './apply.js';
import { planDestination } from './plan.js';
import { pullSource, type StreamPullSummary } from './pull.js';
import { runSegmentation, type SegmentSummary } from './segment.js';
import { runSegmentationInWorker } from './segment-thread.js';
import { requestCounts, type Session } from './session.js';
import { silentProgressFactory, type ProgressFactory } from './progress.js';
import { MassRemovalError } from './apply.js';
import { runCounts } from './run-counts.js';
import { maskSecrets } from '../log/redact.js';

export interface RequestCounts {
  [platform: string]: { reads: number; writes: number; retries: number; throttled: number };
}

export interface PullResult {
  streams: StreamPullSummary[];
  totals: { received: number; stored: number; changed: number; quarantined: number };
}

export interface PushResult {
  dryRun: boolean;
  destinations: Array<{
    platform: string;
    mode: string;
    plan: {
      lists: Array<{ segmentKey: string; listName: string; add: number; remove: number }>;
      listAdds: number;
      listRemoves: number;
      tokenUpdates: number;
      skippedRemovals: number;
      unsubscribedExcluded: number;
      forget: number;
    };
    applied?: ApplySummary;
  }>;
}

export interface CommandOptions {
  signal: AbortSignal;
  progress?: ProgressFactory;
  /** Only these platforms (a scheduled job per source or destination); all configured ones when absent. */
  platforms?: readonly string[];
}

const chosen = (options: CommandOptions, platform: string) => options.platforms === undefined || options.platforms.includes(platform);

export function pullTotals(streams: readonly StreamPullSummary[]): PullResult['totals'] {
  const totals = { received: 0, stored: 0, changed: 0, quarantined: 0 };
  for (const s of streams) {
    totals.received += s.received;
    totals.stored += s.stored;
    totals.changed += s.changed;
    totals.quarantined += s.quarantined;
  }
  return totals;
}

export async function pull(session: Session, options: CommandOptions & { full: boolean }): Promise<PullResult> {
  const progress = options.progress ?? silentProgressFactory;
  // Platforms have separate rate limits, so they are pulled at the same time; SQLite writes stay
  // one transaction at a time because each page is written synchronously.
  const perPlatform = await settleAll(
    session.connectors
      .filter((c) => c.connector.source && sourceSettings(session.workspace, c.id).enabled && chosen(options, c.id))
      .map((c) => pullSource({
        db: session.db,
        platform: c.id,
        source: c.connector.source!,
        full: options.full,
        signal: options.signal,
        progress: progress(),
      })),
  );
  const streams = perPlatform.flat();
  return { streams, totals: pullTotals(streams) };
}

export function segment(session: Session, options: { exportDir?: string } = {}): SegmentSummary {
  return runSegmentation(session.db, session.workspace, options);
}

/**
 * The same segmentation, computed in a worker thread so that this thread stays responsive (timers,
 * lease renewals, health checks, Ctrl-C). The commands and the daemon use this one; an abort
 * stops the worker without storing anything. A store in memory cannot be shared with a thread.
 */
export async function segmentInWorker(session: Session, options: { exportDir?: string; signal?: AbortSignal } = {}): Promise<SegmentSummary> {
  const { signal, ...rest } = options;
  if (session.dbPath === ':memory:') return segment(session, rest);
  return runSegmentationInWorker({ dbPath: session.dbPath, workspace: session.workspace, options: rest }, signal);
}

function describePlan(plan: DestinationPlan): PushResult['destinations'][number]['plan'] {
  const lists = plan.lists
    .filter((l) => l.add.length > 0 || l.remove.length > 0)
    .map((l) => ({ segmentKey: l.segmentKey, listName: l.listName, add: l.add.length, remove: l.remove.length }));
  return {
    lists,
    listAdds: lists.reduce((n, l) => n + l.add, 0),
    listRemoves: lists.reduce((n, l) => n + l.remove, 0),
    tokenUpdates: plan.tokens.length,
    skippedRemovals: plan.skippedRemovals,
    unsubscribedExcluded: plan.unsubscribedExcluded,
    forget: plan.forgetIds.length,
  };
}

/** The tokens a push declares: the store's segments, and the predictions unless the latest run had them off. */
export function pushedTokenSpecs(db: Db): TokenSpec[] {
  return tokenSpecs(listSegments(db), predictionTokenHorizon(latestPredictionRecord(db)));
}

export async function push(
  session: Session,
  options: CommandOptions & { dryRun: boolean; allowMassRemoval: boolean },
): Promise<PushResult> {
  if (!latestSegmentationRun(session.db)) {
    throw new Error('nothing to push yet: no segmentation run in the store. Run `segsync segment` (or `segsync sync`) first.');
  }
  const tokens = pushedTokenSpecs(session.db);
  const result: PushResult = { dryRun: options.dryRun, destinations: [] };
  const plans = session.connectors.flatMap((c) => {
    const settings = destinationSettings(session.workspace, c.id);
    const destination = c.connector.destination;
    if (!destination || !settings.enabled || !chosen(options, c.id)) return [];
    return [{ c, settings, destination, plan: planDestination(session.db, c.id, destination, settings) }];
  });
  for (const { c, settings, plan } of plans) {
    result.destinations.push({ platform: c.id, mode: settings.mode, plan: describePlan(plan) });
  }
  if (options.dryRun) return result;
  // The guard looks at every destination before anything is sent anywhere.
  if (!options.allowMassRemoval) {
    for (const { c, settings, plan } of plans) {
      if (plan.guardViolations.length > 0) throw new MassRemovalError(c.id, plan.guardViolations, settings.massRemovalThreshold);
    }
  }
  const progress = options.progress ?? silentProgressFactory;
  const applied = await settleAll(plans.map(({ settings, destination, plan }) => applyPlan({
    db: session.db,
    plan,
    destination,
    tokens,
    allowMassRemoval: options.allowMassRemoval,
    massRemovalThreshold: settings.massRemovalThreshold,
    progress: progress(),
    signal: options.signal,
  })));
  applied.forEach((summary, i) => {
    result.destinations[i]!.applied = summary;
  });
  return result;
}

/** Like Promise.all, but lets every platform finish (or fail) before reporting the first failure. */
async function settleAll<T>(work: Array<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** Runs one command with a row in run history, whatever happens. */
export interface RecordOptions {
  trigger?: 'manual' | 'schedule';
  /** The scheduled job this run belongs to. */
  job?: string;
  /** Why it started when it did, e.g. "late: due 2026-12-07T12:01:00Z, started ... (2 ticks missed: ...)". */
  note?: string;
}

/**
 * Runs `work` as one recorded run: a row in the run history from start to end, with the summary,
 * the uniform counts and the error. Request counts are this run's own (the transport's counters
 * are read before and after).
 */
export async function recorded<T>(
  session: Session,
  command: string,
  work: () => Promise<T>,
  options: RecordOptions = {},
): Promise<{ result: T; requests: RequestCounts }> {
  const history = new RunHistory(session.db);
  const before = requestCounts(session);
  const runId = history.start(command, options.trigger ?? 'manual', options.job, options.note);
  // A scheduled run holds its job's lease: any other row of the job still 'running' is a dead process's.
  if (options.job) history.closeOrphansOf(options.job, runId, 'the process running it stopped before it finished (killed or crashed); this job\'s next run redid its work');
  try {
    const result = await work();
    const requests = requestsSince(before, requestCounts(session));
    history.finish(runId, 'succeeded', { result, requests }, runCounts(result, requests));
    return { result, requests };
  } catch (error) {
    const requests = requestsSince(before, requestCounts(session));
    history.finish(runId, 'failed', { requests }, runCounts(undefined, requests), maskSecrets((error as Error).message));
    throw error;
  }
}

function requestsSince(before: RequestCounts, after: RequestCounts): RequestCounts {
  const out: RequestCounts = {};
  for (const [platform, a] of Object.entries(after)) {
    const b = before[platform] ?? { reads: 0, writes: 0, retries: 0, throttled: 0 };
    out[platform] = { reads: a.reads - b.reads, writes: a.writes - b.writes, retries: a.retries - b.retries, throttled: a.throttled - b.throttled };
  }
  return out;
}
