/**
 * `segsync demo` (and `npm run demo`): the whole path on built-in defaults, no credentials. Starts
 * the emulators in-process, syncs the synthetic population into ./data/demo.db (its own store,
 * recreated each time), then pushes again to show that an unchanged store sends nothing, then
 * measures a campaign against its control group after running the sandbox's world 60 days ahead.
 * `--account plan:plus` (or any `segsync sandbox --account` state) runs it against accounts in
 * other states.
 */
import { rmSync } from 'node:fs';
import { CONNECTORS } from '../../connectors/index.js';
import { pull, push, segment, recorded } from '../pipeline/run.js';
import { openSession } from '../pipeline/session.js';
import { createProgress } from '../cli/output.js';
import { renderPull, renderPush, renderRequests, renderSegment } from '../cli/render.js';
import type { AccountCondition } from './emulator-account.js';
import { startSandbox } from './server.js';
import { demoMeasurement } from './demo-measure.js';

export const DEMO_DB = './data/demo.db';

export interface DemoOptions {
  seed?: number;
  size?: number;
  json?: boolean;
  /** The accounts' states (`--account`), as `segsync sandbox --account` takes them. */
  account?: AccountCondition[];
}

export async function runDemo(options: DemoOptions = {}): Promise<void> {
  const json = options.json === true;
  const say = (text: string) => {
    if (!json) process.stdout.write(text);
  };
  const started = Date.now();
  const sandbox = await startSandbox({
    registry: CONNECTORS,
    account: options.account ?? [],
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.size !== undefined ? { size: options.size } : {}),
  });
  say(
    `Emulators at ${sandbox.url} (${Object.keys(sandbox.env).join(', ')} set for this run), ` +
      `${sandbox.population.size.toLocaleString('en-US')} synthetic people, seed ${sandbox.population.seed}.\n` +
      `Store: ${DEMO_DB} (recreated on every demo run).\n\n`,
  );
  try {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${DEMO_DB}${suffix}`, { force: true });
    const env = { ...process.env, ...sandbox.env, SEGSYNC_DB: DEMO_DB, SEGSYNC_CONFIG: '' };
    const session = openSession({ env, registry: CONNECTORS, store: 'create' });
    const progress = createProgress({ json });
    const signal = new AbortController().signal;
    try {
      const first = await recorded(session, 'sync', async () => {
        const pulled = await pull(session, { full: true, signal, progress });
        const segmented = segment(session);
        const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal, progress });
        return { pulled, segmented, pushed };
      });
      say(
        [
          '── 1. Full sync: pull → segment → push ──',
          renderPull(first.result.pulled),
          '',
          renderSegment(first.result.segmented),
          '',
          renderPush(first.result.pushed),
          renderRequests(first.requests),
          '',
        ].join('\n'),
      );
      // recorded() reports the run's own requests: this push's alone.
      const second = await recorded(session, 'push', () => push(session, { dryRun: false, allowMassRemoval: false, signal, progress }));
      say(['── 2. Push again, nothing changed ──', renderPush(second.result), renderRequests(second.requests), ''].join('\n'));
      const measured = await demoMeasurement(session, sandbox, signal, progress);
      say(['── 3. Did it work? A campaign against its control group, 60 days later ──', measured.text, ''].join('\n'));
      say(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s. Inspect it with: SEGSYNC_DB=${DEMO_DB} segsync status (from a checkout: SEGSYNC_DB=${DEMO_DB} npm run segsync -- status)\n`);
      if (json) {
        process.stdout.write(`${JSON.stringify({
          ok: true,
          store: DEMO_DB,
          population: sandbox.population,
          sync: { pull: first.result.pulled, segment: first.result.segmented, push: first.result.pushed, requests: first.requests },
          pushAgain: { push: second.result, requests: second.requests },
          measure: { campaign: measured.campaign, planted: measured.truth, lift: measured.lift },
        }, null, 2)}\n`);
      }
    } finally {
      session.close();
    }
  } finally {
    await sandbox.close();
  }
}
