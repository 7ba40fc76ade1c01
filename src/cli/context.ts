import { CONNECTORS } from '../../connectors/index.js';
import { ConfigError } from '../config/errors.js';
import { ApiError } from '../http/errors.js';
import { createLogger, logFormat, transportLogEvents, type Logger } from '../log/logger.js';
import { redactText, registeredSecrets, secretValues } from '../log/redact.js';
import { errorKind, isExpectedError } from '../pipeline/error-kind.js';
import { openSession, type Session } from '../pipeline/session.js';
import type { StoreMode } from '../store/db.js';
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
  /** stderr, at SEGSYNC_LOG_LEVEL; stdout stays for command output. */
  log: Logger;
  print(human: string, machine: unknown): void;
}

/** Opens the session, wires Ctrl-C to a clean stop, prints errors the same way for every command. */
export async function runCommand(
  flags: GlobalFlags,
  work: (ctx: CommandContext) => Promise<void>,
  /** store: how the command uses the store; `write` (it must exist) when not said. */
  options: { requireConnector?: boolean; store?: StoreMode } = {},
): Promise<void> {
  const json = flags.json === true;
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    const note = 'stopping after the page in flight (Ctrl-C again to force)...';
    if (log && logFormat() === 'json') log.warn(note);
    else process.stderr.write(`\n${note}\n`);
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let session: Session | undefined;
  let log: Logger | undefined;
  try {
    log = createLogger();
    session = openSession({
      registry: CONNECTORS,
      events: transportLogEvents(log),
      ...(options.requireConnector === false ? { requireConnector: false } : {}),
      store: options.store ?? 'write',
    });
    log.debug({ platforms: session.connectors.map((c) => c.id), db: session.dbPath }, 'session opened');
    await work({
      session,
      signal: controller.signal,
      progress: createProgress({ json, log }),
      json,
      log,
      print(human, machine) {
        process.stdout.write(json ? `${JSON.stringify(machine, null, 2)}\n` : `${human}\n`);
      },
    });
  } catch (error) {
    process.exitCode = reportError(error, json, log);
  } finally {
    session?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * --json puts the error on stdout as before. On stderr: the human line on a terminal (the log
 * would only repeat it), one JSON log line elsewhere, so that a log collector gets it whole.
 */
export function reportError(error: unknown, json: boolean, log?: Logger): number {
  const code = error instanceof ConfigError ? EXIT.usage : EXIT.failure;
  const expected = isExpectedError(error);
  const kind = errorKind(error);
  const secrets = [...secretValues(process.env), ...registeredSecrets()];
  const message = redactText(error instanceof Error ? error.message : String(error), secrets);
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { kind, message } }, null, 2)}\n`);
  const logger = jsonLogger(log);
  if (logger) {
    const api = error instanceof ApiError
      ? { platform: error.platform, call: error.call, status: error.status, correlationId: error.correlationId, attempts: error.attempts }
      : {};
    logger.error({ kind, exitCode: code, ...api, ...(expected ? {} : { err: error }) }, message);
    return code;
  }
  if (!json) process.stderr.write(`segsync: ${message}\n`);
  if (!json && !expected && error instanceof Error && process.env.SEGSYNC_DEBUG) {
    process.stderr.write(`${redactText(error.stack ?? '', secrets)}\n`);
  }
  return code;
}

/** The logger to report an error to, if logs are JSON lines; one is made if the command had none yet. */
function jsonLogger(log: Logger | undefined): Logger | undefined {
  try {
    return logFormat() === 'json' ? (log ?? createLogger()) : undefined;
  } catch {
    // SEGSYNC_LOG_* itself is invalid, which is likely the error being reported: say it plainly.
    return undefined;
  }
}
