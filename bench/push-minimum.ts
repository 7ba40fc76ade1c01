/**
 * Push minimum: how many write requests a push of a fresh segmentation sends to each platform,
 * against the fewest that plan allows at the destination's own declared batch sizes; then an
 * unchanged rerun, which must send none.
 *
 * Setup: the sandbox (seed 42, 3,000 people by default, realistic pace: the platforms' real
 * limits) with HubSpot, Marketo and Shopify; `pull --full` of all three, `segment`, then:
 * 1. fresh push: before sending, each destination's plan is computed (planDestination, pure
 *    reads) and the minimum derived from it:
 *      per list: ceil(adds / maxBatch.listMembers) + ceil(removes / maxBatch.listMembers)
 *                + 1 creation when segsync holds no list id yet (HubSpot list, Marketo static
 *                list; a Shopify "list" is a customer tag and needs no call)
 *      tokens:   ceil(contacts with token changes / maxBatch.tokens)
 *      schema:   when tokens are sent to a destination that has none of segsync's fields (the
 *                emulators start empty): HubSpot 1 property group + 1 property per mapped token;
 *                Marketo ceil(mapped tokens / 100) Create Lead Fields calls + 1 list folder;
 *                Shopify 1 metafieldDefinitionCreate per mapped token
 *      bulk:     a plan the destination sends as bulk operations (Destination.bulk.suits: on
 *                Shopify, one whose regular mutations would wait more than 30 s for the bucket)
 *                needs, per operation, 3 writes: stagedUploadsCreate, the staged upload, and
 *                bulkOperationRunMutation; one operation per kind of change the plan has (tags
 *                added, tags removed, metafields set, metafields deleted), each variables file
 *                far below Shopify's 100 MB. Its list and token writes are then 0.
 *    Write requests made = the emulator's own request log (requests marked write, every answer
 *    counted, 429s included) from the start of the push to its end. Ratio made / minimum,
 *    target exactly 1.0.
 * 2. unchanged rerun: `segment` again on the same data, then push: write requests (target 0).
 *
 *   npx tsx bench/push-minimum.ts [--size 3000] [--json]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubspot } from '../connectors/hubspot/index.js';
import { marketo } from '../connectors/marketo/index.js';
import { shopify } from '../connectors/shopify/index.js';
import { destinationSettings } from '../src/config/workspace.js';
import type { ConnectorDescriptor, Destination } from '../src/domain/connector.js';
import type { DestinationPlan } from '../src/domain/plan.js';
import { planDestination } from '../src/pipeline/plan.js';
import { pull, push, pushedTokenSpecs, segment } from '../src/pipeline/run.js';
import { openSession } from '../src/pipeline/session.js';
import { startSandbox } from '../src/sandbox/server.js';
import { DestinationState } from '../src/store/destination-state.js';
import { argValue, figuresTable, log as logFor, machine, num, round, secs, table, wantJson, type RatioFigure } from './lib/report.js';

const log = logFor('push-minimum');
const SIZE = Number(argValue('--size') ?? 3000);
const REGISTRY = [hubspot, marketo, shopify] as unknown as ConnectorDescriptor<never>[];

type Kind = 'schema' | 'list create' | 'list add' | 'list remove' | 'tokens' | 'bulk' | 'other';
const KINDS: Kind[] = ['schema', 'list create', 'list add', 'list remove', 'tokens', 'bulk', 'other'];

interface LogEntry {
  method: string;
  path: string;
  status: number;
  write: boolean;
  operation?: string | null;
}
interface Logged {
  readonly requests: ReadonlyArray<LogEntry>;
}

/** What a write request was for, from the emulator's log entry. */
function kindOf(platform: string, r: LogEntry): Kind {
  const path = r.path.split('?')[0] ?? r.path;
  if (platform === 'hubspot') {
    if (path.startsWith('/crm/v3/properties/')) return 'schema';
    if (/\/memberships\/add$/.test(path)) return 'list add';
    if (/\/memberships\/remove$/.test(path)) return 'list remove';
    if (/^\/crm\/v3\/lists\/?$/.test(path)) return 'list create';
    if (path.endsWith('/batch/update')) return 'tokens';
  } else if (platform === 'marketo') {
    if (path.includes('/leads/schema/fields')) return 'schema';
    if (path.includes('/asset/v1/folders') || path.includes('/asset/v1/staticLists')) return 'list create';
    if (/\/rest\/v1\/lists\/\d+\/leads\.json$/.test(path)) return r.method === 'DELETE' ? 'list remove' : 'list add';
    if (path === '/rest/v1/leads.json') return 'tokens';
  } else if (platform === 'shopify') {
    const op = r.operation ?? '';
    if (op === 'StagedUploadsCreate' || op === 'BulkMutationRun' || (r.method === 'POST' && path.startsWith('/shopify-staged-uploads/'))) return 'bulk';
    if (/MetafieldDefinition/i.test(op)) return 'schema';
    if (/tagsAdd/i.test(op)) return 'list add';
    if (/tagsRemove/i.test(op)) return 'list remove';
    if (/metafield|SetTokens/i.test(op)) return 'tokens';
  }
  return 'other';
}

