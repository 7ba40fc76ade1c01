import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { ApiError } from '../../src/http/errors.js';
import { createLogger, transportLogEvents, type Logger } from '../../src/log/logger.js';
import { REDACTED, redactText, registerSecret, secretValues } from '../../src/log/redact.js';

const TOKEN = 'pat-na1-7f3c9e21-logger-test-token';
const SECRET = 'mkto-client-secret-4d2a8b';

/** A stream that keeps what was written; `isTTY` set makes it look like a terminal. */
function capture(isTTY = false) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  if (isTTY) Object.assign(stream, { isTTY: true });
  return { stream, text: () => chunks.join('') };
}

const jsonLines = (text: string) => text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

function logger(env: NodeJS.ProcessEnv = {}, options: { pretty?: boolean; isTTY?: boolean } = {}): { log: Logger; text: () => string } {
  const out = capture(options.isTTY);
  return { log: createLogger({ env, stream: out.stream, ...(options.pretty !== undefined ? { pretty: options.pretty } : {}) }), text: out.text };
}

describe('the logger', () => {
  it('writes one JSON line per entry, with level, time and msg, to a stream that is not a terminal', () => {
    const { log, text } = logger();
    log.info({ platform: 'hubspot', records: 3 }, 'pulled');
    log.warn('careful');
    const [first, second] = jsonLines(text());
    expect(first).toMatchObject({ level: 'info', msg: 'pulled', platform: 'hubspot', records: 3 });
    expect(new Date(first!.time as string).toISOString()).toBe(first!.time);
    expect(second).toMatchObject({ level: 'warn', msg: 'careful' });
  });

  it('logs at info unless SEGSYNC_LOG_LEVEL says otherwise: debug shows debug lines, info hides them', () => {
    const quiet = logger();
    quiet.log.debug({}, 'detail');
    quiet.log.info({}, 'news');
    expect(jsonLines(quiet.text()).map((l) => l.msg)).toEqual(['news']);

    const chatty = logger({ SEGSYNC_LOG_LEVEL: 'debug' });
    chatty.log.debug({}, 'detail');
    chatty.log.info({}, 'news');
    expect(jsonLines(chatty.text()).map((l) => `${l.level as string}:${l.msg as string}`)).toEqual(['debug:detail', 'info:news']);

    const silent = logger({ SEGSYNC_LOG_LEVEL: 'silent' });
    silent.log.error({}, 'nobody hears this');
    expect(silent.text()).toBe('');
  });

  it('refuses an unknown level, naming the variable and the levels it takes', () => {
    const make = () => createLogger({ env: { SEGSYNC_LOG_LEVEL: 'verbose' }, stream: capture().stream });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(/SEGSYNC_LOG_LEVEL: must be one of trace, debug, info, warn, error, silent/);
    expect(() => createLogger({ env: { SEGSYNC_LOG_FORMAT: 'xml' }, stream: capture().stream })).toThrow(/SEGSYNC_LOG_FORMAT: must be one of json, pretty/);
  });

  it('writes readable lines, not JSON, when asked for pretty or when the stream is a terminal, at once', () => {
    for (const made of [logger({}, { pretty: true }), logger({ SEGSYNC_LOG_FORMAT: 'pretty' }), logger({}, { isTTY: true })]) {
      made.log.info({ platform: 'shopify' }, 'pulled 12 customers');
      // Read without waiting: pretty runs in-process and synchronously, so no line is lost on exit.
      // eslint-disable-next-line no-control-regex
      const line = made.text().replace(/\x1b\[[0-9;]*m/g, '').trim();
      expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: pulled 12 customers/);
      expect(line).toContain('shopify');
      expect(() => JSON.parse(line)).toThrow();
    }
    const forced = logger({ SEGSYNC_LOG_FORMAT: 'json' }, { isTTY: true });
    forced.log.info({}, 'machine readable');
    expect(jsonLines(forced.text())[0]).toMatchObject({ msg: 'machine readable' });
  });
});

