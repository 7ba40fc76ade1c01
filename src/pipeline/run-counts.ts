import { z } from 'zod';
import type { RunCounts } from '../store/runs.js';

/**
 * The same counts for every run, whatever the command: found by shape in the run's result
 * (a pull, a segmentation, a push, or a sync holding all three), so the history and the metrics
 * never depend on which command ran.
 */
const PullShape = z.object({ totals: z.object({ received: z.number(), quarantined: z.number() }) });
const SegmentShape = z.object({ entered: z.number(), left: z.number(), runId: z.number() });
const PushShape = z.object({
  destinations: z.array(z.object({ applied: z.object({ listAdds: z.number(), listRemoves: z.number(), tokenUpdates: z.number() }).optional() })),
});
const SyncShape = z.object({ pull: z.unknown(), segment: z.unknown(), push: z.unknown() });

export function runCounts(result: unknown, requests: Record<string, { reads: number; writes: number; retries: number; throttled: number }>): RunCounts {
  const counts: RunCounts = {
    pulled: 0, quarantined: 0, segmentEntries: 0, segmentExits: 0, listAdds: 0, listRemoves: 0, tokenUpdates: 0,
    requests: 0, retries: 0, throttled: 0,
  };
  for (const r of Object.values(requests)) {
    counts.requests += r.reads + r.writes;
    counts.retries += r.retries;
    counts.throttled += r.throttled;
  }
  const parts = SyncShape.safeParse(result).success ? Object.values(result as object) : [result];
  for (const part of parts) {
    const pulled = PullShape.safeParse(part);
    if (pulled.success) {
      counts.pulled += pulled.data.totals.received;
      counts.quarantined += pulled.data.totals.quarantined;
    }
    const segmented = SegmentShape.safeParse(part);
    if (segmented.success) {
      counts.segmentEntries += segmented.data.entered;
      counts.segmentExits += segmented.data.left;
    }
    const pushed = PushShape.safeParse(part);
    if (pushed.success) {
      for (const d of pushed.data.destinations) {
        counts.listAdds += d.applied?.listAdds ?? 0;
        counts.listRemoves += d.applied?.listRemoves ?? 0;
        counts.tokenUpdates += d.applied?.tokenUpdates ?? 0;
      }
    }
  }
  return counts;
}
