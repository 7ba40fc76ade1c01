import type { Db } from './db.js';

/**
 * What `segsync forget` still has to do on a platform: take a forgotten contact off one of
 * segsync's lists, clear segsync's token fields, or ask the platform to erase the contact. A row
 * is written in the same transaction that erases the person from the store, and deleted once the
 * platform confirmed; a platform that was unreachable gets it from the next push. Only the
 * platform, its contact id and the list or field names are kept: no email, no name.
 */
export type RemovalAction = 'list_remove' | 'clear_tokens' | 'erase';

export interface PendingRemoval {
  id: number;
  platform: string;
  externalId: string;
  action: RemovalAction;
  /** list_remove: the segment key; clear_tokens: the token fields; erase: none. */
  segmentKey?: string;
  fields?: string[];
  attempts: number;
}

export interface NewRemoval {
  platform: string;
  externalId: string;
  action: RemovalAction;
  segmentKey?: string;
  fields?: string[];
}

const targetOf = (r: NewRemoval): string =>
  r.action === 'list_remove' ? (r.segmentKey ?? '') : r.action === 'clear_tokens' ? JSON.stringify([...(r.fields ?? [])].sort()) : '';

export class PendingRemovals {
  constructor(private readonly db: Db) {}

  /** Call inside the erasing transaction; returns the rows' ids (an identical row is reused). */
  add(removals: readonly NewRemoval[], at: string): number[] {
    const insert = this.db.prepare(`INSERT INTO pending_platform_removals (platform, external_id, action, target, created_at)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, external_id, action, target) DO NOTHING`);
    const find = this.db.prepare<[string, string, string, string], { id: number }>(
      'SELECT id FROM pending_platform_removals WHERE platform = ? AND external_id = ? AND action = ? AND target = ?',
    );
    return removals.map((r) => {
      const target = targetOf(r);
      insert.run(r.platform, r.externalId, r.action, target, at);
      return find.get(r.platform, r.externalId, r.action, target)!.id;
    });
  }

  list(platform?: string): PendingRemoval[] {
    const rows = (platform
      ? this.db.prepare('SELECT * FROM pending_platform_removals WHERE platform = ? ORDER BY id').all(platform)
      : this.db.prepare('SELECT * FROM pending_platform_removals ORDER BY id').all()) as Array<{
      id: number; platform: string; external_id: string; action: RemovalAction; target: string; attempts: number;
    }>;
    return rows.map((r) => ({
      id: r.id,
      platform: r.platform,
      externalId: r.external_id,
      action: r.action,
      ...(r.action === 'list_remove' ? { segmentKey: r.target } : {}),
      ...(r.action === 'clear_tokens' ? { fields: JSON.parse(r.target) as string[] } : {}),
      attempts: r.attempts,
    }));
  }

  /** The platform confirmed (or said the contact is not there): nothing left to do. */
  done(ids: readonly number[]): void {
    const del = this.db.prepare('DELETE FROM pending_platform_removals WHERE id = ?');
    this.db.transaction(() => {
      for (const id of ids) del.run(id);
    })();
  }

  /** The platform could not be asked: kept for the next push, with why. */
  failed(ids: readonly number[], error: string): void {
    const update = this.db.prepare('UPDATE pending_platform_removals SET attempts = attempts + 1, last_error = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const id of ids) update.run(error, id);
    })();
  }

  count(platform?: string): number {
    const row = (platform
      ? this.db.prepare('SELECT COUNT(*) AS n FROM pending_platform_removals WHERE platform = ?').get(platform)
      : this.db.prepare('SELECT COUNT(*) AS n FROM pending_platform_removals').get()) as { n: number };
    return row.n;
  }
}
