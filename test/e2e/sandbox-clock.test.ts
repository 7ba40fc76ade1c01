import { mkdtempSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sandboxAdvanceCommand } from '../../src/cli/commands/sandbox-advance.js';
import { CONNECTORS } from '../../connectors/index.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { openSession, type Session } from '../../src/pipeline/session.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const SIZE = 400;
const SEED = 9;

interface Truth {
  from: string;
  clock: string;
  lists: Array<{ list: string; treated: number }>;
  treated: { people: number };
  newPurchases: Record<string, number>;
}

/** The machine's first address that is not loopback, if it has one. */
function externalIPv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

describe('the sandbox clock: advance, then pull incrementally', () => {
  let sandbox: Sandbox;
  let session: Session;
  let base: string;
  let truth: Truth;
  let before: Set<string>;
  let quarantinedBefore: Set<string>;
  const quarantinedPurchases = () => new Set((session.db.prepare(`SELECT platform || '|' || external_id AS k FROM quarantine WHERE stream = 'purchases'`).all() as Array<{ k: string }>).map((r) => r.k));
  const storedPurchases = () => new Set((session.db.prepare(`SELECT platform || '|' || external_id AS k FROM purchases WHERE status = 'won'`).all() as Array<{ k: string }>).map((r) => r.k));
  const signal = new AbortController().signal;

  beforeAll(async () => {
    // Bound to every interface, as someone exposing the sandbox would: the admin endpoint must still refuse remote callers.
    sandbox = await startSandbox({ registry: CONNECTORS, size: SIZE, seed: SEED, anchor: ANCHOR, pace: 'fast', host: '0.0.0.0' });
    base = sandbox.url.replace('0.0.0.0', '127.0.0.1');
    const env = Object.fromEntries(Object.entries(sandbox.env).map(([k, v]) => [k, v.replace('0.0.0.0', '127.0.0.1')]));
    const dir = mkdtempSync(join(tmpdir(), 'segsync-clock-'));
    writeFileSync(join(dir, 'workspace.yaml'), `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`);
    session = openSession({ env: { ...env, SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') }, registry: CONNECTORS });
    await pull(session, { full: true, signal });
    segment(session);
    await push(session, { dryRun: false, allowMassRemoval: false, signal });
    before = storedPurchases();
    quarantinedBefore = quarantinedPurchases();
    const reply = await fetch(`${base}/_sandbox/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ days: 30 }) });
    expect(reply.status).toBe(200);
    truth = (await reply.json()) as Truth;
    await pull(session, { full: false, signal });
  }, 120_000);
  afterAll(async () => {
    session?.close();
    await sandbox?.close();
  });

  it('moves the world clock 30 days ahead and treats the people on segsync\'s lists', async () => {
    expect(Date.parse(truth.clock) - Date.parse(truth.from)).toBe(30 * 86_400_000);
    const clock = (await (await fetch(`${base}/_sandbox/clock`)).json()) as { clock: string; advancedDays: number };
    expect(clock.advancedDays).toBe(30);
    expect(Date.parse(clock.clock)).toBeGreaterThanOrEqual(Date.parse(truth.clock));
    expect(truth.lists.length).toBeGreaterThan(0);
    expect(truth.treated.people).toBeGreaterThan(0);
  });

  it('stores every new purchase on the next incremental pull, as many per platform as the sandbox reported', () => {
    // New = not in the store before the advance (Marketo keeps a close date without a time, so a
    // purchase on the span's first day is dated before the span's start).
    const byPlatform: Record<string, number> = {};
    for (const key of storedPurchases()) {
      if (before.has(key)) continue;
      const platform = key.slice(0, key.indexOf('|'));
      byPlatform[platform] = (byPlatform[platform] ?? 0) + 1;
    }
    const { total, ...reported } = truth.newPurchases;
    expect(total).toBeGreaterThan(0);
    expect(byPlatform).toEqual(reported);
    // Dated in the real future (the world clock runs ahead): none of it is quarantined.
    const quarantinedNow = quarantinedPurchases();
    expect([...quarantinedNow].filter((id) => !quarantinedBefore.has(id))).toEqual([]);
  });

  it('refuses a caller that is not on loopback, and names the field of a bad body', async () => {
    const external = externalIPv4();
    if (external) {
      const remote = await fetch(`${sandbox.url.replace('0.0.0.0', external)}/_sandbox/advance`, { method: 'POST', body: JSON.stringify({ days: 1 }) });
      expect(remote.status).toBe(403);
    } else {
      // No interface but loopback on this machine: the same handler, told the caller is remote.
      const { answerAdmin } = await import('../../src/sandbox/admin-endpoint.js');
      expect((await answerAdmin('POST', '/advance', '192.0.2.9', { clock: undefined as never, emulators: sandbox.emulators, readBody: async () => '{"days":1}' })).status).toBe(403);
    }
    const bad = await fetch(`${base}/_sandbox/advance`, { method: 'POST', body: JSON.stringify({ days: 'soon' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/^days: /);
  });

  it('advances from the CLI command too: the ground truth as JSON, exit 2 for a list that does not exist', async () => {
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));
    const exitCode = process.exitCode;
    try {
      await sandboxAdvanceCommand(2, { url: base, json: true });
      const answer = JSON.parse(printed.join('')) as { ok: boolean; days: number; from: string };
      expect(answer).toMatchObject({ ok: true, days: 2 });
      expect(Date.parse(answer.from)).toBeGreaterThanOrEqual(Date.parse(truth.clock));
      printed.length = 0;
      await sandboxAdvanceCommand(2, { url: base, json: true, list: ['segsync · No such segment'] });
      expect(process.exitCode).toBe(2);
      expect(JSON.parse(printed.join(''))).toMatchObject({ ok: false, error: { kind: 'configuration', message: expect.stringContaining('lists: no list named') } });
    } finally {
      write.mockRestore();
      process.exitCode = exitCode;
    }
  });
});
