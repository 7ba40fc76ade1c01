/**
 * Purchase models on 1,000,000 customers: time and peak memory of groupPurchases + predictCustomers
 * (BG/NBD, Gamma-Gamma, CLV, the holdout check), where the time goes, and segsync's BG/NBD fit
 * against the straightforward one (a likelihood term per customer), measured in the same run.
 *
 * Data (not timed; generated in a child of its own, seed 42, written to a temporary folder):
 * 1,000,000 customers simulated from the models themselves with CDNOW-like parameters, in weeks —
 * BG/NBD r = 0.243, α = 4.414, a = 0.793, b = 2.426 (λ ~ Gamma(r, rate α), p ~ Beta(a, b));
 * Gamma-Gamma p = 6.25, q = 3.74, γ = 15.44 (ν ~ Gamma(q, rate γ) per customer, each purchase's
 * spend ~ Gamma(p, rate ν)). A 104-week history starting 2024-01-01 (UTC); each customer's first
 * purchase falls on a uniform day of the first 52 weeks; repeat purchases at Poisson(λ) arrivals
 * after it, the customer leaving with probability p after each repeat purchase; a purchase's time
 * is its day plus a uniform time of day (several on one day are fine: the summary counts the day
 * once). The purchase rows are shuffled (seeded), so groupPurchases has real grouping to do.
 *
 * Each measurement runs in a fresh child that first loads the columns from disk, so its maxRSS
 * (process.resourceUsage(), the kernel's high-water mark) is its own; reported as the peak and as
 * the growth over the RSS once the input was loaded. As of the end of the 104 weeks (the last
 * millisecond of day 727), default settings (PredictionSettingsSchema.parse({}): weeks, holdout
 * auto = a third of the history, 242 days):
 * - predict: groupPurchases, then predictCustomers, each timed (the headline; cold JIT).
 * - steps: in another fresh child, the same work split into the exported steps, each timed:
 *   groupPurchases, summarizeCustomers, distinctTriples, fitBgNbd, fitGammaGamma (+ the
 *   spend/frequency correlation), scoreCustomers, and the holdout check (summarizeCustomers at the calibration end + holdoutCheck).
 *   The holdout's BG/NBD refit is then timed once more on its own, to split holdoutCheck into the
 *   refit and the rest. The step times add up to about the predict child's, not exactly.
 * - straightforward: in a third fresh child, the per-customer x, t_x, T (segsync's summary, not
 *   timed), then the same Nelder–Mead (minimize, same start, step and reparametrisation as
 *   fitBgNbd) over the BG/NBD log-likelihood written the plain way: one term per customer over
 *   Float64Arrays of all 1,000,000, no grouping into triples; log Γ(r+x), log Γ(b+x) and
 *   log Γ(a+b+x) per customer, the parameter-only terms once per evaluation (as a vectorised
 *   implementation such as the lifetimes library's does). Timed over the whole fit, which runs to
 *   its own number of evaluations (reported beside segsync's; the paths can part on rounding).
 *   Its log-likelihood at segsync's fitted parameters is compared with segsync's (should agree).
 * Also reported: the fitted parameters beside the true ones. Counting a purchase day once (as
 * summarizeCustomers does) drops the simulated repeat purchases that land on a day already bought
 * on (about 1.6%, mostly heavy buyers'), which is expected to push the fitted α up by about 5%;
 * the other six parameters should come out within a few percent.
 * Figures: segsync fitBgNbd time / straightforward fit time (target < 1); and, for scale,
 * predictCustomers' whole time (both fits, scoring, holdout) / the straightforward BG/NBD fit
 * alone (info, no target).
 *
 *   npm run bench:predict                  (node --max-old-space-size=6144 --import tsx bench/predict.ts)
 *   npm run -s bench:predict -- --json     (-s: no npm header, so stdout is only the JSON)
 *   node --max-old-space-size=6144 --import tsx bench/predict.ts [--customers 1000000] [--json]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupPurchases } from '../src/segmentation/features.js';
import { distinctTriples, fitBgNbd, bgnbdLogLikelihood, type BgNbdParams } from '../src/segmentation/predict/bgnbd.js';
import { fitGammaGamma, spendFrequencyCorrelation, type GammaGammaParams } from '../src/segmentation/predict/gamma-gamma.js';
import { holdoutCheck } from '../src/segmentation/predict/holdout.js';
import { boxed, minimize } from '../src/segmentation/predict/nelder-mead.js';
import { predictCustomers, scoreCustomers } from '../src/segmentation/predict/predict.js';
import { PredictionSettingsSchema, unitDaysOf } from '../src/segmentation/predict/settings.js';
import { logGamma } from '../src/segmentation/predict/special.js';
import { earliestFirstDay, MS_PER_DAY, summarizeCustomers } from '../src/segmentation/predict/summary.js';
import { betaVariate, gammaVariate, seededRandom } from '../src/segmentation/random.js';
import { bytes, readFloat64, readInt32, runChild } from './lib/child.js';
import { argValue, figuresTable, fixed, log as logFor, machine, maxRssMB, num, round, secs, table, wantJson, type RatioFigure } from './lib/report.js';

const log = logFor('predict');
const SEED = 42;
const START_MS = Date.UTC(2024, 0, 1);
const HISTORY_DAYS = 104 * 7;
const FIRST_PURCHASE_DAYS = 52 * 7;
/** The last millisecond of the history's last day: every simulated purchase counts. */
const REFERENCE_MS = START_MS + HISTORY_DAYS * MS_PER_DAY - 1;
export const TRUE_BGNBD: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
export const TRUE_GAMMA_GAMMA: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };

