import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MarketoClient } from '../../connectors/marketo/client.js';
import type { MarketoConfig } from '../../connectors/marketo/config.js';
import { createMarketoDestination } from '../../connectors/marketo/destination.js';
import { LeadsPageSchema, OpportunitiesPageSchema } from '../../connectors/marketo/schemas.js';
import { loadMapping } from '../../src/config/mapping.js';
import token from '../fixtures/marketo/token.json' with { type: 'json' };
import leadsByEmail from '../fixtures/marketo/leads_get_by_email.json' with { type: 'json' };
import error601 from '../fixtures/marketo/error_601_access_token_invalid.json' with { type: 'json' };
import error602 from '../fixtures/marketo/error_602_access_token_expired.json' with { type: 'json' };
import upsertMixed from '../fixtures/marketo/leads_upsert_updated_and_skipped_1003.json' with { type: 'json' };
import describeLeads from '../fixtures/marketo/leads_describe.json' with { type: 'json' };
import listAdded from '../fixtures/marketo/list_add_leads_added.json' with { type: 'json' };
import listRemoved from '../fixtures/marketo/list_remove_leads_removed_and_skipped_1015.json' with { type: 'json' };
import listNotFound from '../fixtures/marketo/asset_static_list_by_name_not_found.json' with { type: 'json' };
import folderByName from '../fixtures/marketo/asset_folder_by_name.json' with { type: 'json' };
import listCreated from '../fixtures/marketo/asset_static_list_create.json' with { type: 'json' };
import invalidClient from '../fixtures/marketo/token_error_invalid_client.json' with { type: 'json' };
import { failure } from '../helpers/api-failure.js';

const BASE = 'https://123-abc-456.mktorest.com';
const SECRET = 'csecret-do-not-leak';
const IDENTITY = { grant_type: 'client_credentials', client_id: 'cid', client_secret: SECRET };
const LEADS = '/rest/v1/leads.json';
const mapping = loadMapping(new URL('../../mappings/marketo.yaml', import.meta.url).pathname);
const envelope = (code: string, message: string) => ({ requestId: 'e42b#14272d07d78', success: false, errors: [{ code, message }] });

function config(overrides: Partial<MarketoConfig> = {}): MarketoConfig {
  return {
    baseUrl: BASE,
    clientId: 'cid',
    clientSecret: SECRET,
    listFolder: 'segsync',
    timeoutMs: 2_000,
    rateLimit: { max: 1_000, intervalMs: 1_000 },
    maxConcurrency: 10,
    bulkPollMs: 10,
    backoff: { baseMs: 5, maxMs: 20 },
    maxAttempts: 4,
    ...overrides,
  };
}

function client(overrides: Partial<MarketoConfig> = {}) {
  const retries: Array<{ attempt: number; delayMs: number; kind: string }> = [];
  const c = new MarketoClient(config(overrides), { onRetry: ({ attempt, delayMs, error }) => retries.push({ attempt, delayMs, kind: error.kind }) });
  const get = () => c.request({ method: 'GET', path: LEADS, qs: { filterType: 'email', filterValues: 'brian@bleonard.com' }, schema: LeadsPageSchema, write: false });
  return { c, get, retries };
}

const identity = (body: object = token, times = 1) => nock(BASE).get('/identity/oauth/token').query(IDENTITY).times(times).reply(200, body);


beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('Marketo client: auth', () => {
  it('fetches a token once, caches it, and sends it as a bearer token', async () => {
    const id = identity();
    const api = nock(BASE, { reqheaders: { authorization: 'Bearer my-access-token' } }).get(LEADS).query(true).twice().reply(200, leadsByEmail);
    const { c, get } = client();
    expect((await get()).result).toHaveLength(1);
    await get();
    expect(id.isDone() && api.isDone()).toBe(true);
    expect(c.tokensFetched).toBe(1);
  });

  it.each([
    ['601 (token invalid)', error601],
    ['602 (token expired)', error602],
  ])('%s: fetches a new token and retries the call once', async (_name, body) => {
    identity();
    nock(BASE).get(LEADS).query(true).reply(200, body);
    identity({ ...token, access_token: 'second-token' });
    nock(BASE, { reqheaders: { authorization: 'Bearer second-token' } }).get(LEADS).query(true).reply(200, leadsByEmail);
    const { c, get } = client();
    expect((await get()).success).toBe(true);
    expect(c.tokensFetched).toBe(2);
    // Not a transport retry: 601/602 answers cost nothing against Marketo's limits.
    expect(c.transport.stats).toMatchObject({ reads: 1, retries: 0 });
    expect(nock.isDone()).toBe(true);
  });

  it('gives up with an auth error when the fresh token is refused too (only one retry)', async () => {
    identity(token, 2);
    nock(BASE).get(LEADS).query(true).twice().reply(200, error602);
    const { get } = client();
    const error = await failure(get());
    expect(error.kind).toBe('auth');
    expect(error.detail).toBe('602 Access token expired');
    expect(nock.isDone()).toBe(true);
  });

  it('bad client credentials (HTTP 401) fail at once, naming the variables and never the secret', async () => {
    nock(BASE).get('/identity/oauth/token').query(IDENTITY).reply(401, invalidClient);
    const { get } = client();
    const error = await failure(get());
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('GET /identity/oauth/token');
    expect(error.message).toContain('MARKETO_CLIENT_SECRET');
    expect(error.message).not.toContain(SECRET);
  });
});

describe('Marketo client: limits and transient errors', () => {
  it('606: waits for the rolling window, then succeeds', async () => {
    identity();
    nock(BASE).get(LEADS).query(true).reply(200, envelope('606', "Max rate limit '100' exceeded with in '20' secs"));
    nock(BASE).get(LEADS).query(true).reply(200, leadsByEmail);
    const { c, get, retries } = client({ rateLimit: { max: 1_000, intervalMs: 300 } });
    await get();
    expect(c.transport.stats).toMatchObject({ reads: 2, retries: 1, throttled: 1 });
    expect(retries[0]).toMatchObject({ kind: 'rate_limited' });
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(300);
  });

  it('615: backs off briefly, then succeeds', async () => {
    identity();
    nock(BASE).get(LEADS).query(true).reply(200, envelope('615', 'Concurrent access limit reached'));
    nock(BASE).get(LEADS).query(true).reply(200, leadsByEmail);
    const { c, get, retries } = client();
    await get();
    expect(c.transport.stats).toMatchObject({ reads: 2, retries: 1, throttled: 1 });
    expect(retries[0]!.delayMs).toBeLessThan(100);
  });

  it.each(['604', '608', '611', '713'])('%s: retried with backoff', async (code) => {
    identity();
    nock(BASE).get(LEADS).query(true).reply(200, envelope(code, 'transient'));
    nock(BASE).get(LEADS).query(true).reply(200, leadsByEmail);
    const { c, get } = client();
    await get();
    expect(c.transport.stats).toMatchObject({ reads: 2, retries: 1, throttled: 0 });
  });

  it('HTTP 502 is retried; repeated 5xx give up after the last attempt, naming the call', async () => {
    identity();
    nock(BASE).get(LEADS).query(true).reply(502, '<html>Bad Gateway</html>');
    nock(BASE).get(LEADS).query(true).reply(200, leadsByEmail);
    const first = client();
    await first.get();
    expect(first.c.transport.stats).toMatchObject({ reads: 2, retries: 1 });

    identity();
    nock(BASE).get(LEADS).query(true).times(4).reply(503, 'Service Unavailable');
    const { c, get } = client();
    const error = await failure(get());
    expect(error.kind).toBe('retryable');
    expect(error.attempts).toBe(4);
    expect(error.message).toMatch(/GET \/rest\/v1\/leads\.json failed \(retryable 503\)/);
    expect(c.transport.stats.reads).toBe(4);
  });

  it('607 (daily quota) stops at once instead of hammering', async () => {
    identity();
    nock(BASE).get(LEADS).query(true).once().reply(200, envelope('607', 'Daily quota reached'));
    const { c, get } = client();
    const error = await failure(get());
    expect(error.kind).toBe('quota_exhausted');
    expect(c.transport.stats.reads).toBe(1);
  });

  it('a malformed page is a bad response, not a guess', async () => {
    identity();
    nock(BASE).get(LEADS).query(true).reply(200, { requestId: 'x', success: true, result: 'not a list' });
    const { get } = client();
    const error = await failure(get());
    expect(error.kind).toBe('bad_response');
    expect(error.message).toContain('result');
    identity();
    nock(BASE).get(LEADS).query(true).reply(200, '<html>maintenance</html>');
    expect((await failure(client().get())).kind).toBe('bad_response');
  });

  it('a GET whose URI would pass 8 KB goes as POST with _method=GET (error-codes docs)', async () => {
    identity();
    const guids = Array.from({ length: 300 }, (_, i) => `dff23271-f996-47d7-984f-${String(i).padStart(12, '0')}`);
    const scope = nock(BASE)
      .post('/rest/v1/opportunities.json', (body: string) => new URLSearchParams(body).get('filterValues') === guids.join(','))
      .query({ _method: 'GET' })
      .reply(200, { requestId: 'x', success: true, result: [] });
    const { c } = client();
    await c.request({ method: 'GET', path: '/rest/v1/opportunities.json', qs: { filterType: 'marketoGUID', filterValues: guids.join(',') }, schema: OpportunitiesPageSchema, write: false });
    expect(scope.isDone()).toBe(true);
  });
});

