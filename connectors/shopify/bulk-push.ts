/**
 * A large push as bulk mutation operations (the destination's `bulk` capability).
 *
 * When: a regular push sends one mutation field (10 points) per customer tag change and per call
 * of up to 25 metafields, and waits for the bucket once it is empty. A plan whose regular
 * mutations would cost more than the bucket holds plus BULK_PUSH_WAIT_S seconds of restore (on a
 * Standard plan 2,000 + 30 × 100 = 5,000 points, i.e. 500 mutation fields; on Plus 50,000) goes
 * through bulk operations instead, whose lines cost nothing and which need a handful of requests;
 * a smaller one stays with regular mutations, which are done before a bulk operation would have
 * started. SHOPIFY_BULK_PUSH=never|always overrides.
 *
 * How: up to four operations, one after another: tagsAdd (one line per customer, all the tags it
 * gains), tagsRemove (likewise), metafieldsSet (one line per customer and 25 metafields),
 * metafieldsDelete. After each operation ends, the results of the plan's batches it settles are
 * yielded to the pipeline, which records them before the next operation starts. A line that
 * failed as a whole is sent again by regular mutations, one tag or the innocent metafields of an
 * atomic call at a time, so each customer gets the same outcome as on the regular path.
 *
 * A crash: nothing of an operation is recorded until it ended and its results were read. The
 * rerun plans the same changes again from the recorded state; before starting its own operation
 * it waits for any bulk mutation of the app still running (the killed push's), then sends them
 * again, which changes nothing that the killed push's operation already did (adding a tag a
 * customer has, setting a metafield to the value it has).
 */
import type { BatchResult, BulkApply, PlanBatch } from '../../src/domain/connector.js';
import type { DestinationPlan } from '../../src/domain/plan.js';
import { ApiError } from '../../src/http/errors.js';
import { awaitRunningBulkMutations, runBulkMutation, unfinishedOperation, type BulkMutationResult } from './bulk-mutation.js';
import { accountErrorOf, type ShopifyClient } from './client.js';
import { DEFAULT_BULK_POLL_MS } from './config.js';
import {
  METAFIELDS_DELETE_BULK,
  METAFIELDS_PER_CALL,
  METAFIELDS_SET_BULK,
  MUTATION_COST,
  TAGS_ADD_BULK,
  TAGS_REMOVE_BULK,
  type BulkMutation,
  type TagsMutation,
} from './documents.js';
import {
  metafieldsDeleteInput,
  metafieldsSetInput,
  metafieldFailure,
  settleMetafieldCall,
  tagsOutcome,
  type MetafieldCall,
  type MetafieldOp,
} from './outcomes.js';
import { MetafieldsDeletePayloadSchema, MetafieldsSetPayloadSchema, type BulkMutationLine, type ThrottleStatus } from './schemas.js';

/**
 * How long a regular push may wait for the bucket before bulk operations are the faster way: a
 * bulk operation takes seconds to be queued, run and read even for a few lines.
 */
export const BULK_PUSH_WAIT_S = 30;
/** The bucket assumed before Shopify has reported one: a Standard plan's (2,000 points, 100/s), as most shops have. */
export const STANDARD_PLAN_BUCKET = { maximumAvailable: 2000, restoreRate: 100 } as const;

export type BulkPushMode = 'auto' | 'never' | 'always';

/** The mutation fields a regular push of this plan sends, at `tokensBatch` customers per tokens batch. */
export function regularMutationFields(plan: Pick<DestinationPlan, 'lists' | 'tokens'>, tokensBatch: number): number {
  let fields = 0;
  for (const list of plan.lists) fields += list.add.length + list.remove.length;
  for (let i = 0; i < plan.tokens.length; i += tokensBatch) {
    let sets = 0;
    let deletes = 0;
    for (const update of plan.tokens.slice(i, i + tokensBatch)) {
      for (const value of Object.values(update.values)) {
        if (value === '') deletes++;
        else sets++;
      }
    }
    fields += Math.ceil(sets / METAFIELDS_PER_CALL) + Math.ceil(deletes / METAFIELDS_PER_CALL);
  }
  return fields;
}

/** Points a regular push may ask for before bulk operations are faster: the bucket plus BULK_PUSH_WAIT_S of restore. */
export function bulkThresholdPoints(bucket: Pick<ThrottleStatus, 'maximumAvailable' | 'restoreRate'> = STANDARD_PLAN_BUCKET): number {
  return bucket.maximumAvailable + BULK_PUSH_WAIT_S * bucket.restoreRate;
}

