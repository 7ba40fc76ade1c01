// Starts a worker thread whose entry is a TypeScript file, when segsync runs from its sources
// (tsx, vitest): Node 20 does not apply tsx's hooks to a worker's entry, even with `--import tsx`
// in execArgv, so the hooks are registered here first. The compiled package never uses this file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsEntry);
