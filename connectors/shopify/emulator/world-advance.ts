/**
 * The sandbox's world clock moved forward (src/sandbox/world-clock.ts): the shop's share of what
 * happened. A purchase is a PAID order with its line items, placed and updated at the purchase
 * time; an unsubscribe sets the customer's email marketing consent to UNSUBSCRIBED. The
 * customer's updatedAt moves to the latest of them. The shop keeps no email or web events.
 */
import type { PersonAdvance } from '../../../src/sandbox/population-types.js';
import type { ShopState } from './state.js';

export function appendAdvance(state: ShopState, entries: readonly PersonAdvance[]): void {
  for (const { person, purchases, unsubscribedAt } of entries) {
    const customerId = state.personIndex.get(person.index);
    const customer = customerId === undefined ? undefined : state.customer(customerId);
    if (!customer) continue; // erased since
    for (const p of purchases) {
      const at = Date.parse(p.occurredAt);
      state.addOrder(customer, at, at, null, 'PAID', (p.amount ?? 0).toFixed(2), p.currency, false, p.items);
      customer.updatedMs = Math.max(customer.updatedMs, at);
    }
    if (unsubscribedAt && customer.marketingState !== 'UNSUBSCRIBED') {
      customer.marketingState = 'UNSUBSCRIBED';
      customer.updatedMs = Math.max(customer.updatedMs, Date.parse(unsubscribedAt));
    }
  }
}

/**
 * Population people holding each tag that was added through the API (segsync's tags; the shop's
 * own, such as vip, were there at load and never added), by tag.
 */
export function listedPeople(state: ShopState, listNames?: readonly string[]): Map<string, number[]> {
  const added = new Set(state.tagChanges.filter((c) => c.change === 'added').map((c) => c.tag.toLowerCase()));
  const wanted = listNames ? new Set(listNames.map((n) => n.toLowerCase())) : undefined;
  const out = new Map<string, number[]>();
  for (const [index, customerId] of state.personIndex) {
    const customer = state.customer(customerId);
    if (!customer) continue;
    for (const tag of customer.tags) {
      const key = tag.toLowerCase();
      if (!added.has(key) || (wanted && !wanted.has(key))) continue;
      const people = out.get(tag) ?? [];
      people.push(index);
      out.set(tag, people);
    }
  }
  return out;
}
