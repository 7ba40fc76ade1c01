import { parseStrictDate } from '../../src/domain/dates.js';
import { z } from 'zod';

/**
 * Shopify Admin GraphQL answers as they come over the wire. Envelopes are checked strictly where
 * segsync relies on them; records stay `unknown` in pages and are validated one by one in the
 * mapper (a bad record goes to quarantine, the page goes on). Checked against the recorded real
 * responses in test/fixtures/shopify/: throttleStatus numbers may be floats (2000.0), the cost may
 * lack throttleStatus, `errors` may be a plain string (401/403 bodies), ids may come `\/`-escaped.
 */

export const ThrottleStatusSchema = z.object({
  maximumAvailable: z.number().positive(),
  currentlyAvailable: z.number(),
  restoreRate: z.number().positive(),
});
export type ThrottleStatus = z.infer<typeof ThrottleStatusSchema>;

export const CostSchema = z.object({
  requestedQueryCost: z.number().nullable().optional(),
  actualQueryCost: z.number().nullable().optional(),
  throttleStatus: ThrottleStatusSchema.optional(),
});
export type Cost = z.infer<typeof CostSchema>;

export const GraphqlErrorSchema = z.object({
  message: z.string(),
  locations: z.array(z.object({ line: z.number(), column: z.number() })).optional(),
  path: z.array(z.union([z.string(), z.number()])).optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
});
export type GraphqlError = z.infer<typeof GraphqlErrorSchema>;

