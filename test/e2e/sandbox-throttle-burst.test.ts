/**
 * `segsync sandbox --faults throttle-burst` with its default burst: every emulator answers a burst
 * of rate-limit answers in its platform's form, and a whole sync against the sandbox completes
 * (the default burst is shorter than the client's five attempts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { openSession } from '../../src/pipeline/session.js';
import { startSandbox } from '../../src/sandbox/server.js';

const signal = new AbortController().signal;

describe('a sync against the sandbox with the default throttle burst', () => {
  it('completes on every platform, each emulator having throttled it', async () => {
    const sandbox = await startSandbox({ registry: CONNECTORS, size: 60, pace: 'fast', faults: [{ kind: 'throttle-burst' }] });
    const dir = mkdtempSync(join(tmpdir(), 'segsync-burst-'));
    // Marketo's 606 waits out its rolling window: a short one keeps the test short.
    const session = openSession({ env: { ...sandbox.env, MARKETO_RATE_WINDOW_MS: '1000', SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: '' }, registry: CONNECTORS });
    try {
      const pulled = await pull(session, { full: true, signal });
      expect(pulled.streams.every((s) => s.stored > 0)).toBe(true);
      segment(session);
      const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal });
      expect(pushed.destinations.map((d) => d.applied?.failed.length)).toEqual([0, 0, 0]);
      for (const [platform, emulator] of sandbox.emulators) expect(emulator.faultsInjected(), platform).toBeGreaterThan(0);
    } finally {
      session.close();
      await sandbox.close();
    }
  }, 180_000);
});
