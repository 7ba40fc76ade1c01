import type { PullResult, PushResult, RequestCounts } from '../pipeline/run.js';
import type { SegmentSummary } from '../pipeline/segment.js';
import type { ForgetResult } from '../pipeline/forget.js';
import { fmt, table } from './output.js';
import { plural } from '../domain/text.js';

export function renderPull(result: PullResult): string {
  const rows = [['platform', 'stream', 'mode', 'received', 'stored', 'changed', 'quarantined']];
  for (const s of result.streams) {
    rows.push([s.platform, s.stream, s.mode, fmt(s.received), fmt(s.stored), fmt(s.changed), fmt(s.quarantined)]);
  }
  const t = result.totals;
  rows.push(['total', '', '', fmt(t.received), fmt(t.stored), fmt(t.changed), fmt(t.quarantined)]);
  const failed = (result.failed ?? []).map((f) => `${f.platform}: pull failed: ${f.error.split('\n')[0]} (what it stored before is counted above)`);
  const warnings = result.streams.flatMap((s) => s.warnings.map((w) => `warning (${s.platform} ${s.stream}): ${w}`));
  const quarantineNote = t.quarantined > 0 ? `\n${plural(t.quarantined, 'record')} failed validation and ${t.quarantined === 1 ? 'is' : 'are'} in quarantine (see \`segsync quarantine list\`).` : '';
  const refetched = result.streams.flatMap((s) => (s.refetched ? [`${s.platform} ${s.stream}: read ${fmt(s.refetched.asked)} quarantined ${s.refetched.asked === 1 ? 'record' : 'records'} again by id: ` +
    `${fmt(s.refetched.stored)} now valid and stored, ${fmt(s.refetched.quarantined)} still invalid, ${fmt(s.refetched.missing)} no longer on the platform` +
    (s.refetched.error ? `; stopped early (${s.refetched.error}), the rest are read at the next pull` : '')] : []));
  const gone = result.streams.flatMap((s) => (s.gone ? [`${s.platform} ${s.stream}: ${plural(s.gone, 'stored record')} ${s.gone === 1 ? 'is' : 'are'} no longer on ${s.platform} ` +
    '(erased or deleted there): marked deleted; their personal data is purged after privacy.retentionDays.'] : []));
  const suppressedNote = t.suppressed > 0 ? `\n${plural(t.suppressed, 'record')} of forgotten people (segsync forget) ${t.suppressed === 1 ? 'was' : 'were'} dropped, not stored.` : '';
  const purged = result.purged;
  const purgedNote = purged && purged.contacts + purged.purchases > 0
    ? `\nRetention: personal data purged from ${plural(purged.contacts, 'contact')} and ${plural(purged.purchases, 'purchase')} gone from their platform longer than privacy.retentionDays.`
    : '';
  return `Pulled\n${table(rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r'])}${failed.length ? `\n${failed.join('\n')}` : ''}${quarantineNote}${suppressedNote}${gone.length ? `\n${gone.join('\n')}` : ''}${purgedNote}${refetched.length ? `\n${refetched.join('\n')}` : ''}${warnings.length ? `\n${warnings.join('\n')}` : ''}`;
}

export function renderSegment(result: SegmentSummary): string {
  const total = result.profiles || 1;
  const rows = [['segment', 'kind', 'profiles', 'share']];
  for (const s of [...result.segments].sort((a, b) => a.kind.localeCompare(b.kind) || b.size - a.size)) {
    rows.push([s.name, s.kind, fmt(s.size), `${((100 * s.size) / total).toFixed(1)}%`]);
  }
  return [
    `Segmented ${plural(result.profiles, 'profile')} (run ${result.runId}; RFM over ${plural(result.windowDays, 'day')} before ${result.referenceDate.slice(0, 10)}; ${plural(result.purchasesUsed, 'purchase')})`,
    table(rows, ['l', 'l', 'r', 'r']),
    `${plural(result.entered, 'segment entry', 'segment entries')}, ${plural(result.left, 'exit')} since the previous run`,
    '',
    renderClusterings(result),
    '',
    renderPredictions(result.predictions),
    '',
    renderPropensity(result.propensity),
    // Nothing was checked: the predictions' and the propensity model's own lines above already say why.
    ...(result.forecastAccuracy && (result.forecastAccuracy.purchaseModels.status === 'measured' || result.forecastAccuracy.firstPurchase.status === 'measured')
      ? ['', renderForecastAccuracy(result.forecastAccuracy)] : []),
    ...(result.exported ? ['', `Exported ${result.exported.files.join(', ')} to ${result.exported.dir}`] : []),
    ...(result.warnings?.length ? ['', ...result.warnings.map((w) => `Warning: ${w}`)] : []),
  ].join('\n');
}

