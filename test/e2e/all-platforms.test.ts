import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import type { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import type { MarketoEmulator } from '../../connectors/marketo/emulator/index.js';
import type { ShopifyEmulator } from '../../connectors/shopify/emulator/index.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { openSession, type Session } from '../../src/pipeline/session.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { emailAsTypedOn, platformsOf, purchasePlatform, type SandboxPlatform } from '../../src/sandbox/presence.js';
import type { SyntheticPerson } from '../../src/sandbox/population-types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { heldOutAsControl } from '../helpers/world.js';

const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const SIZE = 400;
const SEED = 5;

/** How one platform shows a person: their id there, their lists, their token values. */
interface PlatformView {
  idFor(email: string): string | undefined;
  inSegment(id: string, segmentKey: string, segmentName: string): boolean;
  rfmSegmentToken(id: string): string | null | undefined;
  writes(): number;
}

function views(sandbox: Sandbox): Partial<Record<SandboxPlatform, PlatformView>> {
  const out: Partial<Record<SandboxPlatform, PlatformView>> = {};
  const hubspot = sandbox.emulators.get('hubspot') as HubSpotEmulator | undefined;
  if (hubspot) {
    out.hubspot = {
      idFor: (email) => hubspot.contactIdForEmail(email),
      inSegment: (id, _key, name) => {
        const list = hubspot.listByName(`segsync · ${name}`);
        return list !== undefined && hubspot.listMemberIds(list.listId).includes(id);
      },
      rfmSegmentToken: (id) => hubspot.getContact(id)?.properties.segsync_rfm_segment,
      writes: () => hubspot.requests.filter((r) => r.write).length,
    };
  }
  const marketo = sandbox.emulators.get('marketo') as MarketoEmulator | undefined;
  if (marketo) {
    out.marketo = {
      idFor: (email) => marketo.leadIdForEmail(email),
      inSegment: (id, _key, name) => {
        const list = marketo.listByName(`segsync · ${name}`);
        return list !== undefined && marketo.listMemberIds(list.id).includes(id);
      },
      rfmSegmentToken: (id) => marketo.getLead(id)?.fields.segsyncRfmSegment as string | null | undefined,
      writes: () => marketo.requests.filter((r) => r.write).length,
    };
  }
  const shopify = sandbox.emulators.get('shopify') as ShopifyEmulator | undefined;
  if (shopify) {
    out.shopify = {
      idFor: (email) => shopify.customerIdForEmail(email),
      inSegment: (id, key) => shopify.getCustomer(id)?.tags.includes(`segsync:${key}`) ?? false,
      rfmSegmentToken: (id) => shopify.getCustomer(id)?.metafields['segsync.rfm_segment']?.value,
      writes: () => shopify.requests.filter((r) => r.write).length,
    };
  }
  return out;
}

describe('one customer across every platform', () => {
  let sandbox: Sandbox;
  let session: Session;
  let people: SyntheticPerson[];

  beforeAll(async () => {
    sandbox = await startSandbox({ registry: CONNECTORS, size: SIZE, seed: SEED, anchor: ANCHOR, pace: 'fast' });
    const dir = mkdtempSync(join(tmpdir(), 'segsync-all-'));
    writeFileSync(join(dir, 'workspace.yaml'), `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`);
    session = openSession({ env: { ...sandbox.env, SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') }, registry: CONNECTORS });
    people = [...generatePopulation(parsePopulationOptions({ seed: SEED, size: SIZE, anchor: ANCHOR }))];
    await pull(session, { full: true, signal: new AbortController().signal });
    segment(session);
    await push(session, { dryRun: false, allowMassRemoval: false, signal: new AbortController().signal });
  });
  afterAll(async () => {
    session.close();
    await sandbox.close();
  });

  const served = () => Object.keys(views(sandbox)) as SandboxPlatform[];
  const typo = (p: SyntheticPerson, platform: SandboxPlatform) => emailAsTypedOn(p, platform).trim().toLowerCase() !== p.email;

  it('makes one profile per person, except where a typo made an email look like someone else', () => {
    const platforms = served();
    const onServed = people.filter((p) => platformsOf(p).some((pl) => platforms.includes(pl)));
    // A typo on one platform splits a person in two only if they are also on another served platform.
    const split = onServed.filter((p) => {
      const on = platformsOf(p).filter((pl) => platforms.includes(pl));
      return on.some((pl) => typo(p, pl)) && on.some((pl) => !typo(p, pl));
    }).length;
    const profiles = (session.db.prepare('SELECT COUNT(*) AS n FROM profiles').get() as { n: number }).n;
    expect(profiles).toBe(onServed.length + split);
  });

  it('serves all three platforms', () => {
    expect(served().sort()).toEqual(['hubspot', 'marketo', 'shopify']);
  });

  it('gives a person the same segment on every platform they are on: list and token', () => {
    const v = views(sandbox);
    const segmentOf = session.db.prepare(`SELECT r.segment_key AS key, s.name, r.profile_id AS profile FROM profile_rfm r JOIN segments s ON s.key = r.segment_key
      JOIN profiles p ON p.id = r.profile_id WHERE p.email_key = ?`);
    // A control member of the segment is held out of its list on every platform alike (one group per person).
    const heldOut = heldOutAsControl(session);
    let checked = 0;
    for (const person of people) {
      const on = platformsOf(person).filter((pl) => v[pl] && !typo(person, pl));
      if (on.length < 2 || person.emailConsent !== 'subscribed') continue;
      const seg = segmentOf.get(person.email) as { key: string; name: string; profile: number };
      for (const platform of on) {
        const view = v[platform]!;
        const id = view.idFor(person.email);
        expect(id, `${person.email} on ${platform}`).toBeDefined();
        // Lists are for email: someone opted out (or with an invalid address) on this platform stays off them.
        const consent = (session.db.prepare('SELECT email_consent AS c FROM contacts WHERE platform = ? AND external_id = ?').get(platform, id) as { c: string }).c;
        expect(view.inSegment(id!, seg.key, seg.name), `${person.email} in ${seg.name} on ${platform}`).toBe(consent !== 'unsubscribed' && !heldOut(seg.profile, seg.key));
        expect(view.rfmSegmentToken(id!), `${person.email} token on ${platform}`).toBe(seg.key);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('scores RFM on a person\'s purchases from every platform', () => {
    const from = ANCHOR.getTime() - 365 * 86_400_000;
    const frequencyOf = session.db.prepare(`SELECT r.frequency FROM profile_rfm r JOIN profiles p ON p.id = r.profile_id WHERE p.email_key = ?`);
    let multi = 0;
    const platforms = served();
    for (const person of people) {
      if (platformsOf(person).some((pl) => typo(person, pl))) continue;
      if (!platformsOf(person).some((pl) => platforms.includes(pl))) continue;
      // A CRM deal closed without an amount is quarantined; a shop order always has a total.
      const expected = person.purchases.filter((p) => platforms.includes(purchasePlatform(person, p)) && p.status === 'won'
        && (p.amount !== null || purchasePlatform(person, p) === 'shopify')
        && Date.parse(p.occurredAt) >= from && Date.parse(p.occurredAt) <= ANCHOR.getTime()).length;
      const row = frequencyOf.get(person.email) as { frequency: number | null } | undefined;
      expect(row?.frequency ?? 0, person.email).toBe(expected);
      const buysOn = new Set(person.purchases.filter((p) => p.status === 'won').map((p) => purchasePlatform(person, p)));
      if (expected > 0 && buysOn.size > 1) multi++;
    }
    expect(multi).toBeGreaterThan(20);
  });

  it('sends zero write requests to any platform when nothing changed', async () => {
    const before = Object.fromEntries(Object.entries(views(sandbox)).map(([p, v]) => [p, v.writes()]));
    const result = await push(session, { dryRun: false, allowMassRemoval: false, signal: new AbortController().signal });
    for (const d of result.destinations) expect(d.plan, d.platform).toMatchObject({ listAdds: 0, listRemoves: 0, tokenUpdates: 0 });
    const after = Object.fromEntries(Object.entries(views(sandbox)).map(([p, v]) => [p, v.writes()]));
    expect(after).toEqual(before);
  });
});
