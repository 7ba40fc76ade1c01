import { ConfigError } from '../config/errors.js';
import type { Workspace } from '../config/workspace.js';
import type { Db } from '../store/db.js';
import { startCampaign } from './campaigns.js';

/**
 * `campaigns.autoStart`: a push that creates a segment's first list (on any destination) starts a
 * campaign on that segment, as `segsync campaign start <segment>` would, when the segment has a
 * control group. A segment that ever had a campaign gets no second one this way (a list deleted on
 * the platform and created again is not a new campaign).
 */

/** Of these segments, those with a list on no destination yet. */
export function segmentsWithoutList(db: Db, segmentKeys: Iterable<string>): string[] {
  const listed = db.prepare('SELECT 1 FROM destination_lists WHERE segment_key = ? LIMIT 1');
  return [...new Set(segmentKeys)].filter((key) => listed.get(key) === undefined).sort();
}

export interface AutoStartOutcome {
  segmentKey: string;
  /** The campaign started, or why none was. */
  campaign?: string;
  skipped?: string;
}

/** Starts a campaign on each segment that now has a list and never had a campaign. */
export function autoStartCampaigns(db: Db, workspace: Workspace, segmentKeys: readonly string[], now: Date): AutoStartOutcome[] {
  const hadCampaign = db.prepare('SELECT 1 FROM campaigns WHERE segment_key = ? LIMIT 1');
  const outcomes: AutoStartOutcome[] = [];
  for (const segmentKey of segmentKeys) {
    // Its list was not created (the destination failed before it): nothing is being targeted yet.
    if (segmentsWithoutList(db, [segmentKey]).length > 0) continue;
    if (hadCampaign.get(segmentKey) !== undefined) continue;
    try {
      const started = startCampaign(db, workspace, segmentKey, { days: workspace.campaigns.days }, now);
      outcomes.push({ segmentKey, campaign: started.name });
    } catch (error) {
      // Control groups off for this segment (or a name taken): the push went fine; say why no campaign.
      if (!(error instanceof ConfigError)) throw error;
      outcomes.push({ segmentKey, skipped: error.message });
    }
  }
  return outcomes;
}