// ------------------------------------------------------------------------------ child: generate


interface GeneratedMeta {
  customers: number;
  purchases: number;
  /** Repeat purchases simulated on a day the customer had already bought on: the summary counts that day once. */
  sameDayRepeats: number;
  repeatPurchases: number;
  generateMs: number;
}

function childGenerate(dir: string, customers: number): GeneratedMeta {
  const started = performance.now();
  const random = seededRandom(SEED);
  const { r, alpha, a, b } = TRUE_BGNBD;
  const profileIndex: number[] = [];
  const occurredAtMs: number[] = [];
  const amount: number[] = [];
  let sameDayRepeats = 0;
  let repeatPurchases = 0;
  const buy = (c: number, day: number, nu: number) => {
    profileIndex.push(c);
    occurredAtMs.push(START_MS + day * MS_PER_DAY + Math.floor(random() * MS_PER_DAY));
    amount.push(gammaVariate(random, TRUE_GAMMA_GAMMA.p, nu));
  };
  for (let c = 0; c < customers; c++) {
    const firstDay = Math.floor(random() * FIRST_PURCHASE_DAYS);
    const lambda = gammaVariate(random, r, alpha);
    const dropout = betaVariate(random, a, b);
    const nu = gammaVariate(random, TRUE_GAMMA_GAMMA.q, TRUE_GAMMA_GAMMA.gamma);
    buy(c, firstDay, nu);
    // Repeat purchases at Poisson(λ) arrivals (weeks) on whole days; after each, leave with probability p.
    let t = 0;
    let lastDay = firstDay;
    for (;;) {
      t += -Math.log(1 - random()) / lambda;
      const day = firstDay + Math.floor(t * 7);
      if (day >= HISTORY_DAYS) break;
      buy(c, day, nu);
      repeatPurchases++;
      if (day === lastDay) sameDayRepeats++;
      lastDay = day;
      if (random() < dropout) break;
    }
  }
  // Shuffle the rows: a purchase table is not grouped by customer.
  const n = amount.length;
  const order = Int32Array.from({ length: n }, (_, k) => k);
  for (let k = n - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    const t = order[k]!;
    order[k] = order[j]!;
    order[j] = t;
  }
  const p = new Int32Array(n);
  const at = new Float64Array(n);
  const am = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const from = order[k]!;
    p[k] = profileIndex[from]!;
    at[k] = occurredAtMs[from]!;
    am[k] = amount[from]!;
  }
  writeFileSync(join(dir, 'profileIndex.bin'), bytes(p));
  writeFileSync(join(dir, 'occurredAtMs.bin'), bytes(at));
  writeFileSync(join(dir, 'amount.bin'), bytes(am));
  const meta = { customers, purchases: n, sameDayRepeats, repeatPurchases, generateMs: performance.now() - started };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  return meta;
}


