/**
 * Finds the customer groups nobody defined: features → preparation → clustering (k scanned and
 * validated) → PCA → personas. Pure: a FeatureSet and the config in, everything that was done and
 * found out.
 *
 * Who is clustered: segmentation.clustering.population (choosePopulation). auto clusters the
 * buyers when the store has purchases (prospects have no purchase behaviour to group by; they stay
 * in the RFM "Prospects" segment), and everyone when it has none, so a contacts-only store is
 * clustered on its attributes. A skip names the cause and the setting that fixes it.
 *
 * k: auto fits every k of the range and keeps the highest silhouette (ties: the smaller k); the
 * inertia (elbow), Davies–Bouldin, Calinski–Harabasz, Dunn and BIC/AIC of every k are reported
 * beside it. For k-means and Ward the BIC is that of a spherical Gaussian mixture with one shared
 * variance fitted to the partition (the X-means criterion, Pelleg & Moore 2000); for the Gaussian
 * mixture it is the mixture's own. Stability (bootstrap ARI) is computed for the chosen k only.
 * DBSCAN has no k: eps comes from the k-distance knee unless configured.
 */
import type { ClusteringSettings } from './clustering-config.js';
import type { FeatureSet, NumberFeature } from './features.js';
import { attributeNumber, FEATURE_CATALOGUE, interestNumber } from './features.js';
import { INTEREST_KEY } from './interests.js';
import { selectRows, type Matrix } from './matrix.js';
import {
  bootstrapStability,
  calinskiHarabasz,
  clusterSizes,
  daviesBouldin,
  dunnIndex,
  silhouette,
  withinClusterSumOfSquares,
  type SampledMetric,
  type StabilityResult,
} from './metrics.js';
import { pca2d, type PcaResult } from './pca.js';
import { describePersonas, type Persona } from './personas.js';
import { prepareFeatures, type FeatureTable, type PreparedMatrix } from './preparation.js';
import { kmeansFit } from './cluster/kmeans.js';
import { dbscan, suggestEps } from './cluster/dbscan.js';
import { wardCluster } from './cluster/hierarchical.js';
import { gmmFit } from './cluster/gmm.js';
import { labelMeans } from './cluster/types.js';
import { plural } from '../domain/text.js';
import { describeRule, evaluateRule, type Rule } from './rules.js';

export interface ScanRow {
  k: number;
  inertia: number;
  silhouette: number;
  daviesBouldin: number;
  calinskiHarabasz: number;
  dunn: number;
  bic: number | null;
  aic: number | null;
}

export interface ClusteringMetrics {
  silhouette: SampledMetric;
  dunn: SampledMetric;
  daviesBouldin: number;
  calinskiHarabasz: number;
  inertia: number;
  bic: number | null;
  aic: number | null;
  stability: StabilityResult | null;
}

export interface Clustered {
  status: 'clustered';
  algorithm: ClusteringSettings['algorithm'];
  /** Clusters found; DBSCAN's noise group is not one of them (see `dbscan.noise`). */
  k: number;
  /** How k was chosen, in words. */
  selection: string;
  /** Who was clustered (segmentation.clustering.population, auto resolved). */
  population: { kind: PopulationKind; description: string };
  /** Profile rows that were clustered (the population's members), ascending. */
  rows: Int32Array;
  /** Cluster of each clustered row (0..k-1; for DBSCAN the noise group is label k, after the clusters). */
  labels: Int32Array;
  prepared: PreparedMatrix;
  /** k × columns, in prepared units: the mean of each cluster. */
  centres: Matrix;
  /** Euclidean distance of each clustered row to its own centre, to the nearest other centre, and which. */
  centreDistance: Float64Array;
  nextCentreDistance: Float64Array;
  nextCluster: Int32Array;
  scan: ScanRow[];
  /** The labels of every k tried (so an export can reproduce the whole scan). */
  scanLabels: Map<number, Int32Array>;
  metrics: ClusteringMetrics;
  pca: PcaResult;
  personas: Persona[];
  /** DBSCAN only: the eps used and whether it was suggested, the noise label (= k) and how many points are noise. */
  dbscan?: { eps: number; suggested: boolean; minPts: number; noiseLabel: number | null; noise: number };
}

export interface NotClustered {
  status: 'skipped';
  reason: string;
}

export type ClusteringOutcome = Clustered | NotClustered;

