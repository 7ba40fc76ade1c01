import type { Db } from '../store/db.js';
import { nowIso } from '../store/db.js';
import { Profiles } from '../store/profiles.js';
import { latestPersonaSummaries, latestPersonaSummaryFigures, writeSegmentationRun, type Memberships, type ProfileFeatureRow, type ProfileRfmRow } from '../store/segmentation-runs.js';
import type { Workspace } from '../config/workspace.js';
import type { SegmentDefinition } from '../domain/segments.js';
import { computeRfm, MS_PER_DAY, RFM_STATUS_LOST, RFM_STATUS_SCORED, type PurchaseColumns } from '../segmentation/rfm.js';
import type { EngagementSummary } from '../segmentation/engagement-windows.js';
import type { InterestInputs } from '../segmentation/interests.js';
import { describeRule, evaluateRule } from '../segmentation/rules.js';
import { computeFeatures, DATE_FEATURES, groupPurchases, NUMBER_FEATURES, CATEGORY_FEATURES, type FeatureSet } from '../segmentation/features.js';
import { clusterProfiles, type ClusteringOutcome, type ScanRow } from '../segmentation/clustering.js';
import { loadProfileAttributes } from './profile-attributes.js';
import { loadInterestInputs } from './interest-inputs.js';
import { clusteringPersonaKey, CUSTOMERS, NOISE_LABEL_PEOPLE, personaNamePrefix, type Persona } from '../segmentation/personas.js';
import { namedClusterings } from '../segmentation/clustering-config.js';
import { rawSummaryFigures, stableFigures, summaryText, SummaryFiguresSchema } from '../segmentation/persona-summary.js';
import { clusteringRecord, type ClusteringRecord } from './clustering-record.js';
import type { ProfileClusterRow } from '../store/segmentation-runs.js';
import { applyPredictions, emptyPredictionTokens, predictCustomers, predictionTokens } from '../segmentation/predict/index.js';
import { predictionRecord, type PredictionRecord } from './prediction-record.js';
import { loadEngagement } from './engagement-loader.js';
import { float64s, int32s } from '../store/growable.js';
import { emptyPropensityTokens, predictPropensity, propensityCutoffs, propensityTokens } from '../segmentation/propensity/index.js';
import { propensityRecord, propensitySummary, type PropensitySummary } from './propensity-record.js';
import { forecastAccuracyOf } from '../measure/forecast-accuracy.js';
import { forecastAccuracySummary, type ForecastAccuracySummary } from './forecast-accuracy-record.js';
import { prepareExportDir, writeExport } from './export.js';
import { holdSegmentationForTest } from './segmentation-hold.js';
import { parseStrictDate } from '../domain/dates.js';
import { currencyConverter } from './currency.js';
import { unknownAttributeWarnings } from './rule-attributes.js';
import { controlGroupsOn } from '../measure/control-groups.js';
import { groupTokenFor, unknownControlSegmentWarnings } from '../measure/group-token.js';
import { controlGroupSalt } from '../store/store-settings.js';
import { unsubscribedProfileIds } from '../store/consent.js';
import {
  assignRfmSegments,
  DEFAULT_RFM_SEGMENTS,
  LOST_SEGMENT,
  PROSPECTS_SEGMENT,
  rfmScoreString,
} from '../segmentation/rfm-segments.js';

export interface SegmentSummary {
  runId: number;
  referenceDate: string;
  windowDays: number;
  profiles: number;
  purchasesUsed: number;
  segments: Array<{ key: string; name: string; kind: string; size: number }>;
  entered: number;
  left: number;
  /** The customers clustering (segmentation.clustering): as before named clusterings, for readers of that shape. */
  clustering: ClusteringSummary;
  /** Every clustering of the run, customers first: its name and what it found (or why it was skipped). */
  clusterings: Array<{ name: string } & ClusteringSummary>;
  /** The purchase models: fits and totals (the weekly holdout series stays in the store, for the report). */
  predictions: PredictionSummary;
  /** The first-purchase propensity model: validation figures, or why it was skipped. */
  propensity: PropensitySummary;
  /** Did the forecasts come true: the purchase models at their holdout cutoff and the propensity model at its validation cutoff, against what happened. */
  forecastAccuracy: ForecastAccuracySummary;
  exported?: { dir: string; files: string[] };
  /** What may make a segment wrong without failing the run: a rule reading an attribute no contact has. */
  warnings: string[];
}

