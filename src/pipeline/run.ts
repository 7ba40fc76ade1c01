import { latestSegmentationRun, listSegments } from '../store/segmentation-runs.js';
import { RunHistory } from '../store/runs.js';
import { destinationSettings, sourceSettings } from '../config/workspace.js';
import { tokenSpecs } from '../segmentation/tokens.js';
import { latestPredictionRecord, predictionTokenHorizon } from './prediction-record.js';
import { latestClusteringNames } from './clustering-record.js';
import type { DestinationPlan } from '../domain/plan.js';
import type { Db } from '../store/db.js';
import type { TokenSpec } from '../domain/segments.js';
import { applyPlan, type ApplySummary } from './apply.js';
import { autoStartCampaigns, segmentsWithoutList, type AutoStartOutcome } from '../measure/campaign-autostart.js';
import { planDestination } from './plan.js';
import { pullSource, pullTotals, type StreamPullSummary } from './pull.js';
import { purgeExpired, type PurgeSummary } from './retention.js';
import { runSegmentation, type SegmentSummary } from './segment.js';
import { runSegmentationInWorker } from './segment-thread.js';
import { requestCounts, type Session } from './session.js';
import { silentProgressFactory, type ProgressFactory } from './progress.js';
import { MassRemovalError } from './apply.js';
import { runCounts } from './run-counts.js';
import { maskSecrets } from '../log/redact.js';
import { errorKind } from './error-kind.js';
import { partsSoFar, reportRunPart, trackRunParts, type RunParts } from './run-progress.js';
import { HEARTBEAT_MS } from '../store/runs.js';
import { ApiError } from '../http/errors.js';
import { PendingRemovals } from '../store/pending-removals.js';
import { countByStatus, sendPendingRemovals, type RemovalCounts, type RemovalOutcome } from './platform-removals.js';

export interface RequestCounts {
  [platform: string]: { reads: number; writes: number; retries: number; throttled: number };
}

export interface PullResult {
  streams: StreamPullSummary[];
  totals: { received: number; stored: number; changed: number; quarantined: number; suppressed: number };
  /** Personal data of records gone from their platform longer than privacy.retentionDays, purged after the pull. */
  purged?: PurgeSummary;
  /** With `keepGoing`: the platforms whose pull failed (what they stored before is in `streams`). */
  failed?: PlatformFailure[];
}

/** A platform whose step failed while a sync went on with the others. */
export interface PlatformFailure {
  platform: string;
  step: 'pull' | 'push';
  /** As the CLI names errors: 'configuration', 'api:<kind>' or 'failure'. */
  kind: string;
  error: string;
  /** For an API error: the call and what the platform answered. */
  call?: string;
  status?: number;
  correlationId?: string;
}

/** The platform's error, secrets masked, with what the log and `--json` report of it. */
function failureOf(platform: string, step: PlatformFailure['step'], error: unknown): PlatformFailure {
  const kind = errorKind(error);
  const api = error instanceof ApiError
    ? { call: error.call, ...(error.status !== undefined ? { status: error.status } : {}), ...(error.correlationId ? { correlationId: error.correlationId } : {}) }
    : {};
  return { platform, step, kind, error: maskSecrets(error instanceof Error ? error.message : String(error)), ...api };
}

export interface PushResult {
  dryRun: boolean;
  /** With `campaigns.autoStart`: the campaigns this push started (segments whose first list it created). */
  campaignsStarted?: AutoStartOutcome[];
  destinations: Array<{
    platform: string;
    mode: string;
    plan: {
      /** The lists with adds or removes; heldOut: control members kept off it (controlGroups). */
      lists: Array<{ segmentKey: string; listName: string; add: number; remove: number; heldOut: number }>;
      listAdds: number;
      listRemoves: number;
      tokenUpdates: number;
      skippedRemovals: number;
      unsubscribedExcluded: number;
      /** Control members kept off this destination's lists, over every list (unchanged ones too). */
      controlHeldOut: number;
      forget: number;
    };
    applied?: ApplySummary;
    /**
     * The mass-removal guard's verdict on this destination's plan (dry runs): the lists that
     * would lose more than `threshold` of their members, and whether the real push would stop on
     * them (it stops before sending anything to any destination) or --allow-mass-removal lets it go.
     */
    massRemovalGuard?: MassRemovalVerdict;
    /** With `keepGoing`: why nothing (or only `applied`) was pushed here. */
    failed?: string;
    /** Not pushed: its pull failed in this sync. */
    skipped?: string;
  }>;
  /** With `keepGoing`: the destinations whose push failed. */
  failures?: PlatformFailure[];
  /**
   * Removals of forgotten people a platform had not confirmed yet (`segsync forget`), finished
   * first: counts by outcome only, so the run history never names them.
   */
  pendingRemovals?: RemovalCounts;
}