describe('Marketo destination against recorded answers', () => {
  it('a mixed upsert: updated rows are applied, a skipped row (no id) fails with Marketo\'s reason', async () => {
    identity();
    nock(BASE).get('/rest/v1/leads/describe.json').reply(200, describeLeads);
    let sent: unknown;
    nock(BASE).post(LEADS, (body: unknown) => ((sent = body), true)).reply(200, upsertMixed);
    const { c } = client();
    const destination = createMarketoDestination(c, mapping);
    const result = await destination.apply({
      kind: 'tokens',
      updates: [
        { externalId: '7149', values: { segsyncRfmSegment: 'champions', segsyncRfmScore: '' } },
        { externalId: '7151', values: { segsyncRfmSegment: 'lost' } },
      ],
    });
    expect(result).toEqual({ applied: ['7149'], failed: [{ externalId: '7151', reason: "1003 Invalid value for field 'email_field' and value 'bademail'" }] });
    expect(sent).toEqual({ action: 'updateOnly', lookupField: 'id', input: [{ id: 7149, segsyncRfmSegment: 'champions', segsyncRfmScore: null }, { id: 7151, segsyncRfmSegment: 'lost' }] });
  });

  it('list membership: added rows applied; "Lead not in list" (1015) counts as already removed', async () => {
    identity();
    nock(BASE).post('/rest/v1/lists/1159/leads.json', { input: [{ id: 7149 }, { id: 7150 }] }).reply(200, listAdded);
    nock(BASE).delete('/rest/v1/lists/1160/leads.json').query({ id: ['7149', '7150'] }).reply(200, listRemoved);
    const destination = createMarketoDestination(client().c, mapping);
    expect(await destination.apply({ kind: 'list_add', listId: '1159', externalIds: ['7149', '7150'] })).toEqual({ applied: ['7149', '7150'], failed: [] });
    expect(await destination.apply({ kind: 'list_remove', listId: '1160', externalIds: ['7149', '7150'] })).toEqual({ applied: ['7149', '7150'], failed: [] });
    expect(destination.capabilities.maxBatch).toEqual({ listMembers: 300, tokens: 300 });
  });

  it('ensureList: a name lookup that finds nothing (success with a warning) creates the list in the configured folder', async () => {
    identity();
    nock(BASE).get('/rest/asset/v1/staticList/byName.json').query({ name: '(test) High Value' }).reply(200, listNotFound);
    nock(BASE).get('/rest/asset/v1/folder/byName.json').query({ name: 'Group Lists', type: 'Folder' }).reply(200, folderByName);
    let form: URLSearchParams | undefined;
    nock(BASE).post('/rest/asset/v1/staticLists.json', (body: string) => ((form = new URLSearchParams(body)), true)).reply(200, listCreated);
    const destination = createMarketoDestination(client({ listFolder: 'Group Lists' }).c, mapping);
    const id = await destination.ensureList({ key: 'champions', name: 'High Value', kind: 'rfm', description: '' }, '(test) High Value');
    expect(id).toBe('1159');
    expect(form?.get('name')).toBe('(test) High Value');
    expect(JSON.parse(form?.get('folder') ?? '{}')).toEqual({ id: 12, type: 'Folder' });
    expect(nock.isDone()).toBe(true);
  });

  it('ensureSchema refused with 603 names every field an admin must create, with its type', async () => {
    identity();
    nock(BASE).get('/rest/v1/leads/describe.json').reply(200, describeLeads);
    nock(BASE).post('/rest/v1/leads/schema/fields.json').reply(200, envelope('603', 'Access denied'));
    const destination = createMarketoDestination(client().c, mapping);
    const error = await failure(destination.ensureSchema([
      { key: 'rfm_segment', label: 'RFM segment', description: '', type: 'enumeration', options: [] },
      { key: 'rfm_r', label: 'RFM recency score', description: '', type: 'number' },
      { key: 'unmapped_token', label: 'Nobody', description: '', type: 'string' },
    ]));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('segsyncRfmSegment (String, "segsync RFM segment")');
    expect(error.message).toContain('segsyncRfmR (Integer, "segsync RFM recency score")');
    expect(error.message).toContain('Read-Write Schema Custom Field');
    expect(destination.tokenField('unmapped_token')).toBeUndefined();
  });
});

