/**
 * HubSpot reliability harness: an emulator at the real limits (pace 'realistic': 100 requests per
 * rolling 10 s, search 5/s) with a small population, a fresh store, and a comparison of the store
 * and of the pushed lists and tokens with the emulator's ground truth, by HubSpot ids.
 */
import { CONNECTORS } from '../../connectors/index.js';
import { HubSpotEmulator, type Corruption } from '../../connectors/hubspot/emulator/index.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { loadMapping } from '../../src/config/mapping.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { requestCounts, type Session } from '../../src/pipeline/session.js';
import { expectedMembers, signal, storeWorld, tokenFields, type StoreWorld } from './world.js';

/** The attributes mappings/hubspot.yaml maps: key → HubSpot property (or company.<property>). */
const SHIPPED_ATTRIBUTES: Record<string, string> = loadMapping(CONNECTORS.find((c) => c.id === 'hubspot')!.defaultMappingFile).contacts.attributes;

export const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
export const TOKEN = 'reliability-hubspot-token';

export interface ReliabilityWorld extends StoreWorld {
  emulator: HubSpotEmulator;
}

/** Realistic limits: the emulator's defaults and segsync's defaults (HUBSPOT_RATE_LIMIT 100, search 5/s). */
export async function reliabilityWorld(options: { size?: number; seed?: number; env?: Record<string, string> } = {}): Promise<ReliabilityWorld> {
  const emulator = new HubSpotEmulator({ accessToken: TOKEN });
  emulator.load(generatePopulation(parsePopulationOptions({ seed: options.seed ?? 21, size: options.size ?? 200, anchor: ANCHOR })));
  const server = await emulator.listen();
  const world = storeWorld({
    name: 'reliability-hubspot',
    // Control groups off: these tests are about faults, and holding out a random tenth of the small
    // lists here can tip a list's ordinary churn over the mass-removal guard's 20%.
    config: `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\ncontrolGroups:\n  share: 0\n`,
    platformEnv: { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_URL: server.url, ...options.env },
    registry: CONNECTORS,
    server,
  });
  return { ...world, emulator };
}

export async function sync(session: Session, full = true): Promise<void> {
  await pull(session, { full, signal });
  segment(session);
  await push(session, { dryRun: false, allowMassRemoval: false, signal });
}

export function retries(session: Session): number {
  return requestCounts(session).hubspot?.retries ?? 0;
}

export interface Comparison {
  recordsCompared: number;
  differences: string[];
}

const clean = (v: string | null | undefined): string | null => (v === null || v === undefined || v.trim() === '' ? null : v.trim());
const iso = (v: string | null | undefined): string | null => {
  const c = clean(v);
  if (c === null) return null;
  const ms = /^\d+$/.test(c) ? Number(c) : Date.parse(c);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : `invalid ${c}`;
};

/**
 * The store against the emulator's ground truth, plus lists, tokens and duplicates.
 * `mustQuarantine`: records served corrupted in the latest pull (quarantine with a reason);
 * `neverStored`: real ids of records never served valid (must be absent from the store).
 */