/** Any answer of the GraphQL endpoint. */
export const EnvelopeSchema = z.object({
  data: z.unknown().optional(),
  errors: z.union([z.array(GraphqlErrorSchema), z.string(), z.record(z.string(), z.unknown())]).optional(),
  extensions: z.object({ cost: CostSchema.optional() }).optional(),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

const PageInfoSchema = z.object({
  hasNextPage: z.boolean(),
  endCursor: z.string().nullable().optional(),
});

/** A connection page, as `nodes` or as `edges { node }` (the recorded customers page uses edges). */
export const ConnectionSchema = z
  .object({
    pageInfo: PageInfoSchema,
    nodes: z.array(z.unknown()).optional(),
    edges: z.array(z.object({ cursor: z.string().optional(), node: z.unknown() })).optional(),
  })
  .refine((c) => c.nodes !== undefined || c.edges !== undefined, { message: 'a connection needs nodes or edges' })
  .transform((c) => ({ pageInfo: c.pageInfo, nodes: c.nodes ?? (c.edges ?? []).map((e) => e.node) }));
export type ConnectionPage = z.output<typeof ConnectionSchema>;

export const CustomersPageSchema = z.object({ customers: ConnectionSchema });
export const OrdersPageSchema = z.object({ orders: ConnectionSchema });
/** `nodes(ids:)`: null for an id Shopify no longer has (or the app may not see); records stay unknown until mapped. */
export const NodesSchema = z.object({ nodes: z.array(z.unknown()) });

/** CUSTOMER_ACCESS: one customer id, or none. */
export const CustomerAccessSchema = z.object({ customers: z.object({ nodes: z.array(z.unknown()) }) });

export const AccessScopesSchema = z.object({
  currentAppInstallation: z.object({ accessScopes: z.array(z.object({ handle: z.string() })) }),
});

const GID = (type: string) => z.string().regex(new RegExp(`^gid://shopify/${type}/\\d+$`), `must be a Shopify ${type} id (gid://shopify/${type}/<number>)`);
const DateTime = z.string().refine((v) => Number.isFinite(parseStrictDate(v)), 'must be an ISO 8601 date-time');

/** What every customer node must have; the mapping's own fields are looked up by path afterwards. */
export const CustomerNodeSchema = z.looseObject({ id: GID('Customer'), updatedAt: DateTime });

export const OrderNodeSchema = z.looseObject({
  id: GID('Order'),
  updatedAt: DateTime,
  createdAt: DateTime.optional(),
  processedAt: DateTime.nullable().optional(),
  cancelledAt: DateTime.nullable().optional(),
  test: z.boolean().optional(),
  customer: z.object({ id: GID('Customer') }).nullable().optional(),
});

/**
 * An order's lines as segsync selects them (documents.ts LINE_ITEM_FIELDS, or without the product
 * where read_products is missing): `{ nodes }` from a
 * bulk file (every line), with `pageInfo` from a page (at most LINE_ITEMS_PER_ORDER lines).
 * Read leniently: a line Shopify sends oddly loses that value, never the order.
 */
const Money = z.object({ shopMoney: z.object({ amount: z.union([z.string(), z.number()]) }).loose() }).loose();
export const LineItemNodeSchema = z.looseObject({
  quantity: z.number().int().nonnegative().catch(0),
  discountedTotalSet: Money.nullable().optional().catch(null),
  product: z.object({ id: z.string().optional(), productType: z.string().nullable().optional(), vendor: z.string().nullable().optional() }).loose().nullable().optional().catch(null),
  /** The line's own vendor: read where the app lacks read_products (no product selected). */
  vendor: z.string().nullable().optional().catch(null),
});
export const LineItemsSchema = z.object({
  pageInfo: z.object({ hasNextPage: z.boolean() }).loose().optional(),
  nodes: z.array(z.unknown()),
});

/** UserError and its typed variants (MetafieldsSetUserError has code and elementIndex). */
export const UserErrorSchema = z.object({
  field: z.array(z.string()).nullable().optional(),
  message: z.string(),
  code: z.string().nullable().optional(),
  elementIndex: z.number().int().nullable().optional(),
});
export type UserError = z.infer<typeof UserErrorSchema>;

export const TagsPayloadSchema = z.object({
  node: z.object({ id: z.string() }).nullable().optional(),
  userErrors: z.array(UserErrorSchema),
});

export const MetafieldsSetPayloadSchema = z.object({
  metafields: z.array(z.object({ key: z.string(), namespace: z.string() }).loose()).nullable().optional(),
  userErrors: z.array(UserErrorSchema),
});

export const MetafieldsDeletePayloadSchema = z.object({
  deletedMetafields: z.array(z.object({ key: z.string(), namespace: z.string(), ownerId: z.string() }).nullable()).nullable().optional(),
  userErrors: z.array(UserErrorSchema),
});

/** Mutation answers: every alias maps to a payload, or null when that field failed (see `errors`). */
export const MutationDataSchema = z.record(z.string(), z.unknown());

export const MetafieldDefinitionCreateSchema = z.object({
  metafieldDefinitionCreate: z.object({
    createdDefinition: z.object({ id: z.string(), key: z.string() }).loose().nullable(),
    userErrors: z.array(UserErrorSchema),
  }),
});

// ---------------------------------------------------------------------------------------------
// Bulk operations (checked against the recorded bulk_* answers)
// ---------------------------------------------------------------------------------------------

export const BULK_STATUSES = ['CREATED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELING', 'CANCELED', 'EXPIRED'] as const;
export type BulkStatus = (typeof BULK_STATUSES)[number];

/** UnsignedInt64 comes as a string ("16"), as the recorded answers show; a number is taken too. */
const UnsignedInt64 = z.union([z.string().regex(/^\d+$/, 'must be a whole number'), z.number().int().nonnegative()]).transform(Number);

export const BulkOperationSchema = z.looseObject({
  /** Absent only when not selected (the recorded node(id:) poll). */
  id: z.string().optional(),
  status: z.enum(BULK_STATUSES),
  errorCode: z.string().nullable().optional(),
  createdAt: DateTime.optional(),
  completedAt: z.string().nullable().optional(),
  objectCount: UnsignedInt64.optional(),
  rootObjectCount: UnsignedInt64.nullable().optional(),
  fileSize: UnsignedInt64.nullable().optional(),
  /** null (no results, or not done yet); the recorded answers also show "". */
  url: z.string().nullable().optional(),
  partialDataUrl: z.string().nullable().optional(),
  query: z.string().optional(),
});
export type BulkOperation = z.output<typeof BulkOperationSchema>;

export const BulkQueryRunSchema = z.object({
  bulkOperationRunQuery: z.object({
    bulkOperation: BulkOperationSchema.nullable(),
    userErrors: z.array(UserErrorSchema),
  }),
});

/** stagedUploadsCreate: the targets (the recorded answer's `url` is a placeholder, `resourceUrl` null for bulk variables). */
export const StagedUploadsCreateSchema = z.object({
  stagedUploadsCreate: z.object({
    stagedTargets: z
      .array(z.object({ url: z.string().nullable(), resourceUrl: z.string().nullable().optional(), parameters: z.array(z.object({ name: z.string(), value: z.string() })) }))
      .nullable(),
    userErrors: z.array(UserErrorSchema),
  }),
});
export type StagedTarget = NonNullable<z.output<typeof StagedUploadsCreateSchema>['stagedUploadsCreate']['stagedTargets']>[number];

export const BulkMutationRunSchema = z.object({
  bulkOperationRunMutation: z.object({
    bulkOperation: BulkOperationSchema.nullable(),
    userErrors: z.array(UserErrorSchema),
  }),
});

export const BulkOperationsSchema = z.object({ bulkOperations: z.object({ nodes: z.array(BulkOperationSchema) }) });

/**
 * One line of a bulk mutation's result file (recorded bulk_mutation_result_lines_ALAppExt.jsonl):
 * the mutation's data (userErrors included), `errors` where the line failed as a request, and
 * the 0-based number of the input line it answers.
 */
export const BulkMutationLineSchema = z.object({
  data: z.record(z.string(), z.unknown()).nullable().optional(),
  errors: z.array(GraphqlErrorSchema).optional(),
  __lineNumber: z.number().int().nonnegative(),
});
export type BulkMutationLine = z.output<typeof BulkMutationLineSchema>;

/** null: no bulk operation of this app has that id (any more). */
export const BulkOperationQuerySchema = z.object({ bulkOperation: BulkOperationSchema.nullable() });

export const MetafieldDefinitionsSchema = z.object({
  metafieldDefinitions: z.object({
    nodes: z.array(z.object({ id: z.string(), key: z.string(), name: z.string().optional(), type: z.object({ name: z.string() }) })),
  }),
});
