/**
 * Issue 13 (HubSpot): engagement counters' property history → dated events. Checked against
 * answers in HubSpot's shape (test/fixtures/hubspot/SOURCE.md, "Property history"): every rise
 * between consecutive entries is one event at the entry's timestamp, the first entry rises from 0
 * (an unset one is 0), a fall emits nothing and is counted in a warning; the reads ask for history
 * at most 50 records a request, and HubSpot's 429 and 400 answers are handled like every other call.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotClient } from '../../connectors/hubspot/client.js';
import { eventsFromHistory, trackedProperties } from '../../connectors/hubspot/engagement.js';
import { createHubSpotSource } from '../../connectors/hubspot/source.js';
import { loadMapping, type Mapping } from '../../src/config/mapping.js';
import { ConfigError } from '../../src/config/errors.js';
import type { SourcePage } from '../../src/domain/connector.js';
import { ApiError } from '../../src/http/errors.js';
import { testHubSpotConfig } from '../helpers/hubspot.js';
import modelled from '../fixtures/hubspot/contacts_page_with_counter_history_MODELLED.json' with { type: 'json' };
import recorded from '../fixtures/hubspot/contacts_page_with_history_and_associations.json' with { type: 'json' };

const BASE = 'https://api.hubapi.com';
const mapping = loadMapping('mappings/hubspot.yaml');
const NOW = Date.parse('2026-06-01T00:00:00.000Z');

function engagementStream(waits: number[] = []) {
  const client = new HubSpotClient(testHubSpotConfig(), {}, async (ms) => {
    waits.push(ms);
  });
  const stream = createHubSpotSource(client, mapping, { lookbackMinutes: 0 }).streams.find((s) => s.name === 'engagement');
  if (!stream) throw new Error('no engagement stream');
  return stream;
}

async function readAll(stream: ReturnType<typeof engagementStream>, cursor: unknown, full: boolean): Promise<SourcePage[]> {
  const pages: SourcePage[] = [];
  for await (const p of stream.read(cursor as never, { signal: new AbortController().signal, full, now: () => NOW })) pages.push(p);
  return pages;
}

const summary = (pages: SourcePage[]) =>
  pages.flatMap((p) => p.events ?? []).map((e) => `${e.contactExternalId} ${e.channel} ${e.occurredAt} ${e.count}`).sort();

const EXPECTED = [
  '1 email_open 2026-02-01T09:30:00.000Z 2',
  '1 email_open 2026-03-10T12:15:00.000Z 3',
  '1 email_open 2026-05-02T16:45:10.204Z 3',
  '51 sales_email_reply 2026-03-02T14:00:00.000Z 1',
  '51 sales_email_reply 2026-05-20T09:00:00.000Z 1',
  '51 web_visit 2026-04-15T08:30:00.000Z 7',
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('HubSpot property history → engagement events', () => {
  it('turns each rise into one event at its timestamp: the unset first entry is 0, a fall emits nothing and is counted', () => {
    const read = eventsFromHistory(modelled.results, trackedProperties(mapping));
    expect(summary([{ contacts: [], purchases: [], quarantined: [], received: 2, cursor: null, events: read.events }])).toEqual(EXPECTED);
    expect(read.falls).toBe(1);
    expect(read.unreadable).toBe(0);
    const open = read.events.find((e) => e.occurredAt === '2026-02-01T09:30:00.000Z')!;
    // Stable across reads: the property, the contact and the entry's timestamp.
    expect(open.key).toBe('hs_email_open:1:2026-02-01T09:30:00.000Z');
    expect(read.events.every((e) => e.platform === 'hubspot')).toBe(true);
  });

  it('gives the same events whatever order the history is listed in (HubSpot lists newest first)', () => {
    const reversed = modelled.results.map((r) => ({
      ...r,
      propertiesWithHistory: Object.fromEntries(Object.entries(r.propertiesWithHistory).map(([k, v]) => [k, [...v].reverse()])),
    }));
    const tracked = trackedProperties(mapping);
    expect(eventsFromHistory(reversed, tracked).events.map((e) => e.key).sort()).toEqual(eventsFromHistory(modelled.results, tracked).events.map((e) => e.key).sort());
  });

  it('reads the recorded answer with history: valid contacts, a counter at 0 and never-set properties ([]) give no events', () => {
    const zeroCounter: Mapping = { ...mapping, contacts: { ...mapping.contacts, attributes: { webVisits: 'hs_analytics_num_event_completions', pageViews: 'address' } } };
    const read = eventsFromHistory(recorded.results, trackedProperties(zeroCounter));
    expect(read).toEqual({ events: [], falls: 0, unreadable: 0, malformed: 0 });
  });

  it('a full read lists contacts 50 a page with the mapped counters\' history, follows paging, and warns once about the fall', async () => {
    const asked: URLSearchParams[] = [];
    nock(BASE).get('/crm/v3/objects/contacts').query((q) => {
      asked.push(new URLSearchParams(q as Record<string, string>));
      return true;
    }).times(2).reply(200, (uri) => (uri.includes('after=') ? { results: [modelled.results[1]] } : { results: [modelled.results[0]], paging: { next: { after: '51' } } }));
    const pages = await readAll(engagementStream(), undefined, true);
    expect(summary(pages)).toEqual(EXPECTED);
    expect(asked.map((q) => q.get('limit'))).toEqual(['50', '50']);
    expect(asked[1]!.get('after')).toBe('51');
    expect(asked[0]!.get('propertiesWithHistory')!.split(',').sort()).toEqual([
      'hs_analytics_num_page_views', 'hs_analytics_num_visits', 'hs_email_bounce', 'hs_email_click', 'hs_email_delivered', 'hs_email_open',
      'hs_sales_email_last_replied', 'num_conversion_events',
    ]);
    expect(pages.flatMap((p) => p.warnings ?? [])).toEqual([expect.stringContaining('1 fall of an engagement counter')]);
    expect(pages.at(-1)!.cursor).toEqual({ phase: 'incremental', since: NOW });
  });

  it('an incremental read searches contacts modified since the cursor and batch-reads their history 50 ids at a time', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => String(1000 + i));
    nock(BASE).post('/crm/v3/objects/contacts/search').reply(200, {
      total: ids.length,
      results: ids.map((id) => ({ id, properties: { lastmodifieddate: '2026-05-31T10:00:00.000Z', hs_object_id: id }, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-05-31T10:00:00.000Z', archived: false })),
    });
    const batches: Array<{ inputs: Array<{ id: string }>; propertiesWithHistory: string[] }> = [];
    nock(BASE).post('/crm/v3/objects/contacts/batch/read').times(3).reply(200, (_uri, body) => {
      const b = body as { inputs: Array<{ id: string }>; propertiesWithHistory: string[] };
      batches.push(b);
      const results = b.inputs.map(({ id }) => ({ ...modelled.results[1]!, id }));
      return { status: 'COMPLETE', results, startedAt: '2026-06-01T00:00:00.000Z', completedAt: '2026-06-01T00:00:00.100Z' };
    });
    const pages = await readAll(engagementStream(), { phase: 'incremental', since: Date.parse('2026-05-30T00:00:00.000Z') }, false);
    expect(batches.map((b) => b.inputs.length)).toEqual([50, 50, 20]);
    expect(batches.flatMap((b) => b.inputs.map((i) => i.id))).toEqual(ids);
    expect(batches[0]!.propertiesWithHistory).toContain('hs_analytics_num_visits');
    // Three events per contact (7 visits at once, two sales replies).
    expect(pages.flatMap((p) => p.events ?? [])).toHaveLength(120 * 3);
    expect(pages.at(-1)!.cursor).toEqual({ phase: 'incremental', since: Date.parse('2026-05-31T10:00:00.000Z') });
  });

  it('waits out a 429 with Retry-After and goes on, as every HubSpot call does', async () => {
    nock(BASE).get('/crm/v3/objects/contacts').query(true).reply(429, { status: 'error', message: 'You have reached your secondly limit.', category: 'RATE_LIMITS' }, { 'Retry-After': '2' });
    nock(BASE).get('/crm/v3/objects/contacts').query(true).reply(200, modelled);
    const waits: number[] = [];
    const pages = await readAll(engagementStream(waits), undefined, true);
    expect(summary(pages)).toEqual(EXPECTED);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(2_000);
  });

  it('fails on HubSpot\'s 400 for too many records with history, naming the call and HubSpot\'s message, without retrying', async () => {
    nock(BASE).post('/crm/v3/objects/contacts/search').reply(200, { total: 1, results: [{ id: '1', properties: { lastmodifieddate: '2026-05-31T10:00:00.000Z' }, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-05-31T10:00:00.000Z' }] });
    const scope = nock(BASE).post('/crm/v3/objects/contacts/batch/read').once().reply(400, {
      status: 'error',
      message: 'The maximum number of inputs supported in a batch request for property histories is 50. Please reduce the number of items and try again',
      correlationId: 'redacted',
      category: 'VALIDATION_ERROR',
    });
    const error = await readAll(engagementStream(), { phase: 'incremental', since: 0 }, false).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain('POST /crm/v3/objects/contacts/batch/read');
    expect((error as ApiError).message).toContain('property histories is 50');
    expect(scope.isDone()).toBe(true);
  });
});

describe('which properties the engagement stream reads (mappings/hubspot.yaml contacts.attributes)', () => {
  it('reads the eight HubSpot engagement properties of the default mapping, each with its channel', () => {
    expect(trackedProperties(mapping).map((t) => `${t.key}=${t.property}:${t.channel}`)).toEqual([
      'contacts.attributes.emailsDelivered=hs_email_delivered:email_delivered',
      'contacts.attributes.emailOpens=hs_email_open:email_open',
      'contacts.attributes.emailClicks=hs_email_click:email_click',
      'contacts.attributes.emailBounces=hs_email_bounce:email_bounce',
      'contacts.attributes.webVisits=hs_analytics_num_visits:web_visit',
      'contacts.attributes.pageViews=hs_analytics_num_page_views:page_view',
      'contacts.attributes.formSubmissions=num_conversion_events:form_fill',
      'contacts.attributes.lastSalesEmailReplyAt=hs_sales_email_last_replied:sales_email_reply',
    ]);
  });

  it('refuses a company property or one property mapped to two channels, naming each key and the fix', () => {
    const bad: Mapping = { ...mapping, contacts: { ...mapping.contacts, attributes: { ...mapping.contacts.attributes, emailOpens: 'company.opens', emailClicks: 'hs_email_delivered' } } };
    let error: unknown;
    try {
      trackedProperties(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('contacts.attributes.emailOpens: "company.opens" is not a contact property');
    expect(message).toContain("HubSpot's own is hs_email_open");
    expect(message).toContain('contacts.attributes.emailClicks: "hs_email_delivered" is already mapped by contacts.attributes.emailsDelivered');
  });
});