export type PredictionSummary =
  | Exclude<PredictionRecord, { status: 'fitted' }>
  | (Omit<Extract<PredictionRecord, { status: 'fitted' }>, 'holdout' | 'forecastAccuracy'> & {
      holdout: { calibrationEnd: string; holdoutEnd: string; actual: number; expected: number } | null;
    });

export type ClusteringSummary =
  | { status: 'skipped'; reason: string }
  | {
      status: 'clustered';
      algorithm: string;
      /** Clusters found; DBSCAN's noise group is not counted (see `noise`). */
      k: number;
      /** DBSCAN: how many clustered profiles are noise (the scores leave them out); null for the other algorithms. */
      noise: number | null;
      selection: string;
      /** Who was clustered: buyers, prospects, everyone or rule, in words with why. */
      population: { kind: string; description: string };
      clusteredProfiles: number;
      silhouette: number;
      silhouetteExact: boolean;
      daviesBouldin: number;
      calinskiHarabasz: number;
      dunn: number;
      stability: number | null;
      scan: ScanRow[];
      /** What preparation did, one readable line per step. */
      preparation: string[];
      /** `typical`: the median member in the clustering's own features when they are not purchase behaviour ('' otherwise). */
      personas: Array<{ key: string; label: string; size: number; share: number; noise: boolean; summary: string; typical: string }>;
    };

export function rfmSegmentDefinitions(workspace: Workspace): SegmentDefinition[] {
  const rules = workspace.segmentation.rfmSegments ?? DEFAULT_RFM_SEGMENTS;
  const defs = new Map<string, SegmentDefinition>();
  for (const rule of rules) {
    if (!defs.has(rule.key)) {
      defs.set(rule.key, { key: rule.key, name: rule.name, kind: 'rfm', description: `RFM: R and F scores matching ${rule.pattern}` });
    }
  }
  defs.set(LOST_SEGMENT.key, { ...LOST_SEGMENT, kind: 'rfm', description: 'Bought before, but nothing inside the RFM window' });
  defs.set(PROSPECTS_SEGMENT.key, { ...PROSPECTS_SEGMENT, kind: 'rfm', description: 'Never bought' });
  return [...defs.values()];
}

/**
 * Resolves profiles, scores RFM over every live profile, and writes one segmentation run
 * (memberships with history, RFM values, tokens) in one transaction.
 */
export interface SegmentOptions {
  now?: number;
  /** Write the analyst export (see export.ts) to this directory. */
  exportDir?: string;
  /** Called as each stage ends, with its name (bench/segment-everyone.ts times them). */
  onStage?: (stage: string) => void;
}