export interface MassRemovalVerdict {
  threshold: number;
  lists: Array<{ segmentKey: string; listName: string; removals: number; members: number; share: number }>;
  verdict: 'passes' | 'stops' | 'allowed';
}

export interface CommandOptions {
  signal: AbortSignal;
  progress?: ProgressFactory;
  /** Only these platforms (a scheduled job per source or destination); all configured ones when absent. */
  platforms?: readonly string[];
}

const chosen = (options: { platforms?: readonly string[] }, platform: string) => options.platforms === undefined || options.platforms.includes(platform);

export { pullTotals } from './pull.js';

/** The platforms a pull reads: configured sources that are enabled (and chosen). */
export function pulledPlatforms(session: Session, options: { platforms?: readonly string[] } = {}): string[] {
  return session.connectors
    .filter((c) => c.connector.source && sourceSettings(session.workspace, c.id).enabled && chosen(options, c.id))
    .map((c) => c.id);
}

/**
 * Pulls every platform. A platform that fails does not stop the others; then the first failure
 * is thrown, or with `keepGoing` every failure is listed in the result. Either way the streams
 * hold what each platform stored, a failed one's included.
 */
export async function pull(session: Session, options: CommandOptions & { full: boolean; keepGoing?: boolean; allowBlanking?: boolean; allowMassDeletion?: boolean }): Promise<PullResult> {
  const progress = options.progress ?? silentProgressFactory;
  const platforms = pulledPlatforms(session, options);
  const sinks = platforms.map((): StreamPullSummary[] => []);
  const soFar = (): PullResult => {
    const streams = sinks.flat();
    return { streams, totals: pullTotals(streams) };
  };
  reportRunPart('pull', soFar);
  // Platforms have separate rate limits, so they are pulled at the same time; SQLite writes stay
  // one transaction at a time because each page is written synchronously.
  const settled = await Promise.allSettled(platforms.map((id, i) => {
    const c = session.connectors.find((connector) => connector.id === id)!;
    return pullSource({
      db: session.db,
      platform: id,
      source: c.connector.source!,
      full: options.full,
      signal: options.signal,
      progress: progress(),
      summaries: sinks[i]!,
      // Scheduled jobs never pass allowBlanking: a refused batch fails the job for an admin to rerun by hand.
      blanking: { allow: options.allowBlanking === true, threshold: sourceSettings(session.workspace, id).blankingThreshold },
      // Nor allowMassDeletion: a full read that finds most records gone fails the job, nothing marked.
      massDeletion: { allow: options.allowMassDeletion === true, threshold: sourceSettings(session.workspace, id).massDeletionThreshold },
      mapping: { displayName: c.displayName, origin: c.mappingOrigin, mapping: c.mapping },
    });
  }));
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ platform: platforms[i]!, reason: s.reason as unknown }] : []));
  // A stop (Ctrl-C, a lost lease) is no platform's failure: it ends the run.
  if (failures.length > 0 && (!options.keepGoing || options.signal.aborted)) throw failures[0]!.reason;
  return { ...soFar(), purged: purgeExpired(session.db, { retentionDays: session.workspace.privacy.retentionDays }), ...(options.keepGoing ? { failed: failures.map((f) => failureOf(f.platform, 'pull', f.reason)) } : {}) };
}

export function segment(session: Session, options: { exportDir?: string } = {}): SegmentSummary {
  const summary = withUnmappedPersonaTokens(session, runSegmentation(session.db, session.workspace, options));
  reportRunPart('segment', () => summary);
  return summary;
}

