import { createTask, type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { ConnectorDescriptor } from '../domain/connector.js';
import type { TransportEvents } from '../http/transport.js';
import { readCoreEnv } from '../config/env.js';
import { maskSecrets } from '../log/redact.js';
import { ConfigError } from '../config/errors.js';
import { destinationSettings, sourceSettings, loadWorkspace } from '../config/workspace.js';
import { describeFailures, pull, push, recorded, segmentInWorker, sync, type RequestCounts, type SyncResult } from '../pipeline/run.js';
import { runCounts } from '../pipeline/run-counts.js';
import { openSession, requestCounts, type Session } from '../pipeline/session.js';
import { openStore, type Db } from '../store/db.js';
import { RunHistory, type RunCounts } from '../store/runs.js';
import type { HealthStatus } from './health-types.js';
import { JobLeases, leaseOwner, ownerGone, type LeaseClaim } from './leases.js';
import { operationLeaseKeys } from './lease-keys.js';
import { scheduledJobs, type ScheduledJob } from './schedule-config.js';

/** What the daemon logs through: pino's shape (object first, then the message), nothing more. */
export interface SchedulerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  child?(bindings: object): SchedulerLog;
}

/** One finished run, as the alerter and the CLI see it. */
export interface FinishedRun {
  job: string;
  ok: boolean;
  /** The row in run history; absent when the run failed before it could be recorded (config, store). */
  runId?: number;
  error?: string;
  startedAt: string;
  finishedAt: string;
  counts?: RunCounts;
}

export type RunOutcome =
  | ({ status: 'succeeded' | 'failed'; result?: unknown; requests?: RequestCounts } & FinishedRun)
  /** runNow while this process is running the job (a tick then runs late, once the run ends), or the store was locked. */
  | { status: 'skipped'; job: string }
  /**
   * Another process holds a lease the run needs: the job's own (`key` is the job's name: another
   * daemon runs it) or an operation lease (`push:hubspot`: a manual command or another job does that).
   */
  | { status: 'held'; job: string; key: string; holder: string; command?: string; since: string; until: string }
  /** The scheduler is stopping or stopped. */
  | { status: 'stopped'; job: string };

export interface JobView {
  name: string;
  run: ScheduledJob['run'];
  platform: string | undefined;
  cron: string;
  timezone: string;
  /** The next tick; null once stopped (or for `--once`, which has no ticks). */
  next: Date | null;
  running: boolean;
  /** Ticks that could not start on time since this daemon started (each made up by a late run). */
  missedTicks: number;
  /** Runs that started late to make up missed ticks. */
  lateRuns: number;
  /** When the oldest tick still waiting for its late run was due; null when none waits. */
  lateSince: string | null;
}

export interface SchedulerOptions {
  env?: NodeJS.ProcessEnv;
  registry: readonly ConnectorDescriptor<never>[];
  /** Milliseconds since the epoch; for lease times and the abandoned-run cutoff. */
  clock?: () => number;
  log: SchedulerLog;
  /** After every run (the alerter decides what to announce). Awaited, so stop() waits for it too. */
  onRunFinished?: (run: FinishedRun) => void | Promise<void>;
  /** This daemon's name in job_leases; `${hostname}:${pid}:${random}` by default. */
  owner?: string;
  /** false: no cron tasks, jobs run only through runNow (`segsync schedule --once`). */
  ticks?: boolean;
  /** Transport events of every run's session (retries and rate-limit waits, for the log). */
  events?: TransportEvents;
}

