/**
 * Decimal and date tokens, end to end on each emulator: the field is created with the platform's
 * type, values are written and read back through the platform's own read API, an unchanged rerun
 * writes nothing, "" clears, and a bad value is refused in the platform's error shape.
 *
 * The predictive tokens are not produced by segmentation yet, so the store gets their values the
 * way segmentation leaves them (rows of profile_tokens) and the real plan → apply path sends them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspot } from '../../connectors/hubspot/index.js';
import { marketo } from '../../connectors/marketo/index.js';
import { shopify } from '../../connectors/shopify/index.js';
import { METAFIELD_NAMESPACE } from '../../connectors/shopify/documents.js';
import { loadMapping } from '../../src/config/mapping.js';
import { destinationSettings } from '../../src/config/workspace.js';
import type { ConnectorDescriptor, Destination, DiagnosticCheck, OpenConnector } from '../../src/domain/connector.js';
import type { TokenSpec } from '../../src/domain/segments.js';
import { ApiError } from '../../src/http/errors.js';
import { applyPlan, type ApplySummary } from '../../src/pipeline/apply.js';
import { planDestination } from '../../src/pipeline/plan.js';
import { pull, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import type { DestinationPlan } from '../../src/domain/plan.js';
import { hubspotWorld, TOKEN as HUBSPOT_TOKEN, type HubSpotWorld } from '../helpers/sandbox.js';
import { CLIENT_ID, CLIENT_SECRET, marketoWorld, type MarketoWorld } from '../helpers/marketo-world.js';
import { SHOPIFY_TOKEN, shopifyWorld, type ShopifyWorld } from '../helpers/shopify-world.js';
import { signal } from '../helpers/world.js';

const CLV: TokenSpec = { key: 'predicted_clv', label: 'Predicted CLV', description: 'segsync: predicted customer lifetime value.', type: 'decimal' };
const NEXT: TokenSpec = { key: 'next_order_date', label: 'Next order date', description: 'segsync: predicted date of the next order (UTC).', type: 'date' };
const TOKENS = [CLV, NEXT];
/** What segmentation would store for the first three live contacts. */
const VALUES = [
  { clv: '310.25', date: '2026-07-15' },
  { clv: '0.734', date: '2024-02-29' },
  { clv: '1.2', date: '2027-01-01' },
];

interface Harness {
  session: Session;
  platform: string;
  destination: Destination;
  /** Requests that changed something on the platform, so far. */
  writes(): number;
}

/** The connector with a mapping that writes only the two test tokens, to the given fields. */
function connectorFor<C>(descriptor: ConnectorDescriptor<C>, env: NodeJS.ProcessEnv, fields: { clv: string; date: string }): OpenConnector {
  const mapping = loadMapping(descriptor.defaultMappingFile);
  const config = descriptor.configFromEnv(env);
  if (config === undefined) throw new Error(`${descriptor.id} is not configured in the test env`);
  return descriptor.open(config, { mapping: { ...mapping, tokens: { [CLV.key]: fields.clv, [NEXT.key]: fields.date } }, lookbackMinutes: 0 });
}

const destinationFor = <C>(descriptor: ConnectorDescriptor<C>, env: NodeJS.ProcessEnv, fields: { clv: string; date: string }): Destination =>
  connectorFor(descriptor, env, fields).destination!;

/** `segsync doctor`'s line about the token fields, for a mapping. */
async function doctorLine<C>(descriptor: ConnectorDescriptor<C>, env: NodeJS.ProcessEnv, fields: { clv: string; date: string }, name: string): Promise<DiagnosticCheck[]> {
  const checks = await connectorFor(descriptor, env, fields).diagnose!({ tokens: TOKENS, lists: [], destination: true, signal });
  return checks.filter((c) => c.name === name);
}

