/**
 * What the HubSpot emulator's token may do: the scopes the app was granted (403 MISSING_SCOPES for
 * a call that needs another) and whether the token has expired (401 EXPIRED_AUTHENTICATION). The
 * bodies are the recorded real ones (test/fixtures/hubspot/error_403_missing_granular_scopes.json,
 * error_401_expired_authentication.json): the newer granular form, "One or more of the following
 * scopes are required." with `context.requiredGranularScopes`.
 */
import { errorBody, type Reply } from './http-support.js';

/**
 * The scopes the README asks a private app for, exactly what segsync's calls need (platforms.md
 * H1; test/e2e/hubspot-scopes.test.ts holds the README, .env.example and this list together).
 * `crm.schemas.deals.read`: a pull checks the mapped deal properties (GET /crm/v3/properties/deals).
 * The companies scopes: the shipped mapping reads each contact's company (associations, batch read, properties).
 */
export const SEGSYNC_SCOPES = [
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.deals.read',
  'crm.lists.read',
  'crm.lists.write',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
  'crm.schemas.deals.read',
  'crm.objects.companies.read',
  'crm.schemas.companies.read',
] as const;

/** What a private app set up for reading only holds (the sandbox's `missing-scopes` account). */
export const READ_ONLY_SCOPES = SEGSYNC_SCOPES.filter((s) => s.endsWith('.read'));

const MISSING_SCOPES_MESSAGE =
  "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.";

/** Read-only POSTs: searches and batch reads. */
const READ_POST = /\/(search|batch\/read)$/;

/**
 * The scope a call needs, by HubSpot's scope table (docs: scopes per endpoint): objects by type
 * and read/write, properties and groups (schemas), lists. Calls outside these areas need none here.
 */
export function scopeFor(method: string, pathname: string): string | undefined {
  const read = method === 'GET' || (method === 'POST' && READ_POST.test(pathname));
  const access = read ? 'read' : 'write';
  const objects = /^\/crm\/v[34]\/(?:objects|associations)\/([^/]+)/.exec(pathname);
  if (objects) {
    const type = objects[1]!.toLowerCase();
    if (type === 'contacts' || type === 'contact' || type === '0-1') return `crm.objects.contacts.${access}`;
    if (type === 'deals' || type === 'deal' || type === '0-3') return `crm.objects.deals.${access}`;
    if (type === 'companies' || type === 'company' || type === '0-2') return `crm.objects.companies.${access}`;
    return undefined;
  }
  if (/^\/crm\/v3\/properties\/(contacts|contact|0-1)(\/|$)/.test(pathname)) return `crm.schemas.contacts.${access}`;
  if (/^\/crm\/v3\/properties\/(deals|deal|0-3)(\/|$)/.test(pathname)) return `crm.schemas.deals.${access}`;
  if (/^\/crm\/v3\/properties\/(companies|company|0-2)(\/|$)/.test(pathname)) return `crm.schemas.companies.${access}`;
  if (/^\/crm\/v3\/lists(\/|$)/.test(pathname)) return `crm.lists.${access}`;
  return undefined;
}

export class TokenAccess {
  /** undefined: every scope (the default, so that a call no test restricts is never refused). */
  private granted: Set<string> | undefined;
  private expiredAtMs: number | null = null;

  constructor(
    scopes: readonly string[] | undefined,
    private readonly now: () => number,
  ) {
    this.granted = scopes ? new Set(scopes) : undefined;
  }

  /** Only these scopes from now on; undefined grants every one again. */
  setScopes(scopes: readonly string[] | undefined): void {
    this.granted = scopes ? new Set(scopes) : undefined;
  }

  /** The token stops working now, as an OAuth access token does 30 minutes after it was issued. */
  expire(): void {
    this.expiredAtMs = this.now();
  }

  /** A fresh token was put in place. */
  renew(): void {
    this.expiredAtMs = null;
  }

  /** The answer instead of the real one, when the token may not make this call. */
  refuse(method: string, pathname: string): Reply | undefined {
    if (this.expiredAtMs !== null) {
      const seconds = Math.max(0, Math.floor((this.now() - this.expiredAtMs) / 1000));
      return {
        status: 401,
        body: errorBody(`The OAuth token used to make this call expired ${seconds} second(s) ago.`, 'EXPIRED_AUTHENTICATION', {
          context: { 'expire time': [new Date(this.expiredAtMs).toISOString()] },
        }),
      };
    }
    const scope = scopeFor(method, pathname);
    if (!scope || !this.granted || this.granted.has(scope)) return undefined;
    return {
      status: 403,
      body: errorBody(MISSING_SCOPES_MESSAGE, 'MISSING_SCOPES', {
        errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [scope] } }],
        links: { scopes: 'https://developers.hubspot.com/scopes' },
      }),
    };
  }
}
