import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { companyProperties, contactProperties, mapContact, mapDeal } from '../../connectors/hubspot/mapper.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadMapping } from '../../src/config/mapping.js';
import { defaultMappingFile } from '../../src/config/paths.js';
import contactsPage from '../fixtures/hubspot/contacts_page_with_history_and_associations.json' with { type: 'json' };
import dealsPage from '../fixtures/hubspot/deals_page.json' with { type: 'json' };

const mapping = loadMapping(defaultMappingFile('hubspot'));

function contact(properties: Record<string, string | null>, extra: object = {}) {
  return { id: '51', properties, createdAt: '2024-01-02T03:04:05.000Z', updatedAt: '2024-09-11T13:27:39.356Z', archived: false, ...extra };
}

describe('mappings/hubspot.yaml', () => {
  it('maps a HubSpot contact to canonical fields', () => {
    const mapped = mapContact(contact({
      email: 'Ada@Example.com ', firstname: 'Ada', lastname: 'Lovelace', phone: '+442071234567', city: 'London',
      country: 'GB', createdate: '2024-01-02T03:04:05.000Z', hs_email_optout: 'true', lifecyclestage: 'customer',
    }), mapping, false);
    expect(mapped.ok).toBe(true);
    if (!mapped.ok) return;
    expect(mapped.record).toMatchObject({
      platform: 'hubspot', externalId: '51', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace',
      phone: '+442071234567', city: 'London', country: 'GB', createdAt: '2024-01-02T03:04:05.000Z',
      updatedAt: '2024-09-11T13:27:39.356Z', emailConsent: 'unsubscribed', archived: false,
      attributes: { lifecycleStage: 'customer' },
    });
  });

  it('asks HubSpot for the engagement properties on contacts and the company ones on companies, never company.* on contacts', () => {
    const onContacts = contactProperties(mapping);
    expect(onContacts).toEqual(expect.arrayContaining(['hs_analytics_num_visits', 'hs_analytics_num_page_views', 'hs_analytics_last_visit_timestamp',
      'num_conversion_events', 'hs_email_delivered', 'hs_email_bounce', 'hs_email_last_click_date', 'hs_sales_email_last_replied', 'hs_lead_status', 'jobtitle']));
    expect(onContacts.filter((p) => p.includes('.'))).toEqual([]);
    expect(companyProperties(mapping).sort()).toEqual(['annualrevenue', 'industry', 'numberofemployees']);
  });

  it('stores the primary company\'s values as attributes; a contact without a company has them missing', () => {
    const withCompany = mapContact(contact({ hs_analytics_num_visits: '12' }), mapping, false, { industry: 'RETAIL', numberofemployees: ' 40 ', annualrevenue: '' });
    expect(withCompany.ok && withCompany.record.attributes).toMatchObject({ webVisits: '12', companyIndustry: 'RETAIL', companyEmployees: '40', companyAnnualRevenue: null });
    const without = mapContact(contact({}), mapping, false, null);
    expect(without.ok && without.record.attributes).toMatchObject({ webVisits: null, companyIndustry: null, companyEmployees: null, companyAnnualRevenue: null });
  });

  it('reads consent as subscribed, and unknown when the flag is absent', () => {
    const yes = mapContact(contact({ hs_email_optout: 'false' }), mapping, false);
    const unknown = mapContact(contact({}), mapping, false);
    expect(yes.ok && yes.record.emailConsent).toBe('subscribed');
    expect(unknown.ok && unknown.record.emailConsent).toBe('unknown');
  });

  it('quarantines a contact whose email cannot be an address, naming the property', () => {
    const mapped = mapContact(contact({ email: 'john.doe@' }), mapping, false);
    expect(mapped.ok).toBe(false);
    if (mapped.ok) return;
    expect(mapped.quarantined).toMatchObject({ platform: 'hubspot', stream: 'contacts', externalId: '51' });
    expect(mapped.quarantined.reason).toContain('email');
  });

  it('quarantines a record without a numeric id', () => {
    const mapped = mapContact({ id: '', properties: {}, createdAt: 'x', updatedAt: 'y' }, mapping, false);
    expect(mapped.ok).toBe(false);
  });

  it('reads the merged-away ids of a surviving contact', () => {
    const mapped = mapContact(contact({ hs_merged_object_ids: '101;202' }), mapping, false);
    expect(mapped.ok && mapped.record.mergedFrom).toEqual(['101', '202']);
  });

  it('maps every contact of the recorded real page', () => {
    for (const raw of contactsPage.results) expect(mapContact(raw, mapping, false).ok).toBe(true);
  });

  it('maps deals: stage to status, amount, close date and the associated contacts', () => {
    const raw = {
      id: '901', createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-02-01T00:00:00Z',
      properties: { dealname: 'Order 1', amount: '120.50', dealstage: 'closedwon', closedate: '2024-02-01T00:00:00Z', deal_currency_code: 'EUR' },
      associations: { contacts: { results: [{ id: '51', type: 'deal_to_contact' }] } },
    };
    const mapped = mapDeal(raw, mapping, false);
    expect(mapped.ok && mapped.record).toMatchObject({
      externalId: '901', status: 'won', amount: 120.5, currency: 'EUR', occurredAt: '2024-02-01T00:00:00.000Z', contactExternalIds: ['51'],
    });
  });

  it('keeps open deals of the recorded page (no close date, no contact) as open purchases', () => {
    for (const raw of dealsPage.results) {
      const mapped = mapDeal(raw, mapping, false);
      expect(mapped.ok && mapped.record.status).toBe('open');
    }
  });

  it('quarantines a won deal without an amount, and one without a contact', () => {
    const base = { id: '902', createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-02-01T00:00:00Z' };
    const noAmount = mapDeal({ ...base, properties: { amount: '', dealstage: 'closedwon', closedate: '2024-02-01T00:00:00Z' } }, mapping, false, ['51']);
    const noContact = mapDeal({ ...base, properties: { amount: '10', dealstage: 'closedwon', closedate: '2024-02-01T00:00:00Z' } }, mapping, false, []);
    const notANumber = mapDeal({ ...base, properties: { amount: 'ten', dealstage: 'closedwon', closedate: '2024-02-01T00:00:00Z' } }, mapping, false, ['51']);
    expect(!noAmount.ok && noAmount.quarantined.reason).toMatch(/amount: missing on a won deal/);
    expect(!noContact.ok && noContact.quarantined.reason).toMatch(/no contact/);
    expect(!notANumber.ok && notANumber.quarantined.reason).toMatch(/"ten" is not a number/);
  });

  it('a quarantined deal names the contacts it is associated with, even when it is malformed (segsync forget erases it with them)', () => {
    const base = { id: '9000000751', createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-02-01T00:00:00Z' };
    const associations = { contacts: { results: [{ id: '248', type: 'deal_to_contact' }] } };
    // A wrong type (a number where HubSpot sends strings): the deal fails its shape check.
    const malformed = mapDeal({ ...base, properties: { dealname: 'Order #518857 — Mirco Schnürer', amount: 120.5 }, associations }, mapping, false);
    expect(malformed).toMatchObject({ ok: false, quarantined: { externalId: '9000000751', kind: 'malformed', contactExternalIds: ['248'] } });
    const invalid = mapDeal({ ...base, properties: { amount: 'ten', dealstage: 'closedwon', closedate: '2024-02-01T00:00:00Z' }, associations }, mapping, false);
    expect(invalid).toMatchObject({ ok: false, quarantined: { kind: 'invalid-number', contactExternalIds: ['248'] } });
    // Associations read in batch (search results) are passed in; a deal of nobody names nobody.
    const searched = mapDeal({ ...base, properties: { amount: '', dealstage: 'closedwon', closedate: '2024-02-01T00:00:00Z' } }, mapping, false, ['51', '52']);
    expect(!searched.ok && searched.quarantined.contactExternalIds).toEqual(['51', '52']);
    const nobody = mapDeal({ ...base, properties: { amount: '10', dealstage: 'closedwon', closedate: '2024-02-01T00:00:00Z' } }, mapping, false, []);
    expect(!nobody.ok && 'contactExternalIds' in nobody.quarantined).toBe(false);
  });

  it('rejects a mapping file with a clear error naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-mapping-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'contacts:\n  fields:\n    email: "e mail"\npurchases:\n  fields: { amount: amount, occurredAt: closedate }\n  status: { field: dealstage, values: {}, default: open }\ntokens: {}\n');
    expect(() => loadMapping(file)).toThrow(ConfigError);
    expect(() => loadMapping(file)).toThrow(/contacts\.fields\.email/);
  });
});
