import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { pull, segment } from '../../src/pipeline/run.js';
import { openSession } from '../../src/pipeline/session.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

const ROOT = join(import.meta.dirname, '../..');
const run = promisify(execFile);
const ANCHOR = new Date('2026-06-01T00:00:00.000Z');

/**
 * The daemon runs as `segsync schedule` from the sources (tsx), as in production but for the
 * loader. Its segmentation is held "long" by the test hook SEGSYNC_TEST_HOLD_SEGMENTATION (it
 * blocks the segmentation's thread until a file exists, like CPU work would), so that everything
 * below happens while it runs, however fast or slow this machine is: no timing is asserted.
 */
const CONFIG = `segmentation:
  referenceDate: ${ANCHOR.toISOString()}
schedule:
  leaseSeconds: 10
  shutdownSeconds: 30
  jobs:
    - name: segment-all
      run: segment
      cron: "* * * * * *"
    - name: pull-hubspot
      run: pull
      platform: hubspot
      cron: "* * * * * *"
    - name: pull-shopify
      run: pull
      platform: shopify
      cron: "* * * * * *"
    - name: push-marketo
      run: push
      platform: marketo
      cron: "* * * * * *"
`;
const THREE = ['pull-hubspot', 'pull-shopify', 'push-marketo'];

interface RunRow {
  id: number;
  job: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  note: string | null;
}

describe('the daemon stays live while it segments', () => {
  let sandbox: Sandbox | undefined;
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('close', r));
    }
    child = undefined;
    await sandbox?.close();
    sandbox = undefined;
  });

  it('three jobs due in the same minute as a long segmentation all run and are recorded; health answers and the lease is renewed meanwhile; ticks it missed run late once', async () => {
    sandbox = await startSandbox({ registry: CONNECTORS, size: 60, seed: 3, anchor: ANCHOR, pace: 'fast' });
    const dir = mkdtempSync(join(tmpdir(), 'segsync-liveness-'));
    writeFileSync(join(dir, 'workspace.yaml'), CONFIG);
    const release = join(dir, 'release-segmentation');
    const env = { ...sandbox.env, SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') };
    // A store with a segmentation run already, so that the push job has something to push.
    const session = openSession({ env, registry: CONNECTORS });
    await pull(session, { full: true, signal: new AbortController().signal });
    segment(session);
    session.close();

    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'schedule', '--json', '--health-port', '0'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, SEGSYNC_TEST_HOLD_SEGMENTATION: release },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const until = async (check: () => boolean, what: string, timeoutMs = 45_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstdout:\n${stdout}\nstderr (end):\n${stderr.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    let lateId = 0;
    let lateNote = '';
    const store = new Database(env.SEGSYNC_DB, { readonly: true });
    try {
      const runs = () => store.prepare('SELECT id, job, status, started_at, finished_at, note FROM runs WHERE job IS NOT NULL ORDER BY id').all() as RunRow[];
      const segmenting = () => runs().find((r) => r.job === 'segment-all' && r.status === 'running');
      const lease = () => (store.prepare("SELECT expires_at AS expiresAt FROM job_leases WHERE job = 'segment-all'").get() as { expiresAt: string } | undefined)?.expiresAt;

      await until(() => segmenting() !== undefined, 'the segmentation to start');
      const held = segmenting()!;
      const firstExpiry = lease();
      expect(firstExpiry).toBeDefined();

      // While it is held: the three other jobs run (each at least once, started after it) and succeed.
      const ranMeanwhile = () => THREE.filter((job) => runs().some((r) => r.job === job && r.status === 'succeeded' && r.started_at > held.started_at));
      await until(() => ranMeanwhile().length === 3, `${THREE.join(', ')} to run during the segmentation`);
      // Health answers, and says the segmentation is running.
      const { healthPort } = JSON.parse(stdout) as { healthPort: number };
      expect((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text()).toContain('segsync_job_running{job="segment-all"} 1\n');
      // It holds the store's segmentation lease too, which a manual `segsync segment` would wait for.
      expect(store.prepare("SELECT command FROM job_leases WHERE job = 'segment:store'").get()).toEqual({ command: 'job segment-all' });
      // The leases are renewed (every leaseSeconds / 3) while it goes on.
      await until(() => (lease() ?? '') > firstExpiry!, 'the segmentation\'s lease to be renewed');
      expect(segmenting()?.id).toBe(held.id);

      writeFileSync(release, '');
      await until(() => runs().find((r) => r.id === held.id)?.status === 'succeeded', 'the segmentation to finish');
      // Its own ticks, due every second while it ran, are made up by one late run.
      await until(() => runs().some((r) => r.job === 'segment-all' && r.id > held.id && r.status === 'succeeded'), 'the late segmentation');
      const late = runs().find((r) => r.job === 'segment-all' && r.id > held.id)!;
      lateId = late.id;
      lateNote = late.note!;
      expect(late.note).toMatch(/^late: due \S+Z, started \S+Z \(\d+ ticks missed: the previous run was still going\)$/);
      const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
      expect(Number(/segsync_job_missed_ticks_total\{job="segment-all"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
      expect(Number(/segsync_job_late_runs_total\{job="segment-all"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    } finally {
      store.close();
    }
    child.kill('SIGTERM');
    expect(await new Promise((r) => child!.once('close', r))).toBe(0);
    // `segsync runs` shows why the late run started when it did.
    const { stdout: history } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'runs', '--job', 'segment-all', '--limit', '10000'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    expect(history).toContain(`\n  #${lateId}: ${lateNote}\n`);
  }, 120_000);
});
