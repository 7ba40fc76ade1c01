import { RunHistory, type RunRow } from '../../store/runs.js';
import { fmt, table } from '../output.js';
import { runCommand, type GlobalFlags } from '../context.js';

function duration(r: RunRow): string {
  if (!r.finishedAt) return r.status === 'abandoned' ? '–' : 'running';
  const s = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function renderRuns(runs: RunRow[]): string {
  if (runs.length === 0) return 'No runs yet.';
  const rows = [['run', 'command', 'job', 'trigger', 'started', 'took', 'status', 'pulled', 'quar.', 'entries', 'exits', 'list +', 'list −', 'tokens', 'requests', 'retries', 'throttled']];
  for (const r of runs) {
    const c = r.counts;
    const n = (v: number | undefined) => (v === undefined ? '–' : fmt(v));
    rows.push([`#${r.id}`, r.command, r.job ?? '–', r.trigger, r.startedAt.replace('T', ' ').slice(0, 19), duration(r), r.status,
      n(c?.pulled), n(c?.quarantined), n(c?.segmentEntries), n(c?.segmentExits), n(c?.listAdds), n(c?.listRemoves), n(c?.tokenUpdates),
      n(c?.requests), n(c?.retries), n(c?.throttled)]);
  }
  const errors = runs.filter((r) => r.error).map((r) => `  #${r.id}: ${r.error!.split('\n')[0]}`);
  const notes = runs.filter((r) => r.note).map((r) => `  #${r.id}: ${r.note}`);
  return [table(rows, ['l', 'l', 'l', 'l', 'l', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']), ...(errors.length ? ['Errors:', ...errors] : []), ...(notes.length ? ['Notes:', ...notes] : [])].join('\n');
}

/** The run history, newest first: every run, manual or scheduled, with its counts and error. */
export function runsCommand(flags: GlobalFlags & { limit: number; job?: string; command?: string }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const runs = new RunHistory(ctx.session.db).recent(flags.limit, { ...(flags.job ? { job: flags.job } : {}), ...(flags.command ? { command: flags.command } : {}) });
    ctx.print(renderRuns(runs), { ok: true, runs: runs.map((r) => ({ ...r, summary: undefined })) });
  }, { requireConnector: false, store: 'read' });
}
