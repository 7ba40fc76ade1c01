import { pull, recorded } from '../../pipeline/run.js';
import { renderPull, renderRequests } from '../render.js';
import { runCommand, type GlobalFlags } from '../context.js';

export function pullCommand(flags: GlobalFlags & { full?: boolean }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const { result, requests } = await recorded(ctx.session, 'pull', () =>
      pull(ctx.session, { full: flags.full === true, signal: ctx.signal, progress: ctx.progress }));
    ctx.print(`${renderPull(result)}\n${renderRequests(requests)}`, { ok: true, pull: result, requests });
  }, { store: 'create' });
}
