/**
 * Issue 13 §1–2 (HubSpot): a pull against the emulator stores each contact's engagement
 * properties and the primary company's industry, employees and revenue as mapped attributes; an
 * incremental pull picks up a change; the features, rules and clustering compute from them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainProfile } from '../../src/pipeline/explain.js';
import { MappingFieldError } from '../../src/pipeline/mapping-check.js';
import { pull, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { SEGSYNC_SCOPES } from '../../connectors/hubspot/emulator/access.js';
import { ANCHOR, TOKEN, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

const DAY_MS = 86_400_000;

/** mappings/hubspot.yaml: canonical attribute → HubSpot contact property. */
const CONTACT_ATTRIBUTES: Record<string, string> = {
  lifecycleStage: 'lifecyclestage',
  leadStatus: 'hs_lead_status',
  jobTitle: 'jobtitle',
  emailOpens: 'hs_email_open',
  emailClicks: 'hs_email_click',
  emailsDelivered: 'hs_email_delivered',
  emailBounces: 'hs_email_bounce',
  lastEmailOpenAt: 'hs_email_last_open_date',
  lastEmailClickAt: 'hs_email_last_click_date',
  lastSalesEmailReplyAt: 'hs_sales_email_last_replied',
  webVisits: 'hs_analytics_num_visits',
  pageViews: 'hs_analytics_num_page_views',
  lastVisitAt: 'hs_analytics_last_visit_timestamp',
  formSubmissions: 'num_conversion_events',
};
const COMPANY_ATTRIBUTES: Record<string, string> = {
  companyIndustry: 'industry',
  companyEmployees: 'numberofemployees',
  companyAnnualRevenue: 'annualrevenue',
};

const CONFIG = `segmentation:
  referenceDate: ${ANCHOR.toISOString()}
  clustering:
    features: [webVisits, emailOpenRate, companyEmployees]
    categorical: [companyIndustry]
    k: 3
    minProfiles: 10
segments:
  - key: engaged_software_leads
    name: Engaged software leads
    rule: { op: all, rules: [{ op: gte, field: webVisits, value: 5 }, { op: in, field: companyIndustry, values: [COMPUTER_SOFTWARE] }] }
`;

function storedAttributes(session: Session, id: string): Record<string, string | number | null> {
  const row = session.db.prepare("SELECT attributes FROM contacts WHERE platform = 'hubspot' AND external_id = ?").get(id) as { attributes: string };
  return JSON.parse(row.attributes) as Record<string, string | number | null>;
}

function featuresOf(session: Session, id: string): Record<string, number | string | null> {
  const row = session.db.prepare(`SELECT f.features FROM profile_features f JOIN identities i ON i.profile_id = f.profile_id
    WHERE i.platform = 'hubspot' AND i.external_id = ? AND f.run_id = (SELECT MAX(run_id) FROM profile_features)`).get(id) as { features: string };
  return JSON.parse(row.features) as Record<string, number | string | null>;
}

const daysBefore = (iso: string | null | undefined) => (iso ? Math.floor((ANCHOR.getTime() - Date.parse(iso)) / DAY_MS) : null);

