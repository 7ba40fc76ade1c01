/**
 * `segsync report`: one self-contained HTML file (no external scripts, fonts, images or CSS).
 *
 * Text (header, persona cards, tables) is rendered here, escaped. The charts (PCA scatter, R×F
 * grid, segment bars) are drawn as SVG by a small inline script from the report data, which is
 * embedded as JSON in <script type="application/json" id="segsync-data"> with every "<" written
 * as \u003c, so no string in the data can close the script element. When the script is done it
 * sets body[data-rendered="ok"] and data-points / data-cells / data-bars / data-tracking-points /
 * data-frequency-points / data-umap-points / data-elbow-points (SVG marks drawn; tracking and
 * frequency are points per line of the two prediction charts, 0 when there is no model check); if it throws, body[data-rendered="error: <message>"]
 * and the message is shown on the page.
 */
import type { ReportData, ReportPersona, ReportPredictions, ReportScanRow } from './report-data.js';
import { plural } from '../domain/text.js';
import { MOVEMENT_SCRIPT, MOVEMENT_STYLE, movementSection } from './render-movement.js';
import { campaignsSection } from './campaigns-section.js';

type FittedPredictions = Extract<ReportPredictions, { status: 'fitted' }>;

/** Okabe–Ito, colour-blind safe; cluster c gets PALETTE[c % PALETTE.length]. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

/** The two lines of the prediction charts: what happened (solid) and what the model expected (dashed). */
const SERIES = { actual: PALETTE[0] as string, expected: PALETTE[5] as string };

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fixed(value: number | null | undefined, digits: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

function count(value: number): string {
  return integer.format(value);
}

function percent(share: number): string {
  return `${fixed(share * 100, 1)}%`;
}

/** A median in raw units (days, orders, money): one decimal from 10 up, two below. */
function amount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return fixed(value, Math.abs(value) >= 10 ? 1 : 2).replace(/\.0+$/, '');
}

function signed(value: number, digits: number): string {
  return `${value < 0 ? '−' : '+'}${fixed(Math.abs(value), digits)}`;
}

/** "averageOrderValue" → "average order value". */
function humanize(feature: string): string {
  return feature
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
}

