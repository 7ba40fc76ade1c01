import type { Mapping } from '../../src/config/mapping.js';
import type { BatchResult, Destination, PlanBatch } from '../../src/domain/connector.js';
import type { SegmentDefinition, TokenSpec } from '../../src/domain/segments.js';
import { ApiError } from '../../src/http/errors.js';
import type { ShopifyClient } from './client.js';
import { eraseShopifyCustomers } from './erase.js';
import { SHOPIFY_GRAPHQL_PATH } from './config.js';
import { isProtectedDataError, protectedDataError } from './errors.js';
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
  TagsPayloadSchema,
  type GraphqlError,
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

function describe(errors: Array<Pick<UserError, 'field' | 'message'>>, fallbackField: string): string {
  return errors.map((e) => `${e.field?.length ? e.field.join('.') : fallbackField}: ${e.message}`).join('; ');
}

/**
 * The errors of one alias, split: Shopify refusing to show protected customer data back (the
 * write itself ran; its payload and userErrors say how it went) and every other error.
 */
function splitAliasErrors(errors: readonly GraphqlError[], alias: string): { refusedRead: GraphqlError[]; other: GraphqlError[] } {
  const mine = errors.filter((e) => e.path?.[0] === alias);
  // Only a refusal below the alias (its node, its fields) is a read: one on the alias itself refused the write.
  const refusedRead = mine.filter((e) => isProtectedDataError(e) && (e.path?.length ?? 0) > 1);
  return { refusedRead, other: mine.filter((e) => !refusedRead.includes(e)) };
}

/** Said once per push: the writes are counted, but the app should get protected customer data access. */
function protectedReadWarning(call: string, error: GraphqlError): string {
  const explained = protectedDataError(`POST ${SHOPIFY_GRAPHQL_PATH} ${call}`, error);
  return `Shopify: ${explained.detail}; the writes were accepted without errors and are counted. ${explained.hint}`;
}

function addWarning(result: BatchResult, warning: string): void {
  if (!(result.warnings ??= []).includes(warning)) result.warnings.push(warning);
}

interface MetafieldOp {
  customer: string;
  key: string;
  /** undefined = delete (an empty token value clears the metafield; metafieldsSet refuses blank values). */
  value: string | undefined;
}

