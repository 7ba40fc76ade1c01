/**
 * What every API area of the HubSpot emulator shares: the request context, replies, HubSpot-style
 * error bodies, query parsing and cursors.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ObjectKind } from './properties.js';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(typeof reply.body === 'object' && reply.body && 'message' in reply.body ? String((reply.body as { message: unknown }).message) : `HTTP ${reply.status}`);
  }
}

export interface Ctx {
  req: IncomingMessage;
  method: string;
  /** As given to handle(): mount prefix removed, query string included. */
  path: string;
  segments: string[];
  query: URLSearchParams;
  rawBody: string;
  /** `http://host/prefix`, for `paging.next.link`. */
  linkBase: string;
}

export function errorBody(message: string, category?: string, extra?: Record<string, unknown>): Record<string, unknown> {
  return { status: 'error', message, correlationId: randomUUID(), ...(category ? { category } : {}), ...extra };
}

export function fail(status: number, message: string, category?: string, extra?: Record<string, unknown>): never {
  throw new HttpError({ status, body: errorBody(message, category, extra) });
}

export function validation(message: string, extra?: Record<string, unknown>): never {
  return fail(400, message, 'VALIDATION_ERROR', extra);
}

/** HubSpot's generic 404 (fixture error_404_patch_by_idproperty_not_found.json: no category). */
export function notFound(): never {
  return fail(404, 'resource not found');
}

export function objectKind(seg: string | undefined): ObjectKind | undefined {
  switch ((seg ?? '').toLowerCase()) {
    case 'contacts':
    case 'contact':
    case '0-1':
      return 'contacts';
    case 'deals':
    case 'deal':
    case '0-3':
      return 'deals';
    default:
      return undefined;
  }
}

export function kindOrFail(seg: string | undefined): ObjectKind {
  const kind = objectKind(seg);
  if (!kind) validation(`Unable to infer object type from: ${seg ?? ''}`);
  return kind;
}

export const SINGULAR: Record<ObjectKind, string> = { contacts: 'contact', deals: 'deal' };
export const UPPER: Record<ObjectKind, string> = { contacts: 'CONTACT', deals: 'DEAL' };
export const TYPE_ID: Record<ObjectKind, string> = { contacts: '0-1', deals: '0-3' };

export function intParam(raw: string | null, name: string, def: number, min: number, max: number): number {
  if (raw === null || raw === '') return def;
  if (!/^-?\d+$/.test(raw)) validation(`Invalid value '${raw}' for query parameter ${name}: expected an integer.`);
  const n = Number(raw);
  if (n < min) validation(`${name} must be at least ${min}, got ${n}.`);
  // CHOSEN: a limit above the maximum answers 400 rather than being clamped; a client that
  // stays within the documented maximum works either way.
  if (n > max) validation(`${name} must be at most ${max}, got ${n}.`);
  return n;
}

export function listParam(query: URLSearchParams, name: string): string[] | undefined {
  const all = query.getAll(name);
  if (all.length === 0) return undefined;
  return all
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export function asRecordId(v: unknown): number | undefined {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : undefined;
  if (s === undefined || !/^\d{1,15}$/.test(s)) return undefined;
  return Number(s);
}

export function encodeCursor(id: number): string {
  return Buffer.from(String(id)).toString('base64url');
}

export function decodeCursor(raw: string): number {
  const s = Buffer.from(raw, 'base64url').toString('utf8');
  if (!/^\d+$/.test(s)) validation(`Invalid after cursor '${raw}'.`);
  return Number(s);
}

export function parseJson(ctx: Ctx): unknown {
  if (ctx.rawBody.trim() === '') validation('Invalid input JSON: the request body is empty.');
  try {
    return JSON.parse(ctx.rawBody) as unknown;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = Number(/position (\d+)/.exec(msg)?.[1] ?? 0);
    const before = ctx.rawBody.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - before.lastIndexOf('\n');
    return validation(`Invalid input JSON on line ${line}, column ${column}: ${msg}`);
  }
}

export function parseJsonObject(ctx: Ctx): Record<string, unknown> {
  const body = parseJson(ctx);
  if (!body || typeof body !== 'object' || Array.isArray(body)) validation('Invalid input JSON: expected a JSON object.');
  return body as Record<string, unknown>;
}

/** The most associations a v4 batch read returns per object before paging (`after`). */
export const ASSOC_PAGE_MAX = 500;

/**
 * One object's entry of a v4 associations batch read: the page of `ids` that starts at its
 * `after` cursor, each id with the association types `typesAt(position)` gives it.
 */
export function associationPage(rawId: string, ids: readonly (string | number)[], after: unknown, typesAt: (position: number) => unknown[]): Record<string, unknown> {
  const offset = typeof after === 'string' && after !== '' ? decodeCursor(after) : 0;
  const result: Record<string, unknown> = {
    from: { id: rawId },
    to: ids.slice(offset, offset + ASSOC_PAGE_MAX).map((id, k) => ({ toObjectId: id, associationTypes: typesAt(offset + k) })),
  };
  if (offset + ASSOC_PAGE_MAX < ids.length) result.paging = { next: { after: encodeCursor(offset + ASSOC_PAGE_MAX) } };
  return result;
}

/**
 * The results and errors of a v4 associations batch read: each distinct input id's page of
 * associated ids (`idsOf`), or HubSpot's NO_ASSOCIATIONS_FOUND error when it has none (unknown ids
 * alike: the observed 207 shape). `from`/`to` are the singular object names ("contact").
 */
export function associationBatch(
  inputs: readonly unknown[],
  names: { from: string; to: string },
  idsOf: (rawId: string) => readonly (string | number)[],
  typesAt: (position: number) => unknown[],
): { results: Record<string, unknown>[]; errors: Record<string, unknown>[] } {
  const results: Record<string, unknown>[] = [];
  const errors: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const o = (input ?? {}) as { id?: unknown; after?: unknown };
    const rawId = typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : '';
    if (seen.has(rawId)) continue;
    seen.add(rawId);
    const ids = idsOf(rawId);
    if (ids.length === 0) {
      errors.push({
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND',
        message: `No ${names.to} is associated with ${names.from} ${rawId}.`,
        context: { fromObjectId: [rawId], fromObjectType: [names.from], toObjectType: [names.to] },
      });
      continue;
    }
    results.push(associationPage(rawId, ids, o.after, typesAt));
  }
  return { results, errors };
}

/** A batch endpoint's answer: 200 with its results, or 207 with the errors beside them. */
export function batchAnswer(results: unknown[], errors: unknown[], startedAt: string, completedAt: string): Reply {
  const body: Record<string, unknown> = { status: 'COMPLETE', results };
  if (errors.length > 0) {
    body.numErrors = errors.length;
    body.errors = errors;
  }
  body.startedAt = startedAt;
  body.completedAt = completedAt;
  return { status: errors.length > 0 ? 207 : 200, body };
}