const ALGORITHMS: Record<string, string> = { kmeans: 'k-means', gmm: 'Gaussian mixture', ward: 'Ward hierarchical', dbscan: 'DBSCAN' };

const CLUSTERED_NOUN = (kind: string): [string, string] =>
  kind === 'buyers' ? ['buyer', 'buyers'] : kind === 'prospects' ? ['prospect', 'prospects'] : ['profile', 'profiles'];

/** Every named clustering, each under its name when there are several (issue 13). */
export function renderClusterings(result: Pick<SegmentSummary, 'clustering'> & { clusterings?: SegmentSummary['clusterings'] }): string {
  const all = result.clusterings ?? [{ name: 'customers', ...result.clustering }];
  if (all.length === 1 && all[0]!.name === 'customers') return renderClustering(all[0]!);
  return all.map((c) => `Clustering ${c.name}\n${renderClustering(c)}`).join('\n\n');
}

export function renderClustering(c: SegmentSummary['clustering']): string {
  if (c.status === 'skipped') return `No clusters: ${c.reason}.`;
  const num = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : '∞');
  const rows = [['persona', CLUSTERED_NOUN(c.population.kind)[1], 'share', 'in numbers']];
  // Clustered on attributes or engagement: the typical member in those features says more than the purchase summary.
  for (const p of c.personas) rows.push([p.noise ? `${p.label} (noise, not a cluster)` : p.label, fmt(p.size), `${(p.share * 100).toFixed(1)}%`, p.typical || p.summary]);
  const scan = [['k', 'silhouette', 'inertia (elbow)', 'BIC', 'Davies–Bouldin', 'Calinski–Harabasz', 'Dunn']];
  for (const r of c.scan) {
    scan.push([`${r.k}${r.k === c.k ? ' ←' : ''}`, num(r.silhouette), fmt(Math.round(r.inertia)), r.bic === null ? '–' : fmt(Math.round(r.bic)),
      num(r.daviesBouldin), fmt(Math.round(r.calinskiHarabasz)), num(r.dunn)]);
  }
  return [
    `Clusters: ${ALGORITHMS[c.algorithm] ?? c.algorithm}, k = ${c.k}${c.noise === null ? '' : ` + ${plural(c.noise, 'noise point')}`} (${c.selection}) over ${plural(c.clusteredProfiles, ...CLUSTERED_NOUN(c.population.kind))} (${c.population.description})`,
    ...(c.scan.length > 1 ? [table(scan, ['l', 'r', 'r', 'r', 'r', 'r', 'r'])] : []),
    `  silhouette ${num(c.silhouette)}${c.silhouetteExact ? '' : ' (on a sample)'}${c.noise === null ? '' : ' (noise left out)'} · Davies–Bouldin ${num(c.daviesBouldin)} · ` +
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
    `Predictions for ${plural(p.totals.customers, 'customer')} over ${plural(p.historyDays, 'day')} of history (time unit: ${p.timeUnit})`,
    `  BG/NBD: r ${param(b.r)}, α ${param(b.alpha)}, a ${param(b.a)}, b ${param(b.b)} (log-likelihood ${n(b.logLikelihood, 1)}, ${plural(b.repeatBuyers, 'repeat buyer')})`,
    g
      ? `  Gamma-Gamma: p ${param(g.p)}, q ${param(g.q)}, γ ${param(g.gamma)} on ${plural(g.customers, 'repeat buyer')}` +
        (p.spendFrequencyCorrelation === null ? '' : ` (spend/frequency correlation ${n(p.spendFrequencyCorrelation, 2)})`)
      : `  No spend model, so no CLV: ${p.gammaGammaSkipped ?? 'not fitted'}`,
    `  ${Math.round(p.totals.meanPAlive * 100)}% of repeat buyers likely still active; ${plural(Math.round(p.totals.expectedPurchases90d), 'purchase')} expected in the next 90 days` +
      (p.totals.clv === null ? '' : `; CLV over ${p.horizonMonths} months ${fmt(Math.round(p.totals.clv))} in total`),
    p.holdout
      ? `  Model check: fitted to ${p.holdout.calibrationEnd}, it expected ${plural(Math.round(p.holdout.expected), 'repeat purchase')} up to ${p.holdout.holdoutEnd}; ` +
        `there were ${fmt(p.holdout.actual)} (${p.holdout.actual > 0 ? `${(((p.holdout.expected - p.holdout.actual) / p.holdout.actual) * 100).toFixed(1)}%` : '–'})`
      : `  No model check: ${p.holdoutSkipped ?? 'not run'}`,
    ...p.warnings.map((w) => `  Warning: ${w}`),
  ].join('\n');
}

