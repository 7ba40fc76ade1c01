import { liftReport } from '../../measure/lift-data.js';
import { METHODS_NOTE, renderCampaignLift } from '../lift-text.js';
import { runCommand, type GlobalFlags } from '../context.js';

/** Treatment against control for each campaign (or the one named), over its window. */
export function liftCommand(flags: GlobalFlags & { campaign?: string }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const campaigns = liftReport(ctx.session.db, ctx.session.workspace, new Date(), flags.campaign);
    const human = campaigns.length === 0
      ? 'No campaigns yet: `segsync campaign start <segment>` starts one.'
      : [...campaigns.map(renderCampaignLift), METHODS_NOTE].join('\n\n');
    ctx.print(human, { ok: true, campaigns });
  }, { requireConnector: false, store: 'read' });
}
