import type { Mapping } from '../../src/config/mapping.js';
import type { BatchResult, Destination, PlanBatch } from '../../src/domain/connector.js';
import type { SegmentDefinition, TokenSpec } from '../../src/domain/segments.js';
import { ApiError } from '../../src/http/errors.js';
import type { ShopifyClient } from './client.js';
import { createShopifyBulkPush, type RegularWrites } from './bulk-push.js';
import { eraseShopifyCustomers } from './erase.js';
import {
  describe,
  metafieldFailure,
  metafieldsDeleteInput,
  metafieldsSetInput,
  protectedReadWarning,
  settleMetafieldCall,
  tagsOutcome,
  type MetafieldCall,
  type MetafieldOp,
} from './outcomes.js';
import {
  METAFIELD_DEFINITION_CREATE,
  METAFIELD_DEFINITIONS,
  METAFIELD_NAMESPACE,
  METAFIELDS_PER_CALL,
  mutationsPerRequest,
  tagsDocument,
  tokensDocument,
  type TagsMutation,
} from './documents.js';
import {
  MetafieldDefinitionCreateSchema,
  MetafieldDefinitionsSchema,
  MetafieldsDeletePayloadSchema,
  MetafieldsSetPayloadSchema,
  MutationDataSchema,
  type UserError,
} from './schemas.js';

/** Segment membership is a customer tag: `segsync:<segment-slug>`. */
export const TAG_PREFIX = 'segsync:';
/** Customers per `list_add`/`list_remove` batch: one request of aliased tag mutations at 10 points each. */
const LIST_BATCH = 100;
/** Customers per `tokens` batch: up to 5 tokens each, 25 metafields per metafieldsSet call. */
const TOKENS_BATCH = 100;

