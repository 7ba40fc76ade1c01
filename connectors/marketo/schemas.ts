import { z } from 'zod';

/**
 * Marketo's answers, as they come over the wire (checked against the recorded real responses in
 * test/fixtures/marketo/ and the Swagger files in shared/specs/marketo/). Marketo answers almost
 * every error with HTTP 200 and `success: false`; codes are quoted strings. Records inside pages
 * stay loosely typed until the mapper validates each one, so one bad record never sinks a page.
 */

/** Codes are documented and recorded as strings ("601"); accept numbers too, keep strings. */
const Code = z.union([z.string(), z.number()]).transform(String);

export const MarketoErrorSchema = z.object({ code: Code, message: z.string().nullish().transform((m) => m ?? '') });
export type MarketoErrorItem = z.infer<typeof MarketoErrorSchema>;

/** REST warnings are {code,message} objects (spec); asset API warnings are plain strings (recorded). */
const Warning = z.union([z.string(), z.object({ code: Code.optional(), message: z.string() }).loose()]);

/** What every Marketo JSON answer shares; `result` is checked by the per-call schema. */
export const EnvelopeSchema = z
  .object({
    requestId: z.string().optional(),
    success: z.boolean(),
    errors: z.array(MarketoErrorSchema).optional(),
    warnings: z.array(Warning).optional(),
    result: z.unknown().optional(),
    nextPageToken: z.string().optional(),
    moreResult: z.boolean().optional(),
  })
  .loose();
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** An envelope whose `result` items match `item`; `result` may be absent (asset lookups that find nothing). */
export function pageOf<T extends z.ZodType>(item: T) {
  return EnvelopeSchema.extend({ result: z.array(item).optional() });
}

const Reason = z.object({ code: Code, message: z.string().nullish().transform((m) => m ?? '') });
export type Reason = z.infer<typeof Reason>;

// ------------------------------------------------------------------ identity

export const TokenResponseSchema = z
  .object({
    access_token: z.string().min(1),
    token_type: z.string(),
    expires_in: z.number().int().nonnegative(),
    scope: z.string().optional(),
  })
  .loose();

/** `GET /identity/oauth/token` with bad credentials: HTTP 401 with an OAuth error body. */
export const IdentityErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() }).loose();

// ------------------------------------------------------------------ leads

/** One lead as REST returns it: typed JSON values; unset fields come back as null. */
export const LeadSchema = z.object({ id: z.number().int().positive() }).loose();
export const LeadsPageSchema = pageOf(z.unknown());

/** Upserts, list membership and field creation answer per record, in input order. */
export const RecordResultSchema = z
  .object({
    id: z.number().int().optional(),
    status: z.string(),
    reasons: z.array(Reason).optional(),
  })
  .loose();
export const RecordResultsSchema = pageOf(RecordResultSchema);

export const DescribeFieldSchema = z
  .object({
    id: z.number().int(),
    displayName: z.string(),
    dataType: z.string(),
    length: z.number().int().optional(),
    rest: z.object({ name: z.string(), readOnly: z.boolean().optional() }).loose().optional(),
    soap: z.object({ name: z.string(), readOnly: z.boolean().optional() }).loose().optional(),
  })
  .loose();
export const DescribeLeadsSchema = pageOf(DescribeFieldSchema);

/**
 * `GET /rest/v1/opportunities/describe.json`: one object description (swagger ObjectMetaData; the
 * docs' example names it with `name`, the swagger with `apiName`) whose `fields` carry REST names.
 */
export const DescribeObjectSchema = pageOf(
  z.object({ fields: z.array(z.object({ name: z.string(), dataType: z.string().optional() }).loose()) }).loose(),
);

export const FieldStatusSchema = z
  .object({ name: z.string(), status: z.string(), reasons: z.array(Reason).optional() })
  .loose();
export const CreateFieldsSchema = pageOf(FieldStatusSchema);

// ------------------------------------------------------------------ activities

export const ActivitySchema = z
  .object({
    id: z.number().int().optional(),
    marketoGUID: z.string().optional(),
    leadId: z.number().int(),
    activityDate: z.string(),
    activityTypeId: z.number().int(),
    primaryAttributeValueId: z.number().int().nullish(),
    primaryAttributeValue: z.string().nullish(),
    attributes: z.array(z.object({ name: z.string(), value: z.unknown() }).loose()).optional(),
    fields: z
      .array(z.object({ id: z.number().int().optional(), name: z.string(), newValue: z.unknown(), oldValue: z.unknown() }).loose())
      .optional(),
  })
  .loose();