/** Features that are non-negative and right-skewed (days, counts, money): candidates for log1p. */
const SKEWED_UNITS = new Set(['days', 'orders', 'money']);

function isSkewedCandidate(key: string): boolean {
  const unit = FEATURE_CATALOGUE.find((f) => f.key === key)?.unit;
  return unit !== undefined && SKEWED_UNITS.has(unit);
}

function numericColumn(features: FeatureSet, key: string, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  if (INTEREST_KEY.test(key)) {
    for (let j = 0; j < rows.length; j++) out[j] = interestNumber(features, key, rows[j]!);
    return out;
  }
  if (key.startsWith('attributes.')) {
    const column = features.attributes.get(key.slice('attributes.'.length));
    for (let j = 0; j < rows.length; j++) {
      out[j] = attributeNumber(column?.[rows[j]!]);
    }
    return out;
  }
  const column = features.numbers[key as NumberFeature];
  for (let j = 0; j < rows.length; j++) out[j] = column[rows[j]!]!;
  return out;
}

function categoryColumn(features: FeatureSet, key: string, rows: Int32Array): Array<string | null> {
  const column = key.startsWith('attributes.')
    ? features.attributes.get(key.slice('attributes.'.length))
    : features.categories[key as keyof FeatureSet['categories']];
  return Array.from(rows, (i) => {
    const v = column?.[i];
    return v === undefined || v === null || v === '' ? null : String(v);
  });
}

export function featureTable(features: FeatureSet, settings: ClusteringSettings, rows: Int32Array): FeatureTable {
  return {
    rows: rows.length,
    numeric: settings.features.map((key) => ({ key, values: numericColumn(features, key, rows), skewed: isSkewedCandidate(key) })),
    categorical: settings.categorical.map((key) => ({ key, values: categoryColumn(features, key, rows) })),
  };
}

/**
 * BIC and AIC of a hard partition under a spherical Gaussian mixture with one shared variance
 * (X-means): σ² = WCSS / (n·d), weights n_c / n,
 * ln L = Σ n_c ln(n_c / n) − (n·d / 2)·ln(2π σ²) − n·d / 2, parameters k·d + 1 + (k − 1).
 */
export function sphericalCriteria(wcss: number, sizes: ArrayLike<number>, d: number): { bic: number; aic: number } {
  let n = 0;
  for (let c = 0; c < sizes.length; c++) n += sizes[c]!;
  const k = sizes.length;
  const variance = Math.max(wcss / (n * d), Number.MIN_VALUE);
  let logL = -(n * d / 2) * Math.log(2 * Math.PI * variance) - (n * d) / 2;
  for (let c = 0; c < k; c++) if (sizes[c]! > 0) logL += sizes[c]! * Math.log(sizes[c]! / n);
  const p = k * d + 1 + (k - 1);
  return { bic: p * Math.log(n) - 2 * logL, aic: 2 * p - 2 * logL };
}

interface Fit {
  labels: Int32Array;
  k: number;
  bic: number | null;
  aic: number | null;
}

function fitter(settings: ClusteringSettings): (data: Matrix, k: number) => Fit {
  const seed = settings.seed;
  switch (settings.algorithm) {
    case 'kmeans':
      return (data, k) => {
        const fit = kmeansFit(data, k, { restarts: settings.restarts, seed });
        return { labels: fit.labels, k, ...sphericalCriteria(fit.inertia, clusterSizes(fit.labels, k), data.cols) };
      };
    case 'ward':
      return (data, k) => {
        const fit = wardCluster(data, k, { seed });
        return { labels: fit.labels, k, ...sphericalCriteria(withinClusterSumOfSquares(data, fit.labels), clusterSizes(fit.labels, k), data.cols) };
      };
    case 'gmm':
      return (data, k) => {
        const fit = gmmFit(data, k, { covariance: settings.covariance, seed });
        return { labels: fit.labels, k, bic: fit.bic, aic: fit.aic };
      };
    case 'dbscan':
      throw new Error('dbscan has no k');
  }
}

