import { z } from 'zod';
import type { Mapping } from '../../src/config/mapping.js';
import type { DiagnoseInput, DiagnosticCheck } from '../../src/domain/connector.js';
import { ApiError } from '../../src/http/errors.js';
import { holdsScope, REQUIRED_SCOPES, type ShopifyClient } from './client.js';
import { ACCESS_SCOPES, CUSTOMER_ACCESS, METAFIELD_DEFINITIONS, METAFIELD_NAMESPACE, type GraphqlDocument } from './documents.js';
import { ShopifyAccountError } from './errors.js';
import { metafieldType, TAG_PREFIX } from './destination.js';
import { AccessScopesSchema, CustomerAccessSchema, MetafieldDefinitionsSchema } from './schemas.js';

/** The cheapest query that proves the token and the shop URL: one object, no connection. */
export const SHOP: GraphqlDocument = {
  name: 'Shop',
  write: false,
  cost: 1,
  query: 'query Shop {\n  shop { name myshopifyDomain }\n}',
};
const ShopSchema = z.object({ shop: z.object({ name: z.string(), myshopifyDomain: z.string() }) });

const APP_CONFIG = 'Settings → Apps and sales channels → Develop apps → your app → Configuration';

function failure(name: string, error: unknown, shopUrl: string): DiagnosticCheck {
  if (!(error instanceof ApiError)) return { name, status: 'fail', detail: (error as Error)?.message ?? String(error) };
  if (error instanceof ShopifyAccountError) {
    return { name: error.problem === 'shop-state' ? 'shopify shop' : 'shopify customer data', status: 'fail', detail: error.detail, ...(error.hint ? { fix: error.hint } : {}) };
  }
  if (error.kind === 'auth' && error.status === 401) {
    return {
      name: 'shopify credentials',
      status: 'fail',
      detail: `credentials rejected: the shop answered 401 (${error.detail})`,
      fix: 'set SHOPIFY_ACCESS_TOKEN to the app\'s Admin API access token, shpat_… (Settings → Apps and sales channels → Develop apps → your app → API credentials)',
    };
  }
  if (error.kind === 'auth') return { name, status: 'fail', detail: error.detail, ...(error.hint ? { fix: error.hint } : {}) };
  if (error.kind === 'retryable') {
    return { name, status: 'fail', detail: `cannot reach the shop at ${shopUrl}: ${error.detail}`, fix: 'check SHOPIFY_SHOP_URL (like https://acme.myshopify.com) and the network' };
  }
  if (error.kind === 'not_found') {
    return { name, status: 'fail', detail: `${shopUrl} has no Admin API (${error.detail})`, fix: 'check SHOPIFY_SHOP_URL: the shop\'s myshopify.com address, like https://acme.myshopify.com' };
  }
  return { name, status: 'fail', detail: `${error.call} failed (${error.kind}): ${error.detail}`, ...(error.hint ? { fix: error.hint } : {}) };
}

/**
 * Read-only checks: the shop (token and URL), the app's granted access scopes, and segsync's
 * customer metafield definitions. Segment lists are customer tags: nothing to look up.
 */
