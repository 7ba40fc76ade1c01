import { push, recorded } from '../../pipeline/run.js';
import { renderPush, renderRequests } from '../render.js';
import { runCommand, type GlobalFlags } from '../context.js';
import { underOperationLeases } from '../command-leases.js';
import { failedPlatforms, printWithFailures } from '../platform-failures.js';

export interface PushFlags extends GlobalFlags {
  dryRun?: boolean;
  allowMassRemoval?: boolean;
  /** Wait up to this many seconds for another segsync holding a destination (default: fail at once). */
  wait?: number;
}

/** Pushes to every destination; one that fails does not stop the others (as in `sync`). */
export function pushCommand(flags: PushFlags): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const dryRun = flags.dryRun === true;
    const { result, requests } = await underOperationLeases(ctx, 'push', { command: 'push', dryRun, ...(flags.wait !== undefined ? { waitSeconds: flags.wait } : {}) }, (signal) => {
      const options = { dryRun, allowMassRemoval: flags.allowMassRemoval === true, signal, progress: ctx.progress, keepGoing: true };
      return recorded(ctx.session, dryRun ? 'push --dry-run' : 'push', () => push(ctx.session, options), { failure: (r) => failedPlatforms(r.failures) });
    });
    printWithFailures(ctx, 'push', result.failures ?? [], `${renderPush(result)}\n${renderRequests(requests)}`, { push: result, requests });
  }, { store: 'write' });
}