type Counts = Record<Kind, number>;
const zero = (): Counts => ({ schema: 0, 'list create': 0, 'list add': 0, 'list remove': 0, tokens: 0, bulk: 0, other: 0 });
const total = (c: Counts): number => KINDS.reduce((n, k) => n + c[k], 0);

/** The fewest write requests this plan can be sent in, at the destination's declared batch sizes. */
function minimumFor(platform: string, plan: DestinationPlan, destination: Destination, knownLists: (key: string) => boolean, mappedTokens: number): Counts {
  const m = zero();
  const { listMembers, tokens } = destination.capabilities.maxBatch;
  let created = 0;
  for (const list of plan.lists) {
    m['list add'] += Math.ceil(list.add.length / listMembers);
    m['list remove'] += Math.ceil(list.remove.length / listMembers);
    if (!knownLists(list.segmentKey)) created++;
  }
  if (platform === 'hubspot') m['list create'] = created;
  if (platform === 'marketo') m['list create'] = created + (created > 0 ? 1 : 0); // + the "segsync" list folder
  m.tokens = Math.ceil(plan.tokens.length / tokens);
  if (destination.bulk?.suits(plan)) {
    // One bulk operation per kind of change, 3 writes each (see the header).
    const values = plan.tokens.flatMap((t) => Object.values(t.values));
    const operations = [
      plan.lists.some((l) => l.add.length > 0),
      plan.lists.some((l) => l.remove.length > 0),
      values.some((v) => v !== ''),
      values.some((v) => v === ''),
    ].filter(Boolean).length;
    m['list add'] = 0;
    m['list remove'] = 0;
    m.tokens = 0;
    m.bulk = 3 * operations;
  }
  if (plan.tokens.length > 0) {
    if (platform === 'hubspot') m.schema = 1 + mappedTokens;
    if (platform === 'marketo') m.schema = Math.ceil(mappedTokens / 100);
    if (platform === 'shopify') m.schema = mappedTokens;
  }
  return m;
}

export interface PushPlatformResult {
  platform: string;
  plan: { lists: number; adds: number; removes: number; tokenUpdates: number; maxBatch: { listMembers: number; tokens: number } };
  minimum: Counts;
  made: Counts;
  reads: number;
  throttled: number;
  ratio: number;
  rerunWrites: number;
  rerunReads: number;
}

export interface PushMinimumResult {
  population: number;
  pullMs: number;
  pushMs: number;
  rerunMs: number;
  platforms: PushPlatformResult[];
  figures: RatioFigure[];
}

