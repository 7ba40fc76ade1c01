import { describeFailures, recorded, sync } from '../../pipeline/run.js';
import { renderPull, renderPush, renderRequests, renderSegment } from '../render.js';
import { EXIT, runCommand } from '../context.js';
import type { PushFlags } from './push.js';

/**
 * pull + segment + push, recorded as one run. A failing platform does not stop the others (see
 * sync() in src/pipeline/run.ts): the run is recorded as failed, the summary says what was done,
 * and the command exits 1 naming the platform(s) that failed.
 */
export function syncCommand(flags: PushFlags & { full?: boolean }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const { result, requests } = await recorded(ctx.session, 'sync', () => sync(ctx.session, {
      full: flags.full === true,
      dryRun: flags.dryRun === true,
      allowMassRemoval: flags.allowMassRemoval === true,
      signal: ctx.signal,
      progress: ctx.progress,
    }), { failure: (r) => (r.failed.length > 0 ? describeFailures(r.failed) : undefined) });
    const failed = result.failed.length > 0 ? describeFailures(result.failed) : undefined;
    ctx.print(
      [
        renderPull(result.pull),
        ...(result.segment ? ['', renderSegment(result.segment)] : ['', 'Not segmented and nothing pushed: no platform could be pulled.']),
        ...(result.push ? ['', renderPush(result.push)] : []),
        '',
        renderRequests(requests),
      ].join('\n'),
      { ok: failed === undefined, ...result, requests, ...(failed ? { error: { kind: 'platform_failed', message: `sync: ${failed}` } } : {}) },
    );
    if (failed !== undefined) {
      if (!ctx.json) process.stderr.write(`segsync: sync: ${failed}\n`);
      process.exitCode = EXIT.failure;
    }
  });
}