interface Call {
  kind: 'set' | 'delete';
  ops: MetafieldOp[];
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
    for (const chunk of chunks(ids, mutationsPerRequest(client.pacer.bucket?.maximumAvailable))) {
      const variables: Record<string, unknown> = { tags: [tag] };
      chunk.forEach((id, i) => (variables[`id${i}`] = id));
      const doc = tagsDocument(mutation, chunk.length);
      const { data, errors } = await client.execute(doc, variables, MutationDataSchema, { partial: true });
      chunk.forEach((id, i) => {
        const alias = `t${i}`;
        const { refusedRead, other } = splitAliasErrors(errors, alias);
        const payload = TagsPayloadSchema.safeParse(data[alias]);
        if (other.length > 0) result.failed.push({ externalId: id, reason: `${id}, tags: ${other.map((e) => e.message).join('; ')}` });
        else if (!payload.success) result.failed.push({ externalId: id, reason: `${id}, tags: ${refusedRead[0]?.message ?? `Shopify answered no ${mutation} result`}` });
        else if (payload.data.userErrors.length > 0) result.failed.push({ externalId: id, reason: `${id}, ${describe(payload.data.userErrors, 'tags')}` });
        else {
          result.applied.push(id);
          if (refusedRead[0]) addWarning(result, protectedReadWarning(doc.name, refusedRead[0]));
        }
      });
    }
    return result;
  }

  /**
   * Runs metafieldsSet/metafieldsDelete calls, several aliased per request. metafieldsSet is
   * atomic (nothing in a call is saved when one metafield fails), so the others of a failed call
   * are sent once more on their own.
   */
  async function runCalls(calls: Call[], failures: Map<string, string[]>, confirmed: Set<MetafieldOp>, warnings: Set<string>, retry: boolean): Promise<void> {
    const again: MetafieldOp[][] = [];
    const fail = (op: MetafieldOp, message: string) => {
      const list = failures.get(op.customer) ?? [];
      list.push(`${op.customer}, ${METAFIELD_NAMESPACE}.${op.key}: ${message}`);
      failures.set(op.customer, list);
    };
    const types = await definitionTypes();
    for (const request of chunks(calls, mutationsPerRequest(client.pacer.bucket?.maximumAvailable))) {
      const sets = request.filter((c) => c.kind === 'set');
      const deletes = request.filter((c) => c.kind === 'delete');
      const variables: Record<string, unknown> = {};
      sets.forEach((c, i) => {
        variables[`s${i}`] = c.ops.map((op) => ({
          ownerId: op.customer,
          namespace: METAFIELD_NAMESPACE,
          key: op.key,
          type: types.get(op.key) ?? 'single_line_text_field',
          value: op.value,
        }));
      });
      deletes.forEach((c, i) => {
        variables[`d${i}`] = c.ops.map((op) => ({ ownerId: op.customer, namespace: METAFIELD_NAMESPACE, key: op.key }));
      });
      const doc = tokensDocument(sets.length, deletes.length);
      const { data, errors } = await client.execute(doc, variables, MutationDataSchema, { partial: true });
      const settle = (call: Call, alias: string, aliasErrors: GraphqlError[], userErrors: UserError[] | undefined) => {
        const { refusedRead, other } = splitAliasErrors(aliasErrors, alias);
        if (other.length > 0 || userErrors === undefined) {
          const message = [...other, ...refusedRead].map((e) => e.message).join('; ') || 'Shopify answered no result';
          for (const op of call.ops) fail(op, message);
          return;
        }
        // The metafields were set; only reading them back was refused.
        if (refusedRead[0]) warnings.add(protectedReadWarning(doc.name, refusedRead[0]));
        if (userErrors.length === 0) {
          for (const op of call.ops) confirmed.add(op);
          return;
        }
        const blamed = new Set<number>();
        for (const e of userErrors) {
          const index = e.elementIndex ?? (e.field?.[0] === 'metafields' ? Number(e.field[1]) : NaN);
          const op = Number.isInteger(index) ? call.ops[index] : undefined;
          if (op) {
            blamed.add(index);
            fail(op, `${e.message}${e.code ? ` (${e.code})` : ''}`);
          } else {
            for (const o of call.ops) fail(o, `${alias}: ${e.message}`);
            return;
          }
        }
        const innocent = call.ops.filter((_, i) => !blamed.has(i));
        if (innocent.length === 0) return;
        if (retry) again.push(innocent);
        else for (const op of innocent) fail(op, 'not saved: Shopify rejected another metafield of the same call');
      };
      sets.forEach((call, i) => {
        const payload = MetafieldsSetPayloadSchema.safeParse(data[`s${i}`]);
        settle(call, `s${i}`, errors.filter((e) => e.path?.[0] === `s${i}`), payload.success ? payload.data.userErrors : undefined);
      });
      deletes.forEach((call, i) => {
        const payload = MetafieldsDeletePayloadSchema.safeParse(data[`d${i}`]);
        settle(call, `d${i}`, errors.filter((e) => e.path?.[0] === `d${i}`), payload.success ? payload.data.userErrors : undefined);
      });
    }
    if (again.length > 0) {
      const calls: Call[] = again.map((ops) => ({ kind: ops[0]!.value === undefined ? 'delete' : 'set', ops }));
      await runCalls(calls, failures, confirmed, warnings, false);
    }
  }

  async function applyTokens(updates: Array<{ externalId: string; values: Record<string, string> }>): Promise<BatchResult> {
    const ops: MetafieldOp[] = updates.flatMap((u) =>
      Object.entries(u.values).map(([key, value]) => ({ customer: u.externalId, key, value: value === '' ? undefined : value })),
    );
    const calls: Call[] = [
      ...chunks(ops.filter((op) => op.value !== undefined), METAFIELDS_PER_CALL).map((c) => ({ kind: 'set' as const, ops: c })),
      ...chunks(ops.filter((op) => op.value === undefined), METAFIELDS_PER_CALL).map((c) => ({ kind: 'delete' as const, ops: c })),
    ];
    const failures = new Map<string, string[]>();
    const confirmed = new Set<MetafieldOp>();
    const warnings = new Set<string>();
    if (calls.length > 0) await runCalls(calls, failures, confirmed, warnings, true);
    const byCustomer = new Map<string, MetafieldOp[]>();
    for (const op of ops) byCustomer.set(op.customer, [...(byCustomer.get(op.customer) ?? []), op]);
    const result: BatchResult = { applied: [], failed: [], ...(warnings.size > 0 ? { warnings: [...warnings] } : {}) };
    for (const u of updates) {
      const failed = failures.get(u.externalId);
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

  return {
    capabilities: { lists: true, tokens: true, maxBatch: { listMembers: LIST_BATCH, tokens: TOKENS_BATCH } },
    tokenField,
    ensureSchema,
    ensureList,
    listName: (segment: SegmentDefinition) => segmentTag(segment.key),
    apply,
    eraseContacts: (ids) => eraseShopifyCustomers(client, ids),
  };
}