export function runSegmentation(db: Db, workspace: Workspace, options: SegmentOptions = {}): SegmentSummary {
  const now = options.now ?? Date.now();
  if (options.exportDir) prepareExportDir(options.exportDir);
  const profiles = new Profiles(db);
  const stage = options.onStage ?? (() => undefined);
  profiles.resolve();
  const profileIds = profiles.liveProfileIds();
  stage('resolve profiles');
  const indexOf = new Map(profileIds.map((id, i) => [id, i]));
  const convert = currencyConverter(db, workspace);

  const referenceMs = workspace.segmentation.referenceDate ? parseStrictDate(workspace.segmentation.referenceDate) : now;
  const windowDays = workspace.segmentation.windowDays;
  const predictionSettings = workspace.segmentation.predictions;
  // What only the scoring needs (purchase rows, engagement, ...) lives in scoreProfiles and is let
  // go when it returns: a million people's clustering then has that memory back.
  const { features, rfm, keys, predictions, forecastAccuracy, propensity, propensityStored, purchasesUsed } = scoreProfiles(db, workspace, profileIds, indexOf, convert, referenceMs, stage);
  const outlook = predictions?.status === 'fitted' ? { horizonMonths: predictionSettings.horizonMonths } : {};
  const runs = runClusterings(features, workspace, { currency: workspace.currency?.base ?? '', ...outlook });
  stage('clusterings and personas');
  const customersRun = runs.find((r) => r.name === CUSTOMERS);
  const clustering: ClusteringOutcome = customersRun?.outcome ?? { status: 'skipped', reason: NO_CUSTOMERS_CLUSTERING };
  // Profile row → row in the customers clustering (-1: not in it); typed, a million people's Maps would not be.
  const clusterRowOf = rowIndex(profileIds.length, clustering.status === 'clustered' ? clustering.rows : undefined);
  if (clustering.status === 'clustered') {
    clustering.rows.forEach((row, j) => {
      features.categories.persona[row] = clustering.personas[clustering.labels[j]!]!.key;
    });
  }
  // Every other clustering's persona per profile row, for rules (field persona.<name>) and tokens.
  features.clusterPersonas = new Map(runs.filter((r) => r.name !== CUSTOMERS).map((r) => {
    const column: Array<string | null> = new Array<string | null>(profileIds.length).fill(null);
    if (r.outcome.status === 'clustered') {
      const c = r.outcome;
      c.rows.forEach((row, j) => { column[row] = c.personas[c.labels[j]!]!.key; });
    }
    return [r.name, column];
  }));
  const personas = clustering.status === 'clustered' ? clustering.personas : [];
  const allPersonas = runs.flatMap((r) => (r.outcome.status === 'clustered' ? r.outcome.personas.map((p) => ({ clustering: r.name, persona: p })) : []));
  keepSummariesStable(db, allPersonas.map((p) => p.persona));
  typicalSummaries(db, allPersonas.filter((p) => p.clustering !== CUSTOMERS).map((p) => p.persona));
  const segments = [
    ...rfmSegmentDefinitions(workspace),
    ...workspace.segments.map((r): SegmentDefinition => ({ key: r.key, name: r.name, kind: 'rule', description: r.description ?? describeRule(r.rule) })),
    ...allPersonas.map(({ clustering: name, persona: p }): SegmentDefinition => ({ key: p.key, name: `${personaNamePrefix(name)}${p.label}`, kind: 'persona', description: p.narrative })),
  ];
  // Rules run last, so a rule can name a persona ("German lapsed big spenders").
  const noRules: readonly string[] = [];
  const ruleMembers: Array<readonly string[]> = new Array<readonly string[]>(profileIds.length).fill(noRules);
  for (let i = 0; i < profileIds.length; i++) {
    for (const r of workspace.segments) if (evaluateRule(r.rule, features, i)) ruleMembers[i] = [...ruleMembers[i]!, r.key];
  }
  const ruleNames = new Map(workspace.segments.map((r) => [r.key, r.name]));

  const otherRuns = runs.filter((r) => r.name !== CUSTOMERS).map((r) => {
    const c = r.outcome.status === 'clustered' ? r.outcome : undefined;
    const rowOf = rowIndex(profileIds.length, c?.rows);
    return { name: r.name, personaAt: (i: number): Persona | undefined => { const j = rowOf[i]!; return c && j >= 0 ? c.personas[c.labels[j]!] : undefined; } };
  });
  const personaAt = (i: number): Persona | undefined => {
    const j = clusterRowOf[i]!;
    return clustering.status === 'clustered' && j >= 0 ? personas[clustering.labels[j]!] : undefined;
  };
  // Each profile's segment keys, made when asked (the writer reads each once or twice): no Map of a
  // million arrays.
  const keysAt = (i: number): string[] => {
    const persona = personaAt(i);
    return [keys[i]!, ...ruleMembers[i]!, ...(persona ? [persona.key] : []), ...otherRuns.flatMap((r) => { const p = r.personaAt(i); return p ? [p.key] : []; })];
  };
  const memberships: Memberships = {
    size: profileIds.length,
    get: (profileId) => { const i = indexOf.get(profileId); return i === undefined ? undefined : keysAt(i); },
    *[Symbol.iterator]() { for (let i = 0; i < profileIds.length; i++) yield [profileIds[i]!, keysAt(i)]; },
  };
  // The per-profile rows are made one at a time as the writer reads them: a million people's
  // tokens and feature objects held together would take several GB.
  function* clusterRows(): Generator<ProfileClusterRow> {
    for (const r of runs) {
      if (r.outcome.status !== 'clustered') continue;
      const c = r.outcome;
      for (let j = 0; j < c.rows.length; j++) {
        const row = c.rows[j]!;
        yield {
          profileId: profileIds[row]!,
          clustering: r.name,
          cluster: c.labels[j]!,
          personaKey: c.personas[c.labels[j]!]!.key,
          centreDistance: c.centreDistance[j]!,
          nextCentreDistance: c.k > 1 ? c.nextCentreDistance[j]! : null,
          nextPersonaKey: c.k > 1 ? c.personas[c.nextCluster[j]!]!.key : null,
        };
      }
    }
  }
  const rfmRowAt = (i: number): ProfileRfmRow => {
    const scored = rfm.status[i] === RFM_STATUS_SCORED;
    const status = scored ? 'scored' : rfm.status[i] === RFM_STATUS_LOST ? 'lost' : 'prospect';
    const last = rfm.lastPurchaseMs[i]!;
    return {
      profileId: profileIds[i]!,
      status,
      recencyDays: scored ? rfm.recencyDays[i]! : Number.isNaN(last) ? null : Math.floor((referenceMs - last) / MS_PER_DAY),
      frequency: scored ? rfm.frequency[i]! : null,
      monetary: scored ? rfm.monetary[i]! : null,
      r: scored ? rfm.r[i]! : null,
      f: scored ? rfm.f[i]! : null,
      m: scored ? rfm.m[i]! : null,
      lastPurchaseAt: Number.isNaN(last) ? null : new Date(last).toISOString(),
      segmentKey: keys[i]!,
    };
  };
  // Groups are a pure function of (profile, salt, segment): the token says what plan.ts decides.
  const controlGroups = workspace.controlGroups;
  const groupsOn = controlGroupsOn(controlGroups);
  const groupContext = { salt: controlGroupSalt(db), settings: controlGroups, on: groupsOn, unsubscribed: groupsOn ? unsubscribedProfileIds(db) : new Set<number>() };
  const tokensAt = (i: number): Record<string, string> => {
    const scored = rfm.status[i] === RFM_STATUS_SCORED;
    const persona = personaAt(i);
    const otherPersonas = otherRuns.map((r) => r.personaAt(i));
    return {
      rfm_segment: keys[i]!,
      rfm_score: scored ? rfmScoreString(rfm.r[i]!, rfm.f[i]!, rfm.m[i]!) : '',
      rfm_r: scored ? String(rfm.r[i]) : '',
      rfm_f: scored ? String(rfm.f[i]) : '',
      rfm_m: scored ? String(rfm.m[i]) : '',
      rule_segments: ruleMembers[i]!.map((k) => ruleNames.get(k)!).join('; '),
      persona: persona?.label ?? '',
      persona_summary: persona?.summary ?? '',
      // Each other clustering: persona_<name> and persona_<name>_summary, empty outside it (so a value pushed before is cleared).
      ...Object.fromEntries(otherRuns.flatMap((r, n) => [[`persona_${r.name}`, otherPersonas[n]?.label ?? ''], [`persona_${r.name}_summary`, otherPersonas[n]?.summary ?? '']])),
      // Switched off: empty, so values pushed while they were on are cleared, not left behind.
      ...(predictions ? predictionTokens(features, i) : emptyPredictionTokens()),
      ...(propensity ? propensityTokens(propensity.propensity[i]!, propensity.leadScore[i]!) : emptyPropensityTokens()),
      control_group: groupTokenFor(profileIds[i]!, keysAt(i), groupContext),
    };
  };
  const featureRowAt = (i: number): ProfileFeatureRow => {
    const j = clusterRowOf[i]!;
    const clustered = clustering.status === 'clustered' && j >= 0 ? clustering : undefined;
    return {
      profileId: profileIds[i]!,
      features: featureValues(features, i),
      cluster: clustered ? clustered.labels[j]! : null,
      personaKey: personaAt(i)?.key ?? null,
      centreDistance: clustered ? clustered.centreDistance[j]! : null,
      nextCentreDistance: clustered && clustered.k > 1 ? clustered.nextCentreDistance[j]! : null,
      nextPersonaKey: clustered && clustered.k > 1 ? clustered.personas[clustered.nextCluster[j]!]!.key : null,
    };
  };
  function* eachProfile<T>(rowAt: (i: number) => T): Generator<T> {
    for (let i = 0; i < profileIds.length; i++) yield rowAt(i);
  }

  const sizes = new Map<string, number>();
  for (const [, ks] of memberships) for (const k of ks) sizes.set(k, (sizes.get(k) ?? 0) + 1);
  const segmentSizes = segments.map((s) => ({ key: s.key, name: s.name, kind: s.kind, size: sizes.get(s.key) ?? 0 }));
  const createdAt = nowIso(now);
  const referenceDate = new Date(referenceMs).toISOString();
  const records = runs.map((r) => ({ name: r.name, path: r.path, record: clusteringRecord(r.outcome) }));
  const record = records.find((r) => r.name === CUSTOMERS)?.record ?? clusteringRecord(clustering);
  const predicted = predictionRecord(predictions, predictionSettings.horizonMonths, forecastAccuracy);
  stage('rules, memberships and tokens');
  const outcome = writeSegmentationRun(db, {
    kinds: ['rfm', 'rule', 'persona'],
    createdAt,
    referenceDate,
    windowDays,
    segments,
    memberships,
    rfm: eachProfile(rfmRowAt),
    tokens: eachProfile((i): [number, Record<string, string>] => [profileIds[i]!, tokensAt(i)]),
    summary: { segments: segmentSizes, purchasesUsed },
    profileFeatures: eachProfile(featureRowAt),
    profileClusters: clusterRows(),
    personas: allPersonas.map(({ clustering: name, persona: p }) => ({ clustering: name, key: p.key, cluster: p.cluster, label: p.label, size: p.size, share: p.share, narrative: p.narrative, summary: p.summary,
      summaryFigures: p.summaryFigures, traits: p.traits, medians: p.medians })),
    clustering: { clusterings: records } satisfies StoredClusterings,
    predictions: predicted,
    propensity: propensityStored,
  });
  stage('write the run');
  let exported: SegmentSummary['exported'];
  if (options.exportDir) {
    const emails = new Map((db.prepare('SELECT id, email_key AS email FROM profiles WHERE email_key IS NOT NULL').all() as Array<{ id: number; email: string }>).map((r) => [r.id, r.email]));
    const files = writeExport({
      dir: options.exportDir,
      runId: outcome.runId,
      profileIds,
      emails,
      features: profileIds.map((_, i) => featureValues(features, i)),
      assignments: profileIds.map((_, i) => {
        const r = rfmRowAt(i);
        return { rfmSegment: r.segmentKey, r: r.r, f: r.f, m: r.m, ruleSegments: [...ruleMembers[i]!], persona: personaAt(i)?.key ?? null };
      }),
      clustering,
      record,
      personas,
      seed: customersRun?.settings.seed ?? workspace.segmentation.clustering.seed,
      others: runs.filter((r) => r.name !== CUSTOMERS).map((r) => ({
        name: r.name,
        clustering: r.outcome,
        record: records.find((x) => x.name === r.name)!.record,
        personas: r.outcome.status === 'clustered' ? r.outcome.personas : [],
        seed: r.settings.seed,
      })),
    });
    exported = { dir: options.exportDir, files };
  }
  return {
    runId: outcome.runId,
    referenceDate,
    windowDays,
    profiles: profileIds.length,
    purchasesUsed,
    segments: segmentSizes,
    entered: outcome.entered,
    left: outcome.left,
    clustering: clusteringSummary(clustering),
    clusterings: runs.map((r) => ({ name: r.name, ...clusteringSummary(r.outcome) })),
    predictions: predictionSummary(predicted),
    propensity: propensitySummary(propensityStored),
    forecastAccuracy: forecastAccuracySummary(predicted, propensityStored),
    ...(exported ? { exported } : {}),
    warnings: [
      ...unknownAttributeWarnings(workspace.segments, new Set(features.attributes.keys())),
      ...unknownControlSegmentWarnings(workspace.controlGroups, segments.map((s) => s.key)),
    ],
  };
}

