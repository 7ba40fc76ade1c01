/**
 * Pull rate: how close a full HubSpot pull comes to the fastest pace HubSpot's rate limit allows.
 *
 * The sandbox population (seed 42) is sized so that HubSpot holds about 100,000 contacts (about
 * 62% of people are on HubSpot, src/sandbox/presence.ts) plus their deals; the HubSpot emulator
 * enforces a rolling window of LIMIT requests per 10 s (the private-app limit) and answers 429
 * beyond it. segsync then runs `pull --full` against it exactly as the CLI does (openSession +
 * pull; contacts and deals, 100 per page, associations inline, then the archived listings).
 *
 * Baseline (same run): the ideal time that limit allows for the requests the pull made,
 * requests ÷ (LIMIT / 10 s). Reported twice: against the platform's limit, and against
 * segsync's own target (HubSpotClient stays under the limit on purpose: floor(LIMIT × 0.95)
 * requests per 10.25 s). Ratio = ideal / elapsed (1.0 = not a millisecond lost; target ≥ 0.9
 * against segsync's target). Throttled = 429s the emulator answered (target 0).
 *
 * Default LIMIT is 190 (HubSpot Professional/Enterprise private app): a 100k pull at 100/10 s takes
 * about 3 minutes, at 190 half that; the ratio is what matters. `--limit 100` measures Free/Starter.
 *
 *   npx tsx bench/pull-rate.ts                      (about 100,000 contacts, limit 190 per 10 s)
 *   npx tsx bench/pull-rate.ts --limit 100          (Free/Starter limit)
 *   npx tsx bench/pull-rate.ts --size 20000         (population size; HubSpot holds about 62%)
 *   npx tsx bench/pull-rate.ts --json
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubspot, SANDBOX_HUBSPOT_TOKEN } from '../connectors/hubspot/index.js';
import { HubSpotEmulator } from '../connectors/hubspot/emulator/index.js';
import type { ConnectorDescriptor } from '../src/domain/connector.js';
import { pull } from '../src/pipeline/run.js';
import { openSession, requestCounts } from '../src/pipeline/session.js';
import { populationOn } from '../src/sandbox/presence.js';
import { startSandbox } from '../src/sandbox/server.js';
import { argValue, figuresTable, fixed, log as logFor, machine, num, round, secs, table, wantJson, type RatioFigure } from './lib/report.js';

const log = logFor('pull-rate');
/** 161,500 people ≈ 100,000 HubSpot contacts with seed 42. */
const SIZE = Number(argValue('--size') ?? 161_500);
const LIMIT = Number(argValue('--limit') ?? 190);
const WINDOW_MS = 10_000;
/** As HubSpotClient configures its transport (connectors/hubspot/client.ts). */
const SEGSYNC_PER_WINDOW = Math.max(1, Math.floor(LIMIT * 0.95));
const SEGSYNC_WINDOW_MS = 10_250;

export interface PullRateResult {
  population: number;
  hubspotContacts: number;
  limit: { platform: string; segsync: string };
  elapsedMs: number;
  requests: number;
  byKind: Record<string, number>;
  throttled: number;
  retries: number;
  stored: { contacts: number; purchases: number };
  idealPlatformMs: number;
  idealSegsyncMs: number;
  ratioPlatform: number;
  ratioSegsync: number;
  figures: RatioFigure[];
}

function kindOf(path: string): string {
  const p = path.split('?')[0] ?? path;
  const archived = /archived=true/.test(path) ? ' (archived)' : '';
  if (p.startsWith('/crm/v3/objects/contacts')) return `list contacts${archived}`;
  if (p.startsWith('/crm/v3/objects/deals')) return `list deals${archived}`;
  if (p.includes('/associations/')) return 'associations batch read';
  return p;
}

