import type { z } from 'zod';
import { ApiError, kindForStatus, parseRetryAfter, type ApiErrorKind } from '../../src/http/errors.js';
import { RollingWindowLimiter } from '../../src/http/rate-limiter.js';
import { MalformedResponse, parseAnswer } from '../../src/http/answer.js';
import { TimeoutError, Transport, type TransportEvents } from '../../src/http/transport.js';
import { graphqlEndpoint, SHOPIFY_GRAPHQL_PATH, type ShopifyConfig } from './config.js';
import { CostPacer, throttledWaitMs } from './cost.js';
import type { GraphqlDocument } from './documents.js';
import { isProtectedDataError, protectedDataError, shopStateFromGraphql, shopStateFromHttp } from './errors.js';
import { EnvelopeSchema, type Cost, type Envelope, type GraphqlError } from './schemas.js';

const PLATFORM = 'shopify';
export const REQUIRED_SCOPES = ['read_customers', 'write_customers', 'read_orders', 'read_all_orders'] as const;

/** Whether the granted scopes hold `scope`: Shopify grants read_x with write_x. */
export const holdsScope = (granted: ReadonlySet<string>, scope: string): boolean =>
  granted.has(scope) || (scope.startsWith('read_') && granted.has(`write_${scope.slice(5)}`));
/** Without a throttleStatus to compute from, a THROTTLED answer is retried after this long. */
const THROTTLED_FALLBACK_MS = 1_000;

/** A non-2xx answer, kept whole until the transport classifies it. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly headers: Map<string, string>,
    readonly body: string,
    readonly requestedCost: number,
  ) {
    super(`HTTP ${status}`);
  }
}


const AUTH_HINT =
  `check SHOPIFY_ACCESS_TOKEN (the app's Admin API access token, shpat_…) and that the app has the scopes ${REQUIRED_SCOPES.join(', ')}`;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorList(errors: Envelope['errors']): GraphqlError[] {
  if (errors === undefined) return [];
  if (typeof errors === 'string') return [{ message: errors }];
  if (Array.isArray(errors)) return errors;
  // REST-style {"errors":{"query":"Required parameter missing or invalid"}}
  return Object.entries(errors).map(([k, v]) => ({ message: `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}` }));
}

function codeOf(error: GraphqlError): string | undefined {
  const code = error.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/** "Required access: `read_orders` access scope." → read_orders */
export function missingScope(text: string): string | undefined {
  return /\b((?:unauthenticated_)?(?:read|write)_[a-z_]+)\b/.exec(text)?.[1];
}

function authError(call: string, message: string, status?: number): ApiError {
  const scope = missingScope(message);
  return new ApiError({
    platform: PLATFORM,
    call,
    kind: 'auth',
    ...(status !== undefined ? { status } : {}),
    detail: scope ? `the app lacks the ${scope} scope (Shopify: ${message})` : message,
    hint: scope
      ? `grant the ${scope} access scope to the app in the Shopify admin (Settings → Apps and sales channels → Develop apps → Configuration), then reinstall it`
      : AUTH_HINT,
  });
}

function throttleWait(requested: number, cost: Cost | undefined, pacer: CostPacer): number {
  const req = cost?.requestedQueryCost ?? requested;
  if (cost?.throttleStatus) return Math.max(throttledWaitMs(req, cost.throttleStatus), 0);
  const estimate = pacer.waitMs(req);
  return pacer.bucket ? estimate : THROTTLED_FALLBACK_MS;
}

function rateLimited(call: string, waitMs: number, status?: number): ApiError {
  return new ApiError({
    platform: PLATFORM,
    call,
    kind: 'rate_limited',
    ...(status !== undefined ? { status } : {}),
    detail: `throttled: the app's query-cost bucket is empty; retrying in ${(waitMs / 1000).toFixed(1)} s`,
    retryAfterMs: waitMs,
    hint: 'segsync paces itself by the bucket Shopify reports; repeated throttling means something else uses the same app\'s credentials on this store',
  });
}

function deniedError(call: string, denied: GraphqlError): ApiError {
  const required = denied.extensions?.requiredAccess;
  return authError(call, `${denied.message}${typeof required === 'string' && !denied.message.includes(required) ? ` ${required}` : ''}`);
}

/**
 * The errors of one line of a bulk mutation's result that are about the app or the shop, not the
 * line (a missing scope, protected customer data refused on the mutation itself, the shop's
 * state): the push fails with the same error a regular request would have given. Undefined for
 * errors that belong to the line alone.
 */
