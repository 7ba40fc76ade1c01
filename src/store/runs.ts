import type { Db } from './db.js';
import { nowIso } from './db.js';

export interface RunRow {
  id: number;
  command: string;
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  status: 'running' | 'succeeded' | 'failed';
  summary: unknown;
  error: string | null;
}

/** Run history: every command that touches data leaves a row, whether it succeeds or not. */
export class RunHistory {
  constructor(private readonly db: Db) {}

  start(command: string, trigger: 'manual' | 'schedule' = 'manual'): number {
    return Number(
      this.db
        .prepare("INSERT INTO runs (command, trigger, started_at, status) VALUES (?, ?, ?, 'running')")
        .run(command, trigger, nowIso()).lastInsertRowid,
    );
  }

  finish(id: number, status: 'succeeded' | 'failed', summary: unknown, error?: string): void {
    this.db
      .prepare('UPDATE runs SET finished_at = ?, status = ?, summary = ?, error = ? WHERE id = ?')
      .run(nowIso(), status, JSON.stringify(summary ?? null), error ?? null, id);
  }

  recent(limit = 10): RunRow[] {
    const rows = this.db
      .prepare(`SELECT id, command, trigger, started_at, finished_at, status, summary, error FROM runs
                ORDER BY id DESC LIMIT ?`)
      .all(limit) as Array<{ id: number; command: string; trigger: string; started_at: string; finished_at: string | null;
        status: RunRow['status']; summary: string | null; error: string | null }>;
    return rows.map((r) => ({
      id: r.id,
      command: r.command,
      trigger: r.trigger,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      status: r.status,
      summary: r.summary ? (JSON.parse(r.summary) as unknown) : null,
      error: r.error,
    }));
  }
}
