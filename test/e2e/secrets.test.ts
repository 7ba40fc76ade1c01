import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import type { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import type { MarketoEmulator } from '../../connectors/marketo/emulator/index.js';
import type { ShopifyEmulator } from '../../connectors/shopify/emulator/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { segsync } from '../helpers/cli.js';

const ANCHOR = new Date('2026-06-01T00:00:00.000Z');


/** Every value of every row of every table, as text, then the database files' raw bytes. */
function storeContents(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true });
  const parts: string[] = [];
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
    expect(tables.length).toBeGreaterThan(5);
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`).raw().iterate() as Iterable<unknown[]>) {
        for (const value of row) parts.push(Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
      }
    }
  } finally {
    db.close();
  }
  // Deleted rows and the WAL keep bytes that no query returns.
  const dir = join(dbPath, '..');
  for (const file of readdirSync(dir).filter((f) => join(dir, f).startsWith(dbPath))) parts.push(readFileSync(join(dir, file)).toString('latin1'));
  return parts.join('\n');
}

/** Identity hands back the same token until it expires (an hour): this is the one segsync was given. */
async function issuedMarketoToken(sandbox: Sandbox): Promise<string> {
  const query = new URLSearchParams({ grant_type: 'client_credentials', client_id: sandbox.env.MARKETO_CLIENT_ID!, client_secret: sandbox.env.MARKETO_CLIENT_SECRET! });
  const response = await fetch(`${sandbox.env.MARKETO_BASE_URL}/identity/oauth/token?${query}`);
  const token = ((await response.json()) as { access_token: string }).access_token;
  expect(token.length).toBeGreaterThan(20);
  return token;
}

function expectNoSecret(secrets: Record<string, string>, where: Record<string, string>): void {
  for (const [name, secret] of Object.entries(secrets)) {
    for (const [place, text] of Object.entries(where)) expect(text.includes(secret), `${name} (${secret}) in ${place}`).toBe(false);
  }
}

const logLines = (stderr: string) => stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('credentials stay out of output, logs and the store', () => {
  let sandbox: Sandbox;
  let env: Record<string, string>;
  let dbPath: string;
  /** Every credential a run was given or obtained, kept for the later runs' checks. */
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    sandbox = await startSandbox({ registry: CONNECTORS, size: 150, seed: 13, anchor: ANCHOR, pace: 'fast' });
    const dir = mkdtempSync(join(tmpdir(), 'segsync-secrets-'));
    writeFileSync(join(dir, 'workspace.yaml'), `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`);
    dbPath = join(dir, 'segsync.db');
    env = { ...sandbox.env, SEGSYNC_DB: dbPath, SEGSYNC_CONFIG: join(dir, 'workspace.yaml'), SEGSYNC_LOG_LEVEL: 'debug', SEGSYNC_LOG_FORMAT: 'json' };
    // The emulators accept only their fixed sandbox credentials: those are the strings searched for.
    Object.assign(secrets, {
      'HubSpot token': env.HUBSPOT_ACCESS_TOKEN!,
      'Marketo client secret': env.MARKETO_CLIENT_SECRET!,
      'Shopify token': env.SHOPIFY_ACCESS_TOKEN!,
    });
  });
  afterAll(() => sandbox.close());

  it('a full sync at debug level, with failures that quote the credentials back, shows none of them', async () => {
    // Platforms that echo what they were sent in an error body: each is retried, and logged.
    (sandbox.emulators.get('hubspot') as HubSpotEmulator).injectFault({
      match: /^GET /, status: 503, body: { status: 'error', message: `upstream refused Authorization: Bearer ${secrets['HubSpot token']}` },
    });
    (sandbox.emulators.get('marketo') as MarketoEmulator).injectFault({
      match: /identity/, status: 503, body: { error: 'temporarily_unavailable', error_description: `client_secret=${secrets['Marketo client secret']}` },
    });
    (sandbox.emulators.get('shopify') as ShopifyEmulator).injectFault({
      match: /./, status: 503, body: { errors: `X-Shopify-Access-Token ${secrets['Shopify token']} is not served right now` },
    });

    const { code, stdout, stderr } = await segsync(['sync', '--json'], env);
    expect(code, stderr).toBe(0);
    secrets['Marketo access token'] = await issuedMarketoToken(sandbox);

    expect(JSON.parse(stdout)).toMatchObject({ ok: true });
    const lines = logLines(stderr);
    expect(lines.some((l) => l.level === 'debug')).toBe(true);
    const retries = lines.filter((l) => typeof l.waitMs === 'number');
    expect(retries.map((l) => l.platform).sort()).toEqual(['hubspot', 'marketo', 'shopify']);
    for (const retry of retries) expect(retry).toMatchObject({ level: 'info', status: 503, attempt: 1 });
    expectNoSecret(secrets, { stdout, stderr, store: storeContents(dbPath) });
    expect(stderr).toContain('[redacted]');
  });

  it.each([
    ['HubSpot', 'HUBSPOT_ACCESS_TOKEN', 'pat-na1-4c1d7e0b-rejected-hubspot-token'],
    ['Marketo', 'MARKETO_CLIENT_SECRET', 'rejected-marketo-secret-8e51c0'],
    ['Shopify', 'SHOPIFY_ACCESS_TOKEN', 'shpat_rejected0f9a2b7c6d5e4f3a'],
  ])('a sync whose %s credential is rejected fails with one error line and shows no credential', async (platform, variable, rejected) => {
    const { code, stdout, stderr } = await segsync(['sync', '--json'], { ...env, [variable]: rejected });
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, error: { kind: 'api:auth' } });
    const errors = logLines(stderr).filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'api:auth', exitCode: 1, platform: platform.toLowerCase(), status: 401 });
    expectNoSecret({ ...secrets, [`rejected ${platform} credential`]: rejected }, { stdout, stderr, store: storeContents(dbPath) });
  });
});