export function accountErrorOf(call: string, errors: readonly GraphqlError[]): ApiError | undefined {
  const shopState = shopStateFromGraphql(call, [...errors]);
  if (shopState) return shopState;
  // Below the mutation field (its payload) a refusal is a read the write did not need.
  const protectedData = errors.find((e) => isProtectedDataError(e) && (e.path?.length ?? 0) <= 1);
  if (protectedData) return protectedDataError(call, protectedData);
  const denied = errors.find((e) => codeOf(e) === 'ACCESS_DENIED' && !isProtectedDataError(e));
  return denied ? deniedError(call, denied) : undefined;
}

/** Turns GraphQL `errors` (HTTP 200) into the taxonomy; returns undefined when they are per-field and the caller takes them. */
function classifyGraphqlErrors(
  call: string,
  errors: GraphqlError[],
  cost: Cost | undefined,
  requested: number,
  pacer: CostPacer,
  partial: boolean,
): ApiError | undefined {
  if (errors.some((e) => codeOf(e) === 'THROTTLED' || e.message === 'Throttled')) return rateLimited(call, throttleWait(requested, cost, pacer));
  const shopState = shopStateFromGraphql(call, errors);
  if (shopState) return shopState;
  const protectedData = errors.find(isProtectedDataError);
  if (protectedData) {
    // A mutation's fields ran; only reading the Customer back was refused: each alias says how it went.
    const perAlias = (e: GraphqlError) => typeof e.path?.[0] === 'string' && (isProtectedDataError(e) || (codeOf(e) !== 'ACCESS_DENIED' && !codeOf(e)?.startsWith('MAX_COST')));
    if (partial && errors.every(perAlias)) return undefined;
    return protectedDataError(call, protectedData);
  }
  const denied = errors.find((e) => codeOf(e) === 'ACCESS_DENIED');
  if (denied) return deniedError(call, denied);
  const internal = errors.find((e) => codeOf(e) === 'INTERNAL_SERVER_ERROR');
  if (internal) return new ApiError({ platform: PLATFORM, call, kind: 'retryable', detail: internal.message.split('\n')[0] ?? internal.message });
  // Errors tied to one aliased mutation field are that field's failure, not the request's.
  if (partial && errors.every((e) => typeof e.path?.[0] === 'string' && !codeOf(e)?.startsWith('MAX_COST'))) return undefined;
  const cap = errors.find((e) => codeOf(e) === 'MAX_COST_EXCEEDED');
  return new ApiError({
    platform: PLATFORM,
    call,
    kind: 'bad_request',
    detail: errors.map((e) => `${e.message.split('\n')[0]}${e.path ? ` (at ${e.path.join('.')})` : ''}`).join('; '),
    hint: cap
      ? 'the query asks for too much at once; this is a segsync bug unless the mapping selects many nested objects (mappings/shopify.yaml)'
      : 'if a field is named, check the GraphQL paths in mappings/shopify.yaml against the Admin API 2026-07 schema',
  });
}

export function classifyShopifyError(error: unknown, call: string, pacer?: CostPacer): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HttpFailure) {
    const json = parseJson(error.body);
    const envelope = EnvelopeSchema.safeParse(json);
    const messages = envelope.success ? errorList(envelope.data.errors).map((e) => e.message) : [];
    const detail = messages.join('; ') || error.body.slice(0, 200) || `HTTP ${error.status}`;
    const shopState = shopStateFromHttp(call, error.status, detail);
    if (shopState) return shopState;
    const protectedData = envelope.success ? errorList(envelope.data.errors).find(isProtectedDataError) : undefined;
    if (protectedData) return protectedDataError(call, protectedData, error.status);
    if (error.status === 401 || error.status === 403) return authError(call, detail, error.status);
    const kind: ApiErrorKind = kindForStatus(error.status);
    if (kind === 'rate_limited') {
      const cost = envelope.success ? envelope.data.extensions?.cost : undefined;
      const retryAfter = parseRetryAfter(error.headers.get('retry-after'));
      const wait = retryAfter ?? (pacer ? throttleWait(error.requestedCost, cost, pacer) : THROTTLED_FALLBACK_MS);
      return rateLimited(call, wait, error.status);
    }
    return new ApiError({ platform: PLATFORM, call, kind, status: error.status, detail });
  }
  if (error instanceof TimeoutError) return new ApiError({ platform: PLATFORM, call, kind: 'retryable', detail: error.message, cause: error });
  if (error instanceof MalformedResponse) return new ApiError({ platform: PLATFORM, call, kind: 'bad_response', detail: error.message, cause: error });
  const code = (error as { code?: string; cause?: { code?: string } } | null)?.cause?.code ?? (error as { code?: string } | null)?.code;
  return new ApiError({
    platform: PLATFORM,
    call,
    kind: 'retryable',
    detail: `network error${code ? ` ${code}` : ''}: ${(error as Error)?.message ?? String(error)}`,
    hint: 'check SHOPIFY_SHOP_URL and the network',
    cause: error,
  });
}

