/**
 * HubSpot's answers about the account, as recorded from real portals (test/fixtures/hubspot/,
 * SOURCE.md): 403 MISSING_SCOPES, 401 EXPIRED_AUTHENTICATION and 409 conflicts. The message a
 * user sees names the scopes and where to grant them, says to refresh or replace an expired
 * token, and a create that meets "already exists" finds what exists instead of failing.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotClient } from '../../connectors/hubspot/client.js';
import { createHubSpotDestination } from '../../connectors/hubspot/destination.js';
import { diagnoseHubSpot } from '../../connectors/hubspot/diagnose.js';
import { HubSpotApiError, requiredScopesOf } from '../../connectors/hubspot/errors.js';
import { ObjectPageSchema } from '../../connectors/hubspot/schemas.js';
import { loadMapping, type Mapping } from '../../src/config/mapping.js';
import type { SegmentDefinition, TokenSpec } from '../../src/domain/segments.js';
import { ApiError } from '../../src/http/errors.js';
import { testHubSpotConfig } from '../helpers/hubspot.js';
import contactsPage from '../fixtures/hubspot/contacts_page.json' with { type: 'json' };
import missingScopes from '../fixtures/hubspot/error_403_missing_scopes.json' with { type: 'json' };
import missingGranular from '../fixtures/hubspot/error_403_missing_granular_scopes.json' with { type: 'json' };
import missingAllOf from '../fixtures/hubspot/error_403_missing_granular_scopes_all_of_TRIMMED.json' with { type: 'json' };
import expired from '../fixtures/hubspot/error_401_expired_authentication.json' with { type: 'json' };
import contactConflict from '../fixtures/hubspot/error_409_contact_conflict.json' with { type: 'json' };
import contactExists from '../fixtures/hubspot/error_409_contact_object_already_exists.json' with { type: 'json' };
import propertyExists from '../fixtures/hubspot/error_409_property_exists_MODELLED.json' with { type: 'json' };
import listCreated from '../fixtures/hubspot/lists_v3_create_TRIMMED.json' with { type: 'json' };
import { failure as failAs } from '../helpers/api-failure.js';

const BASE = 'https://api.hubapi.com';
const PATH = '/crm/v3/objects/contacts';

function client() {
  const retries: number[] = [];
  const c = new HubSpotClient(testHubSpotConfig(), { onRetry: ({ attempt }) => retries.push(attempt) }, async () => {});
  const get = () => c.request({ method: 'GET', path: PATH, qs: { limit: '1' }, schema: ObjectPageSchema, write: false });
  return { c, get, retries };
}

/** The HubSpot error a call fails with (it carries the scopes and the category). */
const failure = (promise: Promise<unknown>) => failAs(promise, HubSpotApiError);

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('HubSpot 403 MISSING_SCOPES', () => {
  it('names the scope the recorded answer lists (errors[].context.requiredScopes) and where to grant it, without retrying', async () => {
    nock(BASE).get(PATH).query(true).once().reply(403, missingScopes);
    const { get, retries } = client();
    const error = await failure(get());
    expect(error.kind).toBe('auth');
    expect(error.status).toBe(403);
    expect(error.requiredScopes).toEqual({ scopes: ['contacts'], all: false });
    expect(error.message).toContain('the app lacks the scope contacts');
    expect(error.message).toContain('Fix: grant the scope contacts to the private app (Settings → Integrations → Private apps → your app → Scopes');
    expect(retries).toEqual([]);
  });

  it('names the granular scopes of newer answers as alternatives ("One or more of the following scopes are required.")', async () => {
    nock(BASE).get(PATH).query(true).reply(403, missingGranular);
    const error = await failure(client().get());
    expect(error.message).toContain(
      'the app lacks one of the scopes crm.schemas.custom.write, crm.objects.custom.write, crm.objects.custom.highly_sensitive.write.v2 or crm.objects.custom.sensitive.write.v2',
    );
    expect(error.correlationId).toBe('019e63ab-542f-7af5-a5b9-c3b0f5ac5ff1');
  });

  it('reads "All of the following scopes are required." as all of them', () => {
    expect(requiredScopesOf(missingAllOf)).toEqual({ scopes: ['account-info.security.read'], all: true });
    const two = { errors: [{ message: 'All of the following scopes are required.', context: { requiredGranularScopes: ['crm.lists.read', 'crm.lists.write'] } }] };
    expect(requiredScopesOf(two)).toEqual({ scopes: ['crm.lists.read', 'crm.lists.write'], all: true });
  });

  it('makes the doctor line name the scopes the answer lists, not only the one the probe was for', async () => {
    nock(BASE).get(PATH).query(true).reply(200, contactsPage);
    nock(BASE).get('/crm/v3/objects/deals').query(true).reply(403, {
      ...missingGranular,
      errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: ['crm.objects.deals.read'] } }],
    });
    const mapping = loadMapping(new URL('../../mappings/hubspot.yaml', import.meta.url).pathname);
    const checks = await diagnoseHubSpot(client().c, mapping, { destination: false, tokens: [], lists: [], signal: new AbortController().signal });
    const scopes = checks.find((c) => c.name === 'hubspot scopes' && c.status === 'fail');
    expect(scopes?.detail).toContain('missing the scope crm.objects.deals.read: GET /crm/v3/objects/deals answered 403');
    expect(scopes?.fix).toContain('grant the scope crm.objects.deals.read to the private app (Settings → Integrations → Private apps → your app → Scopes');
  });
});