describe('HubSpot engagement and firmographics', () => {
  let world: HubSpotWorld;
  let session: Session;
  beforeAll(async () => {
    world = await hubspotWorld({ size: 240, config: CONFIG });
    session = world.open();
    await pull(session, { full: true, signal });
  });
  afterAll(() => world.close());

  it('stores every contact\'s engagement properties and its company\'s industry, employees and revenue, as HubSpot has them', () => {
    const contacts = world.emulator.listContacts();
    let withCompany = 0;
    let untracked = 0;
    for (const c of contacts) {
      const stored = storedAttributes(session, c.id);
      for (const [name, property] of Object.entries(CONTACT_ATTRIBUTES)) {
        const v = c.properties[property];
        expect(stored[name], `${c.id} ${name}`).toBe(v === undefined || v === null || v === '' ? null : v);
      }
      const company = world.emulator.companyOfContact(c.id);
      if (company) withCompany++;
      for (const [name, property] of Object.entries(COMPANY_ATTRIBUTES)) {
        expect(stored[name], `${c.id} ${name}`).toBe(company?.properties[property] ?? null);
      }
      if (stored.webVisits === null) untracked++;
    }
    // The population has people without a company and visitors never tracked: both stay missing.
    expect(withCompany).toBeGreaterThan(contacts.length * 0.7);
    expect(withCompany).toBeLessThan(contacts.length);
    expect(untracked).toBeGreaterThan(0);
  });

  it('a full pull lists the companies inline and makes one companies batch read per page of contacts', () => {
    const log = world.emulator.requests;
    // The contacts stream's listings (the engagement stream lists contacts too, with property history).
    const listings = log.filter((r) => r.method === 'GET' && r.path.startsWith('/crm/v3/objects/contacts?') && r.path.includes('archived=false') && !r.path.includes('propertiesWithHistory'));
    expect(listings.length).toBeGreaterThan(1);
    expect(listings.every((r) => r.path.includes('associations=companies'))).toBe(true);
    expect(log.filter((r) => r.path === '/crm/v4/associations/contacts/companies/batch/read')).toEqual([]);
    const companyReads = log.filter((r) => r.path === '/crm/v3/objects/companies/batch/read');
    expect(companyReads.length).toBe(listings.length);
    expect(companyReads.every((r) => r.status === 200)).toBe(true);
  });

  it('an incremental pull picks up changed engagement, and a changed company even when its contact did not change', async () => {
    const [first, second, third] = world.emulator.listContacts().filter((c) => world.emulator.companyOfContact(c.id));
    world.emulator.updateContact(first!.id, { hs_analytics_num_visits: '77', hs_email_open: '40', hs_email_delivered: '50', hs_lead_status: 'CONNECTED' });
    world.emulator.updateCompany(world.emulator.companyOfContact(second!.id)!.id, { industry: 'RETAIL', numberofemployees: '4321' });
    world.emulator.updateContact(second!.id, { hs_analytics_num_page_views: '500' });
    const thirdUpdatedAt = world.emulator.getContact(third!.id)!.updatedAt;
    world.emulator.updateCompany(world.emulator.companyOfContact(third!.id)!.id, { annualrevenue: '98765000' });
    expect(world.emulator.getContact(third!.id)!.updatedAt).toBe(thirdUpdatedAt);
    world.emulator.resetRequestLog();
    const result = await pull(session, { full: false, signal });
    expect(result.streams.find((s) => s.stream === 'contacts')!.changedIds).toEqual(expect.arrayContaining([first!.id, second!.id, third!.id]));
    expect(storedAttributes(session, first!.id)).toMatchObject({ webVisits: '77', emailOpens: '40', emailsDelivered: '50', leadStatus: 'CONNECTED' });
    expect(storedAttributes(session, second!.id)).toMatchObject({ pageViews: '500', companyIndustry: 'RETAIL', companyEmployees: '4321' });
    expect(storedAttributes(session, third!.id)).toMatchObject({ companyAnnualRevenue: '98765000' });
    // Searched contacts carry no associations: their companies come from associations v4. The
    // contact the search already returned is not read a second time for its company.
    expect(world.emulator.requests.filter((r) => r.path === '/crm/v4/associations/contacts/companies/batch/read').length).toBeGreaterThan(0);
    // One batch read of the changed company's contact, and one of the changed contacts' property
    // history by the engagement stream (two contacts: one request).
    const reread = world.emulator.requests.filter((r) => r.path === '/crm/v3/objects/contacts/batch/read');
    expect(reread).toHaveLength(2);
    // Nothing changed: the next incremental pull changes no one.
    const again = await pull(session, { full: false, signal });
    expect(again.streams.find((s) => s.stream === 'contacts')!.changedIds).toEqual([]);
  });

  it('computes the features from them; what HubSpot does not keep stays missing, never 0', () => {
    const summary = segment(session);
    expect(summary.clustering.status).toBe('clustered');
    let checked = 0;
    let missingVisits = 0;
    for (const c of world.emulator.listContacts()) {
      const p = c.properties;
      const f = featuresOf(session, c.id);
      const num = (v: string | null | undefined) => (v === undefined || v === null || v === '' ? null : Number(v));
      const delivered = num(p.hs_email_delivered);
      expect(f.webVisits, c.id).toBe(num(p.hs_analytics_num_visits));
      expect(f.pageViews, c.id).toBe(num(p.hs_analytics_num_page_views));
      expect(f.formFills, c.id).toBe(num(p.num_conversion_events));
      expect(f.daysSinceLastVisit, c.id).toBe(daysBefore(p.hs_analytics_last_visit_timestamp));
      expect(f.daysSinceLastEmailClick, c.id).toBe(daysBefore(p.hs_email_last_click_date));
      expect(f.emailOpenRate, c.id).toBe(delivered ? Math.round(Math.min(1, num(p.hs_email_open)! / delivered) * 1000) / 1000 : null);
      expect(f.emailClickRate, c.id).toBe(delivered ? Math.round(Math.min(1, num(p.hs_email_click)! / delivered) * 1000) / 1000 : null);
      expect(f.crmLifecycleStage, c.id).toBe(p.lifecyclestage ?? null);
      expect(f.leadStatus, c.id).toBe(p.hs_lead_status ?? null);
      const company = world.emulator.companyOfContact(c.id)?.properties;
      expect(f.companyIndustry, c.id).toBe(company?.industry ?? null);
      expect(f.companyEmployees, c.id).toBe(company ? Number(company.numberofemployees) : null);
      expect(f.companyAnnualRevenue, c.id).toBe(company ? Number(company.annualrevenue) : null);
      if (f.webVisits === null) missingVisits++;
      checked++;
    }
    expect(checked).toBe(240);
    expect(missingVisits).toBeGreaterThan(0);

    const members = session.db.prepare("SELECT COUNT(*) AS n FROM memberships WHERE segment_key = 'engaged_software_leads' AND left_at IS NULL").get() as { n: number };
    const expected = world.emulator.listContacts().filter((c) => Number(c.properties.hs_analytics_num_visits ?? 'NaN') >= 5 && world.emulator.companyOfContact(c.id)?.properties.industry === 'COMPUTER_SOFTWARE').length;
    expect(expected).toBeGreaterThan(0);
    expect(members.n).toBe(expected);

    const someone = world.emulator.listContacts().find((c) => world.emulator.companyOfContact(c.id) && c.properties.hs_analytics_num_visits)!;
    const explained = explainProfile(session, someone.properties.email!);
    expect(explained.features.companyIndustry).toBe(world.emulator.companyOfContact(someone.id)!.properties.industry);
    expect(explained.features.webVisits).toBe(Number(someone.properties.hs_analytics_num_visits));
  });
});

