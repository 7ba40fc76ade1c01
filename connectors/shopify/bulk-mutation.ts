/**
 * Bulk mutation operations, client side (shopify.dev "Bulk import data with the GraphQL Admin
 * API"): stage an upload target (stagedUploadsCreate, resource BULK_MUTATION_VARIABLES), POST the
 * JSONL of variables to it (one line per execution of the mutation), start the operation
 * (bulkOperationRunMutation with the target's `key` as stagedUploadPath), poll it until it ends,
 * and read its result file: one line per input line, `{"data": {...}, "__lineNumber": n}`, with
 * `errors` where that line failed as a request.
 *
 * The bucket is charged only for the staging, the start (10 points each) and the polls (1 point):
 * the lines themselves cost nothing. Before starting one, segsync waits for any bulk mutation of
 * the app that is still running (a killed push's), so that two never change the same customers at
 * once, and it runs its own one after another: that is within both the documented limit (five at
 * a time from 2026-01) and the older one (one at a time).
 */
import { ApiError } from '../../src/http/errors.js';
import { sleep } from '../../src/http/sleep.js';
import { awaitBulkOperation, FINAL_STATUSES, jsonlLines, pollDelayMs, START_ATTEMPTS, type StartedOperation } from './bulk.js';
import { classifyShopifyError, type ShopifyClient } from './client.js';
import { BULK_MUTATION_RUN, BULK_MUTATIONS, STAGED_UPLOADS_CREATE, type BulkMutation } from './documents.js';
import { BulkMutationLineSchema, BulkMutationRunSchema, BulkOperationsSchema, StagedUploadsCreateSchema, type BulkMutationLine } from './schemas.js';
import { DOWNLOAD_RESTARTS } from './source.js';

const PLATFORM = 'shopify';
/**
 * A variables file holds at most this many bytes: Shopify takes up to 100 MB (changelog "Faster
 * bulk operations", 2025; 20 MB before); a larger plan runs as several operations in turn.
 */
export const MAX_VARIABLES_BYTES = 100 * 1024 * 1024;

export interface BulkMutationResult {
  /** The operation as it ended (COMPLETED, or FAILED/CANCELED with what its partial file holds). */
  operation: StartedOperation;
  /** Each answered line by its number; a line missing here did not run (or its answer is unreadable). */
  lines: Map<number, BulkMutationLine>;
  /** Lines of this operation without a readable answer (unreadable result lines, or no file): their outcome is unknown. */
  unanswered: number;
}

function call(mutation: BulkMutation): string {
  return `bulk mutation ${mutation.name} (bulkOperationRunMutation)`;
}

/** The lines as a JSONL file, split below `maxBytes`: one bulk operation per part. */
export function variablesFiles(lines: readonly unknown[], maxBytes = MAX_VARIABLES_BYTES): Array<{ content: string; first: number; count: number }> {
  const files: Array<{ content: string; first: number; count: number }> = [];
  let parts: string[] = [];
  let bytes = 0;
  let first = 0;
  lines.forEach((line, i) => {
    const text = `${JSON.stringify(line)}\n`;
    const size = Buffer.byteLength(text);
    if (parts.length > 0 && bytes + size > maxBytes) {
      files.push({ content: parts.join(''), first, count: parts.length });
      parts = [];
      bytes = 0;
      first = i;
    }
    parts.push(text);
    bytes += size;
  });
  if (parts.length > 0) files.push({ content: parts.join(''), first, count: parts.length });
  return files;
}

/**
 * Waits until no bulk mutation of this app is CREATED, RUNNING or CANCELING (one a killed push
 * left behind). Its lines change customers the new operation is about to write: waiting keeps the
 * two from racing, and what it did is harmless to send again (adding a tag a customer has,
 * setting a metafield to its value). Returns the operations waited for.
 */