export interface Scheduler {
  readonly owner: string;
  readonly settings: ScheduleSettings;
  jobs(): JobView[];
  /** Runs a job now through the same path as a tick (overlap check, lease, recording). */
  runNow(job: string): Promise<RunOutcome>;
  health(): HealthStatus;
  /**
   * No new runs; waits up to shutdownSeconds for the runs in flight, which finish and are
   * recorded as they would have been (so a SIGTERM between two ticks loses nothing). Only a run
   * still going at the deadline is interrupted: its AbortSignal fires, a pull stops once the
   * request in flight answers, without writing that page (each page is one transaction, so
   * nothing is half-written), a push stops before its next batch, a segmentation's worker thread
   * is ended (its transaction, if open, rolls back), and recorded() marks the run failed. A run
   * that has not recorded itself 5 s after the signal is left behind with its lease (which
   * expires on its own, so no other daemon starts the job while it may still write);
   * `stuckRuns()` then tells the caller to exit. Ticks still waiting for their late run are logged.
   */
  stop(reason: string): Promise<void>;
  /** Runs still going after stop() gave up on them: the process must exit to end them. */
  stuckRuns(): number;
}

export interface ScheduleSettings {
  timezone: string;
  leaseSeconds: number;
  shutdownSeconds: number;
  /** From schedule.alerts.webhookUrl; SEGSYNC_ALERT_WEBHOOK_URL overrides it. */
  webhookUrl: string | undefined;
  dbPath: string;
  /** Where the schedule came from, for messages. */
  where: string;
}

/** How long an interrupted run gets to notice its signal and record itself before stop() moves on. */
const ABORT_GRACE_MS = 5_000;
export const ABANDONED_REASON = 'the process running it stopped (killed or crashed)';

/**
 * Reads and checks everything a daemon needs before anything starts: the store path, the
 * workspace config with its schedule, and that each job's platform is configured in the
 * environment. Throws ConfigError (exit 2) naming the path and the fix.
 */
export function loadSchedule(options: { env?: NodeJS.ProcessEnv; registry: readonly ConnectorDescriptor<never>[] }): {
  jobs: ScheduledJob[];
  settings: ScheduleSettings;
} {
  const env = options.env ?? process.env;
  const core = readCoreEnv(env);
  const where = core.SEGSYNC_CONFIG ? `workspace config ${core.SEGSYNC_CONFIG}` : 'the default workspace config';
  const workspace = loadWorkspace(core.SEGSYNC_CONFIG, options.registry.map((d) => d.id));
  const schedule = workspace.schedule;
  if (!schedule) {
    throw new ConfigError(
      `${where} has no schedule: add a schedule section with the jobs to run${core.SEGSYNC_CONFIG ? '' : ' (set SEGSYNC_CONFIG to your workspace config)'}, like\n` +
        'schedule:\n  timezone: Europe/Berlin\n  jobs:\n    - name: sync-all\n      run: sync\n      cron: "0 * * * *"',
    );
  }
  const configured = options.registry.filter((d) => d.configFromEnv(env) !== undefined);
  const jobs = scheduledJobs(schedule);
  for (const [i, job] of jobs.entries()) {
    if (job.run === 'segment') continue;
    if (job.platform !== undefined) {
      if (!configured.some((d) => d.id === job.platform)) {
        const d = options.registry.find((r) => r.id === job.platform)!;
        throw new ConfigError(
          `${where} is not valid:\n  - schedule.jobs.${i}.platform: ${d.displayName} is not configured in the environment; set ${d.enabledBy} (see .env.example) or remove the job`,
        );
      }
      // A job on a switched-off source or destination would "succeed" doing nothing, forever.
      const pulls = job.run !== 'push' && sourceSettings(workspace, job.platform).enabled;
      const pushes = job.run !== 'pull' && destinationSettings(workspace, job.platform).enabled;
      if (!pulls && !pushes) {
        const off = job.run === 'pull' ? `sources.${job.platform}.enabled` : job.run === 'push' ? `destinations.${job.platform}.enabled` : `sources.${job.platform}.enabled and destinations.${job.platform}.enabled`;
        throw new ConfigError(`${where} is not valid:\n  - schedule.jobs.${i}.platform: ${off} is false, so job ${job.name} would do nothing; enable it or remove the job`);
      }
    } else if (configured.length === 0) {
      throw new ConfigError(
        `${where} is not valid:\n  - schedule.jobs.${i}: job ${job.name} (${job.run}) needs a platform, and none is configured; set ${options.registry.map((d) => d.enabledBy).join(', ')} (see .env.example)`,
      );
    }
  }
  return {
    jobs,
    settings: {
      timezone: schedule.timezone,
      leaseSeconds: schedule.leaseSeconds,
      shutdownSeconds: schedule.shutdownSeconds,
      webhookUrl: env.SEGSYNC_ALERT_WEBHOOK_URL || schedule.alerts?.webhookUrl,
      dbPath: core.SEGSYNC_DB,
      where,
    },
  };
}

