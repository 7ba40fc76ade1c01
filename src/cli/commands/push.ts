import { push, recorded } from '../../pipeline/run.js';
import { renderPush, renderRequests } from '../render.js';
import { runCommand, type GlobalFlags } from '../context.js';
import { underOperationLeases } from '../command-leases.js';

export interface PushFlags extends GlobalFlags {
  dryRun?: boolean;
  allowMassRemoval?: boolean;
  /** Wait up to this many seconds for another segsync holding a destination (default: fail at once). */
  wait?: number;
}

export function pushCommand(flags: PushFlags): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const dryRun = flags.dryRun === true;
    const { result, requests } = await underOperationLeases(ctx, 'push', { command: 'push', dryRun, ...(flags.wait !== undefined ? { waitSeconds: flags.wait } : {}) }, (signal) => {
      const options = { dryRun, allowMassRemoval: flags.allowMassRemoval === true, signal, progress: ctx.progress };
      return recorded(ctx.session, dryRun ? 'push --dry-run' : 'push', () => push(ctx.session, options));
    });
    ctx.print(`${renderPush(result)}\n${renderRequests(requests)}`, { ok: true, push: result, requests });
  }, { store: 'write' });
}
