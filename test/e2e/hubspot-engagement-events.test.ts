/**
 * Issue 13 (HubSpot): dated engagement events from property history, end to end against the
 * emulator. People built by hand with dated events: the pull stores engagement_events whose sums
 * per channel equal HubSpot's counters and whose dates are the events' dates; a pull with no
 * change adds nothing; new activity adds only its own rises; the emulator answers history in
 * HubSpot's shape and limits; a 429 with Retry-After is waited out and a 400 stops the stream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pull } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { StreamCursors } from '../../src/store/cursors.js';
import type { EngagementChannel } from '../../src/domain/records.js';
import type { SyntheticEvent, SyntheticPerson } from '../../src/sandbox/population-types.js';
import { ANCHOR, TOKEN, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

let world: HubSpotWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const COUNTERS: Array<[EngagementChannel, string]> = [
  ['email_delivered', 'hs_email_delivered'],
  ['email_open', 'hs_email_open'],
  ['email_click', 'hs_email_click'],
  ['email_bounce', 'hs_email_bounce'],
  ['web_visit', 'hs_analytics_num_visits'],
  ['page_view', 'hs_analytics_num_page_views'],
  ['form_fill', 'num_conversion_events'],
];

const at = (day: string, time = '10:00:00') => `2026-${day}T${time}.000Z`;
const ev = (channel: EngagementChannel, when: string): SyntheticEvent => ({ channel, at: when });

/** A lead who never bought, with these events (or none: then HubSpot holds totals set once). */
function person(index: number, events: SyntheticEvent[] | undefined, opened = 0): SyntheticPerson {
  return {
    index,
    trueType: 'prospect',
    firstName: `Lead${index}`,
    lastName: 'Events',
    email: `lead${index}@events.example`,
    phone: '+14155550100',
    city: 'Leeds',
    country: 'GB',
    emailConsent: 'subscribed',
    createdAt: '2025-11-01T08:00:00.000Z',
    purchases: [],
    engagement: { emailsOpened: opened, emailsClicked: 0, lastOpenedAt: null },
    ...(events ? { events } : {}),
  } as SyntheticPerson;
}

const ACTIVE_EVENTS: SyntheticEvent[] = [
  ev('email_delivered', at('01-10')), ev('email_delivered', at('02-10')), ev('email_delivered', at('03-10')), ev('email_delivered', at('04-10')),
  ev('email_open', at('01-11')), ev('email_open', at('02-11')), ev('email_open', at('04-12')),
  ev('email_click', at('02-11', '10:05:00')),
  ev('email_bounce', at('03-10')),
  // Two visits at one instant: one history entry, one event of 2.
  ev('web_visit', at('02-20')), ev('web_visit', at('02-20')), ev('web_visit', at('05-03')),
  ev('page_view', at('02-20')), ev('page_view', at('02-20', '10:01:00')), ev('page_view', at('05-03')),
  ev('form_fill', at('05-03', '10:02:00')),
  ev('sales_email_reply', at('03-15')), ev('sales_email_reply', at('05-20')),
  // No counter on a HubSpot contact: not an event the history can show.
  ev('unsubscribe', at('05-25')),
];

interface EventRow { channel: string; occurred_at: string; count: number; key: string }

function eventsOf(session: Session, contactId: string): EventRow[] {
  return session.db.prepare("SELECT channel, occurred_at, count, key FROM engagement_events WHERE platform = 'hubspot' AND contact_external_id = ? ORDER BY channel, occurred_at").all(contactId) as EventRow[];
}

/** What the stored events say: channel → { sum, dates with counts }. */
function byChannel(rows: EventRow[]): Map<string, { sum: number; dates: string[] }> {
  const out = new Map<string, { sum: number; dates: string[] }>();
  for (const r of rows) {
    const c = out.get(r.channel) ?? { sum: 0, dates: [] };
    c.sum += r.count;
    for (let i = 0; i < r.count; i++) c.dates.push(r.occurred_at);
    out.set(r.channel, c);
  }
  return out;
}

/** The events' own dates per channel, one per event, sorted. */
function expectedDates(events: SyntheticEvent[], channel: EngagementChannel): string[] {
  return events.filter((e) => e.channel === channel).map((e) => e.at).sort();
}

const totalRows = (session: Session) => (session.db.prepare("SELECT COUNT(*) AS n FROM engagement_events WHERE platform = 'hubspot'").get() as { n: number }).n;
const engagementSummary = (result: Awaited<ReturnType<typeof pull>>) => result.streams.find((s) => s.platform === 'hubspot' && s.stream === 'engagement')!;

