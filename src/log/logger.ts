import { pino, stdTimeFunctions } from 'pino';
import pretty from 'pino-pretty';
import { readCoreEnv, type LOG_FORMATS } from '../config/env.js';
import type { TransportEvents } from '../http/transport.js';
import { REDACTED, REDACT_PATHS, redactText, redactValue, registeredSecrets, secretValues } from './redact.js';

export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/** What the rest of the code depends on; pino stays an implementation detail of this file. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  env?: NodeJS.ProcessEnv;
  /** Where lines go; stderr by default, since stdout carries command output and --json. */
  stream?: NodeJS.WritableStream;
  /** Overrides SEGSYNC_LOG_FORMAT and the terminal check. */
  pretty?: boolean;
}

const isTerminal = (stream: NodeJS.WritableStream) => (stream as { isTTY?: boolean }).isTTY === true;

/**
 * Readable lines on a terminal, JSON lines elsewhere (a pipe, a file, a service manager);
 * SEGSYNC_LOG_FORMAT picks one either way. Throws ConfigError on an invalid SEGSYNC_LOG_*.
 */
export function logFormat(options: LoggerOptions = {}): LogFormat {
  if (options.pretty !== undefined) return options.pretty ? 'pretty' : 'json';
  const { SEGSYNC_LOG_FORMAT } = readCoreEnv(options.env ?? process.env);
  return SEGSYNC_LOG_FORMAT ?? (isTerminal(options.stream ?? process.stderr) ? 'pretty' : 'json');
}

/**
 * A logger at SEGSYNC_LOG_LEVEL (default info) that masks credentials: by field name (pino's
 * redact paths, and `redactValue` at any depth), and by value (the secrets in `env` plus those
 * registered at run time) in messages, errors and bindings, with a last pass over each finished
 * line for anything a serializer produced.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const stream = options.stream ?? process.stderr;
  const { SEGSYNC_LOG_LEVEL: level } = readCoreEnv(env);
  const format = logFormat(options);
  const fromEnv = secretValues(env);
  // Read on every line: Marketo's token is registered after the logger exists.
  const secrets = () => [...fromEnv, ...registeredSecrets()];

  const destination = format === 'pretty'
    ? pretty({
        // In-process and synchronous: a worker transport would lose the last lines on process.exit.
        sync: true,
        destination: stream,
        colorize: isTerminal(stream) && !env.NO_COLOR,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,name',
        singleLine: true,
      })
    : stream;

  return pino(
    {
      name: 'segsync',
      level,
      timestamp: stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      formatters: {
        // "info" rather than 30: lines are read by people and grepped as often as parsed.
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactValue(bindings, secrets()) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const clean = args.map((arg) => redactValue(arg, secrets()));
          method.apply(this, clean as Parameters<typeof method>);
        },
        streamWrite: (line) => redactText(line, secrets()),
      },
    },
    destination,
  );
}

/**
 * Transport events as log lines, for `openSession({ events })`: a wait after a platform's rate
 * limit, and a retry after a 5xx, a reset or a timeout. Both at info: they explain a slow run.
 */
export function transportLogEvents(log: Logger): TransportEvents {
  return {
    onRetry({ call, attempt, delayMs, error }) {
      const fields = { platform: error.platform, call, status: error.status, kind: error.kind, attempt, waitMs: delayMs, detail: error.detail };
      if (error.kind === 'rate_limited') log.info(fields, `${error.platform}: rate limited on ${call}; waiting ${delayMs} ms`);
      else log.info(fields, `${error.platform}: ${call} failed (${error.status ?? error.kind}); retrying in ${delayMs} ms`);
    },
  };
}
