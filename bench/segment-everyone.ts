/**
 * The whole `segsync segment` over everyone (issue 13 §6): N people of the sandbox population
 * (seed 42, anchor 2026-06-01) in a real store, segmented by `runSegmentation` exactly as the CLI
 * runs it with default settings: both default clusterings (customers and leads, k: auto), personas,
 * the purchase models, the first-purchase propensity model, tokens and memberships written.
 *
 * Two child processes per size, so each peak is its own:
 * 1. build: the people written with the store's own writers (SourceRecords for contacts and
 *    purchases, as a pull writes them, in transactions of 20,000), their engagement as the
 *    engagement stream stores it, limited to the 365 days before the anchor (the history a first
 *    Marketo pull reads) and, to keep a million people's store in reach of this machine, one row per
 *    person, channel and day (count = that day's events): the rows a day-level export gives. Not timed
 *    as segmentation.
 * 2. segment: `runSegmentation` on that store; its stages are timed through `onStage`, and
 *    process.resourceUsage().maxRSS is the kernel's high-water mark of that process (target: under
 *    2 GB at 1,000,000 people).
 *
 *   npm run bench:everyone                     (1,000,000 people: build about 24 minutes and 17 GB of disk, segment about 11)
 *   npx tsx bench/segment-everyone.ts --size 100000
 *   npx tsx bench/segment-everyone.ts --size 100000 --json
 *   npx tsx bench/segment-everyone.ts --store /var/tmp/everyone-1m.db   (build once, keep, reuse)
 *   add --live to print, at each stage, what is still reachable after a full GC (where memory is held)
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWorkspace } from '../src/config/workspace.js';
import type { ContactRecord, EngagementChannel, PurchaseRecord } from '../src/domain/records.js';
import { runSegmentation } from '../src/pipeline/segment.js';
import { personAt, parsePopulationOptions } from '../src/sandbox/population.js';
import { nowIso, openStore } from '../src/store/db.js';
import { SourceRecords } from '../src/store/source-records.js';
import { argValue, fixed, machine, MB, maxRssMB, num, secs, table, wantJson } from './lib/report.js';

const SIZE = Number(argValue('--size') ?? 1_000_000);
const ANCHOR = new Date('2026-06-01T00:00:00Z');
const HISTORY_DAYS = 365;
const BATCH = 20_000;
const DAY_MS = 86_400_000;
const PEAK_TARGET_MB = 2048;

export interface BuildResult { people: number; contacts: number; purchases: number; engagementRows: number; events: number; buildMs: number; storeMB: number; maxRssMB: number }
export interface SegmentResult {
  /** Each stage's time, and the process's peak RSS (maxRSS) when it ended: where the memory goes. */
  stages: Array<{ stage: string; ms: number; peakMB: number }>;
  totalMs: number;
  maxRssMB: number;
  profiles: number;
  clusterings: Array<{ name: string; status: string; k: number | null; clustered: number; personas: string[] }>;
  propensity: { status: string; auc: number | null; scored: number | null; reason: string | null };
}
export interface EveryoneResult { size: number; build: BuildResult; segment: SegmentResult; figures: Array<{ figure: string; value: string; target: string; pass: boolean }> }