/** segmentation_runs.clustering from issue 13 on: every clustering's record (older runs stored one ClusteringRecord). */
export interface StoredClusterings {
  clusterings: Array<{ name: string; path: string; record: ClusteringRecord }>;
}

const NO_CUSTOMERS_CLUSTERING = 'no clustering named customers: segmentation.clusterings declares others only';

interface ClusteringRun {
  name: string;
  path: string;
  settings: ReturnType<typeof namedClusterings>[number]['settings'];
  outcome: ClusteringOutcome;
}

/**
 * Every named clustering on its own population. Persona keys are unique across them: customers
 * keeps persona_<slug>, the others persona_<name>_<slug>; a key an earlier clustering took gets _2, _3.
 */
function runClusterings(features: FeatureSet, workspace: Workspace, options: { currency: string; horizonMonths?: number }): ClusteringRun[] {
  const taken = new Set<string>();
  return namedClusterings(workspace.segmentation).map((c) => {
    const outcome = clusterProfiles(features, c.settings, { ...options, path: c.path });
    if (outcome.status === 'clustered') {
      for (const p of outcome.personas) {
        if (p.noise && c.name !== CUSTOMERS) p.label = NOISE_LABEL_PEOPLE;
        const base = clusteringPersonaKey(c.name, p.label);
        let key = base;
        for (let n = 2; taken.has(key); n++) key = `${base}_${n}`;
        taken.add(key);
        p.key = key;
      }
    }
    return { name: c.name, path: c.path, settings: c.settings, outcome };
  });
}

