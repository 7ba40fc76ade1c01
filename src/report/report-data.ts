/**
 * Everything `segsync report` draws, as plain JSON-able data. The pipeline builds it from the
 * latest segmentation run; the renderer turns it into one self-contained HTML file.
 */
import type { ReportMovement } from './movement-data.js';
import type { GroupCounts, Measure } from '../measure/lift.js';

export interface ReportSegment {
  key: string;
  name: string;
  /** rfm, rule or persona. */
  kind: string;
  size: number;
}

export interface ReportTrait {
  /** Feature key, e.g. "averageOrderValue". */
  feature: string;
  /** What a marketer reads, e.g. "average order value". */
  label: string;
  /** Standardized difference of the cluster from the population (cluster mean − population mean) / population sd. */
  z: number;
}

export interface ReportPersona {
  key: string;
  /** e.g. "High-value loyalists". */
  label: string;
  cluster: number;
  size: number;
  /** 0..1 of the clustered profiles. */
  share: number;
  /** Two sentences with real numbers. */
  narrative: string;
  /** Short token value, e.g. "buys every 3 weeks · 84 per order · last 12 days ago". */
  summary: string;
  traits: ReportTrait[];
  /** Feature key → median in this cluster (raw units: days, orders, money). */
  medians: Record<string, number | null>;
  /** DBSCAN's noise group: listed with the personas, but no cluster (not counted in k). */
  noise?: boolean;
}

export interface ReportScanRow {
  k: number;
  inertia: number | null;
  silhouette: number | null;
  daviesBouldin: number | null;
  calinskiHarabasz: number | null;
  dunn: number | null;
  bic: number | null;
  aic: number | null;
  /** Mean adjusted Rand index against bootstrap resamples (only computed for the chosen k). */
  stability: number | null;
}

export interface ReportPreparationStep {
  /** impute, cap, log, scale, one-hot, ... */
  step: string;
  column: string | null;
  /** One readable line, e.g. "capped 41 values above 1,630.5 (IQR × 1.5)". */
  detail: string;
}

/** The purchase models of one run (see src/segmentation/predict/), as the report draws them. */
export type ReportPredictions =
  | { status: 'skipped'; reason: string }
  | {
      status: 'fitted';
      /** days or weeks: the unit of t_x, T and α. */
      timeUnit: string;
      horizonMonths: number;
      monthlyDiscountRate: number;
      /** First purchase in the store to the reference date. */
      historyDays: number;
      bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number; customers: number; repeatBuyers: number };
      gammaGamma: { p: number; q: number; gamma: number; logLikelihood: number; customers: number } | null;
      /** Why there is no spend model and so no CLV (when gammaGamma is null). */
      gammaGammaSkipped?: string;
      spendFrequencyCorrelation: number | null;
      /** e.g. the spend/frequency correlation warning. */
      warnings: string[];
      /** Totals over all customers (people with at least one purchase). */
      /** meanPAlive is over repeat buyers only: one-time buyers have P(alive) 1 by construction. */
      totals: { customers: number; expectedPurchases90d: number; clv: number | null; meanPAlive: number };
      /** The model refitted up to calibrationEnd and compared with what happened after it. */
      holdout: {
        calibrationEnd: string;
        holdoutEnd: string;
        holdoutDays: number;
        customers: number;
        /** Repeat purchases of the calibration cohort per week; holdout = the week starts after calibrationEnd. */
        weekly: Array<{ weekStart: string; actual: number; expected: number; holdout: boolean }>;
        /** Mean holdout repeat purchases per customer, grouped by calibration repeat purchases ("0".."6", "7+"). */
        byFrequency: Array<{ x: string; customers: number; actual: number; expected: number }>;
        holdoutTotal: { actual: number; expected: number };
      } | null;
      /** Why there is no holdout check (history too short), when holdout is null. */
      holdoutSkipped?: string;
    };

/** The first-purchase propensity model of one run (src/segmentation/propensity/), as the report draws it. */
export type ReportPropensity =
  | { status: 'skipped'; reason: string }
  | {
      status: 'fitted';
      horizonDays: number;
      /** Fitted at the training cutoff, checked at the validation cutoff (the labels end at the reference date). */
      trainingCutoff: string;
      validationCutoff: string;
      validationPeople: number;
      validationPositives: number;
      baseRate: number;
      auc: number;
      topDecileLift: number | null;
      brier: number;
      /** Validation people by predicted propensity, highest tenth first. */
      deciles: Array<{ decile: number; people: number; predicted: number; actual: number; lift: number | null }>;
      /** People scored (never bought as of the reference date). */
      scored: number;
      /** The final model's coefficients on standardised inputs, largest first. */
      inputs: Array<{ feature: string; label: string; coefficient: number }>;
    };

/** One tenth of the customers by a forecast (1 = highest): its mean forecast and the mean of what happened. */
export interface ReportDecileComparison { decile: number; customers: number; predicted: number; actual: number }

