/**
 * One error type for every platform call. The transport decides retries from `kind`, never from
 * message text; the message names the platform, the call and what an admin can do about it.
 */
export type ApiErrorKind =
  | 'rate_limited' // 429 or the platform's equivalent: wait and retry
  | 'quota_exhausted' // a daily quota: retrying before it resets cannot help
  | 'retryable' // 5xx, resets, timeouts: back off and retry
  | 'auth' // bad or expired credentials, missing scopes: an admin must act
  | 'bad_request' // the request itself is wrong: retrying cannot help
  | 'not_found'
  | 'bad_response'; // the platform answered something we cannot parse

export interface ApiErrorInit {
  platform: string;
  call: string;
  kind: ApiErrorKind;
  status?: number;
  detail: string;
  retryAfterMs?: number;
  correlationId?: string;
  hint?: string;
  cause?: unknown;
}

export class ApiError extends Error {
  readonly platform: string;
  readonly call: string;
  readonly kind: ApiErrorKind;
  readonly status: number | undefined;
  readonly detail: string;
  readonly retryAfterMs: number | undefined;
  readonly correlationId: string | undefined;
  readonly hint: string | undefined;
  attempts = 1;

  constructor(init: ApiErrorInit) {
    const status = init.status === undefined ? '' : ` ${init.status}`;
    const hint = init.hint ? ` Fix: ${init.hint}` : '';
    super(`${init.platform}: ${init.call} failed (${init.kind}${status}): ${init.detail}.${hint}`, {
      cause: init.cause,
    });
    this.name = 'ApiError';
    this.platform = init.platform;
    this.call = init.call;
    this.kind = init.kind;
    this.status = init.status;
    this.detail = init.detail;
    this.retryAfterMs = init.retryAfterMs;
    this.correlationId = init.correlationId;
    this.hint = init.hint;
  }

  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'retryable';
  }
}

/** Maps an HTTP status to the taxonomy; platforms refine it (e.g. Marketo's errors inside a 200). */
export function kindForStatus(status: number): ApiErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 408 || status >= 500) return 'retryable';
  return 'bad_request';
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
