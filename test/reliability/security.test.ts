/**
 * Hostile strings are either refused by the config with a clear error or treated as data: stored
 * and sent verbatim, never interpreted as SQL, as part of a request body, or as HTML. The sandbox
 * listens on loopback only, and no command's --json output carries a secret.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { ConfigError } from '../../src/config/errors.js';
import { parseWorkspace } from '../../src/config/workspace.js';
import { hubspotWorld, ANCHOR, TOKEN, type HubSpotWorld } from '../helpers/sandbox.js';
import { segsync as runCli } from '../helpers/cli.js';

const ROOT = join(import.meta.dirname, '../..');
const KNOWN = CONNECTORS.map((c) => c.id);

const segsync = (args: string[], env: NodeJS.ProcessEnv) => runCli(args, env, { timeout: 90_000 });

const SQL_1 = "Robert'); DROP TABLE contacts;--";
const SQL_2 = '" OR 1=1 --';
const BODY = '"},"properties":{"email":"x"}';
const SCRIPT = '</script><script>alert(1)</script>';
/** Matches everyone: eq on a missing or different value is false, so its negation holds. */
const EVERYONE = { op: 'not', rule: { op: 'eq', field: 'country', value: '__nobody__' } };

const HOSTILE_SEGMENTS = [
  { key: 'sql_one', name: SQL_1, rule: EVERYONE },
  { key: 'sql_two', name: SQL_2, rule: { op: 'any', rules: [EVERYONE, { op: 'eq', field: 'attributes.lifecycleStage', value: "'); DROP TABLE contacts; --" }] } },
  { key: 'body_breakout', name: BODY, rule: { op: 'all', rules: [EVERYONE, { op: 'neq', field: 'city', value: BODY }] } },
  { key: 'script_tag', name: SCRIPT, rule: { op: 'all', rules: [EVERYONE, { op: 'in', field: 'attributes.lifecycleStage', values: [SQL_2, SCRIPT, 'lead', 'customer', 'subscriber', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'evangelist', 'other'] }] } },
];

/** YAML is a superset of JSON: the config is written as JSON so every string arrives byte for byte. */
const hostileConfig = (extra: object = {}) => JSON.stringify({
  segmentation: { referenceDate: ANCHOR.toISOString() },
  segments: HOSTILE_SEGMENTS,
  ...extra,
});

