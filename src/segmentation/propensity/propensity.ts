/**
 * Who will buy for the first time: a logistic regression fitted on the workspace's own history.
 *
 * Training rows are the people who had never bought at a past cutoff; their features are computed
 * AT the cutoff (events up to it only, tenure from contact creation), the label is a first won
 * purchase within `horizonDays` after it. Training cutoff = reference − 2·horizon, validation
 * cutoff = reference − horizon (its labels end at the reference date); the final model is refitted
 * on both and scores everyone who has never bought as of the reference date.
 */
import { engagementWindows, type EngagementSummary } from '../engagement-windows.js';
import { attributeNumber, type PurchasesByProfile } from '../features.js';
import { fitLogistic, sigmoid } from './logistic.js';
import { auc, brierScore, deciles, percentileRanks, type Decile } from './evaluation.js';
import type { PropensitySettings } from './settings.js';

const MS_PER_DAY = 86_400_000;

/** How an input is read: counts and sizes on a log scale; a missing value gets the training mean (so it adds nothing). */
interface InputSpec {
  key: string;
  transform: 'log1p' | 'none' | 'recency';
  /** A missing value means this transformed value (e.g. no engagement at all = as long ago as we look); else the mean. */
  missing?: number;
}

const RECENCY_CAP_DAYS = 365;
/** Non-buyers in one fit beyond which an even stride of them is used, weighted (see fitPropensity). */
export const MAX_FIT_NEGATIVES = 100_000;

/** The model's inputs: catalogue feature names (the static ones are attributes as the store holds them today). */
export const PROPENSITY_INPUTS: readonly InputSpec[] = [
  ...['emailOpens', 'emailClicks', 'webVisits', 'pageViews', 'formFills'].flatMap((prefix) =>
    [30, 90, 365].map((d): InputSpec => ({ key: `${prefix}${d}d`, transform: 'log1p' }))),
  { key: 'engagementEvents90d', transform: 'log1p' },
  { key: 'engagementTrend', transform: 'none', missing: 0 },
  { key: 'daysSinceLastEngagement', transform: 'recency', missing: RECENCY_CAP_DAYS },
  { key: 'tenureDays', transform: 'log1p' },
  { key: 'companyEmployees', transform: 'log1p' },
  { key: 'companyAnnualRevenue', transform: 'log1p' },
  { key: 'attributes.leadScore', transform: 'none' },
];

/** What the model needs about every profile; the engagement events and purchases up to the reference date. */
export interface PropensityInput {
  rows: number;
  referenceMs: number;
  /** Folded as of the reference date and both cutoffs (propensityCutoffs). */
  events: EngagementSummary;
  purchases: PurchasesByProfile;
  createdAtMs: Float64Array;
  /** Static attributes by name (today's values: a small leak into the past cutoffs, documented). */
  attributes: Map<string, ReadonlyArray<string | number | boolean | null>>;
}

/** A fitted model in the original units: enough to score and to explain a person without refitting. */
export interface PropensityModel {
  inputs: Array<{ key: string; transform: InputSpec['transform']; fill: number; mean: number; sd: number; coefficient: number }>;
  intercept: number;
}

export interface PropensityValidation {
  cutoff: string;
  people: number;
  positives: number;
  baseRate: number;
  auc: number;
  topDecileLift: number;
  brier: number;
  deciles: Decile[];
}

export type PropensityOutcome =
  | { status: 'skipped'; reason: string }
  | {
      status: 'fitted';
      horizonDays: number;
      training: { cutoff: string; people: number; positives: number };
      validation: PropensityValidation;
      /** Inputs with no variance in the training rows are left out (named here). */
      dropped: string[];
      model: PropensityModel;
      /** Per profile row: propensity and lead score of the people scored (never bought), NaN for the others. */
      propensity: Float64Array;
      leadScore: Float64Array;
      scored: number;
    };

interface Snapshot {
  rows: Int32Array;
  /** rows.length × PROPENSITY_INPUTS.length, transformed, NaN = missing. */
  x: Float64Array;
  labels: Uint8Array;
}