function scanRow(data: Matrix, fit: Fit, seed: number): ScanRow & { silhouetteMetric: SampledMetric; dunnMetric: SampledMetric } {
  const s = silhouette(data, fit.labels, { seed });
  const dunn = dunnIndex(data, fit.labels, { seed });
  return {
    k: fit.k,
    inertia: withinClusterSumOfSquares(data, fit.labels),
    silhouette: s.value,
    daviesBouldin: daviesBouldin(data, fit.labels),
    calinskiHarabasz: calinskiHarabasz(data, fit.labels),
    dunn: dunn.value,
    bic: fit.bic,
    aic: fit.aic,
    silhouetteMetric: s,
    dunnMetric: dunn,
  };
}

export function clusterProfiles(
  features: FeatureSet,
  settings: ClusteringSettings,
  options: { currency: string; horizonMonths?: number; /** Where the settings live, for messages (segmentation.clusterings.leads). */ path?: string },
): ClusteringOutcome {
  const { path: at = 'segmentation.clustering', ...personaOptions } = options;
  if (!settings.enabled) return { status: 'skipped', reason: `clustering is switched off (${at}.enabled: false)` };
  const population = choosePopulation(features, settings, at);
  if ('reason' in population) return { status: 'skipped', reason: population.reason };
  const who = population.noun;
  let rows = population.rows;
  const p = settings.preparation;
  const prepared = prepareFeatures(featureTable(features, settings, rows), {
    impute: p.impute,
    outliers: { method: p.outliers.method, ...(p.outliers.factor === undefined ? {} : { factor: p.outliers.factor }) },
    log: p.log,
    scaling: p.scaling,
    oneHot: p.oneHot,
  });
  if (prepared.matrix.cols === 0) return { status: 'skipped', reason: `every clustering feature is missing for every ${who.one}; choose other ${at}.features` };
  // With imputation off, a member with a missing value cannot be placed: leave them out, and say so.
  const complete = completeRows(prepared.matrix);
  if (complete.length < prepared.matrix.rows) {
    const dropped = prepared.matrix.rows - complete.length;
    prepared.steps.push({ step: 'drop', column: null, detail: `${plural(dropped, who.one, who.many)} with a missing value ${dropped === 1 ? 'was' : 'were'} not clustered (preparation.impute is off)`, count: dropped });
    prepared.matrix = selectRows(prepared.matrix, complete);
    rows = Int32Array.from(complete, (j) => rows[j]!);
    if (rows.length < settings.minProfiles) {
      return { status: 'skipped', reason: `only ${plural(rows.length, who.one, who.many)} ${rows.length === 1 ? 'has' : 'have'} every clustering feature (impute is off); clustering needs at least ${settings.minProfiles} (${at}.minProfiles)` };
    }
  }
  const data = prepared.matrix;
  if (!varies(data)) return { status: 'skipped', reason: `every ${who.one} has the same values in the clustering features; there is nothing to group by` };

  let labels: Int32Array;
  let k: number;
  /** Label groups: the k clusters, and DBSCAN's noise group when there is one. */
  let groups: number;
  let selection: string;
  const scanLabels = new Map<number, Int32Array>();
  let scan: Array<ReturnType<typeof scanRow>>;
  let stability: StabilityResult | null = null;
  let dbscanInfo: Clustered['dbscan'];
  if (settings.algorithm === 'dbscan') {
    const minPts = settings.dbscan.minPts ?? Math.max(4, 2 * data.cols);
    const suggested = settings.dbscan.eps === undefined;
    const eps = settings.dbscan.eps ?? suggestEps(data, minPts, { seed: settings.seed }).eps;
    const result = dbscan(data, { eps, minPts, seed: settings.seed });
    labels = result.labels;
    // k counts clusters only: the noise group is reported as noise (its size), never as a cluster.
    k = result.clusters;
    groups = k + (result.noiseLabel === null ? 0 : 1);
    selection = `DBSCAN with eps ${eps.toPrecision(3)}${suggested ? ' (the knee of the k-distance curve)' : ''} and minPts ${minPts}: ${plural(result.clusters, 'cluster')} and ${plural(result.noise, 'noise point')} (noise is not a cluster: it is listed as its own group, and the silhouette and other scores are computed over the clustered points only)`;
    dbscanInfo = { eps, suggested, minPts, noiseLabel: result.noiseLabel, noise: result.noise };
    if (k < 2) return { status: 'skipped', reason: `DBSCAN found ${plural(result.clusters, 'cluster')}${result.noise > 0 ? ` and ${plural(result.noise, 'noise point')}` : ''} with eps ${eps.toPrecision(3)}; set ${at}.dbscan.eps` };
    try {
      const clustered = result.noiseLabel === null ? null : Int32Array.from(labels.keys()).filter((j) => labels[j] !== result.noiseLabel);
      scan = [scanRow(clustered ? selectRows(data, clustered) : data, { labels: clustered ? Int32Array.from(clustered, (j) => labels[j]!) : labels, k, bic: null, aic: null }, settings.seed)];
      scanLabels.set(k, labels);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      return { status: 'skipped', reason: `DBSCAN's groups cannot be validated (${error.message}); set ${at}.dbscan.eps` };
    }
    if (settings.stabilityResamples > 0) stability = stabilityOf(() => bootstrapStability(data, labels, (sample) => dbscan(sample, { eps, minPts, seed: settings.seed }).labels, { resamples: settings.stabilityResamples, seed: settings.seed }));
  } else {
    const fit = fitter(settings);
    const [lo, hi] = settings.k === 'auto' ? settings.kRange : [settings.k, settings.k];
    const top = Math.min(hi, data.rows - 1);
    if (top < lo) return { status: 'skipped', reason: `${plural(data.rows, who.one, who.many)} ${data.rows === 1 ? 'is' : 'are'} too few for k = ${lo}` };
    scan = [];
    let best: { fit: Fit; silhouette: number } | undefined;
    let stoppedAt: { k: number; why: string } | undefined;
    const degenerate: number[] = [];
    for (let kk = lo; kk <= top; kk++) {
      // Too few distinct members for this many clusters (the algorithms and metrics refuse with a
      // RangeError): larger k cannot do better, so the scan ends here.
      let row: ReturnType<typeof scanRow>;
      let f: Fit;
      try {
        f = fit(data, kk);
        // A mixture component (or any cluster) left empty is not a k-cluster solution.
        if (countLabels(f.labels) < kk) {
          degenerate.push(kk);
          continue;
        }
        row = scanRow(data, f, settings.seed);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        stoppedAt = { k: kk, why: error.message };
        break;
      }
      scan.push(row);
      scanLabels.set(kk, f.labels);
      if (!best || row.silhouette > best.silhouette) best = { fit: f, silhouette: row.silhouette };
    }
    if (!best) return { status: 'skipped', reason: `the ${who.many} cannot be split into ${lo} clusters (${stoppedAt?.why ?? 'no k to try'})` };
    labels = best.fit.labels;
    k = best.fit.k;
    groups = k;
    const last = scan.at(-1)!.k;
    selection = settings.k === 'auto' ? `highest silhouette among k = ${lo}..${last}` : `k = ${k} as configured`;
    if (degenerate.length > 0) selection += `; k = ${degenerate.join(', ')} left a cluster empty and ${degenerate.length === 1 ? 'was' : 'were'} not considered`;
    if (stoppedAt && settings.k === 'auto') selection += `; k = ${stoppedAt.k} and above not possible: too few distinct ${who.many}`;
    if (settings.stabilityResamples > 0) stability = stabilityOf(() => bootstrapStability(data, labels, (sample) => fit(sample, k).labels, { resamples: settings.stabilityResamples, seed: settings.seed }));
  }

  const chosen = scan.find((r) => r.k === k) ?? scan[0]!;
  const centres = labelMeans(data, labels, groups);
  const centreDistance = new Float64Array(data.rows);
  const nextCentreDistance = new Float64Array(data.rows);
  const nextCluster = new Int32Array(data.rows);
  for (let j = 0; j < data.rows; j++) {
    const own = labels[j]!;
    centreDistance[j] = Math.sqrt(squaredTo(data, j, centres, own));
    let bestOther = Infinity;
    let which = -1;
    for (let c = 0; c < groups; c++) {
      if (c === own) continue;
      const d = squaredTo(data, j, centres, c);
      if (d < bestOther) {
        bestOther = d;
        which = c;
      }
    }
    nextCentreDistance[j] = Math.sqrt(bestOther);
    nextCluster[j] = which;
  }

  const personas = describePersonas(features, rows, labels, groups, {
    ...personaOptions,
    noiseLabel: dbscanInfo?.noiseLabel ?? null,
    clusteredOn: { numeric: settings.features, categorical: settings.categorical },
  });
  return {
    status: 'clustered',
    algorithm: settings.algorithm,
    k,
    selection,
    population: { kind: population.kind, description: population.description },
    rows,
    labels,
    prepared,
    centres,
    centreDistance,
    nextCentreDistance,
    nextCluster,
    scan: scan.map(({ silhouetteMetric: _s, dunnMetric: _d, ...row }) => row),
    scanLabels,
    metrics: {
      silhouette: chosen.silhouetteMetric,
      dunn: chosen.dunnMetric,
      daviesBouldin: chosen.daviesBouldin,
      calinskiHarabasz: chosen.calinskiHarabasz,
      inertia: chosen.inertia,
      bic: chosen.bic,
      aic: chosen.aic,
      stability,
    },
    pca: pca2d(data, prepared.columns),
    personas,
    ...(dbscanInfo ? { dbscan: dbscanInfo } : {}),
  };
}

