/**
 * The HubSpot emulator driven through the official @hubspot/api-client (basePath pointed at it),
 * plus raw HTTP where exact bodies and headers matter, and shape checks against the recorded
 * responses in test/fixtures/hubspot/.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from '@hubspot/api-client';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { HubSpotEmulator, type HubSpotEmulatorOptions } from '../../connectors/hubspot/emulator/index.js';
import type { SyntheticPerson, SyntheticPurchase } from '../../src/sandbox/population-types.js';

const TOKEN = 'sandbox-hubspot-token';
const FIXTURES = fileURLToPath(new URL('../fixtures/hubspot/', import.meta.url));

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8')) as unknown;
}

function purchase(personIndex: number, n: number, status: SyntheticPurchase['status'], occurredAt: string, amount: number | null): SyntheticPurchase {
  return { key: `${personIndex}-${n}`, amount, currency: 'USD', occurredAt, status, name: `Order ${personIndex}${n} — Person ${personIndex}` };
}

/** A small hand-built population: person i has i % 3 purchases. */
function people(count: number): SyntheticPerson[] {
  const out: SyntheticPerson[] = [];
  for (let i = 0; i < count; i++) {
    const created = new Date(Date.UTC(2024, 0, 1 + i)).toISOString();
    const purchases: SyntheticPurchase[] = [];
    for (let n = 0; n < i % 3; n++) {
      const status = n === 0 ? 'won' : i % 2 === 0 ? 'lost' : 'open';
      purchases.push(purchase(i, n, status, new Date(Date.UTC(2024, 5, 1 + i + n)).toISOString(), n === 1 && i % 4 === 0 ? null : 100 + i + n / 4));
    }
    out.push({
      index: i,
      trueType: 'prospect',
      firstName: `First${i}`,
      lastName: `Last${i}`,
      email: `person${i}@example.com`,
      phone: `+1415555${String(1000 + i).padStart(4, '0')}`,
      city: 'Springfield',
      country: 'US',
      emailConsent: i % 5 === 0 ? 'unsubscribed' : 'subscribed',
      createdAt: created,
      purchases,
      engagement: { emailsOpened: i % 4, emailsClicked: i % 2, lastOpenedAt: i % 4 === 0 ? null : new Date(Date.UTC(2024, 6, 1 + i)).toISOString() },
    });
  }
  return out;
}

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

interface Started {
  emu: HubSpotEmulator;
  url: string;
  client: Client;
  clock: { ms: number };
}

const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()?.();
});

async function start(count = 25, options: HubSpotEmulatorOptions = {}): Promise<Started> {
  const clock = { ms: NOW };
  const emu = new HubSpotEmulator({ now: () => clock.ms, rateLimit: { max: 10_000, intervalMs: 10_000 }, searchPerSecond: 1000, ...options });
  emu.load(people(count));
  const server = await emu.listen(0);
  running.push(() => server.close());
  return { emu, url: server.url, client: new Client({ accessToken: TOKEN, basePath: server.url }), clock };
}

async function raw(url: string, method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; body?: unknown };
    return { code: err.code ?? -1, body: err.body };
  }
  throw new Error('expected the call to fail');
}

/**
 * Keys of `expected` (a recorded response) must all be in `actual`, recursively for objects and the
 * first element of arrays; `actual` may only add keys listed in `extra`. The keys inside a
 * `properties` map are property names, not structure, so only its values' types are compared.
 */
