/**
 * Segment movement: how big each segment was after each segmentation run, and where the people of
 * one run's segments were at another run (a transition matrix). Pure: the store's aggregates
 * (src/store/membership-history.ts) in, numbers out.
 */
import { ConfigError } from '../config/errors.js';
import { parseStrictDate } from '../domain/dates.js';
import type { MembershipFlow, SegmentationRunRef, SegmentRef, TransitionCount } from '../store/membership-history.js';

const DAY_MS = 86_400_000;

/** One segment's size after each run (aligned with the runs, oldest first), and its entries and exits at each. */
export interface SegmentSeries extends SegmentRef {
  sizes: number[];
  entries: number[];
  exits: number[];
}

/**
 * Size at run R = entries up to R − exits up to R: a membership is open at R when it entered at
 * or before R and left after R (or never). Segments with no membership at any run are left out.
 */
export function sizesOverRuns(runs: readonly SegmentationRunRef[], segments: readonly SegmentRef[], flows: readonly MembershipFlow[]): SegmentSeries[] {
  const column = new Map(runs.map((r, i) => [r.id, i]));
  const bySegment = new Map<string, { entries: number[]; exits: number[] }>();
  for (const f of flows) {
    const i = column.get(f.runId);
    if (i === undefined) continue;
    let s = bySegment.get(f.segmentKey);
    if (!s) bySegment.set(f.segmentKey, (s = { entries: new Array<number>(runs.length).fill(0), exits: new Array<number>(runs.length).fill(0) }));
    s.entries[i]! += f.entries;
    s.exits[i]! += f.exits;
  }
  const out: SegmentSeries[] = [];
  for (const segment of segments) {
    const s = bySegment.get(segment.key);
    if (!s) continue;
    let size = 0;
    const sizes = s.entries.map((entered, i) => (size += entered - s.exits[i]!));
    out.push({ ...segment, sizes, entries: s.entries, exits: s.exits });
  }
  return out;
}

/** A point to compare at: a segmentation run by its number, or the latest run made at or before an instant. */
export type MovementPoint = { kind: 'run'; runId: number; text: string } | { kind: 'date'; at: number; text: string };

/**
 * `--from`/`--to`: a run number (12 or #12), a day (YYYY-MM-DD: the whole day, UTC, so a run made
 * that afternoon counts), or an ISO 8601 date-time. Anything else is a usage error naming the flag.
 */
export function parseMovementPoint(text: string, flag: string): MovementPoint {
  const trimmed = text.trim();
  const run = /^#?(\d{1,9})$/.exec(trimmed);
  if (run) return { kind: 'run', runId: Number(run[1]), text: trimmed };
  const at = parseStrictDate(trimmed);
  if (Number.isNaN(at)) {
    throw new ConfigError(`${flag} "${text}" is not a date or a segmentation run: give a day as YYYY-MM-DD (e.g. 2026-03-01), an ISO 8601 date-time (2026-03-01T12:00:00Z), or a run number (e.g. 12).`);
  }
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(trimmed);
  return { kind: 'date', at: dayOnly ? at + DAY_MS - 1 : at, text: trimmed };
}

function describeRun(run: SegmentationRunRef): string {
  return `#${run.id} (${run.createdAt.replace('T', ' ').slice(0, 16)} UTC)`;
}

function runAt(runs: readonly SegmentationRunRef[], point: MovementPoint, flag: string): SegmentationRunRef {
  if (point.kind === 'run') {
    const run = runs.find((r) => r.id === point.runId);
    if (!run) throw new ConfigError(`${flag} ${point.text}: there is no segmentation run #${point.runId}; the runs are #${runs[0]!.id} to #${runs.at(-1)!.id} (or give a date, YYYY-MM-DD).`);
    return run;
  }
  let found: SegmentationRunRef | undefined;
  for (const r of runs) if (Date.parse(r.createdAt) <= point.at) found = r;
  if (!found) {
    throw new ConfigError(`${flag} ${point.text} is before the first segmentation run, ${describeRun(runs[0]!)}: give ${runs[0]!.createdAt.slice(0, 10)} or later.`);
  }
  return found;
}

/**
 * The two runs to compare. Defaults: `to` is the latest run, `from` the run before `to`.
 * Fewer than two runs, or `from` not before `to`, is an error that says what to do.
 */
export function movementRuns(runs: readonly SegmentationRunRef[], from?: MovementPoint, to?: MovementPoint): { from: SegmentationRunRef; to: SegmentationRunRef } {
  if (runs.length === 0) throw new ConfigError('no segmentation run yet: run `segsync segment` (or `segsync sync`), and again after the next pull, to see movement.');
  if (runs.length === 1) {
    throw new ConfigError(`only one segmentation run so far (${describeRun(runs[0]!)}): movement compares two runs. Run \`segsync segment\` again after the next pull to see movement.`);
  }
  const toRun = to ? runAt(runs, to, '--to') : runs.at(-1)!;
  let fromRun: SegmentationRunRef;
  if (from) fromRun = runAt(runs, from, '--from');
  else {
    const before = runs.filter((r) => r.id < toRun.id).at(-1);
    if (!before) throw new ConfigError(`--to ${to!.text} is the first segmentation run, ${describeRun(toRun)}: there is no run before it to compare with. Give a later --to.`);
    fromRun = before;
  }
  if (fromRun.id > toRun.id) {
    throw new ConfigError(`--from (run ${describeRun(fromRun)}) is after --to (run ${describeRun(toRun)}): give the earlier point as --from.`);
  }
  if (fromRun.id === toRun.id) {
    throw new ConfigError(`--from and --to are both segmentation run ${describeRun(fromRun)}: there is no movement within one run. Give points that fall on different runs (the runs are #${runs[0]!.id} to #${runs.at(-1)!.id}).`);
  }
  return { from: fromRun, to: toRun };
}

