/**
 * One failing platform does not stop the others: `segsync sync` pulls, segments and pushes what
 * it can and exits 1 naming the platform that failed; a failed run records the counts of what it
 * stored and pushed; a run killed with SIGKILL shows as abandoned to read-only commands and is
 * closed as failed (with its counts) by the next command that writes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import type { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import type { ShopifyEmulator } from '../../connectors/shopify/emulator/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { hubspotWorld, type HubSpotWorld } from '../helpers/sandbox.js';
import { segsync } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '../..');
const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];


interface RunRow { id: number; command: string; status: string; error: string | null; counts: string | null; heartbeat_at: string | null }
function runRows(dbPath: string): RunRow[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT * FROM runs ORDER BY id').all() as RunRow[];
  } finally {
    db.close();
  }
}
const countsOf = (r: RunRow) => JSON.parse(r.counts ?? 'null') as Record<string, number> | null;

interface SyncJson {
  ok: boolean;
  failed: Array<{ platform: string; step: string; error: string }>;
  segment: { profiles: number } | null;
  push: { destinations: Array<{ platform: string; skipped?: string; failed?: string; applied?: { listAdds: number; tokenUpdates: number } }> } | null;
  error?: { kind: string; message: string };
}

describe('sync with a failing platform', () => {
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  let dbPath: string;
  const hubspot = () => sandbox.emulators.get('hubspot') as HubSpotEmulator;
  const shopify = () => sandbox.emulators.get('shopify') as ShopifyEmulator;

  beforeAll(async () => {
    sandbox = await startSandbox({ registry: CONNECTORS.filter((c) => c.id !== 'marketo'), size: 150, seed: 3, anchor: ANCHOR, pace: 'fast' });
    const dir = mkdtempSync(join(tmpdir(), 'segsync-sync-failures-'));
    dbPath = join(dir, 'segsync.db');
    writeFileSync(join(dir, 'workspace.yaml'), `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`);
    env = { ...sandbox.env, SEGSYNC_DB: dbPath, SEGSYNC_CONFIG: join(dir, 'workspace.yaml') };
  });
  afterAll(() => sandbox.close());

  it('goes on with the others: segments, pushes to HubSpot, skips Shopify, exits 1 naming it; the run is failed with its counts', async () => {
    shopify().revokeToken();
    const { code, stdout, stderr } = await segsync(['sync', '--json'], { ...env, SEGSYNC_LOG_FORMAT: 'json' });
    expect(code).toBe(1);
    // The log has the failure as a failed command's error line: one per failed platform.
    const errors = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'error' || l.level === 50);
    expect(errors).toEqual([expect.objectContaining({ kind: 'api:auth', exitCode: 1, platform: 'shopify', status: 401 })]);
    const result = JSON.parse(stdout) as SyncJson;
    expect(result.ok).toBe(false);
    expect(result.failed).toEqual([expect.objectContaining({ platform: 'shopify', step: 'pull', kind: 'api:auth', status: 401, error: expect.stringMatching(/shopify/i) })]);
    expect(result.error).toMatchObject({ kind: 'api:auth', message: expect.stringContaining('shopify pull failed') });
    expect(result.segment!.profiles).toBeGreaterThan(0);
    const [toHubSpot, toShopify] = [result.push!.destinations.find((d) => d.platform === 'hubspot')!, result.push!.destinations.find((d) => d.platform === 'shopify')!];
    expect(toHubSpot.applied!.listAdds).toBeGreaterThan(0);
    expect(toShopify.skipped).toMatch(/its pull failed/);
    expect(hubspot().requests.some((r) => r.write)).toBe(true);
    expect(shopify().listCustomers().some((c) => c.tags.some((t) => t.startsWith('segsync:')))).toBe(false);

    const sync = runRows(dbPath).at(-1)!;
    expect(sync).toMatchObject({ command: 'sync', status: 'failed', error: expect.stringContaining('shopify pull failed') });
    expect(countsOf(sync)).toMatchObject({ pulled: expect.any(Number), listAdds: toHubSpot.applied!.listAdds });
    expect(countsOf(sync)!.pulled).toBeGreaterThan(0);
  }, 120_000);

  it('on a terminal: the summary on stdout, the failed platform on stderr; once it works again, it is pushed too', async () => {
    const failing = await segsync(['sync'], { ...env, SEGSYNC_LOG_FORMAT: 'pretty' });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('Not pushed to shopify: its pull failed');
    expect(failing.stdout).toContain('shopify: pull failed:');
    expect(failing.stderr).toMatch(/^segsync: sync: shopify pull failed: /m);

    shopify().restoreToken();
    // Shopify's people join the profiles: HubSpot's lists change a lot, as they should.
    const fixed = await segsync(['sync', '--json', '--allow-mass-removal'], env);
    expect(fixed.code, fixed.stderr).toBe(0);
    const result = JSON.parse(fixed.stdout) as SyncJson;
    expect(result).toMatchObject({ ok: true, failed: [] });
    expect(result.push!.destinations.find((d) => d.platform === 'shopify')!.applied!.listAdds).toBeGreaterThan(0);
    expect(runRows(dbPath).at(-1)).toMatchObject({ command: 'sync', status: 'succeeded', error: null });
  }, 120_000);
});

describe('pull and push with a failing platform go on with the others, like sync', () => {
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  let dbPath: string;
  let dir: string;
  const shopify = () => sandbox.emulators.get('shopify') as ShopifyEmulator;
  const hubspot = () => sandbox.emulators.get('hubspot') as HubSpotEmulator;

  beforeAll(async () => {
    sandbox = await startSandbox({ registry: CONNECTORS.filter((c) => c.id !== 'marketo'), size: 120, seed: 5, anchor: ANCHOR, pace: 'fast' });
    dir = mkdtempSync(join(tmpdir(), 'segsync-keep-going-'));
    dbPath = join(dir, 'segsync.db');
    writeFileSync(join(dir, 'workspace.yaml'), `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`);
    env = { ...sandbox.env, SEGSYNC_DB: dbPath, SEGSYNC_CONFIG: join(dir, 'workspace.yaml') };
  });
  afterAll(() => sandbox.close());

  interface PushJson {
    ok: boolean;
    failed: Array<{ platform: string; step: string; kind: string; status?: number }>;
    push: { destinations: Array<{ platform: string; failed?: string; applied?: { listAdds: number; tokenUpdates: number } }> };
    error: { kind: string; message: string };
  }

  it('push with a wrong HubSpot token: Shopify is pushed, HubSpot fails; every summary, the failure and exit 1', async () => {
    expect((await segsync(['pull'], env)).code).toBe(0);
    expect((await segsync(['segment'], env)).code).toBe(0);
    const wrong = { ...env, HUBSPOT_ACCESS_TOKEN: 'wrong' };
    const { code, stdout } = await segsync(['push', '--json'], wrong);
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as PushJson;
    expect(result.ok).toBe(false);
    expect(result.failed).toEqual([expect.objectContaining({ platform: 'hubspot', step: 'push', kind: 'api:auth', status: 401 })]);
    expect(result.error).toMatchObject({ kind: 'api:auth', message: expect.stringContaining('push: hubspot push failed') });
    const toShopify = result.push.destinations.find((d) => d.platform === 'shopify')!;
    expect(toShopify.failed).toBeUndefined();
    expect(toShopify.applied!.listAdds).toBeGreaterThan(0);
    expect(shopify().listCustomers().some((c) => c.tags.some((t) => t.startsWith('segsync:')))).toBe(true);
    expect(result.push.destinations.find((d) => d.platform === 'hubspot')!.failed).toMatch(/hubspot/i);
    expect(runRows(dbPath).at(-1)).toMatchObject({ command: 'push', status: 'failed', error: expect.stringContaining('hubspot push failed') });

    // On a terminal: Shopify's summary on stdout, HubSpot's error on stderr.
    const human = await segsync(['push'], { ...wrong, SEGSYNC_LOG_FORMAT: 'pretty' });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('Push failed part-way to hubspot');
    expect(human.stdout).toContain('Pushed to shopify');
    expect(human.stderr).toMatch(/^segsync: push: hubspot push failed: /m);
  }, 120_000);

  it('pull --full with a HubSpot mapping typo: Shopify is pulled and stored and shown; the mapping error in full; exit 2', async () => {
    const mapping = join(dir, 'typo.yaml');
    writeFileSync(mapping, readFileSync(join(ROOT, 'mappings/hubspot.yaml'), 'utf8').replace('    email: email\n', '    email: emial\n'));
    writeFileSync(join(dir, 'workspace.yaml'), `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\nsources:\n  hubspot:\n    mapping: ${mapping}\n`);
    const before = hubspot().requests.length;
    const { code, stdout } = await segsync(['pull', '--full', '--json'], env);
    expect(code).toBe(2);
    const result = JSON.parse(stdout) as { ok: boolean; failed: Array<{ platform: string; kind: string }>; pull: { streams: Array<{ platform: string; stream: string; stored: number }> }; error: { kind: string } };
    expect(result).toMatchObject({ ok: false, failed: [{ platform: 'hubspot', kind: 'mapping_field' }], error: { kind: 'mapping_field' } });
    const shopifyStreams = result.pull.streams.filter((st) => st.platform === 'shopify');
    expect(shopifyStreams.map((st) => st.stream)).toEqual(['contacts', 'purchases', 'engagement']);
    expect(shopifyStreams.every((st) => st.stored > 0)).toBe(true);
    expect(result.pull.streams.some((st) => st.platform === 'hubspot')).toBe(false);
    // HubSpot was asked about its properties only.
    expect(hubspot().requests.slice(before).every((r) => r.method === 'GET' && /^\/crm\/v3\/(properties|pipelines)\//.test(r.path))).toBe(true);

    const human = await segsync(['pull', '--full'], { ...env, SEGSYNC_LOG_FORMAT: 'pretty' });
    expect(human.code).toBe(2);
    expect(human.stdout).toMatch(/shopify +contacts +full/);
    expect(human.stdout).toContain('hubspot: pull failed:');
    expect(human.stderr).toContain('segsync: pull: hubspot pull failed: hubspot: the mapping names a field HubSpot does not have');
    expect(human.stderr).toContain('Fix: set contacts.fields.email in');
    writeFileSync(join(dir, 'workspace.yaml'), `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`);
  }, 120_000);
});

describe('a failed run records what it did', () => {
  let world: HubSpotWorld;
  beforeAll(async () => {
    world = await hubspotWorld({ size: 120 });
  });
  afterAll(() => world.close());

  it('a pull that fails on deals keeps the count of the contacts it stored; a push that fails at tokens keeps its list adds', async () => {
    const revoked = { status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION', correlationId: 'c0ffee' };
    world.emulator.injectFault({ match: /^GET \/crm\/v3\/objects\/deals/, status: 401, body: revoked });
    const pulled = await segsync(['pull'], world.env);
    expect(pulled.code).toBe(1);
    const failedPull = runRows(world.dbPath).at(-1)!;
    expect(failedPull).toMatchObject({ command: 'pull', status: 'failed' });
    expect(countsOf(failedPull)!.pulled).toBe(world.emulator.listContacts().length);

    expect((await segsync(['pull'], world.env)).code).toBe(0);
    expect((await segsync(['segment'], world.env)).code).toBe(0);
    world.emulator.injectFault({ match: /^POST \/crm\/v3\/objects\/contacts\/batch\/update/, status: 401, body: revoked });
    const pushed = await segsync(['push'], world.env);
    expect(pushed.code).toBe(1);
    const failedPush = runRows(world.dbPath).at(-1)!;
    expect(failedPush).toMatchObject({ command: 'push', status: 'failed' });
    expect(countsOf(failedPush)!.listAdds).toBeGreaterThan(0);
    expect(countsOf(failedPush)!.listAdds).toBe(world.emulator.effectiveListAdds().length);
  }, 120_000);
});

describe('a run killed with SIGKILL', () => {
  let world: HubSpotWorld;
  beforeAll(async () => {
    world = await hubspotWorld({ size: 120 });
  });
  afterAll(() => world.close());

  it('shows as abandoned to read-only commands, and the next writing command closes it as failed with the counts it stored', async () => {
    // The deals page never answers in time: the pull has stored the contacts and waits there.
    world.emulator.injectScenario({ kind: 'slow', count: 1, match: /^GET \/crm\/v3\/objects\/deals/, delayMs: 120_000 });
    const child = spawn(process.execPath, [...CLI, 'pull'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...world.env, HUBSPOT_TIMEOUT_MS: '300000' },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // Killed once it has stored the contacts and written a heartbeat with them (up to 90 s: on a
    // loaded CI machine the child's start alone can take tens of seconds).
    for (let i = 0; i < 900; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        const row = runRows(world.dbPath).at(-1);
        if (row?.heartbeat_at && (countsOf(row)?.pulled ?? 0) > 0) break;
      } catch {
        // not created yet
      }
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(runRows(world.dbPath).at(-1)).toMatchObject({ command: 'pull', status: 'running' });

    const runs = await segsync(['runs', '--json'], world.env);
    const shown = (JSON.parse(runs.stdout) as { runs: Array<{ command: string; status: string; error: string }> }).runs[0]!;
    expect(shown).toMatchObject({ command: 'pull', status: 'abandoned', error: expect.stringContaining(`pid ${child.pid}`) });
    const status = (await segsync(['status'], world.env)).stdout;
    expect(status).toMatch(/#1 +pull +manual +abandoned /);
    // What is known, and no claim that a next run redid anything (none ran yet).
    expect(status).toContain('is gone (killed or crashed) before the run finished; what it stored and pushed before is counted');
    expect(status).not.toMatch(/redid|redone/);
    // Read-only commands only show it.
    expect(runRows(world.dbPath).at(-1)).toMatchObject({ status: 'running' });

    expect((await segsync(['pull'], world.env)).code).toBe(0);
    const [killed, next] = runRows(world.dbPath);
    expect(killed).toMatchObject({ command: 'pull', status: 'failed', error: expect.stringMatching(/its process \(pid \d+\) is gone \(killed or crashed\) before the run finished; what it stored and pushed before is counted/) });
    expect(countsOf(killed!)!.pulled).toBe(world.emulator.listContacts().length);
    expect(next).toMatchObject({ command: 'pull', status: 'succeeded' });
  }, 300_000);

  it('a sync killed right after a push batch was confirmed says what it pushed (counted with the batch, not by a heartbeat)', async () => {
    // Segment membership changes so that the sync has lists to fill; tokens never answer in time.
    world.emulator.injectScenario({ kind: 'slow', count: 1, match: /^POST \/crm\/v3\/objects\/contacts\/batch\/update/, delayMs: 120_000 });
    const listMembers = () => {
      const db = new Database(world.dbPath, { readonly: true });
      try {
        return (db.prepare("SELECT COUNT(*) AS n FROM destination_list_members WHERE destination = 'hubspot'").get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    expect(listMembers()).toBe(0);
    const child = spawn(process.execPath, [...CLI, 'sync'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...world.env, HUBSPOT_TIMEOUT_MS: '300000' },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // Killed as soon as the first list members are recorded: no heartbeat has caught up with them.
    for (let i = 0; i < 3000 && listMembers() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const killed = runRows(world.dbPath).at(-1)!;
    expect(killed).toMatchObject({ command: 'sync', status: 'running' });
    const members = listMembers();
    expect(members).toBeGreaterThan(0);
    expect(countsOf(killed)).toMatchObject({ listAdds: members });
    expect(countsOf(killed)!.segmentEntries).toBeGreaterThan(0);

    const runs = JSON.parse((await segsync(['runs', '--json'], world.env)).stdout) as { runs: Array<{ command: string; status: string; counts: { listAdds: number } }> };
    expect(runs.runs[0]).toMatchObject({ command: 'sync', status: 'abandoned', counts: { listAdds: members } });
  }, 120_000);
});
