/**
 * HubSpot reliability: for each fault kind, pull → segment → push against the emulator at the
 * real limits (pace 'realistic': 100 requests per rolling 10 s, search 5/s, segsync's default
 * HUBSPOT_RATE_LIMIT), then the store, the lists and the tokens are compared with the emulator's
 * ground truth. The scenarios run concurrently (each has its own emulator and store) so the file
 * stays well under a minute although a TEN_SECONDLY_ROLLING 429 costs segsync a 10 s pause.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/http/errors.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import type { FaultKind } from '../../src/sandbox/emulator-faults.js';
import { compare, reliabilityWorld, retries, sync, type Comparison, type ReliabilityWorld } from '../helpers/hubspot-reliability.js';
import { reportReliability } from '../helpers/reliability.js';
import { signal } from '../helpers/world.js';

const worlds: ReliabilityWorld[] = [];
afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
});

async function world(env?: Record<string, string>): Promise<ReliabilityWorld> {
  const w = await reliabilityWorld(env ? { env } : {});
  worlds.push(w);
  return w;
}

function finish(fault: FaultKind, w: ReliabilityWorld, session: Session, result: Comparison): void {
  reportReliability({
    platform: 'hubspot',
    fault,
    faultsInjected: w.emulator.faultsInjected(),
    requestsRetried: retries(session),
    recordsCompared: result.recordsCompared,
    differences: result.differences.length,
    overLimit: w.emulator.overLimitRequests(),
  });
  expect(result.differences.slice(0, 20)).toEqual([]);
  expect(w.emulator.overLimitRequests()).toBe(0);
}

const READS = /^GET \/crm\/v3\/objects\//;
const WRITES = /^(PUT|POST|PATCH) \/crm\/v3\/(lists|objects\/contacts\/batch\/update|properties)/;

describe.concurrent('HubSpot reliability: pull → segment → push under faults', () => {
  it('throttle-burst: 429 TEN_SECONDLY_ROLLING answers are waited out and retried', async () => {
    const w = await world();
    // Two bursts (one in the pull, one in the push); each 429 costs a 10 s pause, as it should.
    w.emulator.injectScenario({ kind: 'throttle-burst', count: 1, match: READS, every: 2 });
    w.emulator.injectScenario({ kind: 'throttle-burst', count: 1, match: WRITES, every: 5 });
    const session = w.open();
    await sync(session);
    expect(w.emulator.faultsInjected()).toBe(2);
    finish('throttle-burst', w, session, compare(w, session));
  });

  it('server-errors: 502/503/500 answers are retried', async () => {
    const w = await world();
    w.emulator.injectScenario({ kind: 'server-errors', count: 3, match: READS, every: 2 });
    w.emulator.injectScenario({ kind: 'server-errors', count: 3, match: WRITES, every: 4 });
    const session = w.open();
    await sync(session);
    expect(w.emulator.faultsInjected()).toBe(6);
    finish('server-errors', w, session, compare(w, session));
  });

  it('resets: dropped connections (before and after the request is acted on) are retried', async () => {
    const w = await world();
    w.emulator.injectScenario({ kind: 'resets', count: 2, match: READS, every: 3 });
    w.emulator.injectScenario({ kind: 'resets', count: 4, match: WRITES, every: 3 });
    const session = w.open();
    await sync(session);
    expect(w.emulator.faultsInjected()).toBe(6);
    finish('resets', w, session, compare(w, session));
  });

  it('slow: answers later than HUBSPOT_TIMEOUT_MS (writes land anyway) are retried', async () => {
    const w = await world({ HUBSPOT_TIMEOUT_MS: '300' });
    w.emulator.injectScenario({ kind: 'slow', count: 2, match: READS, every: 2, delayMs: 600 });
    w.emulator.injectScenario({ kind: 'slow', count: 3, match: WRITES, every: 4, delayMs: 600 });
    const session = w.open();
    await sync(session);
    expect(w.emulator.faultsInjected()).toBe(5);
    finish('slow', w, session, compare(w, session));
  });

  it('malformed-records: corrupted records are quarantined, the rest stored; a later valid version replaces them', async () => {
    const w = await world();
    w.emulator.injectScenario({ kind: 'malformed-records', count: 11 });
    const session = w.open();
    await sync(session);
    const first = [...w.emulator.corruptions()];
    expect(new Set(first.map((c) => `${c.objectType} ${c.kind}`)).size).toBe(11);
    const neverStored = new Set(first.filter((c) => c.expect === 'quarantine').map((c) => c.id));
    const before = compare(w, session, first, neverStored);
    expect(before.differences.slice(0, 20)).toEqual([]);

    // The records are edited on HubSpot: the incremental pull (search) now serves them valid,
    // while two other search results are served corrupted.
    for (const c of first) {
      if (c.objectType === 'contacts') w.emulator.updateContact(c.id, { city: 'Fixed City' });
      else w.emulator.updateDeal(c.id, { dealname: 'Fixed deal' });
    }
    w.emulator.injectScenario({ kind: 'malformed-records', count: 2 });
    await sync(session, false);
    const second = w.emulator.corruptions().slice(first.length);
    expect(second.every((c) => c.via === 'search')).toBe(true);
    const replaced = first.filter((c) => c.servedId === c.id && c.expect === 'quarantine');
    const stillQuarantined = session.db
      .prepare(`SELECT external_id FROM quarantine WHERE external_id IN (${replaced.map(() => '?').join(',')})`)
      .all(...replaced.map((c) => c.id)) as Array<{ external_id: string }>;
    const secondIds = new Set(second.map((c) => c.servedId));
    expect(stillQuarantined.filter((r) => !secondIds.has(r.external_id))).toEqual([]);
    const after = compare(w, session, second);
    after.recordsCompared += before.recordsCompared;
    finish('malformed-records', w, session, after);
  });

  it('token-expiry: a revoked token fails the run clearly, loses nothing, and the next run completes', async () => {
    const w = await world();
    // Three sessions one after another, as an operator reruns segsync after fixing the token.
    // KNOWN DEFECT (fails until fixed): each session's rate limiter starts empty and ignores
    // HubSpot's X-HubSpot-RateLimit-Remaining, so the third session goes over 100 per 10 s.
    const first = w.open();
    await sync(first);
    const counts = (s: Session) =>
      Object.fromEntries(
        ['contacts', 'purchases', 'purchase_contacts', 'memberships', 'profile_tokens', 'destination_list_members', 'destination_tokens'].map((t) => [
          t,
          (s.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n,
        ]),
      );
    const stored = counts(first);

    // Revoked in the middle of a pull.
    const live = w.emulator.listContacts();
    for (const c of live.slice(0, 5)) w.emulator.updateContact(c.id, { city: 'After revoke' });
    w.emulator.injectScenario({ kind: 'token-expiry', afterRequests: 1 });
    const session = w.open();
    const failed = await pull(session, { full: false, signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).kind).toBe('auth');
    expect((failed as ApiError).message).toMatch(/401/);
    expect((failed as ApiError).message).toMatch(/HUBSPOT_ACCESS_TOKEN/);
    for (const [table, n] of Object.entries(counts(session))) expect(n, table).toBeGreaterThanOrEqual(stored[table]!);
    w.emulator.restoreToken();
    await pull(session, { full: false, signal });

    // Revoked again in the middle of a push with work to do (a year later, segments moved).
    w.writeConfig('segmentation:\n  referenceDate: 2027-06-01T00:00:00.000Z\ncontrolGroups:\n  share: 0\n');
    const later = w.open();
    segment(later);
    w.emulator.injectScenario({ kind: 'token-expiry', afterRequests: 6 });
    await expect(push(later, { dryRun: false, allowMassRemoval: true, signal })).rejects.toThrow(/401[\s\S]*HUBSPOT_ACCESS_TOKEN/);
    expect(w.emulator.requests.filter((r) => r.status === 401 && r.write).length).toBeGreaterThan(0);
    for (const [table, n] of Object.entries(counts(later))) {
      if (table !== 'memberships') expect(n, table).toBeGreaterThanOrEqual(stored[table]!);
    }
    w.emulator.restoreToken();
    await push(later, { dryRun: false, allowMassRemoval: true, signal });
    finish('token-expiry', w, later, compare(w, later));
  });

  it('concurrent-writer: records changed between pages are caught by the next incremental pull', async () => {
    const w = await world();
    w.emulator.injectScenario({ kind: 'concurrent-writer', count: 6 });
    const session = w.open();
    await pull(session, { full: true, signal });
    const changes = [...w.emulator.concurrentChanges()];
    expect(new Set(changes.map((c) => c.change)).size).toBe(4);
    await sync(session, false);
    finish('concurrent-writer', w, session, compare(w, session));
  });
});
