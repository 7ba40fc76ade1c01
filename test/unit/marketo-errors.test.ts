import { describe, expect, it } from 'vitest';
import { marketoConfigFromEnv } from '../../connectors/marketo/config.js';
import { HttpFailure, MalformedResponse, MarketoApiError, MarketoFailure, classifyMarketoError, kindForCode } from '../../connectors/marketo/errors.js';
import { ConfigError } from '../../src/config/errors.js';
import { TimeoutError } from '../../src/http/transport.js';

const classify = (error: unknown) => classifyMarketoError(error, 'GET /rest/v1/leads.json', { rateWindowMs: 20_000, secrets: ['s3cr3t-value'] });
const failure = (code: string, message = 'x') => new MarketoFailure([{ code, message }], 'e42b#14272d07d78');

describe('Marketo error codes map onto the shared taxonomy', () => {
  it.each([
    ['600', 'auth'], ['601', 'auth'], ['602', 'auth'], ['603', 'auth'],
    ['606', 'rate_limited'], ['615', 'rate_limited'],
    ['607', 'quota_exhausted'],
    ['604', 'retryable'], ['608', 'retryable'], ['611', 'retryable'], ['713', 'retryable'], ['502', 'retryable'],
    ['605', 'bad_request'], ['609', 'bad_request'], ['610', 'bad_request'], ['701', 'bad_request'], ['709', 'bad_request'], ['1003', 'bad_request'], ['1035', 'bad_request'],
    ['1013', 'not_found'],
  ])('%s → %s', (code, kind) => {
    expect(kindForCode(code)).toBe(kind);
    expect(classify(failure(code)).kind).toBe(kind);
  });

  it('1029 is a quota only when it says so (daily export allocation); a full queue is not', () => {
    expect(kindForCode('1029', 'Export daily quota exceeded')).toBe('quota_exhausted');
    expect(kindForCode('1029', 'Too many jobs in queue')).toBe('bad_request');
  });

  it('606 waits for the whole rolling window; 615 backs off briefly; both are retried by the transport', () => {
    const rate = classify(failure('606', "Max rate limit '100' exceeded with in '20' secs"));
    expect(rate.retryAfterMs).toBe(20_000);
    expect(rate.retryable).toBe(true);
    const concurrent = classify(failure('615', 'Concurrent access limit reached'));
    expect(concurrent.retryAfterMs).toBeUndefined();
    expect(concurrent.retryable).toBe(true);
  });

  it('keeps Marketo\'s code, message and request id, and names the call', () => {
    const error = classify(failure('1003', 'Invalid data'));
    expect(error).toBeInstanceOf(MarketoApiError);
    expect((error as MarketoApiError).code).toBe('1003');
    expect(error.status).toBe(200);
    expect(error.correlationId).toBe('e42b#14272d07d78');
    expect(error.message).toBe('marketo: GET /rest/v1/leads.json failed (bad_request 200): 1003 Invalid data.');
  });

  it('607 and 603 tell an admin what to do', () => {
    expect(classify(failure('607', 'Daily quota reached')).message).toMatch(/resets at 00:00 CST/);
    expect(classify(failure('603', 'Access denied')).message).toMatch(/role lacks a permission/);
  });

  it('HTTP-level answers: 401 from identity is auth naming the variables; 502/5xx retry; 413/414 are bad requests', () => {
    const identity = classify(new HttpFailure(401, '{"error":"invalid_client","error_description":"Bad client credentials"}', true));
    expect(identity.kind).toBe('auth');
    expect(identity.detail).toBe('invalid_client: Bad client credentials');
    expect(identity.message).toContain('MARKETO_CLIENT_ID');
    expect(classify(new HttpFailure(502, '<html>Bad Gateway</html>', false)).kind).toBe('retryable');
    expect(classify(new HttpFailure(503, '', false)).kind).toBe('retryable');
    expect(classify(new HttpFailure(414, '', false)).kind).toBe('bad_request');
    expect(classify(new HttpFailure(413, '', false)).kind).toBe('bad_request');
  });

  it('timeouts and network errors retry; a malformed answer is a bad response', () => {
    expect(classify(new TimeoutError(30_000)).kind).toBe('retryable');
    expect(classify(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })).detail).toContain('ECONNRESET');
    expect(classify(new MalformedResponse('unexpected answer shape at result')).kind).toBe('bad_response');
  });

  it('never lets the client secret through', () => {
    const error = classify(new TypeError('Failed to parse URL from https://x/identity/oauth/token?client_secret=s3cr3t-value'));
    expect(error.message).not.toContain('s3cr3t-value');
    expect(error.message).toContain('***');
  });
});