describe('the mapped-field check covers company properties', () => {
  it('a misspelt company property stops the pull before it writes anything, naming the key and the nearest company property', async () => {
    const world = await hubspotWorld({ size: 30 });
    try {
      const mapping = join(mkdtempSync(join(tmpdir(), 'segsync-company-mapping-')), 'hubspot.yaml');
      const shipped = readFileSync(join(import.meta.dirname, '../../mappings/hubspot.yaml'), 'utf8');
      const edited = shipped.replace('companyIndustry: company.industry', 'companyIndustry: company.industy');
      expect(edited).not.toBe(shipped);
      writeFileSync(mapping, edited);
      world.writeConfig(`sources:\n  hubspot:\n    mapping: ${mapping}\n`);
      const session = world.open();
      const error = await pull(session, { full: true, signal }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(MappingFieldError);
      expect((error as MappingFieldError).problems.map((p) => [p.key, p.field, p.suggestion])).toEqual([
        ['contacts.attributes.companyIndustry', 'company.industy', 'company.industry'],
      ]);
      expect((error as Error).message).toContain('company property');
      expect(session.db.prepare('SELECT COUNT(*) AS n FROM contacts').get()).toEqual({ n: 0 });
      session.close();
    } finally {
      await world.close();
    }
  });
});

describe('the emulator\'s companies answer as HubSpot does', () => {
  let world: HubSpotWorld;
  beforeAll(async () => {
    world = await hubspotWorld({ size: 40 });
  });
  afterAll(() => world.close());

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${world.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('refuses batches over the limits (100 companies, 1,000 associations) with 400 VALIDATION_ERROR', async () => {
    const companies = await post('/crm/v3/objects/companies/batch/read', { inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i + 1) })), properties: ['industry'] });
    expect(companies).toMatchObject({ status: 400, body: { category: 'VALIDATION_ERROR' } });
    const associations = await post('/crm/v4/associations/contacts/companies/batch/read', { inputs: Array.from({ length: 1001 }, (_, i) => ({ id: String(i + 1) })) });
    expect(associations).toMatchObject({ status: 400, body: { category: 'VALIDATION_ERROR' } });
  });

  it('answers 207 with the ids it lacks, and NO_ASSOCIATIONS_FOUND for a contact without a company; the primary company carries type 1', async () => {
    const contacts = world.emulator.listContacts();
    const withCompany = contacts.find((c) => world.emulator.companyOfContact(c.id))!;
    const without = contacts.find((c) => !world.emulator.companyOfContact(c.id))!;
    const links = await post('/crm/v4/associations/contacts/companies/batch/read', { inputs: [{ id: withCompany.id }, { id: without.id }] });
    expect(links.status).toBe(207);
    expect(links.body.results).toEqual([{
      from: { id: withCompany.id },
      to: [{ toObjectId: Number(world.emulator.companyOfContact(withCompany.id)!.id), associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 1, label: 'Primary' }, { category: 'HUBSPOT_DEFINED', typeId: 279, label: null }] }],
    }]);
    expect(links.body.errors).toMatchObject([{ category: 'OBJECT_NOT_FOUND', subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND', context: { fromObjectId: [without.id] } }]);
    const company = world.emulator.companyOfContact(withCompany.id)!;
    const read = await post('/crm/v3/objects/companies/batch/read', { inputs: [{ id: company.id }, { id: '999' }], properties: ['industry', 'numberofemployees', 'nosuchproperty'] });
    expect(read.status).toBe(207);
    expect(read.body.results).toMatchObject([{ id: company.id, properties: { industry: company.properties.industry, numberofemployees: company.properties.numberofemployees } }]);
    expect(Object.keys((read.body.results as Array<{ properties: object }>)[0]!.properties).sort()).toEqual(['createdate', 'hs_lastmodifieddate', 'hs_object_id', 'industry', 'numberofemployees']);
    expect(read.body.errors).toMatchObject([{ category: 'OBJECT_NOT_FOUND', context: { ids: ['999'] } }]);
  });

  it('a merge moves the merged contact\'s company to the surviving contact, as HubSpot merges associations', async () => {
    const contacts = world.emulator.listContacts();
    const survivor = contacts.filter((c) => !world.emulator.companyOfContact(c.id)).at(-1)!;
    const merged = contacts.filter((c) => world.emulator.companyOfContact(c.id)).at(-1)!;
    const company = world.emulator.companyOfContact(merged.id)!;
    world.emulator.mergeContacts(survivor.id, merged.id);
    expect(world.emulator.companyOfContact(survivor.id)).toEqual(company);
    const links = await post('/crm/v4/associations/companies/contacts/batch/read', { inputs: [{ id: company.id }] });
    expect(links.body.results).toMatchObject([{ from: { id: company.id }, to: [{ toObjectId: Number(survivor.id) }] }]);
  });

  it('a private app without the companies scopes cannot pull with the shipped mapping, and is told which scope to grant', async () => {
    world.emulator.setScopes(SEGSYNC_SCOPES.filter((s) => !s.includes('companies')));
    const session = world.open();
    try {
      const error = await pull(session, { full: true, signal }).then(() => undefined, (e: unknown) => e);
      expect((error as Error).message).toContain('crm.schemas.companies.read');
    } finally {
      session.close();
      world.emulator.setScopes(undefined);
    }
  });
});