export function compare(world: ReliabilityWorld, session: Session, mustQuarantine: readonly Corruption[] = [], neverStored: ReadonlySet<string> = new Set()): Comparison {
  const db = session.db;
  const em = world.emulator;
  const diffs: string[] = [];
  let compared = 0;

  // ---- contacts
  const stored = new Map(
    (db.prepare(`SELECT external_id, email, first_name, last_name, phone, country, city, created_at, email_consent, archived, merged_into, attributes
       FROM contacts WHERE platform = 'hubspot'`).all() as Array<Record<string, string | number | null>>).map((r) => [String(r.external_id), r]),
  );
  const live = em.listContacts();
  const liveIds = new Set(live.map((c) => c.id));
  for (const c of live) {
    compared++;
    const row = stored.get(c.id);
    if (neverStored.has(c.id)) {
      if (row) diffs.push(`contact ${c.id}: served corrupted, yet stored`);
      continue;
    }
    if (!row) {
      diffs.push(`contact ${c.id}: missing from the store`);
      continue;
    }
    const p = c.properties;
    const optout = clean(p.hs_email_optout);
    const want: Record<string, unknown> = {
      email: clean(p.email)?.toLowerCase() ?? null,
      first_name: clean(p.firstname),
      last_name: clean(p.lastname),
      phone: clean(p.phone),
      country: clean(p.country),
      city: clean(p.city),
      created_at: iso(p.createdate),
      email_consent: optout === 'true' ? 'unsubscribed' : optout === 'false' ? 'subscribed' : 'unknown',
      archived: 0,
      merged_into: null,
      // Every attribute of the shipped mapping, read as HubSpot has it: a contact property, or
      // (company.<property>) the property of the contact's primary company.
      attributes: JSON.stringify(Object.fromEntries(Object.entries(SHIPPED_ATTRIBUTES).map(([key, field]) => [key,
        field.startsWith('company.') ? clean(em.companyOfContact(c.id)?.properties[field.slice('company.'.length)]) : clean(p[field])]))),
    };
    for (const [k, v] of Object.entries(want)) {
      const got = k === 'attributes' ? JSON.stringify(JSON.parse(String(row[k]))) : row[k];
      if (got !== v) diffs.push(`contact ${c.id} ${k}: store ${JSON.stringify(got)?.slice(0, 80)}, HubSpot ${JSON.stringify(v)?.slice(0, 80)}`);
    }
  }
  for (const [id, row] of stored) {
    if (!liveIds.has(id) && row.archived === 0 && row.merged_into === null) diffs.push(`contact ${id}: live in the store, gone on HubSpot`);
  }

  // ---- deals
  const purchases = new Map(
    (db.prepare(`SELECT external_id, amount, currency, occurred_at, status, archived FROM purchases WHERE platform = 'hubspot'`).all() as Array<Record<string, string | number | null>>)
      .map((r) => [String(r.external_id), r]),
  );
  const links = new Map<string, string[]>();
  for (const r of db.prepare(`SELECT purchase_external_id AS d, contact_external_id AS c FROM purchase_contacts WHERE platform = 'hubspot'`).all() as Array<{ d: string; c: string }>) {
    links.set(r.d, [...(links.get(r.d) ?? []), r.c]);
  }
  const quarantined = new Set((db.prepare(`SELECT external_id FROM quarantine WHERE platform = 'hubspot' AND external_id IS NOT NULL`).all() as Array<{ external_id: string }>).map((r) => r.external_id));
  const deals = em.listDeals();
  const liveDeals = new Set(deals.map((d) => d.id));
  for (const d of deals) {
    compared++;
    const p = d.properties;
    const stage = clean(p.dealstage);
    const status = stage === 'closedwon' ? 'won' : stage === 'closedlost' ? 'lost' : 'open';
    const amount = clean(p.amount) === null ? null : Number(clean(p.amount));
    const row = purchases.get(d.id);
    // Valid per segsync's rules: a won deal needs an amount >= 0, a close date and a contact.
    const invalidWon = status === 'won' && (amount === null || amount < 0 || clean(p.closedate) === null || d.contactIds.length === 0);
    if (neverStored.has(d.id) || invalidWon) {
      if (row) diffs.push(`deal ${d.id}: ${invalidWon ? 'invalid won deal' : 'served corrupted'}, yet stored`);
      if (invalidWon && !quarantined.has(d.id)) diffs.push(`deal ${d.id}: invalid won deal not in quarantine`);
      continue;
    }
    if (!row) {
      diffs.push(`deal ${d.id}: missing from the store`);
      continue;
    }
    const want: Record<string, unknown> = { amount, currency: clean(p.deal_currency_code), occurred_at: iso(p.closedate), status, archived: 0 };
    for (const [k, v] of Object.entries(want)) if (row[k] !== v) diffs.push(`deal ${d.id} ${k}: store ${JSON.stringify(row[k])}, HubSpot ${JSON.stringify(v)}`);
    const got = [...(links.get(d.id) ?? [])].sort().join(',');
    if (got !== [...d.contactIds].sort().join(',')) diffs.push(`deal ${d.id} contacts: store [${got}], HubSpot [${d.contactIds.join(',')}]`);
  }
  for (const [id, row] of purchases) if (!liveDeals.has(id) && row.archived === 0) diffs.push(`deal ${id}: live in the store, gone on HubSpot`);

  // ---- corrupted records: quarantined with a reason
  for (const c of mustQuarantine) {
    if (c.expect !== 'quarantine') continue;
    compared++;
    const stream = c.objectType === 'contacts' ? 'contacts' : 'purchases';
    const row = c.servedId
      ? db.prepare(`SELECT reason FROM quarantine WHERE platform = 'hubspot' AND stream = ? AND external_id = ?`).get(stream, c.servedId)
      : db.prepare(`SELECT reason FROM quarantine WHERE platform = 'hubspot' AND stream = ? AND external_id IS NULL AND raw LIKE ?`).get(stream, `%"hs_object_id":"${c.id}"%`);
    const reason = (row as { reason?: string } | undefined)?.reason;
    if (!reason) diffs.push(`${c.objectType} ${c.id} (${c.kind}): not in quarantine with a reason`);
  }

  // ---- lists: every segsync list equals the store's membership; no member added twice in effect
  const members = expectedMembers(session, 'hubspot');
  for (const [name, ids] of members) {
    const list = em.listByName(`segsync · ${name}`);
    const onHubSpot = new Set(list ? em.listMemberIds(list.listId) : []);
    compared += Math.max(ids.size, onHubSpot.size);
    for (const id of ids) if (!onHubSpot.has(id)) diffs.push(`list ${name}: ${id} missing on HubSpot`);
    for (const id of onHubSpot) if (!ids.has(id)) diffs.push(`list ${name}: ${id} on HubSpot, not in the store`);
  }
  const adds = new Map<string, number>();
  for (const a of em.effectiveListAdds()) adds.set(a, (adds.get(a) ?? 0) + 1);
  for (const [a, n] of adds) if (n > 1) diffs.push(`list member ${a} added ${n} times in effect`);

  // ---- tokens
  const field = tokenFields('hubspot');
  const tokens = db
    .prepare(`SELECT i.external_id AS id, t.token, t.value FROM profile_tokens t
              JOIN identities i ON i.profile_id = t.profile_id AND i.platform = 'hubspot'
              JOIN contacts c ON c.platform = 'hubspot' AND c.external_id = i.external_id AND c.archived = 0 AND c.merged_into IS NULL`)
    .all() as Array<{ id: string; token: string; value: string }>;
  for (const t of tokens) {
    compared++;
    const shown = em.getContact(t.id)?.properties[field[t.token]!] ?? '';
    if (shown !== t.value) diffs.push(`token ${t.token} of ${t.id}: HubSpot ${JSON.stringify(shown)}, store ${JSON.stringify(t.value)}`);
  }

  // ---- natural keys stored once
  const keys: Array<[string, string, string?]> = [
    ['contacts', 'platform, external_id'],
    ['purchases', 'platform, external_id'],
    ['purchase_contacts', 'platform, purchase_external_id, contact_external_id'],
    ['quarantine', 'platform, stream, external_id', 'external_id IS NOT NULL'],
    ['identities', 'platform, external_id'],
    ['memberships', 'profile_id, segment_key', 'left_at IS NULL'],
    ['profile_tokens', 'profile_id, token'],
    ['destination_lists', 'destination, segment_key'],
    ['destination_list_members', 'destination, segment_key, external_id'],
  ];
  for (const [table, key, where] of keys) {
    for (const row of db.prepare(`SELECT ${key}, COUNT(*) AS n FROM ${table} ${where ? `WHERE ${where}` : ''} GROUP BY ${key} HAVING n > 1`).all()) {
      diffs.push(`${table} (${key}) twice: ${JSON.stringify(row)}`);
    }
  }
  return { recordsCompared: compared, differences: diffs };
}