function load(dir: string) {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as GeneratedMeta;
  const columns = { profileIndex: readInt32(join(dir, 'profileIndex.bin')), occurredAtMs: readFloat64(join(dir, 'occurredAtMs.bin')), amount: readFloat64(join(dir, 'amount.bin')) };
  return { meta, columns };
}

// ------------------------------------------------------------------------------ child: measure

interface Memory {
  rssAfterLoadMB: number;
  maxRssMB: number;
}

interface PredictMeasured extends Memory {
  groupMs: number;
  predictMs: number;
  status: string;
  reason?: string;
  bgnbd?: { params: BgNbdParams; logLikelihood: number; customers: number; repeatBuyers: number };
  gammaGamma?: { params: GammaGammaParams; customers: number } | null;
  holdout?: { params: BgNbdParams; customers: number; calibrationEnd: string; holdoutDays: number; actual: number; expected: number } | null;
  spendFrequencyCorrelation?: number | null;
  warnings?: string[];
  /** Means over customers of the scores, as a sanity check. */
  means?: { pAlive: number; expectedPurchases90d: number; clv: number };
}

function childPredict(dir: string): PredictMeasured {
  const { meta, columns } = load(dir);
  const settings = PredictionSettingsSchema.parse({});
  const rssAfterLoadMB = maxRssMB();
  const t0 = performance.now();
  const grouped = groupPurchases(meta.customers, columns, REFERENCE_MS);
  const t1 = performance.now();
  const outcome = predictCustomers(grouped, REFERENCE_MS, settings);
  const t2 = performance.now();
  const memory = { rssAfterLoadMB, maxRssMB: maxRssMB() };
  if (outcome.status !== 'fitted') return { ...memory, groupMs: t1 - t0, predictMs: t2 - t1, status: outcome.status, reason: outcome.reason };
  const mean = (a: Float64Array) => {
    let s = 0;
    let n = 0;
    for (const v of a) if (!Number.isNaN(v)) { s += v; n++; }
    return s / n;
  };
  const h = outcome.holdout;
  return {
    ...memory,
    groupMs: t1 - t0,
    predictMs: t2 - t1,
    status: outcome.status,
    bgnbd: outcome.bgnbd,
    gammaGamma: outcome.gammaGamma ? { params: outcome.gammaGamma.params, customers: outcome.gammaGamma.customers } : null,
    holdout: h ? { params: h.params, customers: h.customers, calibrationEnd: h.calibrationEnd, holdoutDays: h.holdoutDays, actual: h.holdoutTotal.actual, expected: h.holdoutTotal.expected } : null,
    spendFrequencyCorrelation: outcome.spendFrequencyCorrelation,
    warnings: outcome.warnings,
    means: { pAlive: mean(outcome.columns.pAlive), expectedPurchases90d: mean(outcome.columns.expectedPurchases90d), clv: mean(outcome.columns.clv) },
  };
}

interface StepsMeasured extends Memory {
  /** Each step's time, in the order run; they add up to the whole. */
  ms: Record<string, number>;
  /** distinctTriples + fitBgNbd on the calibration summary, timed again after the steps. */
  holdoutRefitMs: number;
  customers: number;
  repeatBuyers: number;
  triples: number;
  evaluations: number;
  holdoutCustomers: number;
  holdoutTriples: number;
  holdoutEvaluations: number;
  bgnbdLogLikelihood: number;
  bgnbdParams: BgNbdParams;
}

