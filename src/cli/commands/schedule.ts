import { existsSync } from 'node:fs';
import { openStore } from '../../store/db.js';
import { RunHistory } from '../../store/runs.js';
import { CONNECTORS } from '../../../connectors/index.js';
import { ConfigError } from '../../config/errors.js';
import { createLogger, transportLogEvents, type Logger } from '../../log/logger.js';
import { createAlerter } from '../../scheduler/alerts.js';
import { loadSchedule, startScheduler, type JobView, type RunOutcome, type Scheduler, type SchedulerLog } from '../../scheduler/daemon.js';
import { startHealthServer } from '../../scheduler/health.js';
import type { HealthStatus } from '../../scheduler/health-types.js';
import { EXIT, reportError, type GlobalFlags } from '../context.js';
import { table } from '../output.js';

export interface ScheduleFlags extends GlobalFlags {
  healthPort?: number;
  once?: string;
}

/**
 * `segsync schedule`: checks the whole config, prints the jobs and their next runs, then runs them
 * until SIGINT/SIGTERM. `--once <job>` runs one job now, with its lease, and exits.
 */
export async function scheduleCommand(flags: ScheduleFlags): Promise<void> {
  const json = flags.json === true;
  let log: Logger | undefined;
  let scheduler: Scheduler | undefined;
  let health: { port: number; close(): Promise<void> } | undefined;
  try {
    // Log lines go to stderr (JSON lines with --json or off a terminal); stdout carries the job list.
    log = createLogger(json ? { pretty: false } : {});
    // Everything is checked before anything starts: a bad config or flag never half-starts a daemon.
    const { jobs, settings } = loadSchedule({ registry: CONNECTORS });
    if (flags.once !== undefined && !jobs.some((j) => j.name === flags.once)) {
      throw new ConfigError(`--once: no job named "${flags.once}" in schedule.jobs; use one of ${jobs.map((j) => j.name).join(', ')}`);
    }
    const alerter = createAlerterOrExplain(settings.webhookUrl, log, failingAtStart(settings.dbPath, jobs.map((j) => j.name)));
    if (flags.healthPort !== undefined) {
      health = await startHealthServer({ port: flags.healthPort, status: () => scheduler?.health() ?? EMPTY_HEALTH });
      log.info({ port: health.port }, `health checks on http://127.0.0.1:${health.port}/healthz, /readyz and /metrics`);
    }
    const started = startScheduler({
      registry: CONNECTORS,
      log,
      ticks: flags.once === undefined,
      events: transportLogEvents(log),
      onRunFinished: (run) => alerter.runFinished(run.job, run.ok, {
        ...(run.error !== undefined ? { error: run.error } : {}),
        ...(run.runId !== undefined ? { runId: run.runId } : {}),
        at: run.finishedAt,
      }),
    });
    scheduler = started;
    const stopped = stopOnSignal(started, json, log);

    if (flags.once !== undefined) {
      const outcome = await started.runNow(flags.once);
      await started.stop('--once finished');
      print(json, describeOutcome(outcome), { ok: outcome.status === 'succeeded', ...withoutResult(outcome) });
      process.exitCode = outcome.status === 'succeeded' ? EXIT.ok : EXIT.failure;
    } else {
      print(json, describeJobs(started.jobs(), started.settings.leaseSeconds, started.settings.shutdownSeconds), {
        ok: true,
        owner: started.owner,
        store: started.settings.dbPath,
        ...(health ? { healthPort: health.port } : {}),
        jobs: started.jobs().map((j) => ({ ...j, next: j.next?.toISOString() ?? null })),
      });
      await stopped.promise;
      process.exitCode = EXIT.ok;
    }
    stopped.dispose();
  } catch (error) {
    if (scheduler) await scheduler.stop('error');
    process.exitCode = reportError(error, json, log);
  } finally {
    await health?.close();
  }
}

const EMPTY_HEALTH: HealthStatus = { jobs: [], counters: { runs: 0, failures: 0, requests: 0, throttled: 0, retries: 0 } };

/** Failed runs in a row per job, from the store's history (none when the store is new). */
function failingAtStart(dbPath: string, jobs: readonly string[]): Map<string, number> {
  if (!existsSync(dbPath)) return new Map();
  const db = openStore(dbPath, 'write');
  try {
    const history = new RunHistory(db);
    return new Map(jobs.map((job) => [job, history.failuresInARow(job)]));
  } finally {
    db.close();
  }
}

