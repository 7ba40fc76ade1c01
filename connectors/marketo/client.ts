import type { z } from 'zod';
import { ConcurrencyLimiter, RollingWindowLimiter } from '../../src/http/rate-limiter.js';
import { sleep } from '../../src/http/sleep.js';
import { Transport, type TransportEvents } from '../../src/http/transport.js';
import type { MarketoConfig } from './config.js';
import { HttpFailure, MalformedResponse, MarketoFailure, classifyMarketoError } from './errors.js';
import { parseAnswer } from '../../src/http/answer.js';
import { registerSecret } from '../../src/log/redact.js';
import { EnvelopeSchema, TokenResponseSchema } from './schemas.js';

export type QueryValue = string | number | readonly (string | number)[] | undefined;

export interface MarketoRequest<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'DELETE';
  /** From the instance base, e.g. "/rest/v1/leads.json". */
  path: string;
  qs?: Record<string, QueryValue>;
  /** A JSON body (application/json). */
  json?: unknown;
  /** A form body (application/x-www-form-urlencoded): the asset API takes these. */
  form?: Record<string, string>;
  schema: S;
  write: boolean;
}

/** Marketo answers a GET whose URI exceeds 8 KB with 414; such calls go as POST with _method=GET. */
const MAX_URI = 7_500;
/** Re-authenticate this long before a token's end (at most a quarter of its life). */
const TOKEN_MARGIN_MS = 60_000;
const AUTH_CODES = new Set(['601', '602']);

interface CachedToken {
  value: string;
  expiresAt: number;
  /** When to ask identity again: earlier than expiry, unless identity just returned this token again. */
  refreshAt: number;
}

/**
 * The Marketo client: client-credentials auth with a cached token (re-fetched before it expires,
 * and once more on 601/602), Marketo's HTTP-200 errors turned into the shared ApiError taxonomy,
 * every REST/bulk/asset call under one rolling-window limiter (Marketo: 100 calls / 20 s) and a
 * concurrency cap (Marketo: 10 in flight). Identity calls do not count against Marketo's limits,
 * so they go through a transport and limiter of their own.
 */
export class MarketoClient {
  readonly transport: Transport;
  /** Token requests: not counted by Marketo, limited separately. */
  readonly identityTransport: Transport;
  private readonly concurrency: ConcurrencyLimiter;
  private token: CachedToken | undefined;
  private pendingToken: Promise<string> | undefined;
  /** Tokens fetched, for tests and diagnostics. */
  tokensFetched = 0;

  constructor(
    readonly config: MarketoConfig,
    events?: TransportEvents,
    private readonly now: () => number = Date.now,
  ) {
    const classifyOptions = { rateWindowMs: config.rateLimit.intervalMs, secrets: [config.clientSecret] };
    const classify = (error: unknown, call: string) => classifyMarketoError(error, call, classifyOptions);
    // Stay a little under the published limit: Marketo counts arrivals, we count departures.
    const perWindow = Math.max(1, Math.floor(config.rateLimit.max * 0.95));
    const common = {
      platform: 'marketo',
      classify,
      timeoutMs: config.timeoutMs,
      ...(config.backoff ? { backoff: config.backoff } : {}),
      ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
      ...(events ? { events } : {}),
    };
    this.transport = new Transport({
      ...common,
      limiter: new RollingWindowLimiter({ max: perWindow, intervalMs: Math.ceil(config.rateLimit.intervalMs * 1.025) }),
    });
    // CHOSEN: Marketo publishes no identity limit; half the REST budget per window is plenty for
    // one token an hour and keeps a misbehaving loop from hammering identity.
    this.identityTransport = new Transport({
      ...common,
      limiter: new RollingWindowLimiter({ max: Math.max(1, Math.floor(config.rateLimit.max / 2)), intervalMs: config.rateLimit.intervalMs }),
    });
    this.concurrency = new ConcurrencyLimiter(config.maxConcurrency);
  }

  /** One JSON call, validated against `schema` after Marketo's `success:false` errors were handled. */
  async request<S extends z.ZodType>(req: MarketoRequest<S>, signal?: AbortSignal): Promise<z.output<S>> {
    const call = `${req.method} ${req.path}`;
    return this.concurrency.run(() =>
      this.transport.request({ call, write: req.write }, async (attemptSignal) => {
        const { text } = await this.send(req, attemptSignal, 'json');
        return parseAnswer(text, req.schema);
      }, signal),
    );
  }