/**
 * A named clustering's persona tokens go only where a destination's mapping names a field (as any
 * unmapped token): say where they do not, so an admin does not wait for a property that never comes.
 */
function withUnmappedPersonaTokens(session: Session, summary: SegmentSummary): SegmentSummary {
  const warnings = session.connectors.flatMap((c) => {
    const destination = c.connector.destination;
    const settings = destinationSettings(session.workspace, c.id);
    if (!destination || !settings.enabled || !settings.tokens) return [];
    return summary.clusterings.filter((k) => k.name !== 'customers' && destination.tokenField(`persona_${k.name}`) === undefined)
      .map((k) => `the ${k.name} persona is not written to ${c.id}: its mapping has no line for persona_${k.name} (add persona_${k.name}: <field> and persona_${k.name}_summary: <field> under tokens:); its lists are pushed`);
  });
  return warnings.length === 0 ? summary : { ...summary, warnings: [...summary.warnings, ...warnings] };
}

/**
 * The same segmentation, computed in a worker thread so that this thread stays responsive (timers,
 * lease renewals, health checks, Ctrl-C). The commands and the daemon use this one; an abort
 * stops the worker without storing anything. A store in memory cannot be shared with a thread.
 */
export async function segmentInWorker(session: Session, options: { exportDir?: string; signal?: AbortSignal } = {}): Promise<SegmentSummary> {
  const { signal, ...rest } = options;
  if (session.dbPath === ':memory:') return segment(session, rest);
  const summary = withUnmappedPersonaTokens(session, await runSegmentationInWorker({ dbPath: session.dbPath, workspace: session.workspace, options: rest }, signal));
  reportRunPart('segment', () => summary);
  return summary;
}

function describePlan(plan: DestinationPlan): PushResult['destinations'][number]['plan'] {
  const lists = plan.lists
    .filter((l) => l.add.length > 0 || l.remove.length > 0)
    .map((l) => ({ segmentKey: l.segmentKey, listName: l.listName, add: l.add.length, remove: l.remove.length, heldOut: l.heldOut }));
  return {
    lists,
    listAdds: lists.reduce((n, l) => n + l.add, 0),
    listRemoves: lists.reduce((n, l) => n + l.remove, 0),
    tokenUpdates: plan.tokens.length,
    skippedRemovals: plan.skippedRemovals,
    unsubscribedExcluded: plan.unsubscribedExcluded,
    controlHeldOut: plan.lists.reduce((n, l) => n + l.heldOut, 0),
    forget: plan.forgetIds.length,
  };
}

/** The tokens a push declares: the store's segments, and the predictions unless the latest run had them off. */
export function pushedTokenSpecs(db: Db): TokenSpec[] {
  return tokenSpecs(listSegments(db), predictionTokenHorizon(latestPredictionRecord(db)), latestClusteringNames(db));
}

/**
 * Pushes to every destination. A destination that fails does not stop the others; then the first
 * failure is thrown, or with `keepGoing` each failed destination says why in the result. `skip`:
 * destinations not to push to, with the reason (their pull failed in this sync).
 */
