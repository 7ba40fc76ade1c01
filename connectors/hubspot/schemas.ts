import { z } from 'zod';

/**
 * HubSpot's answers, as they come over the wire. Pages are parsed leniently at the record level
 * (a bad record goes to quarantine, the page goes on); envelopes are strict.
 * Checked against the recorded real responses in test/fixtures/hubspot/.
 */

const PropertyValue = z.string().nullable();

export const CrmObjectSchema = z.object({
  id: z.string().regex(/^\d+$/, 'HubSpot ids are numeric strings'),
  properties: z.record(z.string(), PropertyValue),
  createdAt: z.string(),
  updatedAt: z.string(),
  archived: z.boolean().optional(),
  archivedAt: z.string().optional(),
  associations: z
    .record(
      z.string(),
      z.object({
        results: z.array(z.object({ id: z.string(), type: z.string() })),
        paging: z.unknown().optional(),
      }),
    )
    .optional(),
});
export type CrmObject = z.infer<typeof CrmObjectSchema>;

/**
 * One entry of `propertiesWithHistory` (value, timestamp, sourceType, sourceId, sourceLabel,
 * updatedByUserId), as the recorded contacts page with history has them
 * (contacts_page_with_history_and_associations.json) and @hubspot/api-client's ValueWithTimestamp
 * declares them. HubSpot lists them newest first; an empty array means "never set".
 */
export const HistoryEntrySchema = z.object({
  value: z.string().nullable(),
  timestamp: z.string(),
  sourceType: z.string().optional(),
  sourceId: z.string().optional(),
  sourceLabel: z.string().optional(),
  updatedByUserId: z.number().optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

/** A contact read with `propertiesWithHistory`: only what the engagement stream needs of it. */
export const ObjectWithHistorySchema = z.object({
  id: z.string().regex(/^\d+$/, 'HubSpot ids are numeric strings'),
  propertiesWithHistory: z.record(z.string(), z.array(HistoryEntrySchema)).default({}),
});

const Paging = z.object({
  next: z.object({ after: z.string(), link: z.string().optional() }).optional(),
});

/** GET /crm/v3/objects/{type}: records stay unknown until each one is validated on its own. */
export const ObjectPageSchema = z.object({
  results: z.array(z.unknown()),
  paging: Paging.optional(),
});

export const SearchPageSchema = z.object({
  total: z.number().int().nonnegative(),
  results: z.array(z.unknown()),
  paging: Paging.optional(),
});

export const BatchResponseSchema = z.object({
  status: z.string(),
  results: z.array(z.unknown()),
  errors: z
    .array(
      z.object({
        status: z.string().optional(),
        category: z.string().optional(),
        message: z.string(),
        context: z.record(z.string(), z.array(z.string())).optional(),
      }),
    )
    .optional(),
  numErrors: z.number().optional(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
});

export const AssociationBatchSchema = z.object({
  status: z.string(),
  results: z.array(
    z.object({
      from: z.object({ id: z.string() }),
      to: z.array(z.object({ toObjectId: z.union([z.number(), z.string()]) })),
      /** More associations of this one object: ask again with `{id, after}`. */
      paging: z.object({ next: z.object({ after: z.string() }).optional() }).optional(),
    }),
  ),
  errors: z.array(z.object({ message: z.string(), context: z.record(z.string(), z.array(z.string())).optional() })).optional(),
});

/** Contact → company associations v4: like the deal ones, with the association types (to find the primary). */
export const CompanyAssociationBatchSchema = z.object({
  status: z.string(),
  results: z.array(
    z.object({
      from: z.object({ id: z.string() }),
      to: z.array(z.object({
        toObjectId: z.union([z.number(), z.string()]),
        associationTypes: z.array(z.object({ typeId: z.number(), label: z.string().nullable().optional() })).optional(),
      })),
    }),
  ),
});

export const PropertySchema = z.object({
  name: z.string(),
  label: z.string(),
  type: z.string(),
  fieldType: z.string(),
  groupName: z.string(),
  options: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
});
export const PropertyListSchema = z.object({ results: z.array(PropertySchema) });
export const PropertyGroupListSchema = z.object({ results: z.array(z.object({ name: z.string(), label: z.string() })) });

export const ListSchema = z.object({
  listId: z.string(),
  name: z.string(),
  objectTypeId: z.string(),
  processingType: z.string().optional(),
});
export const ListEnvelopeSchema = z.object({ list: ListSchema });

export const MembershipsUpdateSchema = z.object({
  recordsIdsAdded: z.array(z.string()).optional(),
  recordIdsRemoved: z.array(z.string()).optional(),
  recordIdsMissing: z.array(z.string()).optional(),
});

export const MembershipsPageSchema = z.object({
  results: z.array(z.object({ recordId: z.string(), membershipTimestamp: z.string().optional() })),
  paging: Paging.optional(),
  total: z.number().optional(),
});

/** Every error body HubSpot sends has at least a message; the rest varies by API and era. */
export const ErrorBodySchema = z.object({
  status: z.string().optional(),
  message: z.string(),
  correlationId: z.string().optional(),
  category: z.string().optional(),
  subCategory: z.string().optional(),
  errorType: z.string().optional(),
  policyName: z.string().optional(),
  context: z.unknown().optional(),
  errors: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/**
 * The scopes a 403 MISSING_SCOPES answer lists, per entry of `errors`: `context.requiredScopes`
 * (older answers, e.g. hubspot-api-nodejs#268) or `context.requiredGranularScopes` (newer ones).
 * The entry's message says whether one of them or all of them are needed.
 */
export const ScopeErrorsSchema = z.object({
  errors: z.array(
    z.object({
      message: z.string().optional(),
      context: z.object({
        requiredScopes: z.array(z.string()).optional(),
        requiredGranularScopes: z.array(z.string()).optional(),
      }).loose().optional(),
    }).loose(),
  ),
}).loose();
export type ScopeErrors = z.infer<typeof ScopeErrorsSchema>;

/** `GET /crm/v3/pipelines/deals`: every deal pipeline and its stages; a deal's `dealstage` holds a stage `id`. */
export const DealPipelinesSchema = z.object({
  results: z.array(z.object({
    id: z.string(),
    label: z.string(),
    archived: z.boolean().optional(),
    stages: z.array(z.object({ id: z.string(), label: z.string(), archived: z.boolean().optional() }).loose()),
  }).loose()),
});
