import type { Db } from './db.js';
import { nowIso } from './db.js';
import { hostname } from 'node:os';

const THIS_PROCESS = `${hostname()}:${process.pid}`;

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What every run reports, whatever the command. */
export interface RunCounts {
  pulled: number;
  quarantined: number;
  segmentEntries: number;
  segmentExits: number;
  listAdds: number;
  listRemoves: number;
  tokenUpdates: number;
  requests: number;
  retries: number;
  throttled: number;
}

export interface RunRow {
  id: number;
  command: string;
  trigger: string;
  job: string | null;
  counts: RunCounts | null;
  startedAt: string;
  finishedAt: string | null;
  /**
   * 'abandoned': still marked running, but its process is gone (see `abandonedBecause`); the next
   * command that writes the store closes it as failed. Read-only commands only show it so.
   */
  status: 'running' | 'succeeded' | 'failed' | 'abandoned';
  summary: unknown;
  error: string | null;
  /** Why a scheduled run started when it did (a late run making up missed ticks); null otherwise. */
  note: string | null;
}

/** How often a running run shows it is alive (and its counts so far): see recorded() in src/pipeline/run.ts. */
export const HEARTBEAT_MS = 5_000;
/** A run of another host that showed no sign of life for this long is abandoned (its pid cannot be checked from here). */
export const SILENT_RUN_MS = 10 * 60_000;

/**
 * What is known about an abandoned run's work: its counts were written with every pull flush and
 * push batch it stored (and every heartbeat). What it did not finish is left to later runs; no
 * claim is made that one already ran.
 */
const COUNTED = 'what it stored and pushed before is counted';

/**
 * Why a run still marked 'running' can no longer be running, or undefined while it may be. On this
 * host: its process is gone. On another host (or an old row without owner): no heartbeat for
 * SILENT_RUN_MS; a run that turns out alive after all corrects its row when it finishes.
 */
export function abandonedBecause(run: { owner: string | null; startedAt: string; heartbeatAt: string | null }, now: number = Date.now()): string | undefined {
  const [host, pid] = run.owner?.split(':') ?? [];
  if (host === hostname() && pid !== undefined) {
    return processAlive(Number(pid)) ? undefined : `its process (pid ${pid}) is gone (killed or crashed) before the run finished; ${COUNTED}`;
  }
  const lastSign = Date.parse(run.heartbeatAt ?? run.startedAt);
  if (!(now - lastSign > SILENT_RUN_MS)) return undefined;
  const minutes = Math.round((now - lastSign) / 60_000);
  return `no sign of life from ${host ? `its process on ${host}` : 'its process'} for ${minutes} minutes: it is gone (killed or crashed) before the run finished; ${COUNTED}`;
}

/** Run history: every command that touches data leaves a row, whether it succeeds or not. */
export class RunHistory {
  constructor(private readonly db: Db) {}

  start(command: string, trigger: 'manual' | 'schedule' = 'manual', job?: string, note?: string): number {
    this.closeDead();
    return Number(
      this.db
        .prepare("INSERT INTO runs (command, trigger, job, owner, started_at, status, note) VALUES (?, ?, ?, ?, ?, 'running', ?)")
        .run(command, trigger, job ?? null, THIS_PROCESS, nowIso(), note ?? null).lastInsertRowid,
    );
  }

  /**
   * Runs left 'running' by a process that no longer exists (killed, crashed; see abandonedBecause)
   * are marked failed: the history must not claim work is still going on. They keep the counts of
   * their last checkpoint (every pull flush and push batch) or heartbeat. What they did not finish
   * is done by later runs (cursors and destination state only move on what was stored).
   */
  closeDead(now: number = Date.now()): number {
    const running = this.db.prepare("SELECT id, owner, started_at AS startedAt, heartbeat_at AS heartbeatAt FROM runs WHERE status = 'running'")
      .all() as Array<{ id: number; owner: string | null; startedAt: string; heartbeatAt: string | null }>;
    let closed = 0;
    for (const r of running) {
      if (r.owner === THIS_PROCESS) continue;
      const reason = abandonedBecause(r, now);
      if (reason === undefined) continue;
      closed += this.db.prepare("UPDATE runs SET status = 'failed', finished_at = COALESCE(heartbeat_at, started_at), error = ? WHERE id = ? AND status = 'running'")
        .run(reason, r.id).changes;
    }
    return closed;
  }

