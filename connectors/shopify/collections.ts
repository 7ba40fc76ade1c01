/**
 * Every product's collections, read before the orders (source.ts) so that each order line can
 * carry its product's collection titles. A bulk query of its own on the `products` root
 * (documents.ts PRODUCT_COLLECTIONS_BULK): Shopify refuses `product.collections` inside an order's
 * `lineItems` in bulk (a third level of nesting). Cost: one more bulk operation per read of the
 * orders stream (its mutation, 10 points, and its polls, 1 point each), and a file with one line
 * per product and one per collection membership.
 *
 * Collections are optional: a refused or failed read is a warning, never a failed orders pull, and
 * the lines it could not complete keep the collections stored before (PurchaseItem.unread).
 */
import { z } from 'zod';
import { ApiError } from '../../src/http/errors.js';
import { awaitBulkOperation, bulkFailure, jsonlLines, parseBulkLine, startBulkQuery } from './bulk.js';
import { classifyShopifyError, type ShopifyClient } from './client.js';
import { DEFAULT_BULK_POLL_MS } from './config.js';
import { PRODUCT_COLLECTIONS_BULK } from './documents.js';
/** As for the orders' file (source.ts DOWNLOAD_RESTARTS); not imported from there, which imports this module. */
const DOWNLOAD_RESTARTS = 3;

const ProductLineSchema = z.looseObject({ id: z.string().regex(/^gid:\/\/shopify\/Product\/\d+$/) });
const CollectionLineSchema = z.looseObject({ title: z.string() });

export type ProductCollections = { ok: true; byProduct: Map<string, string[]> } | { ok: false; reason: string };

export function collectionsFailedWarning(reason: string): string {
  return `Shopify: product collections were not read (${reason}); the collections stored earlier are kept, and lines read for the first time have none yet. ` +
    'Product types and vendors are read as usual; run the pull again to read collections.';
}

async function readFile(client: ShopifyClient, operationId: string, url: string, signal: AbortSignal): Promise<Map<string, string[]>> {
  const byProduct = new Map<string, string[]>();
  const body = await client.openDownload(url, signal);
  let index = 0;
  for await (const text of jsonlLines(body, client.config.timeoutMs)) {
    signal.throwIfAborted();
    index++;
    const line = parseBulkLine(text);
    if (line.kind === 'malformed') {
      throw new ApiError({ platform: 'shopify', call: `GET bulk result of ${operationId}`, kind: 'bad_response', detail: `line ${index} of the products file is not JSON (${line.reason})` });
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
  return byProduct;
}

/** Product gid → collection titles, as Shopify lists them. */
export async function readProductCollections(client: ShopifyClient, signal: AbortSignal): Promise<ProductCollections> {
  const pollMs = client.config.bulkPollMs ?? DEFAULT_BULK_POLL_MS;
  try {
    const started = await startBulkQuery(client, PRODUCT_COLLECTIONS_BULK, pollMs, signal);
    const operation = await awaitBulkOperation(client, started, pollMs, signal);
    if (operation.status !== 'COMPLETED') throw bulkFailure(PRODUCT_COLLECTIONS_BULK, operation);
    // No url (null, or "" as recorded): the shop has no products.
    if (!operation.url) return { ok: true, byProduct: new Map() };
    // A download that breaks off is read again from the start (the file is small: a line per product and per membership).
    for (let restarts = 0; ; restarts++) {
      try {
        return { ok: true, byProduct: await readFile(client, operation.id, operation.url, signal) };
      } catch (raw) {
        if (signal.aborted) throw signal.reason;
        const error = raw instanceof ApiError ? raw : classifyShopifyError(raw, `GET bulk result of ${operation.id}`);
        if (!error.retryable || restarts >= DOWNLOAD_RESTARTS) throw error;
      }
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    return { ok: false, reason: error instanceof ApiError ? error.detail : (error as Error)?.message ?? String(error) };
  }
}
