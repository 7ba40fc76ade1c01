import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pull, segment } from '../../src/pipeline/run.js';
import { JobLeases } from '../../src/scheduler/leases.js';
import { openStore } from '../../src/store/db.js';
import { hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

const ROOT = join(import.meta.dirname, '../..');

interface Exit {
  code: number | null;
  pid: number;
  stdout: string;
  stderr: string;
}

interface Started {
  pid: number;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<Exit>;
}

function segsync(args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const pid = child.pid!;
  return {
    pid,
    kill: (s) => child.kill(s),
    exited: new Promise((resolve) => child.on('close', (code) => resolve({ code, pid, stdout, stderr }))),
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pulled and segmented, nothing pushed yet: a push has lists and tokens to send. */
async function readyToPush(): Promise<HubSpotWorld> {
  const world = await hubspotWorld({ size: 120 });
  const session = world.open();
  await pull(session, { full: true, signal });
  segment(session);
  session.close();
  return world;
}

/** Answers to write requests come late (the writes land at once): a push takes a few seconds. */
function slowWrites(world: HubSpotWorld, count: number): void {
  world.emulator.injectScenario({ kind: 'slow', count, delayMs: 1_500, match: /^(POST|PUT|PATCH|DELETE) /, every: 1 });
}

const writes = (world: HubSpotWorld) => world.emulator.requests.filter((r) => r.write).length;

describe('manual commands take the operation leases', () => {
  let world: HubSpotWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('two pushes started at once: one sends every change once, the other exits 1 naming who holds the destination', async () => {
    world = await readyToPush();
    slowWrites(world, 4);
    const [a, b] = await Promise.all([segsync(['push', '--json'], world.env).exited, segsync(['push', '--json'], world.env).exited]);
    const winner = a!.code === 0 ? a! : b!;
    const loser = winner === a ? b! : a!;
    const pushed = JSON.parse(winner.stdout) as { push: { destinations: Array<{ plan: { listAdds: number; tokenUpdates: number } }> }; requests: { hubspot: { writes: number } } };
    expect(pushed.push.destinations[0]!.plan.listAdds).toBeGreaterThan(0);
    expect(pushed.push.destinations[0]!.plan.tokenUpdates).toBeGreaterThan(0);
    // Every write the emulator saw is the winner's: the loser sent no list add and no token.
    expect(writes(world)).toBe(pushed.requests.hubspot.writes);
    expect([winner.code, loser.code]).toEqual([0, 1]);

    const refused = JSON.parse(loser.stdout) as { ok: boolean; error: { message: string } };
    expect(refused.ok).toBe(false);
    expect(refused.error.message).toMatch(new RegExp(
      `^push:hubspot is held by [^:]+:${winner.pid}:[0-9a-f]{8} \\(segsync push\\) since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: another segsync is doing this now`,
    ));
    expect(refused.error.message).toContain('add --wait SECONDS to wait for it');

    // The winner released the lease, and the history has the one push.
    const db = openStore(world.dbPath);
    try {
      expect(new JobLeases(db).live()).toEqual([]);
      expect((db.prepare("SELECT COUNT(*) AS n FROM runs WHERE command = 'push'").get() as { n: number }).n).toBe(1);
    } finally {
      db.close();
    }
  });

  it('with --wait, the second push waits for the first and then finds nothing left to send', async () => {
    world = await readyToPush();
    slowWrites(world, 3);
    const first = segsync(['push', '--json'], world.env);
    await until(() => writes(world!) > 0, 'the first push to send');
    const second = segsync(['push', '--json', '--wait', '120'], world.env);
    const [one, two] = await Promise.all([first.exited, second.exited]);
    expect([one.code, two.code]).toEqual([0, 0]);
    expect(two.stderr).toMatch(/waiting up to 120 s: push:hubspot is held by [^:]+:\d+:[0-9a-f]{8} \(segsync push\) since /);
    const again = JSON.parse(two.stdout) as { push: { destinations: Array<{ plan: { listAdds: number; tokenUpdates: number } }> }; requests: { hubspot: { writes: number } } };
    expect(again.push.destinations[0]!.plan).toMatchObject({ listAdds: 0, tokenUpdates: 0 });
    expect(again.requests.hubspot.writes).toBe(0);
  });

  it('a push killed outright leaves its lease behind; the next command on this machine takes it over at once', async () => {
    world = await readyToPush();
    slowWrites(world, 2);
    const first = segsync(['push'], world.env);
    await until(() => writes(world!) > 0, 'the first push to send');
    first.kill('SIGKILL');
    await first.exited;
    const db = openStore(world.dbPath);
    try {
      expect(new JobLeases(db).live()).toEqual([expect.objectContaining({ job: 'push:hubspot', owner: expect.stringContaining(`:${first.pid}:`), command: 'segsync push' })]);
    } finally {
      db.close();
    }
    const next = await segsync(['push', '--json'], world.env).exited;
    expect(next.code).toBe(0);
  });
});
