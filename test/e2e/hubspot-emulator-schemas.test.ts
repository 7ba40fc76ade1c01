import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  AssociationBatchSchema,
  BatchResponseSchema,
  CrmObjectSchema,
  ErrorBodySchema,
  ListEnvelopeSchema,
  MembershipsPageSchema,
  MembershipsUpdateSchema,
  ObjectPageSchema,
  PropertyGroupListSchema,
  PropertyListSchema,
  PropertySchema,
  SearchPageSchema,
} from '../../connectors/hubspot/schemas.js';
import { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { ANCHOR, TOKEN } from '../helpers/sandbox.js';

/** The emulator answers in the shapes the connector's schemas (checked against real recordings) accept. */
describe('HubSpot emulator answers pass the connector\'s response schemas', () => {
  let emulator: HubSpotEmulator;
  let server: { url: string; close(): Promise<void> };
  const call = async (method: string, path: string, body?: unknown, token = TOKEN) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, json: (await response.json()) as unknown };
  };
  const expectShape = (schema: z.ZodType, value: unknown) => {
    const result = schema.safeParse(value);
    expect(result.success, result.success ? '' : JSON.stringify(result.error.issues)).toBe(true);
  };

  beforeAll(async () => {
    emulator = new HubSpotEmulator({ accessToken: TOKEN, rateLimit: { max: 5, intervalMs: 60_000 }, searchPerSecond: 100 });
    emulator.load(generatePopulation(parsePopulationOptions({ seed: 3, size: 30, anchor: ANCHOR })));
    server = await emulator.listen();
  });
  afterAll(() => server.close());

  it('contacts and deals pages, search, associations, properties, lists, batch update, and errors', async () => {
    // One emulator, generous limits for the shape checks; the rate-limit answer is checked last.
    const lenient = new HubSpotEmulator({ accessToken: TOKEN, rateLimit: { max: 1000, intervalMs: 10_000 }, searchPerSecond: 100 });
    lenient.load(generatePopulation(parsePopulationOptions({ seed: 3, size: 30, anchor: ANCHOR })));
    const s = await lenient.listen();
    const get = async (method: string, path: string, body?: unknown, token = TOKEN) => {
      const r = await fetch(`${s.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return { status: r.status, json: (r.status === 204 ? null : await r.json()) as unknown };
    };
    try {
      const contacts = await get('GET', '/crm/v3/objects/contacts?limit=10&properties=email,firstname');
      expectShape(ObjectPageSchema, contacts.json);
      for (const r of (contacts.json as { results: unknown[] }).results) expectShape(CrmObjectSchema, r);
      const deals = await get('GET', '/crm/v3/objects/deals?limit=10&associations=contacts&properties=amount,dealstage,closedate');
      for (const r of (deals.json as { results: unknown[] }).results) expectShape(CrmObjectSchema, r);
      const search = await get('POST', '/crm/v3/objects/contacts/search', {
        filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: '0' }] }],
        sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }], properties: ['email'], limit: 5, after: '0',
      });
      expectShape(SearchPageSchema, search.json);
      const dealIds = (deals.json as { results: Array<{ id: string }> }).results.map((d) => ({ id: d.id }));
      expectShape(AssociationBatchSchema, (await get('POST', '/crm/v4/associations/deals/contacts/batch/read', { inputs: dealIds })).json);
      expectShape(PropertyListSchema, (await get('GET', '/crm/v3/properties/contacts')).json);
      expectShape(PropertyGroupListSchema, (await get('GET', '/crm/v3/properties/contacts/groups')).json);
      await get('POST', '/crm/v3/properties/contacts/groups', { name: 'segsync', label: 'segsync' });
      const property = await get('POST', '/crm/v3/properties/contacts', { name: 'segsync_r', label: 'R', type: 'number', fieldType: 'number', groupName: 'segsync' });
      expect(property.status).toBe(201);
      expectShape(PropertySchema, property.json);
      const list = await get('POST', '/crm/v3/lists', { name: 'segsync · Champions', objectTypeId: '0-1', processingType: 'MANUAL' });
      expectShape(ListEnvelopeSchema, list.json);
      const byName = await get('GET', `/crm/v3/lists/object-type-id/0-1/name/${encodeURIComponent('segsync · Champions')}`);
      expectShape(ListEnvelopeSchema, byName.json);
      const listId = (list.json as { list: { listId: string } }).list.listId;
      const contactId = (contacts.json as { results: Array<{ id: string }> }).results[0]!.id;
      expectShape(MembershipsUpdateSchema, (await get('PUT', `/crm/v3/lists/${listId}/memberships/add`, [contactId, '999999999'])).json);
      expectShape(MembershipsPageSchema, (await get('GET', `/crm/v3/lists/${listId}/memberships?limit=250`)).json);
      const update = await get('POST', '/crm/v3/objects/contacts/batch/update', { inputs: [{ id: contactId, properties: { segsync_r: '5' } }] });
      expectShape(BatchResponseSchema, update.json);
      for (const bad of [
        await get('POST', '/crm/v3/objects/contacts/batch/update', { inputs: [{ id: contactId, properties: { no_such_property: 'x' } }] }),
        await get('GET', '/crm/v3/lists/object-type-id/0-1/name/nope'),
        await get('GET', '/crm/v3/objects/contacts', undefined, 'wrong-token'),
      ]) {
        expect(bad.status).toBeGreaterThanOrEqual(400);
        expectShape(ErrorBodySchema, bad.json);
      }
    } finally {
      await s.close();
    }
  });

  it('the 429 answer carries HubSpot\'s error body and rate-limit headers', async () => {
    let last = { status: 0, json: null as unknown };
    for (let i = 0; i < 6; i++) last = await call('GET', '/crm/v3/objects/contacts?limit=1');
    expect(last.status).toBe(429);
    expectShape(ErrorBodySchema, last.json);
    expect(last.json).toMatchObject({ errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
    const headers = await fetch(`${server.url}/crm/v3/objects/contacts?limit=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(headers.headers.get('x-hubspot-ratelimit-max')).toBe('5');
    expect(headers.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
  });
});
