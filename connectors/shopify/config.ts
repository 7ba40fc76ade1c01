import { z } from 'zod';
import { parseOrThrow } from '../../src/config/errors.js';

/** The one Admin API version segsync speaks; the vendored schema (schema/admin_2026-07.json.gz) matches it. */
export const SHOPIFY_API_VERSION = '2026-07';
export const SHOPIFY_GRAPHQL_PATH = `/admin/api/${SHOPIFY_API_VERSION}/graphql.json`;
/**
 * The longest wait between two polls of a running bulk operation. Polls start 250 ms apart and
 * double up to this, so a small operation is noticed as soon as it is done and a long one costs a
 * poll (1 point) every few seconds.
 */
export const DEFAULT_BULK_POLL_MS = 3_000;

const ShopUrl = z
  .string({ error: 'set it to your shop\'s URL, e.g. https://acme.myshopify.com' })
  .min(1, 'set it to your shop\'s URL, e.g. https://acme.myshopify.com')
  // A bare "acme.myshopify.com" is what the admin shows; accept it as https.
  .transform((v) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(v.trim()) ? v.trim() : `https://${v.trim()}`))
  .pipe(z.url({ protocol: /^https?$/, message: 'must be a URL like https://acme.myshopify.com' }));

const EnvSchema = z.object({
  SHOPIFY_ACCESS_TOKEN: z.string().min(1, 'set it to the Admin API access token (shpat_…)'),
  SHOPIFY_SHOP_URL: ShopUrl,
  SHOPIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  SHOPIFY_BULK_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(DEFAULT_BULK_POLL_MS),
  SHOPIFY_BULK_PUSH: z.enum(['auto', 'never', 'always'], { error: 'must be auto, never or always' }).default('auto'),
});

export interface ShopifyConfig {
  /** e.g. https://acme.myshopify.com, no trailing slash; the API path is appended. */
  shopUrl: string;
  accessToken: string;
  timeoutMs: number;
  /** Longest wait between polls of a bulk operation (SHOPIFY_BULK_POLL_MS); default DEFAULT_BULK_POLL_MS. */
  bulkPollMs?: number;
  /**
   * Large pushes as bulk mutation operations (SHOPIFY_BULK_PUSH): `auto` (default) when the regular
   * mutations would wait long for the bucket (bulk-push.ts), `never`, or `always`.
   */
  bulkPush?: 'auto' | 'never' | 'always';
  /** Retry policy, shortened in tests. */
  backoff?: { baseMs: number; maxMs: number };
  maxAttempts?: number;
}

export function shopifyConfigFromEnv(env: NodeJS.ProcessEnv): ShopifyConfig | undefined {
  if (!env.SHOPIFY_ACCESS_TOKEN) return undefined;
  const parsed = parseOrThrow(
    EnvSchema,
    Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('SHOPIFY_') && v !== '')),
    'the Shopify environment (SHOPIFY_*)',
  );
  return {
    shopUrl: parsed.SHOPIFY_SHOP_URL.replace(/\/+$/, ''),
    accessToken: parsed.SHOPIFY_ACCESS_TOKEN,
    timeoutMs: parsed.SHOPIFY_TIMEOUT_MS,
    bulkPollMs: parsed.SHOPIFY_BULK_POLL_MS,
    bulkPush: parsed.SHOPIFY_BULK_PUSH,
  };
}

export function graphqlEndpoint(config: Pick<ShopifyConfig, 'shopUrl'>): string {
  return `${config.shopUrl}${SHOPIFY_GRAPHQL_PATH}`;
}