export function renderPropensity(p: SegmentSummary['propensity']): string {
  if (p.status === 'off') return 'No first-purchase propensity: switched off (segmentation.propensity.enabled: false).';
  if (p.status === 'skipped') return `No first-purchase propensity: ${p.reason}`;
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  return [
    `First-purchase propensity (${p.horizonDays} days) for ${plural(p.scored, 'person who never bought', 'people who never bought')}`,
    `  Validation (fitted on ${plural(p.trainingPeople, 'person', 'people')}, ${plural(p.trainingPositives, 'first purchase')}; checked on ${plural(p.validationPeople, 'person', 'people')} ${p.horizonDays} days later):` +
      ` AUC ${p.auc.toFixed(3)} · top-decile lift ${p.topDecileLift === null ? '–' : `${p.topDecileLift.toFixed(1)}×`} · base rate ${pct(p.baseRate)} · Brier ${p.brier.toFixed(4)}`,
    table([['decile', 'people', 'predicted', 'bought', 'lift'],
      ...p.deciles.map((d) => [String(d.decile), fmt(d.people), pct(d.predicted), pct(d.actual), d.lift === null ? '–' : `${d.lift.toFixed(2)}×`])], ['r', 'r', 'r', 'r', 'r']),
    ...(p.dropped.length ? [`  Left out (no variance): ${p.dropped.join(', ')}`] : []),
  ].join('\n');
}

/** Did the forecasts come true: the purchase models at their holdout cutoff, the propensity model at its validation cutoff. */
export function renderForecastAccuracy(f: SegmentSummary['forecastAccuracy']): string {
  const p = f.purchaseModels;
  const signedPercent = (expected: number, actual: number) => {
    if (actual <= 0) return '–';
    const v = ((expected - actual) / actual) * 100;
    return `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(1)}%`;
  };
  const two = (v: number | null) => (v === null ? '–' : v.toFixed(2));
  const lines: string[] = [];
  if (p.status === 'off') lines.push('Forecasts vs what happened: no purchase models (segmentation.predictions.enabled: false).');
  else if (p.status === 'skipped') lines.push(`Forecasts vs what happened: not checked: ${p.reason}`);
  else {
    const money = (v: number) => fmt(Math.round(v));
    lines.push(
      `Forecasts at ${p.cutoff} vs what happened to ${p.end} (${plural(p.windowDays, 'day')}; ${plural(p.customers, 'customer')} who had bought by ${p.cutoff}):`,
      `  P(alive) AUC ${two(p.pAlive.auc)} (Gini ${two(p.pAlive.gini)}) on ${plural(p.pAlive.customers, 'repeat buyer')}, ${fmt(p.pAlive.boughtAgain)} bought again (buying again stands in for being alive)`,
      `  Expected ${fmt(Math.round(p.purchases.total.predicted))} repeat purchases, ${fmt(p.purchases.total.actual)} happened (${signedPercent(p.purchases.total.predicted, p.purchases.total.actual)}); ranking Gini ${two(p.purchases.gini)}`,
      p.spend
        ? `  Expected spend ${money(p.spend.total.predicted)} (undiscounted), ${money(p.spend.total.actual)} spent (${signedPercent(p.spend.total.predicted, p.spend.total.actual)}); ranking Gini ${two(p.spend.gini)}`
        : `  No spend comparison: ${p.spendSkipped ?? 'the spend model was not fitted'}`,
      '  By decile of each forecast (1 = its highest tenth; P(alive) among repeat buyers, the others among all customers), mean per customer:',
      table([
        ['decile', 'P(alive)', 'bought again', 'purchases expected', 'actual', ...(p.spend ? ['spend expected', 'actual'] : [])],
        ...p.purchases.deciles.map((d, k) => {
          const alive = p.pAlive.deciles[k];
          const spend = p.spend?.deciles[k];
          return [String(d.decile), alive ? alive.predicted.toFixed(2) : '–', alive ? `${(alive.actual * 100).toFixed(0)}%` : '–', d.predicted.toFixed(2), d.actual.toFixed(2),
            ...(spend ? [spend.predicted.toFixed(2), spend.actual.toFixed(2)] : [])];
        }),
      ], ['r', 'r', 'r', 'r', 'r', 'r', 'r']),
    );
  }
  const q = f.firstPurchase;
  if (q.status === 'measured') {
    lines.push(`  First purchase (propensity, ${q.horizonDays} days from ${q.cutoff}): AUC ${q.auc.toFixed(2)} (Gini ${q.gini.toFixed(2)}) on ${plural(q.people, 'person', 'people')}, ${fmt(q.positives)} bought; by decile above`);
  }
  return lines.join('\n');
}

