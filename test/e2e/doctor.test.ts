import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import type { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import type { MarketoEmulator } from '../../connectors/marketo/emulator/index.js';
import { DEFAULT_SCOPES, type ShopifyEmulator } from '../../connectors/shopify/emulator/index.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { openSession } from '../../src/pipeline/session.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

const ROOT = join(import.meta.dirname, '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const signal = new AbortController().signal;

interface Line {
  mark: string;
  name: string;
  detail: string;
  fix?: string;
}

interface Report {
  ok: boolean;
  readOnly: boolean;
  checks: Array<{ name: string; status: 'ok' | 'warn' | 'fail'; detail: string; fix?: string }>;
}

/** Not the checkout: a .env there (read from the working directory) would change the answers. */
const QUIET_CWD = mkdtempSync(join(tmpdir(), 'segsync-doctor-cwd-'));

function doctor(env: NodeJS.ProcessEnv, args: string[] = [], cwd = QUIET_CWD): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'doctor', ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The checklist as printed: "✓ name  detail", then an indented "fix: ..." under lines that are not ✓. */
function lines(stdout: string): Line[] {
  const out: Line[] = [];
  for (const raw of stdout.split('\n')) {
    const m = /^([✓!✗]) (\S+(?: \S+)*?) {2,}(.*)$/.exec(raw);
    if (m) out.push({ mark: m[1]!, name: m[2]!, detail: m[3]! });
    else if (/^\s+fix: /.test(raw) && out.length > 0) out.at(-1)!.fix = raw.trim().slice(5);
  }
  return out;
}

const line = (stdout: string, name: string): Line => {
  const found = lines(stdout).find((l) => l.name === name);
  if (!found) throw new Error(`no line "${name}" in:\n${stdout}`);
  return found;
};

describe('segsync doctor against the emulators', () => {
  let sandbox: Sandbox;
  let dir: string;
  /** The sandbox's environment and a store that does not exist yet. */
  let env: NodeJS.ProcessEnv;
  /** The store the sync below filled (its quarantine holds the sandbox's deliberately bad records). */
  let syncedDb: string;
  let quarantined: number;
  const writes = () => {
    const hubspot = sandbox.emulators.get('hubspot') as HubSpotEmulator;
    const marketo = sandbox.emulators.get('marketo') as MarketoEmulator;
    const shopify = sandbox.emulators.get('shopify') as ShopifyEmulator;
    return [...hubspot.requests, ...marketo.requests, ...shopify.requests].filter((r) => r.write).length;
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ registry: CONNECTORS, size: 120, seed: 4, anchor: ANCHOR, pace: 'fast' });
    dir = mkdtempSync(join(tmpdir(), 'segsync-doctor-'));
    syncedDb = join(dir, 'synced.db');
    // A first sync creates what a push needs on every platform: token fields, lists, metafield definitions.
    const session = openSession({ env: { ...sandbox.env, SEGSYNC_DB: syncedDb }, registry: CONNECTORS });
    await pull(session, { full: true, signal });
    segment(session);
    await push(session, { dryRun: false, allowMassRemoval: false, signal });
    quarantined = (session.db.prepare('SELECT COUNT(*) AS n FROM quarantine').get() as { n: number }).n;
    session.close();
    env = { ...sandbox.env, SEGSYNC_DB: join(dir, 'data', 'fresh.db') };
  });
  afterAll(() => sandbox.close());

  it('passes every check when all three platforms are healthy, and writes nothing anywhere', async () => {
    const before = writes();
    const { code, stdout } = await doctor(env);
    expect(code).toBe(0);
    expect(stdout).toContain('read-only, nothing is written to the store or to any platform');
    const all = lines(stdout);
    expect(all.filter((l) => l.mark !== '✓')).toEqual([]);
    expect(all.map((l) => l.name)).toEqual([
      'env', 'platforms', 'workspace config', 'mapping hubspot', 'mapping marketo', 'mapping shopify', 'store',
      'hubspot credentials', 'hubspot scopes', 'hubspot token properties', 'hubspot lists', 'hubspot mapped fields',
      'marketo credentials', 'marketo permissions', 'marketo lists', 'marketo token fields', 'marketo mapped fields',
      'shopify credentials', 'shopify scopes', 'shopify token metafields', 'shopify lists', 'shopify mapped fields',
    ]);
    expect(line(stdout, 'platforms').detail).toBe('configured: HubSpot, Marketo, Shopify');
    expect(line(stdout, 'store').detail).toContain('does not exist yet: the first pull, import or sync creates it');
    expect(line(stdout, 'marketo token fields').detail).toBe('all 17 lead fields exist with usable types'); // 8 segment and persona tokens, 2 lead persona tokens, 4 predictions, 2 first-purchase tokens, the control group
    // No segmentation in this store yet: the personas' lists are not known by name, but a push makes them.
    for (const platform of ['hubspot', 'marketo', 'shopify']) {
      expect(line(stdout, `${platform} lists`).detail).toContain('plus one per persona, which the first segmentation finds (2 to 10, segmentation.clustering.k auto)');
    }
    expect(stdout).toMatch(/All \d+ checks passed\./);
    expect(writes()).toBe(before);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('--json gives the same checks', async () => {
    const [text, json] = await Promise.all([doctor(env), doctor(env, ['--json'])]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.readOnly).toBe(true);
    const mark = { ok: '✓', warn: '!', fail: '✗' } as const;
    expect(report.checks.map((c) => ({ mark: mark[c.status], name: c.name, detail: c.detail.split('\n')[0] }))).toEqual(
      lines(text.stdout).map((l) => ({ mark: l.mark, name: l.name, detail: l.detail })),
    );
  });

  it('reads a store without changing it: schema, WAL, and the quarantine as a warning pointing at `segsync status`', async () => {
    const before = readFileSync(syncedDb);
    const files = readdirSync(dir).sort();
    const { code, stdout } = await doctor({ ...env, SEGSYNC_DB: syncedDb });
    expect(code).toBe(0);
    expect(line(stdout, 'store').mark).toBe('✓');
    expect(line(stdout, 'store schema').detail).toMatch(/^schema v\d+ \(current\)$/);
    expect(line(stdout, 'store WAL')).toMatchObject({ mark: '✓', detail: 'journal mode WAL' });
    // The sandbox population carries a few deliberately bad records (seed 4: at least one).
    expect(quarantined).toBeGreaterThan(0);
    const quarantine = line(stdout, 'store quarantine');
    expect(quarantine.mark).toBe('!');
    expect(quarantine.detail).toMatch(new RegExp(`^${quarantined} records? in quarantine \\(`));
    expect(quarantine.fix).toContain('`segsync status`');
    // The latest run's personas are lists too: every one exists after the sync.
    expect(line(stdout, 'hubspot lists').detail).toMatch(/^all \d+ segment lists exist/);
    expect(line(stdout, 'hubspot lists').detail).not.toContain('plus one per persona');
    expect(readFileSync(syncedDb).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(files);
  });

  it('a wrong HubSpot token: exit 1, the credentials line ✗ with its fix, the token never printed', async () => {
    const token = 'pat-na1-wrong-e2e-token';
    const { code, stdout } = await doctor({ ...env, HUBSPOT_ACCESS_TOKEN: token });
    expect(code).toBe(1);
    const credentials = line(stdout, 'hubspot credentials');
    expect(credentials.mark).toBe('✗');
    expect(credentials.detail).toContain('credentials rejected');
    expect(credentials.fix).toContain('set HUBSPOT_ACCESS_TOKEN to the private app\'s access token');
    expect(stdout).not.toContain(token);
    expect(line(stdout, 'marketo credentials').mark).toBe('✓');
    expect(line(stdout, 'shopify credentials').mark).toBe('✓');
    expect(stdout).toMatch(/1 failed, 0 warnings, \d+ ok/);
  });

  it('a scope HubSpot refuses (403) is named, with the scope to give the private app', async () => {
    const hubspot = sandbox.emulators.get('hubspot') as HubSpotEmulator;
    hubspot.injectFault({
      match: /^GET \/crm\/v3\/objects\/deals/,
      status: 403,
      body: { status: 'error', message: 'This app hasn\'t been granted all required scopes to make this call.', category: 'MISSING_SCOPES', correlationId: 'e2e' },
    });
    const { code, stdout } = await doctor(env);
    expect(code).toBe(1);
    const scopes = line(stdout, 'hubspot scopes');
    expect(scopes.mark).toBe('✗');
    expect(scopes.detail).toContain('missing the scope crm.objects.deals.read');
    expect(scopes.fix).toContain('grant the scope crm.objects.deals.read to the private app');
  });

  it('a Shopify app without write_customers fails its scopes line with the scope to grant', async () => {
    const shopify = sandbox.emulators.get('shopify') as ShopifyEmulator;
    shopify.setScopes(['read_customers', 'read_orders', 'read_all_orders']);
    try {
      const { code, stdout } = await doctor(env);
      expect(code).toBe(1);
      const scopes = line(stdout, 'shopify scopes');
      expect(scopes.mark).toBe('✗');
      expect(scopes.detail).toContain('missing scope write_customers');
      expect(scopes.fix).toContain('grant write_customers to the app');
    } finally {
      shopify.setScopes(DEFAULT_SCOPES);
    }
  });

  it('a clustering named by the admin with no mapping line: a warning per platform that its persona is not written there', async () => {
    const config = join(dir, 'clusterings.yaml');
    writeFileSync(config, 'segmentation:\n  clusterings:\n    customers: {}\n    leads: {}\n    enterprise: { population: everyone, features: [companyEmployees] }\n');
    const { code, stdout } = await doctor({ ...env, SEGSYNC_CONFIG: config });
    expect(code).toBe(0);
    for (const [platform, name] of [['hubspot', 'HubSpot'], ['marketo', 'Marketo'], ['shopify', 'Shopify']] as const) {
      const warned = line(stdout, `${platform} persona tokens`);
      expect(warned.mark).toBe('!');
      expect(warned.detail).toBe(`no ${name} field is mapped for persona_enterprise, persona_enterprise_summary: the enterprise persona is not written to ${name} (its lists are)`);
      expect(warned.fix).toBe(`to write them, add persona_enterprise: <field>, persona_enterprise_summary: <field> under tokens: in the ${platform} mapping file`);
      expect(line(stdout, `${platform} lists`).detail).toContain('and one per enterprise persona (2 to 10, segmentation.clusterings.enterprise.k auto, when enough of its population has the data)');
    }
  });

  it('a broken workspace config fails a line naming its path', async () => {
    const config = join(dir, 'broken.yaml');
    writeFileSync(config, 'segmentation:\n  windowDays: 0\ndestinations:\n  salesforce: {}\n');
    const { code, stdout } = await doctor({ ...env, SEGSYNC_CONFIG: config });
    expect(code).toBe(1);
    const workspace = line(stdout, 'workspace config');
    expect(workspace.mark).toBe('✗');
    expect(workspace.detail).toContain(`workspace config ${config} is not valid`);
    expect(stdout).toContain('segmentation.windowDays');
    expect(workspace.fix).toContain(`edit ${config}`);
    // The platforms are still checked, with the default settings.
    expect(line(stdout, 'hubspot credentials').mark).toBe('✓');

    const missing = await doctor({ ...env, SEGSYNC_CONFIG: join(dir, 'nowhere.yaml') });
    expect(missing.code).toBe(1);
    expect(line(missing.stdout, 'workspace config').detail).toContain(`${join(dir, 'nowhere.yaml')} cannot be read (ENOENT)`);
    expect(line(missing.stdout, 'workspace config').fix).toContain('segsync init');
  });

  it('a store path that cannot be created fails the store line', async () => {
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, '');
    const { code, stdout } = await doctor({ ...env, SEGSYNC_DB: join(file, 'segsync.db') });
    expect(code).toBe(1);
    const store = line(stdout, 'store');
    expect(store.mark).toBe('✗');
    expect(store.detail).toContain(`${file} is a file, not a directory`);
    expect(store.fix).toContain('SEGSYNC_DB');
  });

  it('a variable that does not parse fails a line naming it', async () => {
    const { code, stdout } = await doctor({ ...env, MARKETO_RATE_LIMIT: 'lots' });
    expect(code).toBe(1);
    const bad = line(stdout, 'env MARKETO_RATE_LIMIT');
    expect(bad.mark).toBe('✗');
    expect(bad.fix).toContain('correct MARKETO_RATE_LIMIT');
    expect(line(stdout, 'platforms').detail).toContain('Marketo not checked until its variables parse');
  });

  it('checks what `segsync init` wrote, read from ./.env', async () => {
    const work = mkdtempSync(join(tmpdir(), 'segsync-doctor-init-'));
    const init = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [
        '--import', TSX, join(ROOT, 'src/cli/main.ts'), 'init', '--yes', '--platform', 'hubspot',
        '--hubspot-token', sandbox.env.HUBSPOT_ACCESS_TOKEN!, '--hubspot-base-url', sandbox.env.HUBSPOT_BASE_URL!,
      ], { cwd: work, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: 'ignore' });
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? -1));
    });
    expect(init).toBe(0);
    const { code, stdout } = await doctor({}, [], work);
    expect(code).toBe(0);
    expect(lines(stdout).filter((l) => l.mark !== '✓')).toEqual([]);
    expect(line(stdout, 'env file').detail).toBe('.env is readable by its owner only (mode 0600)');
    expect(line(stdout, 'workspace config').detail).toMatch(/^segsync\.yaml is valid: RFM window 365 days/);
    expect(line(stdout, 'platforms').detail).toContain('configured: HubSpot; not configured: Marketo');
  });
});
