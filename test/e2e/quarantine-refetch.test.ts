/**
 * Reading quarantined records again by id on Shopify (`nodes(ids:)`) and Marketo (Get Leads by
 * filterType=id, Get Opportunities by filterType=marketoGUID), against their emulators. HubSpot's
 * batch read is in quarantine.test.ts, through the CLI.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { pull } from '../../src/pipeline/run.js';
import { Quarantine } from '../../src/store/quarantine.js';
import { nowIso } from '../../src/store/db.js';
import { marketoWorld, type MarketoWorld } from '../helpers/marketo-world.js';
import { shopifyWorld, type ShopifyWorld } from '../helpers/shopify-world.js';
import { signal } from '../helpers/world.js';

const worlds: Array<ShopifyWorld | MarketoWorld> = [];
afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
});

describe('quarantined records read again by id', () => {
  it('Shopify: records served malformed once by the bulk file are stored by the next incremental pull', async () => {
    const w = await shopifyWorld({ size: 150 });
    worlds.push(w);
    w.emulator.injectScenario({ kind: 'malformed-records', count: 8 });
    const session = w.open();
    await pull(session, { full: true, signal });
    const quarantine = new Quarantine(session.db);
    const kindOf = (id: string) => (session.db.prepare("SELECT kind FROM quarantine WHERE platform = 'shopify' AND external_id = ?").get(id) as { kind: string } | undefined)?.kind;
    // Values of the wrong GraphQL type (updatedAt as a number, processedAt no DateTime) are malformed: read again.
    const malformed = quarantine.list(100, { kind: 'malformed' }).flatMap((e) => (e.externalId ? [e.externalId] : []));
    const wrongType = w.emulator.corruptions().filter((c) => c.kind === 'wrong-type').map((c) => c.id);
    expect(wrongType.length).toBeGreaterThan(0);
    expect(malformed).toEqual(expect.arrayContaining(wrongType));
    // An impossible date in a data field waits until the record changes.
    const badDate = w.emulator.corruptions().find((c) => c.kind === 'impossible-date' && c.stream === 'customers')!;
    expect(kindOf(badDate.id)).toBe('invalid-date');

    const result = await pull(session, { full: false, signal });
    const total = (key: 'asked' | 'stored') => result.streams.reduce((n, s) => n + (s.refetched?.[key] ?? 0), 0);
    expect(total('asked')).toBe(malformed.length);
    expect(total('stored')).toBe(malformed.length);
    for (const id of malformed) {
      expect(kindOf(id), id).toBeUndefined();
      const table = id.includes('/Customer/') ? 'contacts' : 'purchases';
      expect(session.db.prepare(`SELECT 1 AS ok FROM ${table} WHERE platform = 'shopify' AND external_id = ?`).get(id), id).toEqual({ ok: 1 });
    }
    expect(kindOf(badDate.id)).toBe('invalid-date');
  }, 60_000);

  it('Marketo: retried leads are read by id and stored; an opportunity still served invalid stays, waiting longer', async () => {
    const w = await marketoWorld({ size: 150 });
    worlds.push(w);
    w.emulator.injectScenario({ kind: 'malformed-records' });
    const session = w.open();
    await pull(session, { full: true, signal });
    const corrupted = w.emulator.corruptedRecords().filter((c) => c.mustQuarantine && c.defect !== 'missing-id');
    const quarantine = new Quarantine(session.db);
    const held = (stream: string) => quarantine.list(1000).filter((e) => e.stream === stream && e.externalId !== null);
    // Bulk files served these leads corrupted; Get Leads by id serves them whole (opportunities stay corrupted).
    const leads = held('contacts').filter((e) => corrupted.some((c) => c.stream === 'contacts' && c.id === e.externalId));
    const opportunities = held('purchases').filter((e) => corrupted.some((c) => c.stream === 'purchases' && c.id === e.externalId));
    expect(leads.length).toBeGreaterThan(0);
    expect(opportunities.length).toBeGreaterThan(0);

    const before = { contacts: held('contacts').length, purchases: held('purchases').length };
    expect(quarantine.markForRefetch(['marketo'], {}, nowIso())).toBe(before.contacts + before.purchases);
    const result = await pull(session, { full: false, signal });
    const [contacts, purchases] = result.streams;
    expect(contacts!.refetched).toMatchObject({ asked: before.contacts, stored: leads.length });
    expect(purchases!.refetched).toEqual({ asked: before.purchases, stored: 0, quarantined: before.purchases, missing: 0 });
    for (const e of leads) expect(session.db.prepare("SELECT 1 AS ok FROM contacts WHERE platform = 'marketo' AND external_id = ?").get(e.externalId)).toEqual({ ok: 1 });
    const still = held('purchases').filter((e) => opportunities.some((o) => o.externalId === e.externalId));
    expect(still).toHaveLength(opportunities.length);
    // A data problem read again and still there is not read again by itself; a passing one waits an hour.
    for (const e of still) expect(e.refetchAttempts).toBe(1);
    expect(still.every((e) => e.refetchAfter === null || Date.parse(e.refetchAfter) > Date.now() + 50 * 60_000)).toBe(true);
    const requests = w.emulator.requests.map((r) => r.path);
    expect(requests.some((p) => /\/rest\/v1\/opportunities\.json\?.*filterType=marketoGUID/.test(p))).toBe(true);
  }, 60_000);
});
