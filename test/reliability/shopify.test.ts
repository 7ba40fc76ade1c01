/**
 * Shopify reliability: for each fault kind (src/sandbox/emulator-faults.ts) the Shopify emulator
 * injects the fault in Shopify's own form while segsync runs pull → segment → push → pull in
 * process, on 200 people and a Shopify Plus shop's bucket (the sandbox's plan:plus). Then the store must
 * equal the shop (every customer and order, every mapped field; test orders skipped), corrupted
 * records must be quarantined with a reason, tags and metafields must equal memberships and
 * profile_tokens, nothing may be stored twice or tagged twice in effect, and the emulator must
 * never have had to refuse a request for being over the real limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HUGE_STRING_LENGTH, UNICODE_NAME, type Corruption } from '../../connectors/shopify/emulator/index.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { requestCounts, type Session } from '../../src/pipeline/session.js';
import type { FaultKind } from '../../src/sandbox/emulator-faults.js';
import { reportReliability } from '../helpers/reliability.js';
import { compareDestination, compareStore, reliabilityWorld, storeCounts, storedTwice, type ReliabilityWorld } from '../helpers/shopify-reliability.js';
import { signal } from '../helpers/shopify-world.js';

const PUSH = { dryRun: false, allowMassRemoval: false, signal } as const;

let world: ReliabilityWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function sync(session: Session): Promise<void> {
  await pull(session, { full: true, signal });
  segment(session);
  const pushed = await push(session, PUSH);
  expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
  // Our own tag writes moved customers' updatedAt: the next pull brings the store level with the shop.
  await pull(session, { full: false, signal });
}

/** The end-state checks shared by every scenario, then the reliability line. */
function verify(fault: FaultKind, w: ReliabilityWorld, session: Session, corruptions: Corruption[] = [], found: string[] = []): void {
  const store = compareStore(session, w.emulator, corruptions);
  const destination = compareDestination(session, w.emulator);
  const twice = storedTwice(session);
  const differences = [...found, ...store.differences, ...destination.differences, ...twice];
  const overLimit = w.emulator.overLimit();
  reportReliability({
    platform: 'shopify',
    fault,
    faultsInjected: w.emulator.faultsInjected(),
    requestsRetried: requestCounts(session).shopify!.retries,
    recordsCompared: store.recordsCompared + destination.recordsCompared,
    differences: differences.length,
    overLimit,
  });
  expect(differences.slice(0, 30)).toEqual([]);
  expect(overLimit, 'requests the emulator refused as over the real limit').toBe(0);
  expect(w.emulator.faultsInjected()).toBeGreaterThan(0);
}

