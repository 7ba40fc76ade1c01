import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MarketoClient } from '../../connectors/marketo/client.js';
import type { MarketoConfig } from '../../connectors/marketo/config.js';
import { createMarketoSource } from '../../connectors/marketo/source.js';
import { loadMapping } from '../../src/config/mapping.js';
import type { JsonValue, SourcePage } from '../../src/domain/connector.js';
import token from '../fixtures/marketo/token.json' with { type: 'json' };
import types from '../fixtures/marketo/activities_types.json' with { type: 'json' };
import pagingToken from '../fixtures/marketo/activities_paging_token.json' with { type: 'json' };
import page1 from '../fixtures/marketo/activities_page_1.json' with { type: 'json' };
import page2 from '../fixtures/marketo/activities_page_2.json' with { type: 'json' };
import { failure } from '../helpers/api-failure.js';
import { readFileSync } from 'node:fs';
import bulkCreate from '../fixtures/marketo/bulk_activity_export_create.json' with { type: 'json' };
import bulkEnqueue from '../fixtures/marketo/bulk_activity_export_enqueue.json' with { type: 'json' };
import bulkStatus from '../fixtures/marketo/bulk_activity_export_status.json' with { type: 'json' };

const bulkFile = readFileSync(new URL('../fixtures/marketo/bulk_activity_export_file.csv', import.meta.url), 'utf8');
const EXPORT_ID = bulkCreate.result[0]!.exportId;

const BASE = 'https://123-abc-456.mktorest.com';
const IDENTITY = { grant_type: 'client_credentials', client_id: 'cid', client_secret: 'csecret' };
const NOW = Date.parse('2023-06-01T12:00:00.000Z');
const mapping = loadMapping(new URL('../../mappings/marketo.yaml', import.meta.url).pathname);
const envelope = (code: string, message: string) => ({ requestId: 'e42b#14272d07d78', success: false, errors: [{ code, message }] });

function config(overrides: Partial<MarketoConfig> = {}): MarketoConfig {
  return {
    baseUrl: BASE, clientId: 'cid', clientSecret: 'csecret', listFolder: 'segsync', timeoutMs: 2_000,
    rateLimit: { max: 1_000, intervalMs: 300 }, maxConcurrency: 10, bulkPollMs: 10, backoff: { baseMs: 5, maxMs: 20 }, maxAttempts: 3,
    // The REST path's tests; Bulk Activity Extract has its own below.
    activityBulkExtract: false,
    ...overrides,
  };
}

async function readAll(cursor: JsonValue | undefined, overrides: Partial<MarketoConfig> = {}): Promise<SourcePage[]> {
  const source = createMarketoSource(new MarketoClient(config(overrides)), mapping, { lookbackMinutes: 10 });
  const stream = source.streams.find((s) => s.name === 'engagement')!;
  const pages: SourcePage[] = [];
  for await (const p of stream.read(cursor, { signal: new AbortController().signal, full: false, now: () => NOW })) pages.push(p);
  return pages;
}