/** Pulls and segments (so a segmentation run exists), then stores the test values; returns the contacts' ids. */
async function seed(session: Session, platform: string): Promise<string[]> {
  await pull(session, { full: true, signal });
  segment(session);
  const rows = session.db.prepare(`SELECT i.external_id, i.profile_id FROM identities i
      JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
      WHERE i.platform = ? AND c.archived = 0 AND c.merged_into IS NULL ORDER BY c.created_at, i.external_id LIMIT ?`)
    .all(platform, VALUES.length) as Array<{ external_id: string; profile_id: number }>;
  expect(rows).toHaveLength(VALUES.length);
  const run = (session.db.prepare('SELECT MAX(id) AS id FROM segmentation_runs').get() as { id: number }).id;
  const insert = session.db.prepare('INSERT OR REPLACE INTO profile_tokens (profile_id, token, value, run_id) VALUES (?, ?, ?, ?)');
  rows.forEach((r, i) => {
    insert.run(r.profile_id, CLV.key, VALUES[i]!.clv, run);
    insert.run(r.profile_id, NEXT.key, VALUES[i]!.date, run);
  });
  return rows.map((r) => r.external_id);
}

function setToken(session: Session, platform: string, externalId: string, token: string, value: string): void {
  session.db.prepare(`UPDATE profile_tokens SET value = ? WHERE token = ? AND profile_id =
    (SELECT profile_id FROM identities WHERE platform = ? AND external_id = ?)`).run(value, token, platform, externalId);
}

/** One push of the tokens only, through the real planner and apply. */
async function pushTokens(h: Harness): Promise<{ plan: DestinationPlan; summary: ApplySummary; writes: number }> {
  const settings = { ...destinationSettings(h.session.workspace, h.platform), lists: false };
  const plan = planDestination(h.session.db, h.platform, h.destination, settings, h.session.workspace.controlGroups);
  const before = h.writes();
  const summary = await applyPlan({
    db: h.session.db,
    plan,
    destination: h.destination,
    tokens: TOKENS,
    allowMassRemoval: false,
    massRemovalThreshold: settings.massRemovalThreshold,
  });
  return { plan, summary, writes: h.writes() - before };
}

// ------------------------------------------------------------------------------------------------