describe('Marketo settings from the environment', () => {
  const base = { MARKETO_BASE_URL: 'https://123-ABC-456.mktorest.com/rest/', MARKETO_CLIENT_ID: 'client', MARKETO_CLIENT_SECRET: 'secret-xyz' };

  it('is not configured without a client id', () => {
    expect(marketoConfigFromEnv({})).toBeUndefined();
    expect(marketoConfigFromEnv({ MARKETO_BASE_URL: 'https://x.mktorest.com' })).toBeUndefined();
  });

  it('MARKETO_ACTIVITY_BULK_EXTRACT=false keeps the first engagement pull on REST paging; another value is refused naming the setting', () => {
    const base = { MARKETO_BASE_URL: 'https://123-abc-456.mktorest.com', MARKETO_CLIENT_ID: 'id', MARKETO_CLIENT_SECRET: 'secret' };
    expect(marketoConfigFromEnv({ ...base, MARKETO_ACTIVITY_BULK_EXTRACT: 'false' })).toMatchObject({ activityBulkExtract: false });
    expect(() => marketoConfigFromEnv({ ...base, MARKETO_ACTIVITY_BULK_EXTRACT: 'no' })).toThrow(/MARKETO_ACTIVITY_BULK_EXTRACT.*true or false/s);
  });

  it('reads defaults: Marketo\'s limits, folder "segsync", the instance base without /rest', () => {
    expect(marketoConfigFromEnv(base)).toEqual({
      baseUrl: 'https://123-ABC-456.mktorest.com',
      clientId: 'client',
      clientSecret: 'secret-xyz',
      listFolder: 'segsync',
      timeoutMs: 30_000,
      rateLimit: { max: 100, intervalMs: 20_000 },
      maxConcurrency: 10,
      bulkPollMs: 60_000,
      activityHistoryDays: 365,
      activityBulkExtract: true,
    });
    expect(marketoConfigFromEnv({ ...base, MARKETO_LIST_FOLDER: 'RFM lists', MARKETO_TIMEOUT_MS: '5000', MARKETO_EXTRACT_SINCE: '2019-01-01' })).toMatchObject({
      listFolder: 'RFM lists',
      timeoutMs: 5000,
      extractSince: '2019-01-01T00:00:00.000Z',
    });
  });

  it('errors name the variable and never show the secret', () => {
    const message = (env: NodeJS.ProcessEnv) => {
      try {
        marketoConfigFromEnv(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(message({ MARKETO_CLIENT_ID: 'client', MARKETO_BASE_URL: 'https://x.mktorest.com' })).toMatch(/MARKETO_CLIENT_SECRET: is required when MARKETO_CLIENT_ID is set/);
    expect(message({ ...base, MARKETO_BASE_URL: 'not a url' })).toMatch(/MARKETO_BASE_URL: must be your instance URL/);
    expect(message({ ...base, MARKETO_BASE_URL: 'http://123-ABC-456.mktorest.com' })).toMatch(/MARKETO_BASE_URL: must use https/);
    expect(marketoConfigFromEnv({ ...base, MARKETO_BASE_URL: 'http://127.0.0.1:4010/marketo' })?.baseUrl).toBe('http://127.0.0.1:4010/marketo');
    const bad = message({ ...base, MARKETO_TIMEOUT_MS: 'soon', MARKETO_MAX_CONCURRENCY: '50' });
    expect(bad).toMatch(/MARKETO_TIMEOUT_MS/);
    expect(bad).toMatch(/MARKETO_MAX_CONCURRENCY/);
    expect(bad).not.toContain('secret-xyz');
  });
});