export function suitsBulk(plan: Pick<DestinationPlan, 'lists' | 'tokens'>, tokensBatch: number, mode: BulkPushMode, bucket?: ThrottleStatus): boolean {
  if (mode === 'never') return false;
  const fields = regularMutationFields(plan, tokensBatch);
  if (fields === 0) return false;
  return mode === 'always' || fields * MUTATION_COST > bulkThresholdPoints(bucket);
}

/** The regular path's writes, for what a bulk line could not settle on its own. */
export interface RegularWrites {
  tags(mutation: TagsMutation, tag: string, ids: string[]): Promise<BatchResult>;
  /** Sends these metafield changes by regular calls, once (no retry of innocents). */
  metafields(ops: MetafieldOp[]): Promise<{ failures: Map<string, string[]>; confirmed: Set<MetafieldOp>; warnings: Set<string> }>;
  /** segsync's metafield definitions: key → type. */
  definitionTypes(): Promise<Map<string, string>>;
}

const tagKey = (customer: string, tag: string) => `${customer}\u0000${tag}`;

/** What is known so far: confirmed changes, failures with their reasons; anything else is unknown (not recorded). */
class Ledger {
  readonly tagsConfirmed = { tagsAdd: new Set<string>(), tagsRemove: new Set<string>() };
  readonly tagsFailed = { tagsAdd: new Map<string, string>(), tagsRemove: new Map<string, string>() };
  /** Customers Shopify says do not exist (outcomes.ts isMissingCustomer): BatchResult.gone. */
  readonly tagsGone = { tagsAdd: new Set<string>(), tagsRemove: new Set<string>() };
  readonly opsGone = new Set<MetafieldOp>();
  readonly opsConfirmed = new Set<MetafieldOp>();
  readonly opsFailed = new Map<MetafieldOp, string>();
  readonly warnings = new Set<string>();

  listResult(mutation: TagsMutation, batch: Extract<PlanBatch, { kind: 'list_add' | 'list_remove' }>): BatchResult {
    const result: BatchResult = { applied: [], failed: [] };
    for (const id of batch.externalIds) {
      const key = tagKey(id, batch.listId);
      const reason = this.tagsFailed[mutation].get(key);
      if (this.tagsGone[mutation].has(key)) (result.gone ??= []).push(id);
      else if (reason !== undefined) result.failed.push({ externalId: id, reason });
      else if (this.tagsConfirmed[mutation].has(key)) result.applied.push(id);
    }
    return this.withWarnings(result);
  }

  tokensResult(batch: Extract<PlanBatch, { kind: 'tokens' }>, opsOf: (customer: string) => MetafieldOp[]): BatchResult {
    const result: BatchResult = { applied: [], failed: [] };
    for (const update of batch.updates) {
      const ops = opsOf(update.externalId);
      if (ops.some((op) => this.opsGone.has(op))) {
        (result.gone ??= []).push(update.externalId);
        continue;
      }
      const reasons = ops.flatMap((op) => {
        const r = this.opsFailed.get(op);
        return r === undefined ? [] : [r];
      });
      if (reasons.length > 0) result.failed.push({ externalId: update.externalId, reason: reasons.join('; ') });
      else if (ops.every((op) => this.opsConfirmed.has(op))) result.applied.push(update.externalId);
    }
    return this.withWarnings(result);
  }

  private withWarnings(result: BatchResult): BatchResult {
    if (this.warnings.size > 0) result.warnings = [...this.warnings];
    return result;
  }
}

/** A completed operation whose file does not answer every line (unreadable lines, or no file): those changes stay unrecorded. */
function unansweredWarning(result: BulkMutationResult): string {
  return `Shopify: ${result.unanswered} lines of bulk operation ${result.operation.id} have no readable answer in its result file; their changes are not recorded and the next push sends them again.`;
}