function formatTimestamp(value: string): string {
  const ms = Date.parse(value);
  if (!/T\d\d:\d\d/.test(value) || Number.isNaN(ms)) return value;
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function colour(cluster: number): string {
  return PALETTE[((cluster % PALETTE.length) + PALETTE.length) % PALETTE.length] as string;
}

function section(id: string, title: string, body: string, intro = ''): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${intro ? `<p class="intro">${intro}</p>` : ''}${body}</section>`;
}

/**
 * What the clustering sections draw: the customers clustering (the report data itself: its ids and
 * titles as before), or another named clustering, whose ids end in -<name> and titles start with its name.
 */
interface ClusteringView {
  clustering: ReportData['clustering'];
  preparation: ReportData['preparation'];
  clusteringSkipped?: string | undefined;
  suffix?: string;
  heading?: string;
}

function otherView(o: NonNullable<ReportData['otherClusterings']>[number]): ClusteringView {
  const words = o.name.replace(/_/g, ' ');
  return { clustering: o.clustering, preparation: o.preparation, clusteringSkipped: o.clusteringSkipped, suffix: `-${o.name}`, heading: `${words.charAt(0).toUpperCase()}${words.slice(1)}: ` };
}

function noClustering(data: ClusteringView): string {
  const why = data.clusteringSkipped ?? 'either clustering is not configured, or there were too few people in its population to cluster';
  return `<p class="empty">No clustering in this run: ${escapeHtml(why)}.</p>`;
}

function header(data: ReportData): string {
  return `<header>
<h1>${escapeHtml(data.title)}</h1>
<dl class="facts">
<div><dt>Reference date</dt><dd>${escapeHtml(data.referenceDate)}</dd></div>
<div><dt>Generated</dt><dd>${escapeHtml(formatTimestamp(data.generatedAt))}</dd></div>
<div><dt>Profiles</dt><dd>${count(data.profiles)}</dd></div>
${data.clustering ? `<div><dt>Clustered</dt><dd>${count(data.clustering.clusteredProfiles)} into ${count(data.clustering.chosenK)} personas</dd>${data.clustering.population ? `<dd class="sub">${escapeHtml(data.clustering.population)}</dd>` : ''}</div>` : ''}
</dl>
</header>`;
}

function scatterSection(data: ClusteringView, labels: Map<string, string>): string {
  const c = data.clustering;
  if (!c) return section(`pca${data.suffix ?? ''}`, `${data.heading ?? ''}Clusters on the first two principal components`, noClustering(data));
  const personaByCluster = new Map(c.personas.map((p) => [p.cluster, p]));
  const clusters = [...new Set([...c.personas.map((p) => p.cluster), ...c.pca.points.map((p) => p[2])])].sort((a, b) => a - b);
  const legend = clusters
    .map((k) => {
      const label = personaByCluster.get(k)?.label ?? `Cluster ${k}`;
      return `<li><span class="swatch" style="background:${colour(k)}"></span>${escapeHtml(label)}</li>`;
    })
    .join('');
  const loadings = [...c.pca.loadings].sort((a, b) => Math.max(Math.abs(b.pc1), Math.abs(b.pc2)) - Math.max(Math.abs(a.pc1), Math.abs(a.pc2)));
  const top = (key: 'pc1' | 'pc2') => new Set([...loadings].sort((a, b) => Math.abs(b[key]) - Math.abs(a[key])).slice(0, 3).map((l) => l.feature));
  const top1 = top('pc1');
  const top2 = top('pc2');
  const cell = (value: number, strong: boolean) => `<td class="num${strong ? ' strong' : ''}">${signed(value, 2)}</td>`;
  const rows = loadings
    .map((l) => `<tr><th scope="row">${escapeHtml(labels.get(l.feature) ?? humanize(l.feature))}</th>${cell(l.pc1, top1.has(l.feature))}${cell(l.pc2, top2.has(l.feature))}</tr>`)
    .join('');
  const [v1, v2] = c.pca.explainedVariance;
  const intro = `${plural(c.pca.points.length, 'profile')}${c.pca.points.length < c.clusteredProfiles ? ` (a fixed-seed sample of ${count(c.clusteredProfiles)})` : ''}, coloured by persona. PC1 and PC2 explain ${percent(v1 + v2)} of the variance.`;
  return section(
    `pca${data.suffix ?? ''}`,
    `${data.heading ?? ''}Clusters on the first two principal components`,
    `<div class="split">
<figure class="chart"><svg id="scatter${data.suffix ?? ''}" viewBox="0 0 640 440" role="img" aria-label="PCA scatter plot coloured by persona"></svg><ul class="legend">${legend}</ul></figure>
<div><h3>What drives each component</h3><table class="loadings"><thead><tr><th>Feature</th><th class="num">PC1</th><th class="num">PC2</th></tr></thead><tbody>${rows}</tbody></table>
<p class="note">Loadings; bold = the three largest in each component.</p></div>
</div>`,
    intro,
  );
}

function umapSection(data: ClusteringView): string {
  const c = data.clustering;
  const title = `${data.heading ?? ''}Clusters on a UMAP map`;
  // Without clustering the PCA section already says why; without a UMAP entry the data predates it.
  const u = c?.umap;
  if (!c || !u) return '';
  if (u.status === 'skipped') return section(`umap-section${data.suffix ?? ''}`, title, `<p class="empty">No UMAP map: ${escapeHtml(u.reason)}.</p>`);
  const clusters = [...new Set(u.points.map((p) => p[2]))].sort((a, b) => a - b);
  const personaByCluster = new Map(c.personas.map((p) => [p.cluster, p]));
  const legend = clusters
    .map((k) => `<li><span class="swatch" style="background:${colour(k)}"></span>${escapeHtml(personaByCluster.get(k)?.label ?? `Cluster ${k}`)}</li>`)
    .join('');
  const sample = u.sampleSize < c.clusteredProfiles ? `a fixed-seed sample of ${count(u.sampleSize)} of ${count(c.clusteredProfiles)} clustered profiles` : `all ${count(u.sampleSize)} clustered profiles`;
  return section(
    `umap-section${data.suffix ?? ''}`,
    title,
    `<figure class="chart"><svg id="umap${data.suffix ?? ''}" viewBox="0 0 640 440" role="img" aria-label="UMAP map coloured by persona"></svg><ul class="legend">${legend}</ul></figure>
<p class="note">UMAP keeps who is near whom: profiles close on the map are similar. The distances between clusters, their sizes and the axes mean nothing; read PCA for those. Computed on ${escapeHtml(sample)} (${u.neighbours} neighbours, ${u.epochs} epochs, seed ${u.seed}), the same map every time for the same run.</p>`,
    `${escapeHtml(sample[0]!.toUpperCase() + sample.slice(1))}, coloured by persona, on a UMAP map of the prepared features.`,
  );
}

function gridSection(): string {
  return section(
    'rf-grid-section',
    'Recency × frequency',
    '<figure class="chart narrow"><svg id="rf-grid" viewBox="0 0 420 380" role="img" aria-label="Heatmap of profiles by R and F score"></svg></figure>',
    'Profiles by R score (5 = bought most recently) and F score (5 = buys most often).',
  );
}

function barsSection(): string {
  return section(
    'segments',
    'Segment sizes',
    '<figure class="chart bars"><svg id="segment-bars" viewBox="0 0 720 40" role="img" aria-label="Bar chart of segment sizes"></svg></figure>',
    'Profiles in each segment, grouped by kind; the share is of all profiles.',
  );
}

function personaCard(p: ReportPersona, labels: Map<string, string>): string {
  const traits = [...p.traits]
    .sort((a, b) => Math.abs(b.z) - Math.abs(a.z))
    .slice(0, 6)
    .map((t) => `<li class="${t.z < 0 ? 'low' : 'high'}"><span class="z">${signed(t.z, 1)} sd</span> ${escapeHtml(t.label)}</li>`)
    .join('');
  const medians = Object.entries(p.medians)
    .map(([feature, value]) => `<div><dt>${escapeHtml(labels.get(feature) ?? humanize(feature))}</dt><dd>${amount(value)}</dd></div>`)
    .join('');
  return `<article class="persona" data-key="${escapeHtml(p.key)}" style="border-top-color:${colour(p.cluster)}">
<h3><span class="swatch" style="background:${colour(p.cluster)}"></span>${escapeHtml(p.label)}</h3>
<p class="size">${plural(p.size, 'profile')} · ${percent(p.share)} of clustered${p.noise ? ' · noise: close to no cluster, not counted in k' : ''}</p>
<p>${escapeHtml(p.narrative)}</p>
${p.summary ? `<p class="summary">${escapeHtml(p.summary)}</p>` : ''}
${traits ? `<h4>Stands out on</h4><ul class="traits">${traits}</ul>` : ''}
${medians ? `<h4>Medians</h4><dl class="medians">${medians}</dl>` : ''}
</article>`;
}

function personasSection(data: ClusteringView, labels: Map<string, string>): string {
  const c = data.clustering;
  if (!c) return section(`personas${data.suffix ?? ''}`, `${data.heading ?? ''}Personas`, noClustering(data));
  const cards = [...c.personas].sort((a, b) => b.size - a.size).map((p) => personaCard(p, labels)).join('');
  return section(
    `personas${data.suffix ?? ''}`,
    `${data.heading ?? ''}Personas`,
    `<div class="cards">${cards}</div>`,
    'Traits are standardized differences from all clustered profiles: +1.0 sd is one standard deviation above average.',
  );
}

const METRICS: Array<{ key: keyof ReportScanRow; title: string; better: '↑' | '↓' | ''; digits: number }> = [
  { key: 'inertia', title: 'Inertia', better: '', digits: 1 },
  { key: 'silhouette', title: 'Silhouette', better: '↑', digits: 3 },
  { key: 'daviesBouldin', title: 'Davies–Bouldin', better: '↓', digits: 3 },
  { key: 'calinskiHarabasz', title: 'Calinski–Harabasz', better: '↑', digits: 1 },
  { key: 'dunn', title: 'Dunn', better: '↑', digits: 3 },
  { key: 'bic', title: 'BIC', better: '↓', digits: 0 },
  { key: 'aic', title: 'AIC', better: '↓', digits: 0 },
  { key: 'stability', title: 'Stability', better: '↑', digits: 3 },
];

function metricsSection(data: ClusteringView): string {
  const c = data.clustering;
  if (!c) return section(`metrics${data.suffix ?? ''}`, `${data.heading ?? ''}Choosing the number of clusters`, noClustering(data));
  const head = `<tr><th class="num">k</th>${METRICS.map((m) => `<th class="num">${m.title}${m.better ? ` ${m.better}` : ''}</th>`).join('')}</tr>`;
  const rows = [...c.scan]
    .sort((a, b) => a.k - b.k)
    .map((row) => {
      const chosen = row.k === c.chosenK;
      const cells = METRICS.map((m) => `<td class="num">${fixed(row[m.key], m.digits)}</td>`).join('');
      return `<tr${chosen ? ' class="chosen"' : ''}><th scope="row" class="num">${row.k}${chosen ? ' <span class="badge">chosen</span>' : ''}</th>${cells}</tr>`;
    })
    .join('');
  const silhouette = c.silhouetteExact
    ? `Silhouette is exact, over all ${count(c.clusteredProfiles)} clustered profiles.`
    : `Silhouette is computed on a fixed-seed sample of ${count(c.silhouetteSampleSize)} of ${count(c.clusteredProfiles)} clustered profiles.`;
  return section(
    `metrics${data.suffix ?? ''}`,
    `${data.heading ?? ''}Choosing the number of clusters`,
    `<figure class="chart narrow"><svg id="elbow${data.suffix ?? ''}" viewBox="0 0 480 320" role="img" aria-label="Inertia by k (elbow chart), chosen k marked"></svg></figure>
<div class="scroll"><table class="metrics"><thead>${head}</thead><tbody>${rows}</tbody></table></div>
<p class="note">${escapeHtml(silhouette)} ↑ higher is better, ↓ lower is better; inertia always falls as k grows. Stability is the mean adjusted Rand index against bootstrap resamples, computed for the chosen k only.</p>`,
    `${escapeHtml(c.algorithm)}, k = ${count(c.chosenK)}: ${escapeHtml(c.selection)}.`,
  );
}

function preparationSection(data: ClusteringView): string {
  if (data.preparation.length === 0) return section(`preparation${data.suffix ?? ''}`, `${data.heading ?? ''}Data preparation`, '<p class="empty">No preparation steps were recorded.</p>');
  const rows = data.preparation
    .map((s, i) => `<tr><td class="num">${i + 1}</td><td>${escapeHtml(s.step)}</td><td>${s.column === null ? '—' : escapeHtml(s.column)}</td><td>${escapeHtml(s.detail)}</td></tr>`)
    .join('');
  return section(
    `preparation${data.suffix ?? ''}`,
    `${data.heading ?? ''}Data preparation`,
    `<table class="preparation"><thead><tr><th class="num">#</th><th>Step</th><th>Column</th><th>Detail</th></tr></thead><tbody>${rows}</tbody></table>`,
    'What was done to the features before clustering, in order.',
  );
}

