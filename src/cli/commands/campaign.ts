import { campaignListings, endCampaign, startCampaign } from '../../measure/campaigns.js';
import { fmt, table } from '../output.js';
import { runCommand, type GlobalFlags } from '../context.js';
import { plural } from '../../domain/text.js';

/** Starts a campaign on a segment: freezes its cohort (treatment and control) from now. */
export function campaignStartCommand(segment: string, flags: GlobalFlags & { name?: string; days?: number }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const started = startCampaign(ctx.session.db, ctx.session.workspace, segment, { ...(flags.name === undefined ? {} : { name: flags.name }), ...(flags.days === undefined ? {} : { days: flags.days }) }, new Date());
    const human = [
      `Started campaign "${started.name}" on ${started.segmentName} (${started.segmentKey}) at ${started.startedAt}, for ${plural(started.days, 'day')}.`,
      `Cohort frozen now: ${fmt(started.treatment)} in treatment, ${fmt(started.control)} in control${started.unsubscribedLeftOut > 0 ? ` (${plural(started.unsubscribedLeftOut, 'unsubscribed member')} left out of both)` : ''}.`,
      'Target the segment\'s list (control members are held out of it); `segsync lift` measures it as purchases come in.',
    ].join('\n');
    ctx.print(human, { ok: true, campaign: started });
  }, { requireConnector: false, store: 'write' });
}

export function campaignListCommand(flags: GlobalFlags): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const campaigns = campaignListings(ctx.session.db, new Date());
    const human = campaigns.length === 0
      ? 'No campaigns yet: `segsync campaign start <segment>` starts one.'
      : table([
          ['name', 'segment', 'start', 'window', 'treated', 'control', 'status'],
          ...campaigns.map((c) => [
            c.name, c.segmentName, c.startedAt.slice(0, 10),
            c.status === 'running' ? `day ${Math.floor(c.window.elapsedDays)} of ${c.window.lengthDays}` : `${c.window.lengthDays} days`,
            fmt(c.treatment), fmt(c.control), c.status,
          ]),
        ], ['l', 'l', 'l', 'l', 'r', 'r', 'l']);
    ctx.print(human, { ok: true, campaigns });
  }, { requireConnector: false, store: 'read' });
}

/** Stops a campaign: its measurement window ends now. */
export function campaignStopCommand(name: string, flags: GlobalFlags): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const { campaign, changed } = endCampaign(ctx.session.db, name, new Date());
    const human = changed
      ? `Stopped campaign "${campaign.name}" at ${campaign.stoppedAt}: \`segsync lift\` measures it up to then.`
      : `Campaign "${campaign.name}" was already stopped at ${campaign.stoppedAt}; nothing changed.`;
    ctx.print(human, { ok: true, changed, campaign });
  }, { requireConnector: false, store: 'write' });
}