/**
 * A persona's summary token keeps the figures the previous run showed while its own stay within
 * their rounding (persona-summary.ts): recomputing after a few new orders rewrites no contact.
 */
function keepSummariesStable(db: Db, personas: Persona[]): void {
  if (personas.length === 0) return;
  const previous = latestPersonaSummaryFigures(db);
  for (const p of personas) {
    const before = SummaryFiguresSchema.safeParse(previous.get(p.key));
    p.summaryFigures = stableFigures(rawSummaryFigures(p.medians, { once: p.onceShare, repeat: p.repeatShare }), before.success ? before.data : undefined);
    p.summary = summaryText(p.summaryFigures);
  }
}

/**
 * Another clustering's persona on engagement or attributes: "has not bought yet" would be its
 * summary token for every lead, so the token carries the typical member instead ("email open rate
 * 0.16 · website visits 6 · …", medians). The previous text stays while each of its numbers is
 * within 10% of the new median, so a few new visits rewrite no contact.
 */
/** A summary token's most figures that fit a text field every platform takes (Marketo's string: 255). */
const SUMMARY_TOKEN_MAX = 200;
function fitToken(figures: string): string {
  if (figures.length <= SUMMARY_TOKEN_MAX) return figures;
  const parts = figures.split(' · ');
  let out = parts[0]!;
  for (const part of parts.slice(1)) {
    if (out.length + 3 + part.length > SUMMARY_TOKEN_MAX) break;
    out += ` · ${part}`;
  }
  return out.slice(0, SUMMARY_TOKEN_MAX);
}