/** A reason from the models ("the history spans 40 days …"), escaped, ending as a sentence. */
function clause(text: string): string {
  const trimmed = text.trim();
  return escapeHtml(/[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`);
}

/** The same, starting with a capital: warnings are shown as sentences of their own. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return clause(trimmed.charAt(0).toUpperCase() + trimmed.slice(1));
}

/** Purchases: whole numbers as counts, expectations with one decimal below 100. */
function purchases(value: number): string {
  if (Number.isInteger(value)) return count(value);
  return fixed(value, Math.abs(value) >= 100 ? 0 : 1);
}

function lineSwatch(key: keyof typeof SERIES): string {
  return `<span class="line-swatch${key === 'expected' ? ' dashed' : ''}" style="border-top-color:${SERIES[key]}"></span>`;
}

function months(n: number): string {
  return `${count(n)} month${n === 1 ? '' : 's'}`;
}

function predictionTotals(p: FittedPredictions): string {
  const clv = p.totals.clv === null
    ? `<div><dt>Lifetime value, ${months(p.horizonMonths)}</dt><dd>—</dd><dd class="sub">no spend model</dd></div>`
    : `<div><dt>Lifetime value, ${months(p.horizonMonths)}</dt><dd>${fixed(p.totals.clv, 0)}</dd><dd class="sub">total CLV, discounted</dd></div>`;
  return `<dl class="facts kpis">
<div><dt>Customers</dt><dd>${count(p.totals.customers)}</dd><dd class="sub">with at least one purchase</dd></div>
<div><dt>Likely still active</dt><dd>${percent(p.totals.meanPAlive)}</dd><dd class="sub">mean P(alive) of repeat buyers</dd></div>
<div><dt>Expected purchases, 90 days</dt><dd>${purchases(p.totals.expectedPurchases90d)}</dd><dd class="sub">all customers together</dd></div>
${clv}
</dl>`;
}

function predictionIntro(p: FittedPredictions): string {
  const active = `On average a customer who has bought more than once has a ${percent(p.totals.meanPAlive)} chance of still being an active buyer (one-time buyers cannot be judged yet).`;
  const horizon = months(p.horizonMonths);
  const value = p.totals.clv === null
    ? ''
    : ` and to be worth ${fixed(p.totals.clv, 0)} over the next ${horizon} (customer lifetime value, CLV, discounted at ${fixed(p.monthlyDiscountRate * 100, 1).replace(/\.0$/, '')}% a month)`;
  const together = `${p.totals.customers === 1 ? 'The 1 customer is' : `Together the ${plural(p.totals.customers, 'customer')} are`} expected to make about ${purchases(p.totals.expectedPurchases90d)} purchases in the next 90 days${value}.`;
  const noValue = p.totals.clv === null
    ? ` There is no lifetime value for the next ${horizon}: ${clause(p.gammaGammaSkipped ?? 'the spend model was not fitted')}`
    : '';
  return `Estimated from each customer's purchase history (${count(p.historyDays)} days) with two standard models: BG/NBD for who is likely still buying and how often, Gamma-Gamma for what a purchase is worth. ${active} ${together}${noValue}`;
}

function predictionWarnings(p: FittedPredictions): string {
  if (p.warnings.length === 0) return '';
  return `<div class="warnings" role="note"><h3>Read with care</h3><ul>${p.warnings.map((w) => `<li>${sentence(w)}</li>`).join('')}</ul></div>`;
}

function modelCheck(p: FittedPredictions): string {
  const h = p.holdout;
  if (!h) {
    return `<h3>Model check</h3><p class="empty">No model check against held-out purchases: ${clause(p.holdoutSkipped ?? 'none was recorded for this run')}</p>`;
  }
  const { actual, expected } = h.holdoutTotal;
  const difference = actual > 0 ? `${signed(((expected - actual) / actual) * 100, 1)}%` : '—';
  const rows = h.byFrequency
    .map((g) => `<tr><th scope="row" class="num">${escapeHtml(g.x)}</th><td class="num">${count(g.customers)}</td><td class="num">${fixed(g.actual, 2)}</td><td class="num">${fixed(g.expected, 2)}</td></tr>`)
    .join('');
  const legend = (expectedLabel: string) =>
    `<ul class="legend"><li>${lineSwatch('actual')}Actual</li><li>${lineSwatch('expected')}${expectedLabel}</li></ul>`;
  return `<h3>Model check: calibration vs holdout</h3>
<p class="intro">The purchase model was fitted again on purchases up to ${escapeHtml(h.calibrationEnd)} only (${plural(h.customers, 'customer')}), then its forecast for the next ${plural(h.holdoutDays, 'day')}, to ${escapeHtml(h.holdoutEnd)}, was compared with what those customers actually bought. The closer the lines, the more the forecasts above can be trusted.</p>
<dl class="facts kpis holdout-total">
<div><dt>Actual repeat purchases</dt><dd>${purchases(actual)}</dd><dd class="sub">in the ${count(h.holdoutDays)}-day holdout</dd></div>
<div><dt>Expected by the model</dt><dd>${purchases(expected)}</dd><dd class="sub">fitted before the holdout</dd></div>
<div><dt>Difference</dt><dd>${difference}</dd><dd class="sub">expected vs actual</dd></div>
</dl>
<figure class="chart"><svg id="tracking" viewBox="0 0 720 340" role="img" aria-label="Line chart of actual and expected repeat purchases per week, calibration and holdout"></svg>
${legend('Expected (model fitted on the calibration period)')}
<figcaption class="note">Repeat purchases per week by the customers who had bought by ${escapeHtml(h.calibrationEnd)}. Left of the dashed marker the model saw the purchases (calibration); right of it, it did not (holdout).</figcaption></figure>
<div class="split">
<figure class="chart"><svg id="frequency-check" viewBox="0 0 480 340" role="img" aria-label="Mean holdout purchases per customer, actual and expected, by calibration repeat purchases"></svg>${legend('Expected')}</figure>
<div><h4>Holdout purchases by past repeat purchases</h4><table class="frequency"><thead><tr><th class="num">Repeat purchases before</th><th class="num">Customers</th><th class="num">Actual</th><th class="num">Expected</th></tr></thead><tbody>${rows}</tbody></table>
<p class="note">Mean repeat purchases per customer in the holdout, for customers grouped by how many repeat purchases they made up to ${escapeHtml(h.calibrationEnd)}.</p></div>
</div>`;
}

/** Model parameters span 10^±6: four significant digits (γ = 0.0000674 must not read 0.000), whole numbers from 1,000. */
function parameter(value: number): string {
  return Math.abs(value) >= 1000 ? count(value) : Number(value.toPrecision(4)).toString();
}

function parameterTable(p: FittedPredictions): string {
  const unit = escapeHtml(p.timeUnit.replace(/s$/, ''));
  const { r, alpha, a, b } = p.bgnbd;
  const row = (name: string, value: string, meaning = '') => `<tr><th scope="row">${name}</th><td class="num">${value}</td><td>${meaning}</td></tr>`;
  const group = (title: string) => `<tr class="group"><th colspan="3" scope="colgroup">${title}</th></tr>`;
  const bgnbd = [
    group('BG/NBD: how often customers buy, and whether they are still active'),
    row('r', parameter(r), `with α, how often an active customer buys: on average r/α = ${fixed(r / alpha, 3)} purchases a ${unit}`),
    row('α', parameter(alpha), `with r, the spread of purchase rates between customers (a scale, in ${escapeHtml(p.timeUnit)})`),
    row('a', parameter(a), `with b, how likely a customer stops buying after a purchase: on average a/(a + b) = ${percent(a / (a + b))}`),
    row('b', parameter(b)),
    row('Log-likelihood', signed(p.bgnbd.logLikelihood, 1).replace(/^\+/, '')),
    row('Customers', count(p.bgnbd.customers), `${count(p.bgnbd.repeatBuyers)} of them repeat buyers (bought on more than one day)`),
    row('Time unit', escapeHtml(p.timeUnit), 'the unit of α and of the purchase times the model is fitted on'),
  ];
  const gg = p.gammaGamma;
  const spend = gg
    ? [
        group('Gamma-Gamma: what a purchase is worth'),
        row('p', parameter(gg.p)),
        row('q', parameter(gg.q)),
        row('γ', parameter(gg.gamma), `with p and q, the spend per purchase: on average pγ/(q − 1) = ${fixed((gg.p * gg.gamma) / (gg.q - 1), 2)}`),
        row('Log-likelihood', signed(gg.logLikelihood, 1).replace(/^\+/, '')),
        row('Customers', count(gg.customers), 'repeat buyers, whose repeat purchases the spend model is fitted on'),
      ]
    : [group('Gamma-Gamma: what a purchase is worth'), `<tr><td colspan="3" class="skipped">Not fitted: ${clause(p.gammaGammaSkipped ?? 'no reason was recorded')}</td></tr>`];
  const correlation = row(
    'Spend/frequency correlation',
    p.spendFrequencyCorrelation === null ? '—' : signed(p.spendFrequencyCorrelation, 2),
    'between spend per purchase and number of purchases; the spend model assumes there is none (close to 0)',
  );
  return `<h3>Model parameters</h3>
<table class="params"><thead><tr><th>Parameter</th><th class="num">Value</th><th>What it means</th></tr></thead><tbody>${[...bgnbd, ...spend, group('The spend model’s assumption'), correlation].join('')}</tbody></table>`;
}

function predictionsSection(data: ReportData): string {
  const p = data.predictions;
  if (!p) return '';
  if (p.status === 'skipped') return section('predictions', 'Predictions', `<p class="empty">No predictions: ${clause(p.reason)}</p>`);
  return section(
    'predictions',
    'Predictions',
    `${predictionWarnings(p)}${predictionTotals(p)}
${modelCheck(p)}
${parameterTable(p)}`,
    predictionIntro(p),
  );
}

/** The first-purchase propensity model: how well it ranked a later cutoff, lift by decile and calibration. */
function propensitySection(data: ReportData): string {
  const p = data.propensity;
  if (!p) return '';
  const title = 'Who will buy for the first time';
  if (p.status === 'skipped') return section('propensity', title, `<p class="empty">No propensity model: ${clause(p.reason)}</p>`);
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const day = (iso: string) => escapeHtml(iso.slice(0, 10));
  const figures = `<dl class="facts kpis">
<div><dt>AUC</dt><dd>${fixed(p.auc, 3)}</dd><dd class="sub">at the validation cutoff</dd></div>
<div><dt>Top-decile lift</dt><dd>${p.topDecileLift === null ? '—' : `${fixed(p.topDecileLift, 1)}×`}</dd><dd class="sub">the top tenth's rate ÷ the base rate</dd></div>
<div><dt>Base rate</dt><dd>${pct(p.baseRate)}</dd><dd class="sub">${count(p.validationPositives)} of ${count(p.validationPeople)} bought</dd></div>
<div><dt>Scored</dt><dd>${count(p.scored)}</dd><dd class="sub">people who never bought · Brier ${fixed(p.brier, 4)}</dd></div>
</dl>`;
  const inputs = p.inputs.slice(0, 8).map((i) => `<tr><td>${escapeHtml(i.label)}</td><td class="num">${signed(i.coefficient, 2)}</td></tr>`).join('');
  return section(
    'propensity',
    title,
    `${figures}
<h3>Lift by decile</h3>
<figure class="chart"><svg id="lift-bars" viewBox="0 0 720 300" role="img" aria-label="Bar chart of conversion lift by decile of predicted propensity"></svg></figure>
<h3>Calibration</h3>
<figure class="chart narrow"><svg id="propensity-calibration" viewBox="0 0 420 360" role="img" aria-label="Predicted against actual first-purchase rate by decile"></svg></figure>
<h3>What the model weighs most</h3>
<table class="params"><thead><tr><th>Input (standardised)</th><th class="num">Coefficient</th></tr></thead><tbody>${inputs}</tbody></table>
<p class="note">AUC is the chance that someone who bought ranks above someone who did not (0.5 = a coin, 1 = perfect; ties count half). Lift is a tenth's conversion ÷ the base rate. Calibration puts each tenth's mean predicted probability beside its actual first-purchase rate: points on the diagonal are well calibrated.</p>`,
    `A logistic regression on people who had never bought, with their engagement, tenure and company as of ${day(p.trainingCutoff)}, labelled by a first purchase in the ${p.horizonDays} days after; checked on the people who had never bought at ${day(p.validationCutoff)} against what they did in the next ${p.horizonDays} days, then refitted on both to score everyone who has not bought yet.`,
  );
}

/** Expected vs actual by decile, one chart per forecast: bars side by side, expected lighter. */
function forecastAccuracySection(data: ReportData): string {
  const f = data.forecastAccuracy;
  if (!f) return '';
  const title = 'Did the forecasts come true';
  const p = f.purchaseModels;
  const q = f.firstPurchase;
  const difference = (expected: number, actual: number) => (actual > 0 ? `${signed(((expected - actual) / actual) * 100, 1)}%` : '—');
  const legend = `<ul class="legend"><li><span class="swatch" style="background:${SERIES.expected}"></span>Forecast</li><li><span class="swatch" style="background:${SERIES.actual}"></span>What happened</li></ul>`;
  const chart = (id: string, label: string, heading: string, note: string) =>
    `<h3>${heading}</h3><figure class="chart"><svg id="${id}" class="forecast-chart" viewBox="0 0 720 280" role="img" aria-label="${escapeHtml(label)}"></svg>${legend}<figcaption class="note">${note}</figcaption></figure>`;
  const parts: string[] = [];
  let intro = '';
  if (p.status === 'off') parts.push('<p class="empty">No purchase models: switched off (segmentation.predictions.enabled: false).</p>');
  else if (p.status === 'skipped') parts.push(`<p class="empty">The purchase models’ forecasts were not checked: ${clause(p.reason)}</p>`);
  else {
    intro = `The purchase models were fitted again on the history up to ${escapeHtml(p.cutoff)} only; each of the ${count(p.customers)} customers who had bought by then was forecast for the next ${plural(p.windowDays, 'day')}, to ${escapeHtml(p.end)}, and set against what they did. Customers are ranked by each forecast and cut into ten equal groups (1 = the highest forecasts).`;
    parts.push(`<dl class="facts kpis forecast-totals">
<div><dt>P(alive) AUC</dt><dd>${fixed(p.pAlive.auc, 2)}</dd><dd class="sub">${count(p.pAlive.customers)} repeat buyers · Gini ${fixed(p.pAlive.gini, 2)}</dd></div>
<div><dt>Repeat purchases</dt><dd>${purchases(p.purchases.total.actual)}</dd><dd class="sub">expected ${purchases(p.purchases.total.predicted)} (${difference(p.purchases.total.predicted, p.purchases.total.actual)}) · Gini ${fixed(p.purchases.gini, 2)}</dd></div>
${p.spend ? `<div><dt>Spend</dt><dd>${count(Math.round(p.spend.total.actual))}</dd><dd class="sub">expected ${count(Math.round(p.spend.total.predicted))} (${difference(p.spend.total.predicted, p.spend.total.actual)}) · Gini ${fixed(p.spend.gini, 2)}</dd></div>` : ''}
</dl>`);
    parts.push(chart('forecast-alive', 'Mean P(alive) at the cutoff and the share who bought again, by decile', 'Still active: P(alive) vs bought again',
      `Repeat buyers at ${escapeHtml(p.cutoff)} by their P(alive) then; “what happened” is the share who bought again in the window. Buying again stands in for being alive: someone can still be a customer and not buy in ${plural(p.windowDays, 'day')}, so what happened can sit below the forecast without the model being wrong.`));
    parts.push(chart('forecast-purchases', 'Mean expected and actual repeat purchases per customer, by decile', 'Expected vs actual purchases',
      `Mean repeat purchases (purchase days) per customer in the window. Calibration: the tenths are on average ${fixed(p.purchases.decileMeanAbsoluteError, 2)} purchases apart from what happened.`));
    parts.push(p.spend
      ? chart('forecast-spend', 'Mean expected and actual spend per customer, by decile', 'Expected vs actual spend',
        `Expected spend = expected purchases × the expected order value (Gamma-Gamma, fitted at the cutoff), not discounted, against what each customer spent in the window.`)
      : `<h3>Expected vs actual spend</h3><p class="empty">No spend comparison: ${clause(p.spendSkipped ?? 'the spend model was not fitted')}</p>`);
  }
  if (q.status === 'measured') {
    parts.push(chart('forecast-first-purchase', 'Mean predicted first-purchase probability and the share who bought, by decile', 'First purchase: predicted vs bought',
      `The first-purchase propensity model’s own check: people who had never bought at ${escapeHtml(q.cutoff)}, by predicted probability, against a first purchase in the next ${plural(q.horizonDays, 'day')}. AUC ${fixed(q.auc, 2)} (Gini ${fixed(q.gini, 2)}).`));
  } else if (q.status === 'skipped') {
    parts.push(`<h3>First purchase</h3><p class="empty">No first-purchase propensity check: ${clause(q.reason)}</p>`);
  }
  parts.push('<p class="note">AUC: the chance that someone who bought ranks above someone who did not (0.5 = a coin, 1 = perfect). Gini: how much better than chance the ranking orders what happened (normalised: 1 = the best possible order, 0 = chance).</p>');
  return section('forecasts', title, parts.join('\n'), intro);
}

const STYLE = `
:root { --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --soft: #f6f8fa; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { font-size: 28px; margin: 0 0 12px; }
h2 { font-size: 20px; margin: 0 0 4px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 8px; }
h4 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 12px 0 4px; }
section { margin-top: 40px; }
.intro, .note, .empty { color: var(--muted); margin: 0 0 16px; }
.note { font-size: 13px; margin-top: 8px; }
.empty { padding: 16px; background: var(--soft); border-radius: 6px; }
.facts { display: flex; flex-wrap: wrap; gap: 12px 32px; margin: 0; }
.facts dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.facts dd { margin: 0; font-size: 18px; font-variant-numeric: tabular-nums; }
.chart { margin: 0; }
.chart svg { width: 100%; height: auto; display: block; }
.narrow { max-width: 460px; }
.split { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 32px; align-items: start; }
@media (max-width: 800px) { .split { grid-template-columns: 1fr; } }
.legend { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; vertical-align: baseline; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: 12px; color: var(--muted); font-weight: 600; border-bottom-width: 2px; white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.strong { font-weight: 700; }
.scroll { overflow-x: auto; }
tr.chosen { background: #e8f1f8; }
tr.chosen th, tr.chosen td { font-weight: 600; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; color: #fff; background: var(--accent); border-radius: 8px; padding: 0 6px; margin-left: 4px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 16px; }
.persona { border: 1px solid var(--line); border-top: 4px solid var(--accent); border-radius: 6px; padding: 16px; }
.persona p { margin: 0 0 8px; }
.persona .size { color: var(--muted); font-variant-numeric: tabular-nums; }
.persona .summary { font-size: 13px; background: var(--soft); padding: 4px 8px; border-radius: 4px; }
.traits { list-style: none; padding: 0; margin: 0; }
.traits .z { display: inline-block; min-width: 64px; font-variant-numeric: tabular-nums; font-weight: 600; }
.traits .high .z { color: #0072B2; }
.traits .low .z { color: #D55E00; }
.medians { display: grid; grid-template-columns: 1fr auto; gap: 2px 12px; margin: 0; font-size: 14px; }
.medians div { display: contents; }
.medians dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
#render-error { padding: 12px 16px; border-radius: 6px; background: #fdecea; color: #8a1c0f; font-weight: 600; margin-top: 24px; }
svg text { font-family: inherit; fill: var(--ink); }
svg .tick { font-size: 11px; fill: var(--muted); }
svg .axis-title { font-size: 13px; }
svg .grid-line { stroke: #eaeef2; }
svg .zero-line { stroke: #afb8c1; stroke-dasharray: 3 3; }
svg .group-title { font-size: 13px; font-weight: 600; fill: var(--muted); }
svg .value { font-size: 12px; fill: var(--muted); }
svg .bar-label { font-size: 13px; }
.bars { max-width: 760px; }
.kpis { margin: 0 0 24px; }
.kpis .sub { font-size: 12px; color: var(--muted); }
.warnings { border-left: 4px solid #D55E00; background: #fdf1e8; border-radius: 6px; padding: 12px 16px; margin: 0 0 20px; }
.warnings h3 { color: #8a3300; margin: 0 0 4px; }
.warnings ul { margin: 0; padding-left: 20px; }
#predictions h3 { margin-top: 24px; }
#predictions .warnings h3 { margin-top: 0; }
.line-swatch { display: inline-block; width: 22px; height: 0; border-top: 3px solid; margin-right: 6px; vertical-align: middle; }
.line-swatch.dashed { border-top-style: dashed; }
table.params tr.group th { background: var(--soft); font-weight: 600; }
table.params td.skipped { color: var(--muted); }
table.frequency thead th { white-space: normal; }
svg .holdout-band { fill: #f3f5f7; }
svg .calibration-end { stroke: #59636e; stroke-width: 1.5; stroke-dasharray: 5 4; }
svg .period { font-size: 12px; font-weight: 600; fill: var(--muted); }
svg .week { fill: transparent; }
svg .week:hover { fill: rgba(0, 114, 178, .08); }
`;

/** The inline drawing script. Plain ES5-ish, no template literals, no "</" sequences. */
const SCRIPT = `
(function () {
  var body = document.body;
  try {
    var data = JSON.parse(document.getElementById('segsync-data').textContent);
    var PALETTE = ${JSON.stringify(PALETTE)};
    var fmt = new Intl.NumberFormat('en-US');
    var pct = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
    var NS = document.getElementById('rf-grid').namespaceURI;

    function el(parent, name, attrs, text) {
      var node = document.createElementNS(NS, name);
      for (var key in attrs) node.setAttribute(key, attrs[key]);
      if (text !== undefined) node.textContent = text;
      parent.appendChild(node);
      return node;
    }
    function colour(cluster) { return PALETTE[((cluster % PALETTE.length) + PALETTE.length) % PALETTE.length]; }
    function ticks(lo, hi, n) {
      var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
      var err = (hi - lo) / n / step;
      step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
      var out = [];
      for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
      return out;
    }
    function domain(values) {
      var lo = Infinity, hi = -Infinity;
      values.forEach(function (v) { if (v < lo) lo = v; if (v > hi) hi = v; });
      if (!isFinite(lo)) { lo = -1; hi = 1; }
      if (lo === hi) { lo -= 1; hi += 1; }
      var pad = (hi - lo) * 0.05;
      return [lo - pad, hi + pad];
    }
    function truncate(text, max) { return text.length > max ? text.slice(0, max - 1) + '…' : text; }
    function number(value, what) {
      if (typeof value !== 'number' || !isFinite(value)) throw new Error(what + ' is not a number');
      return value;
    }

    function drawScatter(svg, c) {
      var W = 640, H = 440, L = 56, R = 16, T = 16, B = 52;
      var xd = domain(c.pca.points.map(function (p) { return p[0]; }));
      var yd = domain(c.pca.points.map(function (p) { return p[1]; }));
      function x(v) { return L + (v - xd[0]) / (xd[1] - xd[0]) * (W - L - R); }
      function y(v) { return H - B - (v - yd[0]) / (yd[1] - yd[0]) * (H - T - B); }
      ticks(xd[0], xd[1], 6).forEach(function (t) {
        el(svg, 'line', { x1: x(t), x2: x(t), y1: T, y2: H - B, 'class': t === 0 ? 'zero-line' : 'grid-line' });
        el(svg, 'text', { x: x(t), y: H - B + 16, 'text-anchor': 'middle', 'class': 'tick' }, fmt.format(t));
      });
      ticks(yd[0], yd[1], 6).forEach(function (t) {
        el(svg, 'line', { x1: L, x2: W - R, y1: y(t), y2: y(t), 'class': t === 0 ? 'zero-line' : 'grid-line' });
        el(svg, 'text', { x: L - 6, y: y(t) + 4, 'text-anchor': 'end', 'class': 'tick' }, fmt.format(t));
      });
      var ev = c.pca.explainedVariance;
      el(svg, 'text', { x: L + (W - L - R) / 2, y: H - 12, 'text-anchor': 'middle', 'class': 'axis-title' }, 'PC1 (' + pct.format(ev[0]) + ' of variance)');
      el(svg, 'text', { x: 14, y: T + (H - T - B) / 2, 'text-anchor': 'middle', 'class': 'axis-title', transform: 'rotate(-90 14 ' + (T + (H - T - B) / 2) + ')' }, 'PC2 (' + pct.format(ev[1]) + ' of variance)');
      var g = el(svg, 'g', { 'class': 'points', 'fill-opacity': 0.7 });
      var r = c.pca.points.length > 2000 ? 1.8 : 2.6;
      c.pca.points.forEach(function (p) {
        el(g, 'circle', { cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: r, fill: colour(p[2]) });
      });
      return g.childNodes.length;
    }

    /** The UMAP map: no axes or ticks, as its coordinates have no units. Returns circles drawn. */
    function drawUmap(svg, u) {
      if (!Array.isArray(u.points)) throw new Error('clustering.umap.points must be a list');
      var W = 640, H = 440, P = 16;
      var xd = domain(u.points.map(function (p, i) { return number(p[0], 'umap.points[' + i + '][0]'); }));
      var yd = domain(u.points.map(function (p, i) { return number(p[1], 'umap.points[' + i + '][1]'); }));
      function x(v) { return P + (v - xd[0]) / (xd[1] - xd[0]) * (W - 2 * P); }
      function y(v) { return H - P - (v - yd[0]) / (yd[1] - yd[0]) * (H - 2 * P); }
      el(svg, 'rect', { x: 0.5, y: 0.5, width: W - 1, height: H - 1, fill: 'none', stroke: '#eaeef2' });
      var g = el(svg, 'g', { 'class': 'points', 'fill-opacity': 0.7 });
      u.points.forEach(function (p) {
        el(g, 'circle', { cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 2.6, fill: colour(p[2]), 'data-cluster': p[2] });
      });
      return g.childNodes.length;
    }

    /** Inertia per scanned k, the chosen k marked. Returns the points drawn. */
    function drawElbow(svg, c) {
      var rows = c.scan.filter(function (r) { return typeof r.inertia === 'number' && isFinite(r.inertia); }).sort(function (a, b) { return a.k - b.k; });
      var W = 480, H = 320, L = 64, R = 16, T = 16, B = 52;
      if (rows.length === 0) { el(svg, 'text', { x: L, y: T + 20, 'class': 'value' }, 'No inertia in the k scan.'); return 0; }
      var max = 0;
      rows.forEach(function (r) { max = Math.max(max, r.inertia); });
      var y = yAxis(svg, max, L, R, T, B, W, H, 'Inertia (within-cluster sum of squares)');
      var kLo = rows[0].k, kHi = rows[rows.length - 1].k;
      function x(k) { return kHi === kLo ? L + (W - L - R) / 2 : L + (k - kLo) / (kHi - kLo) * (W - L - R); }
      el(svg, 'line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#afb8c1' });
      rows.forEach(function (r) { el(svg, 'text', { x: x(r.k), y: H - B + 16, 'text-anchor': 'middle', 'class': 'tick' }, String(r.k)); });
      el(svg, 'text', { x: L + (W - L - R) / 2, y: H - 10, 'text-anchor': 'middle', 'class': 'axis-title' }, 'Number of clusters k');
      el(svg, 'polyline', { points: rows.map(function (r) { return x(r.k).toFixed(1) + ',' + y(r.inertia).toFixed(1); }).join(' '), fill: 'none', stroke: SERIES.actual, 'stroke-width': 2 });
      rows.forEach(function (r) {
        var chosen = r.k === c.chosenK;
        var dot = el(svg, 'circle', { 'class': 'elbow-point' + (chosen ? ' chosen' : ''), 'data-k': r.k, cx: x(r.k).toFixed(1), cy: y(r.inertia).toFixed(1), r: chosen ? 6 : 3.5, fill: chosen ? SERIES.expected : SERIES.actual, stroke: '#fff', 'stroke-width': 1.5 });
        el(dot, 'title', {}, 'k = ' + r.k + ': inertia ' + fmt.format(r.inertia) + (chosen ? ' (chosen)' : ''));
        if (chosen) el(svg, 'text', { x: x(r.k), y: y(r.inertia) - 10, 'text-anchor': 'middle', 'class': 'value' }, 'chosen k = ' + r.k);
      });
      return rows.length;
    }

    function drawGrid(svg, grid) {
      if (!Array.isArray(grid) || grid.length !== 5 || grid.some(function (row) { return !Array.isArray(row) || row.length !== 5; })) {
        throw new Error('rfGrid must be 5 × 5');
      }
      var L = 72, T = 12, S = 64;
      var max = Math.max.apply(null, grid.map(function (row) { return Math.max.apply(null, row); })) || 1;
      var drawn = 0;
      for (var r = 5; r >= 1; r--) {
        var top = T + (5 - r) * S;
        el(svg, 'text', { x: L - 8, y: top + S / 2 + 4, 'text-anchor': 'end', 'class': 'tick' }, 'R' + r);
        for (var f = 1; f <= 5; f++) {
          var n = grid[r - 1][f - 1];
          var t = n / max;
          var cell = el(svg, 'rect', { 'class': 'cell', x: L + (f - 1) * S, y: top, width: S - 2, height: S - 2, rx: 3, fill: '#0072B2', 'fill-opacity': (0.06 + 0.94 * t).toFixed(3) });
          el(cell, 'title', {}, 'R' + r + ' F' + f + ': ' + fmt.format(n) + ' profiles');
          el(svg, 'text', { 'class': 'cell-count', x: L + (f - 1) * S + (S - 2) / 2, y: top + S / 2 + 4, 'text-anchor': 'middle', style: 'fill:' + (t > 0.55 ? '#fff' : '#1f2328') }, fmt.format(n));
          drawn++;
        }
      }
      for (var col = 1; col <= 5; col++) el(svg, 'text', { x: L + (col - 1) * S + (S - 2) / 2, y: T + 5 * S + 14, 'text-anchor': 'middle', 'class': 'tick' }, 'F' + col);
      el(svg, 'text', { x: L + 5 * S / 2, y: T + 5 * S + 38, 'text-anchor': 'middle', 'class': 'axis-title' }, 'Frequency score (5 = most frequent)');
      el(svg, 'text', { x: 16, y: T + 5 * S / 2, 'text-anchor': 'middle', 'class': 'axis-title', transform: 'rotate(-90 16 ' + (T + 5 * S / 2) + ')' }, 'Recency score (5 = most recent)');
      return drawn;
    }

    function drawBars(svg, segments, profiles) {
      var KINDS = { rfm: ['RFM segments', '#0072B2'], rule: ['Rule segments', '#009E73'], persona: ['Persona segments', '#CC79A7'] };
      var order = ['rfm', 'rule', 'persona'];
      segments.forEach(function (s) { if (order.indexOf(s.kind) < 0) order.push(s.kind); });
      var W = 720, LABEL = 250, VALUE = 120, ROW = 24, y = 4, drawn = 0;
      var max = Math.max.apply(null, segments.map(function (s) { return s.size; }).concat([1]));
      order.forEach(function (kind) {
        var group = segments.filter(function (s) { return s.kind === kind; });
        if (group.length === 0) return;
        var meta = KINDS[kind] || [kind + ' segments', '#56B4E9'];
        el(svg, 'text', { x: 0, y: y + 16, 'class': 'group-title' }, meta[0]);
        y += 26;
        group.forEach(function (s) {
          var label = el(svg, 'text', { x: LABEL - 8, y: y + 15, 'text-anchor': 'end', 'class': 'bar-label' }, truncate(s.name, 36));
          el(label, 'title', {}, s.name);
          var w = Math.max(s.size > 0 ? 1 : 0, s.size / max * (W - LABEL - VALUE));
          var bar = el(svg, 'rect', { 'class': 'bar', 'data-key': s.key, x: LABEL, y: y + 3, width: w.toFixed(1), height: ROW - 6, rx: 2, fill: meta[1] });
          el(bar, 'title', {}, s.name + ': ' + fmt.format(s.size));
          el(svg, 'text', { x: LABEL + w + 6, y: y + 15, 'class': 'value' }, fmt.format(s.size) + (profiles > 0 ? ' · ' + pct.format(s.size / profiles) : ''));
          y += ROW;
          drawn++;
        });
        y += 8;
      });
      if (drawn === 0) { el(svg, 'text', { x: 0, y: 20, 'class': 'value' }, 'No segments.'); y = 32; }
      svg.setAttribute('viewBox', '0 0 ' + W + ' ' + y);
      return drawn;
    }

    var SERIES = ${JSON.stringify(SERIES)};
    var DAY = 86400000;
    var monthFmt = new Intl.DateTimeFormat('en-US', { month: 'short', year: 'numeric', timeZone: 'UTC' });
    var dayFmt = new Intl.DateTimeFormat('en-US', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
    var shortDayFmt = new Intl.DateTimeFormat('en-US', { day: 'numeric', month: 'short', timeZone: 'UTC' });
    var mean = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var tenth = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

    /** "2025-03-01" → days since 1970-01-01 (UTC). */
    function epochDay(text, what) {
      // Chromium's Date.parse reads almost anything ("week 4" is a date in 2001): insist on ISO days.
      var ms = typeof text === 'string' && /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text) ? Date.parse(text) : NaN;
      if (isNaN(ms)) throw new Error(what + ' is not a date: ' + text);
      return ms / DAY;
    }
    /** First days of months between lo and hi (epoch days), at most about 8 of them; weeks for short spans. */
    function dateTicks(lo, hi) {
      var out = [];
      if (hi - lo < 75) {
        var every = 7 * Math.max(1, Math.ceil((hi - lo) / 7 / 8));
        for (var t = lo; t <= hi; t += every) out.push([t, shortDayFmt.format(new Date(t * DAY))]);
        return out;
      }
      var months = (hi - lo) / 30.44, step = 60;
      [1, 2, 3, 6, 12, 24].some(function (s) { if (months / s <= 8) { step = s; return true; } return false; });
      var start = new Date(lo * DAY);
      for (var k = start.getUTCFullYear() * 12 + start.getUTCMonth(); ; k++) {
        var d = Date.UTC(Math.floor(k / 12), k % 12, 1) / DAY;
        if (d > hi) break;
        if (d >= lo && k % step === 0) out.push([d, monthFmt.format(new Date(d * DAY))]);
      }
      return out;
    }
    function yAxis(svg, max, L, R, T, B, W, H, title) {
      var top = max > 0 ? max * 1.08 : 1;
      function y(v) { return H - B - v / top * (H - T - B); }
      ticks(0, top, 5).forEach(function (t) {
        el(svg, 'line', { x1: L, x2: W - R, y1: y(t), y2: y(t), 'class': 'grid-line' });
        el(svg, 'text', { x: L - 6, y: y(t) + 4, 'text-anchor': 'end', 'class': 'tick' }, fmt.format(t));
      });
      el(svg, 'text', { x: 14, y: T + (H - T - B) / 2, 'text-anchor': 'middle', 'class': 'axis-title', transform: 'rotate(-90 14 ' + (T + (H - T - B) / 2) + ')' }, title);
      return y;
    }
    function line(svg, key, coords) {
      var attrs = { 'class': 'series', 'data-series': key, points: coords.join(' '), fill: 'none', stroke: SERIES[key], 'stroke-width': 2, 'stroke-linejoin': 'round' };
      if (key === 'expected') attrs['stroke-dasharray'] = '6 4';
      return el(svg, 'polyline', attrs);
    }

    /** Calibration vs holdout, week by week (Fader, Hardie & Lee 2005, figure 2). Returns points per line. */
    function drawTracking(svg, h) {
      var weekly = h.weekly;
      if (!Array.isArray(weekly)) throw new Error('predictions.holdout.weekly must be a list');
      var W = 720, H = 340, L = 56, R = 16, T = 30, B = 52;
      if (weekly.length === 0) { el(svg, 'text', { x: L, y: T + 20, 'class': 'value' }, 'No weekly purchases to compare.'); return 0; }
      var starts = weekly.map(function (w, i) {
        number(w.actual, 'weekly[' + i + '].actual');
        number(w.expected, 'weekly[' + i + '].expected');
        return epochDay(w.weekStart, 'weekly[' + i + '].weekStart');
      });
      // The marker sits at the end of the last calibration day; the axis ends with the holdout.
      var marker = epochDay(h.calibrationEnd, 'holdout.calibrationEnd') + 1;
      var lo = starts[0];
      var hi = Math.max(epochDay(h.holdoutEnd, 'holdout.holdoutEnd') + 1, marker);
      function x(d) { return L + (d - lo) / (hi - lo) * (W - L - R); }
      var max = 0;
      weekly.forEach(function (w) { max = Math.max(max, w.actual, w.expected); });
      var y = yAxis(svg, max, L, R, T, B, W, H, 'Repeat purchases per week');
      el(svg, 'rect', { 'class': 'holdout-band', x: x(marker), y: T, width: Math.max(0, x(hi) - x(marker)), height: H - T - B });
      dateTicks(lo, hi).forEach(function (t) {
        el(svg, 'line', { x1: x(t[0]), x2: x(t[0]), y1: H - B, y2: H - B + 4, stroke: '#afb8c1' });
        el(svg, 'text', { x: x(t[0]), y: H - B + 16, 'text-anchor': 'middle', 'class': 'tick' }, t[1]);
      });
      el(svg, 'line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#afb8c1' });
      el(svg, 'text', { x: L + (W - L - R) / 2, y: H - 10, 'text-anchor': 'middle', 'class': 'axis-title' }, 'Week');
      var mid = starts.map(function (s, i) {
        var end = i + 1 < starts.length ? starts[i + 1] : hi;
        return s + Math.max(0, Math.min(7, end - s)) / 2;
      });
      weekly.forEach(function (w, i) {
        var from = x(starts[i]), to = x(i + 1 < starts.length ? starts[i + 1] : hi);
        var band = el(svg, 'rect', { 'class': 'week', x: from.toFixed(1), y: T, width: Math.max(0, to - from).toFixed(1), height: H - T - B });
        el(band, 'title', {}, 'Week of ' + dayFmt.format(new Date(starts[i] * DAY)) + (w.holdout ? ' (holdout)' : ' (calibration)') + ': ' + fmt.format(w.actual) + ' actual, ' + tenth.format(w.expected) + ' expected');
      });
      var markerLine = el(svg, 'line', { 'class': 'calibration-end', 'data-date': h.calibrationEnd, x1: x(marker).toFixed(1), x2: x(marker).toFixed(1), y1: T - 4, y2: H - B });
      el(markerLine, 'title', {}, 'End of calibration: ' + h.calibrationEnd);
      el(svg, 'text', { x: x(marker) - 6, y: T - 10, 'text-anchor': 'end', 'class': 'period' }, '← Calibration');
      el(svg, 'text', { x: x(marker) + 6, y: T - 10, 'text-anchor': 'start', 'class': 'period' }, 'Holdout →');
      ['expected', 'actual'].forEach(function (key) {
        line(svg, key, weekly.map(function (w, i) { return x(mid[i]).toFixed(1) + ',' + y(w[key]).toFixed(1); }));
      });
      return weekly.length;
    }

    /** Mean holdout purchases by calibration repeat purchases (their figure 3). Returns points per line. */
    function drawFrequency(svg, h) {
      var groups = h.byFrequency;
      if (!Array.isArray(groups)) throw new Error('predictions.holdout.byFrequency must be a list');
      var W = 480, H = 340, L = 56, R = 16, T = 16, B = 52;
      if (groups.length === 0) { el(svg, 'text', { x: L, y: T + 20, 'class': 'value' }, 'No customers to compare.'); return 0; }
      var max = 0;
      groups.forEach(function (g, i) { max = Math.max(max, number(g.actual, 'byFrequency[' + i + '].actual'), number(g.expected, 'byFrequency[' + i + '].expected')); });
      var y = yAxis(svg, max, L, R, T, B, W, H, 'Mean repeat purchases in the holdout');
      var band = (W - L - R) / groups.length;
      function x(i) { return L + band * (i + 0.5); }
      el(svg, 'line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#afb8c1' });
      groups.forEach(function (g, i) { el(svg, 'text', { x: x(i), y: H - B + 16, 'text-anchor': 'middle', 'class': 'tick' }, String(g.x)); });
      el(svg, 'text', { x: L + (W - L - R) / 2, y: H - 10, 'text-anchor': 'middle', 'class': 'axis-title' }, 'Repeat purchases in the calibration period');
      ['expected', 'actual'].forEach(function (key) {
        line(svg, key, groups.map(function (g, i) { return x(i).toFixed(1) + ',' + y(g[key]).toFixed(1); }));
        groups.forEach(function (g, i) {
          var dot = el(svg, 'circle', { 'class': 'frequency-point', 'data-series': key, cx: x(i).toFixed(1), cy: y(g[key]).toFixed(1), r: 3.5, fill: key === 'actual' ? SERIES[key] : '#fff', stroke: SERIES[key], 'stroke-width': 2 });
          el(dot, 'title', {}, g.x + ' before (' + fmt.format(g.customers) + ' customers): ' + mean.format(g.actual) + ' actual, ' + mean.format(g.expected) + ' expected');
        });
      });
      return groups.length;
    }

    /** Lift of each tenth (highest predictions first) against the base rate (the line at 1×). */
    function drawLift(svg, p) {
      var deciles = p.deciles;
      if (!Array.isArray(deciles)) throw new Error('propensity.deciles must be a list');
      var W = 720, H = 300, L = 56, R = 16, T = 16, B = 52;
      var max = 1;
      deciles.forEach(function (d, i) { if (d.lift !== null) max = Math.max(max, number(d.lift, 'deciles[' + i + '].lift')); });
      var y = yAxis(svg, max, L, R, T, B, W, H, 'Lift (× base rate)');
      var band = (W - L - R) / Math.max(1, deciles.length);
      el(svg, 'line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#afb8c1' });
      deciles.forEach(function (d, i) {
        var lift = d.lift === null ? 0 : d.lift;
        var bar = el(svg, 'rect', { 'class': 'lift-bar', 'data-decile': d.decile, x: (L + band * i + 4).toFixed(1), y: y(lift).toFixed(1), width: Math.max(1, band - 8).toFixed(1), height: Math.max(0, H - B - y(lift)).toFixed(1), fill: i === 0 ? SERIES.expected : SERIES.actual });
        el(bar, 'title', {}, 'Decile ' + d.decile + ' (' + fmt.format(d.people) + ' people): ' + pct.format(d.actual) + ' bought, predicted ' + pct.format(d.predicted) + ', lift ' + tenth.format(lift) + '×');
        el(svg, 'text', { x: L + band * (i + 0.5), y: H - B + 16, 'text-anchor': 'middle', 'class': 'tick' }, String(d.decile));
      });
      el(svg, 'line', { 'class': 'base-rate', x1: L, x2: W - R, y1: y(1).toFixed(1), y2: y(1).toFixed(1), stroke: '#59636e', 'stroke-dasharray': '5 4' });
      el(svg, 'text', { x: L + (W - L - R) / 2, y: H - 10, 'text-anchor': 'middle', 'class': 'axis-title' }, 'Decile of predicted propensity (1 = highest)');
      return deciles.length;
    }

    /** Each tenth's mean predicted probability (x) against its actual rate (y), with the diagonal. */
    function drawCalibration(svg, p) {
      var W = 420, H = 360, L = 56, R = 16, T = 16, B = 52;
      var top = 0;
      p.deciles.forEach(function (d, i) { top = Math.max(top, number(d.predicted, 'deciles[' + i + '].predicted'), number(d.actual, 'deciles[' + i + '].actual')); });
      top = top > 0 ? top * 1.08 : 1;
      function x(v) { return L + v / top * (W - L - R); }
      var y = yAxis(svg, top / 1.08, L, R, T, B, W, H, 'Actual first-purchase rate');
      el(svg, 'line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#afb8c1' });
      ticks(0, top, 5).forEach(function (t) { el(svg, 'text', { x: x(t), y: H - B + 16, 'text-anchor': 'middle', 'class': 'tick' }, pct.format(t)); });
      el(svg, 'text', { x: L + (W - L - R) / 2, y: H - 10, 'text-anchor': 'middle', 'class': 'axis-title' }, 'Mean predicted probability');
      el(svg, 'line', { 'class': 'diagonal', x1: x(0), y1: y(0), x2: x(top / 1.08).toFixed(1), y2: y(top / 1.08).toFixed(1), stroke: '#afb8c1', 'stroke-dasharray': '5 4' });
      p.deciles.forEach(function (d) {
        var dot = el(svg, 'circle', { 'class': 'calibration-point', 'data-decile': d.decile, cx: x(d.predicted).toFixed(1), cy: y(d.actual).toFixed(1), r: 4, fill: SERIES.actual, stroke: '#fff', 'stroke-width': 1.5 });
        el(dot, 'title', {}, 'Decile ' + d.decile + ': predicted ' + pct.format(d.predicted) + ', actual ' + pct.format(d.actual));
      });
      return p.deciles.length;
    }

${MOVEMENT_SCRIPT}
    /** Forecast and outcome per decile, side by side. Returns the bars drawn. */
    function drawDecileComparison(svg, deciles, yTitle, asShare) {
      if (!Array.isArray(deciles)) throw new Error('forecastAccuracy deciles must be a list');
      var W = 720, H = 280, L = 56, R = 16, T = 16, B = 52;
      var max = 0;
      deciles.forEach(function (d, i) { max = Math.max(max, number(d.predicted, 'deciles[' + i + '].predicted'), number(d.actual, 'deciles[' + i + '].actual')); });
      var y = yAxis(svg, max, L, R, T, B, W, H, yTitle);
      var band = (W - L - R) / Math.max(1, deciles.length);
      var show = asShare ? function (v) { return pct.format(v); } : function (v) { return mean.format(v); };
      el(svg, 'line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#afb8c1' });
      var drawn = 0;
      deciles.forEach(function (d, i) {
        var n = d.customers !== undefined ? d.customers : d.people;
        ['predicted', 'actual'].forEach(function (key, k) {
          var bar = el(svg, 'rect', { 'class': 'forecast-bar', 'data-series': key, 'data-decile': d.decile, x: (L + band * i + 4 + k * (band - 8) / 2).toFixed(1), y: y(d[key]).toFixed(1),
            width: Math.max(1, (band - 8) / 2).toFixed(1), height: Math.max(0, H - B - y(d[key])).toFixed(1), fill: key === 'actual' ? SERIES.actual : SERIES.expected });
          el(bar, 'title', {}, 'Decile ' + d.decile + ' (' + fmt.format(n) + '): forecast ' + show(d.predicted) + ', what happened ' + show(d.actual));
          drawn++;
        });
        el(svg, 'text', { x: L + band * (i + 0.5), y: H - B + 16, 'text-anchor': 'middle', 'class': 'tick' }, String(d.decile));
      });
      el(svg, 'text', { x: L + (W - L - R) / 2, y: H - 10, 'text-anchor': 'middle', 'class': 'axis-title' }, 'Decile of the forecast (1 = highest)');
      return drawn;
    }
    function drawForecastAccuracy(f) {
      var drawn = 0;
      function one(id, deciles, title, asShare) {
        var svg = document.getElementById(id);
        if (svg) { var n = drawDecileComparison(svg, deciles, title, asShare); svg.setAttribute('data-marks', String(n)); drawn += n; }
      }
      var p = f.purchaseModels;
      if (p && p.status === 'measured') {
        one('forecast-alive', p.pAlive.deciles, 'P(alive) / share who bought', true);
        one('forecast-purchases', p.purchases.deciles, 'Repeat purchases per customer', false);
        if (p.spend) one('forecast-spend', p.spend.deciles, 'Spend per customer', false);
      }
      if (f.firstPurchase && f.firstPurchase.status === 'measured') one('forecast-first-purchase', f.firstPurchase.deciles, 'First-purchase rate', true);
      return drawn;
    }

    var points = data.clustering ? drawScatter(document.getElementById('scatter'), data.clustering) : 0;
    var cells = drawGrid(document.getElementById('rf-grid'), data.rfGrid);
    var bars = drawBars(document.getElementById('segment-bars'), data.segments, data.profiles);
    body.dataset.points = String(points);
    var umap = data.clustering && data.clustering.umap && data.clustering.umap.status === 'drawn' ? data.clustering.umap : null;
    body.dataset.umapPoints = String(umap ? drawUmap(document.getElementById('umap'), umap) : 0);
    body.dataset.elbowPoints = String(data.clustering ? drawElbow(document.getElementById('elbow'), data.clustering) : 0);
    // Every other named clustering: its own scatter, UMAP and elbow; each svg says how many marks it drew.
    (data.otherClusterings || []).forEach(function (o) {
      if (!o.clustering) return;
      var drawn = { scatter: drawScatter(document.getElementById('scatter-' + o.name), o.clustering) };
      drawn.umap = o.clustering.umap && o.clustering.umap.status === 'drawn' ? drawUmap(document.getElementById('umap-' + o.name), o.clustering.umap) : 0;
      drawn.elbow = drawElbow(document.getElementById('elbow-' + o.name), o.clustering);
      Object.keys(drawn).forEach(function (id) { var svg = document.getElementById(id + '-' + o.name); if (svg) svg.setAttribute('data-marks', String(drawn[id])); });
    });
    body.dataset.cells = String(cells);
    body.dataset.bars = String(bars);
    var holdout = data.predictions && data.predictions.status === 'fitted' ? data.predictions.holdout : null;
    body.dataset.trackingPoints = String(holdout ? drawTracking(document.getElementById('tracking'), holdout) : 0);
    body.dataset.frequencyPoints = String(holdout ? drawFrequency(document.getElementById('frequency-check'), holdout) : 0);
    var propensity = data.propensity && data.propensity.status === 'fitted' ? data.propensity : null;
    body.dataset.liftBars = String(propensity ? drawLift(document.getElementById('lift-bars'), propensity) : 0);
    body.dataset.calibrationPoints = String(propensity ? drawCalibration(document.getElementById('propensity-calibration'), propensity) : 0);
    var movement = data.movement && data.movement.status === 'shown' ? data.movement : null;
    body.dataset.movementLines = String(movement ? drawSizes(document.getElementById('movement-rfm'), movement.runs, movement.rfm) : 0);
    body.dataset.movementPersonaLines = String(movement && movement.personas.length > 0 ? drawSizes(document.getElementById('movement-personas'), movement.runs, movement.personas) : 0);
    body.dataset.forecastBars = String(data.forecastAccuracy ? drawForecastAccuracy(data.forecastAccuracy) : 0);
    body.dataset.rendered = 'ok';
  } catch (error) {
    var message = error && error.message ? error.message : String(error);
    body.dataset.rendered = 'error: ' + message;
    var box = document.getElementById('render-error');
    box.textContent = 'The charts could not be drawn: ' + message;
    box.hidden = false;
  }
})();
`;

/** The report data as JSON that is safe inside a <script> element. */
function embedJson(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Another named clustering, after the customers sections: the same sections under its name. */
function otherClusteringSections(view: ClusteringView, labels: Map<string, string>): string {
  return [scatterSection(view, labels), umapSection(view), personasSection(view, labels), metricsSection(view), preparationSection(view)].join('\n');
}

export function renderReportHtml(data: ReportData): string {
  const labels = new Map<string, string>();
  for (const c of [data.clustering, ...(data.otherClusterings ?? []).map((o) => o.clustering)]) {
    for (const persona of c?.personas ?? []) for (const t of persona.traits) labels.set(t.feature, t.label);
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="segsync">
<title>${escapeHtml(data.title)}</title>
<style>${STYLE}${MOVEMENT_STYLE}</style>
</head>
<body data-rendered="pending">
<main>
${header(data)}
<div id="render-error" role="alert" hidden></div>
${scatterSection(data, labels)}
${umapSection(data)}
${gridSection()}
${barsSection()}
${movementSection(data.movement, colour)}
${personasSection(data, labels)}
${predictionsSection(data)}
${propensitySection(data)}
${campaignsSection(data)}
${forecastAccuracySection(data)}
${metricsSection(data)}
${preparationSection(data)}
${(data.otherClusterings ?? []).map((o) => otherClusteringSections(otherView(o), labels)).join('\n')}
</main>
<script type="application/json" id="segsync-data">${embedJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
