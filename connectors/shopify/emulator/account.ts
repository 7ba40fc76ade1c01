/**
 * The app's approval and the shop's state, as the Shopify emulator answers them (shapes recorded
 * in test/fixtures/shopify/, SOURCE.md):
 * - protected customer data not approved: every Customer object read fails with ACCESS_DENIED
 *   "This app is not approved to access the Customer object. See … for more details." and the
 *   documentation link; a mutation still runs, only its Customer in the payload is refused;
 * - shop states: pending-termination answers HTTP 200 with code SHOP_PENDING_TERMINATION ("Access
 *   denied for <field> field. Shop is under review."), frozen HTTP 402 {"errors":"Unavailable
 *   Shop"}, locked HTTP 423 (CHOSEN body {"errors":"Locked"}: no recorded one).
 */
import { GraphQLError } from 'graphql';
import type { ShopStateName } from '../../../src/sandbox/emulator-account.js';

export const PROTECTED_DATA_DOCUMENTATION = 'https://shopify.dev/docs/apps/launch/protected-customer-data';

export function protectedCustomerDataError(): GraphQLError {
  return new GraphQLError(`This app is not approved to access the Customer object. See ${PROTECTED_DATA_DOCUMENTATION} for more details.`, {
    extensions: { code: 'ACCESS_DENIED', documentation: PROTECTED_DATA_DOCUMENTATION },
  });
}

export interface ShopStateReply {
  status: number;
  body: unknown;
}

/** The answer to any Admin API request while the shop is in `state`; `field` is the first root field asked for. */
export function shopStateReply(state: ShopStateName, field: string | undefined): ShopStateReply {
  switch (state) {
    case 'pending-termination':
      return { status: 200, body: { errors: [{ message: `Access denied for ${field ?? 'shop'} field. Shop is under review.`, extensions: { code: 'SHOP_PENDING_TERMINATION' } }] } };
    case 'frozen':
      return { status: 402, body: { errors: 'Unavailable Shop' } };
    case 'locked':
      return { status: 423, body: { errors: 'Locked' } };
  }
}
