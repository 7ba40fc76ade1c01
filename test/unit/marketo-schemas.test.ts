import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  ExportJobsSchema,
  ActivityTypesSchema,
  DeletedAssetSchema,
  EngagementActivitiesPageSchema,
  DescribeLeadsSchema,
  EnvelopeSchema,
  FoldersSchema,
  IdentityErrorSchema,
  LeadSchema,
  LeadsPageSchema,
  ListsPageSchema,
  PagingTokenSchema,
  RecordResultsSchema,
  StaticListsSchema,
  TokenResponseSchema,
} from '../../connectors/marketo/schemas.js';

const DIR = join(import.meta.dirname, '../fixtures/marketo');
const load = (name: string): unknown => JSON.parse(readFileSync(join(DIR, name), 'utf8'));

/** Which connector schema reads which recorded answer. Every fixture must be listed. */
const SCHEMA_FOR: Record<string, z.ZodType> = {
  'token.json': TokenResponseSchema,
  'bulk_activity_export_create.json': ExportJobsSchema,
  'bulk_activity_export_enqueue.json': ExportJobsSchema,
  'bulk_activity_export_status.json': ExportJobsSchema,
  'token_error_invalid_client.json': IdentityErrorSchema,
  'leads_get_by_email.json': LeadsPageSchema,
  'leads_get_by_email_empty.json': LeadsPageSchema,
  'leads_get_by_id_with_fields.json': LeadsPageSchema,
  'list_get_leads_page.json': LeadsPageSchema,
  'list_leads_page_with_nextPageToken.json': LeadsPageSchema,
  'lists_page_with_nextPageToken.json': ListsPageSchema,
  'leads_describe.json': DescribeLeadsSchema,
  'leads_upsert_created.json': RecordResultsSchema,
  'leads_upsert_updated_two.json': RecordResultsSchema,
  'leads_upsert_updated_and_skipped_1003.json': RecordResultsSchema,
  'leads_delete.json': RecordResultsSchema,
  'submit_form_skipped_1004.json': RecordResultsSchema,
  'list_add_leads_added.json': RecordResultsSchema,
  'list_remove_leads_removed_and_skipped_1015.json': RecordResultsSchema,
  'asset_static_list_by_name.json': StaticListsSchema,
  'asset_static_list_by_name_not_found.json': StaticListsSchema,
  'asset_static_list_create.json': StaticListsSchema,
  'asset_static_list_delete.json': DeletedAssetSchema,
  'asset_folder_by_name.json': FoldersSchema,
  'error_601_access_token_invalid.json': EnvelopeSchema,
  'error_602_access_token_expired.json': EnvelopeSchema,
  'error_1013_static_list_not_found.json': EnvelopeSchema,
  // Docs-shaped, not recorded (SOURCE.md): the engagement stream's answers.
  'activities_types.json': ActivityTypesSchema,
  'activities_paging_token.json': PagingTokenSchema,
  'activities_page_1.json': EngagementActivitiesPageSchema,
  'activities_page_2.json': EngagementActivitiesPageSchema,
};
/** Not an answer: the recording log (method, path, headers) of the grouparoo files. */
const NOT_READ = new Set(['_recorded_exchanges_grouparoo.json']);

describe('Marketo response schemas accept every recorded real response', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('has a schema for every fixture', () => {
    expect(files.filter((f) => !SCHEMA_FOR[f] && !NOT_READ.has(f))).toEqual([]);
  });

  it.each(Object.entries(SCHEMA_FOR))('%s', (file, schema) => {
    const result = schema.safeParse(load(file));
    expect(result.success, result.success ? '' : JSON.stringify(result.error.issues)).toBe(true);
  });

  it('accepts every lead inside the recorded pages', () => {
    for (const file of ['leads_get_by_email.json', 'leads_get_by_id_with_fields.json', 'list_get_leads_page.json', 'list_leads_page_with_nextPageToken.json']) {
      const page = load(file) as { result: unknown[] };
      for (const lead of page.result) expect(LeadSchema.safeParse(lead).success, file).toBe(true);
    }
  });

  it('reads the recorded quirks as they are', () => {
    // Error codes are strings; a miss on an asset lookup is a success with a string warning and no result.
    const error = EnvelopeSchema.parse(load('error_601_access_token_invalid.json'));
    expect(error).toMatchObject({ success: false, errors: [{ code: '601', message: 'Access token invalid' }] });
    const miss = StaticListsSchema.parse(load('asset_static_list_by_name_not_found.json'));
    expect(miss.result).toBeUndefined();
    expect(miss.warnings).toEqual(['No assets found for the given search criteria.']);
    // A skipped upsert row has no id.
    const mixed = RecordResultsSchema.parse(load('leads_upsert_updated_and_skipped_1003.json'));
    expect(mixed.result?.[1]).toEqual({ status: 'skipped', reasons: [{ code: '1003', message: "Invalid value for field 'email_field' and value 'bademail'" }] });
    expect(mixed.result?.[1]?.id).toBeUndefined();
  });

  it('refuses what is not a Marketo answer', () => {
    expect(LeadsPageSchema.safeParse({ success: true, result: 'not a list' }).success).toBe(false);
    expect(EnvelopeSchema.safeParse({ result: [] }).success).toBe(false);
    expect(TokenResponseSchema.safeParse({ token_type: 'bearer', expires_in: 3599 }).success).toBe(false);
  });
});
