import type { PullResult, PushResult, RequestCounts } from '../pipeline/run.js';
import type { SegmentSummary } from '../pipeline/segment.js';
import { fmt, table } from './output.js';

export function renderPull(result: PullResult): string {
  const rows = [['platform', 'stream', 'mode', 'received', 'stored', 'changed', 'quarantined']];
  for (const s of result.streams) {
    rows.push([s.platform, s.stream, s.mode, fmt(s.received), fmt(s.stored), fmt(s.changed), fmt(s.quarantined)]);
  }
  const t = result.totals;
  rows.push(['total', '', '', fmt(t.received), fmt(t.stored), fmt(t.changed), fmt(t.quarantined)]);
  const warnings = result.streams.flatMap((s) => s.warnings.map((w) => `warning (${s.platform} ${s.stream}): ${w}`));
  const quarantineNote = t.quarantined > 0 ? `\n${fmt(t.quarantined)} records failed validation and are in quarantine (see \`segsync status\`).` : '';
  return `Pulled\n${table(rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r'])}${quarantineNote}${warnings.length ? `\n${warnings.join('\n')}` : ''}`;
}

export function renderSegment(result: SegmentSummary): string {
  const total = result.profiles || 1;
  const rows = [['segment', 'kind', 'profiles', 'share']];
  for (const s of [...result.segments].sort((a, b) => a.kind.localeCompare(b.kind) || b.size - a.size)) {
    rows.push([s.name, s.kind, fmt(s.size), `${((100 * s.size) / total).toFixed(1)}%`]);
  }
  return [
    `Segmented ${fmt(result.profiles)} profiles (run ${result.runId}; RFM over ${result.windowDays} days before ${result.referenceDate.slice(0, 10)}; ${fmt(result.purchasesUsed)} purchases)`,
    table(rows, ['l', 'l', 'r', 'r']),
    `${fmt(result.entered)} segment entries, ${fmt(result.left)} exits since the previous run`,
    '',
    renderClustering(result.clustering),
    '',
    renderPredictions(result.predictions),
    ...(result.exported ? ['', `Exported ${result.exported.files.join(', ')} to ${result.exported.dir}`] : []),
  ].join('\n');
}

const ALGORITHMS: Record<string, string> = { kmeans: 'k-means', gmm: 'Gaussian mixture', ward: 'Ward hierarchical', dbscan: 'DBSCAN' };

export function renderClustering(c: SegmentSummary['clustering']): string {
  if (c.status === 'skipped') return `No clusters: ${c.reason}.`;
  const num = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : '∞');
  const rows = [['persona', 'customers', 'share', 'in numbers']];
  for (const p of c.personas) rows.push([p.label, fmt(p.size), `${(p.share * 100).toFixed(1)}%`, p.summary]);
  const scan = [['k', 'silhouette', 'inertia (elbow)', 'BIC', 'Davies–Bouldin', 'Calinski–Harabasz', 'Dunn']];
  for (const r of c.scan) {
    scan.push([`${r.k}${r.k === c.k ? ' ←' : ''}`, num(r.silhouette), fmt(Math.round(r.inertia)), r.bic === null ? '–' : fmt(Math.round(r.bic)),
      num(r.daviesBouldin), fmt(Math.round(r.calinskiHarabasz)), num(r.dunn)]);
  }
  return [
    `Clusters: ${ALGORITHMS[c.algorithm] ?? c.algorithm}, k = ${c.k} (${c.selection}) over ${fmt(c.clusteredProfiles)} buyers`,
    ...(c.scan.length > 1 ? [table(scan, ['l', 'r', 'r', 'r', 'r', 'r', 'r'])] : []),
    `  silhouette ${num(c.silhouette)}${c.silhouetteExact ? '' : ' (on a sample)'} · Davies–Bouldin ${num(c.daviesBouldin)} · ` +
      `Calinski–Harabasz ${fmt(Math.round(c.calinskiHarabasz))} · Dunn ${num(c.dunn)}` +
      (c.stability === null ? '' : ` · stability (bootstrap ARI) ${num(c.stability, 2)}`),
    table(rows, ['l', 'r', 'r', 'l']),
    'Preparation',
    ...c.preparation.map((line) => `  ${line}`),
  ].join('\n');
}

