/**
 * Bulk query operations, client side: start one (bulkOperationRunQuery), poll it until it ends
 * (bulkOperation(id:)), and read its JSONL result file line by line.
 *
 * Shopify (shopify.dev, API 2026-07): a bulk query runs the inner query over every record in the
 * background and costs the bucket only its mutation (10 points) and polls (1 point each); when it
 * is COMPLETED, `url` is a signed link to a JSONL file valid for seven days (null when the query
 * found nothing); FAILED operations carry an `errorCode` (ACCESS_DENIED, INTERNAL_SERVER_ERROR,
 * TIMEOUT) and maybe a `partialDataUrl`. Each line of the file is one node of a connection; the
 * nodes of a nested connection are lines of their own with `__parentId`. From 2026-01 an app may
 * run five bulk query operations at a time per shop (before: one).
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { createInterface } from 'node:readline';
import { PROTECTED_DATA_DOCS, ShopifyAccountError } from './errors.js';
import { ApiError } from '../../src/http/errors.js';
import { sleep } from '../../src/http/sleep.js';
import { TimeoutError } from '../../src/http/transport.js';
import type { ShopifyClient } from './client.js';
import { BULK_OPERATION, BULK_QUERY_RUN, CUSTOMER_ACCESS, type BulkQuery } from './documents.js';
import { BulkOperationQuerySchema, BulkQueryRunSchema, CustomerAccessSchema, type BulkOperation, type BulkStatus } from './schemas.js';

const PLATFORM = 'shopify';
/** The first poll comes this soon; later ones wait twice as long each time, up to the configured interval. */
export const FIRST_POLL_MS = 250;
/** Starting an operation while five run already (LIMIT_REACHED): how often segsync waits a poll interval and asks again. */
export const START_ATTEMPTS = 5;

/** Statuses after which the operation changes no more. */
export const FINAL_STATUSES: ReadonlySet<BulkStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED']);

export type StartedOperation = BulkOperation & { id: string };

function bulkCall(query: BulkQuery): string {
  return `bulk query ${query.name} (bulkOperationRunQuery)`;
}

/** Inner queries compare equal whatever their whitespace (Shopify may give the query back reformatted). */
export function sameQuery(a: string | undefined, b: string): boolean {
  return a !== undefined && a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim();
}

/** The wait before poll number `n` (0-based): 250 ms, 500 ms, 1 s, … up to `maxMs`. */
export function pollDelayMs(n: number, maxMs: number): number {
  return Math.min(maxMs, FIRST_POLL_MS * 2 ** Math.min(n, 20));
}

/** Starts a bulk query operation; waits and asks again while Shopify runs as many as it allows. */
export async function startBulkQuery(client: ShopifyClient, query: BulkQuery, pollMs: number, signal: AbortSignal): Promise<StartedOperation> {
  for (let attempt = 1; ; attempt++) {
    const { data } = await client.execute(BULK_QUERY_RUN, { query: query.query, groupObjects: query.groupObjects }, BulkQueryRunSchema, { signal });
    const { bulkOperation, userErrors } = data.bulkOperationRunQuery;
    const busy = userErrors.filter((e) => e.code === 'LIMIT_REACHED' || e.code === 'OPERATION_IN_PROGRESS');
    if (busy.length > 0 && userErrors.length === busy.length) {
      if (attempt < START_ATTEMPTS) {
        await sleep(pollMs, signal);
        continue;
      }
      throw new ApiError({
        platform: PLATFORM,
        call: bulkCall(query),
        kind: 'rate_limited',
        detail: `Shopify runs as many bulk operations for this app as it allows: ${busy.map((e) => e.message).join('; ')}`,
        hint: 'another process using the same app is running bulk operations on this shop; wait for them to finish (or cancel them with bulkOperationCancel) and run the pull again',
      });
    }
    if (userErrors.length > 0) {
      throw new ApiError({
        platform: PLATFORM,
        call: bulkCall(query),
        kind: 'bad_request',
        detail: `Shopify refused the bulk query: ${userErrors.map((e) => `${e.message}${e.code ? ` (${e.code})` : ''}`).join('; ')}`,
        hint: 'the bulk query selects the paths in mappings/shopify.yaml; check them against the Admin API 2026-07 schema',
      });
    }
    if (!bulkOperation?.id) {
      throw new ApiError({ platform: PLATFORM, call: bulkCall(query), kind: 'bad_response', detail: 'bulkOperationRunQuery answered neither an operation nor userErrors' });
    }
    return bulkOperation as StartedOperation;
  }
}

/** The operation as Shopify reports it now; null when this app has no operation with that id (any more). */
export async function fetchBulkOperation(client: ShopifyClient, id: string, signal: AbortSignal): Promise<BulkOperation | null> {
  const { data } = await client.execute(BULK_OPERATION, { id }, BulkOperationQuerySchema, { signal });
  return data.bulkOperation;
}