export async function diagnoseShopify(client: ShopifyClient, mapping: Mapping, input: DiagnoseInput): Promise<DiagnosticCheck[]> {
  const shopUrl = client.config.shopUrl;
  const { signal } = input;
  const checks: DiagnosticCheck[] = [];

  try {
    const { data } = await client.execute(SHOP, {}, ShopSchema, { signal });
    checks.push({ name: 'shopify credentials', status: 'ok', detail: `token accepted by ${data.shop.myshopifyDomain} ("${data.shop.name}")` });
  } catch (error) {
    return [failure('shopify credentials', error, shopUrl)];
  }

  let granted: Set<string>;
  try {
    const { data } = await client.execute(ACCESS_SCOPES, {}, AccessScopesSchema, { signal });
    granted = new Set(data.currentAppInstallation.accessScopes.map((s) => s.handle));
  } catch (error) {
    checks.push(failure('shopify scopes', error, shopUrl));
    return checks;
  }
  // write_customers is for the push: a pull-only setup does without it.
  const needed = REQUIRED_SCOPES.filter((s) => input.destination || s !== 'write_customers');
  const missing = needed.filter((s) => s !== 'read_all_orders' && !holdsScope(granted, s));
  if (missing.length > 0) {
    checks.push({
      name: 'shopify scopes',
      status: 'fail',
      detail: `missing scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (granted: ${[...granted].sort().join(', ') || 'none'})`,
      fix: `grant ${missing.join(', ')} to the app (${APP_CONFIG}), then reinstall it`,
    });
  } else if (!holdsScope(granted, 'read_all_orders')) {
    checks.push({
      name: 'shopify scopes',
      status: 'warn',
      detail: `${needed.filter((s) => s !== 'read_all_orders').join(', ')} granted, but not read_all_orders: only the last 60 days of orders are visible, so recency and frequency are truncated`,
      fix: `grant read_all_orders to the app (${APP_CONFIG}), then reinstall it`,
    });
  } else {
    checks.push({ name: 'shopify scopes', status: 'ok', detail: `granted: ${needed.join(', ')}` });
  }
  // Optional: without read_products the pull reads orders without their product (source.ts).
  if (!holdsScope(granted, 'read_products')) {
    checks.push({
      name: 'shopify products',
      status: 'warn',
      detail: 'read_products not granted: order lines are read without their product, so product types and collections are missing and the interests features stay empty (vendors come from the lines)',
      fix: `grant read_products to the app (${APP_CONFIG}), then reinstall it`,
    });
  }
  // Without read_customers nothing below can be read; the scopes line says what to grant.
  if (!holdsScope(granted, 'read_customers')) return checks;
  // Scopes are not enough: Shopify also refuses the Customer object to an app not approved for protected customer data.
  try {
    await client.execute(CUSTOMER_ACCESS, {}, CustomerAccessSchema, { signal });
  } catch (error) {
    checks.push(failure('shopify customer data', error, shopUrl));
    return checks;
  }
  if (!input.destination) return checks;
  const canWrite = holdsScope(granted, 'write_customers');

  if (input.tokens.length > 0) {
    try {
      const { data } = await client.execute(METAFIELD_DEFINITIONS, { namespace: METAFIELD_NAMESPACE }, MetafieldDefinitionsSchema, { signal });
      const existing = new Map(data.metafieldDefinitions.nodes.map((d) => [d.key, d.type.name]));
      const absent: string[] = [];
      const wrong: DiagnosticCheck[] = [];
      for (const token of input.tokens) {
        const key = mapping.tokens[token.key];
        if (!key) continue;
        const wanted = metafieldType(token);
        const have = existing.get(key);
        if (have === undefined) absent.push(`${METAFIELD_NAMESPACE}.${key}`);
        else if (have !== wanted) {
          wrong.push({
            name: 'shopify token metafields',
            status: 'fail',
            detail: `customer metafield definition ${METAFIELD_NAMESPACE}.${key} exists with type ${have}; token ${token.key} needs ${wanted}`,
            fix: `delete that definition in the Shopify admin (Settings → Custom data → Customers), or map token ${token.key} to another key in mappings/shopify.yaml`,
          });
        }
      }
      if (wrong.length > 0) checks.push(...wrong);
      else if (absent.length === 0) {
        checks.push({ name: 'shopify token metafields', status: 'ok', detail: `all ${input.tokens.length} customer metafield definitions (${METAFIELD_NAMESPACE}.*) exist with the right types` });
      } else if (canWrite) {
        checks.push({
          name: 'shopify token metafields',
          status: 'ok',
          detail: `${input.tokens.length - absent.length} of ${input.tokens.length} customer metafield definitions exist; the next push creates ${absent.join(', ')} (write_customers granted)`,
        });
      }
      // Without write_customers the scopes line already failed and says what to grant.
    } catch (error) {
      checks.push(failure('shopify token metafields', error, shopUrl));
    }
  }

  if (input.lists.length > 0 && canWrite) {
    checks.push({
      name: 'shopify lists',
      status: 'ok',
      detail: `segments are customer tags (${input.lists.length}, like ${input.lists[0]!.listName.startsWith(TAG_PREFIX) ? input.lists[0]!.listName : `${TAG_PREFIX}…`}); the next push adds and removes them (write_customers granted)`,
    });
  }
  return checks;
}