/** The people who moved from one segment to another (off the diagonal, "not in any" aside). */
export interface SegmentMove {
  from: string;
  fromName: string;
  to: string;
  toName: string;
  count: number;
}

export interface SegmentRetention {
  key: string;
  name: string;
  /** Members at `from`. */
  atFrom: number;
  /** Of them, still in it at `to`. */
  stayed: number;
  /** stayed ÷ atFrom (null for an empty segment). */
  share: number | null;
}

/**
 * Rows are the segments at `from`, columns the segments at `to`, each in `segments` order with one
 * more row and column last: not in any segment of the kind (a person new since `from`, or one no
 * longer segmented at `to`: every contact archived, deleted or merged away, or out of the clustering).
 * A forgotten person's memberships are erased, so they count in neither.
 */
export interface TransitionMatrix {
  /** The named clustering of personas (customers, leads, ...); null for RFM segments. */
  clustering: string | null;
  segments: Array<{ key: string; name: string }>;
  /** counts[i][j]: in row i at `from` and in column j at `to`; index segments.length is "not in any". */
  counts: number[][];
  /** Not in any at `from`, in a segment at `to`. */
  entered: number;
  /** In a segment at `from`, in none at `to`. */
  left: number;
  retention: SegmentRetention[];
  /** The largest moves between two segments, largest first (ties by name). */
  largestMoves: SegmentMove[];
}

/** One matrix per group of the counts (one for RFM; one per named clustering for personas). */
export function transitionMatrices(counts: readonly TransitionCount[], segments: readonly SegmentRef[], options: { kind: string; topMoves?: number }): TransitionMatrix[] {
  const names = new Map(segments.map((s) => [s.key, s.name]));
  const groups = [...new Set(counts.map((c) => c.group))].sort((a, b) => (a === 'customers' ? -1 : b === 'customers' ? 1 : a.localeCompare(b)));
  return groups.map((group) => {
    const own = counts.filter((c) => c.group === group);
    const atFrom = new Map<string, number>();
    const atTo = new Map<string, number>();
    for (const c of own) {
      if (c.fromKey !== null) atFrom.set(c.fromKey, (atFrom.get(c.fromKey) ?? 0) + c.count);
      if (c.toKey !== null) atTo.set(c.toKey, (atTo.get(c.toKey) ?? 0) + c.count);
    }
    const nameOf = (key: string) => names.get(key) ?? key;
    // Largest at `to` first, then at `from`: the segments that matter now lead the table.
    const keys = [...new Set([...atFrom.keys(), ...atTo.keys()])]
      .sort((a, b) => (atTo.get(b) ?? 0) - (atTo.get(a) ?? 0) || (atFrom.get(b) ?? 0) - (atFrom.get(a) ?? 0) || nameOf(a).localeCompare(nameOf(b)));
    const index = new Map(keys.map((k, i) => [k, i]));
    const none = keys.length;
    const matrix = Array.from({ length: none + 1 }, () => new Array<number>(none + 1).fill(0));
    for (const c of own) matrix[c.fromKey === null ? none : index.get(c.fromKey)!]![c.toKey === null ? none : index.get(c.toKey)!]! += c.count;
    const moves: SegmentMove[] = [];
    for (let i = 0; i < none; i++) {
      for (let j = 0; j < none; j++) {
        if (i !== j && matrix[i]![j]! > 0) moves.push({ from: keys[i]!, fromName: nameOf(keys[i]!), to: keys[j]!, toName: nameOf(keys[j]!), count: matrix[i]![j]! });
      }
    }
    moves.sort((a, b) => b.count - a.count || a.fromName.localeCompare(b.fromName) || a.toName.localeCompare(b.toName));
    return {
      clustering: options.kind === 'persona' ? group : null,
      segments: keys.map((key) => ({ key, name: nameOf(key) })),
      counts: matrix,
      entered: matrix[none]!.slice(0, none).reduce((sum, n) => sum + n, 0),
      left: matrix.slice(0, none).reduce((sum, row) => sum + row[none]!, 0),
      retention: keys.map((key, i) => {
        const total = matrix[i]!.reduce((sum, n) => sum + n, 0);
        return { key, name: nameOf(key), atFrom: total, stayed: matrix[i]![i]!, share: total > 0 ? matrix[i]![i]! / total : null };
      }),
      largestMoves: moves.slice(0, options.topMoves ?? 5),
    };
  });
}
