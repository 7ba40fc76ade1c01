import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExportCsv } from '../../connectors/marketo/bulk-export.js';
import { deletedLead, leadFields, mapLead, mapOpportunity, opportunityFields, parseMarketoDate, watchedLeadFields } from '../../connectors/marketo/mapper.js';
import { loadMapping } from '../../src/config/mapping.js';

const mapping = loadMapping(join(import.meta.dirname, '../../mappings/marketo.yaml'));
const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/marketo', name), 'utf8')) as { result: Array<Record<string, unknown>> };

describe('Marketo leads map onto canonical contacts', () => {
  it('maps a recorded lead (default fields)', () => {
    const raw = fixture('leads_get_by_email.json').result[0]!;
    const mapped = mapLead(raw, mapping);
    expect(mapped.ok).toBe(true);
    if (!mapped.ok) return;
    expect(mapped.record).toMatchObject({
      platform: 'marketo',
      externalId: '7149',
      email: 'brian@bleonard.com',
      firstName: 'Brian',
      lastName: null,
      createdAt: '2021-11-23T22:57:08.000Z',
      updatedAt: '2021-11-23T22:57:08.000Z',
      emailConsent: 'unknown',
      archived: false,
    });
    expect(mapped.record.raw).toBe(raw);
  });

  it('maps every lead of the recorded list pages, with unset (null) fields as null', () => {
    for (const file of ['list_get_leads_page.json', 'list_leads_page_with_nextPageToken.json', 'leads_get_by_id_with_fields.json']) {
      for (const raw of fixture(file).result) {
        const mapped = mapLead(raw, mapping);
        expect(mapped.ok, file).toBe(true);
        if (mapped.ok) expect(mapped.record.email).toBe(String(raw.email).toLowerCase());
      }
    }
  });

  it('takes consent from unsubscribed, and always treats emailInvalid as unsubscribed', () => {
    const base = { id: 5, email: 'a@example.org', createdAt: '2024-01-01T00:00:00Z', updatedAt: '2024-01-02T00:00:00Z' };
    const consent = (extra: Record<string, unknown>) => {
      const m = mapLead({ ...base, ...extra }, mapping);
      return m.ok ? m.record.emailConsent : m.quarantined.reason;
    };
    expect(consent({ unsubscribed: false, emailInvalid: false })).toBe('subscribed');
    expect(consent({ unsubscribed: true, emailInvalid: false })).toBe('unsubscribed');
    expect(consent({ unsubscribed: false, emailInvalid: true })).toBe('unsubscribed');
    expect(consent({ unsubscribed: null })).toBe('unknown');
    // Bulk CSV writes booleans as text (and some exports 1/0).
    expect(consent({ unsubscribed: 'false', emailInvalid: 'false' })).toBe('subscribed');
    expect(consent({ unsubscribed: '1' })).toBe('unsubscribed');
  });

  it('maps a bulk export row (strings, literal nulls) exactly like the REST lead', () => {
    const csv = 'id,email,firstName,lastName,phone,city,country,unsubscribed,emailInvalid,leadSource,createdAt,updatedAt\n' +
      '42," Ada@Example.org ",Ada,null,+4420,"London, UK",GB,false,false,"null",2024-03-01T10:00:00Z,2024-03-02T10:00:00Z\n';
    const [row] = parseExportCsv(csv);
    expect(row).toMatchObject({ id: 42, lastName: null, leadSource: 'null', city: 'London, UK' });
    const fromCsv = mapLead(row, mapping);
    const fromRest = mapLead({ id: 42, email: ' Ada@Example.org ', firstName: 'Ada', lastName: null, phone: '+4420', city: 'London, UK', country: 'GB', unsubscribed: false, emailInvalid: false, leadSource: 'null', createdAt: '2024-03-01T10:00:00Z', updatedAt: '2024-03-02T10:00:00Z' }, mapping);
    expect(fromCsv.ok && fromRest.ok).toBe(true);
    if (fromCsv.ok && fromRest.ok) {
      expect({ ...fromCsv.record, raw: null }).toEqual({ ...fromRest.record, raw: null });
      expect(fromCsv.record.email).toBe('ada@example.org');
    }
  });

  it('quarantines invalid leads with a reason naming the field', () => {
    const reason = (raw: unknown) => {
      const m = mapLead(raw, mapping);
      return m.ok ? 'ok' : m.quarantined.reason;
    };
    expect(reason({ email: 'a@example.org' })).toMatch(/^id: /);
    expect(reason({ id: 'x7' })).toMatch(/^id: /);
    expect(reason({ id: 7, email: 'not-an-email', createdAt: '2024-01-01T00:00:00Z' })).toBe('email: "not-an-email" is not an email address');
    expect(reason({ id: 7, email: 'a@example.org', createdAt: 'yesterday' })).toBe('createdAt: "yesterday" is not a date');
    const q = mapLead({ id: 7, email: 'bad' }, mapping);
    expect(q.ok ? null : q.quarantined).toMatchObject({ platform: 'marketo', stream: 'contacts', externalId: '7' });
  });

  it('turns a Delete Lead activity into an archived record without personal data', () => {
    const record = deletedLead({ leadId: 6, activityDate: '2013-09-26T06:56:35+0000', activityTypeId: 37, primaryAttributeValue: 'Owyliphys Iledil' }, mapping);
    expect(record).toMatchObject({ externalId: '6', archived: true, email: null, updatedAt: '2013-09-26T06:56:35.000Z', attributes: { leadSource: null } });
  });

  it('asks Marketo for the mapped fields, and watches changes only of those (never segsync\'s token fields)', () => {
    expect(leadFields(mapping)).toEqual(expect.arrayContaining(['id', 'email', 'unsubscribed', 'emailInvalid', 'leadSource', 'createdAt', 'updatedAt']));
    expect(watchedLeadFields(mapping)).not.toContain('updatedAt');
    for (const field of Object.values(mapping.tokens)) expect(watchedLeadFields(mapping)).not.toContain(field);
    expect(opportunityFields(mapping)).toEqual(expect.arrayContaining(['marketoGUID', 'externalOpportunityId', 'amount', 'closeDate', 'isWon', 'isClosed', 'name']));
  });
});

