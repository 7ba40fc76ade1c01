/**
 * Shopify reliability helpers: a world on a Shopify Plus shop's bucket (the sandbox's plan:plus) with a
 * short client timeout, and the comparisons of a scenario's end state with the emulator's ground
 * truth (store ⇄ shop, tags ⇄ memberships, metafields ⇄ profile_tokens, nothing twice).
 */
import { shopify, SHOPIFY_PLUS_BUCKET } from '../../connectors/shopify/index.js';
import { segmentTag } from '../../connectors/shopify/destination.js';
import { ShopifyEmulator, type Corruption, type ShopifyEmulatorOptions } from '../../connectors/shopify/emulator/index.js';
import type { ConnectorDescriptor } from '../../src/domain/connector.js';
import type { Session } from '../../src/pipeline/session.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { populationOn } from '../../src/sandbox/presence.js';
import { SHOPIFY_ANCHOR, SHOPIFY_TOKEN } from './shopify-world.js';
import { heldOutAsControl, storeWorld, tokenFields, type StoreWorld } from './world.js';

/** SHOPIFY_TIMEOUT_MS in these tests; `slow` answers come SLOW_MS late. */
export const CLIENT_TIMEOUT_MS = 1_000;
export const SLOW_MS = 1_500;

export interface ReliabilityWorld extends StoreWorld {
  emulator: ShopifyEmulator;
}

export async function reliabilityWorld(options: { size?: number; seed?: number; emulator?: ShopifyEmulatorOptions } = {}): Promise<ReliabilityWorld> {
  const emulator = new ShopifyEmulator({
    accessToken: SHOPIFY_TOKEN,
    // A Shopify Plus shop's bucket (the sandbox's plan:plus), 20,000 points, 1,000 restored per
    // second: the faults, not the Standard plan's pace (test/e2e/shopify-sync.test.ts), set the time here.
    bucket: { ...SHOPIFY_PLUS_BUCKET },
    // Long enough that a poll finds the operation RUNNING.
    bulk: { delayMs: 400 },
    slowMs: SLOW_MS,
    ...options.emulator,
  });
  emulator.load(populationOn(generatePopulation(parsePopulationOptions({ seed: options.seed ?? 7, size: options.size ?? 200, anchor: SHOPIFY_ANCHOR })), 'shopify'));
  const server = await emulator.listen();
  const world = storeWorld({
    name: 'shopify-reliability',
    // Control groups off: these tests are about faults, and holding out a random tenth of the small
    // lists here could tip a list's ordinary churn over the mass-removal guard's 20%.
    config: `segmentation:\n  referenceDate: ${SHOPIFY_ANCHOR.toISOString()}\ncontrolGroups:\n  share: 0\n`,
    platformEnv: {
      SHOPIFY_ACCESS_TOKEN: SHOPIFY_TOKEN,
      SHOPIFY_SHOP_URL: server.url,
      SHOPIFY_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
      SHOPIFY_BULK_POLL_MS: '100',
    },
    registry: [shopify as ConnectorDescriptor<never>],
    server,
  });
  return { ...world, emulator };
}

const norm = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  const s = String(v).trim();
  return s === '' ? null : s;
};
const sameInstant = (a: unknown, b: unknown) => (a === null && b === null) || (typeof a === 'string' && typeof b === 'string' && Date.parse(a) === Date.parse(b));

const ORDER_STATUS: Record<string, string> = {
  PAID: 'won',
  PARTIALLY_REFUNDED: 'won',
  REFUNDED: 'refunded',
  VOIDED: 'lost',
  EXPIRED: 'lost',
  PENDING: 'open',
  AUTHORIZED: 'open',
  PARTIALLY_PAID: 'open',
};

interface ContactRow {
  external_id: string;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  country: string | null;
  city: string | null;
  created_at: string | null;
  updated_at: string;
  email_consent: string;
}
interface PurchaseRow {
  external_id: string;
  amount: number | null;
  currency: string | null;
  occurred_at: string | null;
  status: string;
  updated_at: string;
  invalid: number;
}

export interface Comparison {
  recordsCompared: number;
  differences: string[];
}

