import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { openStore } from '../../src/store/db.js';
import { RunHistory } from '../../src/store/runs.js';
import { JobLeases } from '../../src/scheduler/leases.js';
import { startHealthServer } from '../../src/scheduler/health.js';
import { ABANDONED_REASON, startScheduler, type FinishedRun, type Scheduler, type SchedulerLog } from '../../src/scheduler/daemon.js';
import { hostname } from 'node:os';
import { pull, segment } from '../../src/pipeline/run.js';
import { latestSegmentationRun } from '../../src/store/segmentation-runs.js';
import { ANCHOR, hubspotWorld, type HubSpotWorld } from '../helpers/sandbox.js';

interface Line {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

function recordingLog(): SchedulerLog & { lines: Line[]; has(pattern: RegExp): boolean } {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (obj: object, msg: string) => {
    lines.push({ level, obj, msg });
  };
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), has: (p) => lines.some((l) => p.test(l.msg)) };
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const config = (jobs: string, extra = '') => `segmentation:
  referenceDate: ${ANCHOR.toISOString()}
schedule:
  leaseSeconds: 30
  shutdownSeconds: 20
${extra}  jobs:
${jobs}`;

const EVERY_SECOND_PULL = `    - name: pull-hubspot
      run: pull
      platform: hubspot
      cron: "* * * * * *"
`;

/** The first request of the next pull waits this long, then answers 502 (retried): a slow run that succeeds. */
function slowDown(world: HubSpotWorld, ms: number): void {
  world.emulator.injectFault({ match: /./, status: 502, body: { status: 'error', message: 'slow gateway' }, delayMs: ms });
}

