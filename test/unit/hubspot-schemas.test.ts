import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  BatchResponseSchema,
  CrmObjectSchema,
  ErrorBodySchema,
  ListEnvelopeSchema,
  ObjectPageSchema,
  ObjectWithHistorySchema,
  PropertySchema,
  ScopeErrorsSchema,
  SearchPageSchema,
} from '../../connectors/hubspot/schemas.js';

const DIR = join(import.meta.dirname, '../fixtures/hubspot');
const load = (name: string): unknown => JSON.parse(readFileSync(join(DIR, name), 'utf8'));

/** Which connector schema reads which recorded answer. Every fixture must be listed. */
const SCHEMA_FOR: Record<string, z.ZodType> = {
  'contacts_page.json': ObjectPageSchema,
  'contacts_page_with_history_and_associations.json': ObjectPageSchema,
  'contacts_page_with_counter_history_MODELLED.json': ObjectPageSchema,
  'deals_page.json': ObjectPageSchema,
  'deal_get_with_associations.json': CrmObjectSchema,
  'search_contacts_200.json': SearchPageSchema,
  'search_contacts_200_empty.json': SearchPageSchema,
  'batch_update_contacts_200.json': BatchResponseSchema,
  'batch_create_contacts_201.json': BatchResponseSchema,
  'batch_read_207_partial_object_not_found.json': BatchResponseSchema,
  'property_create_201.json': PropertySchema,
  'lists_v3_create_TRIMMED.json': ListEnvelopeSchema,
  'lists_v3_get_by_name_TRIMMED.json': ListEnvelopeSchema,
  'error_400_invalid_association_type.json': ErrorBodySchema,
  'error_400_list_does_not_exist.json': ErrorBodySchema,
  'error_400_property_doesnt_exist.json': ErrorBodySchema,
  'error_400_property_values_invalid_email.json': ErrorBodySchema,
  'error_404_association_to_object_not_found.json': ErrorBodySchema,
  'error_404_patch_by_idproperty_not_found.json': ErrorBodySchema,
  'error_429_search_secondly_limit.json': ErrorBodySchema,
  'error_401_expired_authentication.json': ErrorBodySchema,
  'error_403_missing_scopes.json': ErrorBodySchema,
  'error_403_missing_granular_scopes.json': ErrorBodySchema,
  'error_403_missing_granular_scopes_all_of_TRIMMED.json': ScopeErrorsSchema,
  'error_409_contact_conflict.json': ErrorBodySchema,
  'error_409_contact_object_already_exists.json': ErrorBodySchema,
  'error_409_property_exists_MODELLED.json': ErrorBodySchema,
};
/** Not answers the connector reads: a recording log and a custom-object schema. */
const NOT_READ = new Set(['_recorded_exchanges_grouparoo.json', 'schema_custom_object_with_properties.json']);

describe('HubSpot response schemas accept every recorded real response', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('has a schema for every fixture', () => {
    expect(files.filter((f) => !SCHEMA_FOR[f] && !NOT_READ.has(f))).toEqual([]);
  });

  it.each(Object.entries(SCHEMA_FOR))('%s', (file, schema) => {
    const result = schema.safeParse(load(file));
    expect(result.success, result.success ? '' : JSON.stringify(result.error.issues)).toBe(true);
  });

  it('reads the property history of every record in the pages read with history', () => {
    for (const file of ['contacts_page_with_history_and_associations.json', 'contacts_page_with_counter_history_MODELLED.json']) {
      const page = load(file) as { results: unknown[] };
      for (const record of page.results) {
        const parsed = ObjectWithHistorySchema.safeParse(record);
        expect(parsed.success, file).toBe(true);
        expect(Object.keys(parsed.data?.propertiesWithHistory ?? {}).length, file).toBeGreaterThan(0);
      }
    }
  });

  it('accepts every record inside the recorded pages and searches', () => {
    for (const file of ['contacts_page.json', 'contacts_page_with_history_and_associations.json', 'deals_page.json', 'search_contacts_200.json', 'batch_update_contacts_200.json']) {
      const page = load(file) as { results: unknown[] };
      for (const record of page.results) expect(CrmObjectSchema.safeParse(record).success, file).toBe(true);
    }
  });

  it('rejects what is not a HubSpot page', () => {
    expect(ObjectPageSchema.safeParse({ results: 'x' }).success).toBe(false);
    expect(SearchPageSchema.safeParse({ results: [] }).success).toBe(false);
    expect(CrmObjectSchema.safeParse({ id: 'abc', properties: {}, createdAt: '', updatedAt: '' }).success).toBe(false);
  });
});
