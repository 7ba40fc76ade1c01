/**
 * What segsync sends for decimal and date tokens, byte for byte, against recorded platform answers:
 * the field/property/definition it creates and the value format of each write.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotClient } from '../../connectors/hubspot/client.js';
import { createHubSpotDestination } from '../../connectors/hubspot/destination.js';
import { MarketoClient } from '../../connectors/marketo/client.js';
import { createMarketoDestination, fieldTypeFor } from '../../connectors/marketo/destination.js';
import { ShopifyClient } from '../../connectors/shopify/client.js';
import { createShopifyDestination, metafieldType } from '../../connectors/shopify/destination.js';
import type { Mapping } from '../../src/config/mapping.js';
import { loadMapping } from '../../src/config/mapping.js';
import type { TokenSpec } from '../../src/domain/segments.js';
import { testHubSpotConfig } from '../helpers/hubspot.js';
import propertyCreated from '../fixtures/hubspot/property_create_201.json' with { type: 'json' };
import batchUpdated from '../fixtures/hubspot/batch_update_contacts_200.json' with { type: 'json' };
import token from '../fixtures/marketo/token.json' with { type: 'json' };
import describeLeads from '../fixtures/marketo/leads_describe.json' with { type: 'json' };
import upsertUpdatedTwo from '../fixtures/marketo/leads_upsert_updated_two.json' with { type: 'json' };

const CLV: TokenSpec = { key: 'predicted_clv', label: 'Predicted CLV', description: 'predicted lifetime value', type: 'decimal' };
const NEXT: TokenSpec = { key: 'next_order_date', label: 'Next order date', description: 'predicted next order (UTC)', type: 'date' };

function withTokens(platform: string, tokens: Record<string, string>): Mapping {
  return { ...loadMapping(new URL(`../../mappings/${platform}.yaml`, import.meta.url).pathname), tokens };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('HubSpot: decimal and date tokens on the wire', () => {
  const BASE = 'https://api.hubapi.com';
  const mapping = withTokens('hubspot', { predicted_clv: 'segsync_predicted_clv', next_order_date: 'segsync_next_order_date' });
  const destination = () => createHubSpotDestination(new HubSpotClient(testHubSpotConfig()), mapping);

  it('creates a number/number property for a decimal and a date/date property for a date', async () => {
    nock(BASE).get('/crm/v3/properties/contacts/groups').reply(200, { results: [{ name: 'segsync', label: 'segsync' }] });
    nock(BASE).get('/crm/v3/properties/contacts').reply(200, { results: [] });
    const created: unknown[] = [];
    nock(BASE).post('/crm/v3/properties/contacts').times(2).reply(201, (_uri, body) => (created.push(body), propertyCreated));
    await destination().ensureSchema([CLV, NEXT]);
    expect(created).toEqual([
      { name: 'segsync_predicted_clv', label: 'Predicted CLV', description: 'predicted lifetime value', groupName: 'segsync', type: 'number', fieldType: 'number' },
      { name: 'segsync_next_order_date', label: 'Next order date', description: 'predicted next order (UTC)', groupName: 'segsync', type: 'date', fieldType: 'date' },
    ]);
  });

  it('refuses an existing datetime property for a date token instead of writing into it', async () => {
    nock(BASE).get('/crm/v3/properties/contacts/groups').reply(200, { results: [{ name: 'segsync', label: 'segsync' }] });
    nock(BASE).get('/crm/v3/properties/contacts').reply(200, {
      results: [{ name: 'segsync_next_order_date', label: 'Next order', type: 'datetime', fieldType: 'date', groupName: 'segsync' }],
    });
    await expect(destination().ensureSchema([NEXT])).rejects.toThrow(/segsync_next_order_date exists with type datetime, segsync needs date/);
  });

  it('sends the decimal as written and the date as "YYYY-MM-DD"; "" clears', async () => {
    let sent: unknown;
    nock(BASE).post('/crm/v3/objects/contacts/batch/update').reply(200, (_uri, body) => ((sent = body), batchUpdated));
    const result = await destination().apply({
      kind: 'tokens',
      updates: [
        { externalId: '290201', values: { segsync_predicted_clv: '310.25', segsync_next_order_date: '2026-07-15' } },
        { externalId: '290251', values: { segsync_predicted_clv: '', segsync_next_order_date: '' } },
      ],
    });
    expect(sent).toEqual({
      inputs: [
        { id: '290201', properties: { segsync_predicted_clv: '310.25', segsync_next_order_date: '2026-07-15' } },
        { id: '290251', properties: { segsync_predicted_clv: '', segsync_next_order_date: '' } },
      ],
    });
    expect(result).toEqual({ applied: ['290201', '290251'], failed: [] });
  });
});

describe('Marketo: decimal and date tokens on the wire', () => {
  const BASE = 'https://123-abc-456.mktorest.com';
  const client = () => new MarketoClient({
    baseUrl: BASE, clientId: 'cid', clientSecret: 'secret', listFolder: 'segsync', timeoutMs: 2_000,
    rateLimit: { max: 1_000, intervalMs: 1_000 }, maxConcurrency: 10, bulkPollMs: 10, backoff: { baseMs: 5, maxMs: 20 }, maxAttempts: 2,
  });
  const identity = (times = 1) => nock(BASE).get('/identity/oauth/token').query(true).times(times).reply(200, token);

  it('maps decimal to Float and date to Date, reusing float/currency and date fields, never integer, percent or datetime', () => {
    expect(fieldTypeFor(CLV)).toMatchObject({ dataType: 'float', label: 'Float' });
    expect(fieldTypeFor(NEXT)).toMatchObject({ dataType: 'date', label: 'Date' });
    expect(fieldTypeFor(CLV).accepts).toEqual(expect.arrayContaining(['float', 'currency', 'string']));
    for (const no of ['integer', 'score', 'percent']) expect(fieldTypeFor(CLV).accepts).not.toContain(no);
    expect(fieldTypeFor(NEXT).accepts).toEqual(expect.arrayContaining(['date', 'string']));
    expect(fieldTypeFor(NEXT).accepts).not.toContain('datetime');
  });

  it('creates missing fields as float and date, then sends the decimal as a number, the date as "YYYY-MM-DD" and "" as null', async () => {
    identity();
    nock(BASE).get('/rest/v1/leads/describe.json').reply(200, describeLeads);
    let fields: unknown;
    nock(BASE).post('/rest/v1/leads/schema/fields.json').reply(200, (_uri, body) => ((fields = body), {
      requestId: 'a1#b', success: true, result: [{ name: 'segsyncPredictedClv', status: 'created' }, { name: 'segsyncNextOrderDate', status: 'created' }],
    }));
    let upsert: unknown;
    nock(BASE).post('/rest/v1/leads.json').reply(200, (_uri, body) => ((upsert = body), upsertUpdatedTwo));
    const destination = createMarketoDestination(client(), withTokens('marketo', { predicted_clv: 'segsyncPredictedClv', next_order_date: 'segsyncNextOrderDate' }));
    await destination.ensureSchema([CLV, NEXT]);
    expect(fields).toEqual({
      input: [
        { name: 'segsyncPredictedClv', displayName: 'segsync Predicted CLV', dataType: 'float', description: 'predicted lifetime value' },
        { name: 'segsyncNextOrderDate', displayName: 'segsync Next order date', dataType: 'date', description: 'predicted next order (UTC)' },
      ],
    });
    const result = await destination.apply({
      kind: 'tokens',
      updates: [
        { externalId: '7149', values: { segsyncPredictedClv: '310.25', segsyncNextOrderDate: '2026-07-15' } },
        { externalId: '7150', values: { segsyncPredictedClv: '', segsyncNextOrderDate: '' } },
      ],
    });
    expect(upsert).toEqual({
      action: 'updateOnly',
      lookupField: 'id',
      input: [
        { id: 7149, segsyncPredictedClv: 310.25, segsyncNextOrderDate: '2026-07-15' },
        { id: 7150, segsyncPredictedClv: null, segsyncNextOrderDate: null },
      ],
    });
    expect(result).toEqual({ applied: ['7149', '7150'], failed: [] });
  });

  it('reuses the recorded float and date fields without creating any', async () => {
    identity();
    nock(BASE).get('/rest/v1/leads/describe.json').reply(200, describeLeads);
    const destination = createMarketoDestination(client(), withTokens('marketo', { predicted_clv: 'float_field', next_order_date: 'dateOfBirth' }));
    await destination.ensureSchema([CLV, NEXT]);
    expect(nock.isDone()).toBe(true);
  });

  it('refuses a percent field for a decimal (Marketo percent is an integer) and a datetime field for a date', async () => {
    identity(2);
    nock(BASE).get('/rest/v1/leads/describe.json').times(2).reply(200, describeLeads);
    const percent = createMarketoDestination(client(), withTokens('marketo', { predicted_clv: 'percent_field' }));
    await expect(percent.ensureSchema([CLV])).rejects.toThrow(/lead field percent_field is of type percent, which cannot hold token predicted_clv \(a percent field holds only whole numbers\); a field of type float, currency, string, text, textarea can/);
    const datetime = createMarketoDestination(client(), withTokens('marketo', { next_order_date: 'datetime_field' }));
    await expect(datetime.ensureSchema([NEXT])).rejects.toThrow(/lead field datetime_field is of type datetime, which cannot hold token next_order_date \(a datetime field would add a time and a time zone the date does not have\); a field of type date, string, text, textarea can/);
  });
});

describe('Shopify: decimal and date tokens on the wire', () => {
  const BASE = 'https://acme.myshopify.com';
  const PATH = '/admin/api/2026-07/graphql.json';
  const cost = { requestedQueryCost: 10, actualQueryCost: 10, throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 1990, restoreRate: 100 } };
  const client = () => new ShopifyClient({ shopUrl: BASE, accessToken: 'shpat_contract', timeoutMs: 2_000, backoff: { baseMs: 5, maxMs: 20 }, maxAttempts: 2 });
  const mapping = withTokens('shopify', { predicted_clv: 'predicted_clv', next_order_date: 'next_order_date' });
  type Body = { operationName: string; variables: Record<string, any> };

  it('maps decimal to number_decimal and date to date', () => {
    expect(metafieldType(CLV)).toBe('number_decimal');
    expect(metafieldType(NEXT)).toBe('date');
    expect(metafieldType({ type: 'number' })).toBe('number_integer');
  });

  it('creates number_decimal and date definitions, sets values as strings and deletes for ""', async () => {
    const sent: Body[] = [];
    nock(BASE).post(PATH, (b: Body) => b.operationName === 'MetafieldDefinitions').times(2).reply(200, (_uri, body) => {
      const defined = sent.filter((s) => s.operationName === 'MetafieldDefinitionCreate').map((s) => s.variables.definition);
      return { data: { metafieldDefinitions: { nodes: defined.map((d, i) => ({ id: `gid://shopify/MetafieldDefinition/${i + 1}`, key: d.key, type: { name: d.type } })) } }, extensions: { cost } };
    });
    nock(BASE).post(PATH, (b: Body) => b.operationName === 'MetafieldDefinitionCreate').times(2).reply(200, (_uri, body) => {
      sent.push(body as Body);
      return { data: { metafieldDefinitionCreate: { createdDefinition: { id: 'gid://shopify/MetafieldDefinition/9', key: (body as Body).variables.definition.key }, userErrors: [] } }, extensions: { cost } };
    });
    nock(BASE).post(PATH).reply(200, (_uri, body) => (sent.push(body as Body), {
      data: { s0: { metafields: [{ key: 'predicted_clv', namespace: 'segsync' }, { key: 'next_order_date', namespace: 'segsync' }], userErrors: [] }, d0: { deletedMetafields: [null, null], userErrors: [] } },
      extensions: { cost },
    }));
    const destination = createShopifyDestination(client(), mapping);
    await destination.ensureSchema([CLV, NEXT]);
    const result = await destination.apply({
      kind: 'tokens',
      updates: [
        { externalId: 'gid://shopify/Customer/1', values: { predicted_clv: '310.25', next_order_date: '2026-07-15' } },
        { externalId: 'gid://shopify/Customer/2', values: { predicted_clv: '', next_order_date: '' } },
      ],
    });
    expect(sent.slice(0, 2).map((s) => [s.variables.definition.key, s.variables.definition.type])).toEqual([
      ['predicted_clv', 'number_decimal'],
      ['next_order_date', 'date'],
    ]);
    const write = sent[2]!;
    expect(write.variables.s0).toEqual([
      { ownerId: 'gid://shopify/Customer/1', namespace: 'segsync', key: 'predicted_clv', type: 'number_decimal', value: '310.25' },
      { ownerId: 'gid://shopify/Customer/1', namespace: 'segsync', key: 'next_order_date', type: 'date', value: '2026-07-15' },
    ]);
    expect(write.variables.d0).toEqual([
      { ownerId: 'gid://shopify/Customer/2', namespace: 'segsync', key: 'predicted_clv' },
      { ownerId: 'gid://shopify/Customer/2', namespace: 'segsync', key: 'next_order_date' },
    ]);
    expect(result).toEqual({ applied: ['gid://shopify/Customer/1', 'gid://shopify/Customer/2'], failed: [] });
  });
});