function childSteps(dir: string): StepsMeasured {
  const { meta, columns } = load(dir);
  const settings = PredictionSettingsSchema.parse({});
  const unitDays = unitDaysOf(settings);
  const rssAfterLoadMB = maxRssMB();
  const ms: Record<string, number> = {};
  const timed = <T>(name: string, f: () => T): T => {
    const t = performance.now();
    const out = f();
    ms[name] = performance.now() - t;
    return out;
  };
  const grouped = timed('groupPurchases', () => groupPurchases(meta.customers, columns, REFERENCE_MS));
  const summary = timed('summarizeCustomers', () => summarizeCustomers(grouped, REFERENCE_MS, unitDays));
  const triples = timed('distinctTriples', () => distinctTriples(summary));
  const bg = timed('fitBgNbd', () => fitBgNbd(triples));
  const gg = timed('fitGammaGamma', () => {
    spendFrequencyCorrelation(summary.x, summary.zbar);
    return fitGammaGamma(summary.x, summary.zbar);
  });
  timed('scoring', () => scoreCustomers(bg.params, gg.params, summary, triples, meta.customers, settings));
  const holdoutDays = Math.floor((summary.endDay - earliestFirstDay(summary)) / 3);
  const calibration = timed('holdout: summarizeCustomers', () => summarizeCustomers(grouped, REFERENCE_MS - holdoutDays * MS_PER_DAY, unitDays));
  timed('holdout: holdoutCheck', () => holdoutCheck(grouped, calibration, REFERENCE_MS));
  const memory = { rssAfterLoadMB, maxRssMB: maxRssMB() };
  // Once more, outside the steps: the refit inside holdoutCheck, to split it.
  const t = performance.now();
  const calibrationTriples = distinctTriples(calibration);
  const refit = fitBgNbd(calibrationTriples);
  const holdoutRefitMs = performance.now() - t;
  return {
    ...memory,
    ms,
    holdoutRefitMs,
    customers: bg.customers,
    repeatBuyers: bg.repeatBuyers,
    triples: triples.x.length,
    evaluations: bg.evaluations,
    holdoutCustomers: refit.customers,
    holdoutTriples: calibrationTriples.x.length,
    holdoutEvaluations: refit.evaluations,
    bgnbdLogLikelihood: bg.logLikelihood,
    bgnbdParams: bg.params,
  };
}

/** Σ ln L(r, α, a, b | x, t_x, T) over customers, one term each (FHL 2005, eq. 6, in logs). */
function straightforwardLogLikelihood(params: BgNbdParams, x: Float64Array, tx: Float64Array, T: Float64Array): number {
  const { r, alpha, a, b } = params;
  const lgR = logGamma(r);
  const lgB = logGamma(b);
  const lgAB = logGamma(a + b);
  const rLnAlpha = r * Math.log(alpha);
  const lnA = Math.log(a);
  let total = 0;
  for (let c = 0; c < x.length; c++) {
    const xc = x[c]!;
    const a1 = logGamma(r + xc) - lgR + rLnAlpha;
    const a2 = lgAB + logGamma(b + xc) - lgB - logGamma(a + b + xc);
    const a3 = -(r + xc) * Math.log(alpha + T[c]!);
    let ll = a3;
    if (xc > 0) {
      const a4 = lnA - Math.log(b + xc - 1) - (r + xc) * Math.log(alpha + tx[c]!);
      ll = a3 > a4 ? a3 + Math.log1p(Math.exp(a4 - a3)) : a4 + Math.log1p(Math.exp(a3 - a4));
    }
    total += a1 + a2 + ll;
  }
  return total;
}

interface StraightforwardMeasured extends Memory {
  ms: number;
  evaluations: number;
  converged: boolean;
  params: BgNbdParams;
  logLikelihood: number;
  /** Straightforward and segsync's (triples) log-likelihoods at segsync's fitted parameters. */
  atSegsyncParams: { straightforward: number; segsync: number };
}

