import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@hubspot/api-client';
import { MassRemovalError } from '../../src/pipeline/apply.js';
import { destinationSettings } from '../../src/config/workspace.js';
import { planDestination } from '../../src/pipeline/plan.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { ANCHOR, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';
import { expectedMembers as membersOn, tokenFields } from '../helpers/world.js';

const writes = (world: HubSpotWorld) => world.emulator.requests.filter((r) => r.write).length;

/** Reads a list's members the way HubSpot shows them, through the official client. */
async function listMembers(sdk: Client, name: string): Promise<Set<string>> {
  const { list } = await sdk.crm.lists.listsApi.getByName(name, '0-1');
  const ids = new Set<string>();
  let after: string | undefined;
  do {
    const page = await sdk.crm.lists.membershipsApi.getPage(list.listId, after, undefined, 250);
    for (const m of page.results) ids.add(m.recordId);
    after = page.paging?.next?.after;
  } while (after);
  return ids;
}

/** The store's view: segment name → HubSpot contact ids of the profiles in it (live, subscribed). */
const expectedMembers = (session: Session) => membersOn(session, 'hubspot');

describe('HubSpot end to end: pull → segment → push, read back through the emulator', () => {
  let world: HubSpotWorld;
  let session: Session;

  beforeAll(async () => {
    world = await hubspotWorld();
    session = world.open();
  });
  afterAll(() => world.close());

  it('pulls every contact and deal, quarantining won deals without an amount', async () => {
    const result = await pull(session, { full: true, signal });
    const contacts = result.streams.find((s) => s.stream === 'contacts')!;
    const deals = result.streams.find((s) => s.stream === 'purchases')!;
    expect(contacts.stored).toBe(world.emulator.listContacts().length);
    const dealCount = world.emulator.listContacts().reduce((n, c) => n + world.emulator.dealIdsForContact(c.id).length, 0);
    expect(deals.received).toBe(dealCount);
    expect(deals.stored + deals.quarantined).toBe(dealCount);
    const reasons = session.db.prepare('SELECT reason FROM quarantine').all() as Array<{ reason: string }>;
    expect(reasons.length).toBe(deals.quarantined);
    for (const r of reasons) expect(r.reason).toMatch(/amount: missing on a won deal/);
  });

  it('segments every live profile into exactly one RFM segment', () => {
    const result = segment(session);
    expect(result.referenceDate).toBe(ANCHOR.toISOString());
    expect(result.profiles).toBe(world.emulator.listContacts().length);
    expect(result.segments.filter((s) => s.kind === 'rfm').reduce((n, s) => n + s.size, 0)).toBe(result.profiles);
    expect(result.segments.find((s) => s.key === 'prospects')!.size).toBeGreaterThan(0);
  });

  it('pushes lists and tokens that HubSpot then shows exactly as the store has them', async () => {
    const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    const applied = result.destinations[0]!.applied!;
    expect(applied.failed).toEqual([]);
    // People who unsubscribed on HubSpot are on no list, and the summary counts them.
    const optedOut = (session.db.prepare("SELECT external_id FROM contacts WHERE email_consent = 'unsubscribed'").all() as Array<{ external_id: string }>).map((r) => r.external_id);
    expect(optedOut.length).toBeGreaterThan(0);
    expect(result.destinations[0]!.plan.unsubscribedExcluded).toBe(optedOut.length);
    // Every subscribed contact is on exactly one RFM list; buyers are also on one persona list.
    const rfmMembers = (session.db.prepare("SELECT COUNT(*) AS n FROM memberships m JOIN segments s ON s.key = m.segment_key WHERE m.left_at IS NULL AND s.kind = 'rfm'").get() as { n: number }).n;
    expect(rfmMembers).toBe(world.emulator.listContacts().length);
    expect(applied.listAdds).toBe([...expectedMembers(session).values()].reduce((n, ids) => n + ids.size, 0));
    expect(world.emulator.listContacts().some((c) => (c.properties.segsync_persona ?? '') !== '')).toBe(true);
    for (const [name, ids] of expectedMembers(session)) {
      expect(await listMembers(world.sdk, `segsync · ${name}`), name).toEqual(ids);
    }
    const tokens = session.db
      .prepare(`SELECT i.external_id AS id, t.token, t.value FROM profile_tokens t
                JOIN identities i ON i.profile_id = t.profile_id AND i.platform = 'hubspot'`)
      .all() as Array<{ id: string; token: string; value: string }>;
    const field = tokenFields('hubspot');
    for (const t of tokens) {
      const shown = world.emulator.getContact(t.id)!.properties[field[t.token]!] ?? '';
      expect(shown, `${t.id} ${t.token}`).toBe(t.value);
    }
    const property = await world.sdk.crm.properties.coreApi.getByName('contacts', 'segsync_rfm_segment');
    expect(property.groupName).toBe('segsync');
    expect(property.options.map((o) => o.label)).toContain('Champions');
  });

  it('sends zero write requests when nothing changed', async () => {
    const before = writes(world);
    const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(writes(world)).toBe(before);
    expect(result.destinations[0]!.plan).toMatchObject({ listAdds: 0, listRemoves: 0, tokenUpdates: 0 });
  });

  it('picks up exactly the contacts changed on HubSpot in an incremental pull', async () => {
    const changed = world.emulator.listContacts().slice(10, 15).map((c) => c.id);
    for (const id of changed) world.emulator.updateContact(id, { city: 'Changed City' });
    const result = await pull(session, { full: false, signal });
    const contacts = result.streams.find((s) => s.stream === 'contacts')!;
    expect(contacts.mode).toBe('incremental');
    expect(new Set(contacts.changedIds)).toEqual(new Set(changed));
    const deals = result.streams.find((s) => s.stream === 'purchases')!;
    expect(deals.changed).toBe(0);
  });

  it('a deleted contact leaves every list, with no removal sent for it', async () => {
    const victim = [...expectedMembers(session).get('Champions') ?? expectedMembers(session).get('Loyal Customers')!][0]!;
    world.emulator.archiveContact(victim);
    await pull(session, { full: false, signal });
    segment(session);
    const hubspot = session.connectors[0]!.connector.destination!;
    const plan = planDestination(session.db, 'hubspot', hubspot, destinationSettings(session.workspace, 'hubspot'), session.workspace.controlGroups);
    expect(plan.lists.flatMap((l) => l.remove)).not.toContain(victim);
    expect(plan.forgetIds).toEqual([victim]);
    await push(session, { dryRun: false, allowMassRemoval: false, signal });
    for (const name of expectedMembers(session).keys()) {
      expect((await listMembers(world.sdk, `segsync · ${name}`)).has(victim)).toBe(false);
    }
    const open = session.db.prepare(`SELECT COUNT(*) AS n FROM memberships m JOIN identities i ON i.profile_id = m.profile_id
      WHERE i.external_id = ? AND m.left_at IS NULL`).get(victim) as { n: number };
    expect(open.n).toBe(0);
  });

  it('a merged contact\'s purchases count for the surviving contact', async () => {
    const contacts = world.emulator.listContacts().filter((c) => world.emulator.dealIdsForContact(c.id).length > 0);
    const [survivor, merged] = [contacts[0]!.id, contacts[1]!.id];
    const frequencyOf = (id: string) => (session.db.prepare(`SELECT COUNT(DISTINCT p.external_id) AS n FROM purchases p
      JOIN purchase_contacts pc ON pc.platform = p.platform AND pc.purchase_external_id = p.external_id
      JOIN identities i ON i.platform = pc.platform AND i.external_id = pc.contact_external_id
      WHERE i.profile_id = (SELECT profile_id FROM identities WHERE external_id = ?) AND p.status = 'won' AND p.amount IS NOT NULL`).get(id) as { n: number }).n;
    const total = frequencyOf(survivor) + frequencyOf(merged);
    const survivorProfile = (session.db.prepare('SELECT profile_id FROM identities WHERE external_id = ?').get(survivor) as { profile_id: number }).profile_id;
    world.emulator.mergeContacts(survivor, merged);
    await pull(session, { full: false, signal });
    segment(session);
    expect(frequencyOf(survivor)).toBe(total);
    expect((session.db.prepare('SELECT profile_id FROM identities WHERE external_id = ?').get(survivor) as { profile_id: number }).profile_id).toBe(survivorProfile);
    const mergedRow = session.db.prepare("SELECT merged_into FROM contacts WHERE platform = 'hubspot' AND external_id = ?").get(merged) as { merged_into: string };
    expect(mergedRow.merged_into).toBe(survivor);
  });

  it('a dry run prints the plan and sends nothing at all', async () => {
    world.writeConfig(`segmentation:\n  referenceDate: 2028-06-01T00:00:00.000Z\n`);
    const later = world.open();
    segment(later);
    world.emulator.resetRequestLog();
    const result = await push(later, { dryRun: true, allowMassRemoval: false, signal });
    expect(world.emulator.requests).toHaveLength(0);
    expect(result.destinations[0]!.plan.listRemoves).toBeGreaterThan(0);
  });

  it('the mass-removal guard stops a push that would empty lists, before sending anything', async () => {
    const later = world.open();
    world.emulator.resetRequestLog();
    await expect(push(later, { dryRun: false, allowMassRemoval: false, signal })).rejects.toThrow(MassRemovalError);
    expect(world.emulator.requests.filter((r) => r.write)).toHaveLength(0);
    await expect(push(later, { dryRun: false, allowMassRemoval: false, signal })).rejects.toThrow(/--allow-mass-removal/);
  });

  it('--allow-mass-removal goes ahead, and the lists match the store again', async () => {
    const later = world.open();
    const result = await push(later, { dryRun: false, allowMassRemoval: true, signal });
    expect(result.destinations[0]!.applied!.listRemoves).toBeGreaterThan(0);
    for (const [name, ids] of expectedMembers(later)) {
      expect(await listMembers(world.sdk, `segsync · ${name}`), name).toEqual(ids);
    }
  });
});

