import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../store/db.js';
import { processAlive } from '../store/runs.js';

export interface LeaseHolder {
  /** A job name, or an operation key (see lease-keys.ts). */
  job: string;
  owner: string;
  acquiredAt: string;
  expiresAt: string;
  /** What holds it, when it said: "segsync push", "job push-hubspot". */
  command?: string;
}

/** What acquireAll answers: all the leases are ours now, or none is and this one is why. */
export type LeaseClaim = { ok: true } | { ok: false; held: LeaseHolder };

/** Who this process is in job_leases: unique per process start, readable in status output. */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * One lease per job in the store, so two daemons on the same SQLite file never run the same job
 * at once. A lease is renewed while its run goes on; one that was not renewed before it expired
 * (its process was killed, or lost the machine) is free for anyone. Times are ISO 8601 UTC
 * strings of one fixed width, so comparing them as text compares the times.
 */
export class JobLeases {
  constructor(private readonly db: Db) {}

  /** Takes the job's lease if nobody holds it, it expired, or it is already ours. */
  acquire(job: string, owner: string, ttlMs: number, now: number = Date.now()): boolean {
    const at = iso(now);
    // IMMEDIATE takes the write lock before reading, so two processes deciding at the same moment
    // are serialized by SQLite: the second sees the first's row and is refused.
    return this.db
      .transaction(() => this.db
        .prepare(`INSERT INTO job_leases (job, owner, acquired_at, expires_at) VALUES (@job, @owner, @at, @expires)
                  ON CONFLICT (job) DO UPDATE SET
                    acquired_at = CASE WHEN job_leases.owner = excluded.owner THEN job_leases.acquired_at ELSE excluded.acquired_at END,
                    owner = excluded.owner,
                    expires_at = excluded.expires_at
                  WHERE job_leases.owner = excluded.owner OR job_leases.expires_at <= @at`)
        .run({ job, owner, at, expires: iso(now + ttlMs) }).changes === 1)
      .immediate();
  }

  /**
   * Extends our lease; false when it is no longer ours (it expired and someone else took it).
   * A lease of ours that expired while nobody took it is still renewed: no one else ran the job.
   */
  renew(job: string, owner: string, ttlMs: number, now: number = Date.now()): boolean {
    return this.db
      .prepare('UPDATE job_leases SET expires_at = ? WHERE job = ? AND owner = ?')
      .run(iso(now + ttlMs), job, owner).changes === 1;
  }

  /** Gives the lease back; a lease someone else holds by now is left alone. */
  release(job: string, owner: string): void {
    this.db.prepare('DELETE FROM job_leases WHERE job = ? AND owner = ?').run(job, owner);
  }

  /** Who holds the job's lease right now; undefined when nobody does or the lease expired. */
  holder(job: string, now: number = Date.now()): LeaseHolder | undefined {
    const row = this.db
      .prepare('SELECT job, owner, acquired_at AS acquiredAt, expires_at AS expiresAt, command FROM job_leases WHERE job = ? AND expires_at > ?')
      .get(job, iso(now)) as LeaseRow | undefined;
    return row && holderOf(row);
  }

  /**
   * Takes every one of `keys` for `owner`, or none: in one IMMEDIATE transaction, so two processes
   * asking for overlapping sets never end up with half each. Leases of ours are extended (keeping
   * when they were first taken); a lease held by a process of this machine that no longer runs
   * (a command killed with SIGKILL) is free at once, one of another machine when it expires.
   */
  acquireAll(keys: readonly string[], owner: string, ttlMs: number, now: number = Date.now(), command?: string): LeaseClaim {
    const at = iso(now);
    return this.db.transaction((): LeaseClaim => {
      const read = this.db.prepare('SELECT job, owner, acquired_at AS acquiredAt, expires_at AS expiresAt, command FROM job_leases WHERE job = ?');
      for (const key of keys) {
        const row = read.get(key) as LeaseRow | undefined;
        if (!row || row.owner === owner || row.expiresAt <= at) continue;
        if (!ownerGone(row.owner)) return { ok: false, held: holderOf(row) };
      }
      const take = this.db.prepare(`INSERT INTO job_leases (job, owner, acquired_at, expires_at, command) VALUES (@key, @owner, @at, @expires, @command)
        ON CONFLICT (job) DO UPDATE SET
          acquired_at = CASE WHEN job_leases.owner = excluded.owner THEN job_leases.acquired_at ELSE excluded.acquired_at END,
          owner = excluded.owner, expires_at = excluded.expires_at, command = excluded.command`);
      for (const key of new Set(keys)) take.run({ key, owner, at, expires: iso(now + ttlMs), command: command ?? null });
      return { ok: true };
    }).immediate();
  }

  /** Extends every one of `keys` held by `owner`; false if any is no longer ours. */
  renewAll(keys: readonly string[], owner: string, ttlMs: number, now: number = Date.now()): boolean {
    return this.db.transaction(() => keys.every((key) => this.renew(key, owner, ttlMs, now))).immediate();
  }

  releaseAll(keys: readonly string[], owner: string): void {
    this.db.transaction(() => {
      for (const key of keys) this.release(key, owner);
    })();
  }

  /** Every lease not yet expired (for status and for the daemon's start-up checks). */
  live(now: number = Date.now()): LeaseHolder[] {
    return (this.db
      .prepare('SELECT job, owner, acquired_at AS acquiredAt, expires_at AS expiresAt, command FROM job_leases WHERE expires_at > ? ORDER BY job')
      .all(iso(now)) as LeaseRow[]).map(holderOf);
  }
}

type LeaseRow = Omit<LeaseHolder, 'command'> & { command: string | null };

function holderOf(row: LeaseRow): LeaseHolder {
  const { command, ...rest } = row;
  return command === null ? rest : { ...rest, command };
}

/** An owner (`host:pid:random`) of this machine whose process is gone; another machine's is never judged. */
export function ownerGone(owner: string): boolean {
  const [host, pid] = owner.split(':');
  return host === hostname() && pid !== undefined && /^\d+$/.test(pid) && !processAlive(Number(pid));
}

/** Another segsync (a command or a scheduled job) holds what this command needs. */
export class LeaseHeldError extends Error {
  constructor(readonly held: LeaseHolder, waitedSeconds: number | undefined) {
    super(
      `${held.job} is held by ${describeHolder(held)}${waitedSeconds ? `, still after waiting ${waitedSeconds} s` : ''}: ` +
        'another segsync is doing this now. ' +
        `Run again when it is done${waitedSeconds ? ', or wait longer with --wait SECONDS' : ', or add --wait SECONDS to wait for it'}.`,
    );
    this.name = 'LeaseHeldError';
  }
}

/** "vm:4242:9f1c2ab0 (segsync push) since 2026-12-07T10:00:00.000Z". */
export function describeHolder(held: LeaseHolder): string {
  return `${held.owner} (${held.command ?? 'a segsync process'}) since ${held.acquiredAt}`;
}
