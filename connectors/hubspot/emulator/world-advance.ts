/**
 * The sandbox's world clock moved forward (src/sandbox/world-clock.ts): HubSpot's share of what
 * happened. A purchase is a closed-won deal associated to the contact, created and modified at
 * the purchase time; events raise the contact's counters (history at the event's time); an
 * unsubscribe sets hs_email_optout. The contact's modification date moves to the latest of them,
 * so an incremental pull (search on lastmodifieddate / hs_lastmodifieddate) reads all of it.
 */
import type { PersonAdvance } from '../../../src/sandbox/population-types.js';
import { applyEvents, type CrmState } from './state.js';

export function appendAdvance(state: CrmState, entries: readonly PersonAdvance[]): void {
  for (const { person, purchases, events, unsubscribedAt } of entries) {
    const contactId = state.personIndex.get(person.index);
    const contact = contactId === undefined ? undefined : state.contacts.resolve(contactId);
    if (!contact) continue; // archived or merged away since: nobody left to buy
    let touched = Number.NaN;
    const touch = (ms: number) => (touched = Number.isFinite(touched) ? Math.max(touched, ms) : ms);
    for (const p of purchases) {
      const at = Date.parse(p.occurredAt);
      const deal = state.deals.create(
        {
          dealname: p.name,
          amount: p.amount === null ? '' : p.amount.toFixed(2),
          deal_currency_code: p.currency,
          closedate: p.occurredAt,
          dealstage: 'closedwon',
          pipeline: 'default',
        },
        at,
        at,
      );
      deal.assoc = [contact.id];
      contact.assoc = [...contact.assoc, deal.id];
      contact.props.lifecyclestage = 'customer';
      touch(at);
    }
    const latest = applyEvents(contact, events);
    if (Number.isFinite(latest)) touch(latest);
    if (unsubscribedAt) {
      contact.props.hs_email_optout = 'true';
      touch(Date.parse(unsubscribedAt));
    }
    if (Number.isFinite(touched)) contact.updatedMs = Math.max(contact.updatedMs, touched);
  }
  state.version++;
}

/** Population people on each live list (every HubSpot list is created through the API), by name. */
export function listedPeople(state: CrmState, listNames?: readonly string[]): Map<string, number[]> {
  const personOf = new Map<number, number>();
  for (const [index, contactId] of state.personIndex) personOf.set(contactId, index);
  const wanted = listNames ? new Set(listNames) : undefined;
  const out = new Map<string, number[]>();
  for (const list of state.lists.values()) {
    if (list.deletedMs !== null || (wanted && !wanted.has(list.name))) continue;
    const people: number[] = [];
    for (const id of list.members.keys()) {
      const index = personOf.get(id);
      if (index !== undefined) people.push(index);
    }
    out.set(list.name, people);
  }
  return out;
}
