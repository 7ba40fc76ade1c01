import { ConfigError } from '../config/errors.js';
import { nearestName } from '../config/nearest-name.js';
import type { Workspace } from '../config/workspace.js';
import type { SegmentDefinition } from '../domain/segments.js';
import { campaignByName, cohortSizes, insertCampaign, listCampaigns, stopCampaign, type Campaign, type CampaignMember } from '../store/campaigns.js';
import { unsubscribedProfileIds } from '../store/consent.js';
import type { Db } from '../store/db.js';
import { latestSegmentationRun, listSegments } from '../store/segmentation-runs.js';
import { controlGroupSalt } from '../store/store-settings.js';
import { controlShareFor, groupOf } from './control-groups.js';

/**
 * Campaigns: a segment's list targeted from a start date for N days, measured against the
 * segment's control group. The cohort (who was in treatment and who in control, and their RFM
 * segment) is frozen at the start: later runs that change the segment do not change it.
 */

export const DEFAULT_CAMPAIGN_DAYS = 60;
const DAY_MS = 86_400_000;

/**
 * "Now" for measuring: the later of the clock and the newest stored purchase. A store filled from
 * the sandbox, whose synthetic world can run ahead of the real clock, would otherwise put every
 * purchase it made after a start outside the window (or before the start in the future).
 */
export function dataNow(db: Db, now: Date): Date {
  const row = db.prepare("SELECT MAX(occurred_at) AS latest FROM purchases WHERE occurred_at IS NOT NULL AND archived = 0 AND status = 'won'").get() as { latest: string | null };
  const latest = row.latest === null ? Number.NaN : Date.parse(row.latest);
  return Number.isFinite(latest) && latest > now.getTime() ? new Date(latest) : now;
}

/** A segment by key or display name (case-insensitive); a ConfigError naming the nearest otherwise. */
export function resolveSegment(db: Db, wanted: string): SegmentDefinition {
  const segments = listSegments(db);
  const byKey = segments.find((s) => s.key === wanted);
  if (byKey) return byKey;
  const byName = segments.filter((s) => s.name.toLowerCase() === wanted.trim().toLowerCase());
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new ConfigError(`"${wanted}" names ${byName.length} segments (${byName.map((s) => s.key).join(', ')}); give the key instead.`);
  if (segments.length === 0) throw new ConfigError('the store has no segments yet: run `segsync segment` (or `segsync sync`) first.');
  const near = nearestName(wanted, segments.flatMap((s) => [s.key, s.name]));
  const hint = near ? ` Did you mean "${near}"?` : '';
  throw new ConfigError(`no segment "${wanted}" (give a segment key or its name; \`segsync status\` lists them).${hint}`);
}

export interface CampaignWindow {
  start: Date;
  /** The planned end: start + days. */
  plannedEnd: Date;
  /** Where measuring stops: the earliest of the planned end, the stop and the data's now. */
  end: Date;
  started: boolean;
  elapsedDays: number;
  /** Days from the start to the planned end or the stop, whichever is first. */
  lengthDays: number;
  status: 'running' | 'ended' | 'stopped';
}

export function campaignWindow(campaign: Campaign, asOf: Date): CampaignWindow {
  const start = new Date(campaign.startedAt);
  const plannedEnd = new Date(start.getTime() + campaign.days * DAY_MS);
  const stop = campaign.stoppedAt === null ? plannedEnd : new Date(Math.min(plannedEnd.getTime(), Date.parse(campaign.stoppedAt)));
  const end = new Date(Math.max(start.getTime(), Math.min(stop.getTime(), asOf.getTime())));
  const status = campaign.stoppedAt !== null && Date.parse(campaign.stoppedAt) < plannedEnd.getTime()
    ? 'stopped'
    : asOf.getTime() >= plannedEnd.getTime() ? 'ended' : 'running';
  return {
    start, plannedEnd, end,
    started: asOf.getTime() > start.getTime(),
    elapsedDays: (end.getTime() - start.getTime()) / DAY_MS,
    lengthDays: Math.round((stop.getTime() - start.getTime()) / DAY_MS),
    status,
  };
}

export interface StartedCampaign extends Campaign {
  segmentName: string;
  treatment: number;
  control: number;
  unsubscribedLeftOut: number;
}

/**
 * Starts a campaign on a segment: the segment's open members in the latest run, less those who
 * opted out of email, each in their control-group group, with their RFM segment now.
 */
