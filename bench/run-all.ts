/**
 * `npm run bench`: every headline benchmark, each figure a ratio against a baseline measured in
 * the same run, then one summary table; the results go to bench/results.json with the machine
 * (CPU model, cores, memory, node version, date). A run with --only replaces only its benches in
 * results.json: the others keep their figures and say when and where they were measured.
 *
 *   npm run bench                          (about 13-15 minutes on 2 cores; the HubSpot pull is most of it)
 *   npm run bench -- --only ingest,push-minimum
 *
 * The benches, each runnable alone (see its header comment):
 *   bench/pull-rate.ts     full HubSpot pull of ~100,000 contacts at the rate limit vs the ideal time
 *   bench/push-minimum.ts  write requests of a fresh push vs the minimum for its plan; unchanged rerun
 *   bench/ingest.ts        store ingest rows/s vs a raw better-sqlite3 insert loop
 *   bench/rfm-kmeans.ts    computeRfm and kmeansFit on 1,000,000 profiles vs one plain ml-kmeans call
 *   bench/predict.ts       BG/NBD fit on 1,000,000 simulated customers vs a per-customer likelihood; predictCustomers' time and memory
 *   bench/kmeans-sklearn.ts  kmeansFit on 1,000,000 × 8 vs scikit-learn KMeans (n_init=1 and 10, 2 threads): time and inertia
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printIngest, runIngest } from './ingest.js';
import { printKmeansSklearn, runKmeansSklearn } from './kmeans-sklearn.js';
import { argValue, figuresTable, machine, secs, type RatioFigure } from './lib/report.js';
import { printPullRate, runPullRate } from './pull-rate.js';
import { printPredict, runPredict } from './predict.js';
import { printPushMinimum, runPushMinimum } from './push-minimum.js';
import { printRfmKmeans, runRfmKmeans } from './rfm-kmeans.js';

interface Bench {
  name: string;
  run(): Promise<{ figures: RatioFigure[] }>;
}

const BENCHES: Bench[] = [
  { name: 'pull-rate', run: async () => { const r = await runPullRate(); printPullRate(r); return r; } },
  { name: 'push-minimum', run: async () => { const r = await runPushMinimum(); printPushMinimum(r); return r; } },
  { name: 'ingest', run: async () => { const r = await runIngest(); printIngest(r); return r; } },
  { name: 'rfm-kmeans', run: async () => { const r = await runRfmKmeans(); printRfmKmeans(r); return r; } },
  { name: 'predict', run: async () => { const r = await runPredict(); printPredict(r); return r; } },
  { name: 'kmeans-sklearn', run: async () => { const r = await runKmeansSklearn(); printKmeansSklearn(r); return r; } },
];

const only = argValue('--only')?.split(',');
const results: Record<string, unknown> = {};
const figures: RatioFigure[] = [];
const started = performance.now();
for (const bench of BENCHES) {
  if (only && !only.includes(bench.name)) continue;
  console.log(`\n=== ${bench.name} ${'='.repeat(Math.max(0, 90 - bench.name.length))}`);
  const t = performance.now();
  const result = await bench.run();
  console.log(`(${bench.name}: ${secs(performance.now() - t)})`);
  results[bench.name] = result;
  figures.push(...result.figures);
}
const m = machine();
console.log(`\n=== summary ${'='.repeat(83)}`);
console.log(`${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, node ${m.node}, ${m.platform}, ${m.date}; total ${secs(performance.now() - started)}\n`);
console.log(figuresTable(figures));
const failed = figures.filter((f) => !f.pass);
console.log(failed.length === 0 ? '\nall targets met' : `\n${failed.length} target(s) missed: ${failed.map((f) => f.figure.trim()).join('; ')}`);
const out = fileURLToPath(new URL('./results.json', import.meta.url));
writeFileSync(out, `${JSON.stringify(only ? keptFromLastRun(out, m, figures, results) : { machine: m, measured: measuredBy(results, m), figures, results }, null, 2)}\n`);
console.log(`\nwritten: bench/results.json`);

type Machine = ReturnType<typeof machine>;
interface ResultsFile {
  machine: Machine;
  /** Per bench: the machine and date of the run that measured it. */
  measured?: Record<string, Machine>;
  figures: RatioFigure[];
  results: Record<string, unknown>;
}

function measuredBy(results: Record<string, unknown>, m: Machine): Record<string, Machine> {
  return Object.fromEntries(Object.keys(results).map((name) => [name, m]));
}

/** This run's benches, and the last file's figures of the benches this run left out. */
function keptFromLastRun(file: string, m: Machine, figures: RatioFigure[], results: Record<string, unknown>): ResultsFile {
  const last = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as ResultsFile : undefined;
  const measured: Record<string, Machine> = {};
  const kept: Record<string, unknown> = {};
  for (const bench of BENCHES) {
    if (results[bench.name] !== undefined) {
      kept[bench.name] = results[bench.name];
      measured[bench.name] = m;
    } else if (last?.results[bench.name] !== undefined) {
      kept[bench.name] = last.results[bench.name];
      measured[bench.name] = last.measured?.[bench.name] ?? last.machine;
    }
  }
  const order = BENCHES.map((b) => b.name);
  const allFigures = [...figures, ...(last?.figures ?? []).filter((f) => results[f.bench] === undefined)]
    .sort((a, b) => order.indexOf(a.bench) - order.indexOf(b.bench));
  return { machine: m, measured, figures: allFigures, results: kept };
}