/** An XML error of the storage behind a result URL: <Code>ExpiredToken</Code>, <Code>SignatureDoesNotMatch</Code>. */
function storageErrorCode(body: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
}

/**
 * What the bulk operations' storage answered when it refused: its XML code and message (never the
 * signed URL or form), and the error to retry with when the refusal is transient (429, 408, 5xx).
 */
function storageRefusal(call: string, status: number, headers: Headers, body: string): { code: string | undefined; detail: string; transient?: ApiError } {
  const code = storageErrorCode(body);
  const detail = `${code ? `${code}: ` : ''}${body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200) || `HTTP ${status}`}`;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers.get('retry-after')) ?? THROTTLED_FALLBACK_MS;
    return { code, detail, transient: new ApiError({ platform: PLATFORM, call, kind: 'rate_limited', status, detail, retryAfterMs }) };
  }
  if (status === 408 || status >= 500) return { code, detail, transient: new ApiError({ platform: PLATFORM, call, kind: 'retryable', status, detail }) };
  return { code, detail };
}

/** A result file's download refused: an expired or invalid signed URL is `not_found` (segsync starts a new operation). */
function downloadError(call: string, status: number, headers: Headers, body: string): ApiError {
  const { code, detail, transient } = storageRefusal(call, status, headers, body);
  if (transient) return transient;
  return new ApiError({
    platform: PLATFORM,
    call,
    kind: 'not_found',
    status,
    detail: `the bulk operation's result file is not available: ${detail}`,
    hint: 'its signed URL expired (7 days after the operation completed) or was refused; run the pull again and segsync starts a new bulk operation',
  });
}

/** A staged upload refused by the storage: its XML code and message, never the signed form. */
function uploadError(call: string, status: number, headers: Headers, body: string): ApiError {
  const { code, detail, transient } = storageRefusal(call, status, headers, body);
  if (transient) return transient;
  return new ApiError({
    platform: PLATFORM,
    call,
    kind: 'bad_request',
    status,
    detail: `Shopify's storage refused the bulk mutation variables: ${detail}`,
    hint: code === 'EntityTooLarge'
      ? 'segsync splits variables files below the documented 100 MB; if Shopify now allows less, set SHOPIFY_BULK_PUSH=never and report it'
      : 'the staged upload target expired or was refused; run the push again (segsync stages a new upload)',
  });
}

export interface ExecuteOptions {
  signal?: AbortSignal;
  /** Mutations: errors whose path names one alias are returned, not thrown (that alias failed, the others did not). */
  partial?: boolean;
}

export interface ExecuteResult<T> {
  data: T;
  /** Per-alias errors (only with `partial`). */
  errors: GraphqlError[];
  cost: Cost | undefined;
}

/**
 * The Shopify Admin GraphQL client: POST {shop}/admin/api/2026-07/graphql.json with
 * X-Shopify-Access-Token. Every call goes through the shared Transport (timeouts, retries with
 * backoff) and waits first for the cost pacer; a generous request-rate limiter stays out of the way.
 */
export class ShopifyClient {
  readonly transport: Transport;
  readonly pacer: CostPacer;
  private readonly endpoint: string;

  constructor(
    readonly config: ShopifyConfig,
    events?: TransportEvents,
    now: () => number = Date.now,
  ) {
    this.endpoint = graphqlEndpoint(config);
    this.pacer = new CostPacer(now);
    this.transport = new Transport({
      platform: PLATFORM,
      // Shopify's GraphQL Admin API limits cost, not requests; this only guards against a runaway loop.
      limiter: new RollingWindowLimiter({ max: 40, intervalMs: 1_000 }),
      classify: (error, call) => classifyShopifyError(error, call, this.pacer),
      timeoutMs: config.timeoutMs,
      ...(config.backoff ? { backoff: config.backoff } : {}),
      ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
      ...(events ? { events } : {}),
    });
  }

