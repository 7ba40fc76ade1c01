import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseWorkspace, type Workspace } from '../../src/config/workspace.js';
import type { SegmentDefinition } from '../../src/domain/segments.js';
import { groupOf } from '../../src/measure/control-groups.js';
import { campaignListings, endCampaign, startCampaign } from '../../src/measure/campaigns.js';
import { campaignLift, liftReport, movedToWorse } from '../../src/measure/lift-data.js';
import { campaignMembers, listCampaigns } from '../../src/store/campaigns.js';
import { openStore, type Db } from '../../src/store/db.js';
import { eraseFromStore, findPerson, planErasure } from '../../src/store/erasure.js';
import { writeSegmentationRun } from '../../src/store/segmentation-runs.js';

const SALT = 'campaign-test-salt';
const SEGMENTS: SegmentDefinition[] = [
  { key: 'big_spenders', name: 'Big Spenders', kind: 'rule', description: '' },
  ...['champions', 'loyal_customers', 'at_risk', 'hibernating'].map((key): SegmentDefinition => ({ key, name: key, kind: 'rfm', description: '' })),
];
const workspace = (controlGroups: unknown = { share: 0.5 }): Workspace =>
  parseWorkspace({ currency: { base: 'EUR', rates: { USD: 0.5 } }, controlGroups }, 'test config', []);

function segmentationRun(db: Db, createdAt: string, memberships: Map<number, string[]>): number {
  return writeSegmentationRun(db, {
    kinds: ['rfm', 'rule'], createdAt, referenceDate: createdAt, windowDays: 365, segments: SEGMENTS, memberships,
    rfm: [], tokens: [], summary: {}, profileFeatures: [], personas: [], clustering: {}, predictions: {},
  }).runId;
}

/** Profiles 1–60, one HubSpot contact each (h<id>, p<id>@example.com); 7 unsubscribed. */
function store(): Db {
  const db = openStore(':memory:');
  db.prepare("INSERT INTO store_settings (key, value) VALUES ('control_group_salt', ?)").run(SALT);
  const profile = db.prepare("INSERT INTO profiles (id, email_key, created_at) VALUES (?, ?, '2025-01-01')");
  const contact = db.prepare(`INSERT INTO contacts (platform, external_id, email, email_normalized, updated_at, email_consent, raw, content_hash, first_pulled_at, last_pulled_at)
    VALUES ('hubspot', ?, ?, ?, 'now', ?, '{}', 'h', 'now', 'now')`);
  const identity = db.prepare("INSERT INTO identities (platform, external_id, profile_id) VALUES ('hubspot', ?, ?)");
  for (let id = 1; id <= 60; id++) {
    const email = `p${id}@example.com`;
    profile.run(id, email);
    contact.run(`h${id}`, email, email, id === 7 ? 'unsubscribed' : 'subscribed');
    identity.run(`h${id}`, id);
  }
  return db;
}

function purchase(db: Db, id: string, profile: number, occurredAt: string, amount: number, currency: string, status = 'won'): void {
  db.prepare(`INSERT INTO purchases (platform, external_id, amount, currency, occurred_at, status, updated_at, raw, content_hash, first_pulled_at, last_pulled_at)
    VALUES ('hubspot', ?, ?, ?, ?, ?, 'now', '{}', 'h', 'now', 'now')`).run(id, amount, currency, occurredAt, status);
  db.prepare("INSERT INTO purchase_contacts (platform, purchase_external_id, contact_external_id) VALUES ('hubspot', ?, ?)").run(id, `h${profile}`);
}

/** Big Spenders are profiles 1–40: 1–20 at risk, 21–40 champions. */
function firstRun(db: Db): void {
  const m = new Map<number, string[]>();
  for (let id = 1; id <= 40; id++) m.set(id, ['big_spenders', id <= 20 ? 'at_risk' : 'champions']);
  segmentationRun(db, '2026-01-01T00:00:00.000Z', m);
}

const group = (id: number) => groupOf(id, SALT, 'big_spenders', workspace().controlGroups);
const START = new Date('2026-02-01T00:00:00.000Z');

