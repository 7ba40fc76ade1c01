import { z } from 'zod';
import type { Db } from './db.js';
import type { SegmentDefinition } from '../domain/segments.js';
import { Growable } from './growable.js';

export interface ProfileRfmRow {
  profileId: number;
  status: 'scored' | 'lost' | 'prospect';
  recencyDays: number | null;
  frequency: number | null;
  monetary: number | null;
  r: number | null;
  f: number | null;
  m: number | null;
  lastPurchaseAt: string | null;
  segmentKey: string;
}

export interface SegmentationWrite {
  /** The segment kinds this run computes: their open memberships not renewed are closed. */
  kinds: string[];
  createdAt: string;
  referenceDate: string;
  windowDays: number;
  segments: SegmentDefinition[];
  /** profile id → the segment keys it belongs to now (of the kinds this run computes). */
  memberships: Memberships;
  /** Read once, in order: a generator can make each row as it is written. */
  rfm: Iterable<ProfileRfmRow>;
  /** profile id → token key → value (a Map, or pairs made as they are written). */
  tokens: Iterable<[number, Record<string, string>]>;
  summary: unknown;
  /** Each live profile's features as segsync saw them, and its cluster (explain, export). */
  profileFeatures: Iterable<ProfileFeatureRow>;
  /** Each profile's cluster in each named clustering it is in (customers included). */
  profileClusters?: Iterable<ProfileClusterRow>;
  personas: PersonaRow[];
  /** What the clustering did (preparation, scan, metrics, PCA), or why it did not run. */
  clustering: unknown;
  /** What the purchase models did, or why they did not run (JSON). */
  predictions: unknown;
  /** What the first-purchase propensity model did, or why it did not run (JSON). */
  propensity?: unknown;
}

/**
 * profile id → the segment keys it belongs to now. A Map<number, string[]> is one; segmentation
 * passes keys made when asked, so a million people's keys are never all held at once.
 */
export interface Memberships {
  readonly size: number;
  get(profileId: number): readonly string[] | undefined;
  [Symbol.iterator](): Iterator<[number, readonly string[]]>;
}

export interface ProfileFeatureRow {
  profileId: number;
  features: Record<string, number | string | null>;
  cluster: number | null;
  personaKey: string | null;
  centreDistance: number | null;
  nextCentreDistance: number | null;
  nextPersonaKey: string | null;
}

export interface ProfileClusterRow {
  profileId: number;
  clustering: string;
  cluster: number;
  personaKey: string;
  centreDistance: number | null;
  nextCentreDistance: number | null;
  nextPersonaKey: string | null;
}

export interface PersonaRow {
  /** The named clustering it comes from (customers when absent). */
  clustering?: string;
  key: string;
  cluster: number;
  label: string;
  size: number;
  share: number;
  narrative: string;
  summary: string;
  /** The figures the summary shows (JSON), for the next run to keep them stable. */
  summaryFigures: unknown;
  traits: unknown;
  medians: unknown;
}

export interface SegmentationOutcome {
  runId: number;
  entered: number;
  left: number;
}

