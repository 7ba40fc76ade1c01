import { ConfigError } from '../config/errors.js';
import { ModelFitError } from '../segmentation/predict/bgnbd.js';

/** An error as it crosses from a worker thread: structured clone would keep only a plain Error. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** SQLite's error code (SQLITE_BUSY, ...) or Node's (ENOENT, ...), when the error had one. */
  code?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/**
 * The error again, of the class the caller tells apart: a ConfigError still exits 2 with its
 * message as it is, whichever thread found the bad config.
 */
export function reviveError(e: SerializedError): Error {
  const error = e.name === 'ConfigError' ? new ConfigError(e.message)
    : e.name === 'ModelFitError' ? new ModelFitError(e.message)
    : e.name === 'RangeError' ? new RangeError(e.message)
    : e.name === 'TypeError' ? new TypeError(e.message)
    : Object.assign(new Error(e.message), { name: e.name });
  if (e.stack !== undefined) error.stack = e.stack;
  if (e.code !== undefined) Object.assign(error, { code: e.code });
  return error;
}