/**
 * Features that only purchases give a value (missing, or 0, for a person who never bought).
 * Clustering people without purchases on these alone groups nothing.
 */
const PURCHASE_FEATURES: ReadonlySet<string> = new Set([
  'recencyDays', 'frequency', 'monetary', 'r', 'f', 'm', 'daysSinceLastPurchase', 'daysSinceFirstPurchase', 'lifetimeFrequency',
  'lifetimeMonetary', 'averageOrderValue', 'meanDaysBetweenPurchases', 'spendTrend', 'pAlive', 'churnRisk', 'expectedPurchases90d',
  'expectedOrderValue', 'clv', 'daysToNextPurchase',
]);

export type PopulationKind = 'buyers' | 'prospects' | 'everyone' | 'rule';

export interface PopulationChoice {
  /** What was clustered: auto resolves to buyers or everyone. */
  kind: PopulationKind;
  /** In words ("population auto: everyone, as no profile has purchases"). */
  description: string;
  rows: Int32Array;
  /** How messages name one member and several. */
  noun: { one: string; many: string };
}

const NOUNS: Record<PopulationKind, { one: string; many: string }> = {
  buyers: { one: 'buyer', many: 'buyers' },
  prospects: { one: 'prospect', many: 'prospects' },
  everyone: { one: 'profile', many: 'profiles' },
  rule: { one: 'profile of the population', many: 'profiles of the population' },
};