function tableCounts(dbPath: string): Record<string, number> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM "${t}"`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

describe('hostile strings in the workspace config', () => {
  const parse = (value: unknown) => parseWorkspace(value, 'workspace config test.yaml', KNOWN);
  const refused = (value: unknown): string => {
    try {
      parse(value);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('accepts hostile segment names and rule values as plain data', () => {
    const workspace = parse(JSON.parse(hostileConfig()));
    expect(workspace.segments.map((s) => s.name)).toEqual([SQL_1, SQL_2, BODY, SCRIPT]);
  });

  it('refuses hostile keys, field names and attribute names, naming the path and the allowed shape', () => {
    expect(refused({ segments: [{ key: "x'); drop table contacts;--", name: 'x', rule: EVERYONE }] })).toContain('lower_snake_case');
    expect(refused({ segments: [{ key: 'x', name: 'x', rule: { op: 'eq', field: "country' OR 1=1 --", value: 'x' } }] }))
      .toContain(`segments.0 (x).rule.field: unknown field "country' OR 1=1 --"; use one of`);
    expect(refused({ sources: { hubspot: { attributes: { tier: "email'); DROP TABLE contacts;--" } } } }))
      .toContain('sources.hubspot.attributes.tier: must be a platform field name (letters, digits, _ and .)');
    // The key is refused; the message is zod's "Invalid key in record" (reported as unclear in bad-input.test.ts).
    expect(refused({ sources: { hubspot: { attributes: { "x'); DROP TABLE contacts;--": 'email' } } } })).toContain('sources.hubspot.attributes');
  });

  it('refuses huge names and prefixes with the limit', () => {
    expect(refused({ segments: [{ key: 'huge', name: 'x'.repeat(1_048_576), rule: EVERYONE }] })).toMatch(/segments\.0 \(huge\)\.name: .*80/);
    expect(refused({ destinations: { hubspot: { listPrefix: 'x'.repeat(61) } } })).toMatch(/destinations\.hubspot\.listPrefix: .*60/);
  });

  it('accepts a huge rule value as data (it simply matches nobody)', () => {
    const huge = 'x'.repeat(1_048_576);
    expect(parse({ segments: [{ key: 'huge', name: 'Huge', rule: { op: 'eq', field: 'city', value: huge } }] }).segments[0]!.rule).toEqual({ op: 'eq', field: 'city', value: huge });
  });
});

describe('hostile strings through a full sync against the HubSpot emulator', () => {
  let world: HubSpotWorld;
  const FIELD_VALUES: Record<string, string> = {
    firstname: SQL_1,
    lastname: SQL_2,
    city: BODY,
    // Newlines and a header-like line inside a value.
    jobtitle: 'line one\r\nX-Injected: yes\nline three',
    company: SCRIPT,
  };

  beforeAll(async () => {
    world = await hubspotWorld({ size: 40, config: hostileConfig() });
  }, 60_000);
  afterAll(() => world.close());

  it('stores hostile field values verbatim, sends hostile segment names as exact list names and token values, and keeps every table', async () => {
    const target = world.emulator.listContacts()[0]!;
    world.emulator.updateContact(target.id, { firstname: FIELD_VALUES.firstname!, lastname: FIELD_VALUES.lastname!, city: FIELD_VALUES.city! });

    const first = await segsync(['sync', '--json'], world.env);
    expect(first.code, first.stderr).toBe(0);
    const counts = tableCounts(world.dbPath);
    // Every table is still there; nothing was dropped or emptied.
    for (const table of ['contacts', 'purchases', 'segments', 'memberships', 'destination_lists', 'profile_tokens', 'quarantine', 'runs']) {
      expect(counts[table], table).toBeTypeOf('number');
    }
    expect(counts.contacts).toBe(world.emulator.listContacts().length);

    const db = new Database(world.dbPath, { readonly: true });
    try {
      const stored = db.prepare("SELECT first_name, last_name, city FROM contacts WHERE platform = 'hubspot' AND external_id = ?").get(target.id);
      expect(stored).toEqual({ first_name: SQL_1, last_name: SQL_2, city: BODY });
      const names = (db.prepare('SELECT name FROM segments').all() as Array<{ name: string }>).map((r) => r.name);
      for (const s of HOSTILE_SEGMENTS) expect(names).toContain(s.name);
    } finally {
      db.close();
    }

    // Each segment is a HubSpot list of exactly "<listPrefix><name>", with members.
    for (const s of HOSTILE_SEGMENTS) {
      const list = world.emulator.listByName(`segsync · ${s.name}`);
      expect(list, s.name).toBeDefined();
      expect(list!.name).toBe(`segsync · ${s.name}`);
      expect(world.emulator.listMemberIds(list!.listId).length, s.name).toBeGreaterThan(0);
    }
    // The body breakout did not become a property: the target keeps its email, and the token
    // property holds the segment names as one plain string.
    const after = world.emulator.listContacts().find((c) => c.id === target.id)!;
    expect(after.properties.email).toBe(target.properties.email);
    expect(after.properties.firstname).toBe(SQL_1);
    const tokenValue = after.properties.segsync_segments ?? '';
    expect(tokenValue).toContain(SQL_1);
    expect(tokenValue).toContain(SQL_2);
    // The target's city IS the breakout string, so `city neq BODY` compared it as plain data: not a member.
    expect(tokenValue).not.toContain(BODY);

    // A second sync changes nothing: same tables, same counts (runs gains its own row only).
    const second = await segsync(['sync', '--json'], world.env);
    expect(second.code, second.stderr).toBe(0);
    const again = tableCounts(world.dbPath);
    expect(Object.keys(again)).toEqual(Object.keys(counts));
    for (const table of ['contacts', 'purchases', 'purchase_contacts', 'profiles', 'identities', 'destination_lists', 'destination_list_members', 'quarantine']) {
      expect(again[table], table).toBe(counts[table]);
    }
  }, 180_000);

  it('a newline-bearing field value is stored verbatim and written as one property value', async () => {
    const target = world.emulator.listContacts()[1]!;
    world.emulator.updateContact(target.id, { firstname: FIELD_VALUES.jobtitle!, lastname: FIELD_VALUES.company! });
    const { code, stderr } = await segsync(['pull', '--json'], world.env);
    expect(code, stderr).toBe(0);
    const db = new Database(world.dbPath, { readonly: true });
    try {
      expect(db.prepare("SELECT first_name, last_name FROM contacts WHERE platform = 'hubspot' AND external_id = ?").get(target.id))
        .toEqual({ first_name: FIELD_VALUES.jobtitle!.trim(), last_name: SCRIPT });
    } finally {
      db.close();
    }
  }, 120_000);

  it('the HTML report escapes hostile segment names', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'segsync-sec-')), 'r.html');
    const { code, stderr } = await segsync(['report', '--out', out], world.env);
    expect(code, stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toContain('<script>alert(1)</script>');
  }, 120_000);
});

describe('segsync sandbox', () => {
  it('binds 127.0.0.1 by default: reachable on loopback, refused on every other interface', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sandbox', '--port', '0', '--size', '20', '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let buffer = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          if (buffer.includes('\n')) resolve(buffer.split('\n')[0]!);
        });
        child.once('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
        setTimeout(() => reject(new Error('sandbox printed nothing')), 60_000);
      });
      const { url } = JSON.parse(line) as { url: string };
      const address = new URL(url);
      expect(address.hostname).toBe('127.0.0.1');
      const port = Number(address.port);
      expect(port).toBeGreaterThan(0);

      const attempt = (host: string) => new Promise<'connected' | string>((resolve) => {
        const socket = connect({ host, port });
        socket.once('connect', () => { socket.destroy(); resolve('connected'); });
        socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        socket.setTimeout(3000, () => { socket.destroy(); resolve('timeout'); });
      });
      expect(await attempt('127.0.0.1')).toBe('connected');
      const external = Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal).map((i) => i!.address);
      for (const host of external) expect(await attempt(host), host).not.toBe('connected');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    }
  }, 90_000);
});

describe('no secret in --json output', () => {
  let world: HubSpotWorld;
  let dir: string;
  beforeAll(async () => {
    world = await hubspotWorld({
      size: 30,
      config: `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\nschedule:\n  jobs:\n    - { name: pull-all, run: pull, cron: "0 * * * *" }\n`,
    });
    dir = mkdtempSync(join(tmpdir(), 'segsync-sec-json-'));
  }, 60_000);
  afterAll(() => world.close());

  it('every command that takes --json, run with the emulator token, prints neither it nor any other secret', async () => {
    const secrets = [TOKEN, 'shpat_sec-test-shopify-token', 'sec-test-marketo-client-secret'];
    const email = world.emulator.listContacts()[0]!.properties.email!;
    const commands: string[][] = [
      ['sync', '--json'],
      ['pull', '--json'],
      ['segment', '--json'],
      ['movement', '--json'],
      ['push', '--json'],
      ['campaign', 'start', 'champions', '--name', 'sec-test', '--json'],
      ['campaign', 'list', '--json'],
      ['lift', '--json'],
      ['explain', email, '--json'],
      ['report', '--out', join(dir, 'r.html'), '--json'],
      ['duplicates', '--json'],
      ['status', '--json'],
      ['runs', '--json'],
      ['doctor', '--json'],
      ['schedule', '--once', 'pull-all', '--json'],
      ['import', 'test/fixtures/csv/contacts_eu_semicolon.csv', '--json'],
      ['init', '--yes', '--platform', 'hubspot,shopify,marketo', '--hubspot-token', TOKEN, '--shopify-shop-url', 'https://acme.myshopify.com',
        '--shopify-token', secrets[1]!, '--marketo-base-url', 'https://123-ABC-456.mktorest.com', '--marketo-client-id', 'id',
        '--marketo-client-secret', secrets[2]!, '--config', join(dir, 'segsync.yaml'), '--env', join(dir, '.env'), '--json'],
    ];
    for (const args of commands) {
      const r = await segsync(args, world.env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(() => JSON.parse(r.stdout), args.join(' ')).not.toThrow();
      for (const secret of secrets) {
        expect(r.stdout.includes(secret), `${args[0]} stdout carries a secret`).toBe(false);
        expect(r.stderr.includes(secret), `${args[0]} stderr carries a secret`).toBe(false);
      }
    }
    // init wrote the secrets where they belong (the .env), not to its output.
    expect(readFileSync(join(dir, '.env'), 'utf8')).toContain(TOKEN);
  }, 400_000);

  it('an error (the platform answers 404 everywhere) in --json output carries no secret', async () => {
    const r = await segsync(['pull', '--json'], { ...world.env, HUBSPOT_BASE_URL: `${world.url}/no-such-prefix` });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false });
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  }, 120_000);
});

