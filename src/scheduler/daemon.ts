import { createTask, type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { ConnectorDescriptor } from '../domain/connector.js';
import type { TransportEvents } from '../http/transport.js';
import { readCoreEnv } from '../config/env.js';
import { maskSecrets } from '../log/redact.js';
import { ConfigError } from '../config/errors.js';
import { destinationSettings, sourceSettings, loadWorkspace } from '../config/workspace.js';
import { pull, push, recorded, segment, type RequestCounts } from '../pipeline/run.js';
import { runCounts } from '../pipeline/run-counts.js';
import { openSession, requestCounts, type Session } from '../pipeline/session.js';
import { openStore, type Db } from '../store/db.js';
import { RunHistory, type RunCounts } from '../store/runs.js';
import type { HealthStatus } from './health-types.js';
import { JobLeases, leaseOwner } from './leases.js';
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
  /** This process is still running the job: the tick is dropped, never queued. */
  | { status: 'skipped'; job: string }
  /** Another process holds the job's lease. */
  | { status: 'held'; job: string; holder: string; until: string }
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
  /** Ticks dropped because the previous run of this job in this process was still going. */
  skippedTicks: number;
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
   * nothing is half-written), a push stops before its next batch, and recorded() marks the run
   * failed. Segmentation does not listen to the signal. A run that has not recorded itself 5 s
   * after the signal is left behind with its lease (which expires on its own, so no other daemon
   * starts the job while it may still write); `stuckRuns()` then tells the caller to exit.
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
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Starts the cron daemon: one node-cron task per job, in the job's time zone. A tick runs the job
 * unless this process is still running it (the tick is dropped and counted: v4 would otherwise
 * start overlapping executions) or another process holds its lease in the store. Each run opens
 * its own session, is recorded in run history with trigger 'schedule' and the job's name, renews
 * its lease while it goes on and releases it at the end.
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const env = options.env ?? process.env;
  const { log } = options;
  const clock = options.clock ?? Date.now;
  const owner = options.owner ?? leaseOwner();
  const { jobs, settings } = loadSchedule({ env, registry: options.registry });
  const leaseMs = settings.leaseSeconds * 1000;
  const renewEveryMs = Math.max(1_000, Math.floor(leaseMs / 3));

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
  const skipped = new Map<string, number>(jobs.map((j) => [j.name, 0]));
  const maxAge = new Map<string, number>(jobs.map((j) => [j.name, maxSuccessAgeMs(j.cron, j.timezone, settings.leaseSeconds)]));
  const counters = { runs: 0, failures: 0, requests: 0, throttled: 0, retries: 0 };
  const tasks = new Map<string, ScheduledTask>();
  let stopping: Promise<void> | undefined;

  if (options.ticks !== false) {
    for (const job of jobs) {
      const task = createTask(job.cron, () => {
        // Not awaited: node-cron would only track it; overlap and errors are handled in trigger().
        void trigger(job);
      }, { name: `segsync:${job.name}`, timezone: job.timezone, logger: cronLogger(log, job.name) });
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
    const others = leases.live(now).filter((l) => l.owner !== owner);
    if (others.length > 0) {
      log.info({ holders: others.map((l) => `${l.job}@${l.owner}`) }, 'not closing runs left running: another daemon is running jobs on this store');
      return;
    }
    const closed = history.closeAbandoned(iso(now - leaseMs), ABANDONED_REASON);
    if (closed > 0) log.warn({ closed }, `marked ${closed} run${closed === 1 ? '' : 's'} left running by a stopped process as failed`);
  }

  function trigger(job: ScheduledJob): Promise<RunOutcome> {
    if (stopping) return Promise.resolve({ status: 'stopped', job: job.name });
    if (running.has(job.name)) {
      const n = (skipped.get(job.name) ?? 0) + 1;
      skipped.set(job.name, n);
      log.warn({ job: job.name, skippedTicks: n }, 'skipped tick: still running');
      return Promise.resolve({ status: 'skipped', job: job.name });
    }
    let acquired: boolean;
    try {
      acquired = leases.acquire(job.name, owner, leaseMs, clock());
    } catch (error) {
      // A store locked for longer than busy_timeout: this tick is lost, the next one tries again.
      log.error({ job: job.name, error: (error as Error).message }, `skipped: could not take the job's lease: ${(error as Error).message}`);
      return Promise.resolve({ status: 'skipped', job: job.name });
    }
    if (!acquired) {
      const holder = leases.holder(job.name, clock());
      const who = holder?.owner ?? 'another daemon';
      log.info({ job: job.name, holder: who, until: holder?.expiresAt }, `skipped: job held by ${who}`);
      return Promise.resolve({ status: 'held', job: job.name, holder: who, until: holder?.expiresAt ?? '' });
    }
    const controller = new AbortController();
    const flight: InFlight = { job, controller, done: Promise.resolve({ status: 'stopped', job: job.name }), renewTimer: undefined };
    running.set(job.name, flight);
    flight.renewTimer = setInterval(() => renew(flight), renewEveryMs);
    flight.done = execute(flight).finally(() => {
      clearInterval(flight.renewTimer);
      running.delete(job.name);
      if (dbOpen) {
        try {
          leases.release(job.name, owner);
        } catch (error) {
          log.warn({ job: job.name, error: (error as Error).message }, 'could not release the lease; it expires on its own');
        }
      }
    });
    return flight.done;
  }

  /** Keeps the lease ours while the run goes on; a lease lost means another daemon may start it. */
  function renew(flight: InFlight): boolean {
    const name = flight.job.name;
    let ok: boolean;
    try {
      ok = leases.renew(name, owner, leaseMs, clock());
    } catch (error) {
      // Busy store: the lease still has up to two thirds of its time; the next renewal tries again.
      log.warn({ job: name, error: (error as Error).message }, 'could not renew the lease; trying again');
      return true;
    }
    if (!ok && !flight.controller.signal.aborted) {
      log.error({ job: name, owner }, `lost the lease of ${name} (it expired and another daemon took it); stopping the run`);
      flight.controller.abort(new Error(`the job's lease was lost to another daemon (not renewed within ${settings.leaseSeconds} s); stopped so the job never runs twice at once`));
    }
    return ok;
  }

  async function execute(flight: InFlight): Promise<RunOutcome> {
    const { job, controller } = flight;
    const startedAt = iso(Date.now());
    log.info({ job: job.name, run: job.run, platform: job.platform ?? 'all' }, `${job.name}: ${job.run} started`);
    let session: Session | undefined;
    let outcome: RunOutcome;
    try {
      session = openSession({ env, registry: options.registry, ...(options.events ? { events: options.events } : {}) });
      const open = session;
      const common = { signal: controller.signal, ...(job.platform ? { platforms: [job.platform] } : {}) };
      // Segmentation and planning hold the event loop, so the renewal timer cannot fire during
      // them: renew just before each stage, and give up if the lease is gone already.
      const stillOurs = () => {
        if (!renew(flight) || controller.signal.aborted) throw controller.signal.reason ?? new Error('the run was stopped');
      };
      const work = async (): Promise<unknown> => {
        switch (job.run) {
          case 'pull':
            return pull(open, { ...common, full: job.full });
          case 'segment':
            stillOurs();
            return segment(open);
          case 'push':
            stillOurs();
            return push(open, { ...common, dryRun: false, allowMassRemoval: false });
          case 'sync': {
            const pulled = await pull(open, { ...common, full: job.full });
            stillOurs();
            const segmented = segment(open);
            stillOurs();
            const pushed = await push(open, { ...common, dryRun: false, allowMassRemoval: false });
            return { pull: pulled, segment: segmented, push: pushed };
          }
        }
      };
      try {
        const { result, requests } = await recorded(open, job.run, work, { trigger: 'schedule', job: job.name });
        const counts = runCounts(result, requests);
        outcome = { status: 'succeeded', job: job.name, ok: true, runId: lastRunId(open, job.name), startedAt, finishedAt: iso(Date.now()), counts, result, requests };
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
      skippedTicks: skipped.get(job.name) ?? 0,
    };
  }

  let stuckRuns = 0;

  async function stop(reason: string): Promise<void> {
    stopping ??= (async () => {
      for (const task of tasks.values()) await task.destroy();
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
      return trigger(job);
    },
    stuckRuns: () => stuckRuns,
    health() {
      return {
        jobs: jobs.map((job) => {
          const last = dbOpen ? lastOutcomes(history, job.name) : { lastSuccessAt: null, lastFailureAt: null };
          return { name: job.name, ...last, maxAgeMs: maxAge.get(job.name)!, running: running.has(job.name) };
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
