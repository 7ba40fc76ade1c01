/**
 * States a real account can be in that change what the platform answers, which the emulators can
 * be put in (tests, and `segsync sandbox --account`). Unlike faults these are not one-off: every
 * request meets them, as with a real account. Each emulator answers the ones that exist on its
 * platform, in the shapes recorded from real accounts (test/fixtures/<platform>/), and ignores
 * the others:
 * - missing-scopes: the app was given read access only. HubSpot: writes answer 403
 *   MISSING_SCOPES naming the scope; Shopify: no write_customers (ACCESS_DENIED on writes);
 *   Marketo: the API role lacks Read-Write Schema Custom Field (603 on field creation).
 * - expired-token: HubSpot: the token is an OAuth access token past its 30 minutes (401
 *   EXPIRED_AUTHENTICATION).
 * - protected-customer-data: Shopify: the app is not approved for protected customer data
 *   (ACCESS_DENIED "This app is not approved to access the Customer object").
 * - shop-state:<state>: Shopify: the shop is pending-termination (SHOP_PENDING_TERMINATION),
 *   frozen (402 "Unavailable Shop": unpaid bills) or locked (423).
 * - plan:<plan>: Shopify: the shop's plan sets its cost bucket, standard (the default: 2,000
 *   points, 100 restored per second) or plus (20,000 points, 1,000 per second).
 */
export const SHOP_STATES = ['pending-termination', 'frozen', 'locked'] as const;
export type ShopStateName = (typeof SHOP_STATES)[number];
export const SHOP_PLANS = ['standard', 'plus'] as const;
export type ShopPlan = (typeof SHOP_PLANS)[number];

export type AccountCondition =
  | { kind: 'missing-scopes' }
  | { kind: 'expired-token' }
  | { kind: 'protected-customer-data' }
  | { kind: 'shop-state'; state: ShopStateName }
  | { kind: 'plan'; plan: ShopPlan };

export const ACCOUNT_CONDITIONS = ['missing-scopes', 'expired-token', 'protected-customer-data', 'shop-state', 'plan'] as const;

/** How the conditions read on a command line (`--account` help and errors). */
export const ACCOUNT_CONDITION_USAGE = `missing-scopes, expired-token, protected-customer-data, shop-state:${SHOP_STATES.join('|')}, plan:${SHOP_PLANS.join('|')}`;

/** "missing-scopes,shop-state:frozen" → conditions; throws an Error naming what is allowed. */
export function parseAccountConditions(value: string): AccountCondition[] {
  return value.split(',').map((part) => part.trim()).filter(Boolean).map((part): AccountCondition => {
    const [kind, arg, extra] = part.split(':');
    const needsArg = kind === 'shop-state' || kind === 'plan';
    if (!(ACCOUNT_CONDITIONS as readonly string[]).includes(kind!) || extra !== undefined || (arg !== undefined && !needsArg)) {
      throw new Error(`"${part}" is not an account condition; use one of ${ACCOUNT_CONDITION_USAGE}`);
    }
    if (kind === 'shop-state') {
      if (!(SHOP_STATES as readonly string[]).includes(arg ?? '')) throw new Error(`"${part}": the shop state after ':' must be one of ${SHOP_STATES.join(', ')}`);
      return { kind, state: arg as ShopStateName };
    }
    if (kind === 'plan') {
      if (!(SHOP_PLANS as readonly string[]).includes(arg ?? '')) throw new Error(`"${part}": the plan after ':' must be one of ${SHOP_PLANS.join(', ')}`);
      return { kind, plan: arg as ShopPlan };
    }
    return { kind: kind as 'missing-scopes' | 'expired-token' | 'protected-customer-data' };
  });
}

/** The condition of a kind, when it is among `conditions`. */
export function accountCondition<K extends AccountCondition['kind']>(
  conditions: readonly AccountCondition[] | undefined,
  kind: K,
): Extract<AccountCondition, { kind: K }> | undefined {
  return conditions?.find((c): c is Extract<AccountCondition, { kind: K }> => c.kind === kind);
}