describe('HubSpot: decimal and date tokens', () => {
  const FIELDS = { clv: 'segsync_predicted_clv', date: 'segsync_next_order_date' };
  let world: HubSpotWorld;
  let h: Harness;
  let ids: string[];

  const read = async (id: string) =>
    (await world.sdk.crm.contacts.basicApi.getById(id, [FIELDS.clv, FIELDS.date])).properties;
  const batchUpdate = async (properties: Record<string, string>, id = ids[1]!) => {
    const r = await fetch(`${world.url}/crm/v3/objects/contacts/batch/update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${HUBSPOT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ id, properties }] }),
    });
    return { status: r.status, body: (await r.json()) as { status: string; category: string; message: string; correlationId: string } };
  };
  const invalid = (message: string) => JSON.parse(message.replace(/^Property values were not valid: /, '')) as Array<Record<string, unknown>>;

  beforeAll(async () => {
    world = await hubspotWorld({ size: 40 });
    const session = world.open();
    h = { session, platform: 'hubspot', destination: destinationFor(hubspot, world.env, FIELDS), writes: () => world.emulator.requests.filter((r) => r.write).length };
    ids = await seed(session, 'hubspot');
  });
  afterAll(() => world.close());

  it('creates a number property for the decimal and a date property for the date', async () => {
    const { summary } = await pushTokens(h);
    expect(summary.failed).toEqual([]);
    expect(summary.tokenUpdates).toBe(3);
    const clv = await world.sdk.crm.properties.coreApi.getByName('contacts', FIELDS.clv);
    const date = await world.sdk.crm.properties.coreApi.getByName('contacts', FIELDS.date);
    expect([clv.type, clv.fieldType, clv.groupName]).toEqual(['number', 'number', 'segsync']);
    expect([date.type, date.fieldType, date.groupName]).toEqual(['date', 'date', 'segsync']);
  });

  it('doctor finds both properties with the right types, and names a datetime property mapped to a date token', async () => {
    expect(await doctorLine(hubspot, world.env, FIELDS, 'hubspot token properties')).toEqual([
      { name: 'hubspot token properties', status: 'ok', detail: 'all 2 contact properties exist with the right types' },
    ]);
    const [wrong] = await doctorLine(hubspot, world.env, { ...FIELDS, date: 'createdate' }, 'hubspot token properties');
    expect(wrong).toMatchObject({ status: 'fail', detail: 'contact property createdate exists with type datetime; token next_order_date needs date' });
  });

  it('reads the values back as written: the decimal as sent, the date as YYYY-MM-DD', async () => {
    for (const [i, id] of ids.entries()) {
      const props = await read(id);
      expect(props[FIELDS.clv], id).toBe(VALUES[i]!.clv);
      expect(props[FIELDS.date], id).toBe(VALUES[i]!.date);
    }
  });

  it('an unchanged rerun (after a pull that read the contacts again) sends no write', async () => {
    await pull(h.session, { full: false, signal });
    const { plan, writes } = await pushTokens(h);
    expect(plan.tokens).toEqual([]);
    expect(writes).toBe(0);
  });

  it('"" clears both properties, and the rerun after that sends nothing', async () => {
    setToken(h.session, 'hubspot', ids[0]!, CLV.key, '');
    setToken(h.session, 'hubspot', ids[0]!, NEXT.key, '');
    const { plan, summary } = await pushTokens(h);
    expect(plan.tokens).toEqual([{ externalId: ids[0], values: { [FIELDS.clv]: '', [FIELDS.date]: '' } }]);
    expect(summary.failed).toEqual([]);
    const props = await read(ids[0]!);
    expect(props[FIELDS.clv] ?? '').toBe('');
    expect(props[FIELDS.date] ?? '').toBe('');
    expect((await pushTokens(h)).writes).toBe(0);
  });

  it('takes a date as midnight-UTC epoch milliseconds too, and reads it back as YYYY-MM-DD', async () => {
    const { status } = await batchUpdate({ [FIELDS.date]: String(Date.UTC(2026, 6, 15)) }, ids[2]!);
    expect(status).toBe(200);
    expect((await read(ids[2]!))[FIELDS.date]).toBe('2026-07-15');
  });

  it('refuses a date that is not midnight UTC or not a real date, and a non-number, as HubSpot does (400, nothing saved)', async () => {
    const at1030 = Date.UTC(2026, 6, 15, 10, 30);
    const notMidnight = await batchUpdate({ [FIELDS.date]: '2026-07-15T10:30:00Z', [FIELDS.clv]: '12,5' });
    expect(notMidnight.status).toBe(400);
    expect(notMidnight.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(notMidnight.body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(invalid(notMidnight.body.message)).toEqual([
      { isValid: false, message: `${at1030} is at 10:30:00.000 UTC, not midnight!`, error: 'INVALID_DATE', name: FIELDS.date },
      { isValid: false, message: '12,5 was not a valid number.', error: 'INVALID_DECIMAL', name: FIELDS.clv },
    ]);
    const impossible = await batchUpdate({ [FIELDS.date]: '2026-02-30' });
    expect(impossible.status).toBe(400);
    expect(invalid(impossible.body.message)).toEqual([{ isValid: false, message: '2026-02-30 was not a valid date.', error: 'INVALID_DATE', name: FIELDS.date }]);
    // The whole request was refused: the contact keeps its values.
    expect(await read(ids[1]!)).toMatchObject({ [FIELDS.clv]: VALUES[1]!.clv, [FIELDS.date]: VALUES[1]!.date });
  });

  it('a bad token value fails the push with HubSpot\'s validation error and records nothing', async () => {
    setToken(h.session, 'hubspot', ids[1]!, NEXT.key, '2026-02-30');
    const error = await pushTokens(h).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).kind).toBe('bad_request');
    expect((error as ApiError).detail).toContain('INVALID_DATE');
    const applied = h.session.db.prepare("SELECT value FROM destination_tokens WHERE destination = 'hubspot' AND external_id = ? AND token = ?")
      .get(ids[1], FIELDS.date) as { value: string };
    expect(applied.value).toBe(VALUES[1]!.date);
    setToken(h.session, 'hubspot', ids[1]!, NEXT.key, VALUES[1]!.date);
  });
});

// ------------------------------------------------------------------------------------------------

describe('Marketo: decimal and date tokens', () => {
  const FIELDS = { clv: 'segsyncPredictedClv', date: 'segsyncNextOrderDate' };
  let world: MarketoWorld;
  let h: Harness;
  let ids: string[];
  let token: string;

  const rest = async (path: string, init: RequestInit = {}) => {
    const r = await fetch(`${world.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
    expect(r.status).toBe(200);
    return (await r.json()) as { success: boolean; result?: Array<Record<string, unknown>>; errors?: unknown[] };
  };
  const read = async (id: string) =>
    (await rest(`/rest/v1/leads.json?filterType=id&filterValues=${id}&fields=${FIELDS.clv},${FIELDS.date}`)).result![0]!;

  beforeAll(async () => {
    world = await marketoWorld({ size: 40 });
    const session = world.open();
    h = { session, platform: 'marketo', destination: destinationFor(marketo, world.env, FIELDS), writes: () => world.emulator.requests.filter((r) => r.write).length };
    ids = await seed(session, 'marketo');
    const identity = await fetch(`${world.url}/identity/oauth/token?grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${CLIENT_SECRET}`);
    token = ((await identity.json()) as { access_token: string }).access_token;
  });
  afterAll(() => world.close());

  it('creates a float field for the decimal and a date field for the date', async () => {
    const { summary } = await pushTokens(h);
    expect(summary.failed).toEqual([]);
    expect(summary.tokenUpdates).toBe(3);
    const describe = await rest('/rest/v1/leads/describe.json');
    const typeOf = (name: string) => describe.result!.find((f) => (f.rest as { name: string }).name === name)?.dataType;
    expect(typeOf(FIELDS.clv)).toBe('float');
    expect(typeOf(FIELDS.date)).toBe('date');
  });

  it('doctor finds both fields with usable types, and names an integer field mapped to a decimal token', async () => {
    expect(await doctorLine(marketo, world.env, FIELDS, 'marketo token fields')).toEqual([
      { name: 'marketo token fields', status: 'ok', detail: 'all 2 lead fields exist with usable types' },
    ]);
    const [wrong] = await doctorLine(marketo, world.env, { ...FIELDS, clv: 'numberOfEmployees' }, 'marketo token fields');
    expect(wrong).toMatchObject({ status: 'fail', detail: 'lead field numberOfEmployees is of type integer, which cannot hold token predicted_clv (an integer field holds only whole numbers); a field of type float, currency, string, text, textarea can' });
  });

  it('reads the values back equal: the decimal as a JSON number, the date as YYYY-MM-DD', async () => {
    for (const [i, id] of ids.entries()) {
      const lead = await read(id);
      expect(lead[FIELDS.clv], id).toBe(Number(VALUES[i]!.clv));
      expect(lead[FIELDS.date], id).toBe(VALUES[i]!.date);
    }
  });

  it('an unchanged rerun (after a pull that read the leads again) sends no write', async () => {
    await pull(h.session, { full: false, signal });
    const { plan, writes } = await pushTokens(h);
    expect(plan.tokens).toEqual([]);
    expect(writes).toBe(0);
  });

  it('"" clears both fields (sent as null), and the rerun after that sends nothing', async () => {
    setToken(h.session, 'marketo', ids[0]!, CLV.key, '');
    setToken(h.session, 'marketo', ids[0]!, NEXT.key, '');
    const { summary } = await pushTokens(h);
    expect(summary).toMatchObject({ tokenUpdates: 1, failed: [] });
    const lead = await read(ids[0]!);
    expect(lead[FIELDS.clv]).toBeNull();
    expect(lead[FIELDS.date]).toBeNull();
    expect((await pushTokens(h)).writes).toBe(0);
  });

  it('skips a record with a malformed date or decimal with 1003, as Marketo does', async () => {
    const answer = await rest('/rest/v1/leads.json', {
      method: 'POST',
      body: JSON.stringify({
        action: 'updateOnly',
        lookupField: 'id',
        input: [{ id: Number(ids[1]), [FIELDS.date]: '2026-02-30' }, { id: Number(ids[2]), [FIELDS.clv]: '12,5' }, { id: Number(ids[2]), [FIELDS.date]: '07/15/2026' }],
      }),
    });
    expect(answer.success).toBe(true);
    expect(answer.result).toEqual([
      { status: 'skipped', reasons: [{ code: '1003', message: `Invalid value for field '${FIELDS.date}' and value '2026-02-30'` }] },
      { status: 'skipped', reasons: [{ code: '1003', message: `Invalid value for field '${FIELDS.clv}' and value '12,5'` }] },
      { status: 'skipped', reasons: [{ code: '1003', message: `Invalid value for field '${FIELDS.date}' and value '07/15/2026'` }] },
    ]);
    expect(await read(ids[1]!)).toMatchObject({ [FIELDS.date]: VALUES[1]!.date });
  });

  it('a bad token value is one failed lead, the others are written', async () => {
    setToken(h.session, 'marketo', ids[1]!, NEXT.key, '2026-02-30');
    setToken(h.session, 'marketo', ids[2]!, CLV.key, '2.5');
    const { summary } = await pushTokens(h);
    expect(summary.tokenUpdates).toBe(1);
    expect(summary.failed).toEqual([{ externalId: ids[1], reason: `1003 Invalid value for field '${FIELDS.date}' and value '2026-02-30'` }]);
    expect((await read(ids[2]!))[FIELDS.clv]).toBe(2.5);
    setToken(h.session, 'marketo', ids[1]!, NEXT.key, VALUES[1]!.date);
  });

  it('reuses existing fields of compatible types (currency, date) and refuses an integer field for a decimal', async () => {
    const reuse = destinationFor(marketo, world.env, { clv: 'annualRevenue', date: 'dateOfBirth' });
    const before = h.writes();
    await reuse.ensureSchema(TOKENS);
    expect(h.writes()).toBe(before);
    const wrong = destinationFor(marketo, world.env, { clv: 'numberOfEmployees', date: 'dateOfBirth' });
    await expect(wrong.ensureSchema(TOKENS)).rejects.toThrow(/lead field numberOfEmployees is of type integer, which cannot hold token predicted_clv/);
  });
});

// ------------------------------------------------------------------------------------------------

describe('Shopify: decimal and date tokens', () => {
  const FIELDS = { clv: 'predicted_clv', date: 'next_order_date' };
  let world: ShopifyWorld;
  let h: Harness;
  let ids: string[];

  const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await fetch(`${world.url}/admin/api/2026-07/graphql.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': SHOPIFY_TOKEN },
      body: JSON.stringify({ query, variables }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { data: Record<string, any>; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data;
  };
  const read = async (id: string) => {
    const data = await graphql(`query($id: ID!) { customer(id: $id) {
      clv: metafield(namespace: "${METAFIELD_NAMESPACE}", key: "${FIELDS.clv}") { type value }
      date: metafield(namespace: "${METAFIELD_NAMESPACE}", key: "${FIELDS.date}") { type value } } }`, { id });
    return data.customer as { clv: { type: string; value: string } | null; date: { type: string; value: string } | null };
  };

  beforeAll(async () => {
    world = await shopifyWorld({ size: 40 });
    const session = world.open();
    h = { session, platform: 'shopify', destination: destinationFor(shopify, world.env, FIELDS), writes: () => world.emulator.requests.filter((r) => r.write).length };
    ids = await seed(session, 'shopify');
  });
  afterAll(() => world.close());

  it('creates number_decimal and date metafield definitions', async () => {
    const { summary } = await pushTokens(h);
    expect(summary.failed).toEqual([]);
    expect(summary.tokenUpdates).toBe(3);
    const data = await graphql(`{ metafieldDefinitions(ownerType: CUSTOMER, namespace: "${METAFIELD_NAMESPACE}", first: 50) { nodes { key type { name } } } }`);
    const types = Object.fromEntries((data.metafieldDefinitions.nodes as Array<{ key: string; type: { name: string } }>).map((d) => [d.key, d.type.name]));
    expect(types).toMatchObject({ [FIELDS.clv]: 'number_decimal', [FIELDS.date]: 'date' });
  });

  it('doctor finds both definitions with the right types, and names a decimal definition mapped to a date token', async () => {
    expect(await doctorLine(shopify, world.env, FIELDS, 'shopify token metafields')).toEqual([
      { name: 'shopify token metafields', status: 'ok', detail: `all 2 customer metafield definitions (${METAFIELD_NAMESPACE}.*) exist with the right types` },
    ]);
    const [wrong] = await doctorLine(shopify, world.env, { ...FIELDS, date: FIELDS.clv }, 'shopify token metafields');
    expect(wrong).toMatchObject({ status: 'fail', detail: `customer metafield definition ${METAFIELD_NAMESPACE}.${FIELDS.clv} exists with type number_decimal; token next_order_date needs date` });
  });

  it('reads the values back as written, with their metafield types', async () => {
    for (const [i, id] of ids.entries()) {
      expect(await read(id), id).toEqual({
        clv: { type: 'number_decimal', value: VALUES[i]!.clv },
        date: { type: 'date', value: VALUES[i]!.date },
      });
    }
  });

  it('an unchanged rerun (after a pull that read the customers again) sends no write', async () => {
    await pull(h.session, { full: false, signal });
    const { plan, writes } = await pushTokens(h);
    expect(plan.tokens).toEqual([]);
    expect(writes).toBe(0);
  });

  it('"" deletes both metafields, and the rerun after that sends nothing', async () => {
    setToken(h.session, 'shopify', ids[0]!, CLV.key, '');
    setToken(h.session, 'shopify', ids[0]!, NEXT.key, '');
    const { summary } = await pushTokens(h);
    expect(summary).toMatchObject({ tokenUpdates: 1, failed: [] });
    expect(await read(ids[0]!)).toEqual({ clv: null, date: null });
    expect((await pushTokens(h)).writes).toBe(0);
  });

  it('metafieldsSet answers INVALID_VALUE userErrors for a bad date or decimal and saves nothing', async () => {
    const input = (key: string, type: string, value: string) => ({ ownerId: ids[1], namespace: METAFIELD_NAMESPACE, key, type, value });
    const data = await graphql(`mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
      metafields { key } userErrors { field message code elementIndex } } }`, {
      m: [
        input(FIELDS.clv, 'number_decimal', '99.5'),
        input(FIELDS.date, 'date', '2026-02-30'),
        input(FIELDS.clv, 'number_decimal', '1,5'),
        input(FIELDS.clv, 'number_decimal', '12345678901234.5'),
        input(FIELDS.date, 'date', '2026-07-15T00:00:00'),
      ],
    });
    expect(data.metafieldsSet.metafields).toEqual([]);
    const errors = data.metafieldsSet.userErrors as Array<{ field: string[]; code: string; elementIndex: number; message: string }>;
    expect(errors.map((e) => [e.field, e.code, e.elementIndex])).toEqual([
      [['metafields', '1', 'value'], 'INVALID_VALUE', 1],
      [['metafields', '2', 'value'], 'INVALID_VALUE', 2],
      [['metafields', '3', 'value'], 'INVALID_VALUE', 3],
      [['metafields', '4', 'value'], 'INVALID_VALUE', 4],
    ]);
    for (const e of errors) expect(e.message).not.toBe('');
    // Atomic: the valid first metafield was not saved either.
    expect((await read(ids[1]!))?.clv?.value).toBe(VALUES[1]!.clv);
  });

  it('a bad token value is one failed customer, the others are written', async () => {
    setToken(h.session, 'shopify', ids[1]!, NEXT.key, '2026-02-30');
    setToken(h.session, 'shopify', ids[2]!, CLV.key, '2.5');
    const { summary } = await pushTokens(h);
    expect(summary.tokenUpdates).toBe(1);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]!.externalId).toBe(ids[1]);
    expect(summary.failed[0]!.reason).toContain('(INVALID_VALUE)');
    expect((await read(ids[2]!))?.clv?.value).toBe('2.5');
    setToken(h.session, 'shopify', ids[1]!, NEXT.key, VALUES[1]!.date);
  });
});
