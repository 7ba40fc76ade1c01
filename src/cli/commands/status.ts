import { StreamCursors } from '../../store/cursors.js';
import { readSchemaVersion } from '../../store/store-file.js';
import { Quarantine } from '../../store/quarantine.js';
import { RunHistory } from '../../store/runs.js';
import { latestSegmentationRun, segmentSizes } from '../../store/segmentation-runs.js';
import { fmt, table } from '../output.js';
import { describeCursor } from '../cursor-text.js';
import { destinationLag } from '../../pipeline/destination-lag.js';
import { latestPredictionRecord, predictionStatusLine } from '../../pipeline/prediction-record.js';
import { latestPropensityRecord, propensityStatusLine } from '../../pipeline/propensity-record.js';
import type { Session } from '../../pipeline/session.js';
import { nextRuns } from '../../scheduler/daemon.js';
import { JobLeases } from '../../scheduler/leases.js';
import { scheduledJobs } from '../../scheduler/schedule-config.js';
import { runCommand, type GlobalFlags } from '../context.js';
import { plural } from '../../domain/text.js';
import { runningCampaignsLift } from '../../measure/lift-data.js';
import { ConfigError } from '../../config/errors.js';
import { conversionLine } from '../lift-text.js';

/** Records per kind of reason, the largest first. */
function quarantineByReason(quarantine: Quarantine): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of quarantine.groups()) out[g.kind] = (out[g.kind] ?? 0) + g.records;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** Per scheduled job: its last runs, when it runs next, and who holds its lease. */
function scheduledJobStatus(session: Session) {
  const schedule = session.workspace.schedule;
  if (!schedule) return [];
  const history = new RunHistory(session.db);
  const leases = new JobLeases(session.db);
  return scheduledJobs(schedule).map((job) => ({
    ...job,
    next: nextRuns(job.cron, job.timezone, 1)[0]?.toISOString() ?? null,
    lastRuns: history.recent(3, { job: job.name }).map((r) => ({ id: r.id, status: r.status, startedAt: r.startedAt, finishedAt: r.finishedAt, error: r.error })),
    lease: leases.holder(job.name) ?? null,
  }));
}

