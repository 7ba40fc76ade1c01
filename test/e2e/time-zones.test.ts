/**
 * Results must not depend on the time zone the process runs in. The same end-to-end sync (every
 * platform's emulator, pull → segment → push through the CLI) runs as a child process under three
 * TZ values, and everything a person would see afterwards is compared: the stored records, RFM,
 * tokens, features, personas, predictions, and the token values written to each platform.
 *
 * The data carries date-times without an offset, as real platforms and admins send them: HubSpot
 * deals whose closedate has no offset, Marketo opportunities closed "2026-03-05 23:30:00", a HubSpot
 * last-open date without an offset, and a workspace referenceDate without one. All are UTC.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SANDBOX_HUBSPOT_TOKEN } from '../../connectors/hubspot/index.js';
import { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import { MarketoEmulator } from '../../connectors/marketo/emulator/index.js';
import { ShopifyEmulator } from '../../connectors/shopify/emulator/index.js';
import { SANDBOX_SHOPIFY_TOKEN } from '../../connectors/shopify/index.js';
import { listenOnLoopback } from '../../src/sandbox/loopback.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { populationOn } from '../../src/sandbox/presence.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const SIZE = 300;
const SEED = 11;
/** The emulators' clock while the naive dates are written, so modification times match between runs. */
const EDITED_AT = Date.parse('2026-05-31T12:00:00Z');

interface Platforms {
  hubspot: HubSpotEmulator;
  marketo: MarketoEmulator;
  shopify: ShopifyEmulator;
}