function sameShape(actual: unknown, expected: unknown, extra: readonly string[] = [], path = '$'): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} is an array`).toBe(true);
    if (expected.length > 0 && (actual as unknown[]).length > 0) sameShape((actual as unknown[])[0], expected[0], extra, `${path}[0]`);
    return;
  }
  if (expected && typeof expected === 'object') {
    expect(actual && typeof actual === 'object', `${path} is an object`).toBe(true);
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    if (path.endsWith('.properties')) {
      for (const v of Object.values(a)) expect(v === null || typeof v === 'string', `${path} values are strings or null`).toBe(true);
      return;
    }
    for (const k of Object.keys(e)) {
      expect(Object.keys(a), `${path} has key ${k}`).toContain(k);
      sameShape(a[k], e[k], extra, `${path}.${k}`);
    }
    for (const k of Object.keys(a)) if (!(k in e)) expect(extra, `${path}.${k} is not in the recorded response`).toContain(k);
    return;
  }
  if (expected !== null) expect(typeof actual, `${path} type`).toBe(typeof expected);
}

describe('HubSpot emulator through the official SDK', () => {
  it('pages over every contact exactly once, in id order, with HubSpot default properties', async () => {
    const { client } = await start(57);
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await client.crm.contacts.basicApi.getPage(10, after);
      pages++;
      for (const c of page.results) seen.push(c.id);
      expect(Object.keys(page.results[0]?.properties ?? {}).sort()).toEqual(['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname']);
      after = page.paging?.next?.after;
    } while (after);
    expect(pages).toBe(6);
    expect(seen).toHaveLength(57);
    expect(new Set(seen).size).toBe(57);
    expect(seen[0]).toBe('101');
    expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => a - b));
  });

  it('returns only the requested properties plus hs_object_id, createdate and lastmodifieddate', async () => {
    const { client, emu } = await start(5);
    const page = await client.crm.contacts.basicApi.getPage(3, undefined, ['email', 'city', 'no_such_property', 'hs_email_optout', 'lifecyclestage']);
    const first = page.results[0];
    expect(Object.keys(first?.properties ?? {}).sort()).toEqual(['city', 'createdate', 'email', 'hs_email_optout', 'hs_object_id', 'lastmodifieddate', 'lifecyclestage']);
    expect(first?.properties.hs_email_optout).toBe('true'); // person 0 unsubscribed
    expect(first?.properties.lifecyclestage).toBe('lead');
    expect(first?.properties.hs_object_id).toBe(first?.id);
    expect(first?.createdAt.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(page.paging?.next?.after).toBe('104');
    expect(emu.getContact('102')?.properties.lifecyclestage).toBe('customer'); // person 1 has a won purchase
  });

  it('serves deals with HubSpot properties and inline contact associations', async () => {
    const { client, emu } = await start(10);
    const page = await client.crm.deals.basicApi.getPage(100, undefined, ['dealname', 'amount', 'dealstage', 'closedate', 'pipeline', 'deal_currency_code'], undefined, ['contacts']);
    expect(page.results[0]?.id).toBe('9000000001');
    const all = page.results;
    expect(all).toHaveLength(9); // i % 3 purchases for i < 10
    const d = all[0];
    expect(d?.properties).toMatchObject({ dealstage: 'closedwon', pipeline: 'default', amount: '101.00', deal_currency_code: 'USD' });
    expect(d?.properties.hs_lastmodifieddate).toBe(d?.properties.closedate);
    const contactId = d?.associations?.contacts?.results[0]?.id;
    expect(contactId).toBe(emu.contactIdForPersonIndex(1));
    expect(d?.associations?.contacts?.results[0]?.type).toBe('deal_to_contact');
    const nullAmount = all.find((x) => x.properties.dealname?.startsWith('Order 81 '));
    expect(nullAmount?.properties.amount).toBe('');
    expect(all.find((x) => x.properties.dealname?.startsWith('Order 51'))?.properties.dealstage).toBe('qualifiedtobuy');
  });

  it('reads deal→contact associations in batch (v4) and answers 207 for unknown ids', async () => {
    const { client, emu } = await start(6);
    const deals = emu.dealIdsForContact(emu.contactIdForPersonIndex(2) ?? '');
    expect(deals).toHaveLength(2);
    const res = await client.crm.associations.v4.batchApi.getPage('deals', 'contacts', { inputs: [{ id: deals[0] ?? '' }, { id: '123' }] });
    expect(res.results).toHaveLength(1);
    expect(res.results[0]?.to[0]?.toObjectId).toBe(Number(emu.contactIdForPersonIndex(2)));
    expect(res.results[0]?.to[0]?.associationTypes[0]).toMatchObject({ category: 'HUBSPOT_DEFINED', typeId: 3 });
    expect('numErrors' in res && res.numErrors).toBe(1);
  });

  it('searches with filters, sorts by the property and breaks ties by id; default order is creation', async () => {
    const { client, emu, url } = await start(30);
    const ids = emu.listContacts().map((c) => c.id);
    const tied = ids.slice(5, 20).reverse();
    const same = Date.UTC(2024, 11, 31);
    emu.setContactsModifiedAt(tied, same);
    for (const direction of ['ASCENDING', 'DESCENDING']) {
      const res = await client.crm.contacts.searchApi.doSearch({
        filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: FilterOperatorEnum.Eq, value: String(same) }] }],
        sorts: [{ propertyName: 'lastmodifieddate', direction } as unknown as string],
        properties: ['email'],
        limit: 200,
        after: '0',
      });
      expect(res.total).toBe(15);
      expect(res.results.map((r) => r.id)).toEqual([...tied].sort((a, b) => Number(a) - Number(b)));
      expect(Object.keys(res.results[0]?.properties ?? {}).sort()).toEqual(['createdate', 'email', 'hs_object_id', 'lastmodifieddate']);
    }
    // ISO dates are accepted in filters; GTE is inclusive.
    const gte = await raw(url, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'createdate', operator: 'GTE', value: '2024-01-28T00:00:00Z' }] }],
      limit: 10,
    });
    expect(gte.status).toBe(200);
    expect(gte.body.results.map((r: { id: string }) => r.id)).toEqual(['128', '129', '130']);
    expect(gte.body.paging).toBeUndefined();
    // OR of groups.
    const or = await raw(url, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [
        { filters: [{ propertyName: 'email', operator: 'EQ', value: 'PERSON3@example.com' }] },
        { filters: [{ propertyName: 'hs_object_id', operator: 'IN', values: ['110', '111'] }] },
      ],
    });
    expect(or.body.results.map((r: { id: string }) => r.id)).toEqual(['104', '110', '111']);
    // Unknown filter property → 400.
    const unknown = await raw(url, 'POST', '/crm/v3/objects/contacts/search', { filterGroups: [{ filters: [{ propertyName: 'nope', operator: 'EQ', value: 'x' }] }] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.category).toBe('VALIDATION_ERROR');
    // Too many filter groups → 400.
    const many = await raw(url, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: Array.from({ length: 6 }, () => ({ filters: [{ propertyName: 'email', operator: 'HAS_PROPERTY' }] })),
    });
    expect(many.status).toBe(400);
  });

  it('refuses to page a search past the result cap with 400', async () => {
    const { client } = await start(30, { searchResultCap: 10 });
    const request = { filterGroups: [], sorts: [], properties: ['email'], limit: 5, after: '0' };
    const first = await client.crm.contacts.searchApi.doSearch(request);
    expect(first.total).toBe(30);
    expect(first.paging?.next?.after).toBe('5');
    const second = await client.crm.contacts.searchApi.doSearch({ ...request, after: '5' });
    expect(second.results.map((r) => r.id)).toEqual(['106', '107', '108', '109', '110']);
    expect(second.paging?.next?.after).toBe('10');
    const err = await apiError(client.crm.contacts.searchApi.doSearch({ ...request, after: '10' }));
    expect(err.code).toBe(400);
    expect(err.body.category).toBe('VALIDATION_ERROR');
  });

  it('answers 401 with HubSpot’s body without a valid token', async () => {
    const { url } = await start(2);
    const none = await raw(url, 'GET', '/crm/v3/objects/contacts', undefined, null);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    expect(none.body.message).toMatch(/^Authentication credentials not found\./);
    expect(none.body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    const wrong = new Client({ accessToken: 'not-the-token', basePath: url });
    expect((await apiError(wrong.crm.contacts.basicApi.getPage(10))).code).toBe(401);
  });

  it('enforces the rolling ten-second window with HubSpot’s 429 body and headers', async () => {
    const { url, clock, emu } = await start(3, { rateLimit: { max: 3, intervalMs: 10_000 } });
    const ok = await raw(url, 'GET', '/crm/v3/objects/contacts');
    expect(ok.headers.get('x-hubspot-ratelimit-max')).toBe('3');
    expect(ok.headers.get('x-hubspot-ratelimit-remaining')).toBe('2');
    expect(ok.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
    expect(ok.headers.get('x-hubspot-ratelimit-daily')).toBe('250000');
    expect(ok.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('249999');
    clock.ms += 4000;
    await raw(url, 'GET', '/crm/v3/objects/contacts');
    await raw(url, 'POST', '/crm/v3/objects/contacts/batch/read', { inputs: [{ id: '101' }] });
    const limited = await raw(url, 'GET', '/crm/v3/objects/contacts');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
    });
    expect(limited.body.groupName).toMatch(/^publicapi:/);
    expect(limited.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('retry-after')).toBeNull();
    // Search is exempt from the ten-secondly window and carries only the daily headers.
    const search = await raw(url, 'POST', '/crm/v3/objects/contacts/search', { limit: 1 });
    expect(search.status).toBe(200);
    expect(search.headers.get('x-hubspot-ratelimit-remaining')).toBeNull();
    // Rolling: 6 s later only the first request has left the window.
    clock.ms += 6001;
    expect((await raw(url, 'GET', '/crm/v3/objects/contacts')).status).toBe(200);
    expect((await raw(url, 'GET', '/crm/v3/objects/contacts')).status).toBe(429);
    const log = emu.requests.map((r) => `${r.method} ${r.status} ${r.write}`);
    expect(log).toEqual(['GET 200 false', 'GET 200 false', 'POST 200 false', 'GET 429 false', 'POST 200 false', 'GET 200 false', 'GET 429 false']);
    // The SDK sees the 429 as an error with that code.
    const client = new Client({ accessToken: TOKEN, basePath: url });
    expect((await apiError(client.crm.contacts.basicApi.getPage(10))).code).toBe(429);
  });

  it('limits search per second with the recorded secondly body', async () => {
    const { url, clock } = await start(3, { searchPerSecond: 2 });
    expect((await raw(url, 'POST', '/crm/v3/objects/contacts/search', {})).status).toBe(200);
    expect((await raw(url, 'POST', '/crm/v3/objects/contacts/search', {})).status).toBe(200);
    const third = await raw(url, 'POST', '/crm/v3/objects/contacts/search', {});
    expect(third.status).toBe(429);
    sameShape(third.body, fixture('error_429_search_secondly_limit.json'));
    expect(third.body.message).toBe('You have reached your secondly limit.');
    clock.ms += 1001;
    expect((await raw(url, 'POST', '/crm/v3/objects/contacts/search', {})).status).toBe(200);
  });

  it('answers a daily-limit 429 once the day’s calls are spent', async () => {
    const { url } = await start(1, { dailyLimit: 2 });
    await raw(url, 'GET', '/crm/v3/objects/contacts');
    await raw(url, 'GET', '/crm/v3/objects/contacts');
    const daily = await raw(url, 'GET', '/crm/v3/objects/contacts');
    expect(daily.status).toBe(429);
    expect(daily.body).toMatchObject({ policyName: 'DAILY', message: 'You have reached your daily limit.' });
  });

  it('batch-updates contacts: >100 inputs and unknown properties are 400, changes bump lastmodifieddate', async () => {
    const { client, emu, clock, url } = await start(5);
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ id: String(101 + i), properties: { firstname: 'x' } }));
    const big = await apiError(client.crm.contacts.batchApi.update({ inputs: tooMany }));
    expect(big.code).toBe(400);
    expect(big.body.message).toMatch(/maximum number of inputs supported in a batch is 100/);

    const unknown = await raw(url, 'POST', '/crm/v3/objects/contacts/batch/update', { inputs: [{ id: '101', properties: { rfm_segment: 'champions' } }] });
    expect(unknown.status).toBe(400);
    sameShape(unknown.body, fixture('error_400_property_doesnt_exist.json'));
    expect(unknown.body.message).toBe(
      'Property values were not valid: [{"isValid":false,"message":"Property \\"rfm_segment\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"rfm_segment"}]',
    );

    await client.crm.properties.groupsApi.create('contacts', { name: 'rfm_segmentation', label: 'RFM segmentation', displayOrder: -1 });
    const created = await client.crm.properties.coreApi.create('contacts', {
      name: 'rfm_segment',
      label: 'RFM segment',
      groupName: 'rfm_segmentation',
      type: 'enumeration' as never,
      fieldType: 'select' as never,
      options: [
        { label: 'Champions', value: 'champions', hidden: false, displayOrder: 0 },
        { label: 'At risk', value: 'at_risk', hidden: false, displayOrder: 1 },
      ],
    });
    expect(created.name).toBe('rfm_segment');
    const dup = await apiError(client.crm.properties.coreApi.create('contacts', { name: 'rfm_segment', label: 'x', groupName: 'rfm_segmentation', type: 'string' as never, fieldType: 'text' as never }));
    expect(dup.code).toBe(409);
    const badGroup = await apiError(client.crm.properties.coreApi.create('contacts', { name: 'rfm_other', label: 'x', groupName: 'nope', type: 'string' as never, fieldType: 'text' as never }));
    expect(badGroup.code).toBe(400);
    const badPair = await apiError(client.crm.properties.coreApi.create('contacts', { name: 'rfm_other', label: 'x', groupName: 'rfm_segmentation', type: 'number' as never, fieldType: 'select' as never }));
    expect(badPair.code).toBe(400);
    const all = await client.crm.properties.coreApi.getAll('contacts');
    expect(all.results.map((p) => p.name)).toEqual(expect.arrayContaining(['email', 'hs_email_optout', 'lifecyclestage', 'hs_merged_object_ids', 'rfm_segment']));

    const badOption = await raw(url, 'POST', '/crm/v3/objects/contacts/batch/update', { inputs: [{ id: '101', properties: { rfm_segment: 'loyal' } }] });
    expect(badOption.status).toBe(400);
    expect(badOption.body.category).toBe('VALIDATION_ERROR');
    expect(badOption.body.message).toMatch(/INVALID_OPTION/);

    const before = emu.getContact('101')?.updatedAt;
    clock.ms += 60_000;
    const ok = await client.crm.contacts.batchApi.update({
      inputs: [
        { id: '101', properties: { rfm_segment: 'champions' } },
        { id: '102', properties: { firstname: 'First1' } }, // unchanged value
      ],
    });
    expect(ok.status).toBe('COMPLETE');
    expect(ok.results.map((r) => r.id).sort()).toEqual(['101', '102']);
    expect(ok.results.find((r) => r.id === '101')?.properties).toMatchObject({ rfm_segment: 'champions', lastmodifieddate: new Date(clock.ms).toISOString() });
    expect(emu.getContact('101')?.updatedAt).not.toBe(before);
    expect(emu.getContact('101')?.updatedAt).toBe(new Date(clock.ms).toISOString());
    expect(emu.getContact('102')?.updatedAt).toBe(new Date(Date.UTC(2024, 5, 2)).toISOString());

    // A missing id: the rest is applied, 207 lists the missing one.
    const partial = await raw(url, 'POST', '/crm/v3/objects/contacts/batch/update', {
      inputs: [
        { id: '103', properties: { rfm_segment: 'at_risk' } },
        { id: '999999', properties: { rfm_segment: 'at_risk' } },
      ],
    });
    expect(partial.status).toBe(207);
    expect(partial.body.errors[0]).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { ids: ['999999'] } });
    expect(emu.getContact('103')?.properties.rfm_segment).toBe('at_risk');

    // "" clears; PATCH replaces enumeration options.
    await client.crm.contacts.batchApi.update({ inputs: [{ id: '103', properties: { rfm_segment: '' } }] });
    expect(emu.getContact('103')?.properties.rfm_segment).toBe('');
    const patched = await client.crm.properties.coreApi.update('contacts', 'rfm_segment', {
      options: [{ label: 'Loyal', value: 'loyal', hidden: false, displayOrder: 0 }],
    });
    expect(patched.options.map((o) => o.value)).toEqual(['loyal']);
  });

  it('creates lists, finds them by name, and adds and removes members (missing ids reported)', async () => {
    const { client, emu } = await start(8);
    const name = 'RFM · Champions 2025';
    const created = await client.crm.lists.listsApi.create({ name, objectTypeId: '0-1', processingType: 'MANUAL' });
    expect(created.list).toMatchObject({ name, objectTypeId: '0-1', processingType: 'MANUAL', processingStatus: 'COMPLETE', listVersion: 1 });
    const listId = created.list.listId;
    const found = await client.crm.lists.listsApi.getByName(name.toLowerCase(), '0-1');
    expect(found.list.listId).toBe(listId);
    const dup = await apiError(client.crm.lists.listsApi.create({ name: name.toUpperCase(), objectTypeId: '0-1', processingType: 'MANUAL' }));
    expect(dup.code).toBe(400);
    const missing = await apiError(client.crm.lists.listsApi.getByName('no such list', '0-1'));
    expect(missing.code).toBe(400);

    const added = await client.crm.lists.membershipsApi.add(listId, ['101', '102', '103', '424242']);
    expect(added).toMatchObject({ recordsIdsAdded: ['101', '102', '103'], recordIdsRemoved: [], recordIdsMissing: ['424242'] });
    const again = await client.crm.lists.membershipsApi.add(listId, ['101', '104']);
    expect(again.recordsIdsAdded).toEqual(['104']);
    const removed = await client.crm.lists.membershipsApi.remove(listId, ['102', '105', '777777']);
    expect(removed).toMatchObject({ recordsIdsAdded: [], recordIdsRemoved: ['102'], recordIdsMissing: ['777777'] });
    expect(emu.listMemberIds(listId)).toEqual(['101', '103', '104']);

    const page1 = await client.crm.lists.membershipsApi.getPage(listId, undefined, undefined, 2);
    expect(page1.results.map((r) => r.recordId)).toEqual(['101', '103']);
    expect(page1.results[0]?.membershipTimestamp).toBeInstanceOf(Date);
    expect(page1.total).toBe(3);
    const page2 = await client.crm.lists.membershipsApi.getPage(listId, page1.paging?.next?.after, undefined, 2);
    expect(page2.results.map((r) => r.recordId)).toEqual(['104']);
    expect(page2.paging).toBeUndefined();

    const both = await client.crm.lists.membershipsApi.addAndRemove(listId, { recordIdsToAdd: ['105'], recordIdsToRemove: ['101'] });
    expect(both).toMatchObject({ recordsIdsAdded: ['105'], recordIdsRemoved: ['101'], recordIdsMissing: [] });
    expect(emu.listByName(name)).toEqual({ listId, name, processingType: 'MANUAL' });

    const dynamic = await client.crm.lists.listsApi.create({
      name: 'dynamic one',
      objectTypeId: '0-1',
      processingType: 'DYNAMIC',
      filterBranch: { filterBranchType: 'OR', filterBranches: [], filters: [] } as never,
    });
    expect((await apiError(client.crm.lists.membershipsApi.add(dynamic.list.listId, ['101']))).code).toBe(400);
    expect((await apiError(client.crm.lists.membershipsApi.getPage('9999'))).code).toBe(404);
  });

  it('archiving a contact takes it out of lists and lists it under archived=true', async () => {
    const { client, emu } = await start(6);
    const { list } = await client.crm.lists.listsApi.create({ name: 'archive test', objectTypeId: '0-1', processingType: 'MANUAL' });
    await client.crm.lists.membershipsApi.add(list.listId, ['101', '102']);
    emu.archiveContact('102');
    expect(emu.listMemberIds(list.listId)).toEqual(['101']);
    const live = await client.crm.contacts.basicApi.getPage(100);
    expect(live.results.map((c) => c.id)).not.toContain('102');
    const archived = await client.crm.contacts.basicApi.getPage(100, undefined, undefined, undefined, undefined, true);
    expect(archived.results.map((c) => c.id)).toEqual(['102']);
    expect(archived.results[0]?.archived).toBe(true);
    expect(archived.results[0]?.archivedAt?.getTime()).toBe(NOW);
    const re = await client.crm.lists.membershipsApi.add(list.listId, ['102']);
    expect(re.recordIdsMissing).toEqual(['102']);
    const search = await client.crm.contacts.searchApi.doSearch({ filterGroups: [], properties: [], sorts: [], limit: 100, after: '0' });
    expect(search.results.map((c) => c.id)).not.toContain('102');
  });

  it('DELETE /crm/v3/objects/contacts/{id} archives the contact (204): gone from reads, lists and search, listed under archived=true', async () => {
    const { client, emu, url } = await start(6);
    const { list } = await client.crm.lists.listsApi.create({ name: 'delete test', objectTypeId: '0-1', processingType: 'MANUAL' });
    await client.crm.lists.membershipsApi.add(list.listId, ['101', '103']);
    const deleted = await raw(url, 'DELETE', '/crm/v3/objects/contacts/103');
    expect(deleted).toMatchObject({ status: 204, body: undefined });
    expect(emu.requests.at(-1)).toMatchObject({ method: 'DELETE', status: 204, write: true });
    expect((await raw(url, 'GET', '/crm/v3/objects/contacts/103')).status).toBe(404);
    expect(emu.listMemberIds(list.listId)).toEqual(['101']);
    const live = await client.crm.contacts.basicApi.getPage(100);
    expect(live.results.map((c) => c.id)).not.toContain('103');
    const archived = await client.crm.contacts.basicApi.getPage(100, undefined, undefined, undefined, undefined, true);
    expect(archived.results.map((c) => [c.id, c.archived, c.archivedAt?.getTime()])).toEqual([['103', true, NOW]]);
    const search = await client.crm.contacts.searchApi.doSearch({ filterGroups: [], properties: [], sorts: [], limit: 100, after: '0' });
    expect(search.results.map((c) => c.id)).not.toContain('103');
    // Through the SDK too; again, and for an id the portal never had: 204, nothing else changes.
    await client.crm.contacts.basicApi.archive('104');
    expect((await raw(url, 'DELETE', '/crm/v3/objects/contacts/103')).status).toBe(204);
    expect((await raw(url, 'DELETE', '/crm/v3/objects/contacts/999999')).status).toBe(204);
    const after = await client.crm.contacts.basicApi.getPage(100, undefined, undefined, undefined, undefined, true);
    expect(after.results.map((c) => c.id)).toEqual(['103', '104']);
  });

  it('merging re-associates deals to the primary and records hs_merged_object_ids', async () => {
    const { client, emu, clock } = await start(6);
    const primary = emu.contactIdForPersonIndex(1) ?? '';
    const merged = emu.contactIdForPersonIndex(2) ?? '';
    const movedDeals = emu.dealIdsForContact(merged);
    expect(movedDeals).toHaveLength(2);
    const { list } = await client.crm.lists.listsApi.create({ name: 'merge test', objectTypeId: '0-1', processingType: 'MANUAL' });
    await client.crm.lists.membershipsApi.add(list.listId, [primary, merged]);
    clock.ms += 1000;
    emu.mergeContacts(primary, merged);
    expect(emu.listMemberIds(list.listId)).toEqual([primary]);
    expect(emu.dealIdsForContact(primary)).toEqual([...emu.dealIdsForContact(primary)].sort());
    expect(emu.dealIdsForContact(primary)).toEqual(expect.arrayContaining(movedDeals));
    const c = emu.getContact(primary);
    expect(c?.properties.hs_merged_object_ids).toBe(merged);
    expect(c?.updatedAt).toBe(new Date(clock.ms).toISOString());
    expect(emu.getContact(merged)).toBeUndefined();
    expect(emu.contactIdForEmail('person2@example.com')).toBe(primary);
    const assoc = await client.crm.associations.v4.batchApi.getPage('deals', 'contacts', { inputs: movedDeals.map((id) => ({ id })) });
    for (const r of assoc.results) expect(r.to.map((t) => String(t.toObjectId))).toEqual([primary]);
    const page = await client.crm.contacts.basicApi.getPage(100, undefined, ['hs_merged_object_ids']);
    expect(page.results.map((x) => x.id)).not.toContain(merged);
    expect(page.results.find((x) => x.id === primary)?.properties.hs_merged_object_ids).toBe(merged);
  });

  it('answers unknown routes with 404 and malformed JSON with 400, and serves injected faults', async () => {
    const { url, emu } = await start(2);
    const nf = await raw(url, 'GET', '/crm/v3/nothing-here');
    expect(nf.status).toBe(404);
    sameShape(nf.body, fixture('error_404_patch_by_idproperty_not_found.json'));
    const bad = await raw(url, 'POST', '/crm/v3/objects/contacts/batch/update', '{"inputs": [');
    expect(bad.status).toBe(400);
    expect(bad.body.category).toBe('VALIDATION_ERROR');
    emu.injectFault({ match: /^GET \/crm\/v3\/objects\/contacts/, times: 2, status: 502, body: { status: 'error', message: 'Bad gateway' } });
    expect((await raw(url, 'GET', '/crm/v3/objects/contacts')).status).toBe(502);
    expect((await raw(url, 'GET', '/crm/v3/objects/contacts?limit=1')).status).toBe(502);
    expect((await raw(url, 'GET', '/crm/v3/objects/contacts')).status).toBe(200);
    const seen: number[] = [];
    emu.onRequest = (info) => seen.push(info.status);
    await raw(url, 'GET', '/crm/v3/objects/contacts?limit=101');
    expect(seen).toEqual([400]);
    expect(emu.requests.at(-1)).toEqual({ method: 'GET', path: '/crm/v3/objects/contacts?limit=101', status: 400, write: false });
  });

  it('works mounted under a prefix through handle(), with paging links that keep the prefix', async () => {
    const emu = new HubSpotEmulator({ now: () => NOW });
    emu.load(people(15));
    const server = http.createServer((req, res) => {
      const url = req.url ?? '/';
      if (url.startsWith('/hubspot/')) emu.handle(req, res, url.slice('/hubspot'.length));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    running.push(() => new Promise<void>((r) => server.close(() => r())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hubspot`;
    const client = new Client({ accessToken: TOKEN, basePath: base });
    const page = await client.crm.contacts.basicApi.getPage(10, undefined, ['email']);
    expect(page.paging?.next?.link).toBe(`${base}/crm/v3/objects/contacts?limit=10&properties=email&after=111`);
    const next = await fetch(page.paging?.next?.link ?? '', { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(((await next.json()) as { results: unknown[] }).results).toHaveLength(5);
    expect(emu.requests.map((r) => r.path)).toEqual(['/crm/v3/objects/contacts?limit=10&properties=email', '/crm/v3/objects/contacts?limit=10&properties=email&after=111']);
  });

  it('can reset the connection instead of answering', async () => {
    const { url, emu } = await start(2);
    emu.injectFault({ match: /contacts/, status: 0 });
    await expect(raw(url, 'GET', '/crm/v3/objects/contacts')).rejects.toThrow();
    expect((await raw(url, 'GET', '/crm/v3/objects/contacts')).status).toBe(200);
    expect(emu.requests.map((r) => r.status)).toEqual([0, 200]);
  });

  it('answers in the shapes of the recorded responses', async () => {
    const { url } = await start(12);
    const contacts = await raw(url, 'GET', '/crm/v3/objects/contacts?limit=100');
    sameShape(contacts.body, fixture('contacts_page.json'));
    const withAssoc = await raw(url, 'GET', '/crm/v3/objects/contacts?limit=5&associations=deals&properties=email,city');
    sameShape(withAssoc.body, fixture('contacts_page.json'), ['associations', 'paging']);
    expect(withAssoc.body.results[1].associations.deals.results[0].type).toBe('contact_to_deal');
    const deals = await raw(url, 'GET', '/crm/v3/objects/deals?limit=100');
    sameShape(deals.body, fixture('deals_page.json'));
    expect(Object.keys(deals.body.results[0].properties).sort()).toEqual(Object.keys((fixture('deals_page.json') as any).results[0].properties).sort());
    const deal = await raw(url, 'GET', `/crm/v3/objects/deals/${deals.body.results[0].id}?associations=contacts`);
    // go-hubspot's hand-written fixture carries archivedAt on a live deal; it belongs to archived records only.
    const { archivedAt: _a, ...recordedDeal } = fixture('deal_get_with_associations.json') as Record<string, unknown>;
    sameShape(deal.body, recordedDeal);

    const search = await raw(url, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'person3@example.com' }] }],
      properties: ['firstname', 'lastname', 'email'],
      limit: 100,
    });
    sameShape(search.body, fixture('search_contacts_200.json'));
    const empty = await raw(url, 'POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: 'nobody@example.com' }] }],
    });
    expect(empty.body).toEqual(fixture('search_contacts_200_empty.json'));

    const update = await raw(url, 'POST', '/crm/v3/objects/contacts/batch/update', {
      inputs: [
        { id: '101', properties: { firstname: 'John' } },
        { id: '102', properties: { firstname: 'Evan' } },
      ],
    });
    expect(update.status).toBe(200);
    sameShape(update.body, fixture('batch_update_contacts_200.json'));
    const read = await raw(url, 'POST', '/crm/v3/objects/contacts/batch/read', { inputs: [{ id: '103' }, { id: '999' }], properties: ['email'] });
    expect(read.status).toBe(207);
    sameShape(read.body, fixture('batch_read_207_partial_object_not_found.json'), ['startedAt', 'completedAt', 'createdAt', 'updatedAt', 'archived']);

    const group = await raw(url, 'POST', '/crm/v3/properties/contacts/groups', { name: 'segsync', label: 'segsync' });
    expect(group.status).toBe(201);
    const prop = await raw(url, 'POST', '/crm/v3/properties/contacts', {
      name: 'segment_group_id',
      label: 'Segment Group ID',
      type: 'string',
      fieldType: 'text',
      groupName: 'segsync',
      hasUniqueValue: true,
      hidden: true,
    });
    expect(prop.status).toBe(201);
    // createdUserId/updatedUserId name the HubSpot user who created the property in the UI; an
    // app-created property has none, so they may be absent.
    const { createdUserId: _c, updatedUserId: _u, ...recordedProperty } = fixture('property_create_201.json') as Record<string, unknown>;
    sameShape(prop.body, recordedProperty);
    const one = await raw(url, 'GET', '/crm/v3/properties/contacts/segment_group_id');
    expect(one.body).toEqual(prop.body);
    expect((await raw(url, 'GET', '/crm/v3/properties/contacts/nope')).status).toBe(404);

    const listExtra = ['listVersion', 'processingType', 'processingStatus', 'createdAt', 'updatedAt', 'filtersUpdatedAt', 'listPermissions', 'membershipSettings', 'size'];
    const list = await raw(url, 'POST', '/crm/v3/lists', { name: 'contact_list_2', objectTypeId: '0-1', processingType: 'MANUAL' });
    expect(list.status).toBe(200);
    sameShape(list.body, fixture('lists_v3_create_TRIMMED.json'), listExtra);
    const byName = await raw(url, 'GET', '/crm/v3/lists/object-type-id/0-1/name/contact_list_2');
    sameShape(byName.body, fixture('lists_v3_get_by_name_TRIMMED.json'), listExtra);
    const noList = await raw(url, 'GET', '/crm/v3/lists/object-type-id/0-1/name/contact_list_3');
    expect(noList.status).toBe(400);
    sameShape(noList.body, fixture('error_400_list_does_not_exist.json'), ['correlationId']);
    expect(noList.body.message).toBe('List does not exist with name contact_list_3 and object type ID 0-1.');

    const invalid = await raw(url, 'POST', '/crm/v3/objects/contacts/batch/update', { inputs: [{ id: '101', properties: { email: 'bcooper@example' } }] });
    expect(invalid.status).toBe(400);
    sameShape(invalid.body, fixture('error_400_property_values_invalid_email.json'));
  });
});