export function statusCommand(flags: GlobalFlags): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const db = ctx.session.db;
    const records = db
      .prepare(`SELECT platform, 'contacts' AS stream, COUNT(*) AS n, SUM(archived) AS archived FROM contacts GROUP BY platform
                UNION ALL SELECT platform, 'purchases', COUNT(*), SUM(archived) FROM purchases GROUP BY platform`)
      .all() as Array<{ platform: string; stream: string; n: number; archived: number }>;
    const quarantine = new Quarantine(db);
    const status = {
      store: { path: ctx.session.dbPath, schemaVersion: readSchemaVersion(db) },
      configured: ctx.session.connectors.map((c) => c.id),
      records,
      cursors: new StreamCursors(db).all().map((c) => ({ ...c, description: describeCursor(c.cursor) })),
      quarantine: { count: quarantine.count(), byReason: quarantineByReason(quarantine), recent: quarantine.list(5) },
      latestSegmentation: latestSegmentationRun(db) ?? null,
      predictions: latestSegmentationRun(db) ? predictionStatusLine(latestPredictionRecord(db)) : null,
      propensity: latestSegmentationRun(db) ? propensityStatusLine(latestPropensityRecord(db)) : null,
      segments: segmentSizes(db),
      destinations: db
        .prepare(`SELECT destination, COUNT(DISTINCT segment_key) AS lists, COUNT(*) AS members, MAX(applied_at) AS lastApplied
                  FROM destination_list_members GROUP BY destination`)
        .all(),
      runs: new RunHistory(db).recent(10).map((r) => ({ ...r, summary: undefined })),
      jobs: scheduledJobStatus(ctx.session),
      lag: destinationLag(db, [...new Set([
        ...ctx.session.connectors.filter((c) => c.connector.destination).map((c) => c.id),
        ...(db.prepare('SELECT DISTINCT destination FROM destination_lists').all() as Array<{ destination: string }>).map((r) => r.destination),
      ])].sort()),
    };
    const campaigns = campaignStatus(ctx.session);
    const lines = [
      `Store ${status.store.path} (schema v${status.store.schemaVersion}); platforms configured: ${status.configured.join(', ') || 'none'}`,
      '',
      table([['platform', 'stream', 'records', 'archived'], ...records.map((r) => [r.platform, r.stream, fmt(r.n), fmt(r.archived ?? 0)])], ['l', 'l', 'r', 'r']),
      '',
      'Cursors:',
      ...indent(table(status.cursors.map((c) => [c.platform, c.stream, c.description, `(saved ${c.updatedAt.slice(0, 19).replace('T', ' ')} UTC)`]))),
      `Quarantine: ${plural(status.quarantine.count, 'record')}${status.quarantine.count === 0 ? '' : ` (${Object.entries(status.quarantine.byReason).map(([k, n]) => `${k} ${fmt(n)}`).join(', ')}); \`segsync quarantine list\` shows them all`}`,
      ...status.quarantine.recent.map((q) => `  ${q.platform} ${q.stream} ${q.externalId ?? '(no id)'}: ${q.kind}: ${q.reason.slice(0, 160)}`),
      '',
      status.latestSegmentation
        ? `Latest segmentation: run ${status.latestSegmentation.id} at ${status.latestSegmentation.createdAt}`
        : 'No segmentation run yet: run `segsync segment`.',
      ...indent(table(status.segments.map((s) => [s.name, fmt(s.size)]), ['l', 'r'])),
      ...(status.predictions ? [status.predictions] : []),
      ...(status.propensity ? [status.propensity] : []),
      '',
      ...(campaigns.length === 0 ? [] : [
        'Campaigns (running; `segsync lift` has every measure):',
        ...campaigns.map((c) => (c.error ? `  ${c.error}` : `  "${c.name}" on ${c.segment}: day ${Math.floor(c.elapsedDays)} of ${c.lengthDays}; ${c.conversion}`)),
        '',
      ]),
      ...(status.jobs.length === 0 ? [] : [
        'Scheduled jobs (segsync schedule):',
        table([['job', 'runs', 'cron', 'next', 'last runs', 'lease'], ...status.jobs.map((j) => [
          j.name, j.run + (j.platform ? ` ${j.platform}` : ''), `${j.cron} (${j.timezone})`, j.next ?? '–',
          j.lastRuns.map((r) => `#${r.id} ${r.status}`).join(', ') || 'never run',
          j.lease ? `held by ${j.lease.owner} until ${j.lease.expiresAt}` : '–',
        ])]),
        '',
      ]),
      'Destinations (how far behind the latest segmentation):',
      ...(status.lag.length === 0 ? ['  none'] : status.lag.map((l) => `  ${l.destination.padEnd(10)} ${l.lastPushAt === null
        ? 'never pushed'
        : l.runsBehind === 0 ? `up to date (segmentation run ${l.pushedSegmentationRun}, pushed ${l.lastPushAt})` : `${l.runsBehind === null ? 'an unknown number of segmentation runs' : plural(l.runsBehind, 'segmentation run')} behind: pushed run ${l.pushedSegmentationRun} at ${l.lastPushAt}, latest is ${l.latestSegmentationRun}`}`)),
      '',
      'Recent runs:',
      // One table: a long command (`push --dry-run`) widens its column instead of shifting the row.
      ...indent(table(status.runs.map((r) => [`#${r.id}`, r.command, r.job ?? r.trigger, r.status, r.startedAt, r.error ? r.error.split('\n')[0]! : '']))),
      '(`segsync runs` shows the history with counts)',
    ];
    ctx.print(lines.join('\n'), { ok: true, ...status, campaigns });
  }, { requireConnector: false, store: 'read' });
}

/** Each running campaign: days elapsed, conversion lift or "not enough data yet"; a config problem (currencies) is said, not thrown. */
function campaignStatus(session: Session) {
  try {
    return runningCampaignsLift(session.db, session.workspace, new Date()).map((l) => ({
      name: l.campaign.name, segment: l.segmentName, elapsedDays: l.window.elapsedDays, lengthDays: l.window.lengthDays,
      conversion: conversionLine(l), measure: l.measures?.[0] ?? null, notEnoughData: l.notEnoughData, error: null as string | null,
    }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [{ name: '(every campaign)', segment: '–', elapsedDays: 0, lengthDays: 0, conversion: '', measure: null, notEnoughData: null, error: `lift cannot be measured: ${error.message}` }];
  }
}

/** A table's lines, two spaces in (none for an empty table). */
function indent(text: string): string[] {
  return text === '' ? [] : text.split('\n').map((line) => `  ${line}`);
}