async function worldWithLeads(): Promise<{ session: Session; active: string; setOnce: string }> {
  world = await hubspotWorld({ size: 40, config: `sources:\n  hubspot:\n    lookbackMinutes: 0\nsegmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n` });
  world.emulator.load([person(90_001, ACTIVE_EVENTS), person(90_002, undefined, 3)]);
  const session = world.open();
  return { session, active: world.emulator.contactIdForPersonIndex(90_001)!, setOnce: world.emulator.contactIdForPersonIndex(90_002)! };
}

/** Every contact: the stored events of each counter add up to the counter HubSpot shows. */
function expectSumsEqualCounters(session: Session): void {
  const mismatches: string[] = [];
  for (const contact of world!.emulator.listContacts()) {
    const stored = byChannel(eventsOf(session, contact.id));
    for (const [channel, property] of COUNTERS) {
      const counter = Number(contact.properties[property] || '0');
      const sum = stored.get(channel)?.sum ?? 0;
      if (sum !== counter) mismatches.push(`${contact.id} ${channel}: events ${sum}, ${property} ${counter}`);
    }
  }
  expect(mismatches).toEqual([]);
}

describe('HubSpot engagement events from property history (emulator)', () => {
  it('a full pull stores one event per rise at the events\' own dates; the sums per channel equal the counters', async () => {
    const { session, active, setOnce } = await worldWithLeads();
    const result = await pull(session, { full: true, signal });
    expect(engagementSummary(result)).toMatchObject({ mode: 'full', quarantined: 0 });

    const stored = byChannel(eventsOf(session, active));
    for (const [channel] of COUNTERS) {
      expect({ channel, dates: stored.get(channel)?.dates ?? [] }).toEqual({ channel, dates: expectedDates(ACTIVE_EVENTS, channel) });
    }
    expect(stored.get('sales_email_reply')?.dates).toEqual(expectedDates(ACTIVE_EVENTS, 'sales_email_reply'));
    expect(stored.has('unsubscribe')).toBe(false);
    // Two visits at one instant are one row of 2, keyed by property, contact and timestamp.
    expect(eventsOf(session, active).find((r) => r.channel === 'web_visit' && r.occurred_at === at('02-20'))).toMatchObject({ count: 2, key: `hs_analytics_num_visits:${active}:${at('02-20')}` });

    // A total set once (no dated events behind it) is one event of its whole value, when it was set.
    const once = eventsOf(session, setOnce).filter((r) => r.channel === 'email_open');
    expect(once).toEqual([expect.objectContaining({ count: 3, occurred_at: world!.emulator.getContact(setOnce)!.updatedAt })]);

    expectSumsEqualCounters(session);
    expect(new StreamCursors(session.db).get('hubspot', 'engagement')).toMatchObject({ phase: 'incremental' });
  });

  it('a pull with no change reads no history; new activity adds only its own rises, never twice', async () => {
    const { session, active } = await worldWithLeads();
    await pull(session, { full: true, signal });
    const before = totalRows(session);

    world!.emulator.resetRequestLog();
    const quiet = await pull(session, { full: false, signal });
    expect(engagementSummary(quiet)).toMatchObject({ mode: 'incremental', changed: 0, stored: 0 });
    expect(world!.emulator.requests.filter((r) => r.path === '/crm/v3/objects/contacts/batch/read')).toEqual([]);
    expect(totalRows(session)).toBe(before);

    const fresh = [ev('email_open', new Date(Date.now() - 60_000).toISOString()), ev('email_open', new Date(Date.now() - 30_000).toISOString()), ev('page_view', new Date(Date.now() - 30_000).toISOString())];
    world!.emulator.recordContactEvents(active, fresh);
    const next = await pull(session, { full: false, signal });
    expect(engagementSummary(next).changed).toBe(3);
    expect(totalRows(session)).toBe(before + 3);
    const stored = byChannel(eventsOf(session, active));
    expect(stored.get('email_open')?.dates).toEqual(expectedDates([...ACTIVE_EVENTS, ...fresh], 'email_open'));
    expectSumsEqualCounters(session);

    // A total written through the API (an import, a correction) is a rise like any other.
    world!.emulator.updateContact(active, { hs_email_open: '10' });
    const written = await pull(session, { full: false, signal });
    expect(engagementSummary(written).changed).toBe(1);
    expect(eventsOf(session, active).filter((r) => r.channel === 'email_open').at(-1)).toMatchObject({ count: 10 - 5 });
    expectSumsEqualCounters(session);

    // Read again (a full pull): every event replaces itself.
    const again = await pull(session, { full: true, signal });
    expect(engagementSummary(again).changed).toBe(0);
    expect(totalRows(session)).toBe(before + 4);
  });

  it('waits out a 429 with Retry-After on a history read and finishes; a 400 stops the stream and keeps what was stored', async () => {
    const { session } = await worldWithLeads();
    world!.emulator.injectFault({ match: /^GET \/crm\/v3\/objects\/contacts\?.*propertiesWithHistory/, times: 1, status: 429, headers: { 'Retry-After': '1' }, body: { status: 'error', message: 'You have reached your secondly limit.', category: 'RATE_LIMITS' } });
    await pull(session, { full: true, signal });
    expect(world!.emulator.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expectSumsEqualCounters(session);
    const stored = totalRows(session);

    world!.emulator.recordContactEvents(world!.emulator.contactIdForPersonIndex(90_001)!, [ev('form_fill', new Date(Date.now() - 10_000).toISOString())]);
    world!.emulator.injectFault({ match: /^POST \/crm\/v3\/objects\/contacts\/batch\/read/, times: 1, status: 400, body: { status: 'error', message: 'The maximum number of inputs supported in a batch request for property histories is 50. Please reduce the number of items and try again', correlationId: 'x', category: 'VALIDATION_ERROR' } });
    const cursorBefore = new StreamCursors(session.db).get('hubspot', 'engagement');
    await expect(pull(session, { full: false, signal })).rejects.toThrow(/property histories is 50/);
    expect(totalRows(session)).toBe(stored);
    expect(new StreamCursors(session.db).get('hubspot', 'engagement')).toEqual(cursorBefore);
    // The next pull reads the new form fill.
    const next = await pull(session, { full: false, signal });
    expect(engagementSummary(next).changed).toBe(1);
  });
});

describe('HubSpot emulator: propertiesWithHistory', () => {
  const call = async (path: string, init?: { method: string; body: unknown }) => {
    const res = await fetch(`${world!.url}${path}`, {
      method: init?.method ?? 'GET',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(init ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers history newest first in HubSpot\'s shape on list and batch read; the total is the last value; unknown names are ignored', async () => {
    const { active } = await worldWithLeads();
    const list = await call('/crm/v3/objects/contacts?limit=50&propertiesWithHistory=hs_email_open,hs_analytics_num_visits,no_such_property');
    expect(list.status).toBe(200);
    const results = list.body.results as Array<{ id: string; properties: Record<string, string | null>; propertiesWithHistory: Record<string, Array<{ value: string; timestamp: string; sourceType: string }>> }>;
    expect(results).toHaveLength(42);
    for (const r of results) {
      expect(Object.keys(r.propertiesWithHistory).sort()).toEqual(['hs_analytics_num_visits', 'hs_email_open']);
      for (const [name, entries] of Object.entries(r.propertiesWithHistory)) {
        expect(r.properties[name] ?? null).toBe(entries[0]?.value ?? null);
        const times = entries.map((e) => Date.parse(e.timestamp));
        expect(times).toEqual([...times].sort((a, b) => b - a));
      }
    }
    const batch = await call('/crm/v3/objects/contacts/batch/read', { method: 'POST', body: { inputs: [{ id: active }], properties: ['email'], propertiesWithHistory: ['hs_email_open'] } });
    const opens = (batch.body.results as Array<{ propertiesWithHistory: Record<string, Array<{ value: string; timestamp: string; sourceType: string }>> }>)[0]!.propertiesWithHistory.hs_email_open;
    expect(opens).toEqual([
      { value: '3', timestamp: at('04-12'), sourceType: 'EMAIL' },
      { value: '2', timestamp: at('02-11'), sourceType: 'EMAIL' },
      { value: '1', timestamp: at('01-11'), sourceType: 'EMAIL' },
    ]);
  });

  it('refuses more than 50 records with history: batch read as HubSpot words it, and a list page over 50', async () => {
    await worldWithLeads();
    // 51 inputs (the portal holds 42 contacts: the limit is on inputs, whether they exist or not).
    const ids = Array.from({ length: 51 }, (_, i) => ({ id: String(101 + i) }));
    const batch = await call('/crm/v3/objects/contacts/batch/read', { method: 'POST', body: { inputs: ids, properties: [], propertiesWithHistory: ['hs_email_open'] } });
    expect(batch.status).toBe(400);
    expect(batch.body).toMatchObject({ category: 'VALIDATION_ERROR', message: 'The maximum number of inputs supported in a batch request for property histories is 50. Please reduce the number of items and try again' });
    const withoutHistory = await call('/crm/v3/objects/contacts/batch/read', { method: 'POST', body: { inputs: ids, properties: ['email'] } });
    // Without history the limit is 100: the missing ids are a 207's errors, not a refusal.
    expect(withoutHistory.status).toBe(207);
    const list = await call('/crm/v3/objects/contacts?limit=100&propertiesWithHistory=hs_email_open');
    expect(list.status).toBe(400);
    expect(list.body).toMatchObject({ category: 'VALIDATION_ERROR' });
  });
});
