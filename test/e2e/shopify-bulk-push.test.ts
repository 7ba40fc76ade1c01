/**
 * Large Shopify pushes as bulk mutation operations, against the emulator on its default Standard
 * plan (2,000 points, 100 restored per second): a push the regular mutations would need minutes
 * for goes through a few bulk operations, ends with exactly the tags and metafields the regular
 * path leaves, is never throttled, and a killed push is completed by the next one.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkThresholdPoints, regularMutationFields } from '../../connectors/shopify/bulk-push.js';
import { segmentTag } from '../../connectors/shopify/destination.js';
import { MUTATION_COST } from '../../connectors/shopify/documents.js';
import { destinationSettings } from '../../src/config/workspace.js';
import { planDestination } from '../../src/pipeline/plan.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { requestCounts, type Session } from '../../src/pipeline/session.js';
import { SHOPIFY_ANCHOR, SHOPIFY_TOKEN, shopifyWorld, signal, type ShopifyWorld } from '../helpers/shopify-world.js';
import { heldOutAsControl, tokenFields } from '../helpers/world.js';

const ROOT = join(import.meta.dirname, '../..');
const TOKENS_BATCH = 100;
const ops = (world: ShopifyWorld, name: string) => world.emulator.requests.filter((r) => r.operation === name).length;
const writes = (world: ShopifyWorld) => world.emulator.requests.filter((r) => r.write).length;

/** Every customer's segsync tags and metafields, as the shop has them. */
function shopView(world: ShopifyWorld): Map<string, { tags: string[]; metafields: Record<string, { type: string; value: string }> }> {
  return new Map(
    world.emulator.listCustomers().map((c) => [
      c.id,
      {
        tags: c.tags.filter((t) => t.startsWith('segsync:')).sort(),
        metafields: Object.fromEntries(Object.entries(c.metafields).filter(([k]) => k.startsWith('segsync.')).sort(([a], [b]) => a.localeCompare(b))),
      },
    ]),
  );
}

/** What the store says each customer should show: its segments' tags (subscribed customers only) and its non-empty tokens, by metafield key. */
function storeView(session: Session): Map<string, { tags: string[]; values: Record<string, string> }> {
  const fields = tokenFields('shopify');
  const out = new Map<string, { tags: string[]; values: Record<string, string> }>();
  const entry = (id: string) => out.get(id) ?? out.set(id, { tags: [], values: {} }).get(id)!;
  const heldOut = heldOutAsControl(session);
  for (const r of session.db
    .prepare(`SELECT i.external_id AS id, m.segment_key AS segment, m.profile_id AS profile FROM memberships m
              JOIN identities i ON i.profile_id = m.profile_id AND i.platform = 'shopify'
              JOIN contacts c ON c.platform = 'shopify' AND c.external_id = i.external_id
              WHERE m.left_at IS NULL AND c.email_consent <> 'unsubscribed'`)
    .all() as Array<{ id: string; segment: string; profile: number }>) {
    if (heldOut(r.profile, r.segment)) continue; // a control member is kept off the segment's list
    entry(r.id).tags.push(segmentTag(r.segment));
  }
  for (const t of session.db
    .prepare(`SELECT i.external_id AS id, t.token, t.value FROM profile_tokens t
              JOIN identities i ON i.profile_id = t.profile_id AND i.platform = 'shopify' WHERE t.value <> ''`)
    .all() as Array<{ id: string; token: string; value: string }>) {
    const key = fields[t.token];
    if (key) entry(t.id).values[key] = t.value;
  }
  for (const v of out.values()) v.tags.sort();
  return out;
}

function expectShopShowsStore(world: ShopifyWorld, session: Session): void {
  const wanted = storeView(session);
  for (const [id, shown] of shopView(world)) {
    expect(shown.tags, id).toEqual(wanted.get(id)?.tags ?? []);
    expect(Object.fromEntries(Object.entries(shown.metafields).map(([k, v]) => [k.slice('segsync.'.length), v.value])), id).toEqual(wanted.get(id)?.values ?? {});
  }
}

function planFields(session: Session): number {
  const c = session.connectors.find((x) => x.id === 'shopify')!;
  const plan = planDestination(session.db, 'shopify', c.connector.destination!, destinationSettings(session.workspace, 'shopify'), session.workspace.controlGroups);
  return regularMutationFields(plan, TOKENS_BATCH);
}

