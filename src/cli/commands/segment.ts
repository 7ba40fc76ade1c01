import { recorded, segment } from '../../pipeline/run.js';
import { renderSegment } from '../render.js';
import { runCommand, type GlobalFlags } from '../context.js';

export function segmentCommand(flags: GlobalFlags & { export?: string }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const { result } = await recorded(ctx.session, 'segment', async () => segment(ctx.session, flags.export ? { exportDir: flags.export } : {}));
    ctx.print(renderSegment(result), { ok: true, segment: result });
  }, { requireConnector: false, store: 'write' });
}
