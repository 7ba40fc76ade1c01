import { Client } from '@hubspot/api-client';
import type { z } from 'zod';
import { ApiError, kindForStatus, parseRetryAfter, type ApiErrorInit, type ApiErrorKind } from '../../src/http/errors.js';
import { classifyHubSpotAnswer } from './errors.js';
import { RollingWindowLimiter } from '../../src/http/rate-limiter.js';
import { TimeoutError, Transport, type TransportEvents } from '../../src/http/transport.js';
import { MalformedResponse, parseAnswer } from '../../src/http/answer.js';
import { ErrorBodySchema, type ErrorBody } from './schemas.js';
import type { HubSpotConfig } from './config.js';

/** A non-2xx answer, kept whole until the transport classifies it. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly headers: Map<string, string>,
    readonly body: string,
  ) {
    super(`HTTP ${status}`);
  }
}


const HINTS: Partial<Record<ApiErrorKind, string>> = {
  auth: 'check HUBSPOT_ACCESS_TOKEN (a private app token) and that the app has the scopes listed in the README',
  rate_limited: 'another app may share this portal\'s limit; lower HUBSPOT_RATE_LIMIT',
};

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function parseErrorBody(json: unknown): ErrorBody | undefined {
  const parsed = ErrorBodySchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/**
 * HubSpot's 429 carries no Retry-After; its policy name says how long the window is. A rolling
 * 10 s window is only surely clear after 10 s (the official SDK waits as long).
 */
function waitForPolicy(body: ErrorBody | undefined): number | undefined {
  const policy = body?.policyName ?? '';
  if (policy === 'TEN_SECONDLY_ROLLING') return 10_000;
  if (/secondly/i.test(body?.message ?? '') || policy === 'SECONDLY') return 1_000;
  return undefined;
}

export function classifyHubSpotError(error: unknown, call: string): ApiError {
  if (error instanceof HttpFailure) {
    const json = parseJson(error.body);
    const body = parseErrorBody(json);
    let kind = kindForStatus(error.status);
    if (kind === 'rate_limited' && body?.policyName === 'DAILY') kind = 'quota_exhausted';
    const retryAfterMs = parseRetryAfter(error.headers.get('retry-after')) ?? waitForPolicy(body);
    const init: ApiErrorInit = {
      platform: 'hubspot',
      call,
      kind,
      status: error.status,
      detail: body?.message ?? (error.body.slice(0, 200) || `HTTP ${error.status}`),
      ...(retryAfterMs !== undefined && kind === 'rate_limited' ? { retryAfterMs } : {}),
      ...(body?.correlationId ? { correlationId: body.correlationId } : {}),
      ...(HINTS[kind] ? { hint: HINTS[kind] } : {}),
      ...(kind === 'quota_exhausted' ? { hint: 'the portal\'s daily API limit is used up; the next run after midnight (portal time zone) continues' } : {}),
    };
    return classifyHubSpotAnswer(init, error.status, body, json) ?? new ApiError(init);
  }
  if (error instanceof TimeoutError) {
    return new ApiError({ platform: 'hubspot', call, kind: 'retryable', detail: error.message, cause: error });
  }
  if (error instanceof MalformedResponse) {
    return new ApiError({ platform: 'hubspot', call, kind: 'bad_response', detail: error.message, cause: error });
  }
  const code = (error as { code?: string } | null)?.code;
  return new ApiError({
    platform: 'hubspot',
    call,
    kind: 'retryable',
    detail: `network error${code ? ` ${code}` : ''}: ${(error as Error)?.message ?? String(error)}`,
    hint: 'check HUBSPOT_BASE_URL and the network',
    cause: error,
  });
}

export interface HubSpotRequest<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  qs?: Record<string, string>;
  body?: unknown;
  /** Schema of a 2xx body; undefined for empty answers (204). */
  schema?: S;
  write: boolean;
  /** Statuses other than 2xx that are answers, not failures (e.g. 207 multi-status). */
  search?: boolean;
}

export interface HubSpotResponse<T> {
  status: number;
  data: T;
}

/**
 * The HubSpot client: the official @hubspot/api-client builds and authenticates every request
 * (its `apiRequest`, pointed at HUBSPOT_BASE_URL); our transport owns rate limiting, retries and
 * timeouts, so the SDK's own retry decorator is off; zod validates every answer as it came over
 * the wire.
 */
export class HubSpotClient {
  readonly transport: Transport;
  private readonly sdk: Client;
  private readonly searchLimiter: RollingWindowLimiter;
  private readonly limiter: RollingWindowLimiter;

  constructor(readonly config: HubSpotConfig, events?: TransportEvents, sleep?: (ms: number) => Promise<void>) {
    this.sdk = new Client({ accessToken: config.accessToken, basePath: config.baseUrl, numberOfApiCallRetries: 0 });
    // Stay a little under the published limits: the platform counts arrivals, we count departures.
    const perWindow = Math.max(1, Math.floor(config.rateLimitPer10s * 0.95));
    this.limiter = new RollingWindowLimiter({ max: perWindow, intervalMs: 10_250 });
    this.transport = new Transport({
      platform: 'hubspot',
      limiter: this.limiter,
      classify: classifyHubSpotError,
      timeoutMs: config.timeoutMs,
      ...(config.backoff ? { backoff: config.backoff } : {}),
      ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
      ...(events ? { events } : {}),
      ...(sleep ? { sleep } : {}),
    });
    this.searchLimiter = new RollingWindowLimiter({
      max: Math.max(1, config.searchPerSecond - 1),
      intervalMs: 1_050,
    });
  }

  async request<S extends z.ZodType>(req: HubSpotRequest<S>, signal?: AbortSignal): Promise<HubSpotResponse<z.output<S>>> {
    const call = `${req.method} ${req.path}`;
    return this.transport.request(
      { call, write: req.write, ...(req.search ? { limiters: [this.searchLimiter] } : {}) },
      async () => {
        const response = await this.sdk.apiRequest({
          method: req.method,
          path: req.path,
          ...(req.qs ? { qs: req.qs } : {}),
          ...(req.body !== undefined ? { body: req.body } : {}),
        });
        const text = await response.text();
        // HubSpot's own count for this token (other apps and earlier runs included): trust it
        // over our local window. Search answers carry no such headers.
        const remaining = response.headers.get('x-hubspot-ratelimit-remaining');
        if (remaining !== null && !req.search) this.limiter.observeRemaining(Number(remaining));
        if (response.status < 200 || response.status >= 300) {
          const headers = new Map<string, string>();
          response.headers.forEach((value, name) => headers.set(name.toLowerCase(), value));
          throw new HttpFailure(response.status, headers, text);
        }
        if (!req.schema) return { status: response.status, data: undefined as z.output<S> };
        return { status: response.status, data: parseAnswer(text, req.schema) };
      },
      signal,
    );
  }
}
