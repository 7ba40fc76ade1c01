import { pull, recorded } from '../../pipeline/run.js';
import { renderPull, renderRequests } from '../render.js';
import { runCommand, type GlobalFlags } from '../context.js';
import { underOperationLeases } from '../command-leases.js';
import { failedPlatforms, printWithFailures } from '../platform-failures.js';

/** Pulls every platform; one that fails does not stop the others (as in `sync`): what they stored is kept and shown. */
export function pullCommand(flags: GlobalFlags & { full?: boolean; allowBlanking?: boolean; allowMassDeletion?: boolean; wait?: number }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const { result, requests } = await underOperationLeases(ctx, 'pull', { command: 'pull', ...(flags.wait !== undefined ? { waitSeconds: flags.wait } : {}) }, (signal) =>
      recorded(ctx.session, 'pull', () => pull(ctx.session, { full: flags.full === true, allowBlanking: flags.allowBlanking === true, allowMassDeletion: flags.allowMassDeletion === true, signal, progress: ctx.progress, keepGoing: true }),
        { failure: (r) => failedPlatforms(r.failed) }));
    printWithFailures(ctx, 'pull', result.failed ?? [], `${renderPull(result)}\n${renderRequests(requests)}`, { pull: result, requests });
  }, { store: 'create' });
}