describe('campaign start', () => {
  it('freezes the segment\'s members less the unsubscribed, each in their control-group group, with their RFM segment', () => {
    const db = store();
    firstRun(db);
    purchase(db, 'before', 4, '2026-01-20T00:00:00.000Z', 80, 'EUR');
    const started = startCampaign(db, workspace(), 'big spenders', { days: 30 }, START);
    expect(started.name).toBe('Big Spenders 2026-02-01');
    expect(started.startedAt).toBe(START.toISOString());
    const members = campaignMembers(db, started.id);
    const expected = Array.from({ length: 40 }, (_, i) => i + 1).filter((id) => id !== 7);
    expect(members.map((m) => m.profileId)).toEqual(expected);
    expect(members.map((m) => m.group)).toEqual(expected.map(group));
    expect(started.control).toBe(expected.filter((id) => group(id) === 'control').length);
    expect(started.control).toBeGreaterThan(5);
    expect(started.unsubscribedLeftOut).toBe(1);
    expect(members.find((m) => m.profileId === 3)!.rfmSegmentAtStart).toBe('at_risk');
    expect(members.find((m) => m.profileId === 30)!.rfmSegmentAtStart).toBe('champions');
  });

  it('refuses a segment without a control group, a store without a run, and a mistyped segment (naming the nearest)', () => {
    const db = store();
    expect(() => startCampaign(db, workspace(), 'big_spenders', {}, START)).toThrow(/no segmentation run yet/);
    firstRun(db);
    expect(() => startCampaign(db, workspace({ share: 0 }), 'big_spenders', {}, START)).toThrow(ConfigError);
    expect(() => startCampaign(db, workspace({ share: 0 }), 'big_spenders', {}, START)).toThrow(/control groups are off for segment "big_spenders".*controlGroups.segments.big_spenders/);
    expect(() => startCampaign(db, workspace(), 'big_spender', {}, START)).toThrow(/no segment "big_spender".*Did you mean "big_spenders"\?/);
    // hibernating is a segment of the store with nobody in it in the latest run.
    expect(() => startCampaign(db, workspace(), 'hibernating', {}, START)).toThrow(/segment "hibernating" has no members in the latest segmentation run/);
    expect(listCampaigns(db)).toEqual([]);
    startCampaign(db, workspace(), 'big_spenders', { name: 'Spring' }, START);
    expect(() => startCampaign(db, workspace(), 'big_spenders', { name: 'Spring' }, START)).toThrow(/named "Spring" exists already/);
  });
});