function build(dbPath: string, size: number): BuildResult {
  const started = performance.now();
  const db = openStore(dbPath);
  const records = new SourceRecords(db);
  const insertEvent = db.prepare(`INSERT INTO engagement_events (platform, key, contact_external_id, channel, occurred_at, count) VALUES ('bench', ?, ?, ?, ?, ?)`);
  const options = parsePopulationOptions({ seed: 42, size, anchor: ANCHOR });
  const since = ANCHOR.getTime() - HISTORY_DAYS * DAY_MS;
  let contacts: ContactRecord[] = [];
  let purchases: PurchaseRecord[] = [];
  let events: Array<[string, string, EngagementChannel, string, number]> = [];
  const totals = { contacts: 0, purchases: 0, engagementRows: 0, events: 0 };
  const at = nowIso();
  const flush = () => {
    db.transaction(() => {
      records.upsertContacts(contacts, at);
      records.upsertPurchases(purchases, at);
      for (const e of events) insertEvent.run(...e);
    })();
    totals.contacts += contacts.length;
    totals.purchases += purchases.length;
    totals.engagementRows += events.length;
    contacts = [];
    purchases = [];
    events = [];
  };
  for (let i = 0; i < size; i++) {
    const p = personAt(options, i);
    const id = String(i);
    const company = p.company ?? null;
    contacts.push({
      platform: 'bench', externalId: id, email: p.email, phone: p.phone, firstName: p.firstName, lastName: p.lastName,
      country: p.country, city: p.city, createdAt: p.createdAt, updatedAt: p.createdAt, emailConsent: p.emailConsent,
      archived: false, mergedInto: null, mergedFrom: [], raw: {},
      attributes: company ? { companyIndustry: company.industry, companyEmployees: company.employees, companyAnnualRevenue: company.annualRevenue } : {},
    });
    for (const x of p.purchases) {
      purchases.push({
        platform: 'bench', externalId: `${id}-${x.key}`, contactExternalIds: [id], amount: x.amount, currency: x.currency,
        occurredAt: x.occurredAt, status: x.status, archived: false, updatedAt: x.occurredAt, raw: {},
        ...(x.items ? { items: x.items.map((l) => ({ productType: l.productType, vendor: l.vendor, collections: l.collections, quantity: l.quantity, amount: l.amount })) } : {}),
      });
    }
    // One row per channel and day within the history.
    const perDay = new Map<string, number>();
    for (const e of p.events ?? []) {
      const t = Date.parse(e.at);
      if (t < since) continue;
      totals.events++;
      const key = `${e.channel}|${e.at.slice(0, 10)}`;
      perDay.set(key, (perDay.get(key) ?? 0) + 1);
    }
    for (const [key, count] of perDay) {
      const [channel, day] = key.split('|') as [EngagementChannel, string];
      events.push([`${id}:${key}`, id, channel, `${day}T12:00:00.000Z`, count]);
    }
    if (contacts.length >= BATCH) {
      flush();
      if (process.send === undefined || i % 100_000 < BATCH) process.stderr.write(`[build] ${num(i + 1)} people\n`);
    }
  }
  flush();
  db.close();
  return { people: size, ...totals, buildMs: performance.now() - started, storeMB: statSync(dbPath).size / MB, maxRssMB: maxRssMB() };
}

function segment(dbPath: string): SegmentResult {
  const db = openStore(dbPath, 'write');
  const workspace = parseWorkspace({ segmentation: { referenceDate: ANCHOR.toISOString() } }, 'bench', ['hubspot', 'marketo', 'shopify', 'csv']);
  const stages: SegmentResult['stages'] = [];
  const started = performance.now();
  let last = started;
  const summary = runSegmentation(db, workspace, {
    now: ANCHOR.getTime(),
    onStage: (stage) => {
      const t = performance.now();
      const peakMB = maxRssMB();
      stages.push({ stage, ms: t - last, peakMB });
      // --live: what is still reachable after a full collection (diagnosis; the collection takes time).
      const collect = (globalThis as { gc?: () => void }).gc;
      let live = '';
      if (collect) {
        collect();
        const m = process.memoryUsage();
        live = `, live after a full GC: heap ${num(Math.round(m.heapUsed / MB))} MB + array buffers ${num(Math.round(m.arrayBuffers / MB))} MB`;
      }
      process.stderr.write(`[segment] ${stage}: ${secs(t - last)}, peak RSS so far ${num(Math.round(peakMB))} MB${live}\n`);
      last = t;
    },
  });
  const totalMs = performance.now() - started;
  db.close();
  const p = summary.propensity;
  return {
    stages,
    totalMs,
    maxRssMB: maxRssMB(),
    profiles: summary.profiles,
    clusterings: summary.clusterings.map((c) => c.status === 'clustered'
      ? { name: c.name, status: c.status, k: c.k, clustered: c.clusteredProfiles, personas: c.personas.map((x) => x.label) }
      : { name: c.name, status: c.status, k: null, clustered: 0, personas: [] }),
    propensity: p.status === 'fitted'
      ? { status: p.status, auc: p.auc, scored: p.scored, reason: null }
      : { status: p.status, auc: null, scored: null, reason: 'reason' in p ? String(p.reason) : null },
  };
}

