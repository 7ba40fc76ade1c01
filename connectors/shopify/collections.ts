/**
 * Every product's collections, read before the orders (source.ts) so that each order line can
 * carry its product's collection titles. A bulk query of its own on the `products` root
 * (documents.ts PRODUCT_COLLECTIONS_BULK): Shopify refuses `product.collections` inside an order's
 * `lineItems` in bulk (a third level of nesting). Cost: one more bulk operation per read of the
 * orders stream (its mutation, 10 points, and its polls, 1 point each), and a file with one line
 * per product and one per collection membership.
 *
 * Collections are optional: a refused or failed read is a warning, never a failed orders pull.
 */
import { z } from 'zod';
import { ApiError } from '../../src/http/errors.js';
import { awaitBulkOperation, bulkFailure, jsonlLines, parseBulkLine, startBulkQuery } from './bulk.js';
import type { ShopifyClient } from './client.js';
import { DEFAULT_BULK_POLL_MS } from './config.js';
import { PRODUCT_COLLECTIONS_BULK } from './documents.js';

const ProductLineSchema = z.looseObject({ id: z.string().regex(/^gid:\/\/shopify\/Product\/\d+$/) });
const CollectionLineSchema = z.looseObject({ title: z.string() });

export type ProductCollections = { ok: true; byProduct: Map<string, string[]> } | { ok: false; reason: string };

export function collectionsFailedWarning(reason: string): string {
  return `Shopify: product collections were not read (${reason}); every order line's collections are left empty this pull. ` +
    'Product types and vendors are read as usual; run the pull again to read collections.';
}

/** Product gid → collection titles, as Shopify lists them. */
export async function readProductCollections(client: ShopifyClient, signal: AbortSignal): Promise<ProductCollections> {
  const pollMs = client.config.bulkPollMs ?? DEFAULT_BULK_POLL_MS;
  try {
    const started = await startBulkQuery(client, PRODUCT_COLLECTIONS_BULK, pollMs, signal);
    const operation = await awaitBulkOperation(client, started, pollMs, signal);
    if (operation.status !== 'COMPLETED') throw bulkFailure(PRODUCT_COLLECTIONS_BULK, operation);
    const byProduct = new Map<string, string[]>();
    // No url (null, or "" as recorded): the shop has no products.
    if (!operation.url) return { ok: true, byProduct };
    const body = await client.openDownload(operation.url, signal);
    let index = 0;
    for await (const text of jsonlLines(body, client.config.timeoutMs)) {
      index++;
      const line = parseBulkLine(text);
      if (line.kind === 'malformed') {
        throw new ApiError({ platform: 'shopify', call: `GET bulk result of ${operation.id}`, kind: 'bad_response', detail: `line ${index} of the products file is not JSON (${line.reason})` });
      }
      if (line.kind === 'record') {
        const product = ProductLineSchema.safeParse(line.value);
        if (product.success && !byProduct.has(product.data.id)) byProduct.set(product.data.id, []);
      } else if (line.kind === 'child') {
        // Each child names its product: the file's order does not matter.
        const collection = CollectionLineSchema.safeParse(line.value);
        if (!collection.success) continue;
        const titles = byProduct.get(line.parentId) ?? [];
        if (!titles.includes(collection.data.title)) titles.push(collection.data.title);
        byProduct.set(line.parentId, titles);
      }
    }
    return { ok: true, byProduct };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    return { ok: false, reason: error instanceof ApiError ? error.detail : (error as Error)?.message ?? String(error) };
  }
}