describe('Shopify reliability', () => {
  it('throttle-burst: THROTTLED answers with an empty bucket, and a 429 on a result download', async () => {
    world = await reliabilityWorld();
    const session = world.open();
    // Four in a row: one call is answered THROTTLED four times and succeeds on its fifth attempt
    // (five in a row exhaust segsync's five attempts: see the report).
    world.emulator.injectScenario({ kind: 'throttle-burst', count: 4 });
    await pull(session, { full: true, signal });
    segment(session);
    world.emulator.injectScenario({ kind: 'throttle-burst', count: 3 });
    const pushed = await push(session, PUSH);
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    await pull(session, { full: false, signal });
    expect(world.emulator.requests.filter((r) => r.injected && r.throttled).length).toBe(7);
    // One for each scenario: the customers' file in the full pull, the products' file in the last (incremental) pull.
    expect(world.emulator.requests.filter((r) => r.injected && r.status === 429).length).toBe(2);
    expect(requestCounts(session).shopify!.throttled).toBeGreaterThanOrEqual(8);
    verify('throttle-burst', world, session);
  }, 30_000);

  it('server-errors: 500, 502 and 503 answers during pull and push', async () => {
    world = await reliabilityWorld();
    const session = world.open();
    world.emulator.injectScenario({ kind: 'server-errors' });
    await pull(session, { full: true, signal });
    segment(session);
    world.emulator.injectScenario({ kind: 'server-errors' });
    const pushed = await push(session, PUSH);
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    await pull(session, { full: false, signal });
    expect(world.emulator.faultsInjected()).toBe(12);
    verify('server-errors', world, session);
  }, 30_000);

  it('resets: connections destroyed without an answer, and a result download cut mid-file', async () => {
    world = await reliabilityWorld();
    const session = world.open();
    world.emulator.injectScenario({ kind: 'resets' });
    world.emulator.cutBulkDownloads(40);
    await pull(session, { full: true, signal });
    segment(session);
    world.emulator.injectScenario({ kind: 'resets' });
    const pushed = await push(session, PUSH);
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    await pull(session, { full: false, signal });
    expect(world.emulator.faultsInjected()).toBe(11);
    verify('resets', world, session);
  }, 30_000);

  it('slow: answers later than SHOPIFY_TIMEOUT_MS (the request is still carried out)', async () => {
    world = await reliabilityWorld();
    const session = world.open();
    world.emulator.injectScenario({ kind: 'slow', count: 2 });
    await pull(session, { full: true, signal });
    segment(session);
    world.emulator.injectScenario({ kind: 'slow', count: 2 });
    const pushed = await push(session, PUSH);
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    await pull(session, { full: false, signal });
    expect(world.emulator.faultsInjected()).toBe(4);
    verify('slow', world, session);
  }, 30_000);

  it('malformed-records: corrupted customers and orders in bulk result files and query pages are quarantined', async () => {
    world = await reliabilityWorld();
    const w = world;
    const session = w.open();
    // Bulk: five records in each result file.
    w.emulator.injectScenario({ kind: 'malformed-records', count: 10 });
    await pull(session, { full: true, signal });
    const bulk = w.emulator.corruptions();
    expect(bulk.filter((c) => c.where === 'bulk').length).toBe(10);
    // Right after that pull: each invalid record quarantined with a reason, each odd-but-valid one stored once, as served.
    const reasons = new Map((session.db.prepare("SELECT external_id AS id, reason FROM quarantine WHERE platform = 'shopify'").all() as Array<{ id: string | null; reason: string }>).map((r) => [r.id, r.reason]));
    const afterBulk: string[] = [];
    for (const c of bulk) {
      if (c.mustQuarantine && c.kind !== 'missing-id' && !reasons.get(c.id)) afterBulk.push(`${c.id} (${c.kind}, ${c.stream}): not quarantined`);
      if (c.kind === 'huge-string' || c.kind === 'unicode') {
        const row = session.db.prepare("SELECT first_name AS v FROM contacts WHERE platform = 'shopify' AND external_id = ?").get(c.id) as { v: string } | undefined;
        if (row?.v !== c.served) afterBulk.push(`${c.id} (${c.kind}): first_name stored as ${JSON.stringify(row?.v?.slice(0, 40))} (length ${row?.v?.length})`);
      }
    }
    expect(bulk.some((c) => c.kind === 'unicode' && c.served === UNICODE_NAME)).toBe(true);
    expect(bulk.some((c) => c.kind === 'huge-string' && (c.served?.length ?? 0) > HUGE_STRING_LENGTH)).toBe(true);
    segment(session);
    const pushed = await push(session, PUSH);
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    // Pages: change orders so the incremental pull pages through them; corrupt five per page.
    for (const o of w.emulator.listOrders().filter((x) => !x.test && !x.cancelled).slice(0, 40)) w.emulator.cancelOrder(o.id);
    w.emulator.injectScenario({ kind: 'malformed-records', count: 10 });
    await pull(session, { full: false, signal });
    const all = w.emulator.corruptions();
    expect(all.filter((c) => c.where === 'page').length).toBeGreaterThan(0);
    const invalid = all.filter((c) => c.mustQuarantine);
    const rows = session.db.prepare("SELECT stream, external_id AS id, reason FROM quarantine WHERE platform = 'shopify'").all() as Array<{ stream: string; id: string | null; reason: string }>;
    for (const c of all.filter((x) => x.where === 'page' && x.mustQuarantine && x.kind !== 'missing-id')) {
      if (!rows.some((r) => r.id === c.id && r.reason)) afterBulk.push(`${c.id} (${c.kind}, ${c.stream}, page): not quarantined`);
    }
    expect(invalid.length).toBeGreaterThan(0);
    verify('malformed-records', w, session, all, afterBulk);
  }, 30_000);

  it('token-expiry: a token revoked mid-push and mid-pull fails the run naming the fix; nothing stored is lost; the next run completes', async () => {
    world = await reliabilityWorld();
    const w = world;
    const session = w.open();
    await pull(session, { full: true, signal });
    segment(session);
    // Mid-push: the token stops working after five more requests.
    w.emulator.injectScenario({ kind: 'token-expiry', count: 5 });
    await expect(push(session, PUSH)).rejects.toThrow(/SHOPIFY_ACCESS_TOKEN/);
    w.emulator.restoreToken();
    const pushed = await push(session, PUSH);
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    // Mid-pull: changes on the shop, then the token is revoked after the customers page.
    for (const o of w.emulator.listOrders().filter((x) => !x.test && !x.cancelled).slice(0, 20)) w.emulator.cancelOrder(o.id);
    const before = storeCounts(session);
    const cursorsBefore = session.db.prepare("SELECT stream, cursor FROM stream_cursors WHERE platform = 'shopify' ORDER BY stream").all();
    w.emulator.injectScenario({ kind: 'token-expiry', count: 2 });
    const failed = pull(session, { full: false, signal });
    await expect(failed).rejects.toThrow(/Invalid API key or access token/);
    await expect(failed).rejects.toThrow(/SHOPIFY_ACCESS_TOKEN/);
    const after = storeCounts(session);
    expect(after.contacts).toBe(before.contacts);
    expect(after.purchases).toBe(before.purchases);
    expect(session.db.prepare("SELECT stream, cursor FROM stream_cursors WHERE platform = 'shopify' ORDER BY stream").all().length).toBe(cursorsBefore.length);
    w.emulator.restoreToken();
    await pull(session, { full: false, signal });
    expect(w.emulator.requests.filter((r) => r.status === 401).length).toBe(w.emulator.faultsInjected());
    verify('token-expiry', w, session);
  }, 30_000);

  it('concurrent-writer: orders placed and cancelled, customers edited while a bulk operation runs and between pages', async () => {
    world = await reliabilityWorld();
    const w = world;
    const session = w.open();
    // While the customers bulk operation runs (started, then polled RUNNING).
    w.emulator.injectScenario({ kind: 'concurrent-writer', count: 3 });
    await pull(session, { full: true, signal });
    expect(w.emulator.concurrentChanges().filter((c) => c.during === 'bulk').length).toBe(3);
    segment(session);
    const pushed = await push(session, PUSH);
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    // Between incremental pages: 300 changed orders are two pages.
    for (const o of w.emulator.listOrders().filter((x) => !x.test && !x.cancelled).slice(0, 300)) w.emulator.cancelOrder(o.id);
    // From the first orders page on: every pull first reads the products' collections with a bulk
    // operation, whose start and polls would take the changes otherwise.
    w.emulator.onRequest = ({ operation }) => {
      if (operation !== 'OrdersPage') return;
      w.emulator.onRequest = undefined;
      w.emulator.injectScenario({ kind: 'concurrent-writer', count: 3 });
    };
    await pull(session, { full: false, signal });
    w.emulator.onRequest = undefined;
    expect(w.emulator.concurrentChanges().filter((c) => c.during === 'pages').length).toBeGreaterThan(0);
    // A change made after a stream was read is the next pull's: nothing is lost.
    await pull(session, { full: false, signal });
    segment(session);
    // 300 cancelled orders move many customers between segments: intended here.
    const again = await push(session, { ...PUSH, allowMassRemoval: true });
    expect(again.destinations[0]!.applied!.failed).toEqual([]);
    await pull(session, { full: false, signal });
    verify('concurrent-writer', w, session);
  }, 30_000);
});