/** Writes one segmentation run in one transaction: segments, membership history, RFM, tokens. */
export function writeSegmentationRun(db: Db, run: SegmentationWrite): SegmentationOutcome {
  return db.transaction((): SegmentationOutcome => {
    const runId = Number(
      db
        .prepare(`INSERT INTO segmentation_runs (created_at, reference_date, window_days, profile_count, summary, clustering, predictions, propensity)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(run.createdAt, run.referenceDate, run.windowDays, run.memberships.size, JSON.stringify(run.summary), JSON.stringify(run.clustering), JSON.stringify(run.predictions),
          run.propensity === undefined ? null : JSON.stringify(run.propensity))
        .lastInsertRowid,
    );
    const upsertSegment = db.prepare(`INSERT INTO segments (key, name, kind, description, updated_at)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET name = excluded.name, kind = excluded.kind,
      description = excluded.description, updated_at = excluded.updated_at`);
    for (const s of run.segments) upsertSegment.run(s.key, s.name, s.kind, s.description, run.createdAt);

    // Membership history: close what no longer holds, open what is new; unchanged rows stay as they are.
    const kinds = run.kinds;
    // Open memberships are read once into typed columns, by profile (a million people hold
    // millions of them: no object or string per row), then compared profile by profile.
    const open = db
      .prepare(`SELECT m.id, m.profile_id, m.segment_key FROM memberships m JOIN segments s ON s.key = m.segment_key
                WHERE m.left_at IS NULL AND s.kind IN (${kinds.map(() => '?').join(',')}) ORDER BY m.profile_id, m.id`)
      .raw()
      .iterate(...kinds) as IterableIterator<[number, number, string]>;
    const keyCodes = new Map<string, number>();
    const codeOf = (key: string): number => {
      let code = keyCodes.get(key);
      if (code === undefined) keyCodes.set(key, (code = keyCodes.size));
      return code;
    };
    const openId = new Growable((n) => new Float64Array(n));
    const openProfile = new Growable((n) => new Float64Array(n));
    const openKey = new Growable((n) => new Int32Array(n));
    for (const [id, profileId, segmentKey] of open) {
      openId.push(id);
      openProfile.push(profileId);
      openKey.push(codeOf(segmentKey));
    }
    const ids = openId.done();
    const profiles = openProfile.done();
    const codes = openKey.done();
    /** The first open row of a profile (rows are sorted by profile), or the end. */
    const firstRowOf = (profileId: number): number => {
      let lo = 0;
      let hi = profiles.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (profiles[mid]! < profileId) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const close = db.prepare('UPDATE memberships SET left_at = ?, left_run_id = ? WHERE id = ?');
    let left = 0;
    for (let k = 0; k < ids.length; ) {
      const profileId = profiles[k]!;
      const now = run.memberships.get(profileId);
      const held = now ? new Set(now.map(codeOf)) : undefined;
      for (; k < ids.length && profiles[k] === profileId; k++) {
        if (held?.has(codes[k]!)) continue;
        close.run(run.createdAt, runId, ids[k]!);
        left++;
      }
    }
    const enter = db.prepare(
      'INSERT INTO memberships (profile_id, segment_key, entered_at, entered_run_id) VALUES (?, ?, ?, ?)',
    );
    let entered = 0;
    for (const [profileId, keys] of run.memberships) {
      const first = firstRowOf(profileId);
      for (const key of keys) {
        const code = keyCodes.get(key);
        let alreadyOpen = false;
        if (code !== undefined) for (let k = first; k < ids.length && profiles[k] === profileId; k++) if (codes[k] === code) alreadyOpen = true;
        if (alreadyOpen) continue;
        enter.run(profileId, key, run.createdAt, runId);
        entered++;
      }
    }

    db.prepare('DELETE FROM profile_rfm').run();
    const insertRfm = db.prepare(`INSERT INTO profile_rfm (profile_id, run_id, status, recency_days, frequency,
      monetary, r, f, m, last_purchase_at, segment_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const row of run.rfm) {
      insertRfm.run(row.profileId, runId, row.status, row.recencyDays, row.frequency, row.monetary, row.r, row.f,
        row.m, row.lastPurchaseAt, row.segmentKey);
    }

    db.prepare('DELETE FROM profile_tokens').run();
    const insertToken = db.prepare('INSERT INTO profile_tokens (profile_id, token, value, run_id) VALUES (?, ?, ?, ?)');
    for (const [profileId, values] of run.tokens) {
      for (const [token, value] of Object.entries(values)) insertToken.run(profileId, token, value, runId);
    }
    db.prepare('DELETE FROM profile_features').run();
    const insertFeatures = db.prepare(`INSERT INTO profile_features (profile_id, run_id, features, cluster, persona_key,
      centre_distance, next_centre_distance, next_persona_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const row of run.profileFeatures) {
      insertFeatures.run(row.profileId, runId, JSON.stringify(row.features), row.cluster, row.personaKey, row.centreDistance,
        row.nextCentreDistance, row.nextPersonaKey);
    }
    db.prepare('DELETE FROM profile_clusters').run();
    const insertCluster = db.prepare(`INSERT INTO profile_clusters (profile_id, clustering, run_id, cluster, persona_key, centre_distance, next_centre_distance,
      next_persona_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const row of run.profileClusters ?? []) {
      insertCluster.run(row.profileId, row.clustering, runId, row.cluster, row.personaKey, row.centreDistance, row.nextCentreDistance, row.nextPersonaKey);
    }
    const insertPersona = db.prepare(`INSERT INTO personas (run_id, key, cluster, label, size, share, narrative, summary, traits, medians, summary_figures, clustering)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const p of run.personas) {
      insertPersona.run(runId, p.key, p.cluster, p.label, p.size, p.share, p.narrative, p.summary, JSON.stringify(p.traits), JSON.stringify(p.medians),
        JSON.stringify(p.summaryFigures ?? null), p.clustering ?? 'customers');
    }
    return { runId, entered, left };
  })();
}

/** Persona key → the summary figures (JSON, unparsed) of the latest run that had personas. */
export function latestPersonaSummaryFigures(db: Db): Map<string, unknown> {
  const rows = db.prepare(`SELECT key, summary_figures AS figures FROM personas WHERE run_id = (SELECT MAX(run_id) FROM personas)`)
    .all() as Array<{ key: string; figures: string | null }>;
  return new Map(rows.map((r) => [r.key, r.figures === null ? null : (JSON.parse(r.figures) as unknown)]));
}

/** Persona key → the summary token text of the latest run that had personas. */
export function latestPersonaSummaries(db: Db): Map<string, string> {
  const rows = db.prepare(`SELECT key, summary FROM personas WHERE run_id = (SELECT MAX(run_id) FROM personas)`).all() as Array<{ key: string; summary: string }>;
  return new Map(rows.map((r) => [r.key, r.summary]));
}

export function latestSegmentationRun(db: Db): { id: number; createdAt: string; referenceDate: string } | undefined {
  return db
    .prepare(`SELECT id, created_at AS createdAt, reference_date AS referenceDate FROM segmentation_runs
              ORDER BY id DESC LIMIT 1`)
    .get() as { id: number; createdAt: string; referenceDate: string } | undefined;
}

export function segmentSizes(db: Db): Array<{ key: string; name: string; kind: string; size: number }> {
  return db
    .prepare(`SELECT s.key, s.name, s.kind, COUNT(m.id) AS size FROM segments s
              LEFT JOIN memberships m ON m.segment_key = s.key AND m.left_at IS NULL
              GROUP BY s.key ORDER BY s.kind, size DESC, s.key`)
    .all() as Array<{ key: string; name: string; kind: string; size: number }>;
}

const RunSummary = z.object({ segments: z.array(z.object({ key: z.string() })) });

/**
 * The segment keys the latest run produced. A segment outside it is retired (a rule removed from
 * the config, a persona that no longer exists): its lists empty on the next push.
 */
export function currentSegmentKeys(db: Db): Set<string> | undefined {
  const row = db.prepare('SELECT summary FROM segmentation_runs ORDER BY id DESC LIMIT 1').get() as { summary: string } | undefined;
  if (!row) return undefined;
  const parsed = RunSummary.safeParse(JSON.parse(row.summary));
  return parsed.success ? new Set(parsed.data.segments.map((s) => s.key)) : undefined;
}

export function listSegments(db: Db): SegmentDefinition[] {
  return db.prepare('SELECT key, name, kind, description FROM segments ORDER BY key').all() as SegmentDefinition[];
}
