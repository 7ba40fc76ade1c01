/**
 * The sandbox's world clock moved forward (src/sandbox/world-clock.ts): Marketo's share of what
 * happened. A purchase is a won opportunity (`SGS-<purchase key>`, as at load) with the lead as
 * its primary Buyer role, created and modified at the purchase time, and an Add to Opportunity
 * activity; each event is one activity of its standard type (engagement.ts); an unsubscribe sets
 * the lead's `unsubscribed`. The lead's updatedAt moves to the latest of them.
 */
import type { PersonAdvance } from '../../../src/sandbox/population-types.js';
import { ENGAGEMENT_ACTIVITY } from './engagement.js';
import { ACTIVITY, opportunityFieldsOf, type ActivityRecord, type MarketoState } from './state.js';

export function appendAdvance(state: MarketoState, entries: readonly PersonAdvance[]): void {
  // Engagement activities keep their ordinal per lead (it picks the page, form or email served).
  const ordinals = new Map<number, number>();
  let lastId = 0;
  for (const a of state.activities) {
    if (a.engagement !== undefined) ordinals.set(a.leadId, (ordinals.get(a.leadId) ?? 0) + 1);
    lastId = Math.max(lastId, a.id);
  }
  const logged: Array<Omit<ActivityRecord, 'id'>> = [];
  for (const { person, purchases, events, unsubscribedAt } of entries) {
    const leadId = state.personIndex.get(person.index);
    const lead = leadId === undefined ? undefined : state.liveLead(leadId);
    if (!lead) continue; // deleted since
    let touched = lead.updatedMs;
    for (const p of purchases) {
      const at = Date.parse(p.occurredAt);
      const opportunity = state.addOpportunity(
        `SGS-${p.key}`,
        opportunityFieldsOf(p),
        at,
        at,
      );
      state.addRole(opportunity, lead.id, at);
      logged.push({ leadId: lead.id, dateMs: at, typeId: ACTIVITY.addToOpportunity, primaryAttributeValue: p.name, attributes: [{ name: 'Role', value: 'Buyer' }, { name: 'Is Primary', value: true }] });
      touched = Math.max(touched, at);
    }
    for (const event of events) {
      const typeId = ENGAGEMENT_ACTIVITY[event.channel];
      const at = Date.parse(event.at);
      if (typeId === undefined || !Number.isFinite(at)) continue;
      const n = ordinals.get(lead.id) ?? 0;
      ordinals.set(lead.id, n + 1);
      logged.push({ leadId: lead.id, dateMs: at, typeId, attributes: [], engagement: n });
    }
    if (unsubscribedAt) {
      lead.values.unsubscribed = true;
      touched = Math.max(touched, Date.parse(unsubscribedAt));
    }
    lead.updatedMs = touched;
  }
  // The log stays ordered by date, ids growing with it (paging tokens are positions).
  logged.sort((a, b) => a.dateMs - b.dateMs);
  logged.forEach((a, i) => state.activities.push({ ...a, id: lastId + i + 1 }));
  state.activities.sort((a, b) => a.dateMs - b.dateMs || a.id - b.id);
}

/** Population people on each static list (every list is created through the API), by name. */
export function listedPeople(state: MarketoState, listNames?: readonly string[]): Map<string, number[]> {
  const personOf = new Map<number, number>();
  for (const [index, leadId] of state.personIndex) personOf.set(leadId, index);
  const wanted = listNames ? new Set(listNames) : undefined;
  const out = new Map<string, number[]>();
  for (const list of state.lists.values()) {
    if (wanted && !wanted.has(list.name)) continue;
    const people: number[] = [];
    for (const id of list.members.keys()) {
      const index = personOf.get(id);
      if (index !== undefined && state.liveLead(id)) people.push(index);
    }
    out.set(list.name, [...(out.get(list.name) ?? []), ...people]);
  }
  return out;
}