export function segmentTag(segmentKey: string): string {
  const slug = segmentKey.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${TAG_PREFIX}${slug || 'segment'}`;
}

/**
 * The customer metafield type a token is written to: single_line_text_field for enumerations and
 * strings, number_integer for numbers (RFM scores 1-5), number_decimal for decimals ("310.25") and
 * date for dates ("YYYY-MM-DD"). Metafield values are strings, so token values go as they are.
 */
export function metafieldType(token: Pick<TokenSpec, 'type'>): string {
  switch (token.type) {
    case 'number':
      return 'number_integer';
    case 'decimal':
      return 'number_decimal';
    case 'date':
      return 'date';
    case 'enumeration':
    case 'string':
      return 'single_line_text_field';
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function addWarning(result: BatchResult, warning: string): void {
  if (!(result.warnings ??= []).includes(warning)) result.warnings.push(warning);
}

export function createShopifyDestination(client: ShopifyClient, mapping: Mapping): Destination {
  /** The metafield key (namespace segsync) a token is written to; undefined when the mapping leaves it out. */
  const tokenField = (key: string): string | undefined => mapping.tokens[key];

  /** Metafield key → type name of segsync's customer metafield definitions, read once per session. */
  let definitions: Promise<Map<string, string>> | undefined;
  const loadDefinitions = async (): Promise<Map<string, string>> => {
    const { data } = await client.execute(METAFIELD_DEFINITIONS, { namespace: METAFIELD_NAMESPACE }, MetafieldDefinitionsSchema);
    return new Map(data.metafieldDefinitions.nodes.map((d) => [d.key, d.type.name]));
  };
  const definitionTypes = (): Promise<Map<string, string>> => {
    definitions ??= loadDefinitions().catch((error: unknown) => {
      definitions = undefined;
      throw error;
    });
    return definitions;
  };

  async function createDefinition(token: TokenSpec, key: string, type: string, pin: boolean): Promise<UserError[]> {
    const { data } = await client.execute(
      METAFIELD_DEFINITION_CREATE,
      {
        definition: {
          name: token.label,
          namespace: METAFIELD_NAMESPACE,
          key,
          description: token.description,
          type,
          ownerType: 'CUSTOMER',
          pin,
        },
      },
      MetafieldDefinitionCreateSchema,
    );
    return data.metafieldDefinitionCreate.userErrors;
  }

  /**
   * Creates a customer metafield definition per token (namespace segsync), pinned so marketers
   * see the values on the customer page. TAKEN means someone created it meanwhile: fine.
   */
  async function ensureSchema(tokens: TokenSpec[]): Promise<void> {
    definitions = undefined;
    const existing = await definitionTypes();
    for (const token of tokens) {
      const key = tokenField(token.key);
      if (key === undefined) continue;
      const wanted = metafieldType(token);
      const have = existing.get(key);
      if (have !== undefined && have !== wanted) {
        throw new ApiError({
          platform: 'shopify',
          call: `metafieldDefinitions ${METAFIELD_NAMESPACE}.${key}`,
          kind: 'bad_request',
          detail: `customer metafield definition ${METAFIELD_NAMESPACE}.${key} exists with type ${have}, segsync needs ${wanted}`,
          hint: `delete that definition in the Shopify admin (Settings → Custom data → Customers), or map token ${token.key} to another key in mappings/shopify.yaml`,
        });
      }
      if (have !== undefined) continue;
      let errors = await createDefinition(token, key, wanted, true);
      // A store has a limited number of pinned definitions per resource: unpinned still works.
      if (errors.some((e) => e.code === 'PINNED_LIMIT_REACHED')) errors = await createDefinition(token, key, wanted, false);
      const real = errors.filter((e) => e.code !== 'TAKEN');
      if (real.length > 0) {
        throw new ApiError({
          platform: 'shopify',
          call: `metafieldDefinitionCreate ${METAFIELD_NAMESPACE}.${key}`,
          kind: 'bad_request',
          detail: describe(real, 'definition'),
          hint: `check token ${token.key} in mappings/shopify.yaml (a metafield key is 2-64 letters, digits, _ or -)`,
        });
      }
      existing.set(key, wanted);
    }
  }

  async function ensureList(segment: SegmentDefinition): Promise<string> {
    return segmentTag(segment.key);
  }

  async function applyTags(mutation: TagsMutation, tag: string, ids: string[]): Promise<BatchResult> {
    const result: BatchResult = { applied: [], failed: [] };
    const gone: string[] = [];
    for (const chunk of chunks(ids, mutationsPerRequest(client.pacer.bucket?.maximumAvailable))) {
      const variables: Record<string, unknown> = { tags: [tag] };
      chunk.forEach((id, i) => (variables[`id${i}`] = id));
      const doc = tagsDocument(mutation, chunk.length);
      const { data, errors } = await client.execute(doc, variables, MutationDataSchema, { partial: true });
      chunk.forEach((id, i) => {
        const outcome = tagsOutcome(id, mutation, `t${i}`, errors.filter((e) => e.path?.[0] === `t${i}`), data[`t${i}`]);
        if (!outcome.ok && outcome.gone) gone.push(id);
        else if (!outcome.ok) result.failed.push({ externalId: id, reason: outcome.reason });
        else {
          result.applied.push(id);
          if (outcome.refusedRead) addWarning(result, protectedReadWarning(doc.name, outcome.refusedRead));
        }
      });
    }
    return gone.length > 0 ? { ...result, gone } : result;
  }

  /**
   * Runs metafieldsSet/metafieldsDelete calls, several aliased per request. metafieldsSet is
   * atomic (nothing in a call is saved when one metafield fails), so the others of a failed call
   * are sent once more on their own.
   */
  async function runCalls(
    calls: MetafieldCall[], failures: Map<string, string[]>, confirmed: Set<MetafieldOp>, warnings: Set<string>, retry: boolean,
    /** Customers Shopify says do not exist; without it they count as failures. */
    gone?: Set<string>,
  ): Promise<void> {
    const again: MetafieldOp[][] = [];
    const fail = (op: MetafieldOp, message: string) => {
      const list = failures.get(op.customer) ?? [];
      list.push(metafieldFailure(op, message));
      failures.set(op.customer, list);
    };
    const types = await definitionTypes();
    for (const request of chunks(calls, mutationsPerRequest(client.pacer.bucket?.maximumAvailable))) {
      const sets = request.filter((c) => c.kind === 'set');
      const deletes = request.filter((c) => c.kind === 'delete');
      const variables: Record<string, unknown> = {};
      sets.forEach((c, i) => (variables[`s${i}`] = metafieldsSetInput(c.ops, types)));
      deletes.forEach((c, i) => (variables[`d${i}`] = metafieldsDeleteInput(c.ops)));
      const doc = tokensDocument(sets.length, deletes.length);
      const { data, errors } = await client.execute(doc, variables, MutationDataSchema, { partial: true });
      const settle = (call: MetafieldCall, alias: string, userErrors: UserError[] | undefined) => {
        const outcome = settleMetafieldCall(call, alias, errors.filter((e) => e.path?.[0] === alias), userErrors);
        if (outcome.refusedRead) warnings.add(protectedReadWarning(doc.name, outcome.refusedRead));
        for (const op of outcome.confirmed) confirmed.add(op);
        for (const f of outcome.failed) {
          if (f.gone && gone) gone.add(f.op.customer);
          else fail(f.op, f.message);
        }
        if (outcome.innocent.length === 0) return;
        if (retry) again.push(outcome.innocent);
        else for (const op of outcome.innocent) fail(op, 'not saved: Shopify rejected another metafield of the same call');
      };
      sets.forEach((call, i) => {
        const payload = MetafieldsSetPayloadSchema.safeParse(data[`s${i}`]);
        settle(call, `s${i}`, payload.success ? payload.data.userErrors : undefined);
      });
      deletes.forEach((call, i) => {
        const payload = MetafieldsDeletePayloadSchema.safeParse(data[`d${i}`]);
        settle(call, `d${i}`, payload.success ? payload.data.userErrors : undefined);
      });
    }
    if (again.length > 0) {
      const retried: MetafieldCall[] = again.map((ops) => ({ kind: ops[0]!.value === undefined ? 'delete' : 'set', ops }));
      await runCalls(retried, failures, confirmed, warnings, false, gone);
    }
  }

  /** Sets first, then deletes, 25 metafields a call. */
  const callsOf = (ops: MetafieldOp[]): MetafieldCall[] => [
    ...chunks(ops.filter((op) => op.value !== undefined), METAFIELDS_PER_CALL).map((c) => ({ kind: 'set' as const, ops: c })),
    ...chunks(ops.filter((op) => op.value === undefined), METAFIELDS_PER_CALL).map((c) => ({ kind: 'delete' as const, ops: c })),
  ];

  async function applyTokens(updates: Array<{ externalId: string; values: Record<string, string> }>): Promise<BatchResult> {
    const ops: MetafieldOp[] = updates.flatMap((u) =>
      Object.entries(u.values).map(([key, value]) => ({ customer: u.externalId, key, value: value === '' ? undefined : value })),
    );
    const calls = callsOf(ops);
    const failures = new Map<string, string[]>();
    const confirmed = new Set<MetafieldOp>();
    const warnings = new Set<string>();
    const gone = new Set<string>();
    if (calls.length > 0) await runCalls(calls, failures, confirmed, warnings, true, gone);
    const byCustomer = new Map<string, MetafieldOp[]>();
    for (const op of ops) byCustomer.set(op.customer, [...(byCustomer.get(op.customer) ?? []), op]);
    const result: BatchResult = { applied: [], failed: [], ...(warnings.size > 0 ? { warnings: [...warnings] } : {}) };
    if (gone.size > 0) result.gone = updates.map((u) => u.externalId).filter((id) => gone.has(id));
    for (const u of updates) {
      const failed = failures.get(u.externalId);
      if (gone.has(u.externalId)) continue;
      if (failed) result.failed.push({ externalId: u.externalId, reason: failed.join('; ') });
      else if ((byCustomer.get(u.externalId) ?? []).every((op) => confirmed.has(op))) result.applied.push(u.externalId);
    }
    return result;
  }

  async function apply(batch: PlanBatch): Promise<BatchResult> {
    switch (batch.kind) {
      case 'list_add':
        return applyTags('tagsAdd', batch.listId, batch.externalIds);
      case 'list_remove':
        return applyTags('tagsRemove', batch.listId, batch.externalIds);
      case 'tokens':
        return applyTokens(batch.updates);
    }
  }

  const regular: RegularWrites = {
    tags: applyTags,
    async metafields(ops) {
      const failures = new Map<string, string[]>();
      const confirmed = new Set<MetafieldOp>();
      const warnings = new Set<string>();
      const calls = callsOf(ops);
      if (calls.length > 0) await runCalls(calls, failures, confirmed, warnings, false);
      return { failures, confirmed, warnings };
    },
    definitionTypes,
  };

  return {
    capabilities: { lists: true, tokens: true, maxBatch: { listMembers: LIST_BATCH, tokens: TOKENS_BATCH } },
    // Large plans as bulk mutation operations (bulk-push.ts: when, and what a crash leaves).
    bulk: createShopifyBulkPush(client, regular, { mode: client.config.bulkPush ?? 'auto', tokensBatch: TOKENS_BATCH }),
    tokenField,
    ensureSchema,
    ensureList,
    listName: (segment: SegmentDefinition) => segmentTag(segment.key),
    apply,
    eraseContacts: (ids) => eraseShopifyCustomers(client, ids),
  };
}
