import { afterEach, describe, expect, it } from 'vitest';
import { pull } from '../../src/pipeline/run.js';
import { StreamCursors } from '../../src/store/cursors.js';
import type { EngagementChannel } from '../../src/domain/records.js';
import type { SyntheticEvent, SyntheticPerson } from '../../src/sandbox/population-types.js';
import { CLIENT_ID, CLIENT_SECRET, marketoWorld, signal, type MarketoWorld } from '../helpers/marketo-world.js';
import { MarketoClient } from '../../connectors/marketo/client.js';
import { ActivitiesPageSchema, ActivityTypesSchema, PagingTokenSchema } from '../../connectors/marketo/schemas.js';
import { ENGAGEMENT_ACTIVITY_TYPES } from '../../connectors/marketo/engagement.js';
import { failure } from '../helpers/api-failure.js';

const DAY = 86_400_000;
/** The channels Marketo has standard activities for (the emulator serves these, the connector reads them). */
const CHANNELS: EngagementChannel[] = ['web_visit', 'page_view', 'form_fill', 'email_delivered', 'email_open', 'email_click', 'email_bounce', 'unsubscribe'];

/** Hand-built people who did things (generated people carry no events until the population gains them). */
function people(count: number, eventsEach: number): SyntheticPerson[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, index): SyntheticPerson => {
    const events: SyntheticEvent[] = Array.from({ length: eventsEach }, (_, n) => ({
      channel: CHANNELS[(index + n * 3) % CHANNELS.length]!,
      at: new Date(now - ((n * 7919 + index * 104_729) % (300 * DAY / 1000)) * 1000 - DAY).toISOString(),
    }));
    // One event older than the default history of 365 days: the first pull does not read it.
    events.push({ channel: 'web_visit', at: new Date(now - 400 * DAY).toISOString() });
    events.sort((a, b) => a.at.localeCompare(b.at));
    return {
      index,
      trueType: 'prospect',
      firstName: `Lead${index}`,
      lastName: 'Example',
      email: `lead${index}@example.com`,
      phone: `+1415555${String(1000 + index)}`,
      city: 'Boston',
      country: 'US',
      emailConsent: 'subscribed',
      createdAt: new Date(now - 500 * DAY).toISOString(),
      purchases: [],
      engagement: { emailsOpened: 0, emailsClicked: 0, lastOpenedAt: null },
      activity: {
        emailsDelivered: 0, emailsBounced: 0, lastClickedAt: null, webVisits: null, pageViews: null, lastVisitAt: null,
        formSubmissions: 0, lastSalesReplyAt: null, leadStatus: index % 2 === 0 ? 'Open' : 'Working', jobTitle: index % 3 === 0 ? null : `VP Marketing ${index}`,
      },
      company: index % 4 === 3 ? null : { name: `Company ${index}`, industry: index % 2 === 0 ? 'COMPUTER_SOFTWARE' : 'HOSPITAL_HEALTH_CARE', employees: 50 * (index + 1), annualRevenue: 1_000_000 * (index + 1) },
      events,
    };
  });
}