  /** A sign of life from a running run, with its counts so far (kept if its process dies). */
  heartbeat(id: number, counts: RunCounts | null): void {
    this.db.prepare("UPDATE runs SET heartbeat_at = ?, counts = COALESCE(?, counts) WHERE id = ? AND status = 'running'")
      .run(nowIso(), counts ? JSON.stringify(counts) : null, id);
  }

  finish(id: number, status: 'succeeded' | 'failed', summary: unknown, counts: RunCounts | null, error?: string): void {
    this.db
      .prepare('UPDATE runs SET finished_at = ?, status = ?, summary = ?, counts = ?, error = ? WHERE id = ?')
      .run(nowIso(), status, JSON.stringify(summary ?? null), counts ? JSON.stringify(counts) : null, error ?? null, id);
  }

  /**
   * A run left 'running' by a process that died (SIGKILL, power loss) is marked failed, so the
   * history never claims work is still going on. Only runs older than `olderThanIso` are touched.
   */
  closeAbandoned(olderThanIso: string, reason: string): number {
    return this.db
      .prepare("UPDATE runs SET status = 'failed', finished_at = ?, error = ? WHERE status = 'running' AND started_at < ?")
      .run(nowIso(), reason, olderThanIso).changes;
  }

  /** When the job's newest run with this outcome finished (null if none), however long ago. */
  lastFinished(job: string, status: 'succeeded' | 'failed'): string | null {
    const row = this.db.prepare('SELECT MAX(COALESCE(finished_at, started_at)) AS at FROM runs WHERE job = ? AND status = ?').get(job, status) as { at: string | null };
    return row.at;
  }

  /**
   * Marks the job's other runs still 'running' as failed. Called by the holder of the job's lease:
   * holding it proves no one else is running the job, so those rows belong to dead processes
   * (a killed pod has another hostname and maybe pid 1 again, which closeDead cannot judge).
   */
  closeOrphansOf(job: string, exceptRunId: number, reason: string): number {
    return this.db
      .prepare("UPDATE runs SET status = 'failed', finished_at = ?, error = ? WHERE job = ? AND status = 'running' AND id <> ?")
      .run(nowIso(), reason, job, exceptRunId).changes;
  }

  /** How many of the job's latest finished runs failed in a row (0 if the last one succeeded). */
  failuresInARow(job: string): number {
    const rows = this.db.prepare("SELECT status FROM runs WHERE job = ? AND status <> 'running' ORDER BY id DESC LIMIT 1000").all(job) as Array<{ status: string }>;
    let n = 0;
    for (const r of rows) {
      if (r.status !== 'failed') break;
      n++;
    }
    return n;
  }

  /** The newest runs; one still marked running whose process is gone shows as 'abandoned' (nothing is written). */
  recent(limit = 10, filter: { job?: string; command?: string } = {}): RunRow[] {
    const rows = this.db
      .prepare(`SELECT id, command, trigger, job, owner, started_at, finished_at, heartbeat_at, status, summary, counts, error, note FROM runs
                WHERE (? IS NULL OR job = ?) AND (? IS NULL OR command = ?)
                ORDER BY id DESC LIMIT ?`)
      .all(filter.job ?? null, filter.job ?? null, filter.command ?? null, filter.command ?? null, limit) as Array<{ id: number; command: string; trigger: string;
        job: string | null; owner: string | null; started_at: string; finished_at: string | null; heartbeat_at: string | null; status: 'running' | 'succeeded' | 'failed';
        summary: string | null; counts: string | null; error: string | null; note: string | null }>;
    const now = Date.now();
    return rows.map((r) => {
      const abandoned = r.status === 'running' && r.owner !== THIS_PROCESS
        ? abandonedBecause({ owner: r.owner, startedAt: r.started_at, heartbeatAt: r.heartbeat_at }, now)
        : undefined;
      return {
        id: r.id,
        command: r.command,
        trigger: r.trigger,
        job: r.job,
        counts: r.counts ? (JSON.parse(r.counts) as RunCounts) : null,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        status: abandoned ? 'abandoned' : r.status,
        summary: r.summary ? (JSON.parse(r.summary) as unknown) : null,
        error: abandoned ?? r.error,
        note: r.note,
      };
    });
  }
}
