/**
 * Shopify's answers about the app and the shop that are neither a token nor a scope problem
 * (recorded shapes in test/fixtures/shopify/, SOURCE.md):
 * - protected customer data: "This app is not approved to access the Customer object" (code
 *   ACCESS_DENIED, or no code as in Shopify's docs example), with the documentation link;
 * - the shop's state: SHOP_PENDING_TERMINATION (HTTP 200, "Shop is under review"), HTTP 402
 *   "Unavailable Shop" (frozen: unpaid bills; some answers come as 403), HTTP 423 (locked).
 * Each says what the state is and who can change it, never "check the mapping file".
 */
import { ApiError, type ApiErrorInit } from '../../src/http/errors.js';
import type { GraphqlError } from './schemas.js';

export const PROTECTED_DATA_DOCS = 'https://shopify.dev/docs/apps/launch/protected-customer-data';

export type ShopifyAccountProblem = 'protected-customer-data' | 'shop-state';

/** An ApiError about the app's approval or the shop's state: an admin must act, not segsync. */
export class ShopifyAccountError extends ApiError {
  constructor(
    init: ApiErrorInit,
    readonly problem: ShopifyAccountProblem,
    /** The shop's state ("pending termination", "frozen", "locked"), for shop-state problems. */
    readonly shopState?: string,
  ) {
    super(init);
    this.name = 'ShopifyAccountError';
  }
}

const codeOf = (error: GraphqlError): string | undefined => (typeof error.extensions?.code === 'string' ? error.extensions.code : undefined);
const documentationOf = (error: GraphqlError): string | undefined =>
  typeof error.extensions?.documentation === 'string' ? error.extensions.documentation : undefined;

/** "This app is not approved to access the Customer object" (or REST's "... REST endpoints with protected customer data"). */
export function isProtectedDataError(error: GraphqlError): boolean {
  return /not approved to access\b.*\b(object|protected customer data)/i.test(error.message) || (documentationOf(error) ?? '').includes('protected-customer-data');
}

/** The app lacks protected customer data access: say so, and keep Shopify's documentation link. */
export function protectedDataError(call: string, error: GraphqlError, status?: number): ShopifyAccountError {
  return new ShopifyAccountError(
    {
      platform: 'shopify',
      call,
      kind: 'auth',
      ...(status !== undefined ? { status } : {}),
      detail: `the app is not approved for protected customer data (Shopify: "${error.message.trim()}")`,
      hint:
        'this is not a token or scope problem: the app needs protected customer data access. For an app made in the Partner or Dev Dashboard: ' +
        'its API access page → Protected customer data access → request access to customer data and the name, email and phone fields ' +
        '(a development store needs no review). An app made in the store admin has it on the Shopify, Advanced and Plus plans. ' +
        `See ${documentationOf(error) ?? PROTECTED_DATA_DOCS}`,
    },
    'protected-customer-data',
  );
}

/** What the store owner can do in each state (Shopify's response-code docs, help center). */
const SHOP_STATE_FIX: Record<string, string> = {
  'pending termination': 'Shopify has the shop under review for termination; the store owner must resolve it with Shopify Support',
  frozen: 'Shopify froze the shop for unpaid bills; the store owner must pay the outstanding balance (Shopify admin → Settings → Billing) to unfreeze it',
  locked: 'Shopify locked the shop (repeatedly over API limits, or an account problem such as suspected fraud); the store owner must contact Shopify Support',
};

function shopStateError(call: string, state: string, said: string, status?: number): ShopifyAccountError {
  return new ShopifyAccountError(
    {
      platform: 'shopify',
      call,
      kind: 'auth',
      ...(status !== undefined ? { status } : {}),
      detail: `the shop is ${state}, so Shopify refuses API access to it (Shopify: "${said}")`,
      hint: `${SHOP_STATE_FIX[state] ?? `the shop's state must change before the API answers; the store owner must ask Shopify Support`}; nothing in segsync's settings or mappings can change this, and the next run continues where this one stopped`,
    },
    'shop-state',
    state,
  );
}

/** SHOP_PENDING_TERMINATION → "pending termination"; any other SHOP_* code reads the same way. */
export function shopStateOfCode(code: string | undefined): string | undefined {
  const m = code ? /^SHOP_([A-Z_]+)$/.exec(code) : null;
  return m ? m[1]!.toLowerCase().replace(/_/g, ' ') : undefined;
}

/** A GraphQL error naming the shop's state (HTTP 200). */
export function shopStateFromGraphql(call: string, errors: GraphqlError[]): ShopifyAccountError | undefined {
  for (const e of errors) {
    const state = shopStateOfCode(codeOf(e));
    if (state) return shopStateError(call, state, e.message);
  }
  return undefined;
}

/** HTTP 402 "Unavailable Shop" (also seen as 403), or 423. */
export function shopStateFromHttp(call: string, status: number, detail: string): ShopifyAccountError | undefined {
  if (status === 402 || (status === 403 && /unavailable shop/i.test(detail))) return shopStateError(call, 'frozen', detail, status);
  if (status === 423) return shopStateError(call, 'locked', detail, status);
  return undefined;
}
