import { existsSync } from 'node:fs';

/**
 * A test hook: with SEGSYNC_TEST_HOLD_SEGMENTATION=<file>, segmentation stops after reading the
 * store and before computing, and waits until <file> exists, blocking its thread the way a long
 * computation does. The daemon's tests use it to hold a segmentation "long" for as long as they
 * need, without guessing how long a large population takes. Never set outside tests.
 */
export function holdSegmentationForTest(env: NodeJS.ProcessEnv = process.env): void {
  const release = env.SEGSYNC_TEST_HOLD_SEGMENTATION;
  if (!release) return;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(release)) Atomics.wait(cell, 0, 0, 20);
}