async function graphql(world: ShopifyWorld, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: Record<string, unknown>; errors?: unknown[] }> {
  const response = await fetch(`${world.url}/admin/api/2026-07/graphql.json`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Shopify-Access-Token': SHOPIFY_TOKEN },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

describe('a large Shopify push as bulk mutation operations, on the Standard plan', () => {
  // 1,500 people, about 1,100 of them Shopify customers: some 1,900 mutation fields (tag changes
  // and customers' metafields; about 19,000 points, three minutes of the Standard plan's restore)
  // by regular mutations, nearly four times what a regular push may ask for (bulkThresholdPoints).
  let bulk: ShopifyWorld;
  let regular: ShopifyWorld;
  let bulkSession: Session;
  let regularSession: Session;
  let fields = 0;
  let pushed: Awaited<ReturnType<typeof push>>;

  beforeAll(async () => {
    // Control groups off: each store draws its own salt, so the two shops would hold out different people.
    const config = `segmentation:\n  referenceDate: ${SHOPIFY_ANCHOR.toISOString()}\ncontrolGroups:\n  share: 0\n`;
    bulk = await shopifyWorld({ size: 1_500, seed: 5, config });
    // The same shop pushed by regular mutations only; its bucket is lifted so that this takes seconds, not minutes.
    regular = await shopifyWorld({ size: 1_500, seed: 5, config, emulator: { bucket: { maximumAvailable: 1_000_000, restoreRate: 1_000_000 } }, env: { SHOPIFY_BULK_PUSH: 'never' } });
    bulkSession = bulk.open();
    regularSession = regular.open();
    for (const s of [bulkSession, regularSession]) {
      await pull(s, { full: true, signal });
      segment(s);
    }
    fields = planFields(bulkSession);
    bulk.emulator.resetRequestLog();
    pushed = await push(bulkSession, { dryRun: false, allowMassRemoval: false, signal });
    await push(regularSession, { dryRun: false, allowMassRemoval: false, signal });
  }, 300_000);
  afterAll(async () => {
    await bulk?.close();
    await regular?.close();
  });

  it('goes through bulk operations: a handful of requests, none throttled, nothing failed', () => {
    expect(bulk.emulator.throttleStatus()).toMatchObject({ maximumAvailable: 2000, restoreRate: 100 });
    // By the cost maths the regular path would wait minutes for the bucket.
    expect(fields * MUTATION_COST).toBeGreaterThan(bulkThresholdPoints());
    expect(fields * MUTATION_COST).toBeGreaterThan(3 * bulkThresholdPoints());
    const applied = pushed.destinations[0]!.applied!;
    expect(applied.failed).toEqual([]);
    expect(applied.listAdds).toBe(pushed.destinations[0]!.plan.listAdds);
    expect(applied.tokenUpdates).toBe(bulk.emulator.listCustomers().length);

    expect(ops(bulk, 'TagsAdd') + ops(bulk, 'SetTokens')).toBe(0);
    // A fresh push adds tags and sets metafields: two operations, each staged, uploaded and started.
    expect(ops(bulk, 'StagedUploadsCreate')).toBe(2);
    expect(ops(bulk, 'BulkMutationRun')).toBe(2);
    expect(bulk.emulator.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/shopify-staged-uploads/'))).toHaveLength(2);
    const definitions = ops(bulk, 'MetafieldDefinitionCreate');
    expect(writes(bulk)).toBe(definitions + 3 * 2);
    expect(bulk.emulator.requests.filter((r) => r.throttled)).toEqual([]);
    expect(requestCounts(bulkSession).shopify).toMatchObject({ throttled: 0, retries: 0 });
    // What the push asked of the bucket fits in it: it never waited.
    expect(bulk.emulator.requests.reduce((n, r) => n + (r.requestedCost ?? 0), 0)).toBeLessThan(2000);

    const mutations = bulk.emulator.bulkOperations().filter((o) => o.type === 'MUTATION');
    expect(mutations.map((o) => [o.status, o.query.split('(')[0]])).toEqual([
      ['COMPLETED', 'mutation TagsAddBulk'],
      ['COMPLETED', 'mutation MetafieldsSetBulk'],
    ]);
    // One line per customer: all the tags it gains, all its metafields.
    const customersTagged = [...shopView(bulk).values()].filter((v) => v.tags.length > 0).length;
    expect(mutations[0]!.objectCount).toBe(customersTagged);
    expect(mutations[1]!.objectCount).toBe(bulk.emulator.listCustomers().length);
  });

  it('leaves exactly the tags and metafields a push by regular mutations leaves, and the store expects', () => {
    expect(ops(regular, 'TagsAdd')).toBeGreaterThan(0);
    expect(ops(regular, 'SetTokens')).toBeGreaterThan(0);
    expect(ops(regular, 'BulkMutationRun')).toBe(0);
    const byBulk = shopView(bulk);
    const byRegular = shopView(regular);
    expect(byBulk.size).toBe(byRegular.size);
    expect([...byBulk.values()].filter((v) => v.tags.length > 0).length).toBeGreaterThan(500);
    for (const [id, shown] of byBulk) expect(shown, id).toEqual(byRegular.get(id));
    expectShopShowsStore(bulk, bulkSession);
    // Other tags are left alone.
    const own = (w: ShopifyWorld) => w.emulator.listCustomers().map((c) => c.tags.filter((t) => !t.startsWith('segsync:')).join(','));
    expect(own(bulk)).toEqual(own(regular));
  });

  it('a rerun sends nothing', async () => {
    bulk.emulator.resetRequestLog();
    segment(bulkSession);
    const again = await push(bulkSession, { dryRun: false, allowMassRemoval: false, signal });
    expect(again.destinations[0]!.plan).toMatchObject({ listAdds: 0, listRemoves: 0, tokenUpdates: 0 });
    expect(writes(bulk)).toBe(0);
    expect(ops(bulk, 'BulkMutations')).toBe(0);
  });
});

describe('a small Shopify push', () => {
  it('stays on regular mutations (a bulk operation would only add its latency)', async () => {
    const world = await shopifyWorld({ size: 60, seed: 31 });
    try {
      const session = world.open();
      await pull(session, { full: true, signal });
      segment(session);
      const fields = planFields(session);
      expect(fields).toBeGreaterThan(0);
      expect(fields * MUTATION_COST).toBeLessThanOrEqual(bulkThresholdPoints());
      world.emulator.resetRequestLog();
      const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
      expect(result.destinations[0]!.applied!.failed).toEqual([]);
      expect(ops(world, 'TagsAdd')).toBeGreaterThan(0);
      expect(ops(world, 'StagedUploadsCreate') + ops(world, 'BulkMutationRun') + ops(world, 'BulkMutations')).toBe(0);
      expectShopShowsStore(world, session);
    } finally {
      await world.close();
    }
  });
});

describe('per-customer outcomes of a bulk push', () => {
  it('a customer the shop no longer has is counted gone, not failed, and marked so; the others are applied and recorded', async () => {
    // SHOPIFY_BULK_PUSH=always: a small shop, so that the test is quick; the threshold is tested above.
    const world = await shopifyWorld({ size: 150, seed: 13, env: { SHOPIFY_BULK_PUSH: 'always' } });
    try {
      const session = world.open();
      await pull(session, { full: true, signal });
      segment(session);
      const wanted = storeView(session);
      // Three customers with several tags to gain are erased on Shopify after the pull.
      const gone = [...wanted].filter(([, v]) => v.tags.length >= 2).slice(0, 3).map(([id]) => id);
      expect(gone).toHaveLength(3);
      for (const id of gone) {
        const answer = await graphql(world, 'mutation($id: ID!) { customerRequestDataErasure(customerId: $id) { customerId userErrors { field message } } }', { id });
        expect(answer.errors).toBeUndefined();
      }
      world.emulator.resetRequestLog();
      const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
      const applied = result.destinations[0]!.applied!;
      expect(ops(world, 'BulkMutationRun')).toBe(2);
      // Shopify's per-line "Customer does not exist" marks the three gone: not failures, nothing to retry.
      expect(applied.failed).toEqual([]);
      expect(applied.gone).toBe(3);
      const archived = session.db.prepare("SELECT external_id FROM contacts WHERE platform = 'shopify' AND archived = 1 ORDER BY external_id").all() as Array<{ external_id: string }>;
      expect(archived.map((r) => r.external_id)).toEqual([...gone].sort());
      // The others are applied and recorded.
      const customers = world.emulator.listCustomers().length;
      expect(applied.tokenUpdates).toBe(customers);
      const recorded = session.db.prepare("SELECT COUNT(DISTINCT external_id) AS n FROM destination_tokens WHERE destination = 'shopify'").get() as { n: number };
      expect(recorded.n).toBe(customers);
      for (const [id, shown] of shopView(world)) expect(shown.tags, id).toEqual(wanted.get(id)?.tags ?? []);
      // The next push has nothing left to send: the gone customers are not planned again.
      world.emulator.resetRequestLog();
      const again = await push(session, { dryRun: false, allowMassRemoval: false, signal });
      expect(again.destinations[0]!.plan.tokenUpdates).toBe(0);
      expect(again.destinations[0]!.applied?.failed ?? []).toEqual([]);
    } finally {
      await world.close();
    }
  });
});

async function segsyncChild(args: string[], env: NodeJS.ProcessEnv, killWhen?: (kill: () => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killWhen?.(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, sig) => resolve({ code, signal: sig, stdout, stderr }));
  });
}

describe('a push killed while its bulk operation runs', () => {
  it('is completed by the next push, which waits for the running operation first; nothing is applied twice', async () => {
    // The operation runs for 3 s, so that it still runs when the push is killed and when the next one starts.
    const world = await shopifyWorld({ size: 150, seed: 17, emulator: { bulk: { delayMs: 3_000 } }, env: { SHOPIFY_BULK_PUSH: 'always', SHOPIFY_BULK_POLL_MS: '100' } });
    try {
      const session = world.open();
      await pull(session, { full: true, signal });
      segment(session);
      const wanted = storeView(session);
      session.close();

      const killed = await segsyncChild(['push'], world.env, (kill) => {
        world.emulator.onRequest = ({ operation }) => {
          if (operation === 'BulkMutationRun') kill();
        };
      });
      world.emulator.onRequest = undefined;
      expect(killed.signal).toBe('SIGKILL');
      const [first] = world.emulator.bulkOperations().filter((o) => o.type === 'MUTATION');
      expect(first!.query).toMatch(/^mutation TagsAddBulk/);
      expect(first!.status).toBe('RUNNING');
      const changesBefore = world.emulator.tagChanges().length;

      const rerun = await segsyncChild(['push', '--json'], world.env);
      expect(rerun.code, rerun.stderr).toBe(0);
      const summary = JSON.parse(rerun.stdout) as { push: { destinations: Array<{ applied: { failed: unknown[] } }> } };
      expect(summary.push.destinations[0]!.applied.failed).toEqual([]);
      const mutations = world.emulator.bulkOperations().filter((o) => o.type === 'MUTATION');
      // The rerun's own operations started only once the killed push's had ended.
      expect(mutations.length).toBe(3);
      for (const later of mutations.slice(1)) expect(later.createdMs).toBeGreaterThanOrEqual(first!.doneMs);
      expect(mutations.map((o) => o.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
      // The tags the killed push's operation added were not added again: the rerun's tagsAdd changed nothing.
      expect(world.emulator.tagChanges().length).toBe(changesBefore);
      const added = new Map<string, number>();
      for (const c of world.emulator.tagChanges()) added.set(`${c.customerId} ${c.tag}`, (added.get(`${c.customerId} ${c.tag}`) ?? 0) + (c.change === 'added' ? 1 : 0));
      expect([...added.values()].filter((n) => n > 1)).toEqual([]);

      const after = world.open();
      for (const [id, shown] of shopView(world)) {
        expect(shown.tags, id).toEqual(wanted.get(id)?.tags ?? []);
        expect(Object.fromEntries(Object.entries(shown.metafields).map(([k, v]) => [k.slice(8), v.value])), id).toEqual(wanted.get(id)?.values ?? {});
      }
      world.emulator.resetRequestLog();
      const last = await push(after, { dryRun: false, allowMassRemoval: false, signal });
      expect(last.destinations[0]!.plan).toMatchObject({ listAdds: 0, tokenUpdates: 0 });
      expect(writes(world)).toBe(0);
    } finally {
      await world.close();
    }
  }, 90_000);
});