/**
 * The store against the shop: every customer and every non-test order, field by field, as
 * segsync maps them (mappings/shopify.yaml); test orders absent. A record corrupted in a served
 * copy that must be quarantined is either quarantined (with a reason, and never stored with the
 * corrupted value) or was read again cleanly since and is stored equal to the shop.
 */
export function compareStore(session: Session, emulator: ShopifyEmulator, corruptions: readonly Corruption[] = []): Comparison {
  const differences: string[] = [];
  let compared = 0;
  const contacts = new Map((session.db.prepare("SELECT * FROM contacts WHERE platform = 'shopify'").all() as ContactRow[]).map((r) => [r.external_id, r]));
  const purchases = new Map((session.db.prepare("SELECT * FROM purchases WHERE platform = 'shopify'").all() as PurchaseRow[]).map((r) => [r.external_id, r]));
  const links = new Map<string, string[]>();
  for (const l of session.db.prepare("SELECT purchase_external_id AS p, contact_external_id AS c FROM purchase_contacts WHERE platform = 'shopify'").all() as Array<{ p: string; c: string }>) {
    links.set(l.p, [...(links.get(l.p) ?? []), l.c]);
  }
  const quarantined = new Map(
    (session.db.prepare("SELECT stream, external_id AS id, reason FROM quarantine WHERE platform = 'shopify' AND external_id IS NOT NULL").all() as Array<{ stream: string; id: string; reason: string }>).map((q) => [`${q.stream}|${q.id}`, q.reason]),
  );
  const anonymous = (session.db.prepare("SELECT stream, reason FROM quarantine WHERE platform = 'shopify' AND external_id IS NULL").all() as Array<{ stream: string; reason: string }>);
  const mustQuarantine = new Map<string, Corruption>();
  for (const c of corruptions) if (c.mustQuarantine) mustQuarantine.set(c.id, c);
  /** Valid but odd values served in place of the shop's (a 100 kB name, unicode): stored as served, unless read cleanly since. */
  const servedFirstName = new Map<string, string>();
  for (const c of corruptions) if (!c.mustQuarantine && c.field === 'firstName' && c.served !== undefined) servedFirstName.set(c.id, c.served);
  const missingIdAllowance = { contacts: corruptions.filter((c) => c.kind === 'missing-id' && c.stream === 'customers').length, purchases: corruptions.filter((c) => c.kind === 'missing-id' && c.stream === 'orders').length };
  for (const stream of ['contacts', 'purchases'] as const) {
    const rows = anonymous.filter((a) => a.stream === stream);
    if (rows.length < Math.min(1, missingIdAllowance[stream])) differences.push(`${stream}: ${missingIdAllowance[stream]} records served without an id, but no anonymous quarantine row`);
    for (const r of rows) if (!r.reason) differences.push(`${stream}: anonymous quarantine row without a reason`);
  }

  /** A corrupted record: fine when quarantined with a reason; otherwise it must equal the shop. */
  const quarantinedOk = (stream: 'contacts' | 'purchases', id: string): boolean => {
    const c = mustQuarantine.get(id);
    if (!c) return false;
    const reason = quarantined.get(`${stream}|${id}`);
    if (reason) return true;
    // Served without an id it cannot be named: an anonymous quarantine row stands for it. From a
    // bulk file it is then absent; from a page its previous version stays (segsync cannot tell
    // which record it was), unless it was read cleanly since.
    if (c.kind === 'missing-id') {
      if (!anonymous.some((a) => a.stream === stream && a.reason)) return false;
      return c.where === 'page' || !(stream === 'contacts' ? contacts.has(id) : purchases.has(id));
    }
    return false;
  };

  for (const c of emulator.listCustomers()) {
    compared++;
    const row = contacts.get(c.id);
    if (quarantinedOk('contacts', c.id)) {
      const bad = mustQuarantine.get(c.id)!;
      if (row && bad.kind === 'impossible-date' && row.created_at !== null && !sameInstant(row.created_at, c.createdAt)) differences.push(`${c.id}: quarantined, yet stored with createdAt ${row.created_at}`);
      continue;
    }
    if (!row) {
      differences.push(`${c.id}: customer missing from the store${mustQuarantine.has(c.id) ? ` (served as ${mustQuarantine.get(c.id)!.kind}, not quarantined)` : ''}`);
      continue;
    }
    const wanted: Record<string, [unknown, unknown]> = {
      email: [row.email, c.email === null ? null : c.email.replace(/\s+/g, '').toLowerCase()],
      phone: [norm(row.phone), norm(c.phone)],
      firstName: [norm(row.first_name), norm(c.firstName)],
      lastName: [norm(row.last_name), norm(c.lastName)],
      country: [norm(row.country), norm(c.countryCode)],
      city: [norm(row.city), norm(c.city)],
      emailConsent: [row.email_consent, c.marketingState === 'SUBSCRIBED' ? 'subscribed' : c.marketingState === 'UNSUBSCRIBED' ? 'unsubscribed' : 'unknown'],
    };
    for (const [field, [got, want]] of Object.entries(wanted)) {
      if (field === 'firstName' && got !== null && got === servedFirstName.get(c.id)) continue;
      if (got !== want) differences.push(`${c.id} ${field}: store ${JSON.stringify(got)?.slice(0, 60)}, shop ${JSON.stringify(want)?.slice(0, 60)}`);
    }
    if (!sameInstant(row.created_at, c.createdAt)) differences.push(`${c.id} createdAt: store ${row.created_at}, shop ${c.createdAt}`);
    if (!sameInstant(row.updated_at, c.updatedAt)) differences.push(`${c.id} updatedAt: store ${row.updated_at}, shop ${c.updatedAt}`);
  }
  const truthIds = new Set(emulator.listCustomers().map((c) => c.id));
  for (const id of contacts.keys()) if (!truthIds.has(id)) differences.push(`${id}: stored, but no such customer`);

  const orderIds = new Set<string>();
  for (const o of emulator.listOrders()) {
    orderIds.add(o.id);
    compared++;
    const row = purchases.get(o.id);
    if (o.test) {
      if (row) differences.push(`${o.id}: test order stored`);
      continue;
    }
    if (quarantinedOk('purchases', o.id)) {
      if (row && row.invalid !== 1 && quarantined.has(`purchases|${o.id}`)) differences.push(`${o.id}: quarantined, yet its stored version still counts (invalid = 0)`);
      continue;
    }
    if (!row) {
      differences.push(`${o.id}: order missing from the store${mustQuarantine.has(o.id) ? ` (served as ${mustQuarantine.get(o.id)!.kind}, not quarantined)` : ''}`);
      continue;
    }
    const status = o.cancelled ? 'cancelled' : ORDER_STATUS[o.financialStatus] ?? 'open';
    if (row.status !== status) differences.push(`${o.id} status: store ${row.status}, shop ${status}`);
    if (row.amount !== Number(o.amount)) differences.push(`${o.id} amount: store ${row.amount}, shop ${o.amount}`);
    if (row.currency !== o.currency) differences.push(`${o.id} currency: store ${row.currency}, shop ${o.currency}`);
    if (!sameInstant(row.occurred_at, o.processedAt)) differences.push(`${o.id} occurredAt: store ${row.occurred_at}, shop ${o.processedAt}`);
    if (!sameInstant(row.updated_at, o.updatedAt)) differences.push(`${o.id} updatedAt: store ${row.updated_at}, shop ${o.updatedAt}`);
    if (row.invalid !== 0) differences.push(`${o.id}: stored as invalid, but the shop's copy is valid`);
    const linked = links.get(o.id) ?? [];
    if (JSON.stringify(linked) !== JSON.stringify(o.customerId ? [o.customerId] : [])) differences.push(`${o.id} customer: store ${linked.join(',')}, shop ${o.customerId}`);
  }
  for (const id of purchases.keys()) if (!orderIds.has(id)) differences.push(`${id}: stored, but no such order`);
  return { recordsCompared: compared, differences };
}

