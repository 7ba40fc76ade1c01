/**
 * The demo's third step (issue 14): did it work? A campaign starts on a segment whose control
 * group segsync held out of the lists, the sandbox's world runs 60 days with a planted uplift for
 * the people on that segment's lists, segsync pulls what happened and measures the lift.
 */
import { pull, segment } from '../pipeline/run.js';
import type { Session } from '../pipeline/session.js';
import type { ProgressFactory } from '../pipeline/progress.js';
import { startCampaign, type StartedCampaign } from '../measure/campaigns.js';
import { liftReport, type CampaignLift } from '../measure/lift-data.js';
import { loadSegmentMovement } from '../measure/movement-loader.js';
import { renderCampaignLift } from '../cli/lift-text.js';
import { renderMovement } from '../cli/commands/movement.js';
import type { Sandbox } from './server.js';
import type { AdvanceTruth } from './world-clock.js';

/**
 * The demo's campaign: keep the loyal customers buying. They buy often enough that 60 days give
 * both groups converters to compare (a win-back list like Hibernating has too few in its control
 * group at 5,000 people, and lift says "not enough data yet"); the others stand in when it is empty.
 */
const DEMO_SEGMENTS = ['loyal_customers', 'at_risk', 'hibernating', 'potential_loyalists', 'need_attention'];
export const DEMO_CAMPAIGN_DAYS = 60;

export interface DemoMeasurement {
  campaign: StartedCampaign;
  truth: AdvanceTruth;
  lift: CampaignLift;
  text: string;
}

function targetSegment(session: Session): string {
  const sizes = session.db
    .prepare(`SELECT segment_key AS key, COUNT(*) AS n FROM memberships WHERE left_at IS NULL GROUP BY segment_key`)
    .all() as Array<{ key: string; n: number }>;
  const size = new Map(sizes.map((s) => [s.key, s.n]));
  return DEMO_SEGMENTS.find((k) => (size.get(k) ?? 0) >= 300) ?? DEMO_SEGMENTS.filter((k) => size.has(k)).sort((a, b) => size.get(b)! - size.get(a)!)[0] ?? 'loyal_customers';
}

export async function demoMeasurement(session: Session, sandbox: Sandbox, signal: AbortSignal, progress: ProgressFactory): Promise<DemoMeasurement> {
  const key = targetSegment(session);
  const campaign = startCampaign(session.db, session.workspace, key, { days: DEMO_CAMPAIGN_DAYS }, new Date());
  // The segment's list on every platform, as segsync named it there (a Shopify tag included).
  const lists = (session.db.prepare('SELECT DISTINCT name FROM destination_lists WHERE segment_key = ?').all(key) as Array<{ name: string }>).map((r) => r.name);
  const truth = sandbox.advance({ days: DEMO_CAMPAIGN_DAYS, lists });
  // 60 days of orders at once (about 2,500 on Shopify): a daemon would have read them as they came,
  // a few dozen a day, but one catch-up read of them in incremental pages (about 11 orders each, with
  // their lines) would take a Standard plan's bucket some twenty minutes. So the demo lifts it here.
  sandbox.liftRateLimits();
  const pulled = await pull(session, { full: false, signal, progress });
  // The world's clock runs ahead of the real one now: segment as of it, so the new purchases count.
  const asOfWorld: Session = { ...session, workspace: { ...session.workspace, segmentation: { ...session.workspace.segmentation, referenceDate: truth.clock } } };
  segment(asOfWorld);
  const lift = liftReport(session.db, session.workspace, new Date(), campaign.name)[0]!;
  const movement = loadSegmentMovement(session.db, { kind: 'rfm' });
  const text = [
    `Campaign "${campaign.name}" started on ${campaign.segmentName}: ${campaign.treatment.toLocaleString('en-US')} people on its lists, ` +
      `${campaign.control.toLocaleString('en-US')} held out as control (${((campaign.control / (campaign.treatment + campaign.control)) * 100).toFixed(1)}%).`,
    `The sandbox ran its world ${truth.days} days ahead (to ${truth.clock.slice(0, 10)}), planting +${Math.round(truth.uplift * 100)}% conversion for the people on ` +
      `${lists.join(', ')}` + (truth.treated.expectedLift !== null ? ` (expected lift over the list ${(truth.treated.expectedLift * 100).toFixed(1)}%: a person's chance is capped at 1)` : '') +
      `; ${truth.newPurchases.total.toLocaleString('en-US')} new purchases.`,
    `Pulled again (the emulators' rate limits lifted for this catch-up: a daemon reads these days as they come): ` +
      `${pulled.totals.changed.toLocaleString('en-US')} new or changed records. Segmented as of the world's clock.`,
    '',
    renderCampaignLift(lift),
    '',
    renderMovement(movement),
  ].join('\n');
  return { campaign, truth, lift, text };
}