const firstPurchaseMs = (p: PurchasesByProfile, i: number) => (p.offsets[i + 1]! > p.offsets[i]! ? p.atMs[p.offsets[i]!]! : Number.POSITIVE_INFINITY);

function transform(spec: InputSpec, v: number): number {
  if (Number.isNaN(v)) return Number.NaN;
  if (spec.transform === 'log1p') return Math.log1p(Math.max(0, v));
  if (spec.transform === 'recency') return Math.min(v, RECENCY_CAP_DAYS);
  return v;
}

/**
 * The people who had never bought as of `asOfMs` and existed then (created by then, or unknown
 * creation but an event by then), with their inputs as of that moment and, when `labelEndMs` is
 * given, whether their first purchase fell in (asOf, labelEnd].
 */
export function pointInTimeSnapshot(input: PropensityInput, asOfMs: number, labelEndMs: number | null, options: { everyone?: boolean } = {}): Snapshot {
  const statics = new Map<string, ReadonlyArray<string | number | boolean | null> | undefined>();
  for (const spec of PROPENSITY_INPUTS) {
    if (spec.key.startsWith('attributes.')) statics.set(spec.key, input.attributes.get(spec.key.slice('attributes.'.length)));
    else if (spec.key === 'companyEmployees' || spec.key === 'companyAnnualRevenue') statics.set(spec.key, input.attributes.get(spec.key));
  }
  const p = PROPENSITY_INPUTS.length;
  const chosen: number[] = [];
  for (let i = 0; i < input.rows; i++) {
    if (firstPurchaseMs(input.purchases, i) <= asOfMs) continue;
    const created = input.createdAtMs[i]!;
    // Scoring today takes everyone who never bought; a past cutoff only those who existed then.
    if (options.everyone || created <= asOfMs || (Number.isNaN(created) && input.events.hasEventBy(i, asOfMs))) chosen.push(i);
  }
  const rows = Int32Array.from(chosen);
  // Only the chosen people's windows: a million people's full columns would be 144 MB per cutoff.
  const windows = engagementWindows(input.events, asOfMs, rows);
  const x = new Float64Array(rows.length * p);
  const labels = new Uint8Array(rows.length);
  rows.forEach((i, r) => {
    const created = input.createdAtMs[i]!;
    for (let j = 0; j < p; j++) {
      const spec = PROPENSITY_INPUTS[j]!;
      let raw: number;
      if (spec.key === 'tenureDays') raw = created <= asOfMs ? Math.floor((asOfMs - created) / MS_PER_DAY) : Number.NaN;
      else if (statics.has(spec.key)) raw = attributeNumber(statics.get(spec.key)?.[i]);
      else raw = windows[spec.key as keyof typeof windows][r]!;
      x[r * p + j] = transform(spec, raw);
    }
    labels[r] = labelEndMs !== null && firstPurchaseMs(input.purchases, i) <= labelEndMs ? 1 : 0;
  });
  return { rows, x, labels };
}

