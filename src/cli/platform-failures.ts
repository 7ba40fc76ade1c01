import { describeFailures, type PlatformFailure } from '../pipeline/run.js';
import { logFormat } from '../log/logger.js';
import { EXIT, type CommandContext } from './context.js';

/**
 * How `pull`, `push` and `sync` end when they went on past failing platforms (keepGoing in
 * src/pipeline/run.ts): the summary of every platform on stdout (`--json`: the result with `ok`,
 * `failed` and, on failure, `error`), each failure on stderr, and exit 1, or 2 when every failure
 * is configuration (a mapping to fix), as if the command had failed on it.
 */
export function printWithFailures(
  ctx: CommandContext,
  command: string,
  failed: readonly PlatformFailure[],
  human: string,
  machine: Record<string, unknown>,
): void {
  // One platform failed: its whole error, the fix included, as if the command had failed on it.
  const only = failed.length === 1 ? failed[0]! : undefined;
  const message = only ? `${command}: ${only.platform} ${only.step} failed: ${only.error}`
    : failed.length > 0 ? `${command}: ${describeFailures(failed)}` : undefined;
  // One kind when one platform failed, else the platforms'.
  const kind = failed.length === 1 ? failed[0]!.kind : 'platforms_failed';
  ctx.print(human, { ok: message === undefined, ...machine, failed, ...(message ? { error: { kind, message } } : {}) });
  if (message === undefined) return;
  const exitCode = failed.every((f) => f.kind === 'configuration' || f.kind === 'mapping_field') ? EXIT.usage : EXIT.failure;
  reportFailures(ctx, command, failed, exitCode);
  process.exitCode = exitCode;
}

/** The run history's error for a run with failed platforms (recorded()'s `failure`); undefined when none failed. */
export function failedPlatforms(failed: readonly PlatformFailure[] | undefined): string | undefined {
  return failed && failed.length > 0 ? describeFailures(failed) : undefined;
}

/**
 * As any failed command reports its error (context.ts reportError): a log line per platform in
 * JSON logs, else each platform's whole error (what to fix included) on stderr.
 */
function reportFailures(ctx: CommandContext, command: string, failed: readonly PlatformFailure[], exitCode: number): void {
  if (logFormat() === 'json') {
    for (const f of failed) {
      ctx.log.error({ kind: f.kind, exitCode, platform: f.platform, step: f.step, call: f.call, status: f.status, correlationId: f.correlationId }, f.error);
    }
    return;
  }
  if (!ctx.json) for (const f of failed) process.stderr.write(`segsync: ${command}: ${f.platform} ${f.step} failed: ${f.error}\n`);
}