describe('Marketo source against Marketo answers', () => {
  it('an instance with native CRM sync (roles answer 1018) yields a warning instead of failing the pull', async () => {
    identity();
    nock(BASE).get('/rest/v1/activities/pagingtoken.json').query(true).reply(200, { requestId: 'a', success: true, nextPageToken: 'GIYDAOBNGEYS2MBWKQYDAORQGA5DAMBOGAYDAKZQGAYDALBQ' });
    nock(BASE).get('/rest/v1/activities.json').query((q) => q.activityTypeIds === '34,35,36').reply(200, {
      requestId: 'b',
      success: true,
      nextPageToken: 'GIYDAOBNGEYS2MBWKQYDAORQGA5DAMBOGAYDAKZQGAYDALBRGA3TQ===',
      moreResult: false,
      result: [{ id: 2, marketoGUID: '2', leadId: 775, activityDate: '2026-01-02T03:04:05Z', activityTypeId: 34, primaryAttributeValue: 'Chairs', attributes: [] }],
    });
    nock(BASE).get('/rest/v1/opportunities/roles.json').query(true).reply(200, envelope('1018', 'CRM Enabled'));
    const { createMarketoSource } = await import('../../connectors/marketo/source.js');
    const source = createMarketoSource(client().c, mapping, { lookbackMinutes: 0 });
    const pages = [];
    for await (const page of source.streams[1]!.read({ phase: 'incremental', since: Date.parse('2026-01-01T00:00:00Z') }, { signal: new AbortController().signal, full: false, now: () => Date.parse('2026-02-01T00:00:00Z') })) pages.push(page);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.purchases).toEqual([]);
    expect(pages[0]!.warnings?.[0]).toMatch(/1018 CRM Enabled for opportunity roles/);
    expect(pages[0]!.cursor).toEqual({ phase: 'incremental', since: Date.parse('2026-02-01T00:00:00Z') });
  });
});
