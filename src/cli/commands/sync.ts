import { describeFailures, recorded, sync, type PlatformFailure } from '../../pipeline/run.js';
import { logFormat } from '../../log/logger.js';
import { renderPull, renderPush, renderRequests, renderSegment } from '../render.js';
import { EXIT, runCommand, type CommandContext } from '../context.js';
import { underOperationLeases } from '../command-leases.js';
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
      }), { failure: (r) => (r.failed.length > 0 ? describeFailures(r.failed) : undefined) }));
    const message = result.failed.length > 0 ? `sync: ${describeFailures(result.failed)}` : undefined;
    // One kind when one platform failed (as if the command had failed on it), else the platforms'.
    const kind = result.failed.length === 1 ? result.failed[0]!.kind : 'platforms_failed';
    ctx.print(
      [
        renderPull(result.pull),
        ...(result.segment ? ['', renderSegment(result.segment)] : ['', 'Not segmented and nothing pushed: no platform could be pulled.']),
        ...(result.push ? ['', renderPush(result.push)] : []),
        '',
        renderRequests(requests),
      ].join('\n'),
      { ok: message === undefined, ...result, requests, ...(message ? { error: { kind, message } } : {}) },
    );
    if (message !== undefined) {
      reportFailures(ctx, result.failed, message);
      process.exitCode = result.failed.every((f) => f.kind === 'configuration' || f.kind === 'mapping_field') ? EXIT.usage : EXIT.failure;
    }
  }, { store: 'create' });
}

/** As any failed command reports its error (context.ts reportError): a log line per platform in JSON logs, else one line. */
function reportFailures(ctx: CommandContext, failed: readonly PlatformFailure[], message: string): void {
  if (logFormat() === 'json') {
    const exitCode = failed.every((f) => f.kind === 'configuration' || f.kind === 'mapping_field') ? EXIT.usage : EXIT.failure;
    for (const f of failed) {
      ctx.log.error({ kind: f.kind, exitCode, platform: f.platform, step: f.step, call: f.call, status: f.status, correlationId: f.correlationId }, f.error);
    }
    return;
  }
  if (!ctx.json) process.stderr.write(`segsync: ${message}\n`);
}