export function startCampaign(
  db: Db, workspace: Workspace, segmentWanted: string, options: { name?: string; days?: number }, now: Date,
): StartedCampaign {
  const run = latestSegmentationRun(db);
  if (!run) throw new ConfigError('there is no segmentation run yet, so no cohort to freeze: run `segsync segment` (or `segsync sync`) first.');
  const segment = resolveSegment(db, segmentWanted);
  const settings = workspace.controlGroups;
  const share = controlShareFor(settings, segment.key);
  if (share === 0 && settings.global === 0) {
    throw new ConfigError(`control groups are off for segment "${segment.key}", so there is nobody to compare with: set controlGroups.share (e.g. 0.1) or controlGroups.segments.${segment.key} in the workspace config, push so the control group is held out of the list, then start the campaign.`);
  }
  const days = options.days ?? DEFAULT_CAMPAIGN_DAYS;
  const startedAt = dataNow(db, now);
  const name = options.name?.trim() || `${segment.name} ${startedAt.toISOString().slice(0, 10)}`;
  if (campaignByName(db, name)) throw new ConfigError(`a campaign named "${name}" exists already: give another with --name.`);

  const salt = controlGroupSalt(db);
  const unsubscribed = unsubscribedProfileIds(db);
  const memberIds = (db.prepare('SELECT profile_id AS id FROM memberships WHERE segment_key = ? AND left_at IS NULL ORDER BY profile_id').all(segment.key) as Array<{ id: number }>).map((r) => r.id);
  if (memberIds.length === 0) {
    throw new ConfigError(`segment "${segment.key}" has no members in the latest segmentation run (run ${run.id}): there is nobody to target or measure. Check the segment (\`segsync status\` lists the sizes).`);
  }
  const rfmNow = new Map((db
    .prepare(`SELECT m.profile_id AS id, m.segment_key AS key FROM memberships m JOIN segments s ON s.key = m.segment_key
              WHERE s.kind = 'rfm' AND m.left_at IS NULL`)
    .all() as Array<{ id: number; key: string }>).map((r) => [r.id, r.key]));
  const members: CampaignMember[] = [];
  for (const id of memberIds) {
    if (unsubscribed.has(id)) continue;
    members.push({ profileId: id, group: groupOf(id, salt, segment.key, settings), rfmSegmentAtStart: rfmNow.get(id) ?? null });
  }
  const campaign = { name, segmentKey: segment.key, startedAt: startedAt.toISOString(), days, controlShare: share };
  const id = insertCampaign(db, campaign, members);
  const control = members.filter((m) => m.group === 'control').length;
  return {
    id, ...campaign, stoppedAt: null, segmentName: segment.name,
    treatment: members.length - control, control, unsubscribedLeftOut: memberIds.length - members.length,
  };
}

export interface CampaignListing extends Campaign {
  segmentName: string;
  treatment: number;
  control: number;
  window: { start: string; plannedEnd: string; end: string; elapsedDays: number; lengthDays: number };
  status: CampaignWindow['status'];
}

export function campaignListings(db: Db, now: Date): CampaignListing[] {
  const asOf = dataNow(db, now);
  const sizes = cohortSizes(db);
  const names = new Map(listSegments(db).map((s) => [s.key, s.name]));
  return listCampaigns(db).map((c) => {
    const w = campaignWindow(c, asOf);
    const size = sizes.get(c.id) ?? { treatment: 0, control: 0 };
    return {
      ...c, segmentName: names.get(c.segmentKey) ?? c.segmentKey, ...size,
      window: { start: w.start.toISOString(), plannedEnd: w.plannedEnd.toISOString(), end: w.end.toISOString(), elapsedDays: w.elapsedDays, lengthDays: w.lengthDays },
      status: w.status,
    };
  });
}

/** A campaign by name, or a ConfigError naming the nearest. */
export function findCampaign(db: Db, wanted: string): Campaign {
  const found = campaignByName(db, wanted);
  if (found) return found;
  const all = listCampaigns(db);
  if (all.length === 0) throw new ConfigError(`no campaign "${wanted}": there are none yet (\`segsync campaign start <segment>\` starts one).`);
  const near = nearestName(wanted, all.map((c) => c.name));
  throw new ConfigError(`no campaign "${wanted}" (\`segsync campaign list\` lists them).${near ? ` Did you mean "${near}"?` : ''}`);
}

/** Stops a campaign now (the data's now): its measurement window ends there. */
export function endCampaign(db: Db, wanted: string, now: Date): { campaign: Campaign; changed: boolean } {
  const campaign = findCampaign(db, wanted);
  const at = dataNow(db, now).toISOString();
  const changed = stopCampaign(db, campaign.id, at);
  return { campaign: { ...campaign, stoppedAt: changed ? at : campaign.stoppedAt }, changed };
}
