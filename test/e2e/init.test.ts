import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { loadWorkspace } from '../../src/config/workspace.js';

const ROOT = join(import.meta.dirname, '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const IDS = CONNECTORS.map((d) => d.id);

/** The CLI in `cwd` (where init writes by default), with `stdin` piped in. */
function segsync(args: string[], cwd: string, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const fresh = () => mkdtempSync(join(tmpdir(), 'segsync-init-e2e-'));

describe('segsync init', () => {
  it('writes a config that validates and a 0600 .env from flags, and says to run doctor next', async () => {
    const dir = fresh();
    const { code, stdout } = await segsync(['init', '--yes', '--platform', 'hubspot', '--hubspot-token', 'pat-na1-e2e', '--window-days', '120'], dir);
    expect(code).toBe(0);
    expect(stdout).toContain('Wrote segsync.yaml');
    expect(stdout).toContain('Wrote .env (mode 0600)');
    expect(stdout).toContain('Next: segsync doctor');
    expect(stdout).not.toContain('pat-na1-e2e');
    expect(loadWorkspace(join(dir, 'segsync.yaml'), IDS).segmentation.windowDays).toBe(120);
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8'))).toEqual({
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-e2e',
      SEGSYNC_DB: './data/segsync.db',
      SEGSYNC_CONFIG: './segsync.yaml',
    });
  });

  it('never overwrites without --force (exit 2, files unchanged), and overwrites with it', async () => {
    const dir = fresh();
    expect((await segsync(['init', '--yes', '--platform', 'hubspot', '--hubspot-token', 'first'], dir)).code).toBe(0);
    const before = { config: readFileSync(join(dir, 'segsync.yaml'), 'utf8'), env: readFileSync(join(dir, '.env'), 'utf8'), mtime: statSync(join(dir, '.env')).mtimeMs };

    const again = await segsync(['init', '--yes', '--platform', 'hubspot', '--hubspot-token', 'second'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('segsync.yaml and .env exist; use --force to overwrite');
    expect(readFileSync(join(dir, 'segsync.yaml'), 'utf8')).toBe(before.config);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(before.env);
    expect(statSync(join(dir, '.env')).mtimeMs).toBe(before.mtime);

    const forced = await segsync(['init', '--yes', '--force', '--platform', 'hubspot', '--hubspot-token', 'second', '--json'], dir);
    expect(forced.code).toBe(0);
    const summary = JSON.parse(forced.stdout) as { ok: boolean; files: Array<{ path: string; mode: string }>; next: string };
    expect(summary).toMatchObject({ ok: true, next: 'segsync doctor' });
    expect(summary.files).toEqual([
      { path: 'segsync.yaml', kind: 'workspace config', mode: '0644' },
      { path: '.env', kind: 'env', mode: '0600' },
    ]);
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8')).HUBSPOT_ACCESS_TOKEN).toBe('second');
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
  });

  it('exits 2 naming a missing required flag, writing nothing', async () => {
    const dir = fresh();
    const { code, stderr } = await segsync(['init', '--yes', '--platform', 'marketo', '--marketo-client-id', 'id', '--marketo-client-secret', 's'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('--marketo-base-url is required');
    expect(existsSync(join(dir, 'segsync.yaml'))).toBe(false);
    expect(existsSync(join(dir, '.env'))).toBe(false);
  });

  it('exits 2 on a bad value, naming its flag', async () => {
    const dir = fresh();
    const { code, stderr } = await segsync(['init', '--yes', '--platform', 'hubspot', '--hubspot-token', 't', '--hubspot-base-url', 'http://example.com'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('--hubspot-base-url: must use https');
  });

  it('asks its questions when --interactive, with the answers piped in', async () => {
    const dir = fresh();
    const answers = ['hubspot,shopify', 'pat-na1-asked', 'https://acme.myshopify.com', 'shpat_asked', '90', 'y'].join('\n');
    const { code, stdout, stderr } = await segsync(['init', '--interactive'], dir, `${answers}\n`);
    expect(code).toBe(0);
    expect(stderr).toContain('Platforms to sync (hubspot, marketo, shopify) [hubspot]: ');
    expect(stderr).toContain('Shopify Admin API access token (shpat_…): ');
    expect(stderr).not.toContain('shpat_asked');
    expect(stdout).toContain('workspace config for hubspot, shopify (RFM window 90 days, 2 example rule segments)');
    const workspace = loadWorkspace(join(dir, 'segsync.yaml'), IDS);
    expect(workspace.segmentation.windowDays).toBe(90);
    expect(workspace.segments.map((s) => s.key)).toEqual(['recent_high_spenders', 'dormant_germans']);
    expect(Object.keys(workspace.destinations)).toEqual(['hubspot', 'shopify']);
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8'))).toMatchObject({
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-asked',
      SHOPIFY_SHOP_URL: 'https://acme.myshopify.com',
      SHOPIFY_ACCESS_TOKEN: 'shpat_asked',
    });
  });

  it('stops with exit 2 and writes nothing when the piped answers run out', async () => {
    const dir = fresh();
    const { code, stderr } = await segsync(['init', '--interactive'], dir, 'marketo\n');
    expect(code).toBe(2);
    expect(stderr).toContain('the input ended before');
    expect(existsSync(join(dir, '.env'))).toBe(false);
  });
});