describe('lift over a campaign window', () => {
  function measuredStore() {
    const db = store();
    firstRun(db);
    purchase(db, 'before', 4, '2026-01-20T00:00:00.000Z', 80, 'EUR');
    const started = startCampaign(db, workspace(), 'big_spenders', { days: 30 }, START);
    purchase(db, 'usd-in-window', 1, '2026-02-10T00:00:00.000Z', 100, 'USD'); // 50 EUR
    purchase(db, 'eur-in-window', 2, '2026-03-01T00:00:00.000Z', 30, 'EUR');
    purchase(db, 'lost-in-window', 5, '2026-02-11T00:00:00.000Z', 500, 'EUR', 'lost');
    purchase(db, 'after-window', 3, '2026-04-01T00:00:00.000Z', 999, 'EUR');
    purchase(db, 'outsider', 50, '2026-02-12T00:00:00.000Z', 999, 'EUR');
    db.prepare("INSERT INTO engagement_events (platform, key, contact_external_id, channel, occurred_at) VALUES ('hubspot', 'u1', 'h6', 'unsubscribe', '2026-02-05T00:00:00.000Z')").run();
    // A later run: the segment is now profiles 30–60; 1 fell to hibernating, 21 to loyal, 2 rose to champions.
    const later = new Map<number, string[]>();
    for (let id = 1; id <= 60; id++) {
      const rfm = id === 1 ? 'hibernating' : id === 21 ? 'loyal_customers' : id === 2 ? 'champions' : id <= 20 ? 'at_risk' : 'champions';
      later.set(id, id >= 30 ? ['big_spenders', rfm] : [rfm]);
    }
    segmentationRun(db, '2026-02-15T00:00:00.000Z', later);
    return { db, campaign: listCampaigns(db)[0]!, started };
  }

  it('counts only won purchases after the start and inside the window, converted to the base currency, for the frozen cohort', () => {
    const { db, campaign, started } = measuredStore();
    // The 2026-04-01 purchase also moves the data's "now" past the window: it ends at start + 30 days.
    const lift = campaignLift(db, workspace(), campaign, new Date('2026-03-20T00:00:00.000Z'));
    expect(lift.window.end).toBe('2026-03-03T00:00:00.000Z');
    expect(lift.window.status).toBe('ended');
    expect(lift.treatment.people + lift.control.people).toBe(39);
    expect([lift.treatment.people, lift.control.people]).toEqual([started.treatment, started.control]);
    const totals = { treatment: { orders: 0, revenue: 0 }, control: { orders: 0, revenue: 0 } };
    totals[group(1)].orders++;
    totals[group(1)].revenue += 50;
    totals[group(2)].orders++;
    totals[group(2)].revenue += 30;
    expect({ orders: lift.treatment.orders, revenue: lift.treatment.revenue }).toEqual(totals.treatment);
    expect({ orders: lift.control.orders, revenue: lift.control.revenue }).toEqual(totals.control);
    // Unsubscribed: 6 by an event in the window (7, unsubscribed at the start, is in no group).
    expect(lift.treatment.unsubscribed + lift.control.unsubscribed).toBe(1);
    expect(lift[group(6)].unsubscribed).toBe(1);
    // Worse RFM segment by the later run: 1 (at risk → hibernating) and 21 (champions → loyal); 2 rose.
    expect(lift.rfmRunId).not.toBeNull();
    expect(lift.treatment.movedWorse + lift.control.movedWorse).toBe(2);
    expect(lift.treatment.rfmKnown + lift.control.rfmKnown).toBe(39);
    // Two converters in all: not enough data, with the raw counts kept.
    expect(lift.measures).toBeNull();
    expect(lift.notEnoughData!.reasons.join(' ')).toMatch(/converter/);
  });

  it('a stop ends the window there, once', () => {
    const { db } = measuredStore();
    // Stopped on 2026-02-20, before the later purchases came in (they would move the data's now).
    db.prepare("DELETE FROM purchase_contacts WHERE purchase_external_id IN ('after-window', 'eur-in-window')").run();
    db.prepare("DELETE FROM purchases WHERE external_id IN ('after-window', 'eur-in-window')").run();
    const stopped = endCampaign(db, 'Big Spenders 2026-02-01', new Date('2026-02-20T00:00:00.000Z'));
    expect([stopped.changed, stopped.campaign.stoppedAt]).toEqual([true, '2026-02-20T00:00:00.000Z']);
    expect(endCampaign(db, 'Big Spenders 2026-02-01', new Date('2026-02-25T00:00:00.000Z')).changed).toBe(false);
    expect(() => endCampaign(db, 'Big Spender 2026-02-01', new Date())).toThrow(/Did you mean "Big Spenders 2026-02-01"/);
    purchase(db, 'eur-after-stop', 2, '2026-03-01T00:00:00.000Z', 30, 'EUR');
    const lift = liftReport(db, workspace(), new Date('2026-03-20T00:00:00.000Z'))[0]!;
    expect(lift.window.end).toBe('2026-02-20T00:00:00.000Z');
    expect(lift.window.status).toBe('stopped');
    // Profile 2's purchase of 2026-03-01 is after the stop: only profile 1's counts.
    expect(lift.treatment.orders + lift.control.orders).toBe(1);
    expect(campaignListings(db, new Date('2026-03-20T00:00:00.000Z'))[0]!.status).toBe('stopped');
  });

  it('forget erases the person\'s cohort rows', () => {
    const { db, campaign } = measuredStore();
    const plan = planErasure(db, findPerson(db, { email: 'p1@example.com' }));
    expect(plan.counts.campaignMembers).toBe(1);
    db.transaction(() => eraseFromStore(db, plan))();
    expect(campaignMembers(db, campaign.id).map((m) => m.profileId)).not.toContain(1);
    expect(campaignMembers(db, campaign.id)).toHaveLength(38);
  });
});

describe('the order of RFM segments', () => {
  it('says worse for a fall, not for a rise, and nothing for prospects or unknown keys', () => {
    expect(movedToWorse('champions', 'at_risk')).toBe(true);
    expect(movedToWorse('at_risk', 'champions')).toBe(false);
    expect(movedToWorse('at_risk', 'lost')).toBe(true);
    expect(movedToWorse('prospects', 'new_customers')).toBeNull();
    expect(movedToWorse('vip_custom', 'lost')).toBeNull();
    expect(movedToWorse(null, 'lost')).toBeNull();
  });
});