/** The next `count` times `cron` fires in `timezone`, after now (node-cron's own matcher). */
export function nextRuns(cron: string, timezone: string, count: number): Date[] {
  const task = createTask(cron, () => undefined, { timezone });
  try {
    return task.getNextRuns(count);
  } finally {
    void task.destroy();
  }
}

/**
 * How old a job's last success may be before /readyz calls it stale: two missed runs, plus a
 * lease's worth of run time. The gap is the longest among the next few, so "0 9 * * 1-5" is
 * judged by its weekend gap.
 */
export function maxSuccessAgeMs(cron: string, timezone: string, leaseSeconds: number): number {
  const runs = nextRuns(cron, timezone, 6);
  let gap = 0;
  for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i]!.getTime() - runs[i - 1]!.getTime());
  return 2 * gap + leaseSeconds * 1000;
}

interface InFlight {
  job: ScheduledJob;
  controller: AbortController;
  done: Promise<RunOutcome>;
  renewTimer: NodeJS.Timeout | undefined;
  /** The operation leases the run took once its session was open (lease-keys.ts), held by `opOwner`. */
  operationKeys: string[];
  start: Start;
}

/** What started a run: a tick (due at `dueMs`), the late run that makes up missed ticks, or runNow. */
type Start = { kind: 'tick'; dueMs: number } | { kind: 'late' } | { kind: 'now' };

/** Ticks of a job that could not start on time, made up by the job's next run (which starts late). */
interface MissedTicks {
  firstDue: number;
  count: number;
  reasons: Set<string>;
}

/** Why a tick could not start on time. */
const BUSY = 'the process was busy (event loop blocked)';
const STILL_RUNNING = 'the previous run was still going';
const STORE_BUSY = 'the store was locked';
/** How soon a late run tries again when what it needs is held, at most. */
const LATE_RETRY_MAX_MS = 30_000;

const iso = (ms: number) => new Date(ms).toISOString();
/** "2026-12-07T12:01:00Z": a tick's time, to the second. */
const tickTime = (ms: number) => `${iso(ms).slice(0, 19)}Z`;

