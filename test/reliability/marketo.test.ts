/**
 * Marketo under fire: for each fault kind the emulator makes (in Marketo's own form), a full
 * pull → segment → push in-process, then the store is compared with the emulator's ground truth
 * and Marketo's lists and token fields with the store. Limits are Marketo's shape, scaled 20×
 * (100 calls per rolling second instead of 20 s, 10 in flight), and any request the emulator had
 * to refuse for being over them fails the scenario.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FAULT_KINDS, type FaultKind } from '../../src/sandbox/emulator-faults.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { requestCounts } from '../../src/pipeline/session.js';
import { reportReliability } from '../helpers/reliability.js';
import { marketoWorld, signal, type MarketoWorld } from '../helpers/marketo-world.js';
import { comparePlatform, compareStore } from '../helpers/marketo-reliability.js';

const SIZE = 200;
/** Client timeout in the tests; `slow` answers come after FAULT_DELAY_MS. */
const TIMEOUT_MS = 1_000;
const FAULT_DELAY_MS = 2_000;

let world: MarketoWorld | undefined;
afterEach(async () => {
  if (world) world.emulator.onRequest = undefined;
  await world?.close();
  world = undefined;
});

describe('Marketo reliability: every fault kind, pull → segment → push, compared with the ground truth', () => {
  it.each(FAULT_KINDS.map((k) => [k] as const))('%s', async (kind: FaultKind) => {
    world = await marketoWorld({
      size: SIZE,
      seed: 23,
      emulator: { rateLimit: { max: 100, intervalMs: 1_000 }, maxConcurrent: 10, latencyMs: 2, exportProcessingMs: 5, faultDelayMs: FAULT_DELAY_MS },
      env: { MARKETO_RATE_LIMIT: '100', MARKETO_RATE_WINDOW_MS: '1000', MARKETO_MAX_CONCURRENCY: '10', MARKETO_TIMEOUT_MS: String(TIMEOUT_MS) },
    });
    const emulator = world.emulator;
    emulator.injectScenario({ kind });
    const session = world.open();

    await pull(session, { full: true, signal });
    // Changes made during a full pull are read by the next (incremental) pull, as a schedule would run it.
    if (kind === 'concurrent-writer') await pull(session, { full: false, signal });
    segment(session);
    const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal });

    const store = compareStore(session, emulator);
    const platform = comparePlatform(session, emulator);
    const differences = [...store.differences, ...platform.differences];
    const retried = Object.values(requestCounts(session)).reduce((n, c) => n + c.retries, 0);
    const overLimit = emulator.overLimitRequests();
    reportReliability({
      platform: 'marketo',
      fault: kind,
      faultsInjected: emulator.faultsInjected(),
      requestsRetried: retried,
      recordsCompared: store.recordsCompared + platform.recordsCompared,
      differences: differences.length,
      overLimit,
    });

    // The scenario really happened: every scheduled fault met its request.
    expect(emulator.pendingFaults()).toEqual([]);
    expect(emulator.faultsInjected()).toBeGreaterThan(0);
    if (kind === 'malformed-records') expect(emulator.corruptedRecords().length).toBe(14);
    if (kind === 'concurrent-writer') expect(emulator.concurrentChanges().map((c) => c.change).sort()).toEqual(['lead-created', 'lead-deleted', 'lead-updated', 'lead-updated', 'opportunity-added', 'opportunity-updated']);
    if (kind === 'token-expiry') {
      // Each dead token cost one 601/602 answer and one new token, nothing more.
      expect(emulator.requests.filter((r) => r.code === '601' || r.code === '602')).toHaveLength(emulator.faultsInjected());
      expect(emulator.requests.filter((r) => r.path.startsWith('/identity/'))).toHaveLength(1 + emulator.faultsInjected());
    }
    // The run completed and matches the ground truth; segsync never went over Marketo's limits.
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    expect(differences).toEqual([]);
    expect(overLimit).toBe(0);
  }, 60_000);
});
