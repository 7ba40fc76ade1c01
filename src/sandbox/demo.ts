/**
 * `npm run demo`: the whole path on built-in defaults, no credentials. Starts the emulators
 * in-process, syncs the default synthetic population into ./data/demo.db, then pushes again to
 * show that an unchanged store sends nothing. `npm run demo -- --account plan:plus` runs it
 * against accounts in other states, as `segsync sandbox --account` does.
 */
import { rmSync } from 'node:fs';
import { CONNECTORS } from '../../connectors/index.js';
import { pull, push, segment, recorded } from '../pipeline/run.js';
import { openSession } from '../pipeline/session.js';
import { createProgress } from '../cli/output.js';
import { renderPull, renderPush, renderRequests, renderSegment } from '../cli/render.js';
import { reportError } from '../cli/context.js';
import { parseAccountConditions } from './emulator-account.js';
import { startSandbox } from './server.js';

const DEMO_DB = './data/demo.db';

async function main(): Promise<void> {
  const started = Date.now();
  const at = process.argv.indexOf('--account');
  const account = at >= 0 ? parseAccountConditions(process.argv[at + 1] ?? '') : [];
  const sandbox = await startSandbox({ registry: CONNECTORS, account });
  process.stdout.write(
    `Emulators at ${sandbox.url} (${Object.keys(sandbox.env).join(', ')} set for this run), ` +
      `${sandbox.population.size.toLocaleString('en-US')} synthetic people, seed ${sandbox.population.seed}.\n` +
      `Store: ${DEMO_DB} (recreated on every demo run).\n\n`,
  );
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${DEMO_DB}${suffix}`, { force: true });
  const env = { ...process.env, ...sandbox.env, SEGSYNC_DB: DEMO_DB, SEGSYNC_CONFIG: '' };
  const session = openSession({ env, registry: CONNECTORS });
  const progress = createProgress({ json: false });
  const signal = new AbortController().signal;
  try {
    const first = await recorded(session, 'sync', async () => {
      const pulled = await pull(session, { full: true, signal, progress });
      const segmented = segment(session);
      const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal, progress });
      return { pulled, segmented, pushed };
    });
    process.stdout.write(
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
    process.stdout.write(
      ['── 2. Push again, nothing changed ──', renderPush(second.result), renderRequests(second.requests), ''].join('\n'),
    );
    process.stdout.write(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s. Inspect it with: SEGSYNC_DB=${DEMO_DB} npm run segsync -- status\n`);
  } finally {
    session.close();
    await sandbox.close();
  }
}

main().catch((error: unknown) => {
  process.exitCode = reportError(error, false);
});