export function renderPush(result: PushResult): string {
  const out: string[] = [];
  for (const d of result.destinations) {
    const p = d.plan;
    if (d.skipped !== undefined) {
      out.push(`Not pushed to ${d.platform}: ${d.skipped}`);
      continue;
    }
    out.push(`${result.dryRun ? 'Plan (dry run, nothing sent)' : d.failed !== undefined ? 'Push failed part-way' : 'Pushed'} to ${d.platform} (${d.mode})`);
    if (p.lists.length > 0) {
      // "held out as control" only when control groups hold anyone out, so the table reads as before when off.
      const control = p.controlHeldOut > 0;
      const rows = [['list', 'add', 'remove', ...(control ? ['held out as control'] : [])]];
      for (const l of p.lists) rows.push([l.listName, `+${fmt(l.add)}`, `-${fmt(l.remove)}`, ...(control ? [fmt(l.heldOut)] : [])]);
      out.push(table(rows, ['l', 'r', 'r', 'r']));
    }
    const applied = d.applied;
    out.push(
      `list adds ${fmt(applied?.listAdds ?? p.listAdds)}, list removes ${fmt(applied?.listRemoves ?? p.listRemoves)}, ` +
        `token updates ${plural(applied?.tokenUpdates ?? p.tokenUpdates, 'contact')}` +
        (applied?.listsCreated ? `, lists created ${fmt(applied.listsCreated)}` : '') +
        (p.skippedRemovals ? `, removals kept back (additive mode) ${fmt(p.skippedRemovals)}` : '') +
        (p.unsubscribedExcluded ? `, unsubscribed kept out of lists ${fmt(p.unsubscribedExcluded)}` : '') +
        (p.controlHeldOut ? `, held out as control: ${fmt(p.controlHeldOut)}` : '') +
        (p.forget ? `, contacts gone from ${d.platform} forgotten ${fmt(p.forget)}` : ''),
    );
    const guard = d.massRemovalGuard;
    if (guard && guard.verdict !== 'passes') {
      const share = `${Math.round(guard.threshold * 100)}%`;
      out.push(guard.verdict === 'stops'
        ? `Mass-removal guard: the real push would STOP here, before sending anything to any destination: ${guard.lists.length === 1 ? 'a list' : `${guard.lists.length} lists`} would lose more than ${share} of ${guard.lists.length === 1 ? 'its' : 'their'} members (destinations.${d.platform}.massRemovalThreshold):`
        : `Mass-removal guard: ${guard.lists.length === 1 ? 'a list' : `${guard.lists.length} lists`} would lose more than ${share} of ${guard.lists.length === 1 ? 'its' : 'their'} members; --allow-mass-removal lets the real push go ahead:`);
      for (const l of guard.lists) out.push(`  - "${l.listName}": would remove ${fmt(l.removals)} of ${plural(l.members, 'member')} (${Math.round(l.share * 100)}%)`);
      if (guard.verdict === 'stops') out.push('  If this is intended, push with --allow-mass-removal; otherwise check the last pull and segmentation.');
    }
    if (d.failed !== undefined) out.push(`Failed: ${d.failed.split('\n')[0]} (the counts above are what was applied before; the next push sends the rest)`);
    else if (p.listAdds + p.listRemoves + p.tokenUpdates === 0) out.push('Nothing changed since the last push: no write requests needed.');
    if (applied?.gone) {
      out.push(`${plural(applied.gone, 'contact')} no longer on ${d.platform} (deleted or erased there): marked deleted, not asked for again.`);
    }
    if (applied && applied.failed.length > 0) {
      out.push(`${plural(applied.failed.length, 'record')} failed:`);
      for (const f of applied.failed.slice(0, 10)) out.push(`  - ${f.externalId}: ${f.reason}`);
    }
    for (const w of applied?.warnings ?? []) out.push(`Warning: ${w}`);
  }
  const removals = result.pendingRemovals;
  if (removals) {
    out.push(result.dryRun
      ? `Forgotten people: ${fmt(removals.planned ?? 0)} removals still to send (segsync forget could not reach the platform)`
      : `Forgotten people: ${fmt((removals.done ?? 0) + (removals.absent ?? 0))} removals finished, ${fmt(removals.failed ?? 0)} refused by the platform, ${fmt(removals.pending ?? 0)} still pending`);
  }
  for (const c of result.campaignsStarted ?? []) {
    out.push(c.campaign ? `Campaign started: "${c.campaign}" on ${c.segmentKey} (its first list was created; campaigns.autoStart)` : `No campaign started on ${c.segmentKey}: ${c.skipped}`);
  }
  return out.join('\n');
}

