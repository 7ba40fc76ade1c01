import { createHash } from 'node:crypto';
import type { Db } from '../store/db.js';
import { nowIso } from '../store/db.js';
import { DestinationState } from '../store/destination-state.js';
import { GoneRecords } from '../store/gone-records.js';
import { listSegments } from '../store/segmentation-runs.js';
import type { BatchResult, Destination, PlanBatch } from '../domain/connector.js';
import { ApiError } from '../http/errors.js';
import type { DestinationPlan, GuardViolation } from '../domain/plan.js';
import type { TokenSpec } from '../domain/segments.js';
import { silentProgress, type Progress } from './progress.js';
import { plural } from '../domain/text.js';
import { runCheckpoint } from './run-progress.js';

export class MassRemovalError extends Error {
  constructor(readonly destination: string, readonly violations: GuardViolation[], threshold: number) {
    const lines = violations.map(
      (v) => `  - "${v.listName}": would remove ${v.removals} of ${plural(v.appliedSize, 'member')} (${Math.round(v.share * 100)}%)`,
    );
    super(
      `${destination}: push stopped before sending anything: it would remove more than ${Math.round(threshold * 100)}% of a list:\n` +
        `${lines.join('\n')}\nIf this is intended, run again with --allow-mass-removal; otherwise check the last pull and segmentation.`,
    );
    this.name = 'MassRemovalError';
  }
}

export interface ApplySummary {
  destination: string;
  listsCreated: number;
  listAdds: number;
  listRemoves: number;
  tokenUpdates: number;
  failed: Array<{ externalId: string; reason: string }>;
  /** Contacts the platform said it no longer has (BatchResult.gone): marked deleted in the store. */
  gone: number;
  forgotten: number;
  /** What the platform said about batches that were applied (each once). */
  warnings?: string[];
}

function noteWarnings(summary: ApplySummary, result: BatchResult): void {
  for (const w of result.warnings ?? []) if (!(summary.warnings ??= []).includes(w)) summary.warnings.push(w);
}

