import { push, recorded } from '../../pipeline/run.js';
import { renderPush, renderRequests } from '../render.js';
import { runCommand, type GlobalFlags } from '../context.js';

export interface PushFlags extends GlobalFlags {
  dryRun?: boolean;
  allowMassRemoval?: boolean;
}

export function pushCommand(flags: PushFlags): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const options = { dryRun: flags.dryRun === true, allowMassRemoval: flags.allowMassRemoval === true, signal: ctx.signal, progress: ctx.progress };
    const { result, requests } = await recorded(ctx.session, flags.dryRun ? 'push --dry-run' : 'push', () => push(ctx.session, options));
    ctx.print(`${renderPush(result)}\n${renderRequests(requests)}`, { ok: true, push: result, requests });
  }, { store: 'write' });
}