function typicalSummaries(db: Db, personas: Persona[]): void {
  if (personas.length === 0) return;
  const previous = latestPersonaSummaries(db);
  for (const p of personas) {
    if (!p.typical) continue;
    // The token is the typical member's figures; the persona's expected buyers (a count over all
    // of them) is for the marketer's table, not for each person.
    const next = fitToken(p.typical.replace(/^typical /, '').replace(/ · expected to buy within 90 days: .*$/, ''));
    const before = previous.get(p.key);
    p.summary = before !== undefined && closeFigures(before, next) ? before : next;
  }
}

/** Same labels in the same order, and every number within 10% (or 0.01) of the other's. */
function closeFigures(a: string, b: string): boolean {
  const parts = (text: string) => text.split(' · ').map((part) => /^(.*) (-?[\d,.]+)$/.exec(part));
  const [pa, pb] = [parts(a), parts(b)];
  if (pa.length !== pb.length) return false;
  return pa.every((x, i) => {
    const y = pb[i];
    if (!x || !y || x[1] !== y[1]) return false;
    const [u, v] = [Number(x[2]!.replace(/,/g, '')), Number(y[2]!.replace(/,/g, ''))];
    return Math.abs(u - v) <= Math.max(0.01, 0.1 * Math.abs(v));
  });
}

