import { afterEach, describe, expect, it } from 'vitest';
import { pull } from '../../src/pipeline/run.js';
import { StreamCursors } from '../../src/store/cursors.js';
import { hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

let world: HubSpotWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const noLookback = 'sources:\n  hubspot:\n    lookbackMinutes: 0\n';

describe('HubSpot incremental sync traps', () => {
  it('walks past the search API\'s result cap when many records share one timestamp: none skipped, none repeated', async () => {
    world = await hubspotWorld({ size: 200, searchResultCap: 50, config: noLookback });
    const session = world.open();
    await pull(session, { full: true, signal });
    const ids = world.emulator.listContacts().map((c) => c.id);
    const sameInstant = ids.slice(0, 130);
    const spread = ids.slice(130, 190);
    const t0 = Date.now() + 60_000;
    for (const id of [...sameInstant, ...spread]) world.emulator.updateContact(id, { city: `Moved ${id}` });
    world.emulator.setContactsModifiedAt(sameInstant, t0);
    spread.forEach((id, i) => world!.emulator.setContactsModifiedAt([id], t0 + 1 + Math.floor(i / 7)));
    world.emulator.resetRequestLog();
    const result = await pull(session, { full: false, signal });
    const contacts = result.streams.find((s) => s.stream === 'contacts')!;
    expect(new Set(contacts.changedIds)).toEqual(new Set([...sameInstant, ...spread]));
    expect(contacts.received).toBe(sameInstant.length + spread.length);
    const searches = world.emulator.requests.filter((r) => r.path.includes('/contacts/search'));
    expect(searches.every((r) => r.status === 200)).toBe(true);
  });

  it('a record changed again mid-pull does not push an unread record out of the pages', async () => {
    world = await hubspotWorld({ size: 500, config: noLookback });
    const session = world.open();
    await pull(session, { full: true, signal });
    const ids = world.emulator.listContacts().map((c) => c.id).slice(0, 450);
    const base = Date.now() + 60_000;
    ids.forEach((id, i) => {
      world!.emulator.updateContact(id, { city: `Batch ${id}` });
      world!.emulator.setContactsModifiedAt([id], base + i);
    });
    let searches = 0;
    world.emulator.onRequest = ({ path }) => {
      // After the first page, someone edits a record that page already returned: it moves to the end.
      if (path.includes('/contacts/search') && ++searches === 1) world!.emulator.updateContact(ids[5]!, { city: 'Edited Again' });
    };
    const result = await pull(session, { full: false, signal });
    world.emulator.onRequest = undefined;
    const changed = new Set(result.streams.find((s) => s.stream === 'contacts')!.changedIds);
    expect(ids.filter((id) => !changed.has(id))).toEqual([]);
  });

  it('a contact changed while a full pull runs is picked up by the next incremental pull', async () => {
    world = await hubspotWorld({ size: 250 });
    const session = world.open();
    const firstPageContact = world.emulator.listContacts()[0]!.id;
    let changedDuringPull = false;
    world.emulator.onRequest = ({ path, status }) => {
      // After the first contacts page was served, a user edits a contact on it.
      if (!changedDuringPull && status === 200 && path.startsWith('/crm/v3/objects/contacts?')) {
        changedDuringPull = true;
        world!.emulator.updateContact(firstPageContact, { city: 'Edited During Pull' });
      }
    };
    await pull(session, { full: true, signal });
    world.emulator.onRequest = undefined;
    const cityNow = () => (session.db.prepare("SELECT city FROM contacts WHERE external_id = ?").get(firstPageContact) as { city: string }).city;
    expect(cityNow()).not.toBe('Edited During Pull');
    const result = await pull(session, { full: false, signal });
    expect(result.streams.find((s) => s.stream === 'contacts')!.changedIds).toContain(firstPageContact);
    expect(cityNow()).toBe('Edited During Pull');
  });

  it.each([
    { lookback: 10, pickedUp: true },
    { lookback: 0, pickedUp: false },
  ])('a change indexed late is caught by a $lookback-minute lookback: $pickedUp', async ({ lookback, pickedUp }) => {
    world = await hubspotWorld({ size: 120, config: `sources:\n  hubspot:\n    lookbackMinutes: ${lookback}\n` });
    const session = world.open();
    await pull(session, { full: true, signal });
    const [early, late] = world.emulator.listContacts().map((c) => c.id);
    world.emulator.updateContact(early!, { city: 'Changed First' });
    let injected = false;
    world.emulator.onRequest = ({ path }) => {
      // After the search went past it, a change made two minutes ago becomes visible (index lag).
      if (!injected && path.includes('/contacts/search')) {
        injected = true;
        world!.emulator.updateContact(late!, { city: 'Indexed Late' });
        world!.emulator.setContactsModifiedAt([late!], Date.now() - 2 * 60_000);
      }
    };
    await pull(session, { full: false, signal });
    world.emulator.onRequest = undefined;
    const next = await pull(session, { full: false, signal });
    const changed = next.streams.find((s) => s.stream === 'contacts')!.changedIds;
    expect(changed.includes(late!)).toBe(pickedUp);
  });

  it('a malformed page stops the pull; every page before it is kept and a rerun resumes from its cursor', async () => {
    world = await hubspotWorld({ size: 450 });
    const session = world.open();
    let contactPages = 0;
    world.emulator.onRequest = ({ path, status }) => {
      if (status === 200 && path.startsWith('/crm/v3/objects/contacts?') && ++contactPages === 2) {
        world!.emulator.injectFault({ match: /^GET \/crm\/v3\/objects\/contacts\?/, times: 1, status: 200, body: { results: 'not a list' } });
      }
    };
    await expect(pull(session, { full: true, signal })).rejects.toThrow(/bad_response/);
    world.emulator.onRequest = undefined;
    const count = () => (session.db.prepare('SELECT COUNT(*) AS n FROM contacts').get() as { n: number }).n;
    expect(count()).toBe(200);
    expect(new StreamCursors(session.db).get('hubspot', 'contacts')).toMatchObject({ phase: 'full' });
    await pull(session, { full: false, signal });
    expect(count()).toBe(450);
    const firstPages = world.emulator.requests.filter((r) => r.path.startsWith('/crm/v3/objects/contacts?') && !r.path.includes('after=') && !r.path.includes('archived=true') && !r.path.includes('propertiesWithHistory'));
    expect(firstPages).toHaveLength(1);
  });
});
