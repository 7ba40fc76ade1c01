import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotClient } from '../../connectors/hubspot/client.js';
import { ObjectPageSchema } from '../../connectors/hubspot/schemas.js';
import { testHubSpotConfig } from '../helpers/hubspot.js';
import contactsPage from '../fixtures/hubspot/contacts_page.json' with { type: 'json' };
import searchSecondly429 from '../fixtures/hubspot/error_429_search_secondly_limit.json' with { type: 'json' };
import { failure } from '../helpers/api-failure.js';

const BASE = 'https://api.hubapi.com';
const PATH = '/crm/v3/objects/contacts';
const rolling429 = {
  status: 'error',
  message: 'You have reached your ten_secondly_rolling limit.',
  errorType: 'RATE_LIMIT',
  correlationId: 'c93e06a4-0b9a-4a3c-9b2a-3e8d3f0b1c11',
  policyName: 'TEN_SECONDLY_ROLLING',
  groupName: 'publicapi:private-app:1234',
};

function client(overrides = {}) {
  const retries: Array<{ attempt: number; delayMs: number; kind: string }> = [];
  const waits: number[] = [];
  // Waits are recorded, not slept: the tests check how long the transport would wait.
  const c = new HubSpotClient(testHubSpotConfig(overrides), {
    onRetry: ({ attempt, delayMs, error }) => retries.push({ attempt, delayMs, kind: error.kind }),
  }, async (ms) => {
    waits.push(ms);
  });
  const get = () => c.request({ method: 'GET', path: PATH, qs: { limit: '100' }, schema: ObjectPageSchema, write: false });
  return { c, get, retries, waits };
}


beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('HubSpot transport against HubSpot error answers', () => {
  it('sends the private app token as a bearer token', async () => {
    const scope = nock(BASE, { reqheaders: { authorization: 'Bearer pat-test-secret-token' } })
      .get(PATH).query(true).reply(200, contactsPage);
    const { get } = client();
    const { data } = await get();
    expect(data.results).toHaveLength(2);
    expect(scope.isDone()).toBe(true);
  });

  it('fails a 401 at once as an auth error that names the call and the fix, without the token', async () => {
    const scope = nock(BASE).get(PATH).query(true).once().reply(401, {
      status: 'error',
      message: 'Authentication credentials not found.',
      correlationId: 'a1b2',
      category: 'INVALID_AUTHENTICATION',
    });
    const { c, get } = client();
    const error = await failure(get());
    expect(error.kind).toBe('auth');
    expect(error.status).toBe(401);
    expect(error.message).toContain('GET /crm/v3/objects/contacts');
    expect(error.message).toContain('HUBSPOT_ACCESS_TOKEN');
    expect(error.message).not.toContain('pat-test-secret-token');
    expect(c.transport.stats).toMatchObject({ reads: 1, retries: 0 });
    expect(scope.isDone()).toBe(true);
  });

  it('retries HubSpot\'s own ten-secondly 429 (no Retry-After) after the whole 10 s window', async () => {
    nock(BASE).get(PATH).query(true).reply(429, rolling429);
    nock(BASE).get(PATH).query(true).reply(200, contactsPage);
    const { c, get, retries, waits } = client();
    const { data } = await get();
    expect(data.results).toHaveLength(2);
    expect(c.transport.stats).toMatchObject({ reads: 2, retries: 1, throttled: 1 });
    expect(retries[0]).toMatchObject({ kind: 'rate_limited' });
    expect(waits[0]).toBeGreaterThanOrEqual(10_000);
  });

  it('retries the search API\'s secondly 429 (recorded body, no Retry-After) after a second', async () => {
    nock(BASE).get(PATH).query(true).reply(429, searchSecondly429);
    nock(BASE).get(PATH).query(true).reply(200, contactsPage);
    const { get, waits } = client();
    await get();
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(1_000);
    expect(waits[0]).toBeLessThan(10_000);
  });

  it('honours a Retry-After header on a 429 (the recorded search 429 body)', async () => {
    nock(BASE).get(PATH).query(true).reply(429, { ...rolling429, policyName: undefined }, { 'Retry-After': '3' });
    nock(BASE).get(PATH).query(true).reply(200, contactsPage);
    const { get, waits } = client();
    await get();
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(3_000);
  });

  it('retries a 500 and then succeeds', async () => {
    nock(BASE).get(PATH).query(true).reply(500, { status: 'error', message: 'internal error', correlationId: 'x' });
    nock(BASE).get(PATH).query(true).reply(200, contactsPage);
    const { c, get } = client();
    await expect(get()).resolves.toBeDefined();
    expect(c.transport.stats).toMatchObject({ reads: 2, retries: 1 });
  });

  it('gives up after the last attempt on repeated 503s, saying which call failed', async () => {
    nock(BASE).get(PATH).query(true).times(4).reply(503, 'Service Unavailable');
    const { c, get } = client();
    const error = await failure(get());
    expect(error.kind).toBe('retryable');
    expect(error.attempts).toBe(4);
    expect(error.message).toMatch(/GET \/crm\/v3\/objects\/contacts failed \(retryable 503\)/);
    expect(c.transport.stats.reads).toBe(4);
  });

  it('times out a request that does not answer, and retries it', async () => {
    nock(BASE).get(PATH).query(true).delay(1_500).reply(200, contactsPage);
    nock(BASE).get(PATH).query(true).reply(200, contactsPage);
    const { c, get, retries } = client({ timeoutMs: 300 });
    await expect(get()).resolves.toBeDefined();
    expect(retries[0]?.kind).toBe('retryable');
    expect(c.transport.stats).toMatchObject({ reads: 2, retries: 1 });
  });

  it('does not retry a 400 and reports HubSpot\'s message', async () => {
    nock(BASE).get(PATH).query(true).once().reply(400, {
      status: 'error',
      message: 'Property values were not valid',
      correlationId: 'x',
      category: 'VALIDATION_ERROR',
    });
    const { c, get } = client();
    const error = await failure(get());
    expect(error.kind).toBe('bad_request');
    expect(error.detail).toBe('Property values were not valid');
    expect(c.transport.stats.reads).toBe(1);
  });

  it('refuses a malformed page as a bad response instead of guessing', async () => {
    nock(BASE).get(PATH).query(true).reply(200, { results: 'not a list', paging: {} });
    const { get } = client();
    const error = await failure(get());
    expect(error.kind).toBe('bad_response');
    expect(error.message).toContain('results');
  });

  it('treats a daily-limit 429 as exhausted quota, not something to hammer', async () => {
    nock(BASE).get(PATH).query(true).once().reply(429, { ...rolling429, policyName: 'DAILY', message: 'You have reached your daily limit.' });
    const { c, get } = client();
    const error = await failure(get());
    expect(error.kind).toBe('quota_exhausted');
    expect(c.transport.stats.reads).toBe(1);
  });
});
