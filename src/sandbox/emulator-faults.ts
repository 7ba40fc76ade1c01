/** A fault an emulator answers instead of the real thing, for reliability tests. */
export interface EmulatorFault {
  /** Tested against `${METHOD} ${path}` (path as given to handle(); Shopify adds the operation name). */
  match: RegExp;
  /** How many matching requests get this answer; default 1. */
  times?: number;
  /** HTTP status to answer; 0 = destroy the connection without answering (a reset). */
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}