export async function awaitRunningBulkMutations(client: ShopifyClient, pollMs: number, signal?: AbortSignal): Promise<string[]> {
  const waited: string[] = [];
  for (let n = 0; ; n++) {
    const { data } = await client.execute(BULK_MUTATIONS, {}, BulkOperationsSchema, signal ? { signal } : {});
    const running = data.bulkOperations.nodes.filter((o) => o.id && !FINAL_STATUSES.has(o.status));
    if (running.length === 0) return waited;
    for (const o of running) if (!waited.includes(o.id!)) waited.push(o.id!);
    await sleep(pollDelayMs(n, pollMs), signal);
  }
}

/** Stages an upload target and POSTs the variables file to it; returns the staged upload path (the `key`). */
async function stageVariables(client: ShopifyClient, mutation: BulkMutation, content: string, signal?: AbortSignal): Promise<string> {
  const filename = `${mutation.name}.jsonl`;
  const input = [{ resource: 'BULK_MUTATION_VARIABLES', filename, mimeType: 'text/jsonl', httpMethod: 'POST' }];
  const { data } = await client.execute(STAGED_UPLOADS_CREATE, { input }, StagedUploadsCreateSchema, signal ? { signal } : {});
  const { stagedTargets, userErrors } = data.stagedUploadsCreate;
  const target = stagedTargets?.[0];
  const key = target?.parameters.find((p) => p.name === 'key')?.value;
  if (userErrors.length > 0 || !target?.url || !key) {
    throw new ApiError({
      platform: PLATFORM,
      call: `stagedUploadsCreate for ${call(mutation)}`,
      kind: userErrors.length > 0 ? 'bad_request' : 'bad_response',
      detail: userErrors.length > 0 ? `Shopify refused the staged upload: ${userErrors.map((e) => e.message).join('; ')}` : 'Shopify answered no upload target with a key',
      hint: 'run the push again; if it persists, set SHOPIFY_BULK_PUSH=never to push with regular mutations',
    });
  }
  await client.uploadStaged(target.url, target.parameters, content, filename, signal);
  return key;
}

/** Starts the operation; while Shopify runs as many bulk mutations as it allows, waits for them and asks again. */
async function startBulkMutation(client: ShopifyClient, mutation: BulkMutation, stagedUploadPath: string, pollMs: number, signal?: AbortSignal): Promise<StartedOperation> {
  for (let attempt = 1; ; attempt++) {
    const { data } = await client.execute(BULK_MUTATION_RUN, { mutation: mutation.mutation, stagedUploadPath }, BulkMutationRunSchema, signal ? { signal } : {});
    const { bulkOperation, userErrors } = data.bulkOperationRunMutation;
    const busy = userErrors.filter((e) => e.code === 'LIMIT_REACHED' || e.code === 'OPERATION_IN_PROGRESS');
    if (busy.length > 0 && busy.length === userErrors.length) {
      if (attempt < START_ATTEMPTS) {
        await awaitRunningBulkMutations(client, pollMs, signal);
        await sleep(pollMs, signal);
        continue;
      }
      throw new ApiError({
        platform: PLATFORM,
        call: call(mutation),
        kind: 'rate_limited',
        detail: `Shopify runs as many bulk mutations for this app as it allows: ${busy.map((e) => e.message).join('; ')}`,
        hint: 'another process using the same app is running bulk mutations on this shop; wait for them to finish and run the push again',
      });
    }
    if (userErrors.length > 0) {
      const transient = userErrors.every((e) => e.code === 'INTERNAL_FILE_SERVER_ERROR' || e.code === 'NO_SUCH_FILE');
      throw new ApiError({
        platform: PLATFORM,
        call: call(mutation),
        kind: transient ? 'retryable' : 'bad_request',
        detail: `Shopify refused the bulk mutation: ${userErrors.map((e) => `${e.message}${e.code ? ` (${e.code})` : ''}`).join('; ')}`,
        hint: transient
          ? 'Shopify could not read the uploaded variables file; run the push again (segsync uploads it anew)'
          : 'this is a segsync bug (its bulk mutations are checked against the Admin API 2026-07 schema); set SHOPIFY_BULK_PUSH=never to push with regular mutations meanwhile',
      });
    }
    if (!bulkOperation?.id) {
      throw new ApiError({ platform: PLATFORM, call: call(mutation), kind: 'bad_response', detail: 'bulkOperationRunMutation answered neither an operation nor userErrors' });
    }
    return bulkOperation as StartedOperation;
  }
}