  /** A call answering with a file (bulk export CSV); Marketo errors still come back as JSON envelopes. */
  async requestText(req: Omit<MarketoRequest<z.ZodType>, 'schema'>, signal?: AbortSignal): Promise<string> {
    const call = `${req.method} ${req.path}`;
    return this.concurrency.run(() =>
      this.transport.request({ call, write: req.write }, async (attemptSignal) => (await this.send({ ...req, schema: EnvelopeSchema }, attemptSignal, 'text')).text, signal),
    );
  }

  /** Drops the cached token (tests; or after an admin rotated the secret). */
  forgetToken(): void {
    this.token = undefined;
  }

  // ------------------------------------------------------------------ HTTP

  private async send(req: MarketoRequest<z.ZodType>, signal: AbortSignal, expect: 'json' | 'text'): Promise<{ text: string }> {
    let token = await this.accessToken(signal);
    for (let attempt = 1; ; attempt++) {
      const response = await this.fetchOnce(req, token, signal);
      const text = await response.text();
      if (response.status < 200 || response.status >= 300) throw new HttpFailure(response.status, text, false);
      const envelope = expect === 'json' || /^\s*\{/.test(text) ? parseEnvelope(text) : undefined;
      if (envelope && envelope.success === false) {
        const errors = envelope.errors ?? [];
        // 601 invalid / 602 expired: re-authenticate and send once more (these answers do not
        // count against Marketo's rate limit or quota, so the retry costs nothing there).
        if (attempt === 1 && errors.some((e) => AUTH_CODES.has(e.code))) {
          this.invalidate(token);
          token = await this.accessToken(signal);
          continue;
        }
        throw new MarketoFailure(errors, envelope.requestId);
      }
      return { text };
    }
  }

  private fetchOnce(req: MarketoRequest<z.ZodType>, token: string, signal: AbortSignal): Promise<Response> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(req.qs ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) query.append(name, String(v));
      else query.append(name, String(value));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    const base = `${this.config.baseUrl}${req.path}`;
    const search = query.toString();
    if (req.method === 'GET' && base.length + search.length + 1 > MAX_URI) {
      // Documented workaround for long filters (error-codes docs, 414).
      headers['content-type'] = 'application/x-www-form-urlencoded';
      return fetch(`${base}?_method=GET`, { method: 'POST', headers, body: search, signal });
    }
    const url = search ? `${base}?${search}` : base;
    let body: string | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(req.form).toString();
    }
    return fetch(url, { method: req.method, headers, ...(body !== undefined ? { body } : {}), signal });
  }

  // ------------------------------------------------------------------ identity

  private invalidate(value: string): void {
    if (this.token?.value === value) this.token = undefined;
  }

  private accessToken(signal: AbortSignal): Promise<string> {
    const cached = this.token;
    if (cached && this.now() < cached.refreshAt) return Promise.resolve(cached.value);
    // Concurrent callers share one identity call.
    this.pendingToken ??= this.fetchToken(signal).finally(() => {
      this.pendingToken = undefined;
    });
    return this.pendingToken;
  }

  private async fetchToken(signal: AbortSignal): Promise<string> {
    const previous = this.token;
    let token = await this.requestToken(signal);
    if (token.expires_in === 0 && previous?.value === token.access_token) {
      // The old token has less than a second left and identity keeps handing it back: wait it out.
      await sleep(1_000, signal);
      token = await this.requestToken(signal);
    }
    this.tokensFetched++;
    const fetchedAt = this.now();
    const expiresAt = fetchedAt + token.expires_in * 1000;
    const margin = Math.min(TOKEN_MARGIN_MS, (token.expires_in * 1000) / 4);
    // Identity hands back the same token, with its remaining life, until it expires: asking again
    // within the margin would only repeat that, so a repeated token is used until its end.
    const repeated = previous?.value === token.access_token;
    this.token = { value: token.access_token, expiresAt, refreshAt: repeated ? expiresAt : expiresAt - margin };
    return token.access_token;
  }

  private requestToken(signal: AbortSignal) {
    return this.identityTransport.request({ call: 'GET /identity/oauth/token', write: false }, async (attemptSignal) => {
      const query = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.config.clientId, client_secret: this.config.clientSecret });
      const response = await fetch(`${this.config.baseUrl}/identity/oauth/token?${query}`, {
        method: 'GET',
        headers: { accept: 'application/json' },
        signal: attemptSignal,
      });
      const text = await response.text();
      if (response.status < 200 || response.status >= 300) throw new HttpFailure(response.status, text, true);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new MalformedResponse('the identity answer is not JSON');
      }
      const parsed = TokenResponseSchema.safeParse(json);
      if (!parsed.success) throw new MalformedResponse('the identity answer has no access_token/expires_in');
      registerSecret(parsed.data.access_token);
      return parsed.data;
    }, signal);
  }
}

function parseEnvelope(text: string) {
  try {
    const parsed = EnvelopeSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