const STANDARD_IDS = '1,2,3,7,8,9,10,11';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('Marketo engagement stream against docs-shaped activity answers', () => {
  it('first read: types by name, a paging token 365 days back, every page until moreResult is false; events keyed by marketoGUID', async () => {
    nock(BASE).get('/identity/oauth/token').query(IDENTITY).reply(200, token);
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, types);
    const since = nock(BASE).get('/rest/v1/activities/pagingtoken.json').query({ sinceDatetime: '2022-06-01T12:00:00Z' }).reply(200, pagingToken);
    nock(BASE).get('/rest/v1/activities.json').query({ activityTypeIds: STANDARD_IDS, nextPageToken: pagingToken.nextPageToken, batchSize: '300' }).reply(200, page1);
    nock(BASE).get('/rest/v1/activities.json').query({ activityTypeIds: STANDARD_IDS, nextPageToken: page1.nextPageToken, batchSize: '300' }).reply(200, page2);

    const pages = await readAll(undefined);
    expect(since.isDone()).toBe(true);
    expect(nock.isDone()).toBe(true);
    expect(pages.map((p) => p.received)).toEqual([8, 2]);
    expect(pages.every((p) => p.contacts.length === 0 && p.purchases.length === 0 && p.mode === 'full')).toBe(true);
    // The cursor: the last token, and the latest activity date read (where a refused token restarts).
    expect(pages.map((p) => p.cursor)).toEqual([
      { token: page1.nextPageToken, readThrough: Date.parse('2023-01-17T09:13:02Z') },
      { token: page2.nextPageToken, readThrough: Date.parse('2023-01-18T14:05:00Z') },
    ]);
    const events = pages.flatMap((p) => p.events ?? []);
    expect(events.map((e) => [e.key, e.contactExternalId, e.channel, e.occurredAt])).toEqual([
      ['102988', '1', 'web_visit', '2023-01-16T23:32:19.000Z'],
      ['102989', '1', 'page_view', '2023-01-16T23:33:02.000Z'],
      ['102990', '1', 'form_fill', '2023-01-16T23:34:40.000Z'],
      ['102991', '6', 'email_delivered', '2023-01-17T08:00:11.000Z'],
      ['102992', '6', 'email_open', '2023-01-17T09:12:45.000Z'],
      ['102993', '6', 'email_click', '2023-01-17T09:13:02.000Z'],
      // No marketoGUID (an older instance): the numeric id is the key.
      ['102996', '9', 'email_bounce', '2023-01-18T14:02:33.000Z'],
      // No id (an instance on the Activity Service): the GUID is.
      ['3f5ad3c8-41a7-4a02-9d7b-1b1a4c0f2e11', '9', 'unsubscribe', '2023-01-18T14:05:00.000Z'],
    ]);
    expect(events.every((e) => e.platform === 'marketo' && e.count === 1)).toBe(true);
    // The open without a lead and the New Lead activity are skipped, and said so once, at the end.
    expect(pages[0]!.warnings).toBeUndefined();
    expect(pages[1]!.warnings).toEqual(['Marketo engagement: skipped 2 activities (1 of an activity type segsync does not read, 1 without a lead id); the others were stored']);
  });

  it('a later read continues from the stored nextPageToken: no new paging token, only what came after', async () => {
    nock(BASE).get('/identity/oauth/token').query(IDENTITY).reply(200, token);
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, types);
    const fresh = nock(BASE).get('/rest/v1/activities/pagingtoken.json').query(true).reply(200, pagingToken);
    nock(BASE).get('/rest/v1/activities.json').query({ activityTypeIds: STANDARD_IDS, nextPageToken: page2.nextPageToken, batchSize: '300' })
      .reply(200, { requestId: 'x#1', success: true, nextPageToken: page2.nextPageToken, moreResult: false });
    const readThrough = Date.parse('2023-01-18T14:05:00Z');
    const pages = await readAll({ token: page2.nextPageToken, readThrough });
    expect(fresh.isDone()).toBe(false);
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ events: [], received: 0, mode: 'incremental', cursor: { token: page2.nextPageToken, readThrough } });
  });

  it('asks for the ids the instance gives these names, and says which types it lacks', async () => {
    const renumbered = { ...types, result: types.result.filter((t) => t.name !== 'Click Link').map((t) => (t.name === 'Open Email' ? { ...t, id: 610 } : t)) };
    nock(BASE).get('/identity/oauth/token').query(IDENTITY).reply(200, token);
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, renumbered);
    nock(BASE).get('/rest/v1/activities/pagingtoken.json').query(true).reply(200, pagingToken);
    nock(BASE).get('/rest/v1/activities.json').query({ activityTypeIds: '1,2,7,8,9,610,11', nextPageToken: pagingToken.nextPageToken, batchSize: '300' })
      .reply(200, { requestId: 'x#2', success: true, result: [{ marketoGUID: 'g-1', leadId: 5, activityDate: '2026-05-30T10:00:00Z', activityTypeId: 610, attributes: [] }], nextPageToken: 'END', moreResult: false });
    const pages = await readAll(undefined);
    expect(nock.isDone()).toBe(true);
    expect(pages[0]!.events).toEqual([{ platform: 'marketo', key: 'g-1', contactExternalId: '5', channel: 'email_open', occurredAt: '2026-05-30T10:00:00.000Z', count: 1 }]);
    expect(pages[0]!.warnings).toEqual(['Marketo has no activity type "Click Link" (GET /rest/v1/activities/types.json): those events are not read']);
  });

  it('MARKETO_ACTIVITY_HISTORY_DAYS sets how far back the first read starts', async () => {
    nock(BASE).get('/identity/oauth/token').query(IDENTITY).reply(200, token);
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, types);
    const since = nock(BASE).get('/rest/v1/activities/pagingtoken.json').query({ sinceDatetime: '2023-05-02T12:00:00Z' }).reply(200, pagingToken);
    nock(BASE).get('/rest/v1/activities.json').query(true).reply(200, { requestId: 'x#3', success: true, nextPageToken: 'END', moreResult: false });
    await readAll(undefined, { activityHistoryDays: 30 });
    expect(since.isDone()).toBe(true);
  });

  it('606 mid-stream waits for the window and goes on; a refused call (1003) fails the read naming the call and code', async () => {
    nock(BASE).get('/identity/oauth/token').query(IDENTITY).reply(200, token);
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, types);
    nock(BASE).get('/rest/v1/activities/pagingtoken.json').query(true).reply(200, pagingToken);
    nock(BASE).get('/rest/v1/activities.json').query(true).reply(200, page1);
    nock(BASE).get('/rest/v1/activities.json').query(true).reply(200, envelope('606', "Max rate limit '100' exceeded with in '20' secs"));
    nock(BASE).get('/rest/v1/activities.json').query(true).reply(200, page2);
    const pages = await readAll(undefined);
    expect(pages.flatMap((p) => p.events ?? [])).toHaveLength(8);

    nock(BASE).get('/identity/oauth/token').query(IDENTITY).reply(200, token);
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, types);
    nock(BASE).get('/rest/v1/activities/pagingtoken.json').query(true).reply(200, pagingToken);
    nock(BASE).get('/rest/v1/activities.json').query(true).reply(200, envelope('1003', 'Invalid activityTypeIds'));
    const error = await failure(readAll(undefined));
    expect(error.message).toContain('GET /rest/v1/activities.json');
    expect(error.message).toContain('1003');
  });

  it('a stored token Marketo refuses: read again once from the latest activity stored minus the lookback, and say so', async () => {
    const readThrough = Date.parse('2023-05-20T08:30:00Z');
    nock(BASE).get('/identity/oauth/token').query(IDENTITY).reply(200, token);
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, types);
    nock(BASE).get('/rest/v1/activities.json').query((q) => q.nextPageToken === 'expired-token').reply(200, envelope('1003', 'Invalid nextPageToken'));
    const again = nock(BASE).get('/rest/v1/activities/pagingtoken.json').query({ sinceDatetime: '2023-05-20T08:20:00Z' }).reply(200, pagingToken);
    nock(BASE).get('/rest/v1/activities.json').query((q) => q.nextPageToken === pagingToken.nextPageToken).reply(200, page2);
    const pages = await readAll({ token: 'expired-token', readThrough });
    expect(again.isDone()).toBe(true);
    expect(pages.flatMap((p) => p.events ?? []).map((e) => e.channel)).toEqual(['email_bounce', 'unsubscribe']);
    expect(pages[0]!.warnings).toEqual(['Marketo refused the stored activities paging token (1003 Invalid nextPageToken): read again from 2023-05-20T08:20:00Z']);
    // A second refusal in the same read is not retried.
    nock(BASE).get('/identity/oauth/token').query(IDENTITY).reply(200, token);
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, types);
    nock(BASE).get('/rest/v1/activities.json').query(true).twice().reply(200, envelope('1003', 'Invalid nextPageToken'));
    nock(BASE).get('/rest/v1/activities/pagingtoken.json').query(true).reply(200, pagingToken);
    expect((await failure(readAll({ token: 'expired-token', readThrough }))).message).toContain('1003');
  });
});

