import { recorded, segmentInWorker } from '../../pipeline/run.js';
import { renderSegment } from '../render.js';
import { runCommand, type GlobalFlags } from '../context.js';
import { underOperationLeases } from '../command-leases.js';

export function segmentCommand(flags: GlobalFlags & { export?: string; wait?: number }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const { result } = await underOperationLeases(ctx, 'segment', { command: 'segment', ...(flags.wait !== undefined ? { waitSeconds: flags.wait } : {}) }, (signal) =>
      recorded(ctx.session, 'segment', () => segmentInWorker(ctx.session, { signal, ...(flags.export ? { exportDir: flags.export } : {}) })));
    ctx.print(renderSegment(result), { ok: true, segment: result });
  }, { requireConnector: false, store: 'write' });
}
