/**
 * What every API area of the Marketo emulator shares: the request context, replies in Marketo's
 * envelope (HTTP 200, `success`, string error codes), body parsing and paging tokens.
 */

export interface Reply {
  status: number;
  /** JSON body. */
  body?: unknown;
  /** A raw body (bulk export files). */
  text?: string;
  headers?: Record<string, string>;
}

/** A request-level Marketo error: answered as HTTP 200 with `success: false` (error-codes docs). */
export class MarketoError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An HTTP-level failure (401 identity, 413, 414). */
export class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

export function fail(code: string, message: string): never {
  throw new MarketoError(code, message);
}

export interface Ctx {
  method: string;
  /** As given to handle(): mount prefix removed, query string included. */
  path: string;
  pathname: string;
  segments: string[];
  query: URLSearchParams;
  rawBody: string;
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
}

let requestCounter = 0;

/** Marketo request ids look like "e42b#14272d07d78": a counter and a clock in hex. */
export function requestId(nowMs: number): string {
  requestCounter = (requestCounter + 1) % 0xfffff;
  return `${requestCounter.toString(16)}#${Math.floor(nowMs).toString(16)}`;
}

/** Lead database answer: `{requestId, result, success}` (+ paging), as recorded. */
export function leadDbOk(nowMs: number, result: unknown[] | undefined, extra: Record<string, unknown> = {}): Reply {
  return { status: 200, body: { requestId: requestId(nowMs), ...(result !== undefined ? { result } : {}), success: true, ...extra } };
}

/** Asset API answer: `{success, errors: [], requestId, warnings: [], result}`, as recorded. */
export function assetOk(nowMs: number, result: unknown[]): Reply {
  return { status: 200, body: { success: true, errors: [], requestId: requestId(nowMs), warnings: [], result } };
}

/** An asset lookup that finds nothing is a success with a warning and no result (recorded). */
export function assetNotFound(nowMs: number): Reply {
  return { status: 200, body: { success: true, errors: [], requestId: requestId(nowMs), warnings: ['No assets found for the given search criteria.'] } };
}

export function errorReply(nowMs: number, code: string, message: string): Reply {
  return { status: 200, body: { requestId: requestId(nowMs), success: false, errors: [{ code, message }] } };
}

export function parseJsonBody(ctx: Ctx): Record<string, unknown> {
  if (ctx.rawBody.trim() === '') fail('609', 'Invalid JSON');
  let body: unknown;
  try {
    body = JSON.parse(ctx.rawBody);
  } catch {
    fail('609', 'Invalid JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) fail('609', 'Invalid JSON');
  return body as Record<string, unknown>;
}

/** Form bodies (asset API) and `_method=GET` POSTs; query parameters are merged in. */
export function formParams(ctx: Ctx): URLSearchParams {
  const params = new URLSearchParams(ctx.query);
  if (/x-www-form-urlencoded/i.test(ctx.contentType) || (!/json/i.test(ctx.contentType) && ctx.rawBody.includes('='))) {
    for (const [k, v] of new URLSearchParams(ctx.rawBody)) params.append(k, v);
  }
  return params;
}

/** Comma-separated (and repeated) query values, trimmed. */
export function listParam(params: URLSearchParams, name: string): string[] {
  return params
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export function intParam(params: URLSearchParams, name: string, def: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return def;
  if (!/^\d+$/.test(raw)) fail('1001', `Invalid value '${raw}'. Required of type 'Integer'`);
  const n = Number(raw);
  // CHOSEN: above the documented maximum answers 1003 rather than being clamped.
  if (n < 1 || n > max) fail('1003', `Invalid value for ${name}: must be between 1 and ${max}`);
  return n;
}

// ------------------------------------------------------------------ paging tokens

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 with padding: Marketo's paging tokens look like "GIYDAOBNGEYS2MBWKQYDAORQ...====". */
export function base32(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

export function unbase32(token: string): string | undefined {
  const clean = token.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const ch of clean) {
    const idx = ALPHABET.indexOf(ch);
    if (idx < 0) return undefined;
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** An opaque page token for offset paging (leads, opportunities, list members). */
export function offsetToken(kind: string, offset: number): string {
  return base32(`${kind}:${offset}`);
}

export function readOffsetToken(kind: string, token: string | null): number {
  if (token === null || token === '') return 0;
  const decoded = unbase32(token);
  const m = decoded ? new RegExp(`^${kind}:(\\d+)$`).exec(decoded) : null;
  if (!m) fail('1003', `Invalid nextPageToken`);
  return Number(m[1]);
}

/** ISO without milliseconds: `2016-05-17T22:11:45Z` (lead database). */
export function isoZ(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Activity dates as the Get Lead Changes docs show them: `2014-09-17T22:31:49+0000`. */
export function isoOffset(ms: number): string {
  return isoZ(ms).replace(/Z$/, '+0000');
}

/** Asset API dates as recorded: `2021-11-23T22:57:24Z+0000`. */
export function isoAsset(ms: number): string {
  return `${isoZ(ms)}+0000`;
}