describe('Marketo engagement first read through Bulk Activity Extract (docs-shaped answers)', () => {
  const BULK = { activityBulkExtract: true, activityHistoryDays: 20 };
  const WINDOW = { startAt: '2023-05-12T12:00:00Z', endAt: '2023-06-01T12:00:00Z' };
  const auth = () => nock(BASE).get('/identity/oauth/token').query(IDENTITY).reply(200, token);

  it('creates a job for the window and the eight types, enqueues, polls, downloads the CSV; events keyed by marketoGUID; then a REST token at the end of the window', async () => {
    auth();
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, types);
    let body: unknown;
    nock(BASE).post('/bulk/v1/activities/export/create.json', (b: unknown) => { body = b; return true; }).reply(200, bulkCreate);
    nock(BASE).post(`/bulk/v1/activities/export/${EXPORT_ID}/enqueue.json`).reply(200, bulkEnqueue);
    nock(BASE).get(`/bulk/v1/activities/export/${EXPORT_ID}/status.json`).reply(200, bulkStatus);
    nock(BASE).get(`/bulk/v1/activities/export/${EXPORT_ID}/file.json`).reply(200, bulkFile, { 'Content-Type': 'text/csv' });
    nock(BASE).get('/rest/v1/activities/pagingtoken.json').query({ sinceDatetime: WINDOW.endAt }).reply(200, pagingToken);

    const pages = await readAll(undefined, BULK);
    expect(nock.isDone()).toBe(true);
    expect(body).toEqual({
      fields: ['marketoGUID', 'leadId', 'activityDate', 'activityTypeId'],
      format: 'CSV',
      filter: { createdAt: WINDOW, activityTypeIds: [1, 2, 3, 7, 8, 9, 10, 11] },
    });
    expect(pages.flatMap((p) => p.events ?? [])).toEqual([
      { platform: 'marketo', key: '783957693', contactExternalId: '5414087', channel: 'email_open', occurredAt: '2023-02-13T14:06:20.000Z', count: 1 },
      { platform: 'marketo', key: '783958220', contactExternalId: '5414094', channel: 'web_visit', occurredAt: '2023-02-13T14:08:50.000Z', count: 1 },
      { platform: 'marketo', key: '783958306', contactExternalId: '5414094', channel: 'form_fill', occurredAt: '2023-02-13T14:09:16.000Z', count: 1 },
    ]);
    expect(pages.every((p) => p.mode === 'full')).toBe(true);
    // The same cursor shape as the REST path: the next read pages from this token.
    expect(pages.at(-1)!.cursor).toEqual({ token: pagingToken.nextPageToken, readThrough: Date.parse(WINDOW.endAt) });
    expect(pages.at(-1)!.warnings).toEqual([expect.stringMatching(/skipped 1 activity \(1 of an activity type segsync does not read\)/)]);
  });

  it('a job that ends Failed is made again; after three the read fails naming the job', async () => {
    auth();
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, types);
    const failed = { ...bulkStatus, result: [{ ...bulkStatus.result[0]!, status: 'Failed', errorMsg: 'Internal error' }] };
    nock(BASE).post('/bulk/v1/activities/export/create.json').times(3).reply(200, bulkCreate);
    nock(BASE).post(`/bulk/v1/activities/export/${EXPORT_ID}/enqueue.json`).times(3).reply(200, bulkEnqueue);
    nock(BASE).get(`/bulk/v1/activities/export/${EXPORT_ID}/status.json`).times(3).reply(200, failed);
    const error = await failure(readAll(undefined, BULK));
    expect(error.message).toContain(EXPORT_ID);
    expect(error.message).toMatch(/activities created 2023-05-12T12:00:00Z\.\.2023-06-01T12:00:00Z ended Failed: Internal error/);
    expect(nock.isDone()).toBe(true);
  });

  it('a full queue (1029 Too many jobs in queue) waits and enqueues again', async () => {
    auth();
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, types);
    nock(BASE).post('/bulk/v1/activities/export/create.json').reply(200, bulkCreate);
    nock(BASE).post(`/bulk/v1/activities/export/${EXPORT_ID}/enqueue.json`).reply(200, envelope('1029', 'Too many jobs in queue'));
    nock(BASE).post(`/bulk/v1/activities/export/${EXPORT_ID}/enqueue.json`).reply(200, bulkEnqueue);
    nock(BASE).get(`/bulk/v1/activities/export/${EXPORT_ID}/status.json`).reply(200, bulkStatus);
    nock(BASE).get(`/bulk/v1/activities/export/${EXPORT_ID}/file.json`).reply(200, bulkFile, { 'Content-Type': 'text/csv' });
    nock(BASE).get('/rest/v1/activities/pagingtoken.json').query({ sinceDatetime: WINDOW.endAt }).reply(200, pagingToken);
    const pages = await readAll(undefined, BULK);
    expect(nock.isDone()).toBe(true);
    expect(pages.flatMap((p) => p.events ?? [])).toHaveLength(3);
  });

  it('a refused bulk API (603 Access denied) falls back to REST paging with a warning', async () => {
    auth();
    nock(BASE).get('/rest/v1/activities/types.json').reply(200, types);
    nock(BASE).post('/bulk/v1/activities/export/create.json').reply(200, envelope('603', 'Access denied'));
    nock(BASE).get('/rest/v1/activities/pagingtoken.json').query({ sinceDatetime: WINDOW.startAt }).reply(200, pagingToken);
    nock(BASE).get('/rest/v1/activities.json').query({ activityTypeIds: STANDARD_IDS, nextPageToken: pagingToken.nextPageToken, batchSize: '300' }).reply(200, page1);
    nock(BASE).get('/rest/v1/activities.json').query({ activityTypeIds: STANDARD_IDS, nextPageToken: page1.nextPageToken, batchSize: '300' }).reply(200, page2);
    const pages = await readAll(undefined, BULK);
    expect(nock.isDone()).toBe(true);
    expect(pages.map((p) => p.received)).toEqual([8, 2]);
    expect(pages.at(-1)!.cursor).toMatchObject({ token: page2.nextPageToken });
    expect(pages.at(-1)!.warnings).toContainEqual(expect.stringMatching(/refused Bulk Activity Extract \(603.*REST API instead/));
  });
});
