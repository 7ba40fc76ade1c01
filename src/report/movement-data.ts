/** The report's "Segment movement" section: its data, and how it is built from the store. */
import type { Db } from '../store/db.js';
import { segmentationRunRefs } from '../store/membership-history.js';
import { loadSegmentMovement } from '../measure/movement-loader.js';
import type { TransitionMatrix } from '../measure/movement.js';

export interface ReportMovementSeries {
  key: string;
  name: string;
  /** Size after each run of `runs`, in order. */
  sizes: number[];
}

export interface ReportMovementRun {
  id: number;
  createdAt: string;
}

export type ReportMovement =
  | {
    status: 'shown';
    /** Every segmentation run, oldest first. */
    runs: ReportMovementRun[];
    rfm: ReportMovementSeries[];
    personas: ReportMovementSeries[];
    /** The RFM transition matrix from the previous run to the latest (null when neither had RFM segments). */
    transition: (Omit<TransitionMatrix, 'clustering'> & { from: ReportMovementRun; to: ReportMovementRun }) | null;
  }
  | { status: 'skipped'; reason: string };

/** Movement needs two runs; with fewer, the section says why it is empty. */
export function movementReportData(db: Db): ReportMovement {
  const runs = segmentationRunRefs(db);
  if (runs.length < 2) return { status: 'skipped', reason: 'segsync has made only one segmentation run so far; run `segsync segment` again after the next pull to see movement' };
  const m = loadSegmentMovement(db, { kind: 'rfm' });
  const run = (r: { id: number; createdAt: string }): ReportMovementRun => ({ id: r.id, createdAt: r.createdAt });
  const series = (kind: string): ReportMovementSeries[] => m.sizes
    .filter((s) => s.kind === kind && s.sizes.some((n) => n > 0))
    .sort((a, b) => b.sizes.at(-1)! - a.sizes.at(-1)! || a.name.localeCompare(b.name))
    .map((s) => ({ key: s.key, name: s.name, sizes: s.sizes }));
  const matrix = m.matrices[0];
  return {
    status: 'shown',
    runs: m.runs.map(run),
    rfm: series('rfm'),
    personas: series('persona'),
    transition: matrix
      ? { from: run(m.from), to: run(m.to), segments: matrix.segments, counts: matrix.counts, entered: matrix.entered, left: matrix.left, retention: matrix.retention, largestMoves: matrix.largestMoves }
      : null,
  };
}