/**
 * The shop's segsync tags and metafields against the store: each customer's `segsync:` tags are
 * its open memberships (subscribed customers only, as lists are for email), its `segsync.*`
 * metafields its non-empty profile_tokens; nobody got a tag added twice in effect.
 */
export function compareDestination(session: Session, emulator: ShopifyEmulator): Comparison {
  const differences: string[] = [];
  const segments = new Map<string, string[]>();
  const heldOut = heldOutAsControl(session);
  const fields = tokenFields('shopify');
  for (const r of session.db
    .prepare(`SELECT i.external_id AS id, m.segment_key AS segment, m.profile_id AS profile FROM memberships m
              JOIN identities i ON i.profile_id = m.profile_id AND i.platform = 'shopify'
              JOIN contacts c ON c.platform = 'shopify' AND c.external_id = i.external_id
              WHERE m.left_at IS NULL AND c.email_consent <> 'unsubscribed'`)
    .all() as Array<{ id: string; segment: string; profile: number }>) {
    if (heldOut(r.profile, r.segment)) continue; // a control member is kept off the segment's list
    segments.set(r.id, [...(segments.get(r.id) ?? []), r.segment]);
  }
  const tokens = new Map<string, Record<string, string>>();
  for (const t of session.db
    .prepare(`SELECT i.external_id AS id, t.token, t.value FROM profile_tokens t
              JOIN identities i ON i.profile_id = t.profile_id AND i.platform = 'shopify'`)
    .all() as Array<{ id: string; token: string; value: string }>) {
    // By metafield key (mappings/shopify.yaml: control_group is segsync.group); a token it does not map is not written.
    const key = fields[t.token];
    if (key !== undefined) tokens.set(t.id, { ...tokens.get(t.id), [key]: t.value });
  }
  let compared = 0;
  for (const c of emulator.listCustomers()) {
    compared++;
    const own = c.tags.filter((t) => t.startsWith('segsync:')).sort();
    const want = (segments.get(c.id) ?? []).map(segmentTag).sort();
    if (JSON.stringify(own) !== JSON.stringify(want)) differences.push(`${c.id} tags: shop ${own.join(',')}, store ${want.join(',')}`);
    const shown = Object.fromEntries(Object.entries(c.metafields).filter(([k]) => k.startsWith('segsync.')).map(([k, v]) => [k.slice(8), v.value]));
    const wanted = Object.fromEntries(Object.entries(tokens.get(c.id) ?? {}).filter(([, v]) => v !== ''));
    const keys = new Set([...Object.keys(shown), ...Object.keys(wanted)]);
    for (const k of keys) if (shown[k] !== wanted[k]) differences.push(`${c.id} metafield ${k}: shop ${shown[k]}, store ${wanted[k]}`);
  }
  const added = new Map<string, number>();
  for (const ch of emulator.tagChanges()) {
    if (ch.change !== 'added') continue;
    const key = `${ch.customerId}|${ch.tag}`;
    added.set(key, (added.get(key) ?? 0) + 1);
  }
  for (const [key, n] of added) if (n > 1) differences.push(`${key}: tag added ${n} times in effect`);
  return { recordsCompared: compared, differences };
}

