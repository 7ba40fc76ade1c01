import { pull, push, recorded, segment } from '../../pipeline/run.js';
import { renderPull, renderPush, renderRequests, renderSegment } from '../render.js';
import { runCommand } from '../context.js';
import type { PushFlags } from './push.js';

/** pull + segment + push, recorded as one run. */
export function syncCommand(flags: PushFlags & { full?: boolean }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const { result, requests } = await recorded(ctx.session, 'sync', async () => {
      const pulled = await pull(ctx.session, { full: flags.full === true, signal: ctx.signal, progress: ctx.progress });
      const segmented = segment(ctx.session);
      const pushed = await push(ctx.session, {
        dryRun: flags.dryRun === true,
        allowMassRemoval: flags.allowMassRemoval === true,
        signal: ctx.signal,
        progress: ctx.progress,
      });
      return { pull: pulled, segment: segmented, push: pushed };
    });
    ctx.print(
      [renderPull(result.pull), '', renderSegment(result.segment), '', renderPush(result.push), '', renderRequests(requests)].join('\n'),
      { ok: true, ...result, requests },
    );
  }, { store: 'create' });
}
