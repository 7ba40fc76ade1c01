/**
 * What one tag mutation or one metafields call did for its records, read from its payload and its
 * errors: shared by regular requests (one aliased field per call) and bulk mutation operations
 * (one result line per call), so a customer's outcome reads the same either way.
 */
import { SHOPIFY_GRAPHQL_PATH } from './config.js';
import { METAFIELD_NAMESPACE, type TagsMutation } from './documents.js';
import { isProtectedDataError, protectedDataError } from './errors.js';
import { TagsPayloadSchema, type GraphqlError, type UserError } from './schemas.js';

export function describe(errors: Array<Pick<UserError, 'field' | 'message'>>, fallbackField: string): string {
  return errors.map((e) => `${e.field?.length ? e.field.join('.') : fallbackField}: ${e.message}`).join('; ');
}

/**
 * The errors of one alias, split: Shopify refusing to show protected customer data back (the
 * write itself ran; its payload and userErrors say how it went) and every other error.
 */
export function splitAliasErrors(errors: readonly GraphqlError[], alias: string): { refusedRead: GraphqlError[]; other: GraphqlError[] } {
  const mine = errors.filter((e) => e.path?.[0] === alias);
  return splitCallErrors(mine, alias);
}

/** As splitAliasErrors, for errors that all belong to the call already (a pathless one is the call's failure). */
function splitCallErrors(errors: readonly GraphqlError[], alias: string): { refusedRead: GraphqlError[]; other: GraphqlError[] } {
  // Only a refusal below the alias (its node, its fields) is a read: one on the alias itself refused the write.
  const refusedRead = errors.filter((e) => e.path?.[0] === alias && isProtectedDataError(e) && (e.path?.length ?? 0) > 1);
  return { refusedRead, other: errors.filter((e) => !refusedRead.includes(e)) };
}

/** Said once per push: the writes are counted, but the app should get protected customer data access. */
export function protectedReadWarning(call: string, error: GraphqlError): string {
  const explained = protectedDataError(`POST ${SHOPIFY_GRAPHQL_PATH} ${call}`, error);
  return `Shopify: ${explained.detail}; the writes were accepted without errors and are counted. ${explained.hint}`;
}

/**
 * A userError saying the customer itself does not exist (deleted or erased on Shopify): the
 * customer is gone, the write was not refused. CHOSEN from the emulator's answers (tagsAdd: `id`
 * "Customer does not exist"; metafieldsSet: `ownerId` "Owner does not exist."), which follow
 * Shopify's DOES_NOT_EXIST wording for customers.
 */
export function isMissingCustomer(e: Pick<UserError, 'field' | 'message'>): boolean {
  const field = e.field?.[e.field.length - 1];
  return (field === 'id' || field === 'ownerId') && /does not exist/i.test(e.message);
}

export type TagsOutcome = { ok: true; refusedRead?: GraphqlError } | { ok: false; reason: string; gone?: true };

/** One customer's tagsAdd/tagsRemove: `errors` are the call's own (alias `alias`), `payload` its data. */
export function tagsOutcome(id: string, mutation: TagsMutation, alias: string, errors: readonly GraphqlError[], payload: unknown): TagsOutcome {
  const { refusedRead, other } = splitCallErrors(errors, alias);
  const parsed = TagsPayloadSchema.safeParse(payload);
  if (other.length > 0) return { ok: false, reason: `${id}, tags: ${other.map((e) => e.message).join('; ')}` };
  if (!parsed.success) return { ok: false, reason: `${id}, tags: ${refusedRead[0]?.message ?? `Shopify answered no ${mutation} result`}` };
  if (parsed.data.userErrors.length > 0) {
    return { ok: false, reason: `${id}, ${describe(parsed.data.userErrors, 'tags')}`, ...(parsed.data.userErrors.every(isMissingCustomer) ? { gone: true as const } : {}) };
  }
  return refusedRead[0] ? { ok: true, refusedRead: refusedRead[0] } : { ok: true };
}

export interface MetafieldOp {
  customer: string;
  key: string;
  /** undefined = delete (an empty token value clears the metafield; metafieldsSet refuses blank values). */
  value: string | undefined;
}

export interface MetafieldCall {
  kind: 'set' | 'delete';
  ops: MetafieldOp[];
}

export interface CallOutcome {
  confirmed: MetafieldOp[];
  /** `gone`: its customer does not exist (isMissingCustomer). */
  failed: Array<{ op: MetafieldOp; message: string; gone?: true }>;
  /**
   * Not saved only because another metafield of the same call failed (metafieldsSet is atomic):
   * worth sending once more on their own.
   */
  innocent: MetafieldOp[];
  /** The metafields were written; only reading them back was refused. */
  refusedRead?: GraphqlError;
}

/** `customer, segsync.key: message`: how a metafield's failure is reported. */
export function metafieldFailure(op: MetafieldOp, message: string): string {
  return `${op.customer}, ${METAFIELD_NAMESPACE}.${op.key}: ${message}`;
}

/**
 * One metafieldsSet/metafieldsDelete call: `errors` are the call's own, `userErrors` its payload's
 * (undefined when it answered no payload). A userError blames the metafield its elementIndex (or
 * `field` metafields.N) names; one that names none fails the whole call.
 */
export function settleMetafieldCall(call: MetafieldCall, alias: string, errors: readonly GraphqlError[], userErrors: UserError[] | undefined): CallOutcome {
  const outcome: CallOutcome = { confirmed: [], failed: [], innocent: [] };
  const { refusedRead, other } = splitCallErrors(errors, alias);
  if (other.length > 0 || userErrors === undefined) {
    const message = [...other, ...refusedRead].map((e) => e.message).join('; ') || 'Shopify answered no result';
    outcome.failed = call.ops.map((op) => ({ op, message }));
    return outcome;
  }
  if (refusedRead[0]) outcome.refusedRead = refusedRead[0];
  if (userErrors.length === 0) {
    outcome.confirmed = [...call.ops];
    return outcome;
  }
  const blamed = new Set<number>();
  for (const e of userErrors) {
    const index = e.elementIndex ?? (e.field?.[0] === 'metafields' ? Number(e.field[1]) : NaN);
    const op = Number.isInteger(index) ? call.ops[index] : undefined;
    if (op) {
      blamed.add(index);
      outcome.failed.push({ op, message: `${e.message}${e.code ? ` (${e.code})` : ''}`, ...(isMissingCustomer(e) ? { gone: true as const } : {}) });
    } else {
      return { confirmed: [], failed: call.ops.map((o) => ({ op: o, message: `${alias}: ${e.message}` })), innocent: [] };
    }
  }
  outcome.innocent = call.ops.filter((_, i) => !blamed.has(i));
  return outcome;
}

/** The `metafields` of one metafieldsSet call (type from segsync's definition, text when there is none). */
export function metafieldsSetInput(ops: readonly MetafieldOp[], types: ReadonlyMap<string, string>) {
  return ops.map((op) => ({
    ownerId: op.customer,
    namespace: METAFIELD_NAMESPACE,
    key: op.key,
    type: types.get(op.key) ?? 'single_line_text_field',
    value: op.value,
  }));
}

/** The `metafields` of one metafieldsDelete call. */
export function metafieldsDeleteInput(ops: readonly MetafieldOp[]) {
  return ops.map((op) => ({ ownerId: op.customer, namespace: METAFIELD_NAMESPACE, key: op.key }));
}
