/**
 * `customerRequestDataErasure(customerId:)`: Shopify queues the erasure of a customer's personal
 * data (scope write_customer_data_erasure). An unknown customer answers the userError code
 * DOES_NOT_EXIST ("Customer does not exist"), as CustomerRequestDataErasureErrorCode documents.
 *
 * CHOSEN: the emulator erases at once instead of after Shopify's waiting period: the customer is
 * no longer served anywhere (queries, node, bulk), their name, email, phone, address, tags and
 * metafields are dropped, and their orders stay as orders without a customer (Shopify redacts
 * the customer from orders it must keep for the merchant's accounts).
 */
import { GraphQLError } from 'graphql';
import { gid, parseGid, requireScope, type ResolverContext } from './resolvers.js';

export function customerRequestDataErasure(ctx: ResolverContext, args: { customerId: string }) {
  requireScope(ctx, 'write_customer_data_erasure', 'customerRequestDataErasure');
  const parsed = parseGid(args.customerId);
  if (!parsed) {
    throw new GraphQLError(`Invalid global id '${args.customerId}'`, { extensions: { code: 'argumentLiteralsIncompatible', argumentName: 'customerId' } });
  }
  const customer = parsed.type === 'Customer' ? ctx.state.customer(parsed.id) : undefined;
  if (!customer) {
    return { customerId: null, userErrors: [{ field: ['customerId'], message: 'Customer does not exist', code: 'DOES_NOT_EXIST' }] };
  }
  const state = ctx.state;
  const email = customer.email?.trim().toLowerCase();
  if (email && state.emailIndex.get(email) === customer.id) state.emailIndex.delete(email);
  for (const orderId of customer.orderIds) {
    const order = state.order(orderId);
    if (order) order.customerId = null;
  }
  customer.orderIds.length = 0;
  customer.firstName = null;
  customer.lastName = null;
  customer.email = null;
  customer.phone = null;
  customer.city = null;
  customer.countryCode = null;
  customer.tags = [];
  customer.metafields.clear();
  state.erased.add(customer.id);
  return { customerId: gid('Customer', customer.id), userErrors: [] };
}
