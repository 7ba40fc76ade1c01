import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destinationSettings } from '../../src/config/workspace.js';
import { planDestination } from '../../src/pipeline/plan.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { ANCHOR, TOKEN_FIELDS, asTokenValue, expectedMembers, marketoWorld, signal, storedTokens, type MarketoWorld } from '../helpers/marketo-world.js';

const writes = (world: MarketoWorld) => world.emulator.requests.filter((r) => r.write).length;

describe('Marketo end to end: pull → segment → push, read back through the emulator', () => {
  let world: MarketoWorld;
  let session: Session;

  beforeAll(async () => {
    // Over 300 leads: ids past the first probe batch, and token writes in more than one batch.
    world = await marketoWorld({ size: 800 });
    session = world.open();
  });
  afterAll(() => world.close());

  it('pulls every lead (bulk extract) and every opportunity, quarantining won ones without an amount', async () => {
    const result = await pull(session, { full: true, signal });
    const contacts = result.streams.find((s) => s.stream === 'contacts')!;
    const purchases = result.streams.find((s) => s.stream === 'purchases')!;
    const leads = world.emulator.listLeads();
    expect(contacts.mode).toBe('full');
    expect(contacts.stored).toBe(leads.length);
    const opportunities = leads.reduce((n, l) => n + world.emulator.opportunitiesForLead(l.id).length, 0);
    expect(purchases.received).toBe(opportunities);
    expect(purchases.stored + purchases.quarantined).toBe(opportunities);
    const reasons = session.db.prepare("SELECT reason FROM quarantine WHERE platform = 'marketo'").all() as Array<{ reason: string }>;
    expect(reasons.length).toBe(purchases.quarantined);
    for (const r of reasons) expect(r.reason).toMatch(/^amount: missing on a won opportunity/);
    // Bulk extract windows never exceed Marketo's 31 days, and every job was read.
    const creates = world.emulator.requests.filter((r) => r.path.startsWith('/bulk/v1/leads/export/create.json'));
    expect(creates.length).toBeGreaterThan(1);
    // The engagement stream's activity export jobs share the queue (one per 31-day window).
    const activityCreates = world.emulator.requests.filter((r) => r.path.startsWith('/bulk/v1/activities/export/create.json'));
    expect(world.emulator.exportJobCounts()).toEqual({ Completed: creates.length + activityCreates.length });
  });

  it('maps leads as Marketo has them: lower-cased emails, consent from unsubscribed and emailInvalid', () => {
    const rows = session.db.prepare("SELECT external_id, email, email_consent FROM contacts WHERE platform = 'marketo'").all() as Array<{ external_id: string; email: string; email_consent: string }>;
    for (const r of rows) {
      const lead = world.emulator.getLead(r.external_id)!;
      expect(r.email).toBe(String(lead.fields.email).trim().toLowerCase());
      const expected = lead.fields.emailInvalid === true || lead.fields.unsubscribed === true ? 'unsubscribed' : 'subscribed';
      expect(r.email_consent, r.external_id).toBe(expected);
    }
    expect(rows.some((r) => world.emulator.getLead(r.external_id)!.fields.emailInvalid === true)).toBe(true);
  });

  it('segments and pushes: every static list holds exactly its segment\'s leads, every lead\'s token fields match the store', async () => {
    const summary = segment(session);
    expect(summary.profiles).toBe(world.emulator.listLeads().length);
    const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    const applied = result.destinations[0]!.applied!;
    expect(applied.failed).toEqual([]);
    const members = expectedMembers(session);
    expect(members.size).toBeGreaterThan(5);
    for (const [name, ids] of members) {
      const list = world.emulator.listByName(`segsync · ${name}`);
      expect(list, name).toBeDefined();
      expect(new Set(world.emulator.listMemberIds(list!.id)), name).toEqual(ids);
    }
    const tokens = storedTokens(session);
    expect(tokens.length).toBeGreaterThan(0);
    for (const t of tokens) {
      const shown = world.emulator.getLead(t.id)!.fields[TOKEN_FIELDS[t.token]!];
      expect(asTokenValue(shown, t.value), `${t.id} ${t.token}`).toBe(t.value);
    }
    // The fields were created with the types segsync needs, the lists in the configured folder.
    expect(world.emulator.customFields()).toMatchObject({ segsyncRfmSegment: 'string', segsyncRfmScore: 'string', segsyncRfmR: 'integer', segsyncSegments: 'string' });
    expect(world.emulator.folderNames()).toContain('/Lead Database/Default/Group Lists/segsync');
    // Batches never exceed 300 (Marketo would answer 1003): the token writes took more than one call.
    expect(world.emulator.requests.filter((r) => r.code)).toEqual([]);
    expect(world.emulator.requests.filter((r) => r.method === 'POST' && r.path === '/rest/v1/leads.json').length).toBe(Math.ceil(new Set(tokens.map((t) => t.id)).size / 300));
  });

  it('sends zero write requests when nothing changed', async () => {
    const before = writes(world);
    const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(writes(world)).toBe(before);
    expect(result.destinations[0]!.plan).toMatchObject({ listAdds: 0, listRemoves: 0, tokenUpdates: 0 });
  });

  it('an incremental pull after leads changed in Marketo picks up exactly those (not segsync\'s own token writes)', async () => {
    const changed = world.emulator.listLeads().slice(10, 15).map((l) => l.id);
    for (const id of changed) world.emulator.updateLead(id, { city: 'Changed City' });
    world.emulator.resetRequestLog();
    const result = await pull(session, { full: false, signal });
    const contacts = result.streams.find((s) => s.stream === 'contacts')!;
    expect(contacts.mode).toBe('incremental');
    expect(new Set(contacts.changedIds)).toEqual(new Set(changed));
    expect(contacts.received).toBe(changed.length);
    expect(result.streams.find((s) => s.stream === 'purchases')!.changed).toBe(0);
    // No bulk export: changes come from the activities API.
    expect(world.emulator.requests.some((r) => r.path.startsWith('/bulk/'))).toBe(false);
    expect(world.emulator.requests.some((r) => r.path.startsWith('/rest/v1/activities/leadchanges.json'))).toBe(true);
  });

  it('a new lead and new or changed opportunities are picked up incrementally', async () => {
    const newLead = world.emulator.createLead({ email: 'New.Person@example.org', firstName: 'New', lastName: 'Person', unsubscribed: false });
    const buyer = world.emulator.listLeads()[20]!.id;
    const won = world.emulator.addOpportunity(buyer, { name: 'Big order', amount: 4321.5, closeDate: '2026-05-20', isWon: true, isClosed: true });
    const open = world.emulator.opportunitiesForLead(world.emulator.listLeads()[21]!.id)[0];
    const result = await pull(session, { full: false, signal });
    expect(result.streams.find((s) => s.stream === 'contacts')!.changedIds).toEqual([newLead]);
    const stored = session.db.prepare("SELECT amount, status, occurred_at FROM purchases WHERE platform = 'marketo' AND external_id = ?").get(won) as { amount: number; status: string; occurred_at: string };
    expect(stored).toEqual({ amount: 4321.5, status: 'won', occurred_at: '2026-05-20T00:00:00.000Z' });
    expect(session.db.prepare("SELECT email FROM contacts WHERE platform = 'marketo' AND external_id = ?").get(newLead)).toEqual({ email: 'new.person@example.org' });
    if (open) {
      world.emulator.updateOpportunity(open.marketoGUID, { isClosed: true, isWon: false, stage: 'Closed Lost' });
      const again = await pull(session, { full: false, signal });
      expect(again.streams.find((s) => s.stream === 'purchases')!.changedIds).toContain(open.marketoGUID);
    }
  });

  it('a lead deleted in Marketo becomes archived and leaves every list, with no removal sent for it', async () => {
    const members = expectedMembers(session);
    const victim = [...[...members.values()].find((ids) => ids.size > 0)!][0]!;
    world.emulator.deleteLead(victim);
    const result = await pull(session, { full: false, signal });
    expect(result.streams.find((s) => s.stream === 'contacts')!.changedIds).toContain(victim);
    expect(session.db.prepare("SELECT archived FROM contacts WHERE platform = 'marketo' AND external_id = ?").get(victim)).toEqual({ archived: 1 });
    segment(session);
    const destination = session.connectors[0]!.connector.destination!;
    const plan = planDestination(session.db, 'marketo', destination, destinationSettings(session.workspace, 'marketo'), session.workspace.controlGroups);
    expect(plan.lists.flatMap((l) => l.remove)).not.toContain(victim);
    expect(plan.forgetIds).toEqual([victim]);
    world.emulator.resetRequestLog();
    // The opportunities of the previous test moved a few people between (small) lists too.
    await push(session, { dryRun: false, allowMassRemoval: true, signal });
    expect(world.emulator.requests.filter((r) => r.code)).toEqual([]);
    expect(world.emulator.requests.filter((r) => r.method === 'DELETE' && new RegExp(`[?&]id=${victim}(&|$)`).test(r.path))).toEqual([]);
    for (const [name, ids] of expectedMembers(session)) {
      expect(new Set(world.emulator.listMemberIds(world.emulator.listByName(`segsync · ${name}`)!.id)), name).toEqual(ids);
    }
  });

  it('a later reference date moves people between segments; the push mirrors it exactly', async () => {
    world.writeConfig(`segmentation:\n  referenceDate: 2026-09-01T00:00:00.000Z\n`);
    const later = world.open();
    segment(later);
    const result = await push(later, { dryRun: false, allowMassRemoval: true, signal });
    expect(result.destinations[0]!.applied!.listRemoves).toBeGreaterThan(0);
    expect(result.destinations[0]!.applied!.failed).toEqual([]);
    for (const [name, ids] of expectedMembers(later)) {
      expect(new Set(world.emulator.listMemberIds(world.emulator.listByName(`segsync · ${name}`)!.id)), name).toEqual(ids);
    }
    for (const t of storedTokens(later)) {
      const shown = world.emulator.getLead(t.id)!.fields[TOKEN_FIELDS[t.token]!];
      expect(asTokenValue(shown, t.value), `${t.id} ${t.token}`).toBe(t.value);
    }
    expect(ANCHOR.toISOString()).toBe('2026-06-01T00:00:00.000Z');
  });
});