describe('the scheduler daemon', () => {
  let world: HubSpotWorld | undefined;
  const schedulers: Scheduler[] = [];
  const start = (log: SchedulerLog, extra: { ticks?: boolean; onRunFinished?: (r: FinishedRun) => void } = {}) => {
    const s = startScheduler({ env: world!.env, registry: CONNECTORS, log, ...extra });
    schedulers.push(s);
    return s;
  };
  const runs = (job = 'pull-hubspot') => {
    const db = openStore(world!.dbPath);
    try {
      return new RunHistory(db).recent(100, { job }).reverse();
    } finally {
      db.close();
    }
  };
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop('test over');
    await world?.close();
    world = undefined;
  });

  it('runs a job on its tick and records it with trigger schedule and the job name', async () => {
    world = await hubspotWorld({ size: 60, config: config(EVERY_SECOND_PULL) });
    const log = recordingLog();
    const finished: FinishedRun[] = [];
    const scheduler = start(log, { onRunFinished: (r) => void finished.push(r) });
    const [view] = scheduler.jobs();
    expect(view).toMatchObject({ name: 'pull-hubspot', run: 'pull', platform: 'hubspot', cron: '* * * * * *', timezone: 'UTC', running: false });
    expect(view!.next!.getTime() - Date.now()).toBeLessThanOrEqual(1000);

    await until(() => finished.length > 0, 'the first scheduled run');
    await scheduler.stop('test');
    expect(scheduler.jobs()[0]!.next).toBeNull();

    const [first] = runs();
    expect(first).toMatchObject({ command: 'pull', trigger: 'schedule', job: 'pull-hubspot', status: 'succeeded' });
    expect(first!.counts!.pulled).toBeGreaterThan(0);
    expect(finished[0]).toMatchObject({ job: 'pull-hubspot', ok: true, runId: first!.id });
    expect(log.has(/pull-hubspot: succeeded in/)).toBe(true);
    const health = scheduler.health();
    expect(health.counters.runs).toBeGreaterThanOrEqual(1);
    expect(health.counters.requests).toBeGreaterThan(0);
  });

  it('ticks due while the job\'s previous run is still going are made up by one late run, noted in its history row', async () => {
    world = await hubspotWorld({ size: 60, config: config(EVERY_SECOND_PULL) });
    slowDown(world, 2_500);
    const log = recordingLog();
    const finished: FinishedRun[] = [];
    const scheduler = start(log, { onRunFinished: (r) => void finished.push(r) });
    await until(() => log.has(/^pull-hubspot: tick due \S+Z missed \(the previous run was still going\); the job runs once, late, when the run in progress ends$/), 'a missed tick');
    const [view] = scheduler.jobs();
    expect(view!.running).toBe(true);
    expect(view!.missedTicks).toBeGreaterThanOrEqual(1);
    expect(view!.lateSince).toEqual(expect.any(String));
    expect(log.lines.find((l) => / missed \(/.test(l.msg))).toMatchObject({ level: 'warn', obj: { job: 'pull-hubspot' } });
    await until(() => finished.length >= 2, 'the late run');
    await scheduler.stop('test');
    const [slow, late] = runs();
    expect(slow).toMatchObject({ status: 'succeeded', note: null });
    // The 2.5 s run missed at least two per-second ticks: one late run makes them all up.
    expect(late).toMatchObject({ status: 'succeeded', trigger: 'schedule', job: 'pull-hubspot' });
    const made = /^late: due (\S+)Z, started (\S+)Z \((\d+) ticks missed: the previous run was still going\)$/.exec(late!.note ?? '');
    expect(made, late!.note ?? 'no note').not.toBeNull();
    expect(Number(made![3])).toBeGreaterThanOrEqual(2);
    expect(Date.parse(`${made![1]}Z`)).toBeLessThan(Date.parse(`${made![2]}Z`));
    const health = scheduler.health().jobs[0]!;
    expect(health.lateRuns).toBe(runs().filter((r) => r.note !== null).length);
    expect(health.missedTicks).toBeGreaterThan(health.lateRuns);
  });

  it('ticks missed while the event loop was blocked run late, once, and are counted', async () => {
    world = await hubspotWorld({ size: 60, config: config(EVERY_SECOND_PULL) });
    const log = recordingLog();
    const finished: FinishedRun[] = [];
    const scheduler = start(log, { onRunFinished: (r) => void finished.push(r) });
    await until(() => finished.length >= 1, 'a first run on time');
    // Something holds the event loop for 3.5 s (as segmentation on the main thread did): node-cron
    // cannot fire the ticks due meanwhile, and reports them missed once the loop is free.
    const blockedFrom = Date.now();
    while (Date.now() - blockedFrom < 3_500) { /* busy */ }
    await until(() => runs().some((r) => r.note !== null && r.status !== 'running'), 'the late run');
    await scheduler.stop('test');
    expect(log.has(/^pull-hubspot: tick due \S+Z missed \(the process was busy \(event loop blocked\)\); the job runs once, late, now$/)).toBe(true);
    const late = runs().filter((r) => r.note !== null);
    expect(late[0]).toMatchObject({ status: 'succeeded', trigger: 'schedule', job: 'pull-hubspot' });
    const made = /^late: due (\S+), started \S+ \((\d+) ticks missed: the process was busy \(event loop blocked\)\)$/.exec(late[0]!.note!);
    expect(made, late[0]!.note!).not.toBeNull();
    // The three ticks or so due while blocked: one run for all of them, not one each.
    expect(Number(made![2])).toBeGreaterThanOrEqual(2);
    expect(Date.parse(made![1]!)).toBeGreaterThanOrEqual(blockedFrom - 1_000);
    const health = scheduler.health().jobs[0]!;
    expect(health.missedTicks).toBeGreaterThanOrEqual(Number(made![2]));
    expect(health.lateRuns).toBe(late.length);
  });

  it('a segment job runs its segmentation in a worker thread, from vitest too', async () => {
    world = await hubspotWorld({ size: 60, config: config('    - name: segment-all\n      run: segment\n      cron: "0 3 * * *"\n') });
    const session = world.open();
    await pull(session, { full: true, signal: new AbortController().signal });
    const scheduler = start(recordingLog(), { ticks: false });
    const outcome = await scheduler.runNow('segment-all');
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { segmentEntries: expect.any(Number) } });
    expect((outcome as { counts: { segmentEntries: number } }).counts.segmentEntries).toBeGreaterThan(0);
    expect(latestSegmentationRun(session.db)).toBeDefined();
  });

  it('a job whose platform a manual command is pushing waits: not started, then run late once the command is done', async () => {
    world = await hubspotWorld({ size: 60, config: config('    - name: push-hubspot\n      run: push\n      platform: hubspot\n      cron: "* * * * * *"\n') });
    const session = world.open();
    await pull(session, { full: true, signal: new AbortController().signal });
    segment(session);
    // A `segsync push` of this machine, alive (it is this very process), holds the destination.
    const manual = `${hostname()}:${process.pid}:0badf00d`;
    const leases = new JobLeases(session.db);
    expect(leases.acquireAll(['push:hubspot'], manual, 60_000, Date.now(), 'segsync push')).toEqual({ ok: true });

    const log = recordingLog();
    const scheduler = start(log);
    expect(await scheduler.runNow('push-hubspot')).toMatchObject({ status: 'held', key: 'push:hubspot', holder: manual, command: 'segsync push', since: expect.any(String) });
    await until(() => log.has(/^push-hubspot: tick due \S+Z missed \(push:hubspot was held by \S+ \(segsync push\)\); the job runs once, late, when it can \(next try in 10 s\)$/), 'a tick refused by the manual push');
    expect(runs('push-hubspot')).toEqual([]);

    leases.releaseAll(['push:hubspot'], manual);
    await until(() => runs('push-hubspot').some((r) => r.status === 'succeeded'), 'the late push', 45_000);
    await scheduler.stop('test');
    const [first] = runs('push-hubspot');
    expect(first!.note).toMatch(/^late: due \S+Z, started \S+Z \(\d+ ticks? missed: push:hubspot was held by \S+ \(segsync push\)\)$/);
    expect(first!.counts!.listAdds).toBeGreaterThan(0);
  }, 90_000);

  it('runNow on a job already running here skips instead of queueing', async () => {
    world = await hubspotWorld({ size: 60, config: config(EVERY_SECOND_PULL) });
    slowDown(world, 1_500);
    const scheduler = start(recordingLog(), { ticks: false });
    const first = scheduler.runNow('pull-hubspot');
    expect(await scheduler.runNow('pull-hubspot')).toEqual({ status: 'skipped', job: 'pull-hubspot' });
    expect((await first).status).toBe('succeeded');
    await expect(scheduler.runNow('nope')).rejects.toThrow(/no job named "nope" in schedule.jobs; use one of pull-hubspot/);
  });

  it('two daemons on one store: only one runs a given tick, the other logs who holds it', async () => {
    world = await hubspotWorld({ size: 60, config: config(EVERY_SECOND_PULL) });
    slowDown(world, 3_000);
    const logA = recordingLog();
    const logB = recordingLog();
    const a = start(logA);
    const b = start(logB);
    expect(a.owner).not.toBe(b.owner);
    await until(() => logA.has(/^skipped: job held by /) || logB.has(/^skipped: job held by /), 'a tick refused by the lease');
    await Promise.all([a.stop('test'), b.stop('test')]);
    expect(runs()).toHaveLength(1);
    const [winner, loserLog] = logA.has(/^skipped: job held by /) ? [b, logA] : [a, logB];
    expect(loserLog.has(new RegExp(`^skipped: job held by ${winner.owner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))).toBe(true);
    expect(loserLog.has(/pull-hubspot: pull started/)).toBe(false);
  });

  it('two daemons asked at the same moment: one runs, the other is refused by the lease', async () => {
    world = await hubspotWorld({ size: 60, config: config(EVERY_SECOND_PULL) });
    const a = start(recordingLog(), { ticks: false });
    const b = start(recordingLog(), { ticks: false });
    const outcomes = await Promise.all([a.runNow('pull-hubspot'), b.runNow('pull-hubspot')]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['held', 'succeeded']);
    expect(outcomes.find((o) => o.status === 'held')).toMatchObject({ holder: a.owner });
    expect(runs()).toHaveLength(1);
  });

  it('stop() during a run waits for it; the run is recorded as succeeded and its lease released', async () => {
    world = await hubspotWorld({ size: 60, config: config(EVERY_SECOND_PULL) });
    slowDown(world, 2_000);
    const log = recordingLog();
    const scheduler = start(log, { ticks: false });
    const outcome = scheduler.runNow('pull-hubspot');
    await until(() => scheduler.jobs()[0]!.running, 'the run to start');
    const stopping = scheduler.stop('SIGTERM');
    // No new runs once stopping.
    expect(await scheduler.runNow('pull-hubspot')).toEqual({ status: 'stopped', job: 'pull-hubspot' });
    expect(log.has(/^stopping: waiting for pull-hubspot to finish \(at most 20 s\)$/)).toBe(true);
    await stopping;
    expect((await outcome).status).toBe('succeeded');
    expect(runs()).toEqual([expect.objectContaining({ status: 'succeeded', trigger: 'schedule', job: 'pull-hubspot', finishedAt: expect.any(String) })]);
    const db = openStore(world.dbPath);
    expect(new JobLeases(db).holder('pull-hubspot')).toBeUndefined();
    db.close();
  });

  it('a run that outlasts the shutdown wait is interrupted and recorded as failed', async () => {
    world = await hubspotWorld({ size: 60, config: config(EVERY_SECOND_PULL, '  shutdownSeconds: 1\n').replace('  shutdownSeconds: 20\n', '') });
    // The request in flight answers after 4 s; the signal fired at 1 s stops the pull right then.
    slowDown(world, 4_000);
    const scheduler = start(recordingLog(), { ticks: false });
    const outcome = scheduler.runNow('pull-hubspot');
    await until(() => scheduler.jobs()[0]!.running, 'the run to start');
    const t0 = Date.now();
    await scheduler.stop('SIGTERM');
    expect(Date.now() - t0).toBeLessThan(5_500);
    expect(await outcome).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted: the scheduler stopped \(SIGTERM\)/) });
    expect(runs()).toEqual([expect.objectContaining({ status: 'failed', error: expect.stringMatching(/did not finish within 1 s/) })]);
  });

  it('takes over a lease left by a dead owner once it expired, and respects a live one', async () => {
    world = await hubspotWorld({ size: 60, config: config(EVERY_SECOND_PULL) });
    const db = openStore(world.dbPath);
    const leases = new JobLeases(db);
    const past = Date.now() - 10 * 60_000;
    db.prepare('INSERT INTO job_leases (job, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)')
      .run('pull-hubspot', 'gone-host:4242:deadbeef', new Date(past).toISOString(), new Date(past + 30_000).toISOString());
    const log = recordingLog();
    const scheduler = start(log, { ticks: false });
    expect((await scheduler.runNow('pull-hubspot')).status).toBe('succeeded');
    expect(leases.holder('pull-hubspot')).toBeUndefined();

    expect(leases.acquire('pull-hubspot', 'other-host:7:cafebabe', 30_000)).toBe(true);
    expect(await scheduler.runNow('pull-hubspot')).toMatchObject({ status: 'held', holder: 'other-host:7:cafebabe' });
    expect(log.has(/^skipped: job held by other-host:7:cafebabe$/)).toBe(true);
    db.close();
    expect(runs()).toHaveLength(1);
  });

  it('at start, marks runs left running by a dead process as failed, leaving recent ones alone', async () => {
    world = await hubspotWorld({ size: 60, config: config(EVERY_SECOND_PULL) });
    const db = openStore(world.dbPath);
    const insert = db.prepare("INSERT INTO runs (command, trigger, job, started_at, status) VALUES ('pull', 'schedule', 'pull-hubspot', ?, 'running')");
    const old = Number(insert.run(new Date(Date.now() - 3_600_000).toISOString()).lastInsertRowid);
    const fresh = Number(insert.run(new Date().toISOString()).lastInsertRowid);
    const log = recordingLog();
    start(log, { ticks: false });
    const byId = new Map(new RunHistory(db).recent(10).map((r) => [r.id, r]));
    expect(byId.get(old)).toMatchObject({ status: 'failed', error: ABANDONED_REASON, finishedAt: expect.any(String) });
    expect(byId.get(fresh)).toMatchObject({ status: 'running' });
    expect(log.has(/^marked 1 run left running by a stopped process as failed$/)).toBe(true);
    db.close();
  });

  it('is ready after a restart: readiness comes from the run history in the store, not from this process', async () => {
    world = await hubspotWorld({ size: 60, config: config('    - name: pull-hubspot\n      run: pull\n      platform: hubspot\n      cron: "*/5 * * * *"\n') });
    const before = start(recordingLog(), { ticks: false });
    expect((await before.runNow('pull-hubspot')).status).toBe('succeeded');
    await before.stop('restart');
    // A new daemon (another process, as far as it knows: its own owner and counters) on the same store.
    const after = start(recordingLog(), { ticks: false });
    expect(after.health().counters.runs).toBe(0);
    const server = await startHealthServer({ port: 0, status: () => after.health() });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      expect(await res.json()).toEqual({ ready: true, jobs: [{ name: 'pull-hubspot', ready: true }] });
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('refuses to start without a schedule, or with a job whose platform is not configured', async () => {
    world = await hubspotWorld({ size: 10 });
    expect(() => startScheduler({ env: world!.env, registry: CONNECTORS, log: recordingLog() })).toThrow(/has no schedule: add a schedule section/);
    world.writeConfig(config('    - name: pull-shopify\n      run: pull\n      platform: shopify\n      cron: "0 * * * *"\n'));
    expect(() => startScheduler({ env: world!.env, registry: CONNECTORS, log: recordingLog() }))
      .toThrow(/schedule\.jobs\.0\.platform: Shopify is not configured in the environment; set SHOPIFY_/);
  });
});
