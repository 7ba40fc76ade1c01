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
import { fiveRepeatBuyersOrderAgain, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';
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
    expect(fiveRepeatBuyersOrderAgain(world)).toHaveLength(5);
    const pulled = await pull(session, { full: false, signal });
    expect(pulled.streams.find((s) => s.stream === 'purchases')!.changed).toBe(5);
    segment(session);

    const hubspot = session.connectors.find((c) => c.id === 'hubspot')!;
    const plan = planDestination(session.db, 'hubspot', hubspot.connector.destination!, destinationSettings(session.workspace, 'hubspot'), session.workspace.controlGroups);
    const summaryUpdates = plan.tokens.filter((t) => FIELDS.persona_summary! in t.values);
    const personaChanges = plan.tokens.filter((t) => FIELDS.persona! in t.values);
    // Near zero: the buyers themselves may change persona, and so may a few people near a cluster edge.
    expect(personaChanges.length).toBeLessThan(20);
    expect(summaryUpdates.filter((t) => !(FIELDS.persona! in t.values)).map((t) => `${t.externalId}: ${t.values[FIELDS.persona_summary!]}`)).toEqual([]);
  }, 120_000);
});
