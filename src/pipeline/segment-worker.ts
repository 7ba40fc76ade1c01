/**
 * The worker thread's side of `runSegmentationInWorker` (segment-thread.ts): it opens its own
 * connection to the store, runs the segmentation and posts the summary, or the error, back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type Db } from '../store/db.js';
import { runSegmentation } from './segment.js';
import { serializeError } from './thread-errors.js';
import type { SegmentWorkerData, SegmentWorkerMessage } from './segment-thread.js';

const { input } = workerData as SegmentWorkerData;
let db: Db | undefined;
let message: SegmentWorkerMessage;
try {
  db = openStore(input.dbPath, 'write');
  message = { kind: 'done', summary: runSegmentation(db, input.workspace, input.options) };
} catch (error) {
  message = { kind: 'failed', error: serializeError(error) };
} finally {
  db?.close();
}
parentPort!.postMessage(message);