describe('HubSpot 401 EXPIRED_AUTHENTICATION', () => {
  it('says the token expired and to refresh or replace it (recorded body), without retrying', async () => {
    nock(BASE).get(PATH).query(true).once().reply(401, expired);
    const { get, retries } = client();
    const error = await failure(get());
    expect(error.kind).toBe('auth');
    expect(error.category).toBe('EXPIRED_AUTHENTICATION');
    expect(error.message).toContain('the access token has expired (HubSpot: "The OAuth token used to make this call expired 0 second(s) ago.")');
    expect(error.message).toMatch(/Fix: HUBSPOT_ACCESS_TOKEN holds an OAuth access token, .* refresh it and set the new one, or replace it with a private app's access token/);
    expect(error.message).not.toContain('pat-test-secret-token');
    expect(retries).toEqual([]);
  });

  it('makes doctor report expired credentials with the same fix', async () => {
    nock(BASE).get(PATH).query(true).reply(401, expired);
    const mapping = loadMapping(new URL('../../mappings/hubspot.yaml', import.meta.url).pathname);
    const checks = await diagnoseHubSpot(client().c, mapping, { destination: false, tokens: [], lists: [], signal: new AbortController().signal });
    expect(checks).toEqual([expect.objectContaining({ name: 'hubspot credentials', status: 'fail', detail: expect.stringContaining('credentials expired') as string, fix: expect.stringContaining('refresh it') as string })]);
  });
});

describe('HubSpot 409 conflicts, by category', () => {
  it('classifies CONFLICT "Contact already exists. Existing ID" as already existing, with the id', async () => {
    nock(BASE).post(PATH).reply(409, contactConflict);
    const { c, retries } = client();
    const error = await failure(c.request({ method: 'POST', path: PATH, body: { properties: {} }, write: true }));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.kind).toBe('bad_request');
    expect(error.alreadyExists).toBe(true);
    expect(error.existingId).toBe('37765128953');
    expect(error.message).toContain('it already exists in HubSpot (id 37765128953)');
    expect(retries).toEqual([]);
  });

  it('classifies the newer OBJECT_ALREADY_EXISTS body the same way', async () => {
    nock(BASE).post(PATH).reply(409, contactExists);
    const error = await failure(client().c.request({ method: 'POST', path: PATH, body: { properties: {} }, write: true }));
    expect(error).toMatchObject({ category: 'OBJECT_ALREADY_EXISTS', alreadyExists: true, existingId: '2926551' });
  });

  const mapping: Mapping = { ...loadMapping(new URL('../../mappings/hubspot.yaml', import.meta.url).pathname), tokens: { rfm_segment: 'segsync_rfm_segment' } };
  const TOKEN: TokenSpec = { key: 'rfm_segment', label: 'RFM segment', description: 'RFM segment', type: 'string' };
  const destination = () => createHubSpotDestination(client().c, mapping);

  it('ensureSchema: a property created by someone else meanwhile (409) is found and checked, not a failure', async () => {
    nock(BASE).get('/crm/v3/properties/contacts/groups').reply(200, { results: [{ name: 'segsync', label: 'segsync' }] });
    nock(BASE).get('/crm/v3/properties/contacts').reply(200, { results: [] });
    nock(BASE).post('/crm/v3/properties/contacts').reply(409, propertyExists);
    const read = nock(BASE).get('/crm/v3/properties/contacts/segsync_rfm_segment')
      .reply(200, { name: 'segsync_rfm_segment', label: 'RFM segment', type: 'string', fieldType: 'text', groupName: 'segsync' });
    await expect(destination().ensureSchema([TOKEN])).resolves.toBeUndefined();
    expect(read.isDone()).toBe(true);
  });

  it('ensureSchema: the property found after a 409 is still refused when its type is wrong', async () => {
    nock(BASE).get('/crm/v3/properties/contacts/groups').reply(200, { results: [{ name: 'segsync', label: 'segsync' }] });
    nock(BASE).get('/crm/v3/properties/contacts').reply(200, { results: [] });
    nock(BASE).post('/crm/v3/properties/contacts').reply(409, propertyExists);
    nock(BASE).get('/crm/v3/properties/contacts/segsync_rfm_segment')
      .reply(200, { name: 'segsync_rfm_segment', label: 'RFM', type: 'number', fieldType: 'number', groupName: 'other' });
    await expect(destination().ensureSchema([TOKEN])).rejects.toThrow(/contact property segsync_rfm_segment exists with type number, segsync needs string/);
  });

  it('ensureSchema: a property group that exists already (409) is fine', async () => {
    nock(BASE).get('/crm/v3/properties/contacts/groups').reply(200, { results: [] });
    nock(BASE).post('/crm/v3/properties/contacts/groups').reply(409, { status: 'error', message: "Property group named 'segsync' already exists.", correlationId: 'x', category: 'OBJECT_ALREADY_EXISTS' });
    nock(BASE).get('/crm/v3/properties/contacts').reply(200, {
      results: [{ name: 'segsync_rfm_segment', label: 'RFM segment', type: 'string', fieldType: 'text', groupName: 'segsync' }],
    });
    await expect(destination().ensureSchema([TOKEN])).resolves.toBeUndefined();
  });

  const SEGMENT = { key: 'champions', name: 'Champions' } as SegmentDefinition;

  it('ensureList: a list that another process created meanwhile (409) is found by name and used', async () => {
    const byName = '/crm/v3/lists/object-type-id/0-1/name/segsync%20%C2%B7%20Champions';
    nock(BASE).get(byName).reply(404, { status: 'error', message: 'resource not found', correlationId: 'x' });
    nock(BASE).post('/crm/v3/lists').reply(409, { status: 'error', message: "A list named 'segsync · Champions' already exists.", correlationId: 'y', category: 'OBJECT_ALREADY_EXISTS' });
    nock(BASE).get(byName).reply(200, listCreated);
    await expect(destination().ensureList(SEGMENT, 'segsync · Champions')).resolves.toBe((listCreated as { list: { listId: string } }).list.listId);
  });

  it('ensureList: a list found after a conflict is still refused when it is not MANUAL', async () => {
    const byName = '/crm/v3/lists/object-type-id/0-1/name/segsync%20%C2%B7%20Champions';
    nock(BASE).get(byName).reply(404, { status: 'error', message: 'resource not found', correlationId: 'x' });
    nock(BASE).post('/crm/v3/lists').reply(400, { status: 'error', message: "A list named 'segsync · Champions' already exists.", correlationId: 'y', category: 'VALIDATION_ERROR', subCategory: 'ILS.DUPLICATE_LIST_NAMES' });
    nock(BASE).get(byName).reply(200, { list: { ...(listCreated as { list: object }).list, processingType: 'DYNAMIC' } });
    await expect(destination().ensureList(SEGMENT, 'segsync · Champions')).rejects.toThrow(/exists but is DYNAMIC/);
  });
});
