/**
 * Prediction tokens over the life of a workspace, against the HubSpot emulator: pushed as number
 * and date properties, not pushed again when unchanged, emptied on HubSpot when predictions are
 * switched off, and never created on a portal that never had them on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { ANCHOR, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

const PROPERTIES = ['segsync_clv_12m', 'segsync_p_alive', 'segsync_expected_purchases_90d', 'segsync_next_purchase_date'];
const ON = `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`;
const OFF = `${ON}  predictions:\n    enabled: false\n`;

describe('prediction tokens on HubSpot', () => {
  let world: HubSpotWorld;
  beforeAll(async () => {
    world = await hubspotWorld({ size: 600 });
  });
  afterAll(() => world.close());

  const valuesOnHubSpot = () => world.emulator.listContacts().flatMap((c) => PROPERTIES.map((p) => c.properties[p] ?? '').filter((v) => v !== ''));

  it('never creates prediction properties on a portal where predictions were never on', async () => {
    world.writeConfig(OFF);
    const session = world.open();
    await pull(session, { full: true, signal });
    expect(segment(session).predictions.status).toBe('off');
    const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    // Read back through HubSpot's own properties API.
    const all = await world.sdk.crm.properties.coreApi.getAll('contacts');
    const names = new Set(all.results.map((p) => p.name));
    expect(names.has('segsync_rfm_segment')).toBe(true);
    for (const p of PROPERTIES) expect(names.has(p), p).toBe(false);
    expect(valuesOnHubSpot()).toEqual([]);
  });

  it('pushes the predictions once switched on, as HubSpot number and date properties, and sends nothing the second time', async () => {
    world.writeConfig(ON);
    const session = world.open();
    const result = segment(session);
    expect(result.predictions.status).toBe('fitted');
    await push(session, { dryRun: false, allowMassRemoval: false, signal });
    const stored = session.db.prepare(`SELECT i.external_id AS id, t.token, t.value FROM profile_tokens t
      JOIN identities i ON i.profile_id = t.profile_id AND i.platform = 'hubspot'
      WHERE t.token IN ('clv', 'p_alive', 'expected_purchases_90d', 'next_purchase_date') AND t.value <> ''`).all() as Array<{ id: string; token: string; value: string }>;
    expect(stored.length).toBeGreaterThan(200);
    const field: Record<string, string> = { clv: 'segsync_clv_12m', p_alive: 'segsync_p_alive', expected_purchases_90d: 'segsync_expected_purchases_90d', next_purchase_date: 'segsync_next_purchase_date' };
    for (const t of stored) expect(world.emulator.getContact(t.id)!.properties[field[t.token]!], `${t.id} ${t.token}`).toBe(t.value);
    const types = Object.fromEntries((await world.sdk.crm.properties.coreApi.getAll('contacts')).results.filter((p) => PROPERTIES.includes(p.name)).map((p) => [p.name, `${p.type}/${p.fieldType}`]));
    expect(types).toEqual({ segsync_clv_12m: 'number/number', segsync_p_alive: 'number/number', segsync_expected_purchases_90d: 'number/number', segsync_next_purchase_date: 'date/date' });
    const before = world.emulator.requests.filter((r) => r.write).length;
    segment(session);
    const again = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(again.destinations[0]!.plan.tokenUpdates).toBe(0);
    expect(world.emulator.requests.filter((r) => r.write).length).toBe(before);
  });

  it('empties them on HubSpot when predictions are switched off again', async () => {
    expect(valuesOnHubSpot().length).toBeGreaterThan(200);
    world.writeConfig(OFF);
    const session = world.open();
    segment(session);
    const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    expect(valuesOnHubSpot()).toEqual([]);
  });
});
