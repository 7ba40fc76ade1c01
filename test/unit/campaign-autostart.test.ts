import { describe, expect, it } from 'vitest';
import { parseWorkspace } from '../../src/config/workspace.js';
import type { Destination, PlanBatch } from '../../src/domain/connector.js';
import type { SegmentDefinition } from '../../src/domain/segments.js';
import { push } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { campaignMembers, listCampaigns } from '../../src/store/campaigns.js';
import { openStore, type Db } from '../../src/store/db.js';
import { writeSegmentationRun } from '../../src/store/segmentation-runs.js';

const SEGMENTS: SegmentDefinition[] = [
  { key: 'big_spenders', name: 'Big Spenders', kind: 'rule', description: '' },
  { key: 'vip', name: 'VIP', kind: 'rule', description: '' },
];

/** 50 people on HubSpot: all Big Spenders, the first 10 VIP too. */
function store(): Db {
  const db = openStore(':memory:');
  const contact = db.prepare(`INSERT INTO contacts (platform, external_id, email, email_normalized, updated_at, email_consent, raw, content_hash, first_pulled_at, last_pulled_at)
    VALUES ('hubspot', ?, ?, ?, 'now', 'subscribed', '{}', 'h', 'now', 'now')`);
  const memberships = new Map<number, string[]>();
  for (let id = 1; id <= 50; id++) {
    db.prepare("INSERT INTO profiles (id, email_key, created_at) VALUES (?, ?, '2025-01-01')").run(id, `p${id}@example.com`);
    contact.run(`h${id}`, `p${id}@example.com`, `p${id}@example.com`);
    db.prepare("INSERT INTO identities (platform, external_id, profile_id) VALUES ('hubspot', ?, ?)").run(`h${id}`, id);
    memberships.set(id, id <= 10 ? ['big_spenders', 'vip'] : ['big_spenders']);
  }
  writeSegmentationRun(db, {
    kinds: ['rule'], createdAt: '2026-01-01T00:00:00.000Z', referenceDate: '2026-01-01T00:00:00.000Z', windowDays: 365, segments: SEGMENTS, memberships,
    rfm: [], tokens: [], summary: {}, profileFeatures: [], personas: [], clustering: {}, predictions: { status: 'off' },
  });
  return db;
}

/** A destination that holds lists in memory and applies every batch. */
function fakeDestination(created: string[]): Destination {
  return {
    capabilities: { lists: true, tokens: false, maxBatch: { listMembers: 100, tokens: 100 } },
    tokenField: () => undefined,
    ensureSchema: async () => undefined,
    ensureList: async (segment) => {
      created.push(segment.key);
      return `list-${segment.key}`;
    },
    apply: async (batch: PlanBatch) => ({ applied: batch.kind === 'tokens' ? batch.updates.map((u) => u.externalId) : batch.externalIds, failed: [] }),
  };
}

function session(db: Db, config: unknown, created: string[]): Session {
  return {
    db, dbPath: ':memory:', workspace: parseWorkspace(config, 'test config', ['hubspot']),
    connectors: [{ id: 'hubspot', displayName: 'HubSpot', connector: { destination: fakeDestination(created) } }],
    close: () => undefined,
  } as unknown as Session;
}

const options = { dryRun: false, allowMassRemoval: false, signal: new AbortController().signal };

describe('campaigns.autoStart', () => {
  it('a push that creates a segment\'s first list starts a campaign on it, once; none where control groups are off', async () => {
    const db = store();
    const created: string[] = [];
    const config = { campaigns: { autoStart: true, days: 45 }, controlGroups: { share: 0.2, segments: { vip: 0 } } };
    const first = await push(session(db, config, created), options);
    expect(created.sort()).toEqual(['big_spenders', 'vip']);
    expect(first.campaignsStarted).toEqual([
      { segmentKey: 'big_spenders', campaign: expect.stringMatching(/^Big Spenders \d{4}-\d\d-\d\d$/) },
      { segmentKey: 'vip', skipped: expect.stringMatching(/control groups are off for segment "vip"/) },
    ]);
    const [campaign] = listCampaigns(db);
    expect(campaign).toMatchObject({ segmentKey: 'big_spenders', days: 45, controlShare: 0.2 });
    expect(campaignMembers(db, campaign!.id)).toHaveLength(50);
    // The lists exist now: the next push starts nothing.
    const second = await push(session(db, config, created), options);
    expect(second.campaignsStarted).toBeUndefined();
    expect(listCampaigns(db)).toHaveLength(1);
  });

  it('is off by default', async () => {
    const db = store();
    const created: string[] = [];
    const result = await push(session(db, {}, created), options);
    expect(created).toHaveLength(2);
    expect(result.campaignsStarted).toBeUndefined();
    expect(listCampaigns(db)).toEqual([]);
  });
});
