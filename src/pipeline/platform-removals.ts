import type { Db } from '../store/db.js';
import { DestinationState } from '../store/destination-state.js';
import { PendingRemovals, type PendingRemoval, type RemovalAction } from '../store/pending-removals.js';
import type { BatchResult, Destination } from '../domain/connector.js';
import { ApiError } from '../http/errors.js';
import { maskSecrets } from '../log/redact.js';

/** What happened to one removal a forgotten person needed on a platform. */
export interface RemovalOutcome {
  platform: string;
  externalId: string;
  action: RemovalAction;
  /** The list (segment key) or the token fields concerned. */
  target: string;
  /**
   * done: the platform confirmed; absent: the platform does not have the contact (nothing left
   * to do); failed: the platform refused this record (said why; not retried); pending: the
   * platform could not be asked, the next push tries again; planned: a dry run.
   */
  status: 'done' | 'absent' | 'failed' | 'pending' | 'planned';
  reason?: string;
}

/** How many removal steps ended how: what a push reports and records (never whose). */
export type RemovalCounts = Partial<Record<RemovalOutcome['status'], number>>;

export function countByStatus(outcomes: readonly RemovalOutcome[]): RemovalCounts {
  const counts: RemovalCounts = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  return counts;
}

const ORDER: Record<RemovalAction, number> = { list_remove: 0, clear_tokens: 1, erase: 2 };

export const targetText = (r: Pick<PendingRemoval, 'action' | 'segmentKey' | 'fields'>): string =>
  r.action === 'list_remove' ? (r.segmentKey ?? '') : r.action === 'clear_tokens' ? (r.fields ?? []).join(', ') : '';

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Sends one platform's pending removals: off segsync's lists first, then segsync's token fields
 * cleared, then (when asked) the platform's own erasure. A confirmed row is deleted; a record the
 * platform answers for (not there, refused) is settled and reported; an error about the call
 * itself (unreachable, rate limits exhausted, credentials) leaves this and the remaining rows for
 * the next push. `destination` undefined: the platform is not configured here, everything waits.
 */
export async function sendPendingRemovals(
  db: Db,
  platform: string,
  destination: Destination | undefined,
  options: { signal?: AbortSignal; notConfigured?: string } = {},
): Promise<RemovalOutcome[]> {
  const pending = new PendingRemovals(db);
  const rows = pending.list(platform).sort((a, b) => ORDER[a.action] - ORDER[b.action] || a.id - b.id);
  const outcomes: RemovalOutcome[] = [];
  const settle = (row: PendingRemoval, status: RemovalOutcome['status'], reason?: string) => {
    outcomes.push({ platform, externalId: row.externalId, action: row.action, target: targetText(row), status, ...(reason ? { reason } : {}) });
  };
  if (!destination) {
    for (const row of rows) settle(row, 'pending', options.notConfigured ?? `${platform} is not configured here`);
    return outcomes;
  }
  const state = new DestinationState(db);
  let stopped: string | undefined;
  const attempt = async (batch: PendingRemoval[], send: () => Promise<void>) => {
    if (stopped === undefined) {
      try {
        options.signal?.throwIfAborted();
        await send();
        return;
      } catch (error) {
        if (error instanceof ApiError && error.kind === 'not_found' && batch.every((r) => r.action === 'list_remove')) {
          // The list itself is gone from the platform: so is the membership.
          pending.done(batch.map((r) => r.id));
          for (const r of batch) settle(r, 'absent', 'the list no longer exists on the platform');
          return;
        }
        stopped = maskSecrets(error instanceof Error ? error.message : String(error));
      }
    }
    pending.failed(batch.map((r) => r.id), stopped);
    for (const r of batch) settle(r, 'pending', `${stopped} (the next push tries again)`);
  };

  /** A batch the platform answered: done, or refused per record (reported, not retried). */
  const settleBatch = (batch: PendingRemoval[], result: BatchResult) => {
    const failed = new Map(result.failed.map((f) => [f.externalId, f.reason]));
    const gone = new Set(result.gone ?? []);
    pending.done(batch.map((r) => r.id));
    for (const r of batch) {
      const why = failed.get(r.externalId);
      if (gone.has(r.externalId)) settle(r, 'absent', `${platform} has no such contact (already deleted)`);
      else if (why === undefined) settle(r, 'done');
      else settle(r, 'failed', why);
    }
  };

  const bySegment = new Map<string, PendingRemoval[]>();
  for (const row of rows.filter((r) => r.action === 'list_remove')) {
    const key = row.segmentKey ?? '';
    bySegment.set(key, [...(bySegment.get(key) ?? []), row]);
  }
  for (const [segmentKey, segmentRows] of bySegment) {
    const listId = state.listId(platform, segmentKey);
    if (listId === undefined) {
      pending.done(segmentRows.map((r) => r.id));
      for (const r of segmentRows) settle(r, 'absent', 'segsync has no such list on this platform any more');
      continue;
    }
    for (const batch of chunks(segmentRows, destination.capabilities.maxBatch.listMembers)) {
      await attempt(batch, async () => {
        settleBatch(batch, await destination.apply({ kind: 'list_remove', listId, externalIds: batch.map((r) => r.externalId) }));
      });
    }
  }

  const tokenRows = rows.filter((r) => r.action === 'clear_tokens' && (r.fields ?? []).length > 0);
  for (const batch of chunks(tokenRows, destination.capabilities.maxBatch.tokens)) {
    await attempt(batch, async () => {
      const updates = batch.map((r) => ({ externalId: r.externalId, values: Object.fromEntries((r.fields ?? []).map((f) => [f, ''])) }));
      // One contact may have two rows (fields written by two runs): one update each is fine.
      settleBatch(batch, await destination.apply({ kind: 'tokens', updates }));
    });
  }
  const emptyTokenRows = rows.filter((r) => r.action === 'clear_tokens' && (r.fields ?? []).length === 0);
  pending.done(emptyTokenRows.map((r) => r.id));

  const eraseRows = rows.filter((r) => r.action === 'erase');
  if (eraseRows.length > 0 && !destination.eraseContacts) {
    pending.done(eraseRows.map((r) => r.id));
    for (const r of eraseRows) settle(r, 'failed', `segsync cannot ask ${platform} to erase a contact: do it in ${platform} itself`);
  } else if (eraseRows.length > 0) {
    await attempt(eraseRows, async () => {
      const result = await destination.eraseContacts!(eraseRows.map((r) => r.externalId));
      const erased = new Set(result.erased);
      const absent = new Set(result.absent);
      const failed = new Map(result.failed.map((f) => [f.externalId, f.reason]));
      pending.done(eraseRows.map((r) => r.id));
      for (const r of eraseRows) {
        if (erased.has(r.externalId)) settle(r, 'done');
        else if (absent.has(r.externalId)) settle(r, 'absent', `${platform} has no such contact (already deleted)`);
        else settle(r, 'failed', failed.get(r.externalId) ?? `${platform} said nothing about this contact`);
      }
    });
  }
  return outcomes;
}
