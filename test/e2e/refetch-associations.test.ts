/**
 * A purchase read again by id (a quarantined record, `SourceStream.refetch`) keeps the contact
 * links the regular read gives it: HubSpot's batch read returns no associations, so the deals'
 * contacts come from the associations v4 batch read (every page of them: see
 * test/contract/hubspot-deal-contacts.test.ts); Marketo's opportunities from their roles;
 * Shopify's orders from `customer { id }`. Compared with a clean full pull into another store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import type { ReadContext } from '../../src/domain/connector.js';
import { pull } from '../../src/pipeline/run.js';
import { openSession, type Session } from '../../src/pipeline/session.js';
import { Quarantine } from '../../src/store/quarantine.js';
import { nowIso } from '../../src/store/db.js';
import { marketoWorld } from '../helpers/marketo-world.js';
import { hubspotWorld } from '../helpers/sandbox.js';
import { shopifyWorld } from '../helpers/shopify-world.js';
import { signal, type StoreWorld } from '../helpers/world.js';

const worlds: StoreWorld[] = [];
const context: ReadContext = { signal, full: false, now: () => Date.now() };
afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
});

/** Every stored purchase of the platform with its contacts and amount, as one line each. */
function purchases(session: Session, platform: string): Map<string, string> {
  const rows = session.db
    .prepare(`SELECT p.external_id AS id, p.amount, p.status,
                (SELECT group_concat(contact_external_id, ',') FROM (SELECT contact_external_id FROM purchase_contacts l
                  WHERE l.platform = p.platform AND l.purchase_external_id = p.external_id ORDER BY contact_external_id)) AS contacts
              FROM purchases p WHERE p.platform = ?`)
    .all(platform) as Array<{ id: string; amount: number | null; status: string; contacts: string | null }>;
  return new Map(rows.map((r) => [r.id, `${r.status} ${r.amount} contacts=${r.contacts ?? ''}`]));
}

/** A clean full pull of the same emulator into a store of its own. */
async function cleanPull(world: StoreWorld, platform: string): Promise<Map<string, string>> {
  const dbPath = join(mkdtempSync(join(tmpdir(), 'segsync-clean-')), 'segsync.db');
  const session = openSession({ env: { ...world.env, SEGSYNC_DB: dbPath }, registry: CONNECTORS });
  try {
    await pull(session, { full: true, signal });
    return purchases(session, platform);
  } finally {
    session.close();
  }
}

describe('a purchase read again by id keeps its contact', () => {
  it('HubSpot: a deal quarantined by a one-off malformed fault is stored by the next pull with the contact links of a clean pull', async () => {
    const world = await hubspotWorld({ size: 150, seed: 9 });
    worlds.push(world);
    world.emulator.injectScenario({ kind: 'malformed-records', count: 11 });
    const session = world.open();
    await pull(session, { full: true, signal });
    const deals = world.emulator.corruptions().filter((c) => c.objectType === 'deals' && c.kind === 'wrong-type').map((c) => c.id);
    expect(deals.length).toBeGreaterThan(0);
    // Every quarantined deal is read again by id (the negative amount one too, as `quarantine retry` does).
    new Quarantine(session.db).markForRefetch(['hubspot'], {}, nowIso());

    const result = await pull(session, { full: false, signal });
    const refetched = result.streams.find((s) => s.stream === 'purchases')!.refetched!;
    expect(refetched.stored).toBeGreaterThanOrEqual(deals.length);
    const clean = await cleanPull(world, 'hubspot');
    const after = purchases(session, 'hubspot');
    for (const id of deals) {
      expect(after.get(id), `deal ${id}`).toBe(clean.get(id));
      expect(after.get(id), `deal ${id}`).toMatch(/contacts=\d/);
    }
    expect(after).toEqual(clean);
  }, 90_000);

  it('Marketo: an opportunity read again by id keeps the leads of its roles', async () => {
    const world = await marketoWorld({ size: 150 });
    worlds.push(world);
    world.emulator.injectScenario({ kind: 'malformed-records' });
    const session = world.open();
    await pull(session, { full: true, signal });
    // The emulator serves quarantined opportunities corrupted again by id (quarantine-refetch.test.ts):
    // read stored ones by id instead, as `quarantine retry` would, and compare their leads.
    const stored = [...purchases(session, 'marketo').keys()].slice(0, 20);
    const source = session.connectors.find((c) => c.id === 'marketo')!.connector.source!;
    const stream = source.streams.find((s) => s.name === 'purchases')!;
    const pages = [];
    for await (const page of stream.refetch!(stored, context)) pages.push(page);
    const byId = new Map(pages.flatMap((p) => p.purchases).map((p) => [p.externalId, [...p.contactExternalIds].sort().join(',')]));
    const links = purchases(session, 'marketo');
    for (const id of stored) expect(`contacts=${byId.get(id)}`, id).toBe(links.get(id)!.replace(/^.* (contacts=)/, '$1'));
  }, 90_000);

  it('Shopify: an order read again by id keeps its customer', async () => {
    const world = await shopifyWorld({ size: 150 });
    worlds.push(world);
    const session = world.open();
    await pull(session, { full: true, signal });
    const stored = [...purchases(session, 'shopify').keys()].slice(0, 20);
    const source = session.connectors.find((c) => c.id === 'shopify')!.connector.source!;
    const stream = source.streams.find((s) => s.name === 'purchases')!;
    const pages = [];
    for await (const page of stream.refetch!(stored, context)) pages.push(page);
    const byId = new Map(pages.flatMap((p) => p.purchases).map((p) => [p.externalId, [...p.contactExternalIds].sort().join(',')]));
    const links = purchases(session, 'shopify');
    expect(byId.size).toBe(stored.length);
    for (const id of stored) expect(`contacts=${byId.get(id)}`, id).toBe(links.get(id)!.replace(/^.* (contacts=)/, '$1'));
  }, 90_000);
});
