/**
 * A deal read without inline associations (by id from quarantine, or found by search) gets its
 * contacts from the associations v4 batch read, every page of them: HubSpot pages the contacts of
 * one deal (`results[].paging.next.after`, asked for again as `{id, after}`), and a page left
 * unread would drop those buyers from the purchase.
 */
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotClient } from '../../connectors/hubspot/client.js';
import { createHubSpotSource } from '../../connectors/hubspot/source.js';
import { loadMapping } from '../../src/config/mapping.js';
import { packageRoot } from '../../src/config/paths.js';
import type { SourcePage } from '../../src/domain/connector.js';
import { testHubSpotConfig } from '../helpers/hubspot.js';

const BASE = 'https://api.hubapi.com';
const DEAL = {
  id: '901',
  properties: { amount: '120.00', closedate: '2026-03-01T10:00:00.000Z', dealstage: 'closedwon', dealname: 'Order 1', hs_lastmodifieddate: '2026-03-01T10:00:00.000Z' },
  createdAt: '2026-02-27T10:00:00.000Z',
  updatedAt: '2026-03-01T10:00:00.000Z',
  archived: false,
};
const to = (ids: number[]) => ids.map((id) => ({ toObjectId: id, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 3, label: null }] }));

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('HubSpot deals read by id: their contacts from the associations v4 batch read', () => {
  it('follows the per-deal paging of the associations until the last page', async () => {
    const mapping = loadMapping(join(packageRoot(), 'mappings', 'hubspot.yaml'));
    const client = new HubSpotClient(testHubSpotConfig(), {}, async () => {});
    const source = createHubSpotSource(client, mapping, { lookbackMinutes: 0 });
    const deals = source.streams.find((s) => s.name === 'purchases')!;

    nock(BASE).post('/crm/v3/objects/deals/batch/read').reply(200, { status: 'COMPLETE', results: [DEAL], startedAt: DEAL.updatedAt, completedAt: DEAL.updatedAt });
    const asked: unknown[] = [];
    nock(BASE)
      .post('/crm/v4/associations/deals/contacts/batch/read', (body: unknown) => (asked.push(body), true))
      .reply(200, { status: 'COMPLETE', results: [{ from: { id: '901' }, to: to([51, 52]), paging: { next: { after: 'MTAw', link: null } } }] })
      .post('/crm/v4/associations/deals/contacts/batch/read', (body: unknown) => (asked.push(body), true))
      .reply(200, { status: 'COMPLETE', results: [{ from: { id: '901' }, to: to([53]) }] });

    const pages: SourcePage[] = [];
    for await (const page of deals.refetch!(['901'], { signal: new AbortController().signal, full: false, now: () => Date.now() })) pages.push(page);

    expect(pages.flatMap((p) => p.purchases).map((p) => p.contactExternalIds)).toEqual([['51', '52', '53']]);
    expect(asked).toEqual([{ inputs: [{ id: '901' }] }, { inputs: [{ id: '901', after: 'MTAw' }] }]);
    expect(nock.isDone()).toBe(true);
  });

  it('asks associations v4 even when the by-id answer carries an associations key of its own', async () => {
    const mapping = loadMapping(join(packageRoot(), 'mappings', 'hubspot.yaml'));
    const client = new HubSpotClient(testHubSpotConfig(), {}, async () => {});
    const deals = createHubSpotSource(client, mapping, { lookbackMinutes: 0 }).streams.find((s) => s.name === 'purchases')!;
    // Batch read does not support associations (platforms.md H2): a key here says nothing about contacts.
    nock(BASE).post('/crm/v3/objects/deals/batch/read').reply(200, { status: 'COMPLETE', results: [{ ...DEAL, associations: {} }] });
    nock(BASE).post('/crm/v4/associations/deals/contacts/batch/read').reply(200, { status: 'COMPLETE', results: [{ from: { id: '901' }, to: to([51]) }] });

    const pages: SourcePage[] = [];
    for await (const page of deals.refetch!(['901'], { signal: new AbortController().signal, full: false, now: () => Date.now() })) pages.push(page);

    expect(pages.flatMap((p) => p.quarantined)).toEqual([]);
    expect(pages.flatMap((p) => p.purchases).map((p) => p.contactExternalIds)).toEqual([['51']]);
  });
});