describe('HubSpot additive mode', () => {
  it('never removes from a list', async () => {
    const world = await hubspotWorld({ size: 120, config: `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\ndestinations:\n  hubspot:\n    mode: additive\n` });
    try {
      const session = world.open();
      await pull(session, { full: true, signal });
      segment(session);
      await push(session, { dryRun: false, allowMassRemoval: false, signal });
      world.writeConfig(`segmentation:\n  referenceDate: 2028-06-01T00:00:00.000Z\ndestinations:\n  hubspot:\n    mode: additive\n`);
      const later = world.open();
      segment(later);
      world.emulator.resetRequestLog();
      const result = await push(later, { dryRun: false, allowMassRemoval: false, signal });
      expect(result.destinations[0]!.plan.listRemoves).toBe(0);
      expect(result.destinations[0]!.plan.skippedRemovals).toBeGreaterThan(0);
      expect(world.emulator.requests.filter((r) => /memberships\/remove/.test(r.path))).toHaveLength(0);
    } finally {
      await world.close();
    }
  });
});

describe('HubSpot rule segments on a mapped custom property', () => {
  it('maps a property in the workspace config, segments on it, and pushes the list and token', async () => {
    const config = [
      `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}`,
      'sources:\n  hubspot:\n    attributes:\n      stage: lifecyclestage',
      'segments:',
      '  - key: leads_never_bought',
      '    name: Leads who never bought',
      '    rule: { op: all, rules: [ { op: eq, field: attributes.stage, value: lead }, { op: eq, field: rfmSegment, value: prospects } ] }',
      '  - key: big_recent_spenders',
      '    name: Big recent spenders',
      '    rule: { op: spentWithinDays, days: 120, atLeast: 1000 }',
    ].join('\n');
    const world = await hubspotWorld({ size: 150, config });
    try {
      const session = world.open();
      await pull(session, { full: true, signal });
      const result = segment(session);
      const leads = result.segments.find((s) => s.key === 'leads_never_bought')!;
      expect(leads.size).toBeGreaterThan(0);
      expect(leads.size).toBeLessThanOrEqual(result.segments.find((s) => s.key === 'prospects')!.size);
      await push(session, { dryRun: false, allowMassRemoval: false, signal });
      const members = expectedMembers(session);
      expect(await listMembers(world.sdk, 'segsync · Big recent spenders')).toEqual(members.get('Big recent spenders'));
      const someone = [...members.get('Big recent spenders')!][0]!;
      expect(world.emulator.getContact(someone)!.properties.segsync_segments).toContain('Big recent spenders');

      // The admin removes a rule: its list empties on the next push, which the mass-removal guard
      // lets through (a retired segment, not an accident), while the other lists are untouched.
      world.writeConfig(config.split('\n  - key: big_recent_spenders')[0]!);
      const later = world.open();
      segment(later);
      const pushed = await push(later, { dryRun: false, allowMassRemoval: false, signal });
      const retired = pushed.destinations[0]!.plan.lists.find((l) => l.listName === 'segsync · Big recent spenders')!;
      expect(retired.remove).toBe(members.get('Big recent spenders')!.size);
      expect(await listMembers(world.sdk, 'segsync · Big recent spenders')).toEqual(new Set());
      expect(world.emulator.getContact(someone)!.properties.segsync_segments ?? '').not.toContain('Big recent spenders');
    } finally {
      await world.close();
    }
  });
});