/** Polls until the operation ends, with waits growing from 250 ms to `pollMs`; each poll is paced like any query. */
export async function awaitBulkOperation(client: ShopifyClient, operation: StartedOperation, pollMs: number, signal: AbortSignal): Promise<StartedOperation> {
  let current: BulkOperation = operation;
  for (let n = 0; !FINAL_STATUSES.has(current.status); n++) {
    await sleep(pollDelayMs(n, pollMs), signal);
    const polled = await fetchBulkOperation(client, operation.id, signal);
    if (!polled) {
      throw new ApiError({ platform: PLATFORM, call: `bulk operation ${operation.id}`, kind: 'not_found', detail: 'the bulk operation disappeared while it ran', hint: 'run the command again' });
    }
    current = polled;
  }
  return { ...current, id: operation.id };
}

/** A bulk operation that ended without a usable result. */
export function bulkFailure(query: BulkQuery, operation: StartedOperation): ApiError {
  const code = operation.errorCode ?? null;
  const objects = operation.objectCount !== undefined ? ` after ${operation.objectCount} objects` : '';
  const partial = operation.partialDataUrl ? '; Shopify kept partial results, which segsync does not use (a full pull must be complete)' : '';
  const detail = `bulk operation ${operation.id} ended ${operation.status}${code ? ` with errorCode ${code}` : ''}${objects}${partial}`;
  const call = bulkCall(query);
  if (operation.status === 'FAILED' && code === 'ACCESS_DENIED') {
    return new ApiError({
      platform: PLATFORM,
      call,
      kind: 'auth',
      detail,
      hint: `the app lacks a scope the ${query.connection} query needs (read_customers, read_orders), or is not approved for protected customer data (${PROTECTED_DATA_DOCS}); \`segsync doctor\` tells which. Then run the pull again`,
    });
  }
  if (operation.status === 'FAILED' && code === 'TIMEOUT') {
    return new ApiError({ platform: PLATFORM, call, kind: 'retryable', detail, hint: 'Shopify timed out running the query; select fewer fields in mappings/shopify.yaml, or run the pull again' });
  }
  if (operation.status === 'CANCELED') {
    return new ApiError({ platform: PLATFORM, call, kind: 'retryable', detail, hint: 'someone canceled the operation (bulkOperationCancel); run the pull again to start a new one' });
  }
  if (operation.status === 'EXPIRED') {
    return new ApiError({ platform: PLATFORM, call, kind: 'not_found', detail, hint: 'its results expired (7 days); run the pull again to start a new one' });
  }
  return new ApiError({ platform: PLATFORM, call, kind: 'retryable', detail, hint: 'Shopify says such failures may be intermittent; run the pull again (segsync starts a new operation)' });
}

/**
 * bulkFailure, told apart for ACCESS_DENIED, which does not say why: a read of one customer shows
 * whether the app lacks protected customer data access (or the shop's state refuses it) rather
 * than a scope.
 */
export async function explainedBulkFailure(client: ShopifyClient, query: BulkQuery, operation: StartedOperation, signal?: AbortSignal): Promise<ApiError> {
  const failure = bulkFailure(query, operation);
  if (operation.status !== 'FAILED' || operation.errorCode !== 'ACCESS_DENIED') return failure;
  try {
    await client.execute(CUSTOMER_ACCESS, {}, CustomerAccessSchema, signal ? { signal } : {});
  } catch (error) {
    if (error instanceof ShopifyAccountError) return error;
  }
  return failure;
}

// ---------------------------------------------------------------------------------------------
// The result file
// ---------------------------------------------------------------------------------------------

export type BulkLine =
  /** A node of the top-level connection (or anything else that is JSON: the mapper judges it). */
  | { kind: 'record'; value: unknown }
  /** A node of a nested connection: `__parentId` names the node it belongs to. */
  | { kind: 'child'; parentId: string; value: Record<string, unknown> }
  | { kind: 'blank' }
  /** Not JSON at all: the file is damaged. */
  | { kind: 'malformed'; reason: string };

export function parseBulkLine(text: string): BulkLine {
  if (text.trim() === '') return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    return { kind: 'malformed', reason: (error as Error).message };
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && '__parentId' in value) {
    const { __parentId: parentId, ...rest } = value as Record<string, unknown>;
    if (typeof parentId === 'string' && parentId !== '') return { kind: 'child', parentId, value: rest };
  }
  return { kind: 'record', value };
}

/**
 * The lines of a result file as they arrive, never the whole file: readline over the response
 * body, which pauses the download while the caller works through what it has. A body that sends
 * nothing for `idleMs` while a line is awaited fails with a TimeoutError.
 */
export async function* jsonlLines(body: ReadableStream<Uint8Array>, idleMs: number): AsyncGenerator<string> {
  const input = Readable.fromWeb(body as unknown as NodeReadableStream<Uint8Array>);
  // Errors reach the caller through the line iterator (or the idle timeout); a destroyed web
  // stream reports its error once its reader is cancelled, after readline has let go of it.
  input.on('error', () => undefined);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const iterator = lines[Symbol.asyncIterator]();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const next = iterator.next();
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new TimeoutError(idleMs);
          input.destroy(error);
          reject(error);
        }, idleMs);
      });
      next.catch(() => undefined);
      let step: IteratorResult<string>;
      try {
        step = await Promise.race([next, idle]);
      } finally {
        // Only while waiting for the body: not while the caller works on the line.
        clearTimeout(timer);
      }
      if (step.done) return;
      yield step.value;
    }
  } finally {
    lines.close();
    input.destroy();
  }
}
