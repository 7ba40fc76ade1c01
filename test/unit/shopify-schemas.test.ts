import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  CustomersPageSchema,
  EnvelopeSchema,
  MetafieldDefinitionCreateSchema,
  MetafieldsSetPayloadSchema,
  TagsPayloadSchema,
  ThrottleStatusSchema,
  UserErrorSchema,
} from '../../connectors/shopify/schemas.js';
import bulkRunning from '../fixtures/shopify/bulk_current_operation_running_ALAppExt.json' with { type: 'json' };
import catalogs from '../fixtures/shopify/catalogs_page_with_edge_cursor_ALAppExt.json' with { type: 'json' };
import customersEmpty from '../fixtures/shopify/customers_page_empty_ALAppExt.json' with { type: 'json' };
import draftOrderCreate from '../fixtures/shopify/draftOrderCreate_ALAppExt.json' with { type: 'json' };
import graphqlError from '../fixtures/shopify/error_graphql_query_with_cost.json' with { type: 'json' };
import internalError from '../fixtures/shopify/error_internal_server_error.json' with { type: 'json' };
import invalidVariable from '../fixtures/shopify/error_invalid_variable_value.json' with { type: 'json' };
import throttledMinimal from '../fixtures/shopify/error_throttled_minimal.json' with { type: 'json' };
import fulfillmentUserError from '../fixtures/shopify/fulfillmentCreate_user_error_ALAppExt.json' with { type: 'json' };
import definitionTaken from '../fixtures/shopify/metafieldDefinitionCreate_user_error_TAKEN.json' with { type: 'json' };
import metafieldsInvalid from '../fixtures/shopify/metafieldsSet_user_errors_INVALID_VALUE.json' with { type: 'json' };
import orderTransactions from '../fixtures/shopify/order_transactions_query_ALAppExt.json' with { type: 'json' };
import escapedSlashes from '../fixtures/shopify/privateMetafieldDelete_escaped_slashes.json' with { type: 'json' };
import emptyUserErrors from '../fixtures/shopify/publishablePublish_empty_userErrors_ALAppExt.json' with { type: 'json' };
import shopQuery from '../fixtures/shopify/shop_query.json' with { type: 'json' };
import staff from '../fixtures/shopify/staff_members_page_ALAppExt.json' with { type: 'json' };
import protectedQuery from '../fixtures/shopify/error_access_denied_protected_customer_data_MODELLED.json' with { type: 'json' };
import protectedDocs from '../fixtures/shopify/error_protected_customer_data_docs_example.json' with { type: 'json' };
import protectedTags from '../fixtures/shopify/tagsAdd_partial_protected_customer_data_MODELLED.json' with { type: 'json' };
import pendingTermination from '../fixtures/shopify/error_shop_pending_termination.json' with { type: 'json' };
import unavailableShop from '../fixtures/shopify/error_402_unavailable_shop.json' with { type: 'json' };
import lockedShop from '../fixtures/shopify/error_423_locked_MODELLED.json' with { type: 'json' };

function accepts(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value);
  expect(result.success, result.success ? '' : JSON.stringify(result.error.issues)).toBe(true);
  return result.success ? (result.data as unknown) : undefined;
}

describe('Shopify response schemas accept the recorded real answers', () => {
  const all = {
    bulkRunning, catalogs, customersEmpty, draftOrderCreate, graphqlError, internalError, invalidVariable, throttledMinimal,
    fulfillmentUserError, definitionTaken, metafieldsInvalid, orderTransactions, escapedSlashes, emptyUserErrors, shopQuery, staff,
    protectedQuery, protectedDocs, protectedTags, pendingTermination, unavailableShop, lockedShop,
  };

  it('every recorded body is a valid envelope', () => {
    for (const [name, body] of Object.entries(all)) {
      const result = EnvelopeSchema.safeParse(body);
      expect(result.success, name).toBe(true);
    }
  });

  it('throttleStatus with float numbers (2000.0) and a cost without throttleStatus', () => {
    accepts(ThrottleStatusSchema, catalogs.extensions.cost.throttleStatus);
    const env = accepts(EnvelopeSchema, bulkRunning) as z.infer<typeof EnvelopeSchema>;
    expect(env.extensions?.cost?.throttleStatus).toBeUndefined();
  });

  it('a customers page given as edges (no nodes) becomes nodes', () => {
    const page = accepts(CustomersPageSchema, customersEmpty.data) as z.output<typeof CustomersPageSchema>;
    expect(page.customers).toEqual({ pageInfo: { hasNextPage: false }, nodes: [] });
  });

  it('userErrors with and without code, with elementIndex absent', () => {
    const set = accepts(MetafieldsSetPayloadSchema, metafieldsInvalid.data.metafieldsSet) as z.infer<typeof MetafieldsSetPayloadSchema>;
    expect(set.userErrors.map((e) => e.field)).toEqual([['metafields', '0', 'value'], ['metafields', '1', 'value']]);
    accepts(MetafieldDefinitionCreateSchema, definitionTaken.data);
    for (const e of fulfillmentUserError.data.fulfillmentCreate.userErrors) accepts(UserErrorSchema, e);
    accepts(TagsPayloadSchema, { node: null, userErrors: emptyUserErrors.data.publishablePublish.userErrors });
  });

  it('errors as an array with extensions, and data: null', () => {
    const env = accepts(EnvelopeSchema, graphqlError) as z.infer<typeof EnvelopeSchema>;
    expect(env.data).toBeNull();
    expect((env.errors as Array<{ message: string }>)[0]!.message).toBe('you must provide one of first or last');
  });

  it('a REST-style string `errors` (401/403 bodies)', () => {
    accepts(EnvelopeSchema, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
  });

  it('gids written with escaped slashes read as ordinary gids', () => {
    expect(escapedSlashes.data.privateMetafieldDelete.deletedPrivateMetafieldId).toBe('gid://shopify/PrivateMetafield/91994587359');
  });
});