/** Records the store holds twice: two profiles for one Shopify customer, an order linked twice, quarantine rows repeated. */
export function storedTwice(session: Session): string[] {
  const out: string[] = [];
  for (const r of session.db.prepare("SELECT external_id AS id, COUNT(DISTINCT profile_id) AS n FROM identities WHERE platform = 'shopify' GROUP BY external_id HAVING n > 1").all() as Array<{ id: string; n: number }>) out.push(`${r.id}: ${r.n} profiles`);
  for (const r of session.db.prepare("SELECT purchase_external_id AS id, COUNT(*) AS n FROM purchase_contacts WHERE platform = 'shopify' GROUP BY purchase_external_id HAVING n > 1").all() as Array<{ id: string; n: number }>) out.push(`${r.id}: linked ${r.n} times`);
  for (const r of session.db.prepare("SELECT stream, external_id AS id, COUNT(*) AS n FROM quarantine WHERE platform = 'shopify' AND external_id IS NOT NULL GROUP BY stream, external_id HAVING n > 1").all() as Array<{ stream: string; id: string; n: number }>) out.push(`${r.stream} ${r.id}: quarantined ${r.n} times`);
  return out;
}

export function storeCounts(session: Session): { contacts: number; purchases: number } {
  return session.db.prepare("SELECT (SELECT COUNT(*) FROM contacts WHERE platform = 'shopify') AS contacts, (SELECT COUNT(*) FROM purchases WHERE platform = 'shopify') AS purchases").get() as { contacts: number; purchases: number };
}
