import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseEnv, promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** The CLI in `cwd`, with nothing in its environment but `env` and what it reads from ./.env there. */
const segsync = (args: string[], cwd: string, timeout: number, env: Record<string, string | undefined> = {}) =>
  run(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    timeout,
  });

describe('segsync init pointed at segsync sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    // The sandbox a new user starts: realistic pacing, a small population.
    sandbox = await startSandbox({ registry: CONNECTORS.filter((d) => d.id === 'marketo'), size: 60 });
  });
  afterAll(() => sandbox.close());

  it('writes the sandbox\'s own lines (Marketo\'s bulk export polling) so that the first pull takes a minute, not most of an hour', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-init-sandbox-'));
    // The credential lines `segsync sandbox` printed, pasted into the shell; no --platform, no secret on the command line.
    const credentials = { MARKETO_BASE_URL: sandbox.env.MARKETO_BASE_URL, MARKETO_CLIENT_ID: sandbox.env.MARKETO_CLIENT_ID, MARKETO_CLIENT_SECRET: sandbox.env.MARKETO_CLIENT_SECRET };
    const { stdout } = await segsync(['init', '--yes'], dir, 60_000, credentials);
    const written = parseEnv(readFileSync(join(dir, '.env'), 'utf8'));
    expect(written).toMatchObject(credentials);
    expect(written.MARKETO_BULK_POLL_MS).toBe(sandbox.env.MARKETO_BULK_POLL_MS);
    expect(stdout).toContain(`Note: marketo points at \`segsync sandbox\`: wrote MARKETO_BULK_POLL_MS=${sandbox.env.MARKETO_BULK_POLL_MS} to .env as well`);
    expect(stdout).not.toContain('also set');
    // The sandbox's history takes some 45 monthly export windows. At Marketo's own pace (a status
    // poll a minute) each window waits a minute: most of an hour. At the sandbox's, the emulator's
    // rate limit (100 calls in 20 s) is what takes the time.
    const started = Date.now();
    const pulled = await segsync(['pull', '--json'], dir, 150_000);
    expect((JSON.parse(pulled.stdout) as { ok: boolean }).ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(150_000);
  }, 240_000);

  it('real credentials get no sandbox lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-init-real-'));
    await segsync(['init', '--yes', '--platform', 'marketo', '--marketo-base-url', 'https://123-ABC-456.mktorest.com',
      '--marketo-client-id', 'a1b2c3', '--marketo-client-secret', 's3cr3t'], dir, 60_000);
    expect(Object.keys(parseEnv(readFileSync(join(dir, '.env'), 'utf8'))).sort()).toEqual(['MARKETO_BASE_URL', 'MARKETO_CLIENT_ID', 'MARKETO_CLIENT_SECRET', 'SEGSYNC_CONFIG', 'SEGSYNC_DB']);
  }, 60_000);
});