/**
 * Starts the cron daemon: one node-cron task per job, in the job's time zone. Each run opens its
 * own session, is recorded in run history with trigger 'schedule' and the job's name, holds its
 * job's lease and the operation leases of what it does (pull:<platform>, segment:store,
 * push:<platform>, shared with the manual commands), renews them while it goes on and releases
 * them at the end. The segmentation runs in a worker thread, so ticks, renewals and health
 * answers go on during it.
 *
 * A tick is never lost silently: one that cannot start on time (the event loop was blocked past
 * node-cron's tolerance, the job's previous run is still going, or another run holds an operation
 * lease the job needs) is logged and counted, and the job runs once, late, as soon as it can;
 * however many ticks were missed, one late run makes them up, and its row in run history says
 * so in its note. A tick refused because another daemon holds the job's own lease is not missed:
 * that daemon is running the job.
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const env = options.env ?? process.env;
  const { log } = options;
  const clock = options.clock ?? Date.now;
  const owner = options.owner ?? leaseOwner();
  const { jobs, settings } = loadSchedule({ env, registry: options.registry });
  const leaseMs = settings.leaseSeconds * 1000;
  const renewEveryMs = Math.max(1_000, Math.floor(leaseMs / 3));
  const retryMs = Math.min(renewEveryMs, LATE_RETRY_MAX_MS);

  const db: Db = openStore(settings.dbPath, 'create');
  let dbOpen = true;
  const leases = new JobLeases(db);
  const history = new RunHistory(db);
  try {
    closeAbandonedRuns();
  } catch (error) {
    db.close();
    throw error;
  }

  const running = new Map<string, InFlight>();
  const missed = new Map<string, MissedTicks>();
  const lateTimers = new Map<string, NodeJS.Timeout>();
  const tickStats = new Map<string, { missedTicks: number; lateRuns: number }>(jobs.map((j) => [j.name, { missedTicks: 0, lateRuns: 0 }]));
  const maxAge = new Map<string, number>(jobs.map((j) => [j.name, maxSuccessAgeMs(j.cron, j.timezone, settings.leaseSeconds)]));
  const counters = { runs: 0, failures: 0, requests: 0, throttled: 0, retries: 0 };
  const tasks = new Map<string, ScheduledTask>();
  let stopping: Promise<void> | undefined;

  if (options.ticks !== false) {
    for (const job of jobs) {
      const task = createTask(job.cron, (context) => {
        // Not awaited: node-cron would only track it; overlap and errors are handled here.
        onTick(job, context.date.getTime());
      }, { name: `segsync:${job.name}`, timezone: job.timezone, logger: cronLogger(log, job.name) });
      // A listener also keeps node-cron from logging its own warning for the same tick.
      task.on('execution:missed', (context) => missTick(job, context.date.getTime(), BUSY));
      tasks.set(job.name, task);
    }
    for (const task of tasks.values()) void task.start();
  }
  log.info(
    { owner, jobs: jobs.map((j) => j.name), leaseSeconds: settings.leaseSeconds, ticks: options.ticks !== false },
    `scheduler started with ${jobs.length} job${jobs.length === 1 ? '' : 's'}`,
  );

  function closeAbandonedRuns(): void {
    const now = clock();
    // A run older than a lease whose process is gone can only be a leftover. While another daemon
    // holds a live lease, one of those runs may be its long run in progress: leave them all alone.
    // (A lease left by a command of this machine that was killed holds nothing: its process is gone.)
    const others = leases.live(now).filter((l) => l.owner !== owner && !ownerGone(l.owner));
    if (others.length > 0) {
      log.info({ holders: others.map((l) => `${l.job}@${l.owner}`) }, 'not closing runs left running: another daemon is running jobs on this store');
      return;
    }
    const closed = history.closeAbandoned(iso(now - leaseMs), ABANDONED_REASON);
    if (closed > 0) log.warn({ closed }, `marked ${closed} run${closed === 1 ? '' : 's'} left running by a stopped process as failed`);
  }

  function onTick(job: ScheduledJob, dueMs: number): void {
    if (stopping) return;
    if (running.has(job.name)) {
      missTick(job, dueMs, STILL_RUNNING);
      return;
    }
    void trigger(job, { kind: 'tick', dueMs });
  }

  /**
   * Counts and logs a tick that could not start on time, and makes sure the job runs once, late:
   * after `retryInMs` when what it needs is held, else now or when its run in progress ends.
   */
  function missTick(job: ScheduledJob, dueMs: number, reason: string, retryInMs?: number): void {
    if (stopping) return;
    tickStats.get(job.name)!.missedTicks++;
    const pending = missed.get(job.name);
    if (pending) {
      pending.count++;
      pending.firstDue = Math.min(pending.firstDue, dueMs);
      pending.reasons.add(reason);
    } else {
      missed.set(job.name, { firstDue: dueMs, count: 1, reasons: new Set([reason]) });
    }
    const when = retryInMs !== undefined ? `when it can (next try in ${Math.round(retryInMs / 1000)} s)` : running.has(job.name) ? 'when the run in progress ends' : 'now';
    log.warn({ job: job.name, due: iso(dueMs), reason, missedTicks: tickStats.get(job.name)!.missedTicks }, `${job.name}: tick due ${tickTime(dueMs)} missed (${reason}); the job runs once, late, ${when}`);
    if (retryInMs !== undefined) runLate(job, retryInMs);
    else if (!running.has(job.name)) runLate(job, 0);
  }

  /** Starts the job's late run after `delayMs`, unless one is planned already or a run started meanwhile. */
  function runLate(job: ScheduledJob, delayMs: number): void {
    if (stopping || lateTimers.has(job.name)) return;
    lateTimers.set(job.name, setTimeout(() => {
      lateTimers.delete(job.name);
      if (stopping || running.has(job.name) || !missed.has(job.name)) return;
      void trigger(job, { kind: 'late' });
    }, delayMs));
  }

  /** The note of a run that makes up missed ticks; they stay on the list until its row is written (lateRunRecorded). */
  function lateNote(job: ScheduledJob, startedMs: number): string | undefined {
    const pending = missed.get(job.name);
    if (!pending) return undefined;
    const ticks = pending.count === 1 ? '1 tick missed' : `${pending.count} ticks missed`;
    return `late: due ${tickTime(pending.firstDue)}, started ${tickTime(startedMs)} (${ticks}: ${[...pending.reasons].join('; ')})`;
  }

  /**
   * The late run's row is in run history: its missed ticks are made up. (A run that could not
   * write its row, a store locked past busy_timeout, leaves them waiting for the next late run.)
   */
  function lateRunRecorded(job: ScheduledJob): void {
    if (!missed.delete(job.name)) return;
    tickStats.get(job.name)!.lateRuns++;
  }

  /** A tick's run, or a late run, that could not start: it runs late, once, when it can. */
  function retryLater(job: ScheduledJob, start: Start, reason: string): void {
    if (start.kind === 'now') return;
    if (start.kind === 'tick') {
      missTick(job, start.dueMs, reason, retryMs);
    } else {
      missed.get(job.name)?.reasons.add(reason);
      runLate(job, retryMs);
    }
  }

  /** Runs the job now unless this process is running it (`skipped`) or another daemon holds its lease (`held`). */
  function trigger(job: ScheduledJob, start: Start): Promise<RunOutcome> {
    if (stopping) return Promise.resolve({ status: 'stopped', job: job.name });
    if (running.has(job.name)) return Promise.resolve({ status: 'skipped', job: job.name });
    let claim: LeaseClaim;
    try {
      claim = leases.acquireAll([job.name], owner, leaseMs, clock(), `job ${job.name}`);
    } catch (error) {
      // A store locked for longer than busy_timeout: the job runs late once the store answers.
      log.error({ job: job.name, error: (error as Error).message }, `could not take the job's lease: ${(error as Error).message}`);
      retryLater(job, start, STORE_BUSY);
      return Promise.resolve({ status: 'skipped', job: job.name });
    }
    if (!claim.ok) {
      const holder = claim.held;
      log.info({ job: job.name, holder: holder.owner, until: holder.expiresAt }, `skipped: job held by ${holder.owner}`);
      if (missed.delete(job.name)) log.info({ job: job.name, holder: holder.owner }, `${job.name}: no late run needed: ${holder.owner} is running the job`);
      return Promise.resolve({ status: 'held', job: job.name, key: holder.job, holder: holder.owner, ...(holder.command ? { command: holder.command } : {}), since: holder.acquiredAt, until: holder.expiresAt });
    }
    const controller = new AbortController();
    const flight: InFlight = { job, controller, done: Promise.resolve({ status: 'stopped', job: job.name }), renewTimer: undefined, operationKeys: [], start };
    running.set(job.name, flight);
    flight.renewTimer = setInterval(() => renew(flight), renewEveryMs);
    flight.done = execute(flight).finally(() => {
      clearInterval(flight.renewTimer);
      running.delete(job.name);
      if (dbOpen) {
        try {
          leases.releaseAll(flight.operationKeys, opOwner(job));
          leases.release(job.name, owner);
        } catch (error) {
          log.warn({ job: job.name, error: (error as Error).message }, 'could not release the lease; it expires on its own');
        }
      }
      // Ticks missed while it ran: one late run now.
      if (missed.has(job.name)) runLate(job, 0);
    });
    return flight.done;
  }

  /** The owner of a run's operation leases: per job, so that two jobs of this daemon exclude each other too. */
  function opOwner(job: ScheduledJob): string {
    return `${owner}:${job.name}`;
  }

  /** Keeps the leases ours while the run goes on; a lease lost means another process may start the same work. */
  function renew(flight: InFlight): boolean {
    const name = flight.job.name;
    let ok: boolean;
    try {
      const now = clock();
      ok = leases.renew(name, owner, leaseMs, now) && leases.renewAll(flight.operationKeys, opOwner(flight.job), leaseMs, now);
    } catch (error) {
      // Busy store: the lease still has up to two thirds of its time; the next renewal tries again.
      log.warn({ job: name, error: (error as Error).message }, 'could not renew the lease; trying again');
      return true;
    }
    if (!ok && !flight.controller.signal.aborted) {
      log.error({ job: name, owner }, `lost the lease of ${name} (it expired and another process took it); stopping the run`);
      flight.controller.abort(new Error(`the job's lease was lost to another process (not renewed within ${settings.leaseSeconds} s); stopped so the work never runs twice at once`));
    }
    return ok;
  }

  async function execute(flight: InFlight): Promise<RunOutcome> {
    const { job, controller } = flight;
    const startedMs = Date.now();
    const startedAt = iso(startedMs);
    let session: Session | undefined;
    let outcome: RunOutcome;
    try {
      session = openSession({ env, registry: options.registry, ...(options.events ? { events: options.events } : {}) });
      const open = session;
      const platforms = job.platform ? [job.platform] : undefined;
      const keys = operationLeaseKeys(open, job.run, platforms ? { platforms } : {});
      const claim = leases.acquireAll(keys, opOwner(job), leaseMs, clock(), `job ${job.name}`);
      if (!claim.ok) {
        // A manual command (or another job) is doing part of this job's work: run late, once it is done.
        const { held } = claim;
        const by = `${held.owner}${held.command ? ` (${held.command})` : ''}`;
        log.info({ job: job.name, lease: held.job, holder: held.owner, command: held.command, since: held.acquiredAt }, `${job.name}: not started: ${held.job} is held by ${by} since ${held.acquiredAt}`);
        retryLater(job, flight.start, `${held.job} was held by ${by}`);
        return { status: 'held', job: job.name, key: held.job, holder: held.owner, ...(held.command ? { command: held.command } : {}), since: held.acquiredAt, until: held.expiresAt };
      }
      flight.operationKeys = keys;
      const note = lateNote(job, startedMs);
      log.info({ job: job.name, run: job.run, platform: job.platform ?? 'all', ...(note ? { note } : {}) }, `${job.name}: ${job.run} started${note ? ` (${note})` : ''}`);
      const common = { signal: controller.signal, ...(platforms ? { platforms } : {}) };
      // Planning holds the event loop, so renew just before each stage, and give up if a lease is gone already.
      const stillOurs = () => {
        if (!renew(flight) || controller.signal.aborted) throw controller.signal.reason ?? new Error('the run was stopped');
      };
      const work = async (): Promise<unknown> => {
        switch (job.run) {
          case 'pull':
            return pull(open, { ...common, full: job.full });
          case 'segment':
            stillOurs();
            return segmentInWorker(open, { signal: controller.signal });
          case 'push':
            stillOurs();
            return push(open, { ...common, dryRun: false, allowMassRemoval: false });
          case 'sync':
            // Goes on past a failing platform (see sync()); the run still fails, naming it.
            return sync(open, { ...common, full: job.full, dryRun: false, allowMassRemoval: false, between: stillOurs });
        }
      };
      try {
        const { result, requests } = await recorded(open, job.run, work, {
          trigger: 'schedule', job: job.name, failure: failedPlatforms,
          ...(note ? { note, started: () => lateRunRecorded(job) } : {}),
        });
        const counts = runCounts(result, requests);
        const failed = failedPlatforms(result);
        outcome = failed === undefined
          ? { status: 'succeeded', job: job.name, ok: true, runId: lastRunId(open, job.name), startedAt, finishedAt: iso(Date.now()), counts, result, requests }
          : { status: 'failed', job: job.name, ok: false, runId: lastRunId(open, job.name), error: failed, startedAt, finishedAt: iso(Date.now()), counts, result, requests };
      } catch (error) {
        outcome = { status: 'failed', job: job.name, ok: false, runId: lastRunId(open, job.name), error: message(error), startedAt, finishedAt: iso(Date.now()) };
      }
    } catch (error) {
      // The session could not open (config or environment changed since start, store unreadable).
      outcome = { status: 'failed', job: job.name, ok: false, error: message(error), startedAt, finishedAt: iso(Date.now()) };
    } finally {
      if (session) {
        for (const r of Object.values(requestCounts(session))) {
          counters.requests += r.reads + r.writes;
          counters.retries += r.retries;
          counters.throttled += r.throttled;
        }
        session.close();
      }
    }
    counters.runs++;
    const seconds = ((Date.parse(outcome.finishedAt) - Date.parse(startedAt)) / 1000).toFixed(1);
    if (outcome.status === 'succeeded') {
      log.info({ job: job.name, runId: outcome.runId, seconds: Number(seconds), counts: outcome.counts }, `${job.name}: succeeded in ${seconds} s`);
    } else if (outcome.status === 'failed') {
      counters.failures++;
      log.error({ job: job.name, runId: outcome.runId, seconds: Number(seconds), error: outcome.error }, `${job.name}: failed after ${seconds} s: ${outcome.error}`);
    }
    if (options.onRunFinished && (outcome.status === 'succeeded' || outcome.status === 'failed')) {
      const { status: _s, result: _r, requests: _q, ...finished } = outcome;
      try {
        await options.onRunFinished(finished);
      } catch (error) {
        log.warn({ job: job.name, error: message(error) }, 'the run-finished hook failed');
      }
    }
    return outcome;
  }

  function lastRunId(session: Session, job: string): number | undefined {
    // The lease makes this process the only one running the job, so its newest row is this run.
    return new RunHistory(session.db).recent(1, { job })[0]?.id;
  }

  function jobView(job: ScheduledJob): JobView {
    const task = tasks.get(job.name);
    return {
      name: job.name,
      run: job.run,
      platform: job.platform,
      cron: job.cron,
      timezone: job.timezone,
      next: stopping || !task ? null : task.getNextRun(),
      running: running.has(job.name),
      ...tickStats.get(job.name)!,
      lateSince: missed.has(job.name) ? iso(missed.get(job.name)!.firstDue) : null,
    };
  }

  let stuckRuns = 0;

  async function stop(reason: string): Promise<void> {
    stopping ??= (async () => {
      for (const task of tasks.values()) await task.destroy();
      for (const timer of lateTimers.values()) clearTimeout(timer);
      lateTimers.clear();
      for (const [name, pending] of missed) {
        log.warn({ job: name, due: iso(pending.firstDue), missedTicks: pending.count }, `${name}: the late run for ${pending.count} missed tick${pending.count === 1 ? '' : 's'} (first due ${tickTime(pending.firstDue)}) will not start: the scheduler is stopping; the next tick after a restart runs the job`);
      }
      const inFlight = [...running.values()];
      const names = inFlight.map((f) => f.job.name);
      if (inFlight.length > 0) {
        log.info({ reason, jobs: names, waitSeconds: settings.shutdownSeconds }, `stopping: waiting for ${names.join(', ')} to finish (at most ${settings.shutdownSeconds} s)`);
        if (!(await settledWithin(inFlight.map((f) => f.done), settings.shutdownSeconds * 1000))) {
          const late = [...running.values()];
          log.warn({ reason, jobs: late.map((f) => f.job.name) }, `interrupting ${late.map((f) => f.job.name).join(', ')}: not finished within ${settings.shutdownSeconds} s`);
          for (const f of late) {
            f.controller.abort(new Error(`interrupted: the scheduler stopped (${reason}) and the run did not finish within ${settings.shutdownSeconds} s`));
          }
          if (!(await settledWithin(late.map((f) => f.done), ABORT_GRACE_MS))) {
            // Their leases are NOT released: the run may still be writing, and another daemon must
            // not start the job until the lease expires on its own. The process has to exit.
            const stuck = [...running.values()];
            for (const f of stuck) clearInterval(f.renewTimer);
            stuckRuns = stuck.length;
            log.error({ jobs: stuck.map((f) => f.job.name) }, 'runs did not stop: leaving their leases to expire; the next start marks them failed');
          }
        }
      } else {
        log.info({ reason }, 'stopping: no run in flight');
      }
      dbOpen = false;
      db.close();
      log.info({ reason }, 'scheduler stopped');
    })();
    return stopping;
  }

  return {
    owner,
    settings,
    jobs: () => jobs.map(jobView),
    runNow(name) {
      const job = jobs.find((j) => j.name === name);
      if (!job) return Promise.reject(new ConfigError(`no job named "${name}" in schedule.jobs; use one of ${jobs.map((j) => j.name).join(', ')}`));
      return trigger(job, { kind: 'now' });
    },
    stuckRuns: () => stuckRuns,
    health() {
      return {
        jobs: jobs.map((job) => {
          const last = dbOpen ? lastOutcomes(history, job.name) : { lastSuccessAt: null, lastFailureAt: null };
          return { name: job.name, ...last, maxAgeMs: maxAge.get(job.name)!, running: running.has(job.name), ...tickStats.get(job.name)! };
        }),
        counters: { ...counters },
      };
    },
    stop,
  };
}

