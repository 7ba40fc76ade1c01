/**
 * A run killed with SIGKILL at any point of a pull or a push is completed by the next run with
 * nothing lost, nothing duplicated and nothing applied twice.
 *
 * Each kill point gets its own sandbox (same seed) and store; segsync runs as a real child process
 * and is killed the moment the N-th request of a kind has arrived at the emulator, before the
 * emulator acts on it (so a write lands on the platform while segsync never hears the answer).
 * The store and the platforms are then compared, by stable keys, with a sandbox where one
 * `segsync sync` ran and was never killed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashAndResume, describeReport, pool, referenceRun, requestKind, type CrashReport, type KillPoint, type Snapshot } from '../helpers/crash.js';

const hubspot = requestKind.hubspot;
const marketo = requestKind.marketo;
const shopify = requestKind.shopify;

const KILL_POINTS: KillPoint[] = [
  // ---- pull
  // 184 HubSpot contacts are two pages of 100 (the 3rd request is the archived listing): kill as page 2 is asked for.
  { name: 'pull: HubSpot, mid-listing, after the 1st contacts page is stored', phase: 'pull', platform: 'hubspot', nth: 2, match: hubspot('GET', /^\/crm\/v3\/objects\/contacts$/) },
  { name: 'pull: Marketo, in the middle of bulk extract polling', phase: 'pull', platform: 'marketo', nth: 12, match: marketo('GET', /^\/bulk\/v1\/leads\/export\/[^/]+\/status\.json$/) },
  { name: 'pull: Shopify, while the customers bulk operation runs', phase: 'pull', platform: 'shopify', nth: 1, match: shopify('BulkOperation') },
  // The pull's bulk operations: customers, products (their collections), orders.
  { name: 'pull: Shopify, as the orders bulk operation is started', phase: 'pull', platform: 'shopify', nth: 3, match: shopify('BulkQueryRun') },
  {
    name: 'pull: Shopify, reading the orders bulk result, once its first page is stored',
    phase: 'pull',
    platform: 'shopify',
    nth: 3,
    match: (r) => r.method === 'GET' && r.path.startsWith('/bulk-operation-outputs/'),
    // 1,200 of ~1,800 lines: the first 1,000-line page is stored with its cursor, the rest never comes.
    midAnswer: { lines: 1200, stored: "SELECT json_extract(cursor, '$.lines') >= 1000 FROM stream_cursors WHERE platform = 'shopify' AND stream = 'purchases'" },
  },
  // ---- push
  { name: 'push: HubSpot, between list creation and the first add', phase: 'push', platform: 'hubspot', nth: 1, match: hubspot('POST', /^\/crm\/v3\/lists\/?$/) },
  { name: 'push: HubSpot, after the first list-membership write', phase: 'push', platform: 'hubspot', nth: 2, match: hubspot('PUT', /^\/crm\/v3\/lists\/\d+\/memberships\/add$/) },
  { name: 'push: Marketo, between list creation and the first add', phase: 'push', platform: 'marketo', nth: 1, match: marketo('POST', /^\/rest\/asset\/v1\/staticLists\.json$/) },
  { name: 'push: Marketo, after the first list add', phase: 'push', platform: 'marketo', nth: 2, match: marketo('POST', /^\/rest\/v1\/lists\/\d+\/leads\.json$/) },
  { name: 'push: Shopify, after the first tagsAdd', phase: 'push', platform: 'shopify', nth: 2, match: shopify('TagsAdd') },
  { name: 'push: Shopify, after the first metafieldsSet', phase: 'push', platform: 'shopify', nth: 2, match: shopify('SetTokens') },
];

/** Scenarios are independent (own sandbox, own store): a few run at once. */
const CONCURRENCY = 4;

describe('a run killed with SIGKILL is completed by the next run', () => {
  let reference: { snapshot: Snapshot; ms: number };
  const scenarios = new Map<string, Promise<CrashReport>>();
  const reports: CrashReport[] = [];
  const started = Date.now();

  beforeAll(async () => {
    const limit = pool(CONCURRENCY);
    const referenceDone = limit(referenceRun);
    for (const point of KILL_POINTS) {
      const scenario = limit(() => crashAndResume(point));
      scenario.catch(() => undefined); // reported by its own test
      scenarios.set(point.name, scenario);
    }
    reference = await referenceDone;
  }, 120_000);

  afterAll(() => {
    console.log([`reference sync: ${reference?.ms} ms`, ...reports.map(describeReport), `total ${Date.now() - started} ms`].join('\n'));
  });

  it('the reference (never killed) pushed lists and tokens to every platform', () => {
    for (const section of ['hubspot.lists', 'marketo.lists', 'shopify.segsync tags', 'hubspot.segsync properties', 'marketo.segsync fields', 'shopify.segsync metafields']) {
      expect(reference.snapshot[section]!.length, section).toBeGreaterThan(0);
    }
  });

  it.each(KILL_POINTS.map((p) => [p.name, p] as const))('%s', async (_name, point) => {
    const report = await scenarios.get(point.name)!;
    reports.push(report);
    const { killed, rerun, push } = report;

    // The kill happened where it was meant to, and the next run completed.
    expect(killed.killedAt, `kill point never reached; the run ended with ${killed.code}`).toBeDefined();
    expect(killed.signal).toBe('SIGKILL');
    expect(rerun.code, rerun.stderr + rerun.stdout).toBe(0);
    if (point.phase === 'push') {
      expect(push!.code, push!.stderr + push!.stdout).toBe(0);
      expect(push!.writes, 'a push after the resumed run has nothing left to do').toEqual({ hubspot: 0, marketo: 0, shopify: 0 });
    }

    // Nothing lost, nothing extra: the store and the platforms are as if it had never been killed.
    for (const [section, lines] of Object.entries(reference.snapshot)) {
      expect(report.snapshot[section], section).toEqual(lines);
    }
    expect(report.duplicates).toEqual([]);

    // Nothing applied twice: each member joined each list at most once in effect, and what the
    // killed run had recorded as confirmed was not sent again (only its unconfirmed batches were).
    expect(report.addedTwice).toEqual([]);
    expect(report.resentConfirmed).toEqual([]);

    // The killed run is marked failed by the next run's start; the resumed runs succeeded.
    expect(report.history.map((r) => `${r.command}:${r.status}`)).toEqual(['sync:failed', 'sync:succeeded', ...(push ? ['push:succeeded'] : [])]);
    expect(report.history[0]!.error).toMatch(/is gone \(killed or crashed\) before the run finished; what it stored and pushed before is counted/);
  }, 120_000);
});