function child<T>(mode: 'build' | 'segment', dbPath: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', mode, dbPath, '--size', String(SIZE)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...process.execArgv, ...(process.argv.includes('--live') ? ['--expose-gc'] : [])],
    });
    proc.once('message', (m) => resolve(m as T));
    proc.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`${mode} child exited with ${code}`))));
  });
}

export async function runSegmentEveryone(): Promise<EveryoneResult> {
  // --store PATH keeps the built store there and reuses it on the next run (a million people's store
  // takes long to build); by default the store lives in a temporary directory and is removed.
  const kept = argValue('--store');
  const dir = kept === undefined ? mkdtempSync(join(tmpdir(), 'segsync-bench-everyone-')) : undefined;
  const dbPath = kept ?? join(dir!, 'store.db');
  try {
    const built = kept !== undefined && existsSync(join(kept + '.built.json'))
      ? JSON.parse(readFileSync(kept + '.built.json', 'utf8')) as BuildResult
      : await child<BuildResult>('build', dbPath);
    if (kept !== undefined) writeFileSync(kept + '.built.json', JSON.stringify(built));
    const segmented = await child<SegmentResult>('segment', dbPath);
    return {
      size: SIZE,
      build: built,
      segment: segmented,
      figures: [{ figure: `segment everyone, ${num(SIZE)} people: peak RSS`, value: `${num(Math.round(segmented.maxRssMB))} MB`, target: `< ${num(PEAK_TARGET_MB)} MB`, pass: segmented.maxRssMB < PEAK_TARGET_MB }],
    };
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

export function printSegmentEveryone(r: EveryoneResult): void {
  const b = r.build;
  const s = r.segment;
  console.log(`\nWhole segmentation of everyone: ${num(r.size)} people, ${num(b.purchases)} purchases, ${num(b.events)} engagement events in the last ${HISTORY_DAYS} days as ${num(b.engagementRows)} day rows (store ${num(Math.round(b.storeMB))} MB, built in ${secs(b.buildMs)}, not counted)\n`);
  console.log(table(['stage', 'time', 'share', 'peak RSS so far'], [
    ...s.stages.map((x) => [x.stage, secs(x.ms), `${fixed((x.ms / s.totalMs) * 100, 1)}%`, `${num(Math.round(x.peakMB))} MB`]),
    ['total', secs(s.totalMs), '100%', `${num(Math.round(s.maxRssMB))} MB`],
  ]));
  console.log(`\npeak RSS of the segmentation process (maxRSS): ${num(Math.round(s.maxRssMB))} MB (target under ${num(PEAK_TARGET_MB)} MB: ${s.maxRssMB < PEAK_TARGET_MB ? 'met' : 'MISSED'})`);
  for (const c of s.clusterings) console.log(`clustering ${c.name}: ${c.status}${c.k === null ? '' : `, k = ${c.k} over ${num(c.clustered)} people: ${c.personas.join('; ')}`}`);
  console.log(`propensity: ${s.propensity.status}${s.propensity.auc === null ? ` (${s.propensity.reason})` : `, validation AUC ${fixed(s.propensity.auc, 3)}, ${num(s.propensity.scored ?? 0)} people scored`}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const mode = process.argv[childAt + 1];
  const dbPath = process.argv[childAt + 2]!;
  const result = mode === 'build' ? build(dbPath, SIZE) : segment(dbPath);
  // Run by hand (no IPC channel), the child prints its result.
  if (process.send === undefined) console.log(JSON.stringify(result));
  else process.send(result, () => process.exit(0));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await runSegmentEveryone();
  if (wantJson()) console.log(JSON.stringify({ machine: machine(), ...result }, null, 2));
  else printSegmentEveryone(result);
}
