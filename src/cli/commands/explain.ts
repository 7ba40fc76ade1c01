import { CONNECTORS } from '../../../connectors/index.js';
import { explainProfile, type Explanation } from '../../pipeline/explain.js';
import { fmt, table } from '../output.js';
import { runCommand, type GlobalFlags } from '../context.js';
import { plural } from '../../domain/text.js';

function value(v: number | string | null | undefined): string {
  if (v === null || v === undefined || v === '') return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? fmt(v) : v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return v;
}

export function renderExplanation(e: Explanation): string {
  const out: string[] = [];
  out.push(`Profile ${e.profileId}${e.email ? ` <${e.email}>` : ''} (found as ${e.matchedBy}), as of segmentation run ${e.runId} (reference date ${e.referenceDate.slice(0, 10)})`, '');
  out.push('Source records');
  out.push(table([['platform', 'id', 'email', 'name', 'country', 'consent', 'created'],
    ...e.contacts.map((c) => [c.platform, c.externalId, c.email ?? '–', c.name || '–', c.country ?? '–', c.consent + (c.archived ? ' (archived)' : ''), c.createdAt?.slice(0, 10) ?? '–'])]));
  out.push(`${plural(e.purchases.count, 'purchase')} (${Object.entries(e.purchases.byPlatform).map(([p, n]) => `${p} ${fmt(n)}`).join(', ') || 'none'})${e.purchases.count > e.purchases.recent.length ? `; the ${e.purchases.recent.length} most recent:` : ''}`);
  if (e.purchases.recent.length > 0) {
    out.push(table([['platform', 'id', 'date', 'amount', 'status'], ...e.purchases.recent.map((p) => [p.platform, p.externalId, p.occurredAt?.slice(0, 10) ?? '–', p.amount === null ? '–' : `${value(p.amount)}${p.currency ? ` ${p.currency}` : ''}`, p.status])], ['l', 'l', 'l', 'r', 'l']));
  }
  out.push('', 'Features');
  out.push(table(Object.entries(e.features).map(([k, v]) => [k, value(v)]), ['l', 'r']));
  if (e.rfm) {
    out.push('', `RFM: ${e.rfm.status}; recency ${value(e.rfm.recencyDays)} days, frequency ${value(e.rfm.frequency)}, monetary ${value(e.rfm.monetary)}; scores R ${value(e.rfm.r)} F ${value(e.rfm.f)} M ${value(e.rfm.m)}`);
  }
  out.push('', 'Predictions');
  const p = e.predictions;
  if (p.status !== 'fitted') out.push(p.reason);
  else {
    out.push(p.reading);
    out.push(table([
      ['model inputs', `x = ${p.x} repeat purchases, t_x = ${value(p.tx)}, T = ${value(p.T)} ${p.timeUnit}`],
      ['P(alive) / churn risk', p.pAlive === null ? '– (one purchase day: too early to tell)' : `${value(p.pAlive)} / ${value(1 - p.pAlive)}`],
      ['expected purchases, next 90 days', value(p.expectedPurchases90d)],
      ['expected order value', value(p.expectedOrderValue)],
      [`CLV, next ${p.horizonMonths} months`, value(p.clv)],
      ['expected next purchase (if active)', p.nextPurchaseAt?.slice(0, 10) ?? '–'],
    ]));
  }
  const q = e.propensity;
  if (q.status !== 'scored') out.push('', `First-purchase propensity: ${q.reason}`);
  else {
    out.push('', `First-purchase propensity: ${(q.propensity * 100).toFixed(1)}% in the next ${q.horizonDays} days · lead score ${q.leadScore} of 100`);
    out.push(table([['what moved it', 'value', 'log-odds'], ...q.contributions.map((c) => [c.label, value(c.value), `${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(2)}`])], ['l', 'r', 'r']));
  }
  out.push('', 'Segments and why');
  out.push(table([['segment', 'kind', 'since', 'why'], ...e.segments.map((s) => [s.name, s.kind, s.since.slice(0, 10), s.reason])]));
  if (e.clusterings.length > 1) {
    out.push('', 'Personas by clustering');
    out.push(table([['clustering', 'persona', ''], ...e.clusterings.map((c) => [c.name, c.persona?.label ?? '–', c.note])]));
  }
  out.push('', 'Control groups');
  const g = e.controlGroups;
  if (g.status !== 'grouped') out.push(g.reason);
  else {
    out.push(table([['segment', 'group', 'why'],
      ...g.segments.map((s) => [s.name, s.group === 'control' ? 'control (held out of the list)' : 'treatment', s.reading])]));
  }
  out.push('', 'Tokens');
  out.push(e.tokens.length === 0 ? 'none' : table([['platform', 'field', 'value', 'last sent'],
    ...e.tokens.map((t) => [t.platform, t.field ?? t.token, t.value || '(empty)', t.applied === null ? (t.value === '' ? 'nothing to send' : 'not yet') : t.applied === t.value ? 'same' : t.applied || '(empty)'])]));
  return out.join('\n');
}

/** Shows one person as segsync sees them. */
export function explainCommand(who: string, flags: GlobalFlags): Promise<void> {
  return runCommand(flags, async (ctx) => {
    // Tokens are read from the mapping files of the platforms segsync writes to; explain needs no credentials.
    const explanation = explainProfile(ctx.session, who, CONNECTORS.map((c) => c.id));
    ctx.print(renderExplanation(explanation), { ok: true, ...explanation });
  }, { requireConnector: false, store: 'read' });
}
