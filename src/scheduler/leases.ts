import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../store/db.js';

export interface LeaseHolder {
  job: string;
  owner: string;
  acquiredAt: string;
  expiresAt: string;
}

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
      .prepare('SELECT job, owner, acquired_at AS acquiredAt, expires_at AS expiresAt FROM job_leases WHERE job = ? AND expires_at > ?')
      .get(job, iso(now)) as LeaseHolder | undefined;
    return row;
  }

  /** Every lease not yet expired (for status and for the daemon's start-up checks). */
  live(now: number = Date.now()): LeaseHolder[] {
    return this.db
      .prepare('SELECT job, owner, acquired_at AS acquiredAt, expires_at AS expiresAt FROM job_leases WHERE expires_at > ? ORDER BY job')
      .all(iso(now)) as LeaseHolder[];
  }
}
