import { recorded, sync } from '../../pipeline/run.js';
import { renderPull, renderPush, renderRequests, renderSegment } from '../render.js';
import { runCommand } from '../context.js';
import { underOperationLeases } from '../command-leases.js';
import { failedPlatforms, printWithFailures } from '../platform-failures.js';
import type { PushFlags } from './push.js';

/**
 * pull + segment + push, recorded as one run. A failing platform does not stop the others (see
 * sync() in src/pipeline/run.ts): the run is recorded as failed, the summary says what was done,
 * and the command exits 1 naming the platform(s) that failed (2 if every failure is configuration).
 */
export function syncCommand(flags: PushFlags & { full?: boolean; allowBlanking?: boolean; allowMassDeletion?: boolean }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const dryRun = flags.dryRun === true;
    const { result, requests } = await underOperationLeases(ctx, 'sync', { command: 'sync', dryRun, ...(flags.wait !== undefined ? { waitSeconds: flags.wait } : {}) }, (signal) =>
      recorded(ctx.session, 'sync', () => sync(ctx.session, {
        full: flags.full === true,
        allowBlanking: flags.allowBlanking === true,
        allowMassDeletion: flags.allowMassDeletion === true,
        dryRun,
        allowMassRemoval: flags.allowMassRemoval === true,
        signal,
        progress: ctx.progress,
      }), { failure: (r) => failedPlatforms(r.failed) }));
    printWithFailures(
      ctx,
      'sync',
      result.failed,
      [
        renderPull(result.pull),
        ...(result.segment ? ['', renderSegment(result.segment)] : ['', 'Not segmented and nothing pushed: no platform could be pulled.']),
        ...(result.push ? ['', renderPush(result.push)] : []),
        '',
        renderRequests(requests),
      ].join('\n'),
      { ...result, requests },
    );
  }, { store: 'create' });
}
