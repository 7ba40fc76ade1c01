/**
 * Not a test: measures a full sync (pull --full, segment, push) of the default sandbox population
 * (seed 42, 5,000 people; Shopify's share via populationOn) against the Shopify emulator exactly
 * as the connector descriptor creates it for the sandbox (a Standard plan's bucket: 2,000 points, 100/s), served
 * by the sandbox server under /shopify, as `segsync sandbox` serves it.
 *
 *   npx tsx bench/shopify-full-sync.ts [--pull-only]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customersPage, ordersPage } from '../connectors/shopify/documents.js';
import type { ShopifyEmulator } from '../connectors/shopify/emulator/index.js';
import { shopify } from '../connectors/shopify/index.js';
import { loadMapping } from '../src/config/mapping.js';
import type { ConnectorDescriptor } from '../src/domain/connector.js';
import { pull, push, segment } from '../src/pipeline/run.js';
import { openSession, requestCounts } from '../src/pipeline/session.js';
import { startSandbox } from '../src/sandbox/server.js';

const pullOnly = process.argv.includes('--pull-only');
// Defaults: seed 42, 5,000 people, realistic pace (the descriptor's default bucket).
const sandbox = await startSandbox({ registry: [shopify as ConnectorDescriptor<never>] });
const population = sandbox.population;
const emulator = sandbox.emulators.get('shopify') as ShopifyEmulator;
const dir = mkdtempSync(join(tmpdir(), 'segsync-measure-'));
writeFileSync(join(dir, 'workspace.yaml'), 'segmentation: {}\n');
const env = { ...sandbox.env, SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') };
const session = openSession({ env, registry: [shopify as ConnectorDescriptor<never>] });
const signal = new AbortController().signal;

const customers = emulator.listCustomers().length;
const orders = emulator.listOrders().length;
const mapping = loadMapping(shopify.defaultMappingFile);
const c = customersPage(mapping);
const o = ordersPage(mapping);
const pagingCost = Math.ceil(customers / c.pageSize) * c.cost + Math.ceil(orders / o.pageSize) * o.cost;

function summary(label: string, from: number, ms: number) {
  const log = emulator.requests.slice(from);
  const byOperation: Record<string, number> = {};
  for (const r of log) byOperation[r.operation ?? `${r.method} (result file)`] = (byOperation[r.operation ?? `${r.method} (result file)`] ?? 0) + 1;
  return {
    label,
    wallSeconds: +(ms / 1000).toFixed(1),
    requests: log.length,
    reads: log.filter((r) => !r.write).length,
    writes: log.filter((r) => r.write).length,
    throttled: log.filter((r) => r.throttled).length,
    requestedCost: log.reduce((n, r) => n + (r.requestedCost ?? 0), 0),
    byOperation,
  };
}

console.log(JSON.stringify({ population: { seed: population.seed, size: population.size }, shopify: { customers, orders }, bucket: emulator.throttleStatus(), pagingCostOfAFullPull: pagingCost }, null, 2));
const t0 = Date.now();
const pulled = await pull(session, { full: true, signal });
const t1 = Date.now();
console.log(JSON.stringify(summary('pull --full', 0, t1 - t0), null, 2));
console.log(JSON.stringify(pulled.streams.map((s) => ({ stream: s.stream, mode: s.mode, pages: s.pages, received: s.received, stored: s.stored, quarantined: s.quarantined, warnings: s.warnings }))));
if (!pullOnly) {
  const at = emulator.requests.length;
  const t2 = Date.now();
  segment(session);
  const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal });
  const t3 = Date.now();
  console.log(JSON.stringify(summary('segment + push', at, t3 - t2), null, 2));
  console.log(JSON.stringify({ plan: pushed.destinations[0]?.plan, failed: pushed.destinations[0]?.applied?.failed.length }));
  console.log(JSON.stringify(summary('full sync (pull --full, segment, push)', 0, t3 - t0), null, 2));
}
console.log(JSON.stringify({ transport: requestCounts(session).shopify }));
session.close();
await sandbox.close();