describe('Marketo opportunities map onto canonical purchases', () => {
  const opportunity = (extra: Record<string, unknown>) => ({
    seq: 0,
    marketoGUID: 'dff23271-f996-47d7-984f-f2676861b5fa',
    externalOpportunityId: '19UYA31581L000000',
    name: 'Chairs',
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-02-01T00:00:00Z',
    ...extra,
  });

  it('maps the documented example (amount as a string) as a won purchase on its close date', () => {
    const mapped = mapOpportunity(opportunity({ amount: '1604.47', closeDate: '2024-01-31', isWon: true, isClosed: true }), mapping, [775, 12, 775]);
    expect(mapped.ok && mapped.record).toMatchObject({
      externalId: 'dff23271-f996-47d7-984f-f2676861b5fa',
      contactExternalIds: ['12', '775'],
      amount: 1604.47,
      currency: null,
      occurredAt: '2024-01-31T00:00:00.000Z',
      status: 'won',
      updatedAt: '2024-02-01T00:00:00.000Z',
    });
  });

  it('status: isWon decides once closed; an open opportunity is open whatever isWon says', () => {
    const status = (isWon: unknown, isClosed: unknown) => {
      const m = mapOpportunity(opportunity({ amount: 10, closeDate: '2024-01-31', isWon, isClosed }), mapping, [1]);
      return m.ok ? m.record.status : m.quarantined.reason;
    };
    expect(status(true, true)).toBe('won');
    expect(status(false, true)).toBe('lost');
    expect(status(false, false)).toBe('open');
    // Opportunities leave out fields without a value (docs: "implied null").
    expect(status(undefined, false)).toBe('open');
    expect(status(true, undefined)).toBe('won');
  });

  it('flags a status that is the default because the value is missing or unmapped, not an opportunity Marketo says is open', () => {
    const defaulted = (isWon: unknown, isClosed: unknown) => {
      const m = mapOpportunity(opportunity({ amount: 10, closeDate: '2024-01-31', isWon, isClosed }), mapping, [1]);
      return m.ok ? m.record.statusDefaulted ?? false : m.quarantined.reason;
    };
    expect(defaulted(true, true)).toBe(false);
    expect(defaulted(false, false)).toBe(false);
    expect(defaulted('perhaps', true)).toBe(true);
    expect(defaulted(undefined, true)).toBe(true);
  });

  it('quarantines a won opportunity that would distort RFM, naming the field', () => {
    const reason = (extra: Record<string, unknown>, leads: number[] = [1]) => {
      const m = mapOpportunity(opportunity({ isWon: true, isClosed: true, closeDate: '2024-01-31', amount: 5, ...extra }), mapping, leads);
      return m.ok ? 'ok' : m.quarantined.reason;
    };
    expect(reason({ amount: undefined })).toBe('amount: missing on a won opportunity ("Chairs"); enter the amount in Marketo (or your CRM)');
    expect(reason({ amount: 'lots' })).toBe('amount: "lots" is not a number ("Chairs")');
    expect(reason({ amount: -3 })).toMatch(/^amount: negative/);
    expect(reason({ closeDate: undefined })).toMatch(/^closeDate: missing on a won opportunity/);
    expect(reason({ closeDate: '31/01/2024' })).toMatch(/^closeDate: "31\/01\/2024" is not a date/);
    expect(reason({}, [])).toMatch(/^roles: won opportunity \("Chairs"\) has no lead/);
    expect(reason({ marketoGUID: '' })).toBe('marketoGUID: missing');
    // A quarantined opportunity names the leads of its roles (segsync forget erases it with them).
    const quarantined = mapOpportunity(opportunity({ isWon: true, isClosed: true, closeDate: '2024-01-31', amount: 'lots' }), mapping, [775, 12]);
    expect(quarantined).toMatchObject({ ok: false, quarantined: { contactExternalIds: ['12', '775'] } });
    // A lost one without an amount is fine: it never counts.
    expect(mapOpportunity(opportunity({ isWon: false, isClosed: true }), mapping, []).ok).toBe(true);
  });
});

describe('Marketo dates in all their recorded shapes', () => {
  it.each([
    ['2016-05-17T22:11:45Z', '2016-05-17T22:11:45.000Z'],
    ['2014-09-17T22:31:49+0000', '2014-09-17T22:31:49.000Z'],
    ['2021-11-23T22:57:24Z+0000', '2021-11-23T22:57:24.000Z'],
    ['2017-01-21T11:47:30-08:00', '2017-01-21T19:47:30.000Z'],
    ['2024-03-05', '2024-03-05T00:00:00.000Z'],
    ['', null],
    [null, null],
    ['soon', 'invalid'],
  ])('%s', (input, expected) => {
    expect(parseMarketoDate(input)).toBe(expected);
  });
});
