/** Segment movement from the store: the aggregates read, then src/measure/movement.ts. */
import type { Db } from '../store/db.js';
import { membershipFlows, segmentationRunRefs, segmentRefs, transitionCounts, type SegmentationRunRef } from '../store/membership-history.js';
import { movementRuns, sizesOverRuns, transitionMatrices, type MovementPoint, type SegmentSeries, type TransitionMatrix } from './movement.js';

export const MOVEMENT_KINDS = ['rfm', 'persona'] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];

export interface SegmentMovement {
  kind: MovementKind;
  /** Every segmentation run, oldest first; `sizes` are aligned with them. */
  runs: SegmentationRunRef[];
  from: SegmentationRunRef;
  to: SegmentationRunRef;
  /** Every segment with a membership at some run (all kinds), its size after each run. */
  sizes: SegmentSeries[];
  /** One for RFM; one per named clustering for personas. */
  matrices: TransitionMatrix[];
}

/** Throws ConfigError (exit 2) for fewer than two runs or points that do not make a pair of runs. */
export function loadSegmentMovement(db: Db, options: { kind: MovementKind; from?: MovementPoint; to?: MovementPoint }): SegmentMovement {
  const runs = segmentationRunRefs(db);
  const { from, to } = movementRuns(runs, options.from, options.to);
  const segments = segmentRefs(db);
  return {
    kind: options.kind,
    runs,
    from,
    to,
    sizes: sizesOverRuns(runs, segments, membershipFlows(db)),
    matrices: transitionMatrices(transitionCounts(db, options.kind, from.id, to.id), segments, { kind: options.kind }),
  };
}