export async function push(
  session: Session,
  options: CommandOptions & { dryRun: boolean; allowMassRemoval: boolean; keepGoing?: boolean; skip?: ReadonlyMap<string, string> },
): Promise<PushResult> {
  if (!latestSegmentationRun(session.db)) {
    throw new Error('nothing to push yet: no segmentation run in the store. Run `segsync segment` (or `segsync sync`) first.');
  }
  const tokens = pushedTokenSpecs(session.db);
  const result: PushResult = { dryRun: options.dryRun, destinations: [] };
  reportRunPart('push', () => result);
  const skipped: PushResult['destinations'] = [];
  const plans = session.connectors.flatMap((c) => {
    const settings = destinationSettings(session.workspace, c.id);
    const destination = c.connector.destination;
    if (!destination || !settings.enabled || !chosen(options, c.id)) return [];
    const skip = options.skip?.get(c.id);
    if (skip !== undefined) {
      skipped.push({ platform: c.id, mode: settings.mode, plan: NOTHING_PLANNED, skipped: skip });
      return [];
    }
    return [{ c, settings, destination, plan: planDestination(session.db, c.id, destination, settings, session.workspace.controlGroups) }];
  });
  for (const { c, settings, plan } of plans) {
    result.destinations.push({
      platform: c.id,
      mode: settings.mode,
      plan: describePlan(plan),
      ...(options.dryRun ? { massRemovalGuard: massRemovalVerdict(plan, settings.massRemovalThreshold, options.allowMassRemoval) } : {}),
    });
  }
  // Whatever `forget` could not send is sent before anything else, on every configured platform
  // segsync wrote to (a destination switched off still holds segsync's earlier lists and tokens).
  const forgotten = new PendingRemovals(session.db);
  const removalTargets = forgotten.count() === 0 ? [] : session.connectors.filter((c) => c.connector.destination && chosen(options, c.id) && forgotten.count(c.id) > 0);
  result.destinations.push(...skipped);
  if (options.dryRun) {
    const planned = removalTargets.reduce((n, c) => n + forgotten.count(c.id), 0);
    if (planned > 0) result.pendingRemovals = { planned };
    return result;
  }
  // The guard looks at every destination before anything is sent anywhere.
  if (!options.allowMassRemoval) {
    for (const { c, settings, plan } of plans) {
      if (plan.guardViolations.length > 0) throw new MassRemovalError(c.id, plan.guardViolations, settings.massRemovalThreshold);
    }
  }
  if (removalTargets.length > 0) {
    const outcomes: RemovalOutcome[] = [];
    for (const c of removalTargets) outcomes.push(...(await sendPendingRemovals(session.db, c.id, c.connector.destination, { signal: options.signal })));
    result.pendingRemovals = countByStatus(outcomes);
  }
  const progress = options.progress ?? silentProgressFactory;
  const unlisted = session.workspace.campaigns.autoStart ? segmentsWithoutList(session.db, plans.flatMap((p) => p.plan.lists.map((l) => l.segmentKey))) : [];
  // Each destination's summary is in the result from its first batch on: what a failed push applied.
  const settled = await Promise.allSettled(plans.map(({ settings, destination, plan }, i) => applyPlan({
    db: session.db,
    plan,
    destination,
    tokens,
    allowMassRemoval: options.allowMassRemoval,
    massRemovalThreshold: settings.massRemovalThreshold,
    progress: progress(),
    signal: options.signal,
    track: (summary) => {
      result.destinations[i]!.applied = summary;
    },
  })));
  if (unlisted.length > 0) result.campaignsStarted = autoStartCampaigns(session.db, session.workspace, unlisted, new Date());
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ i, reason: s.reason as unknown }] : []));
  if (failures.length > 0 && (!options.keepGoing || options.signal.aborted)) throw failures[0]!.reason;
  if (options.keepGoing) result.failures = failures.map((f) => failureOf(plans[f.i]!.c.id, 'push', f.reason));
  for (const f of result.failures ?? []) result.destinations.find((d) => d.platform === f.platform)!.failed = f.error;
  return result;
}

/** What the guard in push() (and applyPlan) would decide on this plan. */
function massRemovalVerdict(plan: DestinationPlan, threshold: number, allowMassRemoval: boolean): MassRemovalVerdict {
  const lists = plan.guardViolations.map((v) => ({ segmentKey: v.segmentKey, listName: v.listName, removals: v.removals, members: v.appliedSize, share: v.share }));
  return { threshold, lists, verdict: lists.length === 0 ? 'passes' : allowMassRemoval ? 'allowed' : 'stops' };
}

const NOTHING_PLANNED: PushResult['destinations'][number]['plan'] = {
  lists: [], listAdds: 0, listRemoves: 0, tokenUpdates: 0, skippedRemovals: 0, unsubscribedExcluded: 0, controlHeldOut: 0, forget: 0,
};

/** What `sync` did: the steps it reached, and every platform that failed on the way. */
export interface SyncResult {
  pull: PullResult;
  /** null: no platform could be pulled, so nothing was segmented or pushed. */
  segment: SegmentSummary | null;
  push: PushResult | null;
  failed: PlatformFailure[];
}