/** Events per lead and channel the store should hold: within the history, on the lead the person became. */
function expected(world: MarketoWorld, persons: SyntheticPerson[], historyDays = 365): Map<string, number> {
  const from = Date.now() - historyDays * DAY;
  const out = new Map<string, number>();
  for (const p of persons) {
    const lead = world.emulator.leadIdForPersonIndex(p.index)!;
    for (const e of p.events ?? []) {
      if (Date.parse(e.at) < from) continue;
      const key = `${lead} ${e.channel}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

function stored(world: MarketoWorld): Map<string, number> {
  const rows = world.open().db.prepare("SELECT contact_external_id AS lead, channel, COUNT(*) AS n FROM engagement_events WHERE platform = 'marketo' GROUP BY 1, 2").all() as Array<{ lead: string; channel: string; n: number }>;
  return new Map(rows.map((r) => [`${r.lead} ${r.channel}`, r.n]));
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const engagementOf = (result: Awaited<ReturnType<typeof pull>>) => result.streams.find((s) => s.platform === 'marketo' && s.stream === 'engagement')!;
/** The REST path's tests: the first pull pages through Get Lead Activities, not Bulk Activity Extract. */
const REST_ONLY = { MARKETO_ACTIVITY_BULK_EXTRACT: 'false' };
const activityCalls = (world: MarketoWorld) => world.emulator.requests.filter((r) => r.path.startsWith('/rest/v1/activities.json'));

let world: MarketoWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('Marketo engagement: activities pulled into engagement_events', () => {
  it('stores every activity of the history as an event of the right channel, page after page; the next pull reads only new ones', async () => {
    const persons = people(12, 80);
    world = await marketoWorld({ people: persons, env: REST_ONLY });
    const session = world.open();

    const first = await pull(session, { full: false, signal });
    const want = expected(world, persons);
    expect(total(want)).toBe(12 * 80);
    expect(stored(world)).toEqual(want);
    expect(engagementOf(first)).toMatchObject({ mode: 'full', stored: 960, changed: 960, warnings: [] });
    // Several pages of at most 300, every call asking for the eight types at once.
    const calls = activityCalls(world);
    expect(calls.length).toBeGreaterThan(3);
    for (const c of calls) expect(new URL(c.path, 'http://x').searchParams.get('activityTypeIds')).toBe('1,2,3,7,8,9,10,11');
    // Keys are Marketo's activity GUIDs: one row per activity, none repeated.
    const keys = session.db.prepare("SELECT COUNT(DISTINCT key) AS n FROM engagement_events WHERE platform = 'marketo'").get() as { n: number };
    expect(keys.n).toBe(960);

    // New activities after the pull: the next one reads them and nothing else, from the stored token.
    const lead = world.emulator.leadIdForPersonIndex(0)!;
    const other = world.emulator.leadIdForPersonIndex(5)!;
    world.emulator.recordEngagement(lead, 'email_open');
    world.emulator.recordEngagement(lead, 'email_click');
    world.emulator.recordEngagement(other, 'form_fill');
    const cursor = new StreamCursors(session.db).get('marketo', 'engagement') as { token: string };
    world.emulator.resetRequestLog();
    const second = await pull(session, { full: false, signal });
    expect(engagementOf(second)).toMatchObject({ mode: 'incremental', received: 3, stored: 3, changed: 3 });
    const ours = activityCalls(world).filter((c) => new URL(c.path, 'http://x').searchParams.get('activityTypeIds') === '1,2,3,7,8,9,10,11');
    expect(new URL(ours[0]!.path, 'http://x').searchParams.get('nextPageToken')).toBe(cursor.token);
    want.set(`${lead} email_open`, (want.get(`${lead} email_open`) ?? 0) + 1);
    want.set(`${lead} email_click`, (want.get(`${lead} email_click`) ?? 0) + 1);
    want.set(`${other} form_fill`, (want.get(`${other} form_fill`) ?? 0) + 1);
    expect(stored(world)).toEqual(want);
  });

  it('lead score, job title, lead status, industry, employees and revenue land in the contact attributes', async () => {
    const persons = people(8, 5);
    world = await marketoWorld({ people: persons });
    const session = world.open();
    await pull(session, { full: false, signal });
    const rows = session.db.prepare("SELECT external_id AS id, attributes FROM contacts WHERE platform = 'marketo'").all() as Array<{ id: string; attributes: string }>;
    expect(rows).toHaveLength(8);
    for (const p of persons) {
      const id = world.emulator.leadIdForPersonIndex(p.index)!;
      const attributes = JSON.parse(rows.find((r) => r.id === id)!.attributes) as Record<string, unknown>;
      const lead = world.emulator.getLead(id)!.fields;
      // Bulk extract files carry numbers as text (REST as JSON numbers): the features read both.
      const asNumber = (v: unknown) => (v === null ? null : Number(v));
      expect({
        ...attributes,
        leadScore: asNumber(attributes.leadScore),
        companyEmployees: asNumber(attributes.companyEmployees),
        companyAnnualRevenue: asNumber(attributes.companyAnnualRevenue),
      }).toMatchObject({
        leadScore: lead.leadScore,
        jobTitle: p.activity!.jobTitle,
        leadStatus: p.activity!.leadStatus,
        companyIndustry: p.company?.industry ?? null,
        companyEmployees: p.company?.employees ?? null,
        companyAnnualRevenue: p.company?.annualRevenue ?? null,
      });
    }
    // The score follows what people did (a points sum over their events): it differs between people.
    expect(new Set(rows.map((r) => Number((JSON.parse(r.attributes) as { leadScore: unknown }).leadScore))).size).toBeGreaterThan(1);
  });

  it('a score change (Change Score activity, no Data Value Change) reaches the stored lead score on the next pull', async () => {
    const persons = people(6, 5);
    world = await marketoWorld({ people: persons });
    const session = world.open();
    await pull(session, { full: false, signal });
    const id = world.emulator.leadIdForPersonIndex(2)!;
    const scoreOf = () => Number((JSON.parse((session.db.prepare("SELECT attributes FROM contacts WHERE platform = 'marketo' AND external_id = ?").get(id) as { attributes: string }).attributes) as { leadScore: unknown }).leadScore);
    const before = scoreOf();
    world.emulator.changeScore(id, 25);
    const second = await pull(session, { full: false, signal });
    expect(scoreOf()).toBe(before + 25);
    expect(second.streams.find((s) => s.platform === 'marketo' && s.stream === 'contacts')).toMatchObject({ mode: 'incremental', changed: 1 });
  });

  it('a pull stopped mid-stream resumes after the last stored page: no page read twice, no event missing', async () => {
    const persons = people(10, 100);
    world = await marketoWorld({ people: persons, env: REST_ONLY });
    const session = world.open();
    const stop = new AbortController();
    let calls = 0;
    world.emulator.onRequest = ({ path }) => {
      if (path.startsWith('/rest/v1/activities.json') && ++calls === 3) stop.abort(new Error('killed'));
    };
    await expect(pull(session, { full: false, signal: stop.signal })).rejects.toThrow('killed');
    world.emulator.onRequest = undefined;
    const before = total(stored(world));
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(1000);

    const resumed = await pull(session, { full: false, signal });
    // Read from the stored token on: exactly the events not stored yet.
    expect(engagementOf(resumed)).toMatchObject({ mode: 'incremental', stored: 1000 - before, changed: 1000 - before });
    expect(stored(world)).toEqual(expected(world, persons));
  });

  it('an error answer mid-stream fails the pull naming the call and the code; the next pull completes', async () => {
    const persons = people(10, 100);
    world = await marketoWorld({ people: persons, env: REST_ONLY });
    const session = world.open();
    let calls = 0;
    world.emulator.onRequest = ({ path }) => {
      if (path.startsWith('/rest/v1/activities.json') && ++calls === 2) {
        world!.emulator.injectFault({ match: /^GET \/rest\/v1\/activities\.json/, status: 200, body: { requestId: 'e42b#1', success: false, errors: [{ code: '603', message: 'Access denied' }] } });
      }
    };
    await expect(pull(session, { full: false, signal })).rejects.toThrow(/GET \/rest\/v1\/activities\.json.*603|603.*GET \/rest\/v1\/activities\.json/s);
    world.emulator.onRequest = undefined;
    const before = total(stored(world));
    expect(before).toBeGreaterThan(0);

    const next = await pull(session, { full: false, signal });
    expect(engagementOf(next).stored).toBe(1000 - before);
    expect(stored(world)).toEqual(expected(world, persons));
  });

  it('the emulator serves person events as activities: standard type ids by name, stable GUIDs in date order, pages of 300, Marketo\'s errors', async () => {
    const persons = people(4, 200);
    world = await marketoWorld({ people: persons });
    const client = new MarketoClient({
      baseUrl: world.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, listFolder: 'segsync', timeoutMs: 5_000,
      rateLimit: { max: 1_000, intervalMs: 1_000 }, maxConcurrency: 10, bulkPollMs: 10, maxAttempts: 1,
    });
    const get = <S extends Parameters<typeof client.request>[0]['schema']>(path: string, schema: S, qs: Record<string, string> = {}) =>
      client.request({ method: 'GET', path, qs, schema, write: false }, signal);
    const types = await get('/rest/v1/activities/types.json', ActivityTypesSchema);
    const byName = new Map((types.result ?? []).map((t) => [t.name, t.id]));
    for (const t of ENGAGEMENT_ACTIVITY_TYPES) expect(byName.get(t.name), t.name).toBe(t.standardId);

    const read = async () => {
      let token = (await get('/rest/v1/activities/pagingtoken.json', PagingTokenSchema, { sinceDatetime: new Date(Date.now() - 365 * DAY).toISOString() })).nextPageToken;
      const all: Array<{ id?: number | undefined; marketoGUID?: string | undefined; leadId: number; activityDate: string; activityTypeId: number; primaryAttributeValue?: string | null | undefined; attributes?: unknown[] | undefined }> = [];
      for (;;) {
        const page = await get('/rest/v1/activities.json', ActivitiesPageSchema, { activityTypeIds: '1,2,3,7,8,9,10,11', nextPageToken: token });
        expect((page.result ?? []).length).toBeLessThanOrEqual(300);
        all.push(...(page.result ?? []));
        token = page.nextPageToken ?? token;
        if (page.moreResult !== true) return all;
      }
    };
    const activities = await read();
    expect(activities).toHaveLength(800);
    const dates = activities.map((a) => Date.parse(a.activityDate));
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
    expect(new Set(activities.map((a) => a.marketoGUID)).size).toBe(800);
    // Shaped like Marketo's: a primary attribute (page, form, email) and secondary attributes.
    for (const a of activities) expect(a.primaryAttributeValue && (a.attributes ?? []).length > 0, JSON.stringify(a)).toBeTruthy();
    // Read again: the same GUIDs (stable ids).
    expect((await read()).map((a) => a.marketoGUID)).toEqual(activities.map((a) => a.marketoGUID));
    // Per lead and type, as many activities as the person has events of the matching channel.
    const typeOf = new Map(ENGAGEMENT_ACTIVITY_TYPES.map((t) => [t.channel as string, t.standardId]));
    for (const p of persons) {
      const lead = Number(world.emulator.leadIdForPersonIndex(p.index));
      for (const [channel, id] of typeOf) {
        const want = (p.events ?? []).filter((e) => e.channel === channel && Date.parse(e.at) >= Date.now() - 365 * DAY).length;
        expect(activities.filter((a) => a.leadId === lead && a.activityTypeId === id).length, `${lead} ${channel}`).toBe(want);
      }
    }

    const eleven = await failure(get('/rest/v1/activities.json', ActivitiesPageSchema, { activityTypeIds: '1,2,3,6,7,8,9,10,11,12,13', nextPageToken: 'GEZDGNBVGY======' }));
    expect(eleven.message).toContain('1003');
    const garbled = await failure(get('/rest/v1/activities.json', ActivitiesPageSchema, { activityTypeIds: '1', nextPageToken: 'not-a-token' }));
    expect(garbled.message).toContain('1003');
  });
});
