import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseExportCsv } from '../../connectors/marketo/bulk-export.js';
import { MarketoEmulator } from '../../connectors/marketo/emulator/index.js';
import {
  ActivitiesPageSchema,
  CreateFieldsSchema,
  DescribeLeadsSchema,
  DescribeObjectSchema,
  EnvelopeSchema,
  ExportJobsSchema,
  FoldersSchema,
  IdentityErrorSchema,
  LeadSchema,
  LeadsPageSchema,
  OpportunitiesPageSchema,
  OpportunityRolesPageSchema,
  OpportunitySchema,
  PagingTokenSchema,
  RecordResultsSchema,
  StaticListsSchema,
  TokenResponseSchema,
} from '../../connectors/marketo/schemas.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { populationOn } from '../../src/sandbox/presence.js';
import { ANCHOR } from '../helpers/marketo-world.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/marketo');
const recorded = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const withoutRequestId = (body: unknown) => {
  const { requestId: _ignored, ...rest } = body as Record<string, unknown>;
  return rest;
};

function expectShape(schema: z.ZodType, value: unknown): void {
  const result = schema.safeParse(value);
  expect(result.success, result.success ? '' : JSON.stringify(result.error.issues)).toBe(true);
}

interface Answer {
  status: number;
  json: Record<string, unknown>;
  text: string;
}