/**
 * pull + segment + push that goes on past a failing platform. Segmentation runs when at least one
 * platform was pulled (or none has a source), over everything stored, a failed platform's last
 * good data included (dropping it would change everyone's profiles). A platform whose pull failed
 * is not pushed to in this sync: its contacts in the store may be behind what it holds (an
 * unsubscribe not yet seen), and its answers just failed; the next sync that pulls it pushes it.
 * `between` runs before segmenting and before pushing (the scheduler renews its lease there).
 */
export async function sync(
  session: Session,
  options: CommandOptions & { full: boolean; dryRun: boolean; allowMassRemoval: boolean; allowBlanking?: boolean; allowMassDeletion?: boolean; between?: () => void },
): Promise<SyncResult> {
  const pulled = await pull(session, { ...options, keepGoing: true });
  const failed = [...(pulled.failed ?? [])];
  const result: SyncResult = { pull: pulled, segment: null, push: null, failed };
  const attempted = pulledPlatforms(session, options).length;
  if (attempted > 0 && failed.length === attempted) return result;
  options.between?.();
  result.segment = await segmentInWorker(session, { signal: options.signal });
  options.between?.();
  const skip = new Map(failed.map((f) => [f.platform, `its pull failed (${f.error.split('\n')[0]}); pushed by the next sync that pulls it`]));
  result.push = await push(session, { ...options, keepGoing: true, skip });
  failed.push(...(result.push.failures ?? []));
  return result;
}

/** One line naming every failed platform, for the exit message and the run's error. */
export function describeFailures(failed: readonly PlatformFailure[]): string {
  return failed.map((f) => `${f.platform} ${f.step} failed: ${f.error.split('\n')[0]}`).join('; ');
}

/** Why a scheduled run still marked running was closed by its job's next run (which holds the job's lease). */
const ORPHANED_RUN = 'its process is gone (killed or crashed) before the run finished; what it stored and pushed before is counted';

/** Runs one command with a row in run history, whatever happens. */
export interface RecordOptions<T = unknown> {
  trigger?: 'manual' | 'schedule';
  /** The scheduled job this run belongs to. */
  job?: string;
  /** A result that is a failure although nothing was thrown (a sync with a failed platform): the error to record. */
  failure?: (result: T) => string | undefined;
  /** Why it started when it did, e.g. "late: due 2026-12-07T12:01:00Z, started ... (2 ticks missed: ...)". */
  note?: string;
  /** Called once the run's row is in run history (before the work starts). */
  started?: () => void;
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
  options: RecordOptions<T> = {},
): Promise<{ result: T; requests: RequestCounts }> {
  const history = new RunHistory(session.db);
  const before = requestCounts(session);
  const runId = history.start(command, options.trigger ?? 'manual', options.job, options.note);
  options.started?.();
  // A scheduled run holds its job's lease: any other row of the job still 'running' is a dead process's.
  if (options.job) history.closeOrphansOf(options.job, runId, ORPHANED_RUN);
  const parts: RunParts = {};
  const countsSoFar = () => runCounts(partsSoFar(parts), requestsSince(before, requestCounts(session)));
  // Each pull flush and each confirmed push batch writes the counts so far (in its transaction).
  parts.checkpoint = () => {
    try {
      history.heartbeat(runId, countsSoFar());
    } catch {
      // Never fail the data's transaction for the run's row: the next checkpoint or heartbeat writes it.
    }
  };
  // Signs of life with the counts so far: a run killed outright keeps them, and is told from a live one.
  const heartbeat = setInterval(() => {
    try {
      history.heartbeat(runId, countsSoFar());
    } catch {
      // A busy store: the next beat tries again.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    const result = await trackRunParts(parts, work);
    const requests = requestsSince(before, requestCounts(session));
    const failure = options.failure?.(result);
    history.finish(runId, failure === undefined ? 'succeeded' : 'failed', { result, requests }, runCounts(result, requests), failure === undefined ? undefined : maskSecrets(failure));
    return { result, requests };
  } catch (error) {
    // What it stored and pushed before it failed: the parts it reached, as far as they got.
    const requests = requestsSince(before, requestCounts(session));
    const partial = partsSoFar(parts);
    history.finish(runId, 'failed', { ...(partial === undefined ? {} : { partial }), requests }, runCounts(partial, requests), maskSecrets((error as Error).message));
    throw error;
  } finally {
    clearInterval(heartbeat);
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