export function createShopifyBulkPush(
  client: ShopifyClient,
  regular: RegularWrites,
  options: { mode: BulkPushMode; tokensBatch: number },
): BulkApply {
  const pollMs = client.config.bulkPollMs ?? DEFAULT_BULK_POLL_MS;
  const accountCheck = (mutation: BulkMutation, line: BulkMutationLine) => {
    const error = line.errors?.length ? accountErrorOf(`bulk mutation ${mutation.name}`, line.errors) : undefined;
    if (error) throw error;
  };

  /** Runs one bulk mutation over `variables`, calling `settle` for each answered line; fails after an unfinished operation. */
  async function run(mutation: BulkMutation, variables: unknown[], settle: (index: number, line: BulkMutationLine) => void, ledger: Ledger, signal?: AbortSignal): Promise<ApiError | undefined> {
    let answered = 0;
    for await (const result of runBulkMutation(client, mutation, variables, pollMs, signal)) {
      for (const [index, line] of result.lines) {
        accountCheck(mutation, line);
        if (index < variables.length) settle(index, line);
      }
      answered += result.lines.size;
      if (result.operation.status !== 'COMPLETED') return unfinishedOperation(mutation, result.operation, variables.length - answered);
      if (result.unanswered > 0) ledger.warnings.add(unansweredWarning(result));
    }
    return undefined;
  }

  /** tagsAdd or tagsRemove: one line per customer with all its tags; a failed line of several tags is sent again tag by tag. */
  async function tags(mutation: TagsMutation, batches: Array<Extract<PlanBatch, { kind: 'list_add' | 'list_remove' }>>, ledger: Ledger, signal?: AbortSignal): Promise<ApiError | undefined> {
    const byCustomer = new Map<string, string[]>();
    for (const b of batches) for (const id of b.externalIds) byCustomer.set(id, [...(byCustomer.get(id) ?? []), b.listId]);
    const customers = [...byCustomer.keys()];
    const bulk = mutation === 'tagsAdd' ? TAGS_ADD_BULK : TAGS_REMOVE_BULK;
    const again = new Map<string, string[]>();
    const unfinished = await run(
      bulk,
      customers.map((id) => ({ id, tags: byCustomer.get(id)! })),
      (index, line) => {
        const id = customers[index]!;
        const wanted = byCustomer.get(id)!;
        const outcome = tagsOutcome(id, mutation, bulk.field, line.errors ?? [], line.data?.[bulk.field]);
        if (outcome.ok) for (const tag of wanted) ledger.tagsConfirmed[mutation].add(tagKey(id, tag));
        else if (outcome.gone) for (const tag of wanted) ledger.tagsGone[mutation].add(tagKey(id, tag));
        else if (wanted.length === 1) ledger.tagsFailed[mutation].set(tagKey(id, wanted[0]!), outcome.reason);
        else for (const tag of wanted) again.set(tag, [...(again.get(tag) ?? []), id]);
      },
      ledger,
      signal,
    );
    for (const [tag, ids] of again) {
      signal?.throwIfAborted();
      const result = await regular.tags(mutation, tag, ids);
      for (const id of result.applied) ledger.tagsConfirmed[mutation].add(tagKey(id, tag));
      for (const f of result.failed) ledger.tagsFailed[mutation].set(tagKey(f.externalId, tag), f.reason);
      for (const id of result.gone ?? []) ledger.tagsGone[mutation].add(tagKey(id, tag));
      for (const w of result.warnings ?? []) ledger.warnings.add(w);
    }
    return unfinished;
  }

  /** metafieldsSet or metafieldsDelete: one line per customer and 25 metafields; innocents of an atomic failure are sent again. */
  async function metafields(kind: MetafieldCall['kind'], ops: MetafieldOp[], ledger: Ledger, signal?: AbortSignal): Promise<ApiError | undefined> {
    const calls: MetafieldCall[] = [];
    const byCustomer = new Map<string, MetafieldOp[]>();
    for (const op of ops) byCustomer.set(op.customer, [...(byCustomer.get(op.customer) ?? []), op]);
    for (const list of byCustomer.values()) for (let i = 0; i < list.length; i += METAFIELDS_PER_CALL) calls.push({ kind, ops: list.slice(i, i + METAFIELDS_PER_CALL) });
    const bulk = kind === 'set' ? METAFIELDS_SET_BULK : METAFIELDS_DELETE_BULK;
    const types = kind === 'set' ? await regular.definitionTypes() : new Map<string, string>();
    const innocents: MetafieldOp[] = [];
    const unfinished = await run(
      bulk,
      calls.map((c) => ({ metafields: kind === 'set' ? metafieldsSetInput(c.ops, types) : metafieldsDeleteInput(c.ops) })),
      (index, line) => {
        const call = calls[index]!;
        const payload = (kind === 'set' ? MetafieldsSetPayloadSchema : MetafieldsDeletePayloadSchema).safeParse(line.data?.[bulk.field]);
        const outcome = settleMetafieldCall(call, bulk.field, line.errors ?? [], payload.success ? payload.data.userErrors : undefined);
        for (const op of outcome.confirmed) ledger.opsConfirmed.add(op);
        for (const f of outcome.failed) {
          if (f.gone) ledger.opsGone.add(f.op);
          else ledger.opsFailed.set(f.op, metafieldFailure(f.op, f.message));
        }
        innocents.push(...outcome.innocent);
      },
      ledger,
      signal,
    );
    if (innocents.length > 0) {
      signal?.throwIfAborted();
      const retried = await regular.metafields(innocents);
      for (const w of retried.warnings) ledger.warnings.add(w);
      for (const op of innocents) {
        if (retried.confirmed.has(op)) ledger.opsConfirmed.add(op);
        else ledger.opsFailed.set(op, (retried.failures.get(op.customer) ?? [metafieldFailure(op, 'not saved: Shopify rejected another metafield of the same call')]).join('; '));
      }
    }
    return unfinished;
  }

  async function* apply(batches: readonly PlanBatch[], signal?: AbortSignal): AsyncGenerator<{ index: number; result: BatchResult }> {
    const ledger = new Ledger();
    const indexed = batches.map((batch, index) => ({ batch, index }));
    const adds = indexed.filter((b): b is { batch: Extract<PlanBatch, { kind: 'list_add' }>; index: number } => b.batch.kind === 'list_add');
    const removes = indexed.filter((b): b is { batch: Extract<PlanBatch, { kind: 'list_remove' }>; index: number } => b.batch.kind === 'list_remove');
    const tokens = indexed.filter((b): b is { batch: Extract<PlanBatch, { kind: 'tokens' }>; index: number } => b.batch.kind === 'tokens');
    const opsByCustomer = new Map<string, MetafieldOp[]>();
    for (const { batch } of tokens) {
      for (const u of batch.updates) {
        const ops = Object.entries(u.values).map(([key, value]) => ({ customer: u.externalId, key, value: value === '' ? undefined : value }));
        opsByCustomer.set(u.externalId, [...(opsByCustomer.get(u.externalId) ?? []), ...ops]);
      }
    }
    const allOps = [...opsByCustomer.values()].flat();

    // A killed push's operation may still be changing these customers: let it finish first.
    await awaitRunningBulkMutations(client, pollMs, signal);

    const steps: Array<{ size: number; run: () => Promise<ApiError | undefined>; settled: () => Array<{ index: number; result: BatchResult }> }> = [
      {
        size: adds.length,
        run: () => tags('tagsAdd', adds.map((a) => a.batch), ledger, signal),
        settled: () => adds.map(({ batch, index }) => ({ index, result: ledger.listResult('tagsAdd', batch) })),
      },
      {
        size: removes.length,
        run: () => tags('tagsRemove', removes.map((r) => r.batch), ledger, signal),
        settled: () => removes.map(({ batch, index }) => ({ index, result: ledger.listResult('tagsRemove', batch) })),
      },
      {
        size: tokens.length,
        run: async () => {
          const sets = allOps.filter((op) => op.value !== undefined);
          const deletes = allOps.filter((op) => op.value === undefined);
          const unfinished = sets.length > 0 ? await metafields('set', sets, ledger, signal) : undefined;
          if (unfinished) return unfinished;
          return deletes.length > 0 ? metafields('delete', deletes, ledger, signal) : undefined;
        },
        settled: () => tokens.map(({ batch, index }) => ({ index, result: ledger.tokensResult(batch, (c) => opsByCustomer.get(c) ?? []) })),
      },
    ];
    for (const step of steps) {
      if (step.size === 0) continue;
      let unfinished: ApiError | undefined;
      try {
        unfinished = await step.run();
      } catch (error) {
        // What earlier operations (or parts of this one) confirmed is recorded all the same.
        yield* step.settled();
        throw error;
      }
      // Recorded by the pipeline before the next operation starts.
      yield* step.settled();
      if (unfinished) throw unfinished;
    }
  }

  return {
    suits: (plan) => suitsBulk(plan, options.tokensBatch, options.mode, client.pacer.bucket),
    apply,
  };
}