export async function runPullRate(): Promise<PullRateResult> {
  // The hubspot descriptor, with the emulator's window at LIMIT and segsync told the same limit.
  const descriptor: ConnectorDescriptor<never> = {
    ...(hubspot as ConnectorDescriptor<never>),
    emulator: {
      mount: '/hubspot',
      create(people) {
        const emulator = new HubSpotEmulator({ accessToken: SANDBOX_HUBSPOT_TOKEN, rateLimit: { max: LIMIT, intervalMs: WINDOW_MS } });
        emulator.load(populationOn(people, 'hubspot'));
        return emulator;
      },
      env: (baseUrl) => ({ ...hubspot.emulator!.env(baseUrl, 'realistic'), HUBSPOT_RATE_LIMIT: String(LIMIT) }),
    },
  };
  log(`generating ${num(SIZE)} people and loading HubSpot's share into the emulator …`);
  const loadStarted = performance.now();
  const sandbox = await startSandbox({ registry: [descriptor], size: SIZE, seed: 42, anchor: new Date('2026-06-01T00:00:00.000Z') });
  const emulator = sandbox.emulators.get('hubspot') as unknown as HubSpotEmulator;
  const hubspotContacts = emulator.listContacts().length;
  log(`${num(hubspotContacts)} HubSpot contacts loaded in ${secs(performance.now() - loadStarted)}; pulling at ${LIMIT} per 10 s …`);

  const dir = mkdtempSync(join(tmpdir(), 'segsync-bench-pull-'));
  writeFileSync(join(dir, 'workspace.yaml'), 'segmentation: {}\n');
  const session = openSession({
    env: { ...sandbox.env, SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') },
    registry: [descriptor],
  });
  emulator.resetRequestLog();
  const ticker = setInterval(() => log(`${num(emulator.requests.length)} requests …`), 15_000);
  const started = performance.now();
  const pulled = await pull(session, { full: true, signal: new AbortController().signal });
  const elapsedMs = performance.now() - started;
  clearInterval(ticker);

  const answered = emulator.requests;
  const requests = answered.length;
  const throttled = answered.filter((r) => r.status === 429).length;
  const byKind: Record<string, number> = {};
  for (const r of answered) byKind[kindOf(r.path)] = (byKind[kindOf(r.path)] ?? 0) + 1;
  const transport = requestCounts(session).hubspot!;
  const stored = {
    contacts: pulled.streams.find((s) => s.stream === 'contacts')?.stored ?? 0,
    purchases: pulled.streams.find((s) => s.stream === 'purchases')?.stored ?? 0,
  };
  session.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });

  const idealPlatformMs = (requests / LIMIT) * WINDOW_MS;
  const idealSegsyncMs = (requests / SEGSYNC_PER_WINDOW) * SEGSYNC_WINDOW_MS;
  const ratioPlatform = idealPlatformMs / elapsedMs;
  const ratioSegsync = idealSegsyncMs / elapsedMs;
  const figures: RatioFigure[] = [
    {
      bench: 'pull-rate',
      figure: `HubSpot full pull, ${num(stored.contacts)} contacts, vs segsync's target pace`,
      ratio: 'ideal / elapsed',
      value: round(ratioSegsync),
      target: '≥ 0.9',
      pass: ratioSegsync >= 0.9,
      measured: `${secs(idealSegsyncMs)} / ${secs(elapsedMs)}`,
    },
    {
      bench: 'pull-rate',
      figure: `  same pull vs the platform's limit (${LIMIT}/10 s)`,
      ratio: 'ideal / elapsed',
      value: round(ratioPlatform),
      target: '(info)',
      pass: true,
      measured: `${secs(idealPlatformMs)} / ${secs(elapsedMs)}`,
    },
    {
      bench: 'pull-rate',
      figure: '  throttled requests (429)',
      ratio: 'count',
      value: throttled,
      target: '= 0',
      pass: throttled === 0,
      measured: `${num(throttled)} of ${num(requests)}`,
    },
  ];
  return {
    population: SIZE,
    hubspotContacts,
    limit: { platform: `${LIMIT} per ${WINDOW_MS / 1000} s`, segsync: `${SEGSYNC_PER_WINDOW} per ${SEGSYNC_WINDOW_MS / 1000} s` },
    elapsedMs: round(elapsedMs, 0),
    requests,
    byKind,
    throttled,
    retries: transport.retries,
    stored,
    idealPlatformMs: round(idealPlatformMs, 0),
    idealSegsyncMs: round(idealSegsyncMs, 0),
    ratioPlatform: round(ratioPlatform),
    ratioSegsync: round(ratioSegsync),
    figures,
  };
}

export function printPullRate(r: PullRateResult): void {
  console.log(`\nHubSpot full pull: ${num(r.hubspotContacts)} contacts on HubSpot (population ${num(r.population)}, seed 42)`);
  console.log(`limit: platform ${r.limit.platform}; segsync's own target ${r.limit.segsync}\n`);
  console.log(
    table(
      ['', 'value'],
      [
        ['elapsed', secs(r.elapsedMs)],
        ['requests', num(r.requests)],
        ...Object.entries(r.byKind).map(([k, n]) => [`  ${k}`, num(n)]),
        ['stored contacts / deals', `${num(r.stored.contacts)} / ${num(r.stored.purchases)}`],
        ['ideal at the platform limit', secs(r.idealPlatformMs)],
        ["ideal at segsync's target", secs(r.idealSegsyncMs)],
        ['ideal / elapsed (platform)', fixed(r.ratioPlatform, 3)],
        ["ideal / elapsed (segsync's target)", fixed(r.ratioSegsync, 3)],
        ['throttled (429) / retries', `${r.throttled} / ${r.retries}`],
      ],
    ),
  );
  console.log();
  console.log(figuresTable(r.figures));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runPullRate();
  if (wantJson()) console.log(JSON.stringify({ machine: machine(), ...result }, null, 2));
  else printPullRate(result);
}
