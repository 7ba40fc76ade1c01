/**
 * Reads of the membership history for segment movement (src/measure/movement.ts): aggregated in
 * SQL, so a million people over twenty runs never become a million objects here.
 */
import type { Db } from './db.js';

export interface SegmentationRunRef {
  id: number;
  createdAt: string;
  referenceDate: string;
}

export interface SegmentRef {
  key: string;
  name: string;
  kind: string;
}

/** Memberships that began and ended at one run, for one segment. */
export interface MembershipFlow {
  segmentKey: string;
  runId: number;
  entries: number;
  exits: number;
}

/** How many people were in `fromKey` at one run and in `toKey` at another (null: in no segment of the kind). */
export interface TransitionCount {
  /** The named clustering of persona segments (customers, leads, ...); '' for other kinds. */
  group: string;
  fromKey: string | null;
  toKey: string | null;
  count: number;
}

/** Every segmentation run, oldest first. */
export function segmentationRunRefs(db: Db): SegmentationRunRef[] {
  return db.prepare('SELECT id, created_at AS createdAt, reference_date AS referenceDate FROM segmentation_runs ORDER BY id').all() as SegmentationRunRef[];
}

export function segmentRefs(db: Db): SegmentRef[] {
  return db.prepare('SELECT key, name, kind FROM segments ORDER BY key').all() as SegmentRef[];
}

/** Entries and exits per (segment, run): two grouped scans of the memberships table. */
export function membershipFlows(db: Db): MembershipFlow[] {
  const flows = new Map<string, MembershipFlow>();
  const at = (segmentKey: string, runId: number): MembershipFlow => {
    const id = `${runId}\u0000${segmentKey}`;
    let flow = flows.get(id);
    if (!flow) flows.set(id, (flow = { segmentKey, runId, entries: 0, exits: 0 }));
    return flow;
  };
  const entries = db.prepare('SELECT segment_key AS k, entered_run_id AS r, COUNT(*) AS n FROM memberships GROUP BY segment_key, entered_run_id').all() as Array<{ k: string; r: number; n: number }>;
  for (const e of entries) at(e.k, e.r).entries += e.n;
  const exits = db.prepare('SELECT segment_key AS k, left_run_id AS r, COUNT(*) AS n FROM memberships WHERE left_run_id IS NOT NULL GROUP BY segment_key, left_run_id').all() as Array<{ k: string; r: number; n: number }>;
  for (const e of exits) at(e.k, e.r).exits += e.n;
  return [...flows.values()];
}

/**
 * Each profile's segment of `kind` at run `fromRunId` against its segment at `toRunId`, counted per
 * pair. A membership is open at run R when it entered at or before R and had not left by R.
 * Personas pair within their named clustering (a persona key's clustering is read from the
 * personas table; runs before named clusterings had only customers).
 *
 * One scan grouped by profile, no join of the two sides: a profile holds at most one segment of
 * a kind (one persona per clustering) at a run, so its pair is (the one open at `from`, the one
 * open at `to`), either of them null.
 */
export function transitionCounts(db: Db, kind: string, fromRunId: number, toRunId: number): TransitionCount[] {
  const group = kind === 'persona' ? `COALESCE(c.clustering, 'customers')` : `''`;
  const openAt = (run: string) => `(m.entered_run_id <= ${run} AND (m.left_run_id IS NULL OR m.left_run_id > ${run}))`;
  const sql = `
    WITH clusterings AS MATERIALIZED (SELECT key, MAX(clustering) AS clustering FROM personas GROUP BY key),
    pairs AS (
      SELECT ${group} AS g,
        MAX(CASE WHEN ${openAt(':from')} THEN m.segment_key END) AS fromKey,
        MAX(CASE WHEN ${openAt(':to')} THEN m.segment_key END) AS toKey
      FROM memberships m JOIN segments s ON s.key = m.segment_key LEFT JOIN clusterings c ON c.key = m.segment_key
      WHERE s.kind = :kind AND (${openAt(':from')} OR ${openAt(':to')})
      GROUP BY m.profile_id, g
    )
    SELECT g AS "group", fromKey, toKey, COUNT(*) AS count FROM pairs GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
  return db.prepare(sql).all({ kind, from: fromRunId, to: toRunId }) as TransitionCount[];
}