async function start(options: ConstructorParameters<typeof MarketoEmulator>[0] = {}) {
  const emulator = new MarketoEmulator({ clientId: 'id', clientSecret: 'secret', rateLimit: { max: 10_000, intervalMs: 1_000 }, exportProcessingMs: 0, ...options });
  emulator.load(populationOn(generatePopulation(parsePopulationOptions({ seed: 5, size: 60, anchor: ANCHOR })), 'marketo'));
  const server = await emulator.listen();
  const token = ((await (await fetch(`${server.url}/identity/oauth/token?grant_type=client_credentials&client_id=id&client_secret=secret`)).json()) as { access_token: string }).access_token;
  const call = async (method: string, path: string, body?: { json?: unknown; form?: Record<string, string> }, bearer: string | null = token): Promise<Answer> => {
    const headers: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {};
    let payload: string | undefined;
    if (body?.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body?.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(body.form).toString();
    }
    const r = await fetch(`${server.url}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await r.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* a file */
    }
    return { status: r.status, json, text };
  };
  const code = (a: Answer) => {
    expectShape(EnvelopeSchema, a.json);
    expect(a.status).toBe(200);
    expect(a.json.success).toBe(false);
    return (a.json.errors as Array<{ code: unknown }>)[0]!.code;
  };
  return { emulator, server, token, call, code };
}

describe('Marketo emulator answers pass the connector\'s schemas and match the recorded shapes', () => {
  let env: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    env = await start();
  });
  afterAll(() => env.server.close());

  it('identity: token as recorded; bad credentials answer 401 with an OAuth error body', async () => {
    const ok = await fetch(`${env.server.url}/identity/oauth/token?grant_type=client_credentials&client_id=id&client_secret=secret`);
    const body = await ok.json();
    expectShape(TokenResponseSchema, body);
    expect(Object.keys(body as object)).toEqual(Object.keys(recorded('token.json')));
    // Before expiry the same token comes back.
    expect((body as { access_token: string }).access_token).toBe(env.token);
    const bad = await fetch(`${env.server.url}/identity/oauth/token?grant_type=client_credentials&client_id=id&client_secret=nope`);
    expect(bad.status).toBe(401);
    const error = await bad.json();
    expectShape(IdentityErrorSchema, error);
    expect(error).toEqual(recorded('token_error_invalid_client.json'));
  });

  it('leads: by id with fields, by email, describe, field creation, upsert with skipped rows', async () => {
    const byId = await env.call('GET', '/rest/v1/leads.json?filterType=id&filterValues=1,2,3&fields=email,firstName,unsubscribed,emailInvalid,createdAt,updatedAt');
    expectShape(LeadsPageSchema, byId.json);
    const leads = byId.json.result as Array<Record<string, unknown>>;
    expect(leads).toHaveLength(3);
    for (const l of leads) expectShape(LeadSchema, l);
    expect(typeof leads[0]!.unsubscribed).toBe('boolean');
    expect(String(leads[0]!.createdAt)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const email = String(leads[0]!.email);
    const byEmail = await env.call('GET', `/rest/v1/leads.json?filterType=email&filterValues=${encodeURIComponent(email.trim().toUpperCase())}`);
    // Default fields in the recorded order.
    expect(Object.keys((byEmail.json.result as object[])[0]!)).toEqual(Object.keys((recorded('leads_get_by_email.json').result as object[])[0]!));
    const none = await env.call('GET', '/rest/v1/leads.json?filterType=email&filterValues=nobody%40example.org');
    expect(withoutRequestId(none.json)).toEqual(withoutRequestId(recorded('leads_get_by_email_empty.json')));

    const describe = await env.call('GET', '/rest/v1/leads/describe.json');
    expectShape(DescribeLeadsSchema, describe.json);
    const created = await env.call('POST', '/rest/v1/leads/schema/fields.json', { json: { input: [{ name: 'segsyncTest', displayName: 'segsync Test', dataType: 'integer' }, { name: '9bad', displayName: 'Bad', dataType: 'string' }] } });
    expectShape(CreateFieldsSchema, created.json);
    expect((created.json.result as Array<{ status: string }>).map((r) => r.status)).toEqual(['created', 'skipped']);
    const again = await env.call('POST', '/rest/v1/leads/schema/fields.json', { json: { input: [{ name: 'segsyncTest', displayName: 'segsync Test 2', dataType: 'integer' }] } });
    expect((again.json.result as Array<{ reasons: Array<{ code: string }> }>)[0]!.reasons[0]!.code).toBe('1017');

    const upsert = await env.call('POST', '/rest/v1/leads.json', {
      json: { action: 'updateOnly', lookupField: 'id', input: [{ id: 1, segsyncTest: '5' }, { id: 2, segsyncTest: 'five' }, { id: 999999, segsyncTest: 1 }, { id: 3, nope: 1 }] },
    });
    expectShape(RecordResultsSchema, upsert.json);
    const rows = upsert.json.result as Array<{ id?: number; status: string; reasons?: Array<{ code: string; message: string }> }>;
    expect(rows.map((r) => r.status)).toEqual(['updated', 'skipped', 'skipped', 'skipped']);
    expect(rows.map((r) => r.reasons?.[0]?.code)).toEqual([undefined, '1003', '1004', '1006']);
    // Skipped rows carry no id (recorded leads_upsert_updated_and_skipped_1003.json).
    expect(rows[1]).not.toHaveProperty('id');
    expect(rows[1]!.reasons![0]!.message).toBe("Invalid value for field 'segsyncTest' and value 'five'");
    expect(env.emulator.getLead('1')!.fields.segsyncTest).toBe(5);
  });

  it('activities: paging token, lead changes (only the fields asked for), activities, deleted leads', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    env.emulator.updateLead('4', { city: 'Springfield', phone: '+15550001' });
    env.emulator.deleteLead('5');
    const token = await env.call('GET', `/rest/v1/activities/pagingtoken.json?sinceDatetime=${since}`);
    expectShape(PagingTokenSchema, token.json);
    expect(String(token.json.nextPageToken)).toMatch(/^[A-Z2-7]+=*$/);
    const changes = await env.call('GET', `/rest/v1/activities/leadchanges.json?nextPageToken=${token.json.nextPageToken}&fields=city`);
    expectShape(ActivitiesPageSchema, changes.json);
    const items = changes.json.result as Array<{ leadId: number; activityTypeId: number; activityDate: string; fields: Array<{ name: string }> }>;
    expect(items.filter((a) => a.activityTypeId === 13).map((a) => [a.leadId, a.fields.map((f) => f.name)])).toEqual([[4, ['city']]]);
    expect(items[0]!.activityDate).toMatch(/\+0000$/);
    expect(changes.json.moreResult).toBe(false);
    const activities = await env.call('GET', `/rest/v1/activities.json?activityTypeIds=13,37&nextPageToken=${token.json.nextPageToken}`);
    expectShape(ActivitiesPageSchema, activities.json);
    const seen = (activities.json.result as Array<{ leadId: number; activityTypeId: number }>).filter((a) => a.leadId === 4 || a.leadId === 5);
    expect(seen.map((a) => [a.leadId, a.activityTypeId])).toEqual([[4, 13], [4, 13], [5, 37]]);
    const deleted = await env.call('GET', `/rest/v1/activities/deletedleads.json?nextPageToken=${token.json.nextPageToken}`);
    expectShape(ActivitiesPageSchema, deleted.json);
    expect((deleted.json.result as Array<{ leadId: number }>).map((a) => a.leadId)).toEqual([5]);
    expect(env.code(await env.call('GET', '/rest/v1/activities.json?nextPageToken=x'))).toBe('701');
    expect(env.code(await env.call('GET', `/rest/v1/activities/leadchanges.json?nextPageToken=${token.json.nextPageToken}&fields=nope`))).toBe('1006');
  });

  it('opportunities and roles by lead, with fields left out when they have no value', async () => {
    const roles = await env.call('GET', `/rest/v1/opportunities/roles.json?filterType=leadId&filterValues=${env.emulator.listLeads().map((l) => l.id).join(',')}`);
    expectShape(OpportunityRolesPageSchema, roles.json);
    const ext = (roles.json.result as Array<{ externalOpportunityId: string }>).map((r) => r.externalOpportunityId);
    expect(ext.length).toBeGreaterThan(10);
    const opps = await env.call('GET', `/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=${ext.slice(0, 50).join(',')}&fields=externalOpportunityId,name,amount,closeDate,isWon,isClosed,description`);
    expectShape(OpportunitiesPageSchema, opps.json);
    for (const o of opps.json.result as unknown[]) {
      expectShape(OpportunitySchema, o);
      expect(o).not.toHaveProperty('description');
      expect(String((o as { closeDate: string }).closeDate)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(env.code(await env.call('GET', `/rest/v1/opportunities.json?filterType=name&filterValues=x`))).toBe('1003');
  });

  it('describe: leads as recorded, opportunities as the docs show them; every field the population holds is described', async () => {
    const leads = await env.call('GET', '/rest/v1/leads/describe.json');
    expectShape(DescribeLeadsSchema, leads.json);
    const recordedKeys = new Set((recorded('leads_describe.json').result as Array<Record<string, unknown>>).flatMap((f) => Object.keys(f)));
    const described = leads.json.result as Array<{ rest: { name: string; readOnly: boolean } } & Record<string, unknown>>;
    for (const f of described) {
      expect(Object.keys(f).filter((k) => !recordedKeys.has(k))).toEqual([]);
      expect(Object.keys(f.rest).sort()).toEqual(['name', 'readOnly']);
    }
    const leadFields = new Set(described.map((f) => f.rest.name));
    const lead = env.emulator.getLead(env.emulator.listLeads()[0]!.id)!;
    const filled = Object.entries(lead.fields).filter(([, v]) => v !== null).map(([k]) => k);
    expect(filled).toEqual(expect.arrayContaining(['email', 'firstName', 'lastName', 'phone', 'city', 'country', 'unsubscribed', 'leadSource']));
    for (const name of filled) expect(leadFields.has(name), name).toBe(true);

    const opportunities = await env.call('GET', '/rest/v1/opportunities/describe.json');
    expectShape(DescribeObjectSchema, opportunities.json);
    const object = (opportunities.json.result as Array<{ name: string; idField: string; dedupeFields: string[]; fields: Array<{ name: string; dataType: string }> }>)[0]!;
    expect(object).toMatchObject({ name: 'opportunity', idField: 'marketoGUID', dedupeFields: ['externalOpportunityId'] });
    const opportunityFields = object.fields.map((f) => f.name);
    for (const o of env.emulator.allOpportunities()) {
      for (const name of Object.keys(o.values)) expect(opportunityFields, name).toContain(name);
    }
    // Get Opportunities accepts exactly the described fields.
    const ext = env.emulator.allOpportunities()[0]!.externalOpportunityId;
    const all = await env.call('GET', `/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=${ext}&fields=${opportunityFields.join(',')}`);
    expect(all.json.success).toBe(true);
    expect(env.code(await env.call('GET', `/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=${ext}&fields=amuont`))).toBe('1006');
  });

  it('static lists and folders: lookups that find nothing, creation, membership with skipped rows', async () => {
    const missing = await env.call('GET', `/rest/asset/v1/staticList/byName.json?name=${encodeURIComponent('segsync · Champions')}`);
    expectShape(StaticListsSchema, missing.json);
    expect(withoutRequestId(missing.json)).toEqual(withoutRequestId(recorded('asset_static_list_by_name_not_found.json')));
    const groupLists = await env.call('GET', '/rest/asset/v1/folder/byName.json?name=Group%20Lists&type=Folder');
    expectShape(FoldersSchema, groupLists.json);
    expect(withoutRequestId(groupLists.json)).toEqual(withoutRequestId(recorded('asset_folder_by_name.json')));
    const folder = await env.call('POST', '/rest/asset/v1/folders.json', { form: { name: 'segsync', parent: JSON.stringify({ id: 12, type: 'Folder' }) } });
    expectShape(FoldersSchema, folder.json);
    const folderId = (folder.json.result as Array<{ id: number }>)[0]!.id;
    const created = await env.call('POST', '/rest/asset/v1/staticLists.json', { form: { name: 'segsync · Champions', folder: JSON.stringify({ id: folderId, type: 'Folder' }) } });
    expectShape(StaticListsSchema, created.json);
    const list = (created.json.result as Array<Record<string, unknown>>)[0]!;
    expect(Object.keys(list)).toEqual(Object.keys((recorded('asset_static_list_create.json').result as object[])[0]!));
    expect(String(list.createdAt)).toMatch(/Z\+0000$/);
    expect(env.code(await env.call('POST', '/rest/asset/v1/staticLists.json', { form: { name: 'segsync · Champions', folder: JSON.stringify({ id: folderId, type: 'Folder' }) } }))).toBe('709');

    const add = await env.call('POST', `/rest/v1/lists/${String(list.id)}/leads.json`, { json: { input: [{ id: 1 }, { id: 2 }, { id: 999999 }] } });
    expectShape(RecordResultsSchema, add.json);
    expect((add.json.result as Array<{ status: string }>).map((r) => r.status)).toEqual(['added', 'added', 'skipped']);
    const remove = await env.call('DELETE', `/rest/v1/lists/${String(list.id)}/leads.json?id=1&id=3`);
    expectShape(RecordResultsSchema, remove.json);
    expect(withoutRequestId(remove.json)).toEqual({ ...withoutRequestId(recorded('list_remove_leads_removed_and_skipped_1015.json')), result: [{ id: 1, status: 'removed' }, { id: 3, status: 'skipped', reasons: [{ code: '1015', message: 'Lead not in list' }] }] });
    const members = await env.call('GET', `/rest/v1/lists/${String(list.id)}/leads.json`);
    expectShape(LeadsPageSchema, members.json);
    expect(env.emulator.listMemberIds(String(list.id))).toEqual(['2']);
    expect(withoutRequestId(await env.call('POST', '/rest/v1/lists/424242/leads.json', { json: { input: [{ id: 1 }] } }).then((a) => a.json))).toEqual(withoutRequestId({ ...recorded('error_1013_static_list_not_found.json'), warnings: undefined }));
    const tooMany = Array.from({ length: 301 }, (_, i) => ({ id: i + 1 }));
    expect(env.code(await env.call('POST', `/rest/v1/lists/${String(list.id)}/leads.json`, { json: { input: tooMany } }))).toBe('1003');
  });

  it('bulk activity extract: the same activities and GUIDs as the REST answers, Created → Queued → Completed, the docs\' CSV columns, the 31-day limit', async () => {
    const token = await env.call('GET', '/rest/v1/activities/pagingtoken.json?sinceDatetime=2000-01-01T00:00:00Z');
    const page = await env.call('GET', `/rest/v1/activities.json?activityTypeIds=1,2,3,7,8,9,10,11&nextPageToken=${String(token.json.nextPageToken)}`);
    const first = (page.json.result as Array<{ marketoGUID: string; leadId: number; activityDate: string; activityTypeId: number }>)[0]!;
    expect(first).toBeDefined();
    const at = Date.parse(first.activityDate);
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const created = await env.call('POST', '/bulk/v1/activities/export/create.json', { json: { format: 'CSV', filter: { createdAt: { startAt: iso(at - 1000), endAt: iso(at + 1000) }, activityTypeIds: [first.activityTypeId] } } });
    expectShape(ExportJobsSchema, created.json);
    const job = (created.json.result as Array<{ exportId: string; status: string }>)[0]!;
    expect(job.status).toBe('Created');
    const queued = await env.call('POST', `/bulk/v1/activities/export/${job.exportId}/enqueue.json`);
    expect((queued.json.result as Array<{ status: string }>)[0]!.status).toMatch(/^(Queued|Processing|Completed)$/); // processing takes 0 ms here
    // A lead export's path does not know an activity job.
    expect(env.code(await env.call('GET', `/bulk/v1/leads/export/${job.exportId}/status.json`))).toBe('1013');
    const status = await env.call('GET', `/bulk/v1/activities/export/${job.exportId}/status.json`);
    expect((status.json.result as Array<{ status: string }>)[0]!.status).toBe('Completed');
    const file = await env.call('GET', `/bulk/v1/activities/export/${job.exportId}/file.json`);
    expect(file.text.split('\n')[0]).toBe('marketoGUID,leadId,activityDate,activityTypeId,campaignId,primaryAttributeValueId,primaryAttributeValue,attributes');
    const row = parseExportCsv(file.text).find((r) => r.marketoGUID === first.marketoGUID);
    expect(row).toMatchObject({ leadId: String(first.leadId), activityDate: first.activityDate, activityTypeId: String(first.activityTypeId), campaignId: null });
    expect(JSON.parse(String(row!.attributes))).toEqual(expect.any(Object));
    const wide = await env.call('POST', '/bulk/v1/activities/export/create.json', { json: { filter: { createdAt: { startAt: '2020-01-01T00:00:00Z', endAt: '2020-02-02T00:00:01Z' } } } });
    expect(env.code(wide)).toBe('1003');
    expect(env.code(await env.call('POST', '/bulk/v1/activities/export/create.json', { json: { filter: { activityTypeIds: [1] } } }))).toBe('701');
  });

  it('bulk lead extract: create, enqueue, status, CSV file with literal nulls; 31-day and filter limits', async () => {
    const created = await env.call('POST', '/bulk/v1/leads/export/create.json', { json: { fields: ['id', 'email', 'unsubscribed', 'segsyncTest'], format: 'CSV', filter: { createdAt: { startAt: '2020-01-01T00:00:00Z', endAt: '2020-01-31T00:00:00Z' } } } });
    expectShape(ExportJobsSchema, created.json);
    const id = (created.json.result as Array<{ exportId: string; status: string }>)[0]!;
    expect(id.status).toBe('Created');
    const queued = await env.call('POST', `/bulk/v1/leads/export/${id.exportId}/enqueue.json`);
    expectShape(ExportJobsSchema, queued.json);
    expect(env.code(await env.call('POST', `/bulk/v1/leads/export/${id.exportId}/enqueue.json`))).toBe('1029');
    const status = await env.call('GET', `/bulk/v1/leads/export/${id.exportId}/status.json`);
    expectShape(ExportJobsSchema, status.json);
    expect((status.json.result as Array<{ status: string }>)[0]!.status).toBe('Completed');
    const wide = await env.call('POST', '/bulk/v1/leads/export/create.json', { json: { fields: ['id', 'email', 'unsubscribed', 'segsyncTest'], filter: { createdAt: { startAt: '2000-01-01T00:00:00Z', endAt: '2030-01-01T00:00:00Z' } } } });
    expect(env.code(wide)).toBe('1003');
    expect(env.code(await env.call('POST', '/bulk/v1/leads/export/create.json', { json: { fields: ['id'], filter: { updatedAt: { startAt: '2020-01-01T00:00:00Z', endAt: '2020-01-02T00:00:00Z' } } } }))).toBe('1035');
    expect(env.code(await env.call('POST', '/bulk/v1/leads/export/create.json', { json: { fields: ['nope'], filter: { createdAt: { startAt: '2020-01-01T00:00:00Z', endAt: '2020-01-02T00:00:00Z' } } } }))).toBe('1006');
    // A window with leads: the file is CSV with a header of REST names and `null` for empty cells.
    const lead = env.emulator.getLead('1')!;
    const start = new Date(Date.parse(lead.createdAt) - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const end = new Date(Date.parse(lead.createdAt) + 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const job = (await env.call('POST', '/bulk/v1/leads/export/create.json', { json: { fields: ['id', 'email', 'unsubscribed', 'leadScore'], filter: { createdAt: { startAt: start, endAt: end } } } })).json.result as Array<{ exportId: string }>;
    await env.call('POST', `/bulk/v1/leads/export/${job[0]!.exportId}/enqueue.json`);
    const file = await env.call('GET', `/bulk/v1/leads/export/${job[0]!.exportId}/file.json`);
    expect(file.text.split('\n')[0]).toBe('id,email,unsubscribed,leadScore');
    const rows = parseExportCsv(file.text);
    // The score is the person's (a points sum of their events); a lead with none has a literal null.
    expect(rows.find((r) => r.id === 1)).toEqual({ id: 1, email: lead.fields.email, unsubscribed: String(lead.fields.unsubscribed), leadScore: lead.fields.leadScore === null || lead.fields.leadScore === undefined ? null : String(lead.fields.leadScore) });
  });

  it('auth errors: no token 600, an unknown one 601, an expired one 602, all inside HTTP 200 (recorded shapes)', async () => {
    expect(env.code(await env.call('GET', '/rest/v1/leads/describe.json', undefined, null))).toBe('600');
    const invalid = await env.call('GET', '/rest/v1/leads/describe.json', undefined, 'not-a-token');
    expect(withoutRequestId(invalid.json)).toEqual({ success: false, errors: recorded('error_601_access_token_invalid.json').errors });
    env.emulator.expireTokens();
    const expired = await env.call('GET', '/rest/v1/leads/describe.json');
    expect(withoutRequestId(expired.json)).toEqual(withoutRequestId(recorded('error_602_access_token_expired.json')));
    expect(env.code(await env.call('GET', '/rest/v1/nothing.json', undefined, (await (await fetch(`${env.server.url}/identity/oauth/token?grant_type=client_credentials&client_id=id&client_secret=secret`)).json() as { access_token: string }).access_token))).toBe('610');
  });
});

describe('Marketo emulator limits answer as Marketo does', () => {
  it('606 past 100 calls in the rolling window, 615 past 10 in flight, 607 past the daily quota, 1029 past 10 queued export jobs', async () => {
    const limited = await start({ rateLimit: { max: 5, intervalMs: 60_000 }, dailyQuota: 1_000 });
    try {
      const codes = [];
      for (let i = 0; i < 7; i++) codes.push((await limited.call('GET', '/rest/v1/leads/describe.json')).json.errors);
      expect(codes.slice(0, 5).every((c) => c === undefined)).toBe(true);
      const rate = await limited.call('GET', '/rest/v1/leads/describe.json');
      expect(limited.code(rate)).toBe('606');
      expect((rate.json.errors as Array<{ message: string }>)[0]!.message).toBe("Max rate limit '5' exceeded with in '60' secs");
      // Auth failures do not count against the window.
      expect(limited.code(await limited.call('GET', '/rest/v1/leads/describe.json', undefined, 'bad'))).toBe('601');
    } finally {
      await limited.server.close();
    }
    const slow = await start({ latencyMs: 50 });
    try {
      const answers = await Promise.all(Array.from({ length: 14 }, () => slow.call('GET', '/rest/v1/leads/describe.json')));
      const refused = answers.filter((a) => a.json.success === false).map((a) => slow.code(a));
      expect(refused).toEqual(['615', '615', '615', '615']);
    } finally {
      await slow.server.close();
    }
    const quota = await start({ dailyQuota: 2 });
    try {
      await quota.call('GET', '/rest/v1/leads/describe.json');
      await quota.call('GET', '/rest/v1/leads/describe.json');
      expect(quota.code(await quota.call('GET', '/rest/v1/leads/describe.json'))).toBe('607');
    } finally {
      await quota.server.close();
    }
    const queue = await start({ exportProcessingMs: 60_000 });
    try {
      const results: string[] = [];
      for (let i = 0; i < 11; i++) {
        const job = (await queue.call('POST', '/bulk/v1/leads/export/create.json', { json: { fields: ['id'], filter: { createdAt: { startAt: '2020-01-01T00:00:00Z', endAt: '2020-01-02T00:00:00Z' } } } })).json.result as Array<{ exportId: string }>;
        const enqueued = await queue.call('POST', `/bulk/v1/leads/export/${job[0]!.exportId}/enqueue.json`);
        results.push(enqueued.json.success === true ? 'ok' : queue.code(enqueued) as string);
      }
      expect(results).toEqual([...Array(10).fill('ok'), '1029']);
      expect(queue.emulator.exportJobCounts()).toEqual({ Processing: 2, Queued: 8, Created: 1 });
    } finally {
      await queue.server.close();
    }
  });
});

describe('The Marketo connector descriptor\'s sandbox emulator', () => {
  it('is mounted at /marketo, serves only the people on Marketo, and its env points segsync at it', async () => {
    const { startSandbox } = await import('../../src/sandbox/server.js');
    const { marketo } = await import('../../connectors/marketo/index.js');
    const { marketoConfigFromEnv } = await import('../../connectors/marketo/config.js');
    const { MarketoClient } = await import('../../connectors/marketo/client.js');
    const sandbox = await startSandbox({ registry: [marketo as never], size: 50, anchor: ANCHOR });
    try {
      expect(sandbox.env.MARKETO_BASE_URL).toBe(`${sandbox.url}/marketo`);
      const emulator = sandbox.emulators.get('marketo') as unknown as MarketoEmulator;
      const onMarketo = [...populationOn(generatePopulation(sandbox.population), 'marketo')];
      expect(emulator.listLeads().map((l) => l.email).sort()).toEqual(onMarketo.map((p) => p.email).sort());
      expect(onMarketo.length).toBeLessThan(50);
      const client = new MarketoClient(marketoConfigFromEnv(sandbox.env)!);
      const page = await client.request({ method: 'GET', path: '/rest/v1/leads.json', qs: { filterType: 'id', filterValues: '1,2' }, schema: LeadsPageSchema, write: false });
      expect(page.result).toHaveLength(2);
      // Nothing an emulator serves may carry the generator's hidden ground truth.
      expect(JSON.stringify(page)).not.toMatch(/trueType|frequent_small_buyer|rare_big_spender|prospect"/);
    } finally {
      await sandbox.close();
    }
  });
});
