/**
 * Control groups end to end through the HubSpot emulator (issue 14 §1): `push --dry-run` says how
 * many are held out, the real push keeps every control member off its segment's list, writes
 * segsync_group, and `explain` shows a person's groups. In process (as hubspot-sync.test.ts), with
 * the CLI's own renderers, to stay fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { renderPush } from '../../src/cli/render.js';
import { explainProfile } from '../../src/pipeline/explain.js';
import { renderExplanation } from '../../src/cli/commands/explain.js';
import type { Session } from '../../src/pipeline/session.js';
import { controlGroupSalt } from '../../src/store/store-settings.js';
import { unsubscribedProfileIds } from '../../src/store/consent.js';
import { groupOf } from '../../src/measure/control-groups.js';

/** Segment key → the HubSpot ids of its open members (live contacts), and who of them is in control. */
function membersAndControl(session: Session): Map<string, { members: Set<string>; control: Set<string> }> {
  const salt = controlGroupSalt(session.db);
  const outside = unsubscribedProfileIds(session.db);
  const rows = session.db.prepare(`SELECT m.segment_key AS segment, m.profile_id AS profile, i.external_id AS id FROM memberships m
      JOIN identities i ON i.profile_id = m.profile_id AND i.platform = 'hubspot'
      JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
      WHERE m.left_at IS NULL AND c.archived = 0 AND c.merged_into IS NULL`).all() as Array<{ segment: string; profile: number; id: string }>;
  const out = new Map<string, { members: Set<string>; control: Set<string> }>();
  for (const r of rows) {
    let entry = out.get(r.segment);
    if (!entry) out.set(r.segment, (entry = { members: new Set(), control: new Set() }));
    entry.members.add(r.id);
    if (!outside.has(r.profile) && groupOf(r.profile, salt, r.segment, session.workspace.controlGroups) === 'control') entry.control.add(r.id);
  }
  return out;
}

describe('control groups through push and explain (HubSpot emulator)', () => {
  let world: HubSpotWorld;
  let session: Session;
  let controlHeldOut = 0;

  beforeAll(async () => {
    world = await hubspotWorld({ size: 300 });
    session = world.open();
    await pull(session, { full: true, signal });
    segment(session);
  }, 120_000);
  afterAll(() => world.close());

  it('push --dry-run says how many are held out as control, per list and in total', async () => {
    const result = await push(session, { dryRun: true, allowMassRemoval: false, signal });
    const dryRun = result.destinations.find((d) => d.platform === 'hubspot')!.plan;
    controlHeldOut = dryRun.controlHeldOut;
    const expected = membersAndControl(session);
    const control = [...expected.values()].reduce((n, s) => n + s.control.size, 0);
    expect(control).toBeGreaterThan(10);
    expect(dryRun.controlHeldOut).toBe(control);
    for (const l of dryRun.lists) expect(l.heldOut, l.listName).toBe(expected.get(l.segmentKey)!.control.size);

    const text = renderPush(result);
    expect(text).toMatch(/list\s+add\s+remove\s+held out as control/);
    expect(text).toContain(`held out as control: ${control}`);
  }, 120_000);

  it('after a push no control member is on any list, and segsync_group is written', async () => {
    const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    const names = new Map((session.db.prepare('SELECT key, name FROM segments').all() as Array<{ key: string; name: string }>).map((s) => [s.key, s.name]));
    const optedOut = new Set((session.db.prepare("SELECT external_id AS id FROM contacts WHERE platform = 'hubspot' AND email_consent = 'unsubscribed'").all() as Array<{ id: string }>).map((r) => r.id));
    let checked = 0;
    for (const [key, { members, control }] of membersAndControl(session)) {
      const list = world.emulator.listByName(`segsync · ${names.get(key)}`);
      const onList = new Set(list ? world.emulator.listMemberIds(list.listId) : []);
      for (const id of control) expect(onList.has(id), `${id} is in control of ${key}`).toBe(false);
      // Everyone else who may be emailed is on it.
      expect(onList).toEqual(new Set([...members].filter((id) => !control.has(id) && !optedOut.has(id))));
      checked += control.size;
    }
    expect(checked).toBe(controlHeldOut);

    const property = await world.sdk.crm.properties.coreApi.getByName('contacts', 'segsync_group');
    expect(property.groupName).toBe('segsync');
    const values = world.emulator.listContacts().map((c) => c.properties.segsync_group ?? '');
    expect(values.some((v) => /=control/.test(v))).toBe(true);
    expect(values.every((v) => v === '' || /^[a-z0-9_]+=(control|treatment)(; [a-z0-9_]+=(control|treatment))*$/.test(v))).toBe(true);
    // The value on HubSpot is the store's, person by person.
    const stored = session.db.prepare(`SELECT i.external_id AS id, t.value FROM profile_tokens t JOIN identities i ON i.profile_id = t.profile_id AND i.platform = 'hubspot'
        WHERE t.token = 'control_group'`).all() as Array<{ id: string; value: string }>;
    for (const t of stored) expect(world.emulator.getContact(t.id)!.properties.segsync_group ?? '', t.id).toBe(t.value);
  }, 120_000);

  it('explain shows the group per segment, with the bucket and the share; an unsubscribed person is in neither', async () => {
    const controlMember = [...membersAndControl(session).values()].flatMap((s) => [...s.control])[0]!;
    const explained = explainProfile(session, `hubspot:${controlMember}`);
    const text = renderExplanation(explained);
    expect(text).toContain('Control groups');
    expect(text).toContain('control (held out of the list)');
    expect(text).toMatch(/bucket \d+ < 1000 \(share 10%\)/);
    // --json prints the explanation as it is.
    const groups = explained.controlGroups;
    expect(groups.status).toBe('grouped');
    if (groups.status === 'grouped') expect(groups.segments.some((s) => s.group === 'control' && s.bucket < 1000 && s.share === 0.1)).toBe(true);

    const optedOut = (session.db.prepare("SELECT external_id AS id FROM contacts WHERE platform = 'hubspot' AND email_consent = 'unsubscribed' LIMIT 1").get() as { id: string }).id;
    expect(renderExplanation(explainProfile(session, `hubspot:${optedOut}`))).toContain('not in either group: unsubscribed');
    expect(world.emulator.getContact(optedOut)!.properties.segsync_group ?? '').toBe('');
  }, 120_000);
});
