import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { RunHistory } from '../../src/store/runs.js';
import { ANCHOR, hubspotWorld, type HubSpotWorld } from '../helpers/sandbox.js';

const ROOT = join(import.meta.dirname, '../..');

interface Child {
  process: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function segsync(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { process: child, stdout: () => out, stderr: () => err, exited };
}

/** stderr as text: JSON log lines (off a terminal) are read back to their messages. */
function messages(stderr: string): string {
  return stderr.split('\n').map((line) => {
    try {
      return (JSON.parse(line) as { msg: string }).msg;
    } catch {
      return line;
    }
  }).join('\n');
}

async function until(check: () => boolean, what: string, child: Child, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstdout:\n${child.stdout()}\nstderr:\n${child.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const config = (cron: string) => `segmentation:
  referenceDate: ${ANCHOR.toISOString()}
schedule:
  timezone: Europe/Berlin
  leaseSeconds: 30
  shutdownSeconds: 20
  jobs:
    - name: pull-hubspot
      run: pull
      platform: hubspot
      cron: "${cron}"
`;

function scheduledRuns(world: HubSpotWorld) {
  const db = openStore(world.dbPath);
  try {
    return new RunHistory(db).recent(20, { job: 'pull-hubspot' });
  } finally {
    db.close();
  }
}

describe('segsync schedule', () => {
  let world: HubSpotWorld | undefined;
  let child: Child | undefined;
  afterEach(async () => {
    if (child && child.process.exitCode === null) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
    child = undefined;
    await world?.close();
    world = undefined;
  });

  it('with an invalid cron expression exits 2 naming schedule.jobs.0.cron, before anything starts', async () => {
    world = await hubspotWorld({ size: 10, config: config('*/15 * * *') });
    child = segsync(['schedule'], world.env);
    expect(await child.exited).toBe(2);
    expect(messages(child.stderr())).toContain('schedule.jobs.0.cron: "*/15 * * *" is not a cron expression; use five fields like "*/15 * * * *"');
    expect(child.stdout()).not.toContain('Scheduling');
    expect(existsSync(world.dbPath)).toBe(false);
  });

  it('--once with a job that does not exist exits 2 and lists the jobs', async () => {
    world = await hubspotWorld({ size: 10, config: config('0 * * * *') });
    child = segsync(['schedule', '--once', 'push-all'], world.env);
    expect(await child.exited).toBe(2);
    expect(messages(child.stderr())).toContain('--once: no job named "push-all" in schedule.jobs; use one of pull-hubspot');
    expect(existsSync(world.dbPath)).toBe(false);
  });

  it('--once runs the job now, records it as scheduled and exits 0', async () => {
    world = await hubspotWorld({ size: 40, config: config('0 3 * * *') });
    child = segsync(['schedule', '--once', 'pull-hubspot', '--json'], world.env);
    expect(await child.exited).toBe(0);
    const outcome = JSON.parse(child.stdout()) as { ok: boolean; status: string; job: string; runId: number; counts: { pulled: number } };
    expect(outcome).toMatchObject({ ok: true, status: 'succeeded', job: 'pull-hubspot' });
    expect(outcome.counts.pulled).toBeGreaterThan(0);
    expect(scheduledRuns(world)).toEqual([expect.objectContaining({ id: outcome.runId, trigger: 'schedule', status: 'succeeded' })]);
  });

  it('prints the jobs, runs them, and on SIGTERM waits for the run in flight, records it and exits 0', async () => {
    world = await hubspotWorld({ size: 40, config: config('* * * * * *') });
    // The first request answers after 3 s (a 502, retried): the run is in flight when SIGTERM comes.
    world.emulator.injectFault({ match: /./, status: 502, body: { status: 'error', message: 'slow gateway' }, delayMs: 3_000 });
    child = segsync(['schedule'], world.env);
    const c = child;
    await until(() => messages(c.stderr()).includes('pull-hubspot: pull started'), 'the first run', c);
    expect(c.stdout()).toContain('Scheduling 1 job');
    expect(c.stdout()).toMatch(/pull-hubspot +pull hubspot +\* \* \* \* \* \* +Europe\/Berlin +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    c.process.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    expect(c.stdout()).toContain('stopping: waiting for pull-hubspot to finish (at most 20 s)\nstopped\n');
    expect(messages(c.stderr())).toMatch(/pull-hubspot: succeeded in/);
    const runs = scheduledRuns(world);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ command: 'pull', trigger: 'schedule', job: 'pull-hubspot', status: 'succeeded' });
  });

  it('--health-port serves health checks while it runs; --json prints the jobs as JSON', async () => {
    world = await hubspotWorld({ size: 10, config: config('0 3 * * *') });
    child = segsync(['schedule', '--json', '--health-port', '0'], world.env);
    const c = child;
    let started: { ok: boolean; healthPort: number; jobs: Array<{ name: string; next: string; timezone: string }> } | undefined;
    await until(() => {
      try {
        started = JSON.parse(c.stdout()) as typeof started;
        return true;
      } catch {
        return false;
      }
    }, 'the job list', c);
    expect(started!.jobs).toEqual([expect.objectContaining({ name: 'pull-hubspot', timezone: 'Europe/Berlin', running: false })]);
    expect(Date.parse(started!.jobs[0]!.next)).toBeGreaterThan(Date.now());
    const live = await fetch(`http://127.0.0.1:${started!.healthPort}/healthz`);
    expect(live.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${started!.healthPort}/metrics`)).text();
    expect(metrics).toContain('segsync_runs_total 0');
    c.process.kill('SIGINT');
    expect(await c.exited).toBe(0);
    // Log lines are JSON on stderr with --json.
    const lines = c.stderr().trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: string });
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', msg: 'stopping: no run in flight' }));
  });
});
