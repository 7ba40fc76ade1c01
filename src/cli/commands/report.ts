import { dirname, resolve } from 'node:path';
import { buildReportData } from '../../pipeline/report.js';
import { reportCampaigns } from '../../pipeline/report-campaigns.js';
import { renderReportHtml } from '../../report/render-html.js';
import { makePrivateDir, writePrivateFile } from '../../report/private-files.js';
import { runCommand, type GlobalFlags } from '../context.js';
import { plural } from '../../domain/text.js';

/** Writes the latest segmentation run as one self-contained HTML file. */
export function reportCommand(flags: GlobalFlags & { out: string }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const now = new Date();
    const campaigns = reportCampaigns(ctx.session.db, ctx.session.workspace, now);
    const data = { ...buildReportData(ctx.session.db, now), ...(campaigns ? { campaigns } : {}) };
    const path = resolve(flags.out);
    makePrivateDir(dirname(path));
    writePrivateFile(path, renderReportHtml(data));
    const others = (data.otherClusterings ?? []).map((o) => `${o.name}: ${o.clustering ? plural(o.clustering.personas.length, 'persona') : 'skipped'}`);
    const clusters = (data.clustering ? `${plural(data.clustering.personas.length, 'persona')}, ${plural(data.clustering.scan.length, 'value')} of k compared` : 'no clustering in this run') +
      others.map((o) => `; ${o}`).join('');
    ctx.print(`Wrote ${path} (${plural(data.profiles, 'profile')}, ${plural(data.segments.length, 'segment')}, ${clusters}). Open it in a browser; it needs no network.`,
      { ok: true, path, profiles: data.profiles, segments: data.segments.length, personas: data.clustering?.personas.length ?? 0 });
  }, { requireConnector: false, store: 'read' });
}