/** One forecast against what happened, customer by customer (src/measure/forecast-accuracy.ts). */
export interface ReportForecastComparison {
  customers: number;
  deciles: ReportDecileComparison[];
  total: { predicted: number; actual: number };
  /** Total predicted ÷ total actual; null when nothing happened. */
  ratio: number | null;
  decileMeanAbsoluteError: number;
  /** Normalised Gini of the forecast ranking what happened; null when everyone did the same. */
  gini: number | null;
}

/** Did the forecasts come true: the purchase models at their holdout cutoff, the propensity model at its validation cutoff. */
export interface ReportForecastAccuracy {
  purchaseModels:
    | { status: 'off' }
    | { status: 'skipped'; reason: string }
    | {
        status: 'measured';
        cutoff: string;
        end: string;
        windowDays: number;
        customers: number;
        /** Over repeat buyers at the cutoff; `actual` = the share who bought again in the window (the stand-in for alive). */
        pAlive: { customers: number; boughtAgain: number; auc: number | null; gini: number | null; deciles: ReportDecileComparison[] };
        purchases: ReportForecastComparison;
        /** Expected spend (undiscounted) vs actual spend in the window. */
        spend: ReportForecastComparison | null;
        spendSkipped?: string;
      };
  firstPurchase:
    | { status: 'off' }
    | { status: 'skipped'; reason: string }
    | {
        status: 'measured'; cutoff: string; horizonDays: number; people: number; positives: number; auc: number; gini: number;
        deciles: Array<{ decile: number; people: number; predicted: number; actual: number; lift: number | null }>;
      };
}

/** The UMAP map beside PCA: a fixed-seed sample of clustered profiles, embedded when the report is made. */
export type ReportUmap =
  | { status: 'drawn'; points: Array<[number, number, number]>; sampleSize: number; neighbours: number; epochs: number; seed: number }
  | { status: 'skipped'; reason: string };

/** One named clustering other than customers (issue 13), drawn in a section of its own. */
export interface ReportOtherClustering {
  /** e.g. leads. */
  name: string;
  /** Why it did not run (when `clustering` is null). */
  clusteringSkipped?: string;
  preparation: ReportPreparationStep[];
  clustering: ReportData['clustering'];
}

/** One campaign's lift as the report shows it (see src/measure/lift.ts for the numbers). */
export interface ReportCampaign {
  name: string;
  segmentKey: string;
  segmentName: string;
  window: { start: string; end: string; elapsedDays: number; lengthDays: number; status: 'running' | 'ended' | 'stopped' };
  groups: Record<'treatment' | 'control', GroupCounts & {
    /** Conversion with its 95% Wilson interval, for the chart's bars. */
    conversion: number;
    conversionCi: [number, number];
  }>;
  /** null when there is not enough data (see `notEnoughData`). */
  measures: Measure[] | null;
  mde: { absolute: number; relative: number | null; baseline: number } | null;
  notEnoughData: { reasons: string[]; fixes: string[] } | null;
}

export type ReportCampaigns = { status: 'measured'; campaigns: ReportCampaign[] } | { status: 'unmeasurable'; reason: string };

export interface ReportData {
  title: string;
  generatedAt: string;
  referenceDate: string;
  profiles: number;
  segments: ReportSegment[];
  /** rfGrid[r - 1][f - 1] = profiles with that R and F score (5 × 5). */
  rfGrid: number[][];
  preparation: ReportPreparationStep[];
  /** Why this run has no clustering (when `clustering` is null). */
  clusteringSkipped?: string;
  clustering: {
    algorithm: string;
    chosenK: number;
    /** How k was chosen, e.g. "highest silhouette among k = 2..10". */
    selection: string;
    /** Silhouette computed on every clustered profile (true) or on a fixed-seed sample (false). */
    silhouetteExact: boolean;
    silhouetteSampleSize: number;
    clusteredProfiles: number;
    /** Who was clustered, e.g. "population auto: everyone, as no profile has purchases" (absent for runs from before populations). */
    population?: string;
    scan: ReportScanRow[];
    pca: {
      /** Share of variance explained by PC1 and PC2. */
      explainedVariance: [number, number];
      loadings: Array<{ feature: string; pc1: number; pc2: number }>;
      /** [x, y, cluster], at most a few thousand points (a fixed-seed sample). */
      points: Array<[number, number, number]>;
    };
    /** [x, y, cluster] per sampled profile; absent in data built before the UMAP map. */
    umap?: ReportUmap;
    personas: ReportPersona[];
  } | null;
  /** Null for runs made before predictions existed. */
  predictions: ReportPredictions | null;
  /** Null or absent for runs made before the propensity model existed, or with it switched off. */
  propensity?: ReportPropensity | null;
  /** Absent for data built before forecasts were checked; null when neither the purchase models nor the propensity model ran. */
  forecastAccuracy?: ReportForecastAccuracy | null;
  /** The named clusterings other than customers (absent for runs before them); `clustering` above is the customers one. */
  otherClusterings?: ReportOtherClustering[];
  /** Segment sizes over runs and the RFM transition matrix (absent in data built before movement). */
  movement?: ReportMovement;
  /** Campaigns and their lift; absent when there are none. */
  campaigns?: ReportCampaigns;
}
