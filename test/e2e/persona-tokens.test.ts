/**
 * Group tokens do not churn: five new orders for a handful of people must not rewrite the persona
 * summary of everyone in their personas (it rewrote 1,225 HubSpot contacts because a median moved
 * by a cent). Measured on the HubSpot emulator's push plan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destinationSettings } from '../../src/config/workspace.js';
import { planDestination } from '../../src/pipeline/plan.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { ANCHOR, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';
import { tokenFields } from '../helpers/world.js';

const FIELDS = tokenFields('hubspot');

describe('persona tokens after a few new orders', () => {
  let world: HubSpotWorld;
  let session: Session;
  beforeAll(async () => {
    world = await hubspotWorld({ size: 400 });
    session = world.open();
    await pull(session, { full: true, signal });
    segment(session);
    await push(session, { dryRun: false, allowMassRemoval: false, signal });
  }, 120_000);
  afterAll(() => world.close());

  it('rewrite the summary only for people whose persona changed', async () => {
    // Five repeat buyers each place one more order, a few days before the reference date.
    const deals = world.emulator.listDeals().filter((d) => d.properties.dealstage === 'closedwon' && d.properties.amount);
    const buyers = [...new Set(deals.map((d) => d.contactIds[0]!))].filter((id) => world.emulator.dealIdsForContact(id).length >= 2).slice(0, 5);
    expect(buyers).toHaveLength(5);
    for (const [i, id] of buyers.entries()) {
      const currency = deals.find((d) => d.contactIds.includes(id))!.properties.deal_currency_code ?? '';
      world.emulator.createDeal(id, {
        dealname: `New order ${i}`,
        amount: (37.15 + i * 11.3).toFixed(2),
        deal_currency_code: currency,
        closedate: new Date(ANCHOR.getTime() - (3 + i) * 86_400_000).toISOString(),
        dealstage: 'closedwon',
      });
    }
    const pulled = await pull(session, { full: false, signal });
    expect(pulled.streams.find((s) => s.stream === 'purchases')!.changed).toBe(5);
    segment(session);

    const hubspot = session.connectors.find((c) => c.id === 'hubspot')!;
    const plan = planDestination(session.db, 'hubspot', hubspot.connector.destination!, destinationSettings(session.workspace, 'hubspot'));
    const summaryUpdates = plan.tokens.filter((t) => FIELDS.persona_summary! in t.values);
    const personaChanges = plan.tokens.filter((t) => FIELDS.persona! in t.values);
    // Near zero: the buyers themselves may change persona, and so may a few people near a cluster edge.
    expect(personaChanges.length).toBeLessThan(20);
    expect(summaryUpdates.filter((t) => !(FIELDS.persona! in t.values)).map((t) => `${t.externalId}: ${t.values[FIELDS.persona_summary!]}`)).toEqual([]);
  }, 120_000);
});
