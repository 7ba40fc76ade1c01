import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/db.js';
import { JobLeases, leaseOwner } from '../../src/scheduler/leases.js';

const ROOT = join(import.meta.dirname, '../..');
const T0 = Date.parse('2026-06-01T00:00:00.000Z');
const TTL = 60_000;

describe('job leases', () => {
  const open: Db[] = [];
  const store = (path = join(mkdtempSync(join(tmpdir(), 'segsync-leases-')), 'segsync.db')) => {
    const db = openStore(path);
    open.push(db);
    return { db, path, leases: new JobLeases(db) };
  };
  afterEach(() => {
    for (const db of open.splice(0)) db.close();
  });

  it('are taken when free, and renewed and released by their owner', () => {
    const { leases } = store();
    expect(leases.holder('pull-hubspot', T0)).toBeUndefined();
    expect(leases.acquire('pull-hubspot', 'a', TTL, T0)).toBe(true);
    expect(leases.holder('pull-hubspot', T0)).toEqual({
      job: 'pull-hubspot', owner: 'a', acquiredAt: '2026-06-01T00:00:00.000Z', expiresAt: '2026-06-01T00:01:00.000Z',
    });
    expect(leases.renew('pull-hubspot', 'a', TTL, T0 + 30_000)).toBe(true);
    expect(leases.holder('pull-hubspot', T0)?.expiresAt).toBe('2026-06-01T00:01:30.000Z');
    // Taking it again while ours keeps the time it was first taken.
    expect(leases.acquire('pull-hubspot', 'a', TTL, T0 + 40_000)).toBe(true);
    expect(leases.holder('pull-hubspot', T0)?.acquiredAt).toBe('2026-06-01T00:00:00.000Z');
    leases.release('pull-hubspot', 'a');
    expect(leases.holder('pull-hubspot', T0)).toBeUndefined();
  });

  it('refuse a second owner while the lease is live, and let it in once it expired', () => {
    const { leases } = store();
    expect(leases.acquire('sync-all', 'a', TTL, T0)).toBe(true);
    expect(leases.acquire('sync-all', 'b', TTL, T0 + TTL - 1)).toBe(false);
    expect(leases.holder('sync-all', T0 + TTL - 1)?.owner).toBe('a');
    // Someone else's release does nothing.
    leases.release('sync-all', 'b');
    expect(leases.holder('sync-all', T0)?.owner).toBe('a');
    expect(leases.acquire('sync-all', 'b', TTL, T0 + TTL)).toBe(true);
    expect(leases.holder('sync-all', T0 + TTL)).toMatchObject({ owner: 'b', acquiredAt: new Date(T0 + TTL).toISOString() });
    // The old owner learns it lost the lease, and its late release leaves b's lease alone.
    expect(leases.renew('sync-all', 'a', TTL, T0 + TTL + 1)).toBe(false);
    leases.release('sync-all', 'a');
    expect(leases.holder('sync-all', T0 + TTL)?.owner).toBe('b');
  });

  it('renew an expired lease of ours that nobody took', () => {
    const { leases } = store();
    leases.acquire('push-hubspot', 'a', TTL, T0);
    expect(leases.holder('push-hubspot', T0 + 2 * TTL)).toBeUndefined();
    expect(leases.renew('push-hubspot', 'a', TTL, T0 + 2 * TTL)).toBe(true);
    expect(leases.holder('push-hubspot', T0 + 2 * TTL)?.owner).toBe('a');
  });

  it('are per job', () => {
    const { leases } = store();
    expect(leases.acquire('pull-hubspot', 'a', TTL, T0)).toBe(true);
    expect(leases.acquire('pull-shopify', 'b', TTL, T0)).toBe(true);
    expect(leases.live(T0).map((l) => `${l.job}@${l.owner}`)).toEqual(['pull-hubspot@a', 'pull-shopify@b']);
  });

  it('treat a job name as data, never as SQL', () => {
    const { leases } = store();
    const name = "x'); DROP TABLE job_leases; --";
    expect(leases.acquire(name, 'a', TTL, T0)).toBe(true);
    expect(leases.holder(name, T0)?.job).toBe(name);
  });

  it('for several keys are taken all or none, saying who holds the one refused and what it runs', () => {
    const { leases } = store();
    expect(leases.acquireAll(['push:hubspot'], 'cmd', TTL, T0, 'segsync push')).toEqual({ ok: true });
    // A sync needs push:hubspot too: it gets none of its leases, and learns why.
    expect(leases.acquireAll(['pull:hubspot', 'segment:store', 'push:hubspot'], 'job', TTL, T0 + 1_000, 'job sync-all')).toEqual({
      ok: false,
      held: { job: 'push:hubspot', owner: 'cmd', acquiredAt: new Date(T0).toISOString(), expiresAt: new Date(T0 + TTL).toISOString(), command: 'segsync push' },
    });
    expect(leases.live(T0 + 1_000).map((l) => l.job)).toEqual(['push:hubspot']);
    expect(leases.renewAll(['push:hubspot'], 'cmd', TTL, T0 + 2_000)).toBe(true);
    leases.releaseAll(['push:hubspot'], 'cmd');
    expect(leases.acquireAll(['pull:hubspot', 'segment:store', 'push:hubspot'], 'job', TTL, T0 + 3_000, 'job sync-all')).toEqual({ ok: true });
    expect(leases.live(T0 + 3_000).map((l) => `${l.job}@${l.owner}:${l.command}`)).toEqual(['pull:hubspot@job:job sync-all', 'push:hubspot@job:job sync-all', 'segment:store@job:job sync-all']);
    // Not ours any more: renewAll says so.
    expect(leases.renewAll(['push:hubspot'], 'cmd', TTL, T0 + 4_000)).toBe(false);
  });

  it('held by a process of this machine that is gone are free at once; another machine\'s wait for their expiry', async () => {
    const { leases } = store();
    const gone = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '']);
      child.on('close', () => resolve(child.pid!));
    });
    const now = Date.now();
    expect(leases.acquireAll(['push:hubspot'], `${hostname()}:${gone}:0badf00d`, TTL, now, 'segsync push')).toEqual({ ok: true });
    expect(leases.acquireAll(['push:marketo'], `elsewhere:${gone}:0badf00d`, TTL, now, 'segsync push')).toEqual({ ok: true });
    expect(leases.acquireAll(['push:hubspot'], 'next', TTL, now + 1)).toEqual({ ok: true });
    expect(leases.acquireAll(['push:marketo'], 'next', TTL, now + 1)).toMatchObject({ ok: false, held: { owner: `elsewhere:${gone}:0badf00d` } });
    expect(leases.acquireAll(['push:marketo'], 'next', TTL, now + TTL)).toEqual({ ok: true });
  });

  it('have one owner per process start', () => {
    const a = leaseOwner();
    expect(a).toMatch(new RegExp(`^.+:${process.pid}:[0-9a-f]{8}$`));
    expect(leaseOwner()).not.toBe(a);
  });

  it('two connections to one file: the second is refused', () => {
    const first = store();
    const second = store(first.path);
    expect(first.leases.acquire('sync-all', 'a', TTL, T0)).toBe(true);
    expect(second.leases.acquire('sync-all', 'b', TTL, T0)).toBe(false);
    expect(second.leases.holder('sync-all', T0)?.owner).toBe('a');
  });

  it('processes acquiring at the same moment: exactly one wins', async () => {
    const { path } = store();
    // Each process opens the store, waits for the same instant, then tries the same job.
    const at = Date.now() + 2_500;
    const script = `
      import { openStore } from './src/store/db.ts';
      import { JobLeases } from './src/scheduler/leases.ts';
      const db = openStore(process.argv[1]);
      const leases = new JobLeases(db);
      while (Date.now() < ${at}) { /* spin to the start line */ }
      const won = leases.acquire('sync-all', process.argv[2], ${TTL});
      process.stdout.write(JSON.stringify({ won }));
      db.close();`;
    const contenders = ['p1', 'p2', 'p3', 'p4'].map((owner) => new Promise<{ owner: string; won: boolean }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path, owner], { cwd: ROOT });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => (code === 0 ? resolve({ owner, ...(JSON.parse(out) as { won: boolean }) }) : reject(new Error(err))));
    }));
    const results = await Promise.all(contenders);
    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    const check = store(path);
    expect(check.leases.holder('sync-all')?.owner).toBe(winners[0]!.owner);
  });
});
