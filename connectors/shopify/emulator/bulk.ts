/**
 * Bulk query operations as the Admin API 2026-07 runs them. `bulkOperationRunQuery(query:)`
 * checks the inner query like any other document (graphql validation against the vendored schema)
 * plus Shopify's bulk restrictions, and answers userErrors when it breaks one; otherwise it runs
 * the query over every record (no page size, no cost limit, not charged to the bucket) and keeps
 * the result as a JSONL file: one line per node of a connection, nodes of a nested connection on
 * lines of their own carrying `__parentId`. The operation is CREATED in the mutation's answer,
 * RUNNING until `delayMs` later, then COMPLETED (or FAILED); its file is served at a signed,
 * expiring URL on the emulator itself that needs no access token, as Shopify's storage URLs do.
 *
 * Documented (shopify.dev: bulkOperationRunQuery, BulkOperation, the bulk query guide, release
 * notes 2026-01): at least one connection, at most five, nested at most two deep, no top-level
 * `node`/`nodes`; from 2026-01 up to five bulk query operations at a time per app and shop;
 * `groupObjects` defaults to false; url and partialDataUrl expire after seven days;
 * `objectCount`, `rootObjectCount` and `fileSize` are UnsignedInt64, serialized as strings.
 * Bulk mutation operations (bulk-mutation.ts, staged-uploads.ts) live in the same list: from
 * 2026-01 up to five may run at a time per shop (the import guide; one before), apart from the
 * query operations' five. Where the documentation is silent, the choice made is marked CHOSEN.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  executeSync,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLFieldMap,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { bulkMutationProblems, runVariableLines, variableLines } from './bulk-mutation.js';
import { paginate, type PageArgs } from './connection.js';
import { isConnection } from './cost.js';
import { gid, iso, parseGid, rootValue, type ResolverContext } from './resolvers.js';
import { searchFilter, type FieldSpec } from './search.js';
import { StagedUploads } from './staged-uploads.js';

const DAY_MS = 86_400_000;
export const MAX_BULK_CONNECTIONS = 5;
export const MAX_BULK_CONNECTION_DEPTH = 2;
/** Where result files are served, below the emulator's base URL. */
export const BULK_OUTPUT_PATH = '/bulk-operation-outputs/';

export interface BulkSettings {
  /** How long an operation runs before it completes (or fails); default 200 ms. */
  delayMs: number;
  /** How long url and partialDataUrl stay valid after the operation ends: seven days. */
  urlTtlMs: number;
  /** Bulk query operations that may be CREATED or RUNNING at once per app and shop: five since 2026-01. */
  maxConcurrent: number;
  /**
   * Bulk mutation operations that may run at once per shop: five since 2026-01 (the import guide;
   * the 6th is refused LIMIT_REACHED); 1 emulates the earlier one-at-a-time rule, whose refusal is
   * OPERATION_IN_PROGRESS.
   */
  maxConcurrentMutations: number;
}

export const DEFAULT_BULK_SETTINGS: BulkSettings = { delayMs: 200, urlTtlMs: 7 * DAY_MS, maxConcurrent: 5, maxConcurrentMutations: 5 };

export type BulkOperationType = 'QUERY' | 'MUTATION';

export type BulkStatus = 'CREATED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELING' | 'CANCELED' | 'EXPIRED';
export type BulkErrorCode = 'ACCESS_DENIED' | 'INTERNAL_SERVER_ERROR' | 'TIMEOUT';

interface BulkRecord {
  id: number;
  type: BulkOperationType;
  /** The inner query, or the mutation of a bulk mutation. */
  query: string;
  createdMs: number;
  /** When it stops running: completed, or failed. */
  doneMs: number;
  /** The result file (every line ends with "\n"). */
  content: string;
  objectCount: number;
  rootObjectCount: number;
  /** What a failed operation had written before it failed (CHOSEN: the first half of its lines). */
  partial: string | null;
  failure: BulkErrorCode | null;
  canceledMs: number | null;
  /** Expired by a test control before its seven days. */
  expired: boolean;
  /** The unguessable part of the file's path. */
  key: string;
}

export interface BulkOperationSnapshot {
  id: string;
  type: BulkOperationType;
  query: string;
  status: BulkStatus;
  objectCount: number;
  rootObjectCount: number;
  /** The result file as Shopify would serve it. */
  content: string;
  /** When it was created and when it stops (stopped) running, on the emulator's clock. */
  createdMs: number;
  doneMs: number;
}