export function renderRequests(requests: RequestCounts): string {
  const parts = Object.entries(requests).map(
    ([platform, r]) => `${platform}: ${fmt(r.reads)} reads, ${fmt(r.writes)} writes, ${fmt(r.retries)} retries, ${fmt(r.throttled)} throttled`,
  );
  return parts.length ? `API requests — ${parts.join('; ')}` : '';
}

const REMOVAL_ACTIONS: Record<string, string> = { list_remove: 'off list', clear_tokens: 'tokens cleared', erase: 'erased on the platform' };

export function renderForget(result: ForgetResult): string {
  const n = (count: number, one: string, many = `${one}s`) => `${fmt(count)} ${count === 1 ? one : many}`;
  const out: string[] = [];
  if (result.dryRun) out.push('Dry run: nothing erased, nothing sent. This is what forget would do:');
  for (const p of result.people) {
    out.push(p.found
      ? `${p.target}: profile ${p.profiles.join(', ') || '(not resolved yet)'}, contacts ${p.contacts.join(', ')}`
      : `${p.target}: not in the store (its salted hash goes on the suppression list all the same)`);
  }
  const s = result.store;
  out.push(
    `Store${result.dryRun ? ' (would erase)' : ' (erased)'}: ${n(s.contacts, 'contact')}, ${n(s.purchases, 'purchase')} (${n(s.purchaseLinks, 'purchase link')}), ` +
      `${n(s.profiles, 'profile')}, ${n(s.identities, 'identity', 'identities')}, ${n(s.memberships, 'segment membership')}, ${n(s.campaignMembers, 'campaign cohort row')}, ${n(s.rfmRows, 'RFM row')}, ` +
      `${n(s.tokenValues, 'token value')}, ${n(s.featureRows, 'feature row')}, ${n(s.destinationListMembers + s.destinationTokens, 'destination state row')}, ` +
      `${n(s.quarantine, 'quarantined record')}; mentions scrubbed from ${n(s.runsScrubbed, 'run')} and ${n(s.segmentationRunsScrubbed, 'segmentation run')}`,
  );
  out.push(`Suppression list: ${n(result.suppressionKeys, 'salted hash', 'salted hashes')}${result.dryRun ? ' to add' : ' added'} (emails, phones, platform ids): later pulls and imports drop them; no email is kept`);
  if (result.platforms.length === 0) out.push('Platforms: nothing to remove or erase (segsync never wrote them anywhere).');
  else {
    const rows = [['platform', 'contact', 'action', 'list / fields', 'status']];
    for (const o of result.platforms) rows.push([o.platform, o.externalId, REMOVAL_ACTIONS[o.action] ?? o.action, o.target, o.reason ? `${o.status}: ${o.reason}` : o.status]);
    out.push('Platforms', table(rows));
  }
  if (result.compaction) out.push(`${result.compaction.complete ? 'Compacted' : 'NOT compacted'}: ${result.compaction.detail}`);
  return out.join('\n');
}