/** Fits on the given snapshots (stacked): fill, standardise, drop constant inputs, regress. */
export function fitPropensity(snapshots: readonly Snapshot[], l2: number): { model: PropensityModel; dropped: string[] } {
  const p = PROPENSITY_INPUTS.length;
  const n = snapshots.reduce((s, snap) => s + snap.labels.length, 0);
  const fills = PROPENSITY_INPUTS.map((spec, j) => {
    if (spec.missing !== undefined) return spec.missing;
    let sum = 0;
    let count = 0;
    for (const snap of snapshots) for (let r = 0; r < snap.labels.length; r++) {
      const v = snap.x[r * p + j]!;
      if (!Number.isNaN(v)) { sum += v; count++; }
    }
    return count > 0 ? sum / count : Number.NaN;
  });
  const stats = PROPENSITY_INPUTS.map((_, j) => {
    let sum = 0;
    let sq = 0;
    for (const snap of snapshots) for (let r = 0; r < snap.labels.length; r++) {
      const v = filled(snap.x[r * p + j]!, fills[j]!);
      sum += v;
      sq += v * v;
    }
    const mean = sum / n;
    return { mean, sd: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
  });
  // No variance (or never known): it cannot tell anyone apart, and would make the fit singular.
  const kept = PROPENSITY_INPUTS.map((_, j) => j).filter((j) => Number.isFinite(fills[j]!) && stats[j]!.sd > 1e-9 * Math.max(1, Math.abs(stats[j]!.mean)));
  const dropped = PROPENSITY_INPUTS.filter((_, j) => !kept.includes(j)).map((s) => s.key);
  // Past MAX_FIT_NEGATIVES non-buyers, an even stride of them stands in for all (each weighing
  // for the ones left out): a Newton step costs rows × inputs², and a million rows adds nothing a
  // hundred thousand do not already say. Every buyer is kept. Deterministic: no random draw.
  let negatives = 0;
  for (const snap of snapshots) for (let r = 0; r < snap.labels.length; r++) if (snap.labels[r] === 0) negatives++;
  const keepNegatives = Math.min(negatives, MAX_FIT_NEGATIVES);
  const negativeWeight = keepNegatives > 0 ? negatives / keepNegatives : 1;
  const q = kept.length;
  const fitRows = n - negatives + keepNegatives;
  const x = new Float64Array(fitRows * q);
  const y = new Uint8Array(fitRows);
  const weights = new Float64Array(fitRows);
  let r0 = 0;
  let negative = 0;
  for (const snap of snapshots) {
    for (let r = 0; r < snap.labels.length; r++) {
      if (snap.labels[r] === 0) {
        const take = Math.floor(((negative + 1) * keepNegatives) / negatives) > Math.floor((negative * keepNegatives) / negatives);
        negative++;
        if (!take) continue;
      }
      y[r0] = snap.labels[r]!;
      weights[r0] = snap.labels[r] === 0 ? negativeWeight : 1;
      kept.forEach((j, c) => (x[r0 * q + c] = (filled(snap.x[r * p + j]!, fills[j]!) - stats[j]!.mean) / stats[j]!.sd));
      r0++;
    }
  }
  const fit = fitLogistic(x, y, q, negativeWeight === 1 ? { l2 } : { l2, weights });
  return {
    model: {
      intercept: fit.intercept,
      inputs: kept.map((j, c) => ({ key: PROPENSITY_INPUTS[j]!.key, transform: PROPENSITY_INPUTS[j]!.transform, fill: fills[j]!, mean: stats[j]!.mean, sd: stats[j]!.sd, coefficient: fit.coefficients[c]! })),
    },
    dropped,
  };
}

const filled = (v: number, fill: number) => (Number.isNaN(v) ? fill : v);

/** Predicted probabilities of a snapshot's rows. */
export function predictSnapshot(model: PropensityModel, snap: Snapshot): Float64Array {
  const p = PROPENSITY_INPUTS.length;
  const column = model.inputs.map((m) => PROPENSITY_INPUTS.findIndex((s) => s.key === m.key));
  const out = new Float64Array(snap.labels.length);
  for (let r = 0; r < out.length; r++) {
    let eta = model.intercept;
    model.inputs.forEach((m, c) => (eta += m.coefficient * ((filled(snap.x[r * p + column[c]!]!, m.fill) - m.mean) / m.sd)));
    out[r] = sigmoid(eta);
  }
  return out;
}

/**
 * Each input's contribution to one person's log-odds: coefficient × standardised value, from the
 * raw feature values as `featureValues` stores them (explain reads them back from the run).
 */
export function contributions(model: PropensityModel, raw: (key: string) => number | null): Array<{ key: string; value: number | null; contribution: number }> {
  return model.inputs.map((m) => {
    const value = raw(m.key);
    const spec: InputSpec = { key: m.key, transform: m.transform };
    const v = value === null ? Number.NaN : transform(spec, value);
    return { key: m.key, value, contribution: m.coefficient * ((filled(v, m.fill) - m.mean) / m.sd) };
  });
}

export function predictPropensity(input: PropensityInput, settings: PropensitySettings): PropensityOutcome {
  const fitted = fitAndValidate(input, settings);
  if (fitted.status === 'skipped') return fitted;
  // The past snapshots are gone by now (they lived in fitAndValidate): only today's is in memory.
  const now = pointInTimeSnapshot(input, input.referenceMs, null, { everyone: true });
  const scores = predictSnapshot(fitted.model, now);
  const ranks = percentileRanks(scores);
  const propensity = new Float64Array(input.rows).fill(Number.NaN);
  const leadScore = new Float64Array(input.rows).fill(Number.NaN);
  now.rows.forEach((row, r) => {
    propensity[row] = scores[r]!;
    leadScore[row] = ranks[r]!;
  });
  return { ...fitted, propensity, leadScore, scored: now.rows.length };
}

type Fitted = Omit<Extract<PropensityOutcome, { status: 'fitted' }>, 'propensity' | 'leadScore' | 'scored'>;

/** Training cutoff = reference − 2·horizon, validation cutoff = reference − horizon: the dates engagement must be folded at. */
export function propensityCutoffs(referenceMs: number, settings: Pick<PropensitySettings, 'horizonDays'>): { trainingCutoff: number; validationCutoff: number } {
  const horizonMs = settings.horizonDays * MS_PER_DAY;
  return { trainingCutoff: referenceMs - 2 * horizonMs, validationCutoff: referenceMs - horizonMs };
}

/** Fits at the training cutoff, validates at the later one, refits on both; or says why not. */
function fitAndValidate(input: PropensityInput, settings: PropensitySettings): Fitted | { status: 'skipped'; reason: string } {
  const { trainingCutoff, validationCutoff } = propensityCutoffs(input.referenceMs, settings);
  if (!input.events.measured.includes(1) || input.events.events === 0) {
    return { status: 'skipped', reason: 'no engagement events in the store: the propensity model learns from what people do (email, web, forms) before they buy. Pull a platform that provides them, or import an events file.' };
  }
  const training = pointInTimeSnapshot(input, trainingCutoff, validationCutoff);
  const trainingPositives = training.labels.reduce((s, v) => s + v, 0);
  const at = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  if (training.labels.length < settings.minPeople) {
    return { status: 'skipped', reason: `too little history: ${training.labels.length} people had never bought at the training cutoff ${at(trainingCutoff)} (reference − ${2 * settings.horizonDays} days); the model needs at least ${settings.minPeople} (segmentation.propensity.minPeople).` };
  }
  if (trainingPositives < settings.minPositives) {
    return { status: 'skipped', reason: `too little history: ${trainingPositives} people bought for the first time in the ${settings.horizonDays} days after the training cutoff ${at(trainingCutoff)}; the model needs at least ${settings.minPositives} (segmentation.propensity.minPositives).` };
  }
  const first = fitPropensity([training], settings.l2);
  const validation = pointInTimeSnapshot(input, validationCutoff, input.referenceMs);
  if (validation.labels.length < settings.minPeople) {
    return { status: 'skipped', reason: `too little history: ${validation.labels.length} people had never bought at the validation cutoff ${at(validationCutoff)} (reference − ${settings.horizonDays} days); the check needs at least ${settings.minPeople} (segmentation.propensity.minPeople).` };
  }
  const predicted = predictSnapshot(first.model, validation);
  const validationAuc = auc(predicted, validation.labels);
  const positives = validation.labels.reduce((s, v) => s + v, 0);
  if (!Number.isFinite(validationAuc)) {
    return { status: 'skipped', reason: `the validation AUC cannot be computed: at the validation cutoff ${at(validationCutoff)}, ${validation.labels.length} people had never bought and ${positives} of them bought in the next ${settings.horizonDays} days (it needs both buyers and non-buyers).` };
  }
  const byDecile = deciles(predicted, validation.labels);
  const final = fitPropensity([training, validation], settings.l2);
  return {
    status: 'fitted',
    horizonDays: settings.horizonDays,
    training: { cutoff: new Date(trainingCutoff).toISOString(), people: training.labels.length, positives: trainingPositives },
    validation: {
      cutoff: new Date(validationCutoff).toISOString(),
      people: validation.labels.length,
      positives,
      baseRate: positives / validation.labels.length,
      auc: validationAuc,
      topDecileLift: byDecile[0]!.lift,
      brier: brierScore(predicted, validation.labels),
      deciles: byDecile,
    },
    dropped: final.dropped,
    model: final.model,
  };
}