export async function runPushMinimum(): Promise<PushMinimumResult> {
  log(`sandbox of ${num(SIZE)} people, realistic pace …`);
  const sandbox = await startSandbox({ registry: REGISTRY, size: SIZE, seed: 42, anchor: new Date('2026-06-01T00:00:00.000Z') });
  const emulators = new Map([...sandbox.emulators].map(([id, e]) => [id, e as unknown as Logged]));
  const dir = mkdtempSync(join(tmpdir(), 'segsync-bench-push-'));
  writeFileSync(join(dir, 'workspace.yaml'), 'segmentation: {}\n');
  const session = openSession({ env: { ...sandbox.env, SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') }, registry: REGISTRY });
  const signal = new AbortController().signal;

  const t0 = performance.now();
  await pull(session, { full: true, signal });
  const pullMs = performance.now() - t0;
  log(`pulled in ${secs(pullMs)}; segmenting …`);
  segment(session);

  // The plans and their minimums, before anything is sent.
  const state = new DestinationState(session.db);
  const tokens = pushedTokenSpecs(session.db);
  const planned = session.connectors.map((c) => {
    const destination = c.connector.destination!;
    const plan = planDestination(session.db, c.id, destination, destinationSettings(session.workspace, c.id), session.workspace.controlGroups);
    const mapped = tokens.filter((t) => destination.tokenField(t.key) !== undefined).length;
    return { id: c.id, destination, plan, minimum: minimumFor(c.id, plan, destination, (key) => state.listId(c.id, key) !== undefined, mapped) };
  });

  const count = (from: Map<string, number>) => {
    const out = new Map<string, { writes: Counts; reads: number; throttled: number }>();
    for (const [id, e] of emulators) {
      const writes = zero();
      let reads = 0;
      let throttled = 0;
      for (const r of e.requests.slice(from.get(id) ?? 0)) {
        if (r.status === 429 || ('throttled' in r && (r as { throttled?: boolean }).throttled)) throttled++;
        if (r.write) writes[kindOf(id, r)]++;
        else reads++;
      }
      out.set(id, { writes, reads, throttled });
    }
    return out;
  };
  const mark = () => new Map([...emulators].map(([id, e]) => [id, e.requests.length]));

  log('fresh push …');
  const before = mark();
  const t1 = performance.now();
  const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal });
  const pushMs = performance.now() - t1;
  const fresh = count(before);
  for (const d of pushed.destinations) if ((d.applied?.failed.length ?? 0) > 0) log(`${d.platform}: ${d.applied!.failed.length} updates failed`);

  log(`pushed in ${secs(pushMs)}; unchanged rerun (segment + push) …`);
  segment(session);
  const before2 = mark();
  const t2 = performance.now();
  await push(session, { dryRun: false, allowMassRemoval: false, signal });
  const rerunMs = performance.now() - t2;
  const rerun = count(before2);

  session.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });

  const platforms: PushPlatformResult[] = planned.map(({ id, destination, plan, minimum }) => {
    const made = fresh.get(id)!.writes;
    return {
      platform: id,
      plan: {
        lists: plan.lists.length,
        adds: plan.lists.reduce((n, l) => n + l.add.length, 0),
        removes: plan.lists.reduce((n, l) => n + l.remove.length, 0),
        tokenUpdates: plan.tokens.length,
        maxBatch: destination.capabilities.maxBatch,
      },
      minimum,
      made,
      reads: fresh.get(id)!.reads,
      throttled: fresh.get(id)!.throttled,
      ratio: round(total(made) / total(minimum)),
      rerunWrites: total(rerun.get(id)!.writes),
      rerunReads: rerun.get(id)!.reads,
    };
  });
  const figures: RatioFigure[] = platforms.flatMap((p) => [
    {
      bench: 'push-minimum',
      figure: `${p.platform}: fresh push, write requests vs minimum`,
      ratio: 'made / minimum',
      value: p.ratio,
      target: '= 1.0',
      pass: p.ratio === 1,
      measured: `${num(total(p.made))} / ${num(total(p.minimum))}`,
    },
    {
      bench: 'push-minimum',
      figure: `${p.platform}: unchanged rerun, write requests`,
      ratio: 'count',
      value: p.rerunWrites,
      target: '= 0',
      pass: p.rerunWrites === 0,
      measured: `${num(p.rerunWrites)} writes, ${num(p.rerunReads)} reads`,
    },
  ]);
  return { population: SIZE, pullMs: round(pullMs, 0), pushMs: round(pushMs, 0), rerunMs: round(rerunMs, 0), platforms, figures };
}

export function printPushMinimum(r: PushMinimumResult): void {
  console.log(`\nPush of a fresh segmentation: sandbox of ${num(r.population)} people (seed 42), realistic pace`);
  console.log(`pull --full ${secs(r.pullMs)}, fresh push ${secs(r.pushMs)}, unchanged rerun push ${secs(r.rerunMs)}\n`);
  console.log(
    table(
      ['', ...r.platforms.map((p) => p.platform)],
      [
        ['lists in plan', ...r.platforms.map((p) => num(p.plan.lists))],
        ['list adds / removes', ...r.platforms.map((p) => `${num(p.plan.adds)} / ${num(p.plan.removes)}`)],
        ['contacts with token changes', ...r.platforms.map((p) => num(p.plan.tokenUpdates))],
        ['maxBatch listMembers / tokens', ...r.platforms.map((p) => `${p.plan.maxBatch.listMembers} / ${p.plan.maxBatch.tokens}`)],
        ...KINDS.filter((k) => r.platforms.some((p) => p.made[k] + p.minimum[k] > 0)).map((k) => [
          `writes: ${k} (made / min)`,
          ...r.platforms.map((p) => `${p.made[k]} / ${p.minimum[k]}`),
        ]),
        ['writes total (made / min)', ...r.platforms.map((p) => `${total(p.made)} / ${total(p.minimum)}`)],
        ['reads during the push', ...r.platforms.map((p) => num(p.reads))],
        ['throttled (429)', ...r.platforms.map((p) => num(p.throttled))],
        ['made / minimum', ...r.platforms.map((p) => p.ratio.toFixed(3))],
        ['unchanged rerun: writes (reads)', ...r.platforms.map((p) => `${p.rerunWrites} (${p.rerunReads})`)],
      ],
    ),
  );
  console.log();
  console.log(figuresTable(r.figures));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runPushMinimum();
  if (wantJson()) console.log(JSON.stringify({ machine: machine(), ...result }, null, 2));
  else printPushMinimum(result);
}