/** Reads a result file into `lines`, opening it again (and reading it anew) when the download breaks off. */
async function readResult(client: ShopifyClient, url: string, operation: string, signal?: AbortSignal): Promise<{ lines: Map<number, BulkMutationLine> }> {
  for (let restarts = 0; ; restarts++) {
    const lines = new Map<number, BulkMutationLine>();
    try {
      const body = await client.openDownload(url, signal);
      for await (const text of jsonlLines(body, client.config.timeoutMs)) {
        if (text.trim() === '') continue;
        let json: unknown;
        try {
          json = JSON.parse(text) as unknown;
        } catch {
          continue; // counted as unanswered by the caller
        }
        const line = BulkMutationLineSchema.safeParse(json);
        if (line.success) lines.set(line.data.__lineNumber, line.data);
      }
      return { lines };
    } catch (raw) {
      if (signal?.aborted) throw signal.reason;
      const error = raw instanceof ApiError ? raw : classifyShopifyError(raw, `GET bulk result of ${operation}`);
      if (!error.retryable || restarts >= DOWNLOAD_RESTARTS) throw error;
    }
  }
}

/**
 * Runs `mutation` once per line of `variables` as bulk mutation operations (one per
 * MAX_VARIABLES_BYTES of variables), one after another, and returns each operation's result as it
 * ends, with line numbers counted over all of `variables`. An operation that did not complete is
 * returned with what its partial file holds; the caller records that and then fails the push.
 */
export async function* runBulkMutation(
  client: ShopifyClient,
  mutation: BulkMutation,
  variables: readonly unknown[],
  pollMs: number,
  signal?: AbortSignal,
): AsyncGenerator<BulkMutationResult> {
  for (const file of variablesFiles(variables)) {
    const key = await stageVariables(client, mutation, file.content, signal);
    const started = await startBulkMutation(client, mutation, key, pollMs, signal);
    const operation = await awaitBulkOperation(client, started, pollMs, signal ?? new AbortController().signal);
    const url = operation.status === 'COMPLETED' ? operation.url : operation.partialDataUrl;
    const read = url ? await readResult(client, url, operation.id, signal) : { lines: new Map<number, BulkMutationLine>() };
    // Line numbers count within the file; the caller counts over all its variables.
    const lines = new Map([...read.lines].filter(([n]) => n < file.count).map(([n, line]) => [file.first + n, line] as const));
    yield { operation, lines, unanswered: file.count - lines.size };
  }
}

/** Why an operation that did not complete left (some of) its lines without an answer. */
export function unfinishedOperation(mutation: BulkMutation, operation: StartedOperation, unanswered: number): ApiError {
  const code = operation.errorCode ? ` with errorCode ${operation.errorCode}` : '';
  return new ApiError({
    platform: PLATFORM,
    call: call(mutation),
    kind: operation.status === 'FAILED' && operation.errorCode === 'ACCESS_DENIED' ? 'auth' : 'retryable',
    detail: `bulk operation ${operation.id} ended ${operation.status}${code}; ${unanswered} of its lines have no answer, so their changes are not recorded as applied`,
    hint:
      operation.status === 'FAILED' && operation.errorCode === 'ACCESS_DENIED'
        ? 'the app lacks the write_customers scope, or protected customer data access; `segsync doctor` tells which. Then run the push again'
        : 'run the push again: what was confirmed is recorded, the rest is sent again (sending a tag or a metafield value again changes nothing)',
  });
}
