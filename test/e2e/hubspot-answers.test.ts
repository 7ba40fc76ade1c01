/**
 * The HubSpot emulator gives the answers recorded from real portals (MISSING_SCOPES, expired
 * OAuth token, conflicts) to the real connector: the error a user sees names the scope and where
 * to grant it, or says to refresh the token; a property or list another process created in the
 * meantime is found, and the push completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { READ_ONLY_SCOPES, SEGSYNC_SCOPES } from '../../connectors/hubspot/emulator/access.js';
import { runDoctor } from '../../src/doctor/run.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

describe('HubSpot account answers from the emulator, through the real connector', () => {
  let world: HubSpotWorld;
  let session: Session;

  beforeAll(async () => {
    world = await hubspotWorld({ size: 120 });
    session = world.open();
    await pull(session, { full: true, signal });
    segment(session);
  });
  afterAll(() => world.close());

  it('a push with read-only scopes stops at the first write, naming the missing scope and where to grant it', async () => {
    world.emulator.setScopes(READ_ONLY_SCOPES);
    try {
      await expect(push(session, { dryRun: false, allowMassRemoval: false, signal })).rejects.toThrow(
        /hubspot: POST \/crm\/v3\/properties\/contacts\/groups failed \(auth 403\): the app lacks the scope crm\.schemas\.contacts\.write \(HubSpot: "This app hasn't been granted all required scopes.*Fix: grant the scope crm\.schemas\.contacts\.write to the private app \(Settings → Integrations → Private apps → your app → Scopes/,
      );
      expect(world.emulator.requests.filter((r) => r.write && r.status < 300)).toEqual([]);
    } finally {
      world.emulator.setScopes(undefined);
    }
  });

  it('doctor names the scope the 403 lists', async () => {
    world.emulator.setScopes(SEGSYNC_SCOPES.filter((s) => s !== 'crm.objects.deals.read'));
    try {
      const report = await runDoctor({ env: world.env, registry: CONNECTORS });
      const scopes = report.checks.find((c) => c.name === 'hubspot scopes' && c.status === 'fail');
      expect(scopes?.detail).toContain('missing the scope crm.objects.deals.read: GET /crm/v3/objects/deals answered 403');
      expect(scopes?.fix).toContain('grant the scope crm.objects.deals.read to the private app');
    } finally {
      world.emulator.setScopes(undefined);
    }
  });

  it('an expired OAuth token fails the pull with "expired" and says to refresh or replace it', async () => {
    world.emulator.expireToken();
    try {
      await expect(pull(session, { full: false, signal })).rejects.toThrow(
        /the access token has expired \(HubSpot: "The OAuth token used to make this call expired \d+ second\(s\) ago\."\).*Fix: HUBSPOT_ACCESS_TOKEN holds an OAuth access token.*refresh it and set the new one, or replace it with a private app's access token/,
      );
    } finally {
      world.emulator.renewToken();
    }
  });

  it('a property and a list created by someone else between segsync\'s read and its create (409 / duplicate) are used, and the push completes', async () => {
    const sdk = world.sdk;
    await sdk.apiRequest({ method: 'POST', path: '/crm/v3/properties/contacts/groups', body: { name: 'segsync', label: 'segsync', displayOrder: -1 } });
    await sdk.apiRequest({
      method: 'POST',
      path: '/crm/v3/properties/contacts',
      body: { name: 'segsync_rfm_segment', label: 'Their RFM segment', groupName: 'segsync', type: 'enumeration', fieldType: 'select', options: [] },
    });
    const segmentName = (session.db.prepare("SELECT name FROM segments WHERE kind = 'rfm' ORDER BY key LIMIT 1").get() as { name: string }).name;
    const listName = `segsync · ${segmentName}`;
    const created = await (await sdk.apiRequest({ method: 'POST', path: '/crm/v3/lists', body: { name: listName, objectTypeId: '0-1', processingType: 'MANUAL' } })).json() as { list: { listId: string } };
    // segsync's reads happened just before the other process wrote: they still show nothing.
    world.emulator.injectFault({ match: /^GET \/crm\/v3\/properties\/contacts(\?|$)/, status: 200, body: { results: [] } });
    world.emulator.injectFault({
      match: new RegExp(`^GET /crm/v3/lists/object-type-id/0-1/name/${encodeURIComponent(listName).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      status: 404,
      body: { status: 'error', message: 'resource not found', correlationId: 'c' },
    });
    world.emulator.resetRequestLog();

    const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(result.destinations[0]!.applied!.failed).toEqual([]);
    const answers = world.emulator.requests.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`);
    expect(answers).toContain('POST /crm/v3/properties/contacts 409');
    expect(answers).toContain('GET /crm/v3/properties/contacts/segsync_rfm_segment 200');
    expect(answers).toContain('POST /crm/v3/lists 400');
    // Their list is the segment's list: the members went there, and no second list was made.
    const members = world.emulator.listMemberIds(created.list.listId);
    const expected = session.db
      .prepare(`SELECT COUNT(*) AS n FROM destination_list_members m JOIN destination_lists l ON l.destination = m.destination AND l.segment_key = m.segment_key
                WHERE l.destination = 'hubspot' AND l.remote_id = ?`)
      .get(created.list.listId) as { n: number };
    expect(members.length).toBeGreaterThan(0);
    expect(members.length).toBe(expected.n);
    expect(world.emulator.listByName(listName)?.listId).toBe(created.list.listId);
  });
});
