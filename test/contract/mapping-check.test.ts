/**
 * The mapped-field check of each connector (issue 12 item 1) against platform answers: HubSpot's
 * properties API and Marketo's describe calls (nock), Shopify's vendored Admin schema (offline).
 * A field that does not exist is a problem with the closest existing name; a refused scope or a
 * network failure is an error of its own, never "does not exist".
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotClient } from '../../connectors/hubspot/client.js';
import { checkHubSpotMapping } from '../../connectors/hubspot/mapping-check.js';
import { MarketoClient } from '../../connectors/marketo/client.js';
import { checkMarketoMapping } from '../../connectors/marketo/mapping-check.js';
import { checkShopifyMapping } from '../../connectors/shopify/mapping-check.js';
import { loadMapping, type Mapping } from '../../src/config/mapping.js';
import { testHubSpotConfig } from '../helpers/hubspot.js';
import token from '../fixtures/marketo/token.json' with { type: 'json' };
import describeLeads from '../fixtures/marketo/leads_describe.json' with { type: 'json' };
import { failure } from '../helpers/api-failure.js';

const signal = new AbortController().signal;
const shipped = (platform: string): Mapping => loadMapping(new URL(`../../mappings/${platform}.yaml`, import.meta.url).pathname);
const withContactField = (mapping: Mapping, field: keyof Mapping['contacts']['fields'], value: string): Mapping => ({
  ...mapping,
  contacts: { ...mapping.contacts, fields: { ...mapping.contacts.fields, [field]: value } },
});


beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('HubSpot: mapped properties against GET /crm/v3/properties/{contacts,deals,companies}', () => {
  const HUBSPOT = 'https://api.hubapi.com';
  const property = (name: string) => ({ name, label: name, type: 'string', fieldType: 'text', groupName: 'contactinformation', options: [] });
  const contactNames = ['email', 'phone', 'firstname', 'lastname', 'country', 'city', 'createdate', 'hs_email_optout', 'lifecyclestage', 'hs_email_open', 'hs_email_click', 'hs_email_last_open_date',
    'hs_lead_status', 'jobtitle', 'hs_email_delivered', 'hs_email_bounce', 'hs_email_last_click_date', 'hs_sales_email_last_replied',
    'hs_analytics_num_visits', 'hs_analytics_num_page_views', 'hs_analytics_last_visit_timestamp', 'num_conversion_events'];
  const companyNames = ['industry', 'numberofemployees', 'annualrevenue'];
  const dealNames = ['amount', 'deal_currency_code', 'closedate', 'dealname', 'dealstage'];
  const hubspot = () => new HubSpotClient(testHubSpotConfig(), {}, async () => {});
  /** hs_email_optout as HubSpot declares it: an enumeration (booleancheckbox) with the options true and false. */
  const optout = { name: 'hs_email_optout', label: 'Unsubscribed from all email', type: 'enumeration', fieldType: 'booleancheckbox', groupName: 'emailinformation', options: [{ label: 'Yes', value: 'true' }, { label: 'No', value: 'false' }] };
  /** The documented answer of GET /crm/v3/pipelines/deals: the default pipeline, and one more a Sales Hub portal may have. */
  const stage = (id: string, label: string, displayOrder: number) => ({ label, displayOrder, metadata: { isClosed: String(id.startsWith('closed') || id.endsWith('won')), probability: '0.5' }, id, createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-01-01T00:00:00Z', archived: false });
  const pipelines = {
    results: [
      { label: 'Sales Pipeline', displayOrder: 0, id: 'default', createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-01-01T00:00:00Z', archived: false,
        stages: [['appointmentscheduled', 'Appointment Scheduled'], ['qualifiedtobuy', 'Qualified To Buy'], ['closedwon', 'Closed Won'], ['closedlost', 'Closed Lost']].map(([id, label], i) => stage(id!, label!, i)) },
      { label: 'Renewals', displayOrder: 1, id: '7301946', createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-01-01T00:00:00Z', archived: false,
        stages: [['1048576', 'Renewal due'], ['1048577', 'Renewed']].map(([id, label], i) => stage(id!, label!, i)) },
    ],
  };
  const listings = () => nock(HUBSPOT)
    .get('/crm/v3/properties/contacts').reply(200, { results: [...contactNames.filter((n) => n !== 'hs_email_optout').map(property), optout] })
    .get('/crm/v3/properties/deals').reply(200, { results: dealNames.map(property) })
    .get('/crm/v3/properties/companies').reply(200, { results: companyNames.map(property) })
    .get('/crm/v3/pipelines/deals').reply(200, pipelines);
  const withStatusValues = (mapping: Mapping, values: Record<string, 'won' | 'lost'>): Mapping => ({ ...mapping, purchases: { ...mapping.purchases, status: { ...mapping.purchases.status, values } } });

  it('passes the shipped mapping with one listing call per object', async () => {
    const scope = listings();
    expect(await checkHubSpotMapping(hubspot(), shipped('hubspot'), signal)).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it('a property HubSpot does not have (404 by name) is a problem naming the key, the field and the closest name', async () => {
    listings().get('/crm/v3/properties/contacts/emial').reply(404, {
      status: 'error', message: 'Property emial does not exist for object type 0-1', correlationId: 'x', category: 'OBJECT_NOT_FOUND',
    });
    const problems = await checkHubSpotMapping(hubspot(), withContactField(shipped('hubspot'), 'email', 'emial'), signal);
    expect(problems).toEqual([{ key: 'contacts.fields.email', field: 'emial', problem: expect.stringContaining('HubSpot has no contact property "emial"'), suggestion: 'email', creatable: true }]);
  });

  it('a deal stage value no pipeline has is refused, naming every pipeline\'s stage ids and the closest one; another pipeline\'s stage passes', async () => {
    const scope = listings();
    const problems = await checkHubSpotMapping(hubspot(), withStatusValues(shipped('hubspot'), { closedwn: 'won', closedlost: 'lost', '1048577': 'won' }), signal);
    expect(scope.isDone()).toBe(true);
    expect(problems).toEqual([{
      key: 'purchases.status.values.closedwn',
      field: 'closedwn',
      problem: 'no deal pipeline has a stage with id "closedwn" (the pipelines\' stage ids: Sales Pipeline (default): appointmentscheduled, qualifiedtobuy, closedwon, closedlost; Renewals (7301946): 1048576, 1048577)',
      suggestion: 'closedwon',
      creatable: true,
      kind: 'value',
    }]);
  });

  it('a consent value the enumeration property does not offer is refused with its options', async () => {
    listings();
    const base = shipped('hubspot');
    const mapping: Mapping = { ...base, contacts: { ...base.contacts, consent: { ...base.contacts.consent!, values: { ture: 'unsubscribed', false: 'subscribed' } } } };
    const problems = await checkHubSpotMapping(hubspot(), mapping, signal);
    expect(problems.map((p) => [p.key, p.suggestion, p.kind])).toEqual([['contacts.consent.values.ture', 'true', 'value']]);
    expect(problems[0]!.problem).toBe('the contact property "hs_email_optout" has no option "ture" (its options: true, false)');
  });

  it('a property left out of the listing but refused by name (403: a scope the token lacks) is a scope error, not "does not exist"', async () => {
    listings().get('/crm/v3/properties/contacts/ssn_sensitive').reply(403, {
      status: 'error', message: 'This app hasn\'t been granted all required scopes to make this call.', correlationId: 'x', category: 'MISSING_SCOPES',
    });
    const error = await failure(checkHubSpotMapping(hubspot(), withContactField(shipped('hubspot'), 'city', 'ssn_sensitive'), signal));
    expect(error.kind).toBe('auth');
    expect(error.message).not.toContain('has no');
  });

  it('a refused listing or a network failure is an error of its own', async () => {
    nock(HUBSPOT).get('/crm/v3/properties/contacts').reply(403, {
      status: 'error', message: 'This app hasn\'t been granted all required scopes to make this call.', correlationId: 'x', category: 'MISSING_SCOPES',
    });
    expect((await failure(checkHubSpotMapping(hubspot(), shipped('hubspot'), signal))).kind).toBe('auth');
    nock(HUBSPOT).get('/crm/v3/properties/contacts').times(2).replyWithError('socket hang up');
    const offline = new HubSpotClient(testHubSpotConfig({ maxAttempts: 2 }), {}, async () => {});
    expect((await failure(checkHubSpotMapping(offline, shipped('hubspot'), signal))).kind).toBe('retryable');
  });
});

describe('Marketo: mapped fields against leads and opportunities describe', () => {
  const MARKETO = 'https://123-abc-456.mktorest.com';
  const IDENTITY = { grant_type: 'client_credentials', client_id: 'cid', client_secret: 'csecret' };
  /** The docs' describe example, with the standard fields the shipped mapping reads. */
  const opportunitiesDescribe = {
    requestId: '185d6#14b51985ff0',
    success: true,
    result: [{
      name: 'opportunity',
      displayName: 'Opportunity',
      createdAt: '2015-02-03T22:36:23Z',
      updatedAt: '2015-02-03T22:36:24Z',
      idField: 'marketoGUID',
      dedupeFields: ['externalOpportunityId'],
      searchableFields: [['externalOpportunityId'], ['marketoGUID']],
      fields: ['marketoGUID', 'createdAt', 'updatedAt', 'externalOpportunityId', 'name', 'amount', 'closeDate', 'isClosed', 'isWon']
        .map((name) => ({ name, displayName: name, dataType: name.startsWith('is') ? 'boolean' : 'string', updateable: false })),
    }],
  };
  const marketo = () => new MarketoClient({
    baseUrl: MARKETO, clientId: 'cid', clientSecret: 'csecret', listFolder: 'segsync', timeoutMs: 2_000,
    rateLimit: { max: 1_000, intervalMs: 1_000 }, maxConcurrency: 10, bulkPollMs: 10, backoff: { baseMs: 5, maxMs: 20 }, maxAttempts: 2,
  });
  const answers = () => nock(MARKETO)
    .get('/identity/oauth/token').query(IDENTITY).reply(200, token)
    .get('/rest/v1/leads/describe.json').reply(200, describeLeads)
    .get('/rest/v1/opportunities/describe.json').reply(200, opportunitiesDescribe);

  it('passes the shipped mapping against a real instance\'s recorded lead describe', async () => {
    const scope = answers();
    expect(await checkMarketoMapping(marketo(), shipped('marketo'), signal)).toEqual([]);
    expect(scope.isDone()).toBe(true);
  });

  it('names a lead field and an opportunity field Marketo does not have, with the closest REST names', async () => {
    answers();
    const base = withContactField(shipped('marketo'), 'email', 'emial');
    const mapping: Mapping = { ...base, purchases: { ...base.purchases, fields: { ...base.purchases.fields, amount: 'amuont' } } };
    const problems = await checkMarketoMapping(marketo(), mapping, signal);
    expect(problems.map((p) => [p.key, p.field, p.suggestion])).toEqual([
      ['contacts.fields.email', 'emial', 'email'],
      ['purchases.fields.amount', 'amuont', 'amount'],
    ]);
    expect(problems[0]!.problem).toContain('Marketo has no lead field "emial"');
    expect(problems[1]!.problem).toContain('Marketo has no opportunity field "amuont"');
  });

  it('a status value other than true/false for the boolean isWon (or consent for unsubscribed) is refused', async () => {
    answers();
    const base = shipped('marketo');
    const mapping: Mapping = {
      ...base,
      contacts: { ...base.contacts, consent: { ...base.contacts.consent!, values: { true: 'unsubscribed', flase: 'subscribed' } } },
      purchases: { ...base.purchases, status: { ...base.purchases.status, values: { Won: 'won', false: 'lost' } } },
    };
    const problems = await checkMarketoMapping(marketo(), mapping, signal);
    expect(problems.map((p) => [p.key, p.field, p.suggestion, p.kind])).toEqual([
      ['contacts.consent.values.flase', 'flase', 'false', 'value'],
      ['purchases.status.values.Won', 'Won', undefined, 'value'],
    ]);
    expect(problems[1]!.problem).toBe('the opportunity field "isWon" is a boolean: Marketo sends true or false, never "Won"');
  });

  it('a role without the opportunity permission (603) is a permission error, not "does not exist"', async () => {
    nock(MARKETO)
      .get('/identity/oauth/token').query(IDENTITY).reply(200, token)
      .get('/rest/v1/leads/describe.json').reply(200, describeLeads)
      .get('/rest/v1/opportunities/describe.json').reply(200, { requestId: 'x', success: false, errors: [{ code: '603', message: 'Access denied' }] });
    const error = await failure(checkMarketoMapping(marketo(), shipped('marketo'), signal));
    expect(error.kind).toBe('auth');
    expect(error.message).not.toContain('has no');
  });
});

describe('Shopify: mapped GraphQL paths against the vendored Admin schema', () => {
  it('passes the shipped mapping', () => {
    expect(checkShopifyMapping(shipped('shopify'))).toEqual([]);
  });

  it('refuses a status value the enum displayFinancialStatus does not have: did you mean PAID', () => {
    const base = shipped('shopify');
    const { PAID: _paid, ...others } = base.purchases.status.values;
    const mapping: Mapping = { ...base, purchases: { ...base.purchases, status: { ...base.purchases.status, values: { ...others, PAD: 'won' } } } };
    const problems = checkShopifyMapping(mapping);
    expect(problems.map((p) => [p.key, p.field, p.suggestion, p.kind])).toEqual([['purchases.status.values.PAD', 'PAD', 'PAID', 'value']]);
    expect(problems[0]!.problem).toContain('Order.displayFinancialStatus is the enum OrderDisplayFinancialStatus');
    expect(problems[0]!.problem).toContain('PARTIALLY_REFUNDED, PENDING, REFUNDED, VOIDED');
  });

  it('refuses a path that does not exist, one ending on an object, and one through a list, each with what to map instead', () => {
    const base = shipped('shopify');
    const mapping: Mapping = {
      ...base,
      contacts: {
        ...base.contacts,
        fields: { ...base.contacts.fields, email: 'defaultEmailAddress.emial', firstName: 'frstName', phone: 'defaultPhoneNumber', city: 'addresses.city' },
        attributes: { tags: 'tags' },
      },
      purchases: { ...base.purchases, fields: { ...base.purchases.fields, amount: 'currentTotalPriceSet.shopMoney' } },
    };
    const problems = checkShopifyMapping(mapping);
    expect(problems.map((p) => [p.key, p.field, p.suggestion])).toEqual([
      ['contacts.fields.email', 'defaultEmailAddress.emial', undefined],
      ['contacts.fields.phone', 'defaultPhoneNumber', 'defaultPhoneNumber.phoneNumber'],
      ['contacts.fields.firstName', 'frstName', 'firstName'],
      ['contacts.fields.city', 'addresses.city', undefined],
      ['purchases.fields.amount', 'currentTotalPriceSet.shopMoney', 'currentTotalPriceSet.shopMoney.amount'],
    ]);
    expect(problems[0]!.problem).toBe('the Shopify Admin API 2026-07 has no field "emial" on CustomerEmailAddress');
    expect(problems[1]!.problem).toContain('is an object (CustomerPhoneNumber), not a value');
    expect(problems[3]!.problem).toContain('addresses is a list on Customer');
  });
});
