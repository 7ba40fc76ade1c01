import type { Db } from './db.js';
import type { Group } from '../measure/control-groups.js';

/** A campaign as stored (tables campaigns, campaign_members; migration 18). */
export interface Campaign {
  id: number;
  name: string;
  segmentKey: string;
  startedAt: string;
  days: number;
  stoppedAt: string | null;
  controlShare: number;
}

export interface CampaignMember {
  profileId: number;
  group: Group;
  /** The person's RFM segment key when the campaign started (null: in no RFM segment then). */
  rfmSegmentAtStart: string | null;
}

const SELECT_CAMPAIGN = `SELECT id, name, segment_key AS segmentKey, started_at AS startedAt, days, stopped_at AS stoppedAt,
  control_share AS controlShare FROM campaigns`;

/** Stores a campaign and its cohort in one transaction; returns the campaign's id. */
export function insertCampaign(db: Db, campaign: Omit<Campaign, 'id' | 'stoppedAt'>, members: readonly CampaignMember[]): number {
  return db.transaction(() => {
    const { lastInsertRowid } = db
      .prepare('INSERT INTO campaigns (name, segment_key, started_at, days, control_share) VALUES (?, ?, ?, ?, ?)')
      .run(campaign.name, campaign.segmentKey, campaign.startedAt, campaign.days, campaign.controlShare);
    const id = Number(lastInsertRowid);
    const insert = db.prepare('INSERT INTO campaign_members (campaign_id, profile_id, grp, rfm_segment_at_start) VALUES (?, ?, ?, ?)');
    for (const m of members) insert.run(id, m.profileId, m.group, m.rfmSegmentAtStart);
    return id;
  })();
}

/** Every campaign, oldest first. */
export function listCampaigns(db: Db): Campaign[] {
  return db.prepare(`${SELECT_CAMPAIGN} ORDER BY started_at, id`).all() as Campaign[];
}

export function campaignByName(db: Db, name: string): Campaign | undefined {
  return db.prepare(`${SELECT_CAMPAIGN} WHERE name = ?`).get(name) as Campaign | undefined;
}

/** Sets stopped_at once; a campaign already stopped keeps its first stop. Returns whether it changed. */
export function stopCampaign(db: Db, id: number, at: string): boolean {
  return db.prepare('UPDATE campaigns SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL').run(at, id).changes > 0;
}

export function campaignMembers(db: Db, campaignId: number): CampaignMember[] {
  return db
    .prepare(`SELECT profile_id AS profileId, grp AS "group", rfm_segment_at_start AS rfmSegmentAtStart
              FROM campaign_members WHERE campaign_id = ? ORDER BY profile_id`)
    .all(campaignId) as CampaignMember[];
}

/** Cohort sizes per campaign and group. */
export function cohortSizes(db: Db): Map<number, Record<Group, number>> {
  const rows = db.prepare('SELECT campaign_id AS id, grp, COUNT(*) AS n FROM campaign_members GROUP BY campaign_id, grp').all() as Array<{ id: number; grp: Group; n: number }>;
  const out = new Map<number, Record<Group, number>>();
  for (const r of rows) {
    const sizes = out.get(r.id) ?? { treatment: 0, control: 0 };
    sizes[r.grp] = r.n;
    out.set(r.id, sizes);
  }
  return out;
}