export type Activity = z.infer<typeof ActivitySchema>;
export const ActivitiesPageSchema = pageOf(ActivitySchema);
export const PagingTokenSchema = EnvelopeSchema.extend({ nextPageToken: z.string().min(1) });

/** `GET /rest/v1/activities/types.json`: the instance's activity types (standard and custom). */
export const ActivityTypesSchema = pageOf(z.object({ id: z.number().int(), name: z.string() }).loose());

/**
 * An engagement activity as read for the engagement stream: only what the event needs, every part
 * optional here so that one odd activity (no leadId, an unreadable date) is skipped and counted,
 * never a reason to refuse the page. Marketo now names activities by `marketoGUID` (a string; the
 * docs' examples show it with or without the older numeric `id`).
 */
export const EngagementActivitySchema = z
  .object({
    id: z.union([z.number().int(), z.string()]).nullish(),
    marketoGUID: z.union([z.string(), z.number()]).nullish(),
    leadId: z.union([z.number().int(), z.string()]).nullish(),
    activityDate: z.string().nullish(),
    activityTypeId: z.union([z.number().int(), z.string()]).nullish(),
  })
  .loose();
export type EngagementActivity = z.infer<typeof EngagementActivitySchema>;
export const EngagementActivitiesPageSchema = pageOf(z.unknown());

// ------------------------------------------------------------------ opportunities

/** Opportunities are validated record by record in the mapper; the id field is marketoGUID. */
export const OpportunitySchema = z.object({ marketoGUID: z.string().min(1) }).loose();
export const OpportunitiesPageSchema = pageOf(z.unknown());

export const OpportunityRoleSchema = z
  .object({
    marketoGUID: z.string().optional(),
    externalOpportunityId: z.string().min(1),
    leadId: z.number().int(),
    role: z.string().nullish(),
    isPrimary: z.boolean().nullish(),
  })
  .loose();
export const OpportunityRolesPageSchema = pageOf(OpportunityRoleSchema);

// ------------------------------------------------------------------ assets: static lists and folders

const FolderRef = z.object({ id: z.number().int(), type: z.string() }).loose();

export const StaticListSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullish(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
    folder: FolderRef.optional(),
    computedUrl: z.string().nullish(),
    workspace: z.string().optional(),
  })
  .loose();
export const StaticListsSchema = pageOf(StaticListSchema);

export const FolderSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    folderId: FolderRef.optional(),
    folderType: z.string().nullish(),
    parent: FolderRef.nullish(),
    path: z.string().optional(),
    isSystem: z.boolean().optional(),
  })
  .loose();
export const FoldersSchema = pageOf(FolderSchema);

/** `POST /rest/asset/v1/staticList/{id}/delete.json` */
export const DeletedAssetSchema = pageOf(z.object({ id: z.number().int() }).loose());

// ------------------------------------------------------------------ lead list memberships (lead database view)

export const ListSchema = z
  .object({ id: z.number().int(), name: z.string(), workspaceName: z.string().optional(), createdAt: z.string().optional(), updatedAt: z.string().optional() })
  .loose();
export const ListsPageSchema = pageOf(ListSchema);

// ------------------------------------------------------------------ bulk lead extract

export const ExportJobSchema = z
  .object({
    exportId: z.string().min(1),
    status: z.enum(['Created', 'Queued', 'Processing', 'Canceled', 'Cancelled', 'Completed', 'Failed']),
    format: z.string().optional(),
    createdAt: z.string().nullish(),
    queuedAt: z.string().nullish(),
    startedAt: z.string().nullish(),
    finishedAt: z.string().nullish(),
    numberOfRecords: z.number().int().nullish(),
    fileSize: z.number().int().nullish(),
    fileChecksum: z.string().nullish(),
    errorMsg: z.string().nullish(),
  })
  .loose();
export type ExportJob = z.infer<typeof ExportJobSchema>;
export const ExportJobsSchema = pageOf(ExportJobSchema);
