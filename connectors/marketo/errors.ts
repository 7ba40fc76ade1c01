import { ApiError, kindForStatus, type ApiErrorInit, type ApiErrorKind } from '../../src/http/errors.js';
import { TimeoutError } from '../../src/http/transport.js';
import type { MarketoErrorItem } from './schemas.js';

export const PLATFORM = 'marketo';

/** An ApiError that keeps Marketo's own error code, so callers can react to one (e.g. 1029). */
export class MarketoApiError extends ApiError {
  constructor(init: ApiErrorInit, readonly code: string | undefined) {
    super(init);
    this.name = 'MarketoApiError';
  }
}

/** HTTP 200 with `success: false`: the request-level errors Marketo sent. */
export class MarketoFailure extends Error {
  constructor(readonly errors: MarketoErrorItem[], readonly requestId?: string) {
    super(errors.map((e) => `${e.code} ${e.message}`).join('; ') || 'success:false without errors');
    this.name = 'MarketoFailure';
  }
}

/** A non-2xx answer, kept whole until classified. */
export class HttpFailure extends Error {
  constructor(readonly status: number, readonly body: string, readonly identity: boolean) {
    super(`HTTP ${status}`);
    this.name = 'HttpFailure';
  }
}

import { MalformedResponse } from '../../src/http/answer.js';

export { MalformedResponse };

/**
 * Marketo's request-level codes (error-codes docs, platforms.md M5) mapped onto the shared
 * taxonomy. The transport decides retries from the kind; 601/602 never reach here on the first
 * answer, the client re-authenticates and retries once before giving up with `auth`.
 */
export function kindForCode(code: string, message = ''): ApiErrorKind {
  switch (code) {
    case '600': // empty access token
    case '601': // access token invalid
    case '602': // access token expired
    case '603': // access denied (role lacks a permission, or IP allowlist)
      return 'auth';
    case '606': // max rate limit: 100 calls per 20 s
    case '615': // concurrent access limit: 10 in flight
      return 'rate_limited';
    case '607': // daily quota reached
      return 'quota_exhausted';
    case '502':
    case '604': // request time-out
    case '608': // API temporarily unavailable
    case '611': // system error
    case '614': // invalid subscription: "usually indicates temporary inaccessibility"
    case '713': // transient error
      return 'retryable';
    case '1013': // object not found (list, export job)
    case '702': // no data found for a given search scenario
      return 'not_found';
    case '1029':
      // Too many jobs in queue / export daily quota exceeded / job already queued: the bulk
      // extractor waits for the queue itself; only the daily export allocation is a quota.
      return /quota/i.test(message) ? 'quota_exhausted' : 'bad_request';
    default:
      // 605 method, 609 invalid JSON, 610 not found (URL), 612 content type, 701+, 709 business
      // rule, 1003 invalid data, ...: the request itself is wrong, retrying cannot help.
      return 'bad_request';
  }
}

const HINTS: Partial<Record<ApiErrorKind, string>> = {
  auth: 'check MARKETO_CLIENT_ID and MARKETO_CLIENT_SECRET (Admin > LaunchPoint), and that the API user\'s role has the permissions listed in connectors/marketo/README.md',
  rate_limited: 'another integration may share this instance\'s 100 calls / 20 s; segsync waits and retries',
  quota_exhausted: 'the instance\'s daily API quota (default 50,000 calls, resets at 00:00 CST) is used up; the next run after the reset continues',
};

export interface ClassifyOptions {
  /** How long a 606 waits: Marketo counts calls in a rolling 20 s window. */
  rateWindowMs: number;
  /** Values that must never appear in a message (the client secret travels in the identity URL). */
  secrets?: string[];
}

export function classifyMarketoError(error: unknown, call: string, options: ClassifyOptions): ApiError {
  const classified = classify(error, call, options);
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  if (secrets.length === 0 || !secrets.some((s) => classified.message.includes(s))) return classified;
  const scrub = (text: string) => secrets.reduce((t, s) => t.split(s).join('***'), text);
  return new MarketoApiError(
    { platform: PLATFORM, call, kind: classified.kind, detail: scrub(classified.detail), ...(classified.status !== undefined ? { status: classified.status } : {}),
      ...(classified.hint ? { hint: classified.hint } : {}), ...(classified.retryAfterMs !== undefined ? { retryAfterMs: classified.retryAfterMs } : {}) },
    classified instanceof MarketoApiError ? classified.code : undefined,
  );
}

function classify(error: unknown, call: string, options: ClassifyOptions): ApiError {
  if (error instanceof MarketoApiError) return error;
  if (error instanceof MarketoFailure) {
    // The first error names the cause; Marketo sends one in practice.
    const first = error.errors[0] ?? { code: '611', message: 'success:false without errors' };
    const kind = kindForCode(first.code, first.message);
    const init: ApiErrorInit = {
      platform: PLATFORM,
      call,
      kind,
      status: 200,
      detail: `${first.code} ${first.message}`.trim(),
      ...(error.requestId ? { correlationId: error.requestId } : {}),
      ...(HINTS[kind] ? { hint: HINTS[kind] } : {}),
    };
    if (first.code === '606') init.retryAfterMs = options.rateWindowMs;
    if (first.code === '603') init.hint = 'the API user\'s role lacks a permission this call needs (or an IP allowlist blocks it); ask a Marketo admin';
    return new MarketoApiError(init, first.code);
  }
  if (error instanceof HttpFailure) {
    let kind = kindForStatus(error.status);
    // Only identity answers 401 (bad client id/secret); 413/414 mean we sent too much.
    if (error.status === 413 || error.status === 414) kind = 'bad_request';
    let detail = error.body.slice(0, 200) || `HTTP ${error.status}`;
    try {
      const body = JSON.parse(error.body) as { error?: unknown; error_description?: unknown };
      if (typeof body.error === 'string') detail = `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`;
    } catch {
      // Not JSON (a gateway page): keep the first characters.
    }
    return new MarketoApiError(
      {
        platform: PLATFORM,
        call,
        kind,
        status: error.status,
        detail,
        ...(error.identity && kind === 'auth'
          ? { hint: 'Marketo refused the client credentials: check MARKETO_CLIENT_ID and MARKETO_CLIENT_SECRET (Admin > LaunchPoint > View Details)' }
          : HINTS[kind] ? { hint: HINTS[kind] } : {}),
      },
      String(error.status),
    );
  }
  if (error instanceof TimeoutError) {
    return new MarketoApiError({ platform: PLATFORM, call, kind: 'retryable', detail: error.message, cause: error }, undefined);
  }
  if (error instanceof MalformedResponse) {
    return new MarketoApiError({ platform: PLATFORM, call, kind: 'bad_response', detail: error.message, cause: error }, undefined);
  }
  const code = (error as { code?: string; cause?: { code?: string } } | null)?.cause?.code ?? (error as { code?: string } | null)?.code;
  return new MarketoApiError(
    {
      platform: PLATFORM,
      call,
      kind: 'retryable',
      detail: `network error${code ? ` ${code}` : ''}: ${(error as Error)?.message ?? String(error)}`,
      hint: 'check MARKETO_BASE_URL and the network',
      cause: error,
    },
    undefined,
  );
}