export interface BulkUserError {
  field: string[] | null;
  message: string;
  code: 'INVALID' | 'LIMIT_REACHED' | 'OPERATION_IN_PROGRESS';
}

export interface BulkMutationUserError {
  field: string[] | null;
  message: string;
  code: 'INVALID_MUTATION' | 'NO_SUCH_FILE' | 'LIMIT_REACHED' | 'OPERATION_IN_PROGRESS';
}

export interface DownloadReply {
  status: number;
  body: string;
  contentType: string;
}

// ---------------------------------------------------------------------------------------------
// Selections: fields by response key, fragments expanded, repeated keys merged (as execution does)
// ---------------------------------------------------------------------------------------------

interface Collected {
  key: string;
  node: FieldNode;
  parentType: GraphQLNamedType;
}

function fieldsOf(type: GraphQLNamedType): GraphQLFieldMap<unknown, unknown> {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};
}

class Selections {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
  ) {
    for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(def.name.value, def);
  }

  collect(set: SelectionSetNode | undefined, parentType: GraphQLNamedType): Collected[] {
    const byKey = new Map<string, { node: FieldNode; parentType: GraphQLNamedType; selections: SelectionNode[] }>();
    const visit = (s: SelectionSetNode | undefined, type: GraphQLNamedType) => {
      for (const sel of s?.selections ?? []) {
        if (sel.kind === Kind.FIELD) {
          const key = sel.alias?.value ?? sel.name.value;
          const seen = byKey.get(key);
          if (seen) seen.selections.push(...(sel.selectionSet?.selections ?? []));
          else byKey.set(key, { node: sel, parentType: type, selections: [...(sel.selectionSet?.selections ?? [])] });
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          visit(sel.selectionSet, sel.typeCondition ? this.schema.getType(sel.typeCondition.name.value) ?? type : type);
        } else {
          const frag = this.fragments.get(sel.name.value);
          if (frag) visit(frag.selectionSet, this.schema.getType(frag.typeCondition.name.value) ?? type);
        }
      }
    };
    visit(set, parentType);
    return [...byKey].map(([key, v]) => ({
      key,
      parentType: v.parentType,
      node: v.node.selectionSet ? { ...v.node, selectionSet: { kind: Kind.SELECTION_SET, selections: v.selections } } : v.node,
    }));
  }

  /** The field's declared type (lists and non-null kept), or undefined for a field the type lacks. */
  typeOf(field: Collected) {
    return fieldsOf(field.parentType)[field.node.name.value]?.type;
  }

  /** The node selections of a connection field: `edges { node { … } }` and/or `nodes { … }`. */
  nodeSelections(connection: Collected): Array<{ via: 'edges' | 'nodes'; key: string; nodeKey?: string; node: FieldNode; type: GraphQLNamedType }> {
    const named = getNamedType(this.typeOf(connection)!);
    const out: Array<{ via: 'edges' | 'nodes'; key: string; nodeKey?: string; node: FieldNode; type: GraphQLNamedType }> = [];
    for (const part of this.collect(connection.node.selectionSet, named)) {
      const partType = this.typeOf(part);
      if (!partType) continue;
      const name = part.node.name.value;
      if (name === 'nodes') out.push({ via: 'nodes', key: part.key, node: part.node, type: getNamedType(partType) });
      if (name === 'edges') {
        for (const inner of this.collect(part.node.selectionSet, getNamedType(partType))) {
          const innerType = this.typeOf(inner);
          if (inner.node.name.value === 'node' && innerType) out.push({ via: 'edges', key: part.key, nodeKey: inner.key, node: inner.node, type: getNamedType(innerType) });
        }
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Restrictions
// ---------------------------------------------------------------------------------------------

/**
 * What Shopify refuses in a bulk query, as messages for userErrors. CHOSEN wording: the limits
 * are documented, their messages are not; these follow the messages public reports quote.
 */
export function bulkQueryProblems(schema: GraphQLSchema, query: string): { problems: string[]; document?: DocumentNode; operation?: OperationDefinitionNode } {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    return { problems: [`Invalid bulk query: ${(error as Error).message}`] };
  }
  const invalid = validate(schema, document);
  if (invalid.length > 0) return { problems: invalid.map((e) => e.message) };
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  // CHOSEN: the bulk query is one document with one operation, which must be a query.
  if (operations.length !== 1) return { problems: ['Bulk queries must contain exactly one operation.'] };
  const operation = operations[0]!;
  if (operation.operation !== 'query') return { problems: ['Invalid operation type. Only `query` operations are supported.'] };

  const sel = new Selections(schema, document);
  const root = schema.getQueryType()!;
  const top = sel.collect(operation.selectionSet, root).filter((f) => !f.node.name.value.startsWith('__'));
  let connections = 0;
  let deepest = 0;
  const inList: string[] = [];
  const withoutId: string[] = [];
  const walkField = (field: Collected, depth: number, listed: boolean, parentHasId: boolean, path: string[]): void => {
    const type = sel.typeOf(field);
    if (!type) return;
    const named = getNamedType(type);
    if (isLeafType(named)) return;
    if (isConnection(named)) {
      connections++;
      deepest = Math.max(deepest, depth + 1);
      if (listed) inList.push(path.join('.'));
      if (depth >= 1 && !parentHasId) withoutId.push(path.join('.'));
      for (const n of sel.nodeSelections(field)) walkNode(n.node.selectionSet, n.type, depth + 1, [...path, n.via]);
      return;
    }
    const list = isListType(getNullableType(type));
    for (const sub of sel.collect(field.node.selectionSet, named)) walkField(sub, depth, listed || list, parentHasId, [...path, sub.key]);
  };
  const walkNode = (set: SelectionSetNode | undefined, type: GraphQLNamedType, depth: number, path: string[]): void => {
    const fields = sel.collect(set, type);
    const hasId = fields.some((f) => f.node.name.value === 'id' && !f.node.alias);
    for (const f of fields) walkField(f, depth, false, hasId, [...path, f.key]);
  };
  for (const f of top) walkField(f, 0, false, true, [f.key]);

  const problems: string[] = [];
  const topNode = top.find((f) => f.node.name.value === 'node' || f.node.name.value === 'nodes');
  if (topNode) problems.push(`Bulk queries cannot contain a top level \`${topNode.node.name.value}\` field.`);
  // CHOSEN: the guide says a bulk query selects "a single top-level field".
  if (top.length > 1) problems.push('Bulk queries must contain exactly one top-level field.');
  if (connections > MAX_BULK_CONNECTIONS) problems.push(`Bulk queries cannot contain more than ${MAX_BULK_CONNECTIONS} connections.`);
  if (deepest > MAX_BULK_CONNECTION_DEPTH) problems.push(`Bulk queries cannot contain connections with a nesting depth greater than ${MAX_BULK_CONNECTION_DEPTH}.`);
  if (inList.length > 0) problems.push('Queries that contain a connection field within a list field are not currently supported.');
  if (withoutId.length > 0) {
    problems.push(
      "The parent 'node' field for a nested connection must select the 'id' field without an alias and must be of 'ID' return type. " +
        `Connection fields without 'id': ${withoutId.join(', ')}.`,
    );
  }
  if (connections === 0 && !topNode) problems.push('Bulk queries must contain at least one connection.');
  return problems.length > 0 ? { problems } : { problems, document, operation };
}

// ---------------------------------------------------------------------------------------------
// JSONL
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** Shopify writes every "/" in its JSONL files escaped as "\/" (as the recorded files show). */
export function jsonlLine(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/');
}

/**
 * The executed data of a bulk query as Shopify's JSONL objects: each node of a connection is an
 * object without its nested connections; their nodes follow as objects of their own with
 * `__parentId` (the enclosing node's id) last. Keys keep the query's order.
 * Children come right after their parent here; `run` moves them after every root object when
 * groupObjects is false (Shopify then promises no order).
 */
export function bulkObjects(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, data: Json): { objects: Json[]; roots: number } {
  const sel = new Selections(schema, document);
  const objects: Json[] = [];
  let roots = 0;

  const emitConnection = (value: unknown, field: Collected, parentId: string | null, out: Json[]) => {
    if (value === null || typeof value !== 'object') return;
    const parts = sel.nodeSelections(field);
    // A query selecting both edges and nodes gets each node once (CHOSEN), from edges.
    const chosen = parts.filter((p) => p.via === 'edges').length > 0 ? parts.filter((p) => p.via === 'edges') : parts;
    for (const part of chosen) {
      const list = (value as Json)[part.key];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const node = part.via === 'edges' ? (item as Json | null)?.[part.nodeKey!] : item;
        if (node === null || typeof node !== 'object') continue;
        emitNode(node as Json, part.node.selectionSet, part.type, parentId, out);
      }
    }
  };

  const emitNode = (node: Json, set: SelectionSetNode | undefined, type: GraphQLNamedType, parentId: string | null, out: Json[]) => {
    const children: Json[] = [];
    const id = typeof node.id === 'string' ? node.id : parentId;
    const own = strip(node, set, type, id, children);
    if (parentId !== null) own.__parentId = parentId;
    else roots++;
    out.push(own, ...children);
  };

  const strip = (value: Json, set: SelectionSetNode | undefined, type: GraphQLNamedType, ownerId: string | null, children: Json[]): Json => {
    const fields = new Map(sel.collect(set, type).map((f) => [f.key, f]));
    const own: Json = {};
    for (const [key, v] of Object.entries(value)) {
      const field = fields.get(key);
      const fieldType = field ? sel.typeOf(field) : undefined;
      if (!field || !fieldType) {
        own[key] = v;
        continue;
      }
      const named = getNamedType(fieldType);
      if (isConnection(named)) {
        emitConnection(v, field, ownerId, children);
        continue;
      }
      if (v === null || !isCompositeType(named)) own[key] = v;
      else if (Array.isArray(v)) own[key] = v.map((x) => (x === null || typeof x !== 'object' ? x : strip(x as Json, field.node.selectionSet, named, ownerId, children)));
      else own[key] = strip(v as Json, field.node.selectionSet, named, ownerId, children);
    }
    return own;
  };

  for (const field of sel.collect(operation.selectionSet, schema.getQueryType()!)) {
    const type = sel.typeOf(field);
    const value = data[field.key];
    if (!type || value === null || value === undefined) continue;
    const named = getNamedType(type);
    if (isConnection(named)) emitConnection(value, field, null, objects);
    else if (isCompositeType(named) && typeof value === 'object') emitNode(value as Json, field.node.selectionSet, named, null, objects);
  }
  return { objects, roots };
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

const OPERATION_FIELDS: Record<string, FieldSpec<{ record: BulkRecord; status: BulkStatus }>> = {
  operation_type: { kind: 'text', get: (o) => o.record.type.toLowerCase() },
  status: { kind: 'text', get: (o) => o.status.toLowerCase() },
  created_at: { kind: 'date', get: (o) => o.record.createdMs },
  id: { kind: 'number', get: (o) => o.record.id },
};

export class BulkOperations {
  private readonly records: BulkRecord[] = [];
  private readonly secret = randomBytes(32);
  private nextId = 1;
  private failNext: BulkErrorCode | null = null;
  /** Bulk mutation variables files, uploaded to the emulator's own staged upload target. */
  readonly uploads: StagedUploads;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly now: () => number,
    readonly settings: BulkSettings = DEFAULT_BULK_SETTINGS,
  ) {
    this.uploads = new StagedUploads(now);
  }

  // ---------------------------------------------------------------- test controls

  /** The next operation that starts fails with this code once it has run (partial data for all but ACCESS_DENIED). */
  failNextOperation(code: BulkErrorCode): void {
    this.failNext = code;
  }

  /** Every operation's URL expires now (as seven days later). */
  expireAll(): void {
    for (const r of this.records) r.expired = true;
  }

  snapshot(): BulkOperationSnapshot[] {
    return this.records.map((r) => ({
      id: gid('BulkOperation', r.id),
      type: r.type,
      query: r.query,
      status: this.status(r),
      objectCount: r.objectCount,
      rootObjectCount: r.rootObjectCount,
      content: r.content,
      createdMs: r.createdMs,
      doneMs: r.canceledMs ?? r.doneMs,
    }));
  }

  // ---------------------------------------------------------------- GraphQL

  status(r: BulkRecord): BulkStatus {
    const now = this.now();
    if (r.canceledMs !== null) return now <= r.canceledMs ? 'CANCELING' : 'CANCELED';
    if (now < r.doneMs) return 'RUNNING';
    if (r.failure) return 'FAILED';
    if (r.expired || now >= r.doneMs + this.settings.urlTtlMs) return 'EXPIRED';
    return 'COMPLETED';
  }

  private running(r: BulkRecord): boolean {
    const s = this.status(r);
    return s === 'CREATED' || s === 'RUNNING' || s === 'CANCELING';
  }

  /** `bulkOperationRunQuery(query:, groupObjects:)`. */
  run(ctx: ResolverContext, query: string, groupObjects = false): { bulkOperation: unknown; userErrors: BulkUserError[] } {
    const checked = bulkQueryProblems(this.schema, query);
    if (!checked.document || !checked.operation) {
      return { bulkOperation: null, userErrors: checked.problems.map((message) => ({ field: ['query'], message, code: 'INVALID' })) };
    }
    if (this.records.filter((r) => r.type === 'QUERY' && this.running(r)).length >= this.settings.maxConcurrent) {
      // The code and its description are the schema's; CHOSEN: field null, as Shopify's in-progress error has.
      return { bulkOperation: null, userErrors: [{ field: null, message: 'Bulk operations limit reached. Please try again later.', code: 'LIMIT_REACHED' }] };
    }
    // CHOSEN: the operation reads the shop when it starts (a snapshot); Shopify reads while it runs.
    const inner: ResolverContext = { ...ctx, unpaged: true, searchWarnings: [] };
    const result = executeSync({ schema: this.schema, document: checked.document, rootValue: rootValue(inner), contextValue: inner });
    const denied = result.errors?.some((e) => e.extensions?.code === 'ACCESS_DENIED') ?? false;
    const failure: BulkErrorCode | null = this.failNext ?? (denied ? 'ACCESS_DENIED' : result.errors?.length ? 'INTERNAL_SERVER_ERROR' : null);
    this.failNext = null;
    const { objects, roots } = result.data ? bulkObjects(this.schema, checked.document, checked.operation, result.data as Json) : { objects: [], roots: 0 };
    // Ungrouped (the 2026-01+ default) promises no order: CHOSEN, every root object first, then the
    // nested ones, so a reader that expects them below their parent finds out.
    const ordered = groupObjects ? objects : [...objects.filter((o) => !('__parentId' in o)), ...objects.filter((o) => '__parentId' in o)];
    const lines = ordered.map((o) => `${jsonlLine(o)}\n`);
    const createdMs = this.now();
    const record: BulkRecord = {
      id: this.nextId++,
      type: 'QUERY',
      query,
      createdMs,
      doneMs: createdMs + this.settings.delayMs,
      content: failure ? '' : lines.join(''),
      objectCount: failure ? Math.floor(lines.length / 2) : lines.length,
      rootObjectCount: roots,
      partial: failure && failure !== 'ACCESS_DENIED' && lines.length > 1 ? lines.slice(0, Math.floor(lines.length / 2)).join('') : null,
      failure,
      canceledMs: null,
      expired: false,
      key: randomBytes(16).toString('hex'),
    };
    this.records.push(record);
    return { bulkOperation: this.view(ctx, record, 'CREATED'), userErrors: [] };
  }

  /** `bulkOperation(id:)` and `node(id:)`: null for an id of no operation of this app. */
  byId(ctx: ResolverContext, id: string): unknown {
    const parsed = parseGid(id);
    const r = parsed?.type === 'BulkOperation' ? this.records.find((x) => x.id === parsed.id) : undefined;
    return r ? this.view(ctx, r) : null;
  }

  /**
   * `bulkOperationRunMutation(mutation:, stagedUploadPath:)`. CHOSEN: the lines run when the
   * operation starts (Shopify runs them while it is RUNNING, so their effects appear before it
   * completes either way); it stays RUNNING until `delayMs` later, then COMPLETED with its result
   * file. A failing operation (failNextOperation) ran only its first half of lines, which its
   * partial file holds.
   */
  runMutation(ctx: ResolverContext, mutation: string, stagedUploadPath: string): { bulkOperation: unknown; userErrors: BulkMutationUserError[] } {
    const checked = bulkMutationProblems(this.schema, mutation);
    if (!checked.document || !checked.operation) {
      return { bulkOperation: null, userErrors: checked.problems.map((message) => ({ field: ['mutation'], message, code: 'INVALID_MUTATION' })) };
    }
    const content = this.uploads.file(stagedUploadPath);
    if (content === undefined) {
      // The code's description is the schema's (BulkMutationErrorCode.NO_SUCH_FILE).
      return { bulkOperation: null, userErrors: [{ field: ['stagedUploadPath'], message: 'The JSONL file could not be found. Try uploading the file again, and check that you\'ve entered the URL correctly for the stagedUploadPath mutation argument.', code: 'NO_SUCH_FILE' }] };
    }
    const running = this.records.filter((r) => r.type === 'MUTATION' && this.running(r));
    if (running.length >= this.settings.maxConcurrentMutations) {
      // One at a time (before 2026-01): Shopify names the operation in progress, as for bulk queries. Five (2026-01+): the limit.
      return this.settings.maxConcurrentMutations === 1
        ? { bulkOperation: null, userErrors: [{ field: null, message: `A bulk mutation operation for this app and shop is already in progress: ${gid('BulkOperation', running[0]!.id)}.`, code: 'OPERATION_IN_PROGRESS' }] }
        : { bulkOperation: null, userErrors: [{ field: null, message: 'Bulk operations limit reached. Please try again later.', code: 'LIMIT_REACHED' }] };
    }
    const failure = this.failNext;
    this.failNext = null;
    const all = variableLines(content);
    const ran = failure ? all.slice(0, Math.floor(all.length / 2)) : all;
    const document = checked.document;
    const results = runVariableLines(this.schema, document, ran, () => {
      const inner: ResolverContext = { ...ctx, searchWarnings: [] };
      return { rootValue: rootValue(inner), contextValue: inner };
    });
    // As the recorded mutation result file: plain JSON lines ("/" unescaped, unlike query files).
    const lines = results.map((r) => `${JSON.stringify(r)}\n`).join('');
    const createdMs = this.now();
    const record: BulkRecord = {
      id: this.nextId++,
      type: 'MUTATION',
      query: mutation,
      createdMs,
      doneMs: createdMs + this.settings.delayMs,
      content: failure ? '' : lines,
      objectCount: failure ? ran.length : all.length,
      rootObjectCount: failure ? ran.length : all.length,
      partial: failure && ran.length > 0 ? lines : null,
      failure,
      canceledMs: null,
      expired: false,
      key: randomBytes(16).toString('hex'),
    };
    this.records.push(record);
    return { bulkOperation: this.view(ctx, record, 'CREATED'), userErrors: [] };
  }

  /** `currentBulkOperation(type:)`: the most recent operation of that type (QUERY by default). */
  current(ctx: ResolverContext, type: string | null | undefined): unknown {
    const wanted: BulkOperationType = type === 'MUTATION' ? 'MUTATION' : 'QUERY';
    const r = this.records.filter((x) => x.type === wanted).at(-1);
    return r ? this.view(ctx, r) : null;
  }

  /**
   * `bulkOperations(first:, after:, query:, sortKey:, reverse:)`: this app's operations, filtered by
   * `operation_type`, `status`, `created_at` and `id` (the documented filters), newest first as
   * documented. CHOSEN: `reverse: true` gives the oldest first; every sort key sorts by creation.
   */
  list(ctx: ResolverContext, args: PageArgs & { query?: string | null; sortKey?: string | null }) {
    const filter = searchFilter(args.query, OPERATION_FIELDS);
    if (filter.warnings.length > 0) ctx.searchWarnings.push({ path: ['bulkOperations'], query: args.query ?? '', warnings: filter.warnings });
    const matching = this.records.map((record) => ({ record, status: this.status(record) })).filter(filter.test);
    const page = paginate(matching, args, (o) => ({ id: -o.record.id, value: -o.record.createdMs }));
    const nodes = page.nodes.map((o) => this.view(ctx, o.record));
    return { nodes, edges: page.edges.map((e, i) => ({ cursor: e.cursor, node: nodes[i] })), pageInfo: page.pageInfo };
  }

  /** `bulkOperationCancel(id:)`. */
  cancel(ctx: ResolverContext, id: string): { bulkOperation: unknown; userErrors: Array<{ field: string[] | null; message: string }> } {
    const parsed = parseGid(id);
    const r = parsed?.type === 'BulkOperation' ? this.records.find((x) => x.id === parsed.id) : undefined;
    // As quoted in a public report of Shopify's answer.
    if (!r) return { bulkOperation: null, userErrors: [{ field: ['id'], message: 'Bulk operation does not exist' }] };
    if (!this.running(r)) {
      // CHOSEN wording.
      return { bulkOperation: this.view(ctx, r), userErrors: [{ field: null, message: `A bulk operation cannot be canceled when it is ${this.status(r).toLowerCase()}` }] };
    }
    r.canceledMs = this.now();
    return { bulkOperation: this.view(ctx, r), userErrors: [] };
  }

  private view(ctx: ResolverContext, r: BulkRecord, forced?: BulkStatus) {
    const status = forced ?? this.status(r);
    const now = this.now();
    const ended = status === 'COMPLETED' || status === 'FAILED' || status === 'EXPIRED';
    const span = Math.max(1, r.doneMs - r.createdMs);
    const progress = status === 'CREATED' ? 0 : status === 'RUNNING' || status === 'CANCELING' ? Math.min(1, (now - r.createdMs) / span) : 1;
    const stoppedAt = r.canceledMs !== null ? Math.min(1, (r.canceledMs - r.createdMs) / span) : 1;
    const fraction = status === 'CANCELED' ? stoppedAt : progress;
    const hasFile = status === 'COMPLETED' && r.objectCount > 0;
    return {
      __typename: 'BulkOperation',
      id: gid('BulkOperation', r.id),
      type: r.type,
      query: r.query,
      status,
      errorCode: status === 'FAILED' ? r.failure : null,
      createdAt: iso(r.createdMs),
      completedAt: ended ? iso(r.doneMs) : status === 'CANCELED' ? iso(r.canceledMs!) : null,
      // UnsignedInt64: strings, as the recorded answers show.
      objectCount: String(Math.floor(r.objectCount * fraction)),
      rootObjectCount: String(Math.floor(r.rootObjectCount * fraction)),
      // CHOSEN: no file, no size (a COMPLETED operation without results has url null).
      fileSize: hasFile ? String(Buffer.byteLength(r.content)) : null,
      url: hasFile ? this.signedUrl(ctx.baseUrl ?? '', r, 'final') : null,
      partialDataUrl: status === 'FAILED' && r.partial ? this.signedUrl(ctx.baseUrl ?? '', r, 'partial') : null,
    };
  }

  // ---------------------------------------------------------------- files

  private signature(path: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`GET\n${expires}\n${path}`).digest('base64url');
  }

  /** CHOSEN: shaped like the Google Cloud Storage signed URLs Shopify hands out (GoogleAccessId, Expires, Signature). */
  private signedUrl(base: string, r: BulkRecord, kind: 'final' | 'partial'): string {
    const path = `${BULK_OUTPUT_PATH}${r.key}-${kind}`;
    const expires = Math.floor((r.doneMs + this.settings.urlTtlMs) / 1000);
    return `${base}${path}?GoogleAccessId=segsync-emulator%40shopify-tiers.iam.gserviceaccount.com&Expires=${expires}&Signature=${encodeURIComponent(this.signature(path, expires))}`;
  }

  /**
   * GET of a result file. No access token: the signature is the credential. CHOSEN answers, as
   * Google Cloud Storage gives them: 403 SignatureDoesNotMatch, 400 ExpiredToken, 404 NoSuchKey.
   */
  download(pathname: string, params: URLSearchParams): DownloadReply {
    const xml = (status: number, code: string, message: string): DownloadReply => ({
      status,
      contentType: 'application/xml; charset=UTF-8',
      body: `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    });
    const m = /^\/bulk-operation-outputs\/([0-9a-f]+)-(final|partial)$/.exec(pathname);
    const r = m ? this.records.find((x) => x.key === m[1]) : undefined;
    const expires = Number(params.get('Expires'));
    const given = Buffer.from(params.get('Signature') ?? '');
    const wanted = Buffer.from(Number.isFinite(expires) ? this.signature(pathname, expires) : '');
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      return xml(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    if (!r || !m) return xml(404, 'NoSuchKey', 'The specified key does not exist.');
    if (r.expired || this.now() > expires * 1000) return xml(400, 'ExpiredToken', 'The provided token has expired.');
    const body = m[2] === 'final' ? r.content : r.partial ?? '';
    return { status: 200, contentType: 'application/jsonl', body };
  }
}