describe('credentials in logs', () => {
  const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, MARKETO_CLIENT_SECRET: SECRET, SEGSYNC_LOG_LEVEL: 'debug' };

  it('never appear, whether in a field, a message, an argument, an error or a child binding', () => {
    const { log, text } = logger(env);
    log.info({ accessToken: TOKEN, request: { headers: { authorization: `Bearer ${TOKEN}` } } }, 'by key');
    log.info({ deep: { a: { b: { c: { d: { clientSecret: 'not-from-env-but-named-like-one' } } } } } }, 'by key, deep down');
    log.info({ note: `the token is ${TOKEN}`, list: [SECRET] }, 'by value');
    log.info({}, `message with ${TOKEN} inside`);
    log.debug({ response: { body: JSON.stringify({ client_secret: SECRET }) } }, 'a body quoted back');
    const plain = new Error(`rejected token ${TOKEN}`);
    log.error(plain);
    log.error({ err: plain }, 'with a message of its own');
    const api = new ApiError({ platform: 'marketo', call: 'GET /identity/oauth/token', kind: 'auth', status: 401, detail: `client_secret=${SECRET} refused`, cause: new Error(TOKEN) });
    log.error({ err: api }, 'api failure');
    log.child({ platform: 'hubspot', token: TOKEN, label: TOKEN }).warn({}, 'from a child');

    const out = text();
    expect(plain.stack).toContain(TOKEN); // the original is left alone; only the logged copy is masked
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain('not-from-env-but-named-like-one');
    const lines = jsonLines(out);
    expect(lines).toHaveLength(9);
    expect(lines[0]).toMatchObject({ accessToken: REDACTED, request: { headers: { authorization: REDACTED } } });
    expect(lines[3]!.msg).toBe(`message with ${REDACTED} inside`);
    expect(lines[5]).toMatchObject({ msg: `rejected token ${REDACTED}`, err: { type: 'Error', message: `rejected token ${REDACTED}` } });
    expect((lines[5]!.err as { stack: string }).stack).toMatch(/^Error: rejected token \[redacted\]\n\s+at /);
    expect(lines[7]).toMatchObject({ err: { type: 'ApiError', platform: 'marketo', status: 401 } });
  });

  it('never appear when registered at run time, after the logger was made (Marketo\'s access token)', () => {
    const { log, text } = logger(env);
    const issued = 'c5a0e1f4-2b7d-4c1e-9a3f-6d8b0e2f1a7c:sj';
    registerSecret(issued);
    log.info({ url: `/rest/v1/leads.json?access_token=${issued}` }, `calling with ${issued}`);
    log.error(new Error(`601 Access token invalid: ${issued}`));
    expect(text()).not.toContain(issued);
    expect(text()).toContain(REDACTED);
  });

  it('never appear in pretty lines either', () => {
    const { log, text } = logger(env, { pretty: true });
    log.error({ err: new Error(`boom ${TOKEN}`), authorization: `Bearer ${TOKEN}` }, `failed with ${SECRET}`);
    expect(text()).toContain('failed with [redacted]');
    expect(text()).not.toContain(TOKEN);
    expect(text()).not.toContain(SECRET);
  });
});

describe('secret values', () => {
  it('come from the platforms\' variables, any *TOKEN, *SECRET, *PASSWORD or *KEY variable, and URL passwords', () => {
    const found = secretValues({
      HUBSPOT_ACCESS_TOKEN: TOKEN,
      MARKETO_CLIENT_ID: 'b417d98f-client-id',
      MARKETO_CLIENT_SECRET: SECRET,
      SHOPIFY_ACCESS_TOKEN: 'shpat_0123456789abcdef',
      SMTP_PASSWORD: 'hunter2-hunter2',
      OTHER_API_KEY: 'k-98765432',
      SEGSYNC_ALERT_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXX',
      PROXY: 'http://user:pr0xy-pa55@proxy.internal:3128',
      SEGSYNC_DB: './data/segsync.db',
      HUBSPOT_BASE_URL: 'https://api.hubapi.com',
      SHORT_TOKEN: 'abc',
    });
    expect(found.sort()).toEqual(
      [TOKEN, 'b417d98f-client-id', SECRET, 'shpat_0123456789abcdef', 'hunter2-hunter2', 'k-98765432', 'https://hooks.slack.com/services/T000/B000/XXXX', 'pr0xy-pa55'].sort(),
    );
  });

  it('are masked as written, JSON-escaped and URL-encoded, but only from 8 characters on', () => {
    const odd = 'sec"ret\\with/odd+chars';
    expect(redactText(`a ${odd} b`, [odd])).toBe(`a ${REDACTED} b`);
    expect(redactText(JSON.stringify({ v: odd }), [odd])).toBe(`{"v":"${REDACTED}"}`);
    expect(redactText(`?client_secret=${encodeURIComponent(odd)}&x=1`, [odd])).toBe(`?client_secret=${REDACTED}&x=1`);
    expect(redactText('port 4010 is open', ['4010'])).toBe('port 4010 is open');
  });
});

describe('transport events', () => {
  it('log a wait after a rate limit and a retry after a failure, with platform, call, status and wait', () => {
    const { log, text } = logger();
    const events = transportLogEvents(log);
    const throttled = new ApiError({ platform: 'hubspot', call: 'POST /crm/v3/objects/contacts/search', kind: 'rate_limited', status: 429, detail: 'secondly limit', retryAfterMs: 1000 });
    events.onRetry?.({ call: throttled.call, attempt: 1, delayMs: 1000, error: throttled });
    const failed = new ApiError({ platform: 'shopify', call: 'POST /admin/api/graphql.json', kind: 'retryable', status: 503, detail: 'unavailable' });
    events.onRetry?.({ call: failed.call, attempt: 2, delayMs: 750, error: failed });
    const [wait, retry] = jsonLines(text());
    expect(wait).toMatchObject({ level: 'info', platform: 'hubspot', call: 'POST /crm/v3/objects/contacts/search', status: 429, kind: 'rate_limited', waitMs: 1000 });
    expect(wait!.msg).toBe('hubspot: rate limited on POST /crm/v3/objects/contacts/search; waiting 1000 ms');
    expect(retry).toMatchObject({ level: 'info', platform: 'shopify', status: 503, attempt: 2, waitMs: 750 });
  });
});