function childStraightforward(dir: string, segsyncParams: BgNbdParams): StraightforwardMeasured {
  const { meta, columns } = load(dir);
  const unitDays = unitDaysOf(PredictionSettingsSchema.parse({}));
  // Not timed: the per-customer input, from segsync's own summary.
  const summary = summarizeCustomers(groupPurchases(meta.customers, columns, REFERENCE_MS), REFERENCE_MS, unitDays);
  const x = Float64Array.from(summary.x);
  const tx = Float64Array.from(summary.tx);
  const T = Float64Array.from(summary.T);
  const rssAfterLoadMB = maxRssMB();
  const started = performance.now();
  // fitBgNbd's search, verbatim, with the per-customer likelihood.
  const customers = x.length;
  let meanT = 0;
  for (let c = 0; c < customers; c++) meanT += T[c]!;
  meanT /= customers;
  const toParams = (v: readonly number[]): BgNbdParams => {
    const mean = 1 / (1 + Math.exp(-v[2]!));
    const concentration = Math.exp(v[3]!);
    return { r: Math.exp(v[0]!), alpha: Math.exp(v[1]!), a: mean * concentration, b: (1 - mean) * concentration };
  };
  const objective = (v: readonly number[]) => -straightforwardLogLikelihood(toParams(v), x, tx, T) / customers;
  const result = minimize(boxed(objective), [0, Math.log(Math.max(meanT, 1e-3)), 0, Math.log(2)], { step: 1 });
  const ms = performance.now() - started;
  const memory = { rssAfterLoadMB, maxRssMB: maxRssMB() };
  const triples = distinctTriples(summary);
  return {
    ...memory,
    ms,
    evaluations: result.evaluations,
    converged: result.converged,
    params: toParams(result.x),
    logLikelihood: -result.value * customers,
    atSegsyncParams: { straightforward: straightforwardLogLikelihood(segsyncParams, x, tx, T), segsync: bgnbdLogLikelihood(segsyncParams, triples) },
  };
}

// ------------------------------------------------------------------------------ parent

const child = <T>(args: string[]): Promise<T> => runChild<T>(import.meta.url, args);

export interface PredictResult {
  customers: number;
  purchases: number;
  sameDayRepeats: number;
  repeatPurchases: number;
  /** os.loadavg() (1, 5, 15 minutes) before and after: the machine may be shared. */
  loadAverage: { before: number[]; after: number[] };
  referenceDate: string;
  generateMs: number;
  truth: { bgnbd: BgNbdParams; gammaGamma: GammaGammaParams };
  predict: PredictMeasured;
  steps: StepsMeasured;
  straightforward: StraightforwardMeasured;
  ratioFit: number;
  ratioPredict: number;
  figures: RatioFigure[];
}

