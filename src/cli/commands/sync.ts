import { pull, push, recorded, segmentInWorker } from '../../pipeline/run.js';
import { renderPull, renderPush, renderRequests, renderSegment } from '../render.js';
import { runCommand } from '../context.js';
import { underOperationLeases } from '../command-leases.js';
import type { PushFlags } from './push.js';

/** pull + segment + push, recorded as one run. */
export function syncCommand(flags: PushFlags & { full?: boolean }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const dryRun = flags.dryRun === true;
    const { result, requests } = await underOperationLeases(ctx, 'sync', { command: 'sync', dryRun, ...(flags.wait !== undefined ? { waitSeconds: flags.wait } : {}) }, (signal) =>
      recorded(ctx.session, 'sync', async () => {
        const pulled = await pull(ctx.session, { full: flags.full === true, signal, progress: ctx.progress });
        const segmented = await segmentInWorker(ctx.session, { signal });
        const pushed = await push(ctx.session, {
          dryRun,
          allowMassRemoval: flags.allowMassRemoval === true,
          signal,
          progress: ctx.progress,
        });
        return { pull: pulled, segment: segmented, push: pushed };
      }));
    ctx.print(
      [renderPull(result.pull), '', renderSegment(result.segment), '', renderPush(result.push), '', renderRequests(requests)].join('\n'),
      { ok: true, ...result, requests },
    );
  });
}
