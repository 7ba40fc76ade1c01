import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the run in progress has done so far, part by part, for its row in run history: a failed
 * run records the counts of what it stored and pushed before it failed, and a running one writes
 * them with every heartbeat (so a run killed with SIGKILL keeps them too). pull(), segment() and
 * push() report their part without knowing whether a recorded run is around them.
 */
export interface RunParts {
  pull?: () => unknown;
  segment?: () => unknown;
  push?: () => unknown;
  /**
   * Writes the counts so far to the run's row (set by recorded()). Called by a step each time it
   * has stored something: a pull's flush transaction, a push batch the platform confirmed, in the
   * same transaction as the data. A run killed outright (SIGKILL) keeps them, whatever the heartbeat did.
   */
  checkpoint?: () => void;
}

const current = new AsyncLocalStorage<RunParts>();

/** Runs `work` with its own parts, read back by `partsSoFar`. */
export function trackRunParts<T>(parts: RunParts, work: () => Promise<T>): Promise<T> {
  return current.run(parts, work);
}

/** Called by a step as it starts: `soFar` returns its result up to now (objects it keeps up to date). */
export function reportRunPart(part: keyof Omit<RunParts, 'checkpoint'>, soFar: () => unknown): void {
  const parts = current.getStore();
  if (parts) parts[part] = soFar;
}

/** A step reports one it has not reported yet (a file import runs pullSource without pull() around it). */
export function reportRunPartIfAbsent(part: keyof Omit<RunParts, 'checkpoint'>, soFar: () => unknown): void {
  const parts = current.getStore();
  if (parts && parts[part] === undefined) parts[part] = soFar;
}

/** The counts so far to the run's row, when a recorded run is around this step (see RunParts.checkpoint). */
export function runCheckpoint(): void {
  current.getStore()?.checkpoint?.();
}

/** The result so far in the shape of a sync's (what run-counts.ts reads), or the one part there is. */
export function partsSoFar(parts: RunParts): unknown {
  const done = (['pull', 'segment', 'push'] as const).filter((p) => parts[p] !== undefined);
  if (done.length === 0) return undefined;
  if (done.length === 1) return parts[done[0]!]!();
  return { pull: parts.pull?.(), segment: parts.segment?.(), push: parts.push?.() };
}