export async function runPredict(): Promise<PredictResult> {
  const size = Number(argValue('--customers') ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'segsync-bench-predict-'));
  const loadBefore = loadavg().map((v) => round(v, 2));
  try {
    log(`simulating ${num(size)} customers (not timed) …`);
    const meta = await child<GeneratedMeta>(['--child', 'generate', dir, String(size)]);
    log(`${num(meta.purchases)} purchases in ${secs(meta.generateMs)}`);
    const predict = await child<PredictMeasured>(['--child', 'predict', dir]);
    if (predict.status !== 'fitted') throw new Error(`predictCustomers skipped: ${predict.reason}`);
    log(`groupPurchases ${secs(predict.groupMs)}, predictCustomers ${secs(predict.predictMs)}`);
    const steps = await child<StepsMeasured>(['--child', 'steps', dir]);
    log(`steps: fitBgNbd ${secs(steps.ms.fitBgNbd!)} over ${num(steps.triples)} triples, ${steps.evaluations} evaluations`);
    const straightforward = await child<StraightforwardMeasured>(['--child', 'straightforward', dir, JSON.stringify(steps.bgnbdParams)]);
    log(`straightforward BG/NBD fit ${secs(straightforward.ms)}, ${straightforward.evaluations} evaluations`);
    const fitMs = steps.ms['distinctTriples']! + steps.ms['fitBgNbd']!;
    const ratioFit = steps.ms['fitBgNbd']! / straightforward.ms;
    const ratioPredict = predict.predictMs / straightforward.ms;
    const perEval = (steps.ms['fitBgNbd']! / steps.evaluations) / (straightforward.ms / straightforward.evaluations);
    return {
      customers: meta.customers,
      purchases: meta.purchases,
      sameDayRepeats: meta.sameDayRepeats,
      repeatPurchases: meta.repeatPurchases,
      loadAverage: { before: loadBefore, after: loadavg().map((v) => round(v, 2)) },
      referenceDate: new Date(REFERENCE_MS).toISOString(),
      generateMs: round(meta.generateMs, 0),
      truth: { bgnbd: TRUE_BGNBD, gammaGamma: TRUE_GAMMA_GAMMA },
      predict,
      steps,
      straightforward,
      ratioFit: round(ratioFit, 4),
      ratioPredict: round(ratioPredict),
      figures: [
        {
          bench: 'predict',
          figure: `BG/NBD fit on ${num(steps.customers)} customers: fitBgNbd over ${num(steps.triples)} triples vs per-customer likelihood, time`,
          ratio: 'segsync / straightforward',
          value: round(ratioFit, 4),
          target: '< 1',
          pass: ratioFit < 1,
          measured: `${secs(steps.ms['fitBgNbd']!)} (${steps.evaluations} ev.) / ${secs(straightforward.ms)} (${straightforward.evaluations} ev.)`,
        },
        {
          bench: 'predict',
          figure: '  same, time per likelihood evaluation (info)',
          ratio: 'segsync / straightforward',
          value: round(perEval, 4),
          target: '(info)',
          pass: true,
          measured: `${fixed(steps.ms['fitBgNbd']! / steps.evaluations, 3)} ms / ${fixed(straightforward.ms / straightforward.evaluations, 1)} ms`,
        },
        {
          bench: 'predict',
          figure: '  same, including distinctTriples (the compression\'s own cost)',
          ratio: 'segsync / straightforward',
          value: round(fitMs / straightforward.ms, 4),
          target: '(info)',
          pass: true,
          measured: `${secs(fitMs)} / ${secs(straightforward.ms)}`,
        },
        {
          bench: 'predict',
          figure: '  whole predictCustomers (BG/NBD + Gamma-Gamma fits, scores, holdout refit and check) vs the straightforward BG/NBD fit alone',
          ratio: 'predictCustomers / straightforward fit',
          value: round(ratioPredict),
          target: '(info)',
          pass: true,
          measured: `${secs(predict.predictMs)} / ${secs(straightforward.ms)}`,
        },
        {
          bench: 'predict',
          figure: `  groupPurchases + predictCustomers on ${num(meta.customers)} customers (time, no baseline)`,
          ratio: 'seconds',
          value: round((predict.groupMs + predict.predictMs) / 1000),
          target: '(info)',
          pass: true,
          measured: `maxRSS ${num(Math.round(predict.maxRssMB))} MB (+${num(Math.round(predict.maxRssMB - predict.rssAfterLoadMB))} MB over the input)`,
        },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printPredict(r: PredictResult): void {
  const p = r.predict;
  const s = r.steps;
  const f = r.straightforward;
  const mb = (n: number) => `${num(Math.round(n))} MB`;
  console.log(`\nPurchase models: ${num(r.customers)} simulated customers, ${num(r.purchases)} purchases over 104 weeks; reference ${r.referenceDate}`);
  console.log(`${num(s.customers)} customers, ${num(s.repeatBuyers)} repeat buyers; ${num(s.triples)} distinct (x, t_x, T) triples (holdout calibration: ${num(s.holdoutTriples)})`);
  console.log(`simulated repeat purchases on a day the customer had already bought on (counted once): ${num(r.sameDayRepeats)} of ${num(r.repeatPurchases)} (${fixed((r.sameDayRepeats / r.repeatPurchases) * 100, 2)}%)`);
  console.log(`data generation (not counted): ${secs(r.generateMs)}; load average before ${r.loadAverage.before.join(', ')}, after ${r.loadAverage.after.join(', ')}\n`);
  const total = Object.values(s.ms).reduce((t, v) => t + v, 0);
  const refit = s.holdoutRefitMs;
  const check = s.ms['holdout: holdoutCheck']!;
  console.log(
    table(
      ['step (steps child)', 'time', 'share', 'note'],
      [
        ...Object.entries(s.ms).map(([k, v]) => [k, secs(v), `${fixed((v / total) * 100, 1)}%`,
          k === 'fitBgNbd' ? `${s.evaluations} likelihood evaluations` : k === 'holdout: holdoutCheck' ? `refit alone ${secs(refit)} (${s.holdoutEvaluations} ev.), so the rest ≈ ${check - refit < 0.05 * check ? 'nothing (within the noise)' : secs(check - refit)}` : '']),
        ['sum of the steps', secs(total), '', ''],
      ],
    ),
  );
  console.log('');
  console.log(
    table(
      ['child', 'time', 'maxRSS', 'after load', 'growth', 'evaluations'],
      [
        ['predict: groupPurchases', secs(p.groupMs), '', '', '', ''],
        ['predict: predictCustomers', secs(p.predictMs), mb(p.maxRssMB), mb(p.rssAfterLoadMB), mb(p.maxRssMB - p.rssAfterLoadMB), ''],
        ['steps (all of the above)', secs(total), mb(s.maxRssMB), mb(s.rssAfterLoadMB), mb(s.maxRssMB - s.rssAfterLoadMB), String(s.evaluations)],
        ['straightforward BG/NBD fit (input built untimed)', secs(f.ms), mb(f.maxRssMB), mb(f.rssAfterLoadMB), mb(f.maxRssMB - f.rssAfterLoadMB), String(f.evaluations) + (f.converged ? '' : '*')],
      ],
    ),
  );
  const b = p.bgnbd!;
  const h = p.holdout;
  const g = p.gammaGamma;
  const v = (n: number | undefined) => (n === undefined ? '-' : fixed(n, 3));
  console.log('');
  console.log(
    table(
      ['parameter', 'true', 'segsync fit', 'holdout refit', 'straightforward fit'],
      [
        ['r', v(r.truth.bgnbd.r), v(b.params.r), v(h?.params.r), v(f.params.r)],
        ['α (weeks)', v(r.truth.bgnbd.alpha), v(b.params.alpha), v(h?.params.alpha), v(f.params.alpha)],
        ['a', v(r.truth.bgnbd.a), v(b.params.a), v(h?.params.a), v(f.params.a)],
        ['b', v(r.truth.bgnbd.b), v(b.params.b), v(h?.params.b), v(f.params.b)],
        ['p', v(r.truth.gammaGamma.p), v(g?.params.p), '', ''],
        ['q', v(r.truth.gammaGamma.q), v(g?.params.q), '', ''],
        ['γ', v(r.truth.gammaGamma.gamma), v(g?.params.gamma), '', ''],
      ],
    ),
  );
  console.log(`\nBG/NBD log-likelihood: segsync ${fixed(b.logLikelihood, 3)}, straightforward ${fixed(f.logLikelihood, 3)}; at segsync's parameters the straightforward sum gives ${fixed(f.atSegsyncParams.straightforward, 3)} (triples: ${fixed(f.atSegsyncParams.segsync, 3)})`);
  if (h) console.log(`holdout (${h.holdoutDays} days from ${h.calibrationEnd}): repeat purchases actual ${num(h.actual)}, expected ${num(Math.round(h.expected))} (${fixed((h.expected / h.actual - 1) * 100, 2)}%)`);
  console.log(`means over customers: P(alive) ${fixed(p.means!.pAlive, 3)}, expected purchases in 90 days ${fixed(p.means!.expectedPurchases90d, 4)}, CLV 12 months ${fixed(p.means!.clv, 2)}; spend/frequency correlation ${fixed(p.spendFrequencyCorrelation ?? Number.NaN, 3)}`);
  if (p.warnings && p.warnings.length > 0) console.log(`warnings: ${p.warnings.join(' | ')}`);
  console.log(`\n(* = the straightforward search did not converge)\n`);
  console.log(figuresTable(r.figures));
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const [what, dir, arg] = process.argv.slice(childAt + 1);
  const out =
    what === 'generate' ? childGenerate(dir!, Number(arg))
    : what === 'predict' ? childPredict(dir!)
    : what === 'steps' ? childSteps(dir!)
    : childStraightforward(dir!, JSON.parse(arg!) as BgNbdParams);
  process.send!(out, () => process.exit(0));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runPredict();
  if (wantJson()) console.log(JSON.stringify({ machine: machine(), ...result }, null, 2));
  else printPredict(result);
}