/** Contacts the platform no longer has are gone (as a full pull would find): no push asks for them again. */
function noteGone(db: Db, summary: ApplySummary, result: BatchResult): void {
  if (!result.gone || result.gone.length === 0) return;
  const gone = result.gone;
  summary.gone += db.transaction(() => new GoneRecords(db).mark(summary.destination, 'contacts', gone, nowIso()))();
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function schemaFingerprint(destination: Destination, tokens: TokenSpec[]): string {
  const shape = tokens.map((t) => [destination.tokenField(t.key), t.type, t.label, t.options ?? []]);
  return createHash('sha1').update(JSON.stringify(shape)).digest('base64url');
}

export interface ApplyOptions {
  db: Db;
  plan: DestinationPlan;
  destination: Destination;
  tokens: TokenSpec[];
  allowMassRemoval: boolean;
  massRemovalThreshold: number;
  progress?: Progress;
  /** Checked before every batch: a stopped run ends after the batch in flight, its state recorded. */
  signal?: AbortSignal;
  /** Receives the summary as the apply starts, kept up to date batch by batch: what a failed push did apply. */
  track?: (summary: ApplySummary) => void;
}

/**
 * Applies a plan in the platform's largest batches, or, when the destination says the plan suits
 * its bulk import, as that. The applied state is recorded after each batch the platform confirmed,
 * so a crash or rerun continues where it stopped and never sends a confirmed change twice.
 */
export async function applyPlan(options: ApplyOptions): Promise<ApplySummary> {
  const { db, plan, destination } = options;
  const platform = plan.destination;
  const progress = options.progress ?? silentProgress;
  if (plan.guardViolations.length > 0 && !options.allowMassRemoval) {
    throw new MassRemovalError(platform, plan.guardViolations, options.massRemovalThreshold);
  }
  const state = new DestinationState(db);
  const summary: ApplySummary = { destination: platform, listsCreated: 0, listAdds: 0, listRemoves: 0, tokenUpdates: 0, failed: [], gone: 0, forgotten: 0 };
  options.track?.(summary);
  const forgotten = state.forgetContacts(platform, plan.forgetIds);
  summary.forgotten = forgotten.listMembers + forgotten.tokenRows;

  if (plan.tokens.length > 0) {
    const mapped = options.tokens.filter((t) => destination.tokenField(t.key) !== undefined);
    const fingerprint = schemaFingerprint(destination, mapped);
    if (state.schemaFingerprint(platform) !== fingerprint) {
      await destination.ensureSchema(mapped);
      state.saveSchemaFingerprint(platform, fingerprint, nowIso());
    }
  }

  const total = plan.lists.reduce((n, l) => n + l.add.length + l.remove.length, 0) + plan.tokens.length;
  progress.start(`push ${platform}`, total);
  const segments = new Map(listSegments(db).map((s) => [s.key, s]));
  const applyToList = async (segmentKey: string, batch: Parameters<Destination['apply']>[0]) => {
    options.signal?.throwIfAborted();
    try {
      return await destination.apply(batch);
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'not_found') {
        state.forgetList(platform, segmentKey);
        throw new ApiError({
          platform: error.platform,
          call: error.call,
          kind: 'not_found',
          detail: `the list for segment ${segmentKey} no longer exists on ${platform} (deleted by someone?)`,
          hint: 'run the push again: segsync forgot that list and will create it anew',
          cause: error,
        });
      }
      throw error;
    }
  };
  const listIdOf = async (change: DestinationPlan['lists'][number]): Promise<string | undefined> => {
    let listId = state.listId(platform, change.segmentKey);
    if (!listId) {
      options.signal?.throwIfAborted();
      const segment = segments.get(change.segmentKey);
      if (!segment) return undefined;
      listId = await destination.ensureList(segment, change.listName);
      state.saveList(platform, change.segmentKey, listId, change.listName, nowIso());
      summary.listsCreated++;
    }
    return listId;
  };
  // What the platform confirmed is recorded at once, batch by batch (or bulk operation by bulk
  // operation), with the run's counts in the same transaction (a run killed next still says so).
  const recordAdds = (segmentKey: string, sent: number, result: BatchResult) => {
    db.transaction(() => {
      state.recordListAdds(platform, segmentKey, result.applied, nowIso());
      summary.listAdds += result.applied.length;
      noteWarnings(summary, result);
      noteGone(db, summary, result);
      summary.failed.push(...result.failed);
      runCheckpoint();
    })();
    progress.advance(sent);
  };
  const recordRemoves = (segmentKey: string, sent: number, result: BatchResult) => {
    db.transaction(() => {
      state.recordListRemoves(platform, segmentKey, [...result.applied, ...result.failed.map((f) => f.externalId), ...(result.gone ?? [])]);
      summary.listRemoves += result.applied.length;
      noteWarnings(summary, result);
      noteGone(db, summary, result);
      runCheckpoint();
    })();
    progress.advance(sent);
  };
  const recordTokens = (batch: DestinationPlan['tokens'], result: BatchResult) => {
    const applied = new Set(result.applied);
    db.transaction(() => {
      state.recordTokens(platform, batch.filter((u) => applied.has(u.externalId)), nowIso());
      summary.tokenUpdates += applied.size;
      noteWarnings(summary, result);
      noteGone(db, summary, result);
      summary.failed.push(...result.failed);
      runCheckpoint();
    })();
    progress.advance(batch.length);
  };

  if (destination.bulk?.suits(plan)) {
    // One call for the whole plan: the destination yields each batch's result as the platform confirms it.
    const steps: Array<{ batch: PlanBatch; record: (result: BatchResult) => void }> = [];
    for (const change of plan.lists) {
      const listId = await listIdOf(change);
      if (!listId) continue;
      if (change.add.length > 0) {
        steps.push({ batch: { kind: 'list_add', listId, externalIds: change.add }, record: (r) => recordAdds(change.segmentKey, change.add.length, r) });
      }
      if (change.remove.length > 0) {
        steps.push({ batch: { kind: 'list_remove', listId, externalIds: change.remove }, record: (r) => recordRemoves(change.segmentKey, change.remove.length, r) });
      }
    }
    if (plan.tokens.length > 0) steps.push({ batch: { kind: 'tokens', updates: plan.tokens }, record: (r) => recordTokens(plan.tokens, r) });
    options.signal?.throwIfAborted();
    for await (const { index, result } of destination.bulk.apply(steps.map((s) => s.batch), options.signal)) steps[index]?.record(result);
    progress.stop();
    return summary;
  }

  for (const change of plan.lists) {
    const listId = await listIdOf(change);
    if (!listId) continue;
    for (const ids of chunks(change.add, destination.capabilities.maxBatch.listMembers)) {
      recordAdds(change.segmentKey, ids.length, await applyToList(change.segmentKey, { kind: 'list_add', listId, externalIds: ids }));
    }
    for (const ids of chunks(change.remove, destination.capabilities.maxBatch.listMembers)) {
      recordRemoves(change.segmentKey, ids.length, await applyToList(change.segmentKey, { kind: 'list_remove', listId, externalIds: ids }));
    }
  }
  for (const batch of chunks(plan.tokens, destination.capabilities.maxBatch.tokens)) {
    options.signal?.throwIfAborted();
    recordTokens(batch, await destination.apply({ kind: 'tokens', updates: batch }));
  }
  progress.stop();
  return summary;
}
