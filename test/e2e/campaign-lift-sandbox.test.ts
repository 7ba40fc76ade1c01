import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { openSession, type Session } from '../../src/pipeline/session.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { startCampaign, type StartedCampaign } from '../../src/measure/campaigns.js';
import { liftReport, type CampaignLift } from '../../src/measure/lift-data.js';
import type { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import type { MarketoEmulator } from '../../connectors/marketo/emulator/index.js';
import type { ShopifyEmulator } from '../../connectors/shopify/emulator/index.js';
import type { AdvanceTruth } from '../../src/sandbox/world-clock.js';

/**
 * Issue 14's proof, end to end through all three emulators: sync, start a campaign on a segment,
 * let the sandbox's world run 60 days with a planted +15% conversion for the people on that
 * segment's lists, pull what happened, and measure. The control group was held out of every list
 * by segsync itself; the sandbox only knows who is on a list.
 */
const SIZE = 4_000;
const SEED = 14;
const UPLIFT = 0.15;
const SEGMENT = 'customers';
// The segment's list on HubSpot and Marketo, and its tag on Shopify.
const LISTS = ['segsync · Customers', `segsync:${SEGMENT}`];

describe('a campaign measured against its control group, in a sandbox that replays the future', () => {
  let sandbox: Sandbox;
  let session: Session;
  let campaign: StartedCampaign;
  let truth: AdvanceTruth;
  let lift: CampaignLift;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    sandbox = await startSandbox({ registry: CONNECTORS, size: SIZE, seed: SEED, pace: 'fast' });
    const dir = mkdtempSync(join(tmpdir(), 'segsync-lift-'));
    // Everyone who ever bought: a large segment, so that a 10% control group has a few hundred people.
    writeFileSync(join(dir, 'workspace.yaml'), [
      'segments:',
      `  - { key: ${SEGMENT}, name: Customers, rule: { op: gte, field: lifetimeFrequency, value: 1 } }`,
      'segmentation:',
      '  clustering: { k: 3 }',
      '',
    ].join('\n'));
    session = openSession({ env: { ...sandbox.env, SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') }, registry: CONNECTORS });
    // A fixed salt, so that the control group is the same draw on every run (a new store draws its own):
    // the share within a point of 10% and the interval holding the planted lift are then facts of
    // this draw, not a coin that lands wrong one run in ten.
    session.db.prepare("INSERT INTO store_settings (key, value) VALUES ('control_group_salt', ?)").run('campaign-lift-e2e');
    await pull(session, { full: true, signal });
    segment(session);
    await push(session, { dryRun: false, allowMassRemoval: false, signal });
    campaign = startCampaign(session.db, session.workspace, SEGMENT, { name: 'win-back', days: 60 }, new Date());
    truth = sandbox.advance({ days: 60, uplift: UPLIFT, lists: LISTS });
    await pull(session, { full: false, signal });
    lift = liftReport(session.db, session.workspace, new Date(), 'win-back')[0]!;
  }, 600_000);
  afterAll(async () => {
    session?.close();
    await sandbox?.close();
  });

  it('holds out 10% of the segment (within a point) and puts no control member on any list', () => {
    const cohort = campaign.treatment + campaign.control;
    expect(cohort).toBeGreaterThan(2_000);
    expect(Math.abs(campaign.control / cohort - 0.1)).toBeLessThan(0.01);
    // segsync's record of what it applied says so ...
    const applied = session.db.prepare(`SELECT COUNT(*) AS n FROM campaign_members cm JOIN identities i ON i.profile_id = cm.profile_id
      JOIN destination_list_members d ON d.destination = i.platform AND d.external_id = i.external_id AND d.segment_key = ?
      WHERE cm.campaign_id = ? AND cm.grp = 'control'`).get(SEGMENT, campaign.id) as { n: number };
    expect(applied.n).toBe(0);
    // ... and so do the platforms' own lists (HubSpot list, Marketo static list, Shopify tag), read
    // by each control member's own contact id there.
    const hubspot = sandbox.emulators.get('hubspot') as HubSpotEmulator;
    const marketo = sandbox.emulators.get('marketo') as MarketoEmulator;
    const shopify = sandbox.emulators.get('shopify') as ShopifyEmulator;
    const hubspotList = new Set(hubspot.listMemberIds(hubspot.listByName(LISTS[0]!)!.listId));
    const marketoList = new Set(marketo.listMemberIds(marketo.listByName(LISTS[0]!)!.id));
    const onList = (platform: string, id: string): boolean =>
      platform === 'hubspot' ? hubspotList.has(id) : platform === 'marketo' ? marketoList.has(id) : shopify.getCustomer(id)?.tags.includes(LISTS[1]!) ?? false;
    const members = session.db.prepare(`SELECT cm.grp AS grp, i.platform, i.external_id AS id FROM campaign_members cm
      JOIN identities i ON i.profile_id = cm.profile_id WHERE cm.campaign_id = ?`).all(campaign.id) as Array<{ grp: string; platform: string; id: string }>;
    const control = members.filter((m) => m.grp === 'control');
    expect(control.length).toBeGreaterThan(100);
    expect(control.filter((m) => onList(m.platform, m.id))).toEqual([]);
    // Treated members are on it wherever they are subscribed (the others are kept off for consent).
    expect(members.filter((m) => m.grp === 'treatment' && onList(m.platform, m.id)).length).toBeGreaterThan(2_000);
    expect(truth.treated.people).toBeGreaterThan(1_500);
  });

  it('recovers the planted conversion lift inside its 95% interval, from the pulled purchases alone', () => {
    // What the sandbox really planted: +15% on each treated person's chance to buy, capped where that
    // chance would pass 1, so the expected lift over the whole list is a little below 15%.
    const planted = truth.treated.expectedLift!;
    expect(planted).toBeGreaterThan(0.05);
    expect(planted).toBeLessThanOrEqual(UPLIFT);
    expect(lift.notEnoughData).toBeNull();
    const conversion = lift.measures!.find((m) => m.key === 'conversion')!;
    const [low, high] = conversion.relativeCi!;
    expect(low).toBeLessThan(planted);
    expect(high).toBeGreaterThan(planted);
    // The window is over by the data's clock, and the purchases counted are the ones pulled.
    expect(lift.window.elapsedDays).toBeCloseTo(60, 0);
    expect(lift.treatment.converters + lift.control.converters).toBeGreaterThan(300);
  });
});