export function renderPredictions(p: SegmentSummary['predictions']): string {
  if (p.status === 'off') return 'No predictions: switched off (segmentation.predictions.enabled: false).';
  if (p.status === 'skipped') return `No predictions: ${p.reason}`;
  const n = (v: number, digits: number) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  // Parameters span 10^±6: four significant digits, so a γ of 0.0000674 does not print as 0.00.
  const param = (v: number) => (Math.abs(v) >= 1000 ? n(v, 0) : Number(v.toPrecision(4)).toString());
  const b = p.bgnbd;
  const g = p.gammaGamma;
  return [
    `Predictions for ${fmt(p.totals.customers)} customers over ${fmt(p.historyDays)} days of history (time unit: ${p.timeUnit})`,
    `  BG/NBD: r ${param(b.r)}, α ${param(b.alpha)}, a ${param(b.a)}, b ${param(b.b)} (log-likelihood ${n(b.logLikelihood, 1)}, ${fmt(b.repeatBuyers)} repeat buyers)`,
    g
      ? `  Gamma-Gamma: p ${param(g.p)}, q ${param(g.q)}, γ ${param(g.gamma)} on ${fmt(g.customers)} repeat buyers` +
        (p.spendFrequencyCorrelation === null ? '' : ` (spend/frequency correlation ${n(p.spendFrequencyCorrelation, 2)})`)
      : `  No spend model, so no CLV: ${p.gammaGammaSkipped ?? 'not fitted'}`,
    `  ${Math.round(p.totals.meanPAlive * 100)}% of repeat buyers likely still active; ${fmt(Math.round(p.totals.expectedPurchases90d))} purchases expected in the next 90 days` +
      (p.totals.clv === null ? '' : `; CLV over ${p.horizonMonths} months ${fmt(Math.round(p.totals.clv))} in total`),
    p.holdout
      ? `  Model check: fitted to ${p.holdout.calibrationEnd}, it expected ${fmt(Math.round(p.holdout.expected))} repeat purchases up to ${p.holdout.holdoutEnd}; ` +
        `there were ${fmt(p.holdout.actual)} (${p.holdout.actual > 0 ? `${(((p.holdout.expected - p.holdout.actual) / p.holdout.actual) * 100).toFixed(1)}%` : '–'})`
      : `  No model check: ${p.holdoutSkipped ?? 'not run'}`,
    ...p.warnings.map((w) => `  Warning: ${w}`),
  ].join('\n');
}

export function renderPush(result: PushResult): string {
  const out: string[] = [];
  for (const d of result.destinations) {
    const p = d.plan;
    out.push(`${result.dryRun ? 'Plan (dry run, nothing sent)' : 'Pushed'} to ${d.platform} (${d.mode})`);
    if (p.lists.length > 0) {
      const rows = [['list', 'add', 'remove']];
      for (const l of p.lists) rows.push([l.listName, `+${fmt(l.add)}`, `-${fmt(l.remove)}`]);
      out.push(table(rows, ['l', 'r', 'r']));
    }
    const applied = d.applied;
    out.push(
      `list adds ${fmt(applied?.listAdds ?? p.listAdds)}, list removes ${fmt(applied?.listRemoves ?? p.listRemoves)}, ` +
        `token updates ${fmt(applied?.tokenUpdates ?? p.tokenUpdates)} contacts` +
        (applied?.listsCreated ? `, lists created ${fmt(applied.listsCreated)}` : '') +
        (p.skippedRemovals ? `, removals kept back (additive mode) ${fmt(p.skippedRemovals)}` : '') +
        (p.unsubscribedExcluded ? `, unsubscribed kept out of lists ${fmt(p.unsubscribedExcluded)}` : '') +
        (p.forget ? `, contacts gone from ${d.platform} forgotten ${fmt(p.forget)}` : ''),
    );
    if (p.listAdds + p.listRemoves + p.tokenUpdates === 0) out.push('Nothing changed since the last push: no write requests needed.');
    if (applied && applied.failed.length > 0) {
      out.push(`${fmt(applied.failed.length)} records failed:`);
      for (const f of applied.failed.slice(0, 10)) out.push(`  - ${f.externalId}: ${f.reason}`);
    }
    for (const w of applied?.warnings ?? []) out.push(`Warning: ${w}`);
  }
  return out.join('\n');
}

export function renderRequests(requests: RequestCounts): string {
  const parts = Object.entries(requests).map(
    ([platform, r]) => `${platform}: ${fmt(r.reads)} reads, ${fmt(r.writes)} writes, ${fmt(r.retries)} retries, ${fmt(r.throttled)} throttled`,
  );
  return parts.length ? `API requests — ${parts.join('; ')}` : '';
}