function predictionSummary(record: PredictionRecord): PredictionSummary {
  if (record.status !== 'fitted') return record;
  const { holdout, forecastAccuracy: _shownOnItsOwn, ...rest } = record;
  return {
    ...rest,
    holdout: holdout
      ? { calibrationEnd: holdout.calibrationEnd, holdoutEnd: holdout.holdoutEnd, actual: holdout.holdoutTotal.actual, expected: holdout.holdoutTotal.expected }
      : null,
  };
}

export function clusteringSummary(c: ClusteringOutcome): ClusteringSummary {
  if (c.status === 'skipped') return c;
  return {
    status: 'clustered',
    algorithm: c.algorithm,
    k: c.k,
    noise: c.dbscan ? c.dbscan.noise : null,
    selection: c.selection,
    population: c.population,
    clusteredProfiles: c.rows.length,
    silhouette: c.metrics.silhouette.value,
    silhouetteExact: c.metrics.silhouette.exact,
    daviesBouldin: c.metrics.daviesBouldin,
    calinskiHarabasz: c.metrics.calinskiHarabasz,
    dunn: c.metrics.dunn.value,
    stability: c.metrics.stability?.mean ?? null,
    scan: c.scan,
    preparation: c.prepared.steps.map((step) => `${step.step}${step.column ? ` ${step.column}` : ''}: ${step.detail}`),
    personas: c.personas.map((p) => ({ key: p.key, label: p.label, size: p.size, share: p.share, noise: p.noise, summary: p.summary, typical: p.typical })),
  };
}



/** Profile row → its row in a clustering (-1 when not in it). */
function rowIndex(profiles: number, rows: ArrayLike<number> | undefined): Int32Array {
  const rowOf = new Int32Array(profiles).fill(-1);
  if (rows) for (let j = 0; j < rows.length; j++) rowOf[rows[j]!] = j;
  return rowOf;
}

/** One row per (profile, purchase) of the live profiles, streamed into typed columns. */
function loadPurchases(db: Db, indexOf: ReadonlyMap<number, number>, convert: (amount: number, currency: string | null) => number): PurchaseColumns {
  // A deal linked to two contacts of one person counts once. No object per row: a million
  // people's purchases are too many to hold as objects.
  const rows = db
    .prepare(`SELECT DISTINCT i.profile_id, p.platform, p.external_id, p.occurred_at, p.amount, p.currency
              FROM purchases p
              JOIN purchase_contacts pc ON pc.platform = p.platform AND pc.purchase_external_id = p.external_id
              JOIN identities i ON i.platform = pc.platform AND i.external_id = pc.contact_external_id
              WHERE p.status = 'won' AND p.archived = 0 AND p.invalid = 0 AND p.amount IS NOT NULL AND p.occurred_at IS NOT NULL`)
    .raw()
    .iterate() as IterableIterator<[number, string, string, string, number, string | null]>;
  const profileIndex = int32s();
  const occurredAtMs = float64s();
  const amount = float64s();
  for (const [profileId, , , occurredAt, value, currency] of rows) {
    const i = indexOf.get(profileId);
    if (i === undefined) continue;
    profileIndex.push(i);
    occurredAtMs.push(Date.parse(occurredAt));
    amount.push(convert(value, currency));
  }
  return { profileIndex: profileIndex.done(), occurredAtMs: occurredAtMs.done(), amount: amount.done() };
}

/**
 * Loads what scoring needs and scores every profile: RFM, the feature set, the purchase models and
 * the propensity model. Returns what the rest of the run uses; the rows it read are dropped here.
 */