/** Every emulator on one loopback server (as `segsync sandbox` mounts them), with a clock the test can hold still. */
async function emulators(): Promise<{ platforms: Platforms; env: Record<string, string>; close(): Promise<void> }> {
  let held: number | undefined = EDITED_AT;
  const now = () => held ?? Date.now();
  const people = [...generatePopulation(parsePopulationOptions({ seed: SEED, size: SIZE, anchor: ANCHOR }))];
  const hubspot = new HubSpotEmulator({ accessToken: SANDBOX_HUBSPOT_TOKEN, rateLimit: { max: 5000, intervalMs: 10_000 }, searchPerSecond: 200, now });
  hubspot.load(populationOn(people, 'hubspot'));
  const marketo = new MarketoEmulator({ rateLimit: { max: 5000, intervalMs: 20_000 }, now });
  marketo.load(populationOn(people, 'marketo'));
  const shopify = new ShopifyEmulator({ accessToken: SANDBOX_SHOPIFY_TOKEN, bucket: { maximumAvailable: 1_000_000, restoreRate: 1_000_000 }, now });
  shopify.load(populationOn(people, 'shopify'));

  // Date-times without an offset, late in the UTC day: read as local time they move to another day.
  hubspot.listDeals().filter((d, i) => i % 4 === 0 && d.properties.closedate).forEach((d) => {
    hubspot.updateDeal(d.id, { closedate: `${d.properties.closedate!.slice(0, 10)}T23:30:00` });
  });
  hubspot.listContacts().filter((_, i) => i % 3 === 0).forEach((c, i) => {
    hubspot.updateContact(c.id, { hs_email_last_open_date: `2026-0${1 + (i % 5)}-1${i % 10}T23:45:00` });
  });
  marketo.allOpportunities().filter((o, i) => i % 4 === 0 && typeof o.values.closeDate === 'string').forEach((o) => {
    marketo.updateOpportunity(o.marketoGUID, { closeDate: `${String(o.values.closeDate).slice(0, 10)} 23:30:00` });
  });
  held = undefined;

  const mounts: Array<[string, { handle: HubSpotEmulator['handle'] }]> = [['/hubspot', hubspot], ['/marketo', marketo], ['/shopify', shopify]];
  const server = await listenOnLoopback((req, res) => {
    const url = req.url ?? '/';
    const mount = mounts.find(([prefix]) => url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`));
    if (!mount) {
      res.writeHead(404).end();
      return;
    }
    mount[1].handle(req, res, url.slice(mount[0].length) || '/');
  });
  const env = {
    HUBSPOT_ACCESS_TOKEN: SANDBOX_HUBSPOT_TOKEN,
    HUBSPOT_BASE_URL: `${server.url}/hubspot`,
    HUBSPOT_RATE_LIMIT: '5000',
    HUBSPOT_SEARCH_RATE_LIMIT: '50',
    MARKETO_BASE_URL: `${server.url}/marketo`,
    MARKETO_CLIENT_ID: 'sandbox-marketo-client',
    MARKETO_CLIENT_SECRET: 'sandbox-marketo-secret',
    MARKETO_BULK_POLL_MS: '20',
    MARKETO_RATE_LIMIT: '5000',
    SHOPIFY_ACCESS_TOKEN: SANDBOX_SHOPIFY_TOKEN,
    SHOPIFY_SHOP_URL: `${server.url}/shopify`,
  };
  return { platforms: { hubspot, marketo, shopify }, env, close: () => server.close() };
}

const WORKSPACE = `segmentation:
  # No offset: UTC, whatever the machine's zone.
  referenceDate: "2026-06-01T00:00:00"
  predictions:
    minRepeatBuyers: 10
# Off: each zone's store draws its own control-group salt, so the stores compared would hold out different people.
controlGroups:
  share: 0
`;

/** A profile's name that does not depend on the order profiles were created in: its identities. */
const PROFILE_KEY = `(SELECT group_concat(platform || ':' || external_id, ' ') FROM (SELECT platform, external_id FROM identities i WHERE i.profile_id = t.profile_id ORDER BY 1, 2))`;

function storeView(dbPath: string): Record<string, unknown> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const all = (sql: string) => db.prepare(sql).all();
    return {
      contacts: all(`SELECT platform, external_id, email, phone, first_name, last_name, country, city, created_at, updated_at, email_consent, archived, attributes, raw
                     FROM contacts ORDER BY platform, external_id`),
      purchases: all(`SELECT platform, external_id, amount, currency, occurred_at, status, archived, updated_at, raw, invalid
                      FROM purchases ORDER BY platform, external_id`),
      quarantine: all('SELECT platform, stream, external_id, reason FROM quarantine ORDER BY platform, stream, external_id'),
      rfm: all(`SELECT ${PROFILE_KEY} AS who, status, recency_days, frequency, monetary, r, f, m, last_purchase_at, segment_key FROM profile_rfm t ORDER BY who`),
      tokens: all(`SELECT ${PROFILE_KEY} AS who, token, value FROM profile_tokens t ORDER BY who, token`),
      features: all(`SELECT ${PROFILE_KEY} AS who, features, cluster, persona_key, centre_distance, next_centre_distance, next_persona_key FROM profile_features t ORDER BY who`),
      personas: all('SELECT key, cluster, label, size, share, narrative, summary, traits, medians FROM personas ORDER BY key'),
      run: all('SELECT reference_date, window_days, profile_count, predictions FROM segmentation_runs'),
    };
  } finally {
    db.close();
  }
}

/** What each platform holds after the push: segsync's token fields, metafields and tags. */
function platformView({ hubspot, marketo, shopify }: Platforms): Record<string, unknown> {
  const pick = (values: Record<string, unknown>, prefix: string) => Object.fromEntries(Object.entries(values).filter(([k]) => k.startsWith(prefix)).sort());
  return {
    hubspot: hubspot.listContacts().map((c) => [c.id, pick(c.properties, 'segsync_')]),
    marketo: marketo.listLeads().map((l) => [l.id, pick(marketo.getLead(l.id)!.fields, 'segsync')]),
    shopify: shopify.listCustomers().map((c) => [c.id, c.metafields, c.tags.filter((t) => t.startsWith('segsync')).sort()]),
  };
}

async function syncUnder(tz: string): Promise<{ store: Record<string, unknown>; platforms: Record<string, unknown> }> {
  const world = await emulators();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-tz-'));
    const config = join(dir, 'workspace.yaml');
    writeFileSync(config, WORKSPACE);
    const dbPath = join(dir, 'segsync.db');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sync', '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TZ: tz, ...world.env, SEGSYNC_DB: dbPath, SEGSYNC_CONFIG: config },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect((JSON.parse(stdout) as { ok: boolean }).ok, tz).toBe(true);
    return { store: storeView(dbPath), platforms: platformView(world.platforms) };
  } finally {
    await world.close();
  }
}

describe('results whatever the time zone', () => {
  it('a sync under UTC, Los Angeles and Kiritimati (UTC+14) stores, scores and pushes the same', async () => {
    const utc = await syncUnder('UTC');
    // The naive dates are in it, read as UTC (a Marketo close at 23:30 stays on its day).
    const purchases = utc.store.purchases as Array<{ platform: string; raw: string; occurred_at: string }>;
    const naive = purchases.filter((p) => p.platform === 'marketo' && p.raw.includes(' 23:30:00"'));
    expect(naive.length).toBeGreaterThan(5);
    for (const p of naive) expect(p.occurred_at).toMatch(/T23:30:00\.000Z$/);
    expect((utc.store.run as Array<{ reference_date: string }>)[0]!.reference_date).toBe('2026-06-01T00:00:00.000Z');
    expect((utc.store.tokens as Array<{ token: string }>).some((t) => t.token === 'next_purchase_date')).toBe(true);

    for (const tz of ['America/Los_Angeles', 'Pacific/Kiritimati']) {
      const other = await syncUnder(tz);
      for (const part of Object.keys(utc.store)) expect(other.store[part], `${part} under ${tz}`).toEqual(utc.store[part]);
      for (const platform of Object.keys(utc.platforms)) expect(other.platforms[platform], `${platform} tokens under ${tz}`).toEqual(utc.platforms[platform]);
    }
  }, 240_000);
});
