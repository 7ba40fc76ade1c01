import type { DiagnosticCheck } from '../domain/connector.js';

/** One line of `segsync doctor` (the type connectors' `diagnose` returns too). */
export type Check = DiagnosticCheck;
export type CheckStatus = Check['status'];

export const ok = (name: string, detail: string): Check => ({ name, status: 'ok', detail });
export const warn = (name: string, detail: string, fix: string): Check => ({ name, status: 'warn', detail, fix });
export const fail = (name: string, detail: string, fix?: string): Check => ({ name, status: 'fail', detail, ...(fix ? { fix } : {}) });

/**
 * "the X environment is not valid:\n  - VAR: message" (describeZodError's shape) → one entry per
 * variable, so each bad value becomes its own line naming the variable.
 */
export function issuesOf(message: string): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  for (const line of message.split('\n')) {
    const m = /^\s+- ([^:]+): (.*)$/.exec(line);
    if (m) issues.push({ path: m[1]!, message: m[2]! });
  }
  return issues;
}