function scoreProfiles(
  db: Db, workspace: Workspace, profileIds: readonly number[], indexOf: ReadonlyMap<number, number>,
  convert: (amount: number, currency: string | null) => number, referenceMs: number, stage: (name: string) => void,
) {
  // Each big input is dropped (set to undefined) once the last step that needs it is done: the
  // peak of a million people's run is here.
  let purchases: PurchaseColumns | undefined = loadPurchases(db, indexOf, convert);
  const purchasesUsed = purchases.profileIndex.length;
  stage('load purchases');
  holdSegmentationForTest();

  const windowDays = workspace.segmentation.windowDays;
  const rfm = computeRfm(profileIds.length, purchases, { referenceDateMs: referenceMs, windowDays });
  const keys = assignRfmSegments(rfm, workspace.segmentation.rfmSegments ?? DEFAULT_RFM_SEGMENTS);
  // Grouped by profile (what the features and models read), the columns are let go before the engagement is loaded.
  const grouped = groupPurchases(profileIds.length, purchases, referenceMs);
  purchases = undefined;
  const propensitySettings = workspace.segmentation.propensity;
  // Engagement is folded as of the reference date and, for the propensity model, its cutoffs.
  const { trainingCutoff, validationCutoff } = propensityCutoffs(referenceMs, propensitySettings);
  const cutoffs = propensitySettings.enabled ? [trainingCutoff, validationCutoff] : [];
  let engagement: EngagementSummary | undefined;
  let checkouts: InterestInputs['checkouts'];
  ({ summary: engagement, checkouts } = loadEngagement(db, profileIds, referenceMs, cutoffs));
  stage('load engagement');
  const profileAttributes = { ...loadProfileAttributes(db, profileIds), interestInputs: loadInterestInputs(db, profileIds, referenceMs, convert, checkouts) };
  stage('load attributes and interests');
  const features = computeFeatures(profileIds.length, grouped, rfm, keys, profileAttributes, { referenceMs, windowDays, engagement });
  stage('rfm and features');

  // The propensity model, like the purchase models, runs before the rules so `top 10%` can use it;
  // it runs first, so the engagement it needs is let go before the purchase models run.
  const propensityOutcome = propensitySettings.enabled
    ? predictPropensity({ rows: profileIds.length, referenceMs, events: engagement, purchases: features.purchases, createdAtMs: profileAttributes.createdAtMs, attributes: features.attributes }, propensitySettings)
    : null;
  engagement = undefined;
  const propensityStored = propensityRecord(propensityOutcome);
  // Scores only when the stored record says fitted: a run never writes tokens its record disowns.
  const propensity = propensityStored.status === 'fitted' && propensityOutcome?.status === 'fitted' ? propensityOutcome : null;
  if (propensity) {
    features.numbers.purchasePropensity90d = propensity.propensity;
    features.numbers.leadScore = propensity.leadScore;
  }
  stage('propensity model');
  // Predictions come before clustering, so personas can say what their members are expected to be worth.
  const predictionSettings = workspace.segmentation.predictions;
  const predictions = predictionSettings.enabled ? predictCustomers(features.purchases, referenceMs, predictionSettings) : null;
  if (predictions) applyPredictions(features, predictions);
  stage('purchase models');
  // At the predictions' holdout cutoff, customer by customer: typed columns over the customers only.
  const forecastAccuracy = predictions ? forecastAccuracyOf(features.purchases, referenceMs, predictions) : null;
  stage('forecast accuracy');
  return { features, rfm, keys, predictions, forecastAccuracy, propensity, propensityStored, purchasesUsed };
}

/** One profile's features as JSON-able values (dates as ISO strings, missing as null). */
export function featureValues(features: FeatureSet, i: number): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  for (const k of NUMBER_FEATURES) {
    const v = features.numbers[k][i]!;
    out[k] = Number.isNaN(v) ? null : Math.round(v * 1000) / 1000;
  }
  for (const k of DATE_FEATURES) {
    const v = features.dates[k][i]!;
    out[k] = Number.isNaN(v) ? null : new Date(v).toISOString();
  }
  for (const k of CATEGORY_FEATURES) out[k] = features.categories[k][i] ?? null;
  for (const [name, column] of features.attributes) {
    const v = column[i];
    out[`attributes.${name}`] = v === undefined || v === null ? null : typeof v === 'boolean' ? String(v) : v;
  }
  for (const [slug, column] of features.interests ?? []) {
    const v = column[i]!;
    out[`interests.${slug}`] = Number.isNaN(v) ? null : Math.round(v * 1000) / 1000;
  }
  return out;
}