/** Numeric attributes of the store (a value reads as a number somewhere), as a hint for the fix. */
function numericAttributes(features: FeatureSet): string[] {
  const names: string[] = [];
  for (const [name, column] of features.attributes) {
    for (let i = 0; i < features.rows; i++) {
      if (!Number.isNaN(attributeNumber(column[i]))) {
        names.push(`attributes.${name}`);
        break;
      }
    }
  }
  return names.sort();
}

/** The profiles segmentation.clustering(s).population names, or why there are not enough of them to cluster. */
export function choosePopulation(features: FeatureSet, settings: ClusteringSettings, at = 'segmentation.clustering'): PopulationChoice | { reason: string } {
  const bought = (i: number) => features.numbers.lifetimeFrequency[i]! > 0;
  let buyers = 0;
  for (let i = 0; i < features.rows; i++) if (bought(i)) buyers++;
  const setting = settings.population;
  const kind: PopulationKind = setting === 'auto' ? (buyers > 0 ? 'buyers' : 'everyone') : typeof setting === 'string' ? setting : 'rule';
  const member: (i: number) => boolean =
    kind === 'buyers' ? bought
    : kind === 'prospects' ? (i) => !bought(i)
    : typeof setting === 'object' ? (i) => evaluateRule(setting, features, i)
    : () => true;
  const picked: number[] = [];
  let buyersIn = 0;
  for (let i = 0; i < features.rows; i++) {
    if (!member(i)) continue;
    picked.push(i);
    if (bought(i)) buyersIn++;
  }
  const description =
    setting === 'auto' ? `population auto: ${buyers > 0 ? 'buyers, as the store has purchases' : 'everyone, as no profile has purchases'}`
    : typeof setting === 'object' ? `population: ${describeRule(setting)}`
    : `population: ${setting}`;
  const attributes = numericAttributes(features);
  const attributeHint = attributes.length > 0 ? ` (numeric attributes here: ${attributes.slice(0, 6).join(', ')}${attributes.length > 6 ? ', …' : ''})` : '';

  const purchaseOnly = settings.categorical.length === 0 && settings.features.every((f) => PURCHASE_FEATURES.has(f));
  if (picked.length > 0 && buyersIn === 0 && purchaseOnly) {
    const whoHasNone = buyers === 0 ? 'no profile has purchases'
      : kind === 'rule' ? `none of the ${plural(picked.length, 'profile')} matching the population rule (${describeRule(setting as Rule)}) has purchases`
      : `none of the ${plural(picked.length, 'prospect')} has purchases`;
    const orPopulation = buyers === 0 ? '' : `, or ${at}.population: buyers`;
    return {
      reason: `${whoHasNone}; the clustering features ${settings.features.join(', ')} need purchases: set ${at}.features to attributes.<name>${attributeHint} or other features every person has${orPopulation}`,
    };
  }
  if (picked.length < settings.minProfiles) {
    const count =
      kind === 'buyers' ? `only ${plural(picked.length, 'profile')} ${picked.length === 1 ? 'has' : 'have'} purchases`
      : kind === 'prospects' ? `only ${plural(picked.length, 'profile')} ${picked.length === 1 ? 'has' : 'have'} no purchase`
      : kind === 'everyone' ? `only ${plural(picked.length, 'profile')} in the store`
      : `only ${plural(picked.length, 'profile')} ${picked.length === 1 ? 'matches' : 'match'} the population rule (${describeRule(setting as Rule)})`;
    const clusters = setting === 'auto' ? `clustering (population auto: ${kind})` : `clustering (population: ${kind})`;
    // Pointing at minProfiles alone cannot help when a wider population exists: name it.
    const wider = kind !== 'everyone' && features.rows >= settings.minProfiles
      ? `; to cluster all ${plural(features.rows, 'profile')}, set ${at}.population: everyone` +
        (purchaseOnly ? `, with features every person has, like attributes.<name>${attributeHint}` : '')
      : '';
    return { reason: `${count}; ${clusters} needs at least ${settings.minProfiles} (${at}.minProfiles)${wider}` };
  }
  const need = settings.minFeatures;
  if (need > 0) {
    // People the platforms know (almost) nothing about would be grouped on imputed medians: leave them out.
    const columns = settings.features.map((key) => numericColumn(features, key, Int32Array.from(picked)));
    const kept = picked.filter((_, j) => columns.reduce((n, column) => n + (Number.isNaN(column[j]!) ? 0 : 1), 0) >= need);
    const noun = NOUNS[kind];
    const left = picked.length - kept.length;
    if (kept.length < settings.minProfiles) {
      return {
        reason: `only ${kept.length} of the ${plural(picked.length, noun.one, noun.many)} ${kept.length === 1 ? 'has' : 'have'} at least ${need} of the clustering features (${settings.features.join(', ')}); ` +
          `the clustering needs at least ${settings.minProfiles} (${at}.minProfiles, ${at}.minFeatures)`,
      };
    }
    const leftOut = left === 0 ? '' : `; ${plural(left, noun.one, noun.many)} with fewer than ${need} of the clustering features ${left === 1 ? 'was' : 'were'} left out`;
    return { kind, description: `${description}${leftOut}`, rows: Int32Array.from(kept), noun };
  }
  return { kind, description, rows: Int32Array.from(picked), noun: NOUNS[kind] };
}

/** Indices of the rows without a NaN. */
function completeRows(m: Matrix): Int32Array {
  const keep: number[] = [];
  for (let j = 0; j < m.rows; j++) {
    let ok = true;
    for (let c = 0; c < m.cols && ok; c++) ok = !Number.isNaN(m.data[j * m.cols + c]!);
    if (ok) keep.push(j);
  }
  return Int32Array.from(keep);
}

/** False when every row is the same point. */
function varies(m: Matrix): boolean {
  for (let j = 1; j < m.rows; j++) {
    for (let c = 0; c < m.cols; c++) if (m.data[j * m.cols + c] !== m.data[c]) return true;
  }
  return false;
}

function countLabels(labels: Int32Array): number {
  return new Set(labels).size;
}

/** A resample with too few distinct rows for k clusters has no stability to report (null), not an error. */
function stabilityOf(compute: () => StabilityResult): StabilityResult | null {
  try {
    return compute();
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

function squaredTo(data: Matrix, row: number, centres: Matrix, c: number): number {
  let sum = 0;
  for (let j = 0; j < data.cols; j++) {
    const diff = data.data[row * data.cols + j]! - centres.data[c * centres.cols + j]!;
    sum += diff * diff;
  }
  return sum;
}

