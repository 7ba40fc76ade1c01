import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Workspace } from '../config/workspace.js';
import type { SegmentOptions, SegmentSummary } from './segment.js';
import { reviveError, type SerializedError } from './thread-errors.js';

export interface SegmentWorkerInput {
  /** The store's file: the worker opens its own connection (WAL lets it write between the others). */
  dbPath: string;
  /** The workspace config as the caller's session read it, so both threads use the same one. */
  workspace: Workspace;
  options: SegmentOptions;
}

export interface SegmentWorkerData {
  input: SegmentWorkerInput;
  /** Only when running from sources: the TypeScript entry the bootstrap imports. */
  tsEntry?: string;
}

export type SegmentWorkerMessage =
  | { kind: 'done'; summary: SegmentSummary }
  | { kind: 'failed'; error: SerializedError };

/**
 * Runs `runSegmentation` in a worker thread, so that this thread's event loop stays free while the
 * features, clusters and predictions are computed: the daemon's cron ticks, lease renewals and
 * health answers go on. Errors come back as the same classes with the same messages (a bad
 * config is still a ConfigError). An abort ends the worker: its write transaction, if one was
 * open, is rolled back by SQLite, so a run is stored whole or not at all.
 */
export function runSegmentationInWorker(input: SegmentWorkerInput, signal?: AbortSignal): Promise<SegmentSummary> {
  if (signal?.aborted) return Promise.reject(stopped(signal));
  return new Promise((resolve, reject) => {
    const worker = startWorker({ input });
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const onAbort = () => {
      settle(() => reject(stopped(signal!)));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: SegmentWorkerMessage) => {
      settle(() => (message.kind === 'done' ? resolve(message.summary) : reject(reviveError(message.error))));
    });
    // An uncaught error or running out of memory: the worker is gone, the store is as it was.
    worker.once('error', (error) => settle(() => reject(error)));
    worker.once('exit', (code) => settle(() => reject(new Error(`the segmentation worker stopped (exit code ${code}) before it finished; nothing of this run was stored`))));
  });
}

function stopped(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('the segmentation was stopped');
}

/** The compiled package runs segment-worker.js; from sources (tsx, vitest) the .ts goes through tsx. */
function startWorker(data: SegmentWorkerData): Worker {
  const here = import.meta.url;
  const entry = new URL(`./segment-worker${extname(fileURLToPath(here))}`, here);
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData: data });
  return new Worker(new URL('./ts-worker-bootstrap.mjs', here), { workerData: { ...data, tsEntry: entry.href } });
}
