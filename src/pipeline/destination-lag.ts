import { z } from 'zod';
import type { Db } from '../store/db.js';

export interface DestinationLag {
  destination: string;
  /** The segmentation run the last successful push sent (null: never pushed). */
  pushedSegmentationRun: number | null;
  lastPushAt: string | null;
  latestSegmentationRun: number | null;
  /** Segmentation runs since the one that was pushed (0 = up to date). */
  runsBehind: number | null;
}

const Pushed = z.object({
  result: z.union([
    z.object({ segment: z.object({ runId: z.number() }), push: z.object({ dryRun: z.boolean(), destinations: z.array(z.object({ platform: z.string(), applied: z.unknown().optional() })) }) }),
    z.object({ dryRun: z.boolean(), destinations: z.array(z.object({ platform: z.string(), applied: z.unknown().optional() })) }),
  ]),
});

/**
 * How far each destination lags behind the latest segmentation: which segmentation run its last
 * successful push sent (the latest one that existed when that push started) against the latest.
 */
export function destinationLag(db: Db, destinations: readonly string[]): DestinationLag[] {
  const latest = (db.prepare('SELECT MAX(id) AS id FROM segmentation_runs').get() as { id: number | null }).id;
  const segmentationAt = db.prepare('SELECT MAX(id) AS id FROM segmentation_runs WHERE created_at <= ?');
  const pushes = db.prepare(`SELECT started_at AS startedAt, finished_at AS finishedAt, summary FROM runs
    WHERE status = 'succeeded' AND command IN ('push', 'sync') ORDER BY id DESC LIMIT 500`).all() as Array<{ startedAt: string; finishedAt: string; summary: string | null }>;
  return destinations.map((destination) => {
    for (const run of pushes) {
      const parsed = Pushed.safeParse(run.summary ? JSON.parse(run.summary) : null);
      if (!parsed.success) continue;
      const push = 'push' in parsed.data.result ? parsed.data.result.push : parsed.data.result;
      if (push.dryRun || !push.destinations.some((d) => d.platform === destination && d.applied !== undefined)) continue;
      // A sync pushed the run it made; a push, the latest run that existed when it started.
      const pushed = 'push' in parsed.data.result
        ? parsed.data.result.segment.runId
        : (segmentationAt.get(run.startedAt) as { id: number | null }).id;
      return { destination, pushedSegmentationRun: pushed, lastPushAt: run.finishedAt, latestSegmentationRun: latest, runsBehind: latest === null || pushed === null ? null : latest - pushed };
    }
    return { destination, pushedSegmentationRun: null, lastPushAt: null, latestSegmentationRun: latest, runsBehind: latest === null ? null : latest };
  });
}