/** The newest success and failure in the job's history (kept across restarts, unlike counters). */
function lastOutcomes(history: RunHistory, job: string): { lastSuccessAt: string | null; lastFailureAt: string | null } {
  return { lastSuccessAt: history.lastFinished(job, 'succeeded'), lastFailureAt: history.lastFinished(job, 'failed') };
}

/** True when every promise settled within `ms`. */
/** A sync that went on past failing platforms is a failed run, naming them; undefined otherwise. */
function failedPlatforms(result: unknown): string | undefined {
  const failed = (result as Partial<SyncResult> | undefined)?.failed;
  return Array.isArray(failed) && failed.length > 0 ? describeFailures(failed) : undefined;
}

async function settledWithin(promises: Array<Promise<unknown>>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([Promise.allSettled(promises).then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** node-cron's own warnings (a missed tick while the event loop was blocked) go to our log. */
function cronLogger(log: SchedulerLog, job: string): CronLogger {
  return {
    info: (m) => log.info({ job, source: 'node-cron' }, m),
    warn: (m) => log.warn({ job, source: 'node-cron' }, m),
    error: (m, err) => log.error({ job, source: 'node-cron', error: err?.message }, m instanceof Error ? m.message : m),
    debug: () => undefined,
  };
}

/** An error as it is recorded, logged and sent to the webhook: secrets masked. */
function message(error: unknown): string {
  return maskSecrets(error instanceof Error ? error.message : String(error));
}
