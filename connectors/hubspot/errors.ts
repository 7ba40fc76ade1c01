/**
 * What HubSpot's error answers mean, by their `category` (recorded in test/fixtures/hubspot/):
 * 403 MISSING_SCOPES names the scopes the call needs; 401 EXPIRED_AUTHENTICATION is an OAuth
 * access token past its 30 minutes; 409 (CONFLICT, OBJECT_ALREADY_EXISTS) is something that
 * already exists. Each becomes an ApiError whose message says what to do.
 */
import { ApiError, type ApiErrorInit } from '../../src/http/errors.js';
import { ScopeErrorsSchema, type ErrorBody } from './schemas.js';

/** Where a private app's scopes are edited (README "HubSpot"). */
export const PRIVATE_APP_SCOPES = 'Settings → Integrations → Private apps → your app → Scopes';

export interface RequiredScopes {
  scopes: string[];
  /** "All of the following scopes are required." (else: one of them is enough). */
  all: boolean;
}

/** An ApiError that keeps what HubSpot's answer said, so callers and `doctor` can act on it. */
export class HubSpotApiError extends ApiError {
  readonly category: string | undefined;
  /** The scopes a MISSING_SCOPES answer listed. */
  readonly requiredScopes: RequiredScopes | undefined;
  /** A 409 (or a 400 "already exists"): the thing the call creates is there already. */
  readonly alreadyExists: boolean;
  /** "Contact already exists. Existing ID: 123" → "123". */
  readonly existingId: string | undefined;

  constructor(
    init: ApiErrorInit,
    details: { category?: string | undefined; requiredScopes?: RequiredScopes | undefined; alreadyExists?: boolean; existingId?: string | undefined },
  ) {
    super(init);
    this.name = 'HubSpotApiError';
    this.category = details.category;
    this.requiredScopes = details.requiredScopes;
    this.alreadyExists = details.alreadyExists ?? false;
    this.existingId = details.existingId;
  }
}

/** The scopes listed anywhere in a MISSING_SCOPES answer, in order, once each. */
export function requiredScopesOf(json: unknown): RequiredScopes | undefined {
  const parsed = ScopeErrorsSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const scopes: string[] = [];
  let all = false;
  for (const entry of parsed.data.errors) {
    const listed = [...(entry.context?.requiredGranularScopes ?? []), ...(entry.context?.requiredScopes ?? [])];
    if (listed.length > 0 && /\ball of\b/i.test(entry.message ?? '')) all = true;
    for (const scope of listed) if (scope.trim() && !scopes.includes(scope.trim())) scopes.push(scope.trim());
  }
  return scopes.length > 0 ? { scopes, all } : undefined;
}

/** "a", "a and b" / "one of a, b or c". */
export function describeScopes(required: RequiredScopes): string {
  const { scopes, all } = required;
  if (scopes.length === 1) return `the scope ${scopes[0]}`;
  const head = scopes.slice(0, -1).join(', ');
  return all ? `the scopes ${head} and ${scopes.at(-1)}` : `one of the scopes ${head} or ${scopes.at(-1)}`;
}

const quote = (message: string) => `HubSpot: "${message}"`;

/** 403 with category MISSING_SCOPES (or listed scopes): name them and where to grant them. */
function missingScopes(init: ApiErrorInit, body: ErrorBody | undefined, json: unknown): HubSpotApiError {
  const required = requiredScopesOf(json);
  const message = body?.message ?? 'missing scopes';
  if (!required) {
    return new HubSpotApiError(
      {
        ...init,
        detail: `the app lacks a scope this call needs (${quote(message)})`,
        hint: `grant the private app the scopes listed in the README section "HubSpot" (${PRIVATE_APP_SCOPES})`,
      },
      { category: body?.category },
    );
  }
  const what = describeScopes(required);
  return new HubSpotApiError(
    {
      ...init,
      detail: `the app lacks ${what} (${quote(message)})`,
      hint: `grant ${what} to the private app (${PRIVATE_APP_SCOPES} → Edit, then Commit changes) and run again; for an OAuth app, add ${required.scopes.length === 1 ? 'it' : 'them'} to the app's scopes and install it again`,
    },
    { category: body?.category, requiredScopes: required },
  );
}

/** 401 EXPIRED_AUTHENTICATION: an OAuth access token past its lifetime (private app tokens do not expire). */
function expired(init: ApiErrorInit, body: ErrorBody | undefined): HubSpotApiError {
  return new HubSpotApiError(
    {
      ...init,
      detail: `the access token has expired (${quote(body?.message ?? 'expired authentication')})`,
      hint:
        'HUBSPOT_ACCESS_TOKEN holds an OAuth access token, which HubSpot expires after 30 minutes and segsync does not refresh: ' +
        `refresh it and set the new one, or replace it with a private app's access token, which does not expire (${PRIVATE_APP_SCOPES.replace(' → Scopes', ' → Auth → Show token')})`,
    },
    { category: body?.category },
  );
}

/** 409: by category, something the call would create exists already. */
function conflict(init: ApiErrorInit, body: ErrorBody | undefined): HubSpotApiError {
  const message = body?.message ?? 'conflict';
  const category = body?.category;
  const existingId = /Existing ID:\s*(\d+)/i.exec(message)?.[1];
  const exists = category === 'OBJECT_ALREADY_EXISTS' || category === 'CONFLICT' || /already exists/i.test(message);
  return new HubSpotApiError(
    {
      ...init,
      detail: `${message}${category ? ` (${category})` : ''}`,
      hint: exists
        ? `it already exists in HubSpot${existingId ? ` (id ${existingId})` : ''}: use the existing one, or rename one of them`
        : 'another change to the same object got there first; run again',
    },
    { category, alreadyExists: exists, existingId },
  );
}

/** A 400 that says what the call creates exists (lists: "A list named 'x' already exists.", subCategory ILS.DUPLICATE_LIST_NAMES). */
function duplicateNamed(body: ErrorBody | undefined): boolean {
  return /already exists|duplicate/i.test(`${body?.message ?? ''} ${body?.subCategory ?? ''}`);
}

/**
 * The HubSpot-specific reading of an error answer, or undefined when the generic one applies.
 * `init` is the generic ApiError the client would throw.
 */
export function classifyHubSpotAnswer(init: ApiErrorInit, status: number, body: ErrorBody | undefined, json: unknown): HubSpotApiError | undefined {
  const category = body?.category;
  if (status === 403 && (category === 'MISSING_SCOPES' || requiredScopesOf(json))) return missingScopes(init, body, json);
  if (status === 401 && (category === 'EXPIRED_AUTHENTICATION' || /token used to make this call expired/i.test(body?.message ?? ''))) return expired(init, body);
  if (status === 409) return conflict(init, body);
  if (status === 400 && duplicateNamed(body)) return new HubSpotApiError(init, { category, alreadyExists: true });
  return undefined;
}

/** A create answered "already exists" (409 by category, or a 400 naming a duplicate). */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof HubSpotApiError && error.alreadyExists;
}