  /**
   * Opens a bulk operation's result file: a plain GET of the signed URL Shopify gave, without the
   * access token (the signature is the credential; the file is on Shopify's storage, not the
   * shop). Retried like any call until the answer's headers arrive; the body is streamed by the
   * caller, which reads it line by line. Aborting `signal` aborts the body too.
   */
  async openDownload(url: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const parsed = new URL(url);
    // The signature is in the query string: never in a log or an error message.
    const call = `GET ${parsed.origin}${parsed.pathname}`;
    return this.transport.request(
      { call, write: false },
      async (attemptSignal) => {
        const response = await fetch(url, {
          method: 'GET',
          headers: { Accept: 'application/jsonl, application/x-ndjson, */*' },
          signal: signal ? AbortSignal.any([attemptSignal, signal]) : attemptSignal,
        });
        if (response.status < 200 || response.status >= 300) {
          const body = await response.text().catch(() => '');
          throw downloadError(call, response.status, response.headers, body);
        }
        if (!response.body) throw new MalformedResponse('the result file came without a body');
        return response.body;
      },
      signal,
    );
  }

  /**
   * Uploads a bulk mutation's variables file to the staged upload target stagedUploadsCreate
   * gave: a multipart/form-data POST of the target's parameters, then the file (storage wants the
   * file last), without the access token: the signed policy in the parameters is the credential.
   * Retried like any call (the same key is written again).
   */
  async uploadStaged(url: string, parameters: ReadonlyArray<{ name: string; value: string }>, content: string, filename: string, signal?: AbortSignal): Promise<void> {
    const parsed = new URL(url);
    const call = `POST ${parsed.origin}${parsed.pathname} (staged upload)`;
    await this.transport.request(
      { call, write: true },
      async (attemptSignal) => {
        const form = new FormData();
        for (const p of parameters) form.append(p.name, p.value);
        form.append('file', new Blob([content], { type: 'text/jsonl' }), filename);
        const response = await fetch(url, { method: 'POST', body: form, signal: signal ? AbortSignal.any([attemptSignal, signal]) : attemptSignal });
        const body = await response.text().catch(() => '');
        if (response.status < 200 || response.status >= 300) throw uploadError(call, response.status, response.headers, body);
      },
      signal,
    );
  }

  async execute<S extends z.ZodType>(
    doc: GraphqlDocument,
    variables: Record<string, unknown>,
    schema: S,
    options: ExecuteOptions = {},
  ): Promise<ExecuteResult<z.output<S>>> {
    const call = `POST ${SHOPIFY_GRAPHQL_PATH} ${doc.name}`;
    // Documents of one name differ in size (aliased mutations): learn Shopify's figure per size.
    const costKey = `${doc.name}#${doc.cost}`;
    const cost = this.pacer.costOf(costKey, doc.cost);
    return this.transport.request(
      { call, write: doc.write, limiters: [this.pacer.gate(cost)] },
      async (signal) => {
        const response = await fetch(this.endpoint, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/json',
            'X-Shopify-Access-Token': this.config.accessToken,
          },
          body: JSON.stringify({ query: doc.query, variables, operationName: doc.name }),
          signal,
        });
        const text = await response.text();
        if (response.status < 200 || response.status >= 300) {
          const headers = new Map<string, string>();
          response.headers.forEach((value, name) => headers.set(name.toLowerCase(), value));
          const failure = new HttpFailure(response.status, headers, text, cost);
          const body = EnvelopeSchema.safeParse(parseJson(text));
          const status = body.success ? body.data.extensions?.cost?.throttleStatus : undefined;
          if (status) this.pacer.observe(status);
          else if (response.status === 429) this.pacer.refund(cost);
          throw failure;
        }
        const envelope = parseAnswer(text, EnvelopeSchema);
        const costInfo = envelope.extensions?.cost;
        if (costInfo?.throttleStatus) this.pacer.observe(costInfo.throttleStatus, costKey, costInfo.requestedQueryCost);
        const errors = errorList(envelope.errors);
        if (errors.length > 0) {
          // Throttled requests are not charged; without a fresh throttleStatus, undo our booking.
          if (!costInfo?.throttleStatus && errors.some((e) => codeOf(e) === 'THROTTLED')) this.pacer.refund(cost);
          const failure = classifyGraphqlErrors(call, errors, costInfo, cost, this.pacer, options.partial === true);
          if (failure) throw failure;
        }
        const parsed = schema.safeParse(envelope.data);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new MalformedResponse(
            `unexpected ${doc.name} answer at data.${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`,
          );
        }
        return { data: parsed.data as z.output<S>, errors, cost: costInfo };
      },
      options.signal,
    );
  }
}
