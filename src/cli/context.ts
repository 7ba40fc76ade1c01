import { CONNECTORS } from '../../connectors/index.js';
import { ConfigError } from '../config/errors.js';
import { ApiError } from '../http/errors.js';
import { MassRemovalError } from '../pipeline/apply.js';
import { openSession, type Session } from '../pipeline/session.js';
import { createProgress } from './output.js';
import type { ProgressFactory } from '../pipeline/progress.js';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export interface GlobalFlags {
  json?: boolean;
}

export interface CommandContext {
  session: Session;
  signal: AbortSignal;
  progress: ProgressFactory;
  json: boolean;
  print(human: string, machine: unknown): void;
}

/** Opens the session, wires Ctrl-C to a clean stop, prints errors the same way for every command. */
export async function runCommand(
  flags: GlobalFlags,
  work: (ctx: CommandContext) => Promise<void>,
  options: { requireConnector?: boolean } = {},
): Promise<void> {
  const json = flags.json === true;
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after the page in flight (Ctrl-C again to force)...\n');
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let session: Session | undefined;
  try {
    session = openSession({ registry: CONNECTORS, ...(options.requireConnector === false ? { requireConnector: false } : {}) });
    await work({
      session,
      signal: controller.signal,
      progress: createProgress({ json }),
      json,
      print(human, machine) {
        process.stdout.write(json ? `${JSON.stringify(machine, null, 2)}\n` : `${human}\n`);
      },
    });
  } catch (error) {
    process.exitCode = reportError(error, json);
  } finally {
    session?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function reportError(error: unknown, json: boolean): number {
  const code = error instanceof ConfigError ? EXIT.usage : EXIT.failure;
  const kind = error instanceof ConfigError ? 'configuration'
    : error instanceof ApiError ? `api:${error.kind}`
    : error instanceof MassRemovalError ? 'mass_removal_guard'
    : 'failure';
  const message = error instanceof Error ? error.message : String(error);
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { kind, message } }, null, 2)}\n`);
  else process.stderr.write(`segsync: ${message}\n`);
  if (!json && !(error instanceof ConfigError || error instanceof ApiError || error instanceof MassRemovalError) && error instanceof Error && process.env.SEGSYNC_DEBUG) {
    process.stderr.write(`${error.stack}\n`);
  }
  return code;
}