/** schedule.alerts.webhookUrl, or SEGSYNC_ALERT_WEBHOOK_URL (which keeps the secret URL out of the file). */
function createAlerterOrExplain(webhookUrl: string | undefined, log: SchedulerLog, failing: ReadonlyMap<string, number>) {
  try {
    return createAlerter({ ...(webhookUrl ? { webhookUrl } : {}), log, failingAtStart: failing });
  } catch (error) {
    throw new ConfigError(`SEGSYNC_ALERT_WEBHOOK_URL or schedule.alerts.webhookUrl: ${(error as Error).message}`);
  }
}

/** The first SIGINT/SIGTERM stops cleanly (runs in flight finish and are recorded); a second one exits at once. */
function stopOnSignal(scheduler: Scheduler, json: boolean, log: SchedulerLog): { promise: Promise<void>; dispose(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      process.stderr.write('segsync: stopping now without waiting (the runs in flight are marked failed at the next start)\n');
      process.exit(130);
    }
    signalled = true;
    const busy = scheduler.jobs().filter((j) => j.running).map((j) => j.name);
    const seconds = scheduler.settings.shutdownSeconds;
    const line = busy.length > 0
      ? `stopping: waiting for ${busy.join(', ')} to finish (at most ${seconds} s)`
      : 'stopping: no run in flight';
    // The daemon logs it too; stdout gets it for the person watching (never with --json: stdout
    // stays one JSON document).
    if (!json) process.stdout.write(`${line}\n`);
    void scheduler.stop(signal).then(() => {
      if (!json) process.stdout.write('stopped\n');
      // A run that ignored its signal would keep writing after we said we stopped: end it here.
      if (scheduler.stuckRuns() > 0) process.exit(EXIT.failure);
      resolve();
    }, (error: unknown) => {
      log.error({ error: (error as Error).message }, 'stopping failed');
      resolve();
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    promise,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function describeJobs(jobs: JobView[], leaseSeconds: number, shutdownSeconds: number): string {
  const rows = jobs.map((j) => [j.name, `${j.run}${j.platform ? ` ${j.platform}` : ''}`, j.cron, j.timezone, j.next ? localTime(j.next, j.timezone) : '-']);
  return [
    `Scheduling ${jobs.length} job${jobs.length === 1 ? '' : 's'} (lease ${leaseSeconds} s; on SIGINT/SIGTERM waits at most ${shutdownSeconds} s for runs in flight):`,
    table([['job', 'runs', 'cron', 'time zone', 'next run (local)'], ...rows]),
    'Running until Ctrl-C or SIGTERM.',
  ].join('\n');
}

function describeOutcome(outcome: RunOutcome): string {
  switch (outcome.status) {
    case 'succeeded':
      return `${outcome.job}: succeeded (run ${outcome.runId ?? '?'}${outcome.counts ? `, pulled ${outcome.counts.pulled}, list adds ${outcome.counts.listAdds}, token updates ${outcome.counts.tokenUpdates}, requests ${outcome.counts.requests}` : ''})`;
    case 'failed':
      return `${outcome.job}: failed${outcome.runId !== undefined ? ` (run ${outcome.runId})` : ''}: ${outcome.error}`;
    case 'held':
      return outcome.key === outcome.job
        ? `${outcome.job}: not run: the job is held by ${outcome.holder} until ${outcome.until} (another daemon is running it)`
        : `${outcome.job}: not run: ${outcome.key} is held by ${outcome.holder} (${outcome.command ?? 'a segsync process'}) since ${outcome.since}`;
    case 'skipped':
      return `${outcome.job}: not run: it is already running here, or the store was locked`;
    case 'stopped':
      return `${outcome.job}: not run: the scheduler was stopping`;
  }
}

function withoutResult(outcome: RunOutcome): object {
  if (outcome.status !== 'succeeded' && outcome.status !== 'failed') return outcome;
  const { result: _result, ...rest } = outcome;
  return rest;
}

/** "2026-11-23 15:15" in the job's own zone: what the person who wrote the cron expression expects. */
function localTime(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(date);
}

function print(json: boolean, human: string, machine: unknown): void {
  process.stdout.write(json ? `${JSON.stringify(machine, null, 2)}\n` : `${human}\n`);
}
