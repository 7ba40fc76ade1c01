import { afterEach, describe, expect, it } from 'vitest';
import { pull } from '../../src/pipeline/run.js';
import { StreamCursors } from '../../src/store/cursors.js';
import type { EngagementChannel } from '../../src/domain/records.js';
import type { SyntheticEvent, SyntheticPerson } from '../../src/sandbox/population-types.js';
import { marketoWorld, signal, type MarketoWorld } from '../helpers/marketo-world.js';

/**
 * The first engagement pull through Bulk Activity Extract against the emulator: a handful of calls
 * instead of one per 300 activities, the same events as the REST path, REST afterwards, resumable
 * between windows, REST again when the bulk API is refused.
 */

const DAY = 86_400_000;
const CHANNELS: EngagementChannel[] = ['web_visit', 'page_view', 'form_fill', 'email_delivered', 'email_open', 'email_click', 'email_bounce', 'unsubscribe'];

/** Hand-built people with events spread over the last 360 days (and one older than the history). */
function people(count: number, eventsEach: number): SyntheticPerson[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, index): SyntheticPerson => {
    const events: SyntheticEvent[] = Array.from({ length: eventsEach }, (_, n) => ({
      channel: CHANNELS[(index + n * 3) % CHANNELS.length]!,
      at: new Date(now - (((n + 1) * 2_654_435_761 + index * 40_503) % (360 * DAY / 1000)) * 1000 - 60_000).toISOString(),
    }));
    events.push({ channel: 'web_visit', at: new Date(now - 400 * DAY).toISOString() });
    events.sort((a, b) => a.at.localeCompare(b.at));
    return {
      index, trueType: 'prospect', firstName: `Lead${index}`, lastName: 'Example', email: `lead${index}@example.com`,
      phone: `+1415555${String(1000 + index)}`, city: 'Boston', country: 'US', emailConsent: 'subscribed', createdAt: new Date(now - 500 * DAY).toISOString(),
      purchases: [], engagement: { emailsOpened: 0, emailsClicked: 0, lastOpenedAt: null }, events,
    };
  });
}

type Row = { key: string; lead: string; channel: string; at: string };
const rows = (world: MarketoWorld): Row[] =>
  world.open().db.prepare("SELECT key, contact_external_id AS lead, channel, occurred_at AS at FROM engagement_events WHERE platform = 'marketo' ORDER BY key").all() as Row[];
const engagementOf = (result: Awaited<ReturnType<typeof pull>>) => result.streams.find((s) => s.platform === 'marketo' && s.stream === 'engagement')!;
const engagementCalls = (world: MarketoWorld) => world.emulator.requests.filter((r) => /^\/(bulk\/v1\/activities|rest\/v1\/activities)/.test(r.path) && !r.path.includes('leadchanges') && !r.path.includes('deletedleads'));

let worlds: MarketoWorld[] = [];
afterEach(async () => {
  for (const w of worlds) await w.close();
  worlds = [];
});
async function open(persons: SyntheticPerson[], options: Parameters<typeof marketoWorld>[0] = {}): Promise<MarketoWorld> {
  const world = await marketoWorld({ people: persons, ...options });
  worlds.push(world);
  return world;
}

describe('Marketo engagement: the first pull through Bulk Activity Extract', () => {
  it('stores exactly the events the REST path stores (keys, leads, channels, dates) with a handful of calls; the next pull is incremental through REST', async () => {
    const persons = people(500, 110);
    const rest = await open(persons, { env: { MARKETO_ACTIVITY_BULK_EXTRACT: 'false' } });
    await pull(rest.open(), { full: false, signal });
    const restCalls = engagementCalls(rest).length;
    const want = rows(rest);
    expect(want.length).toBe(500 * 110);

    const bulk = await open(persons);
    const session = bulk.open();
    const first = await pull(session, { full: false, signal });
    expect(engagementOf(first)).toMatchObject({ mode: 'full', stored: 500 * 110, warnings: [] });
    expect(rows(bulk)).toEqual(want);
    // 365 days = 12 windows of at most 31 days, each create + enqueue + status + file; plus the
    // types and the closing paging token. REST needed one call per 300 activities.
    const calls = engagementCalls(bulk);
    expect(calls.filter((c) => c.path.startsWith('/rest/v1/activities.json'))).toHaveLength(0);
    expect(calls.filter((c) => c.path === '/bulk/v1/activities/export/create.json')).toHaveLength(12);
    expect(calls.length).toBeLessThan(70);
    expect(restCalls).toBeGreaterThan(180);

    // Later: REST from the token stored after the last window, reading only what is new.
    const cursor = new StreamCursors(session.db).get('marketo', 'engagement') as { token: string; readThrough: number };
    expect(cursor).toEqual({ token: expect.any(String), readThrough: expect.any(Number) });
    const lead = bulk.emulator.leadIdForPersonIndex(3)!;
    bulk.emulator.recordEngagement(lead, 'email_open');
    bulk.emulator.recordEngagement(lead, 'form_fill');
    bulk.emulator.resetRequestLog();
    const second = await pull(session, { full: false, signal });
    expect(engagementOf(second)).toMatchObject({ mode: 'incremental', received: 2, stored: 2, changed: 2 });
    const again = engagementCalls(bulk);
    expect(again.some((c) => c.path.startsWith('/bulk/'))).toBe(false);
    const ours = again.filter((c) => c.path.startsWith('/rest/v1/activities.json') && new URL(c.path, 'http://x').searchParams.get('activityTypeIds') === '1,2,3,7,8,9,10,11');
    expect(new URL(ours[0]!.path, 'http://x').searchParams.get('nextPageToken')).toBe(cursor.token);
    expect(rows(bulk)).toHaveLength(500 * 110 + 2);
  });

  it('a pull killed between windows resumes at the next window: no window read twice, no event missing', async () => {
    const persons = people(60, 60);
    const world = await open(persons);
    const session = world.open();
    const stop = new AbortController();
    let files = 0;
    world.emulator.onRequest = ({ path }) => {
      if (path.startsWith('/bulk/v1/activities/export/') && path.endsWith('/file.json') && ++files === 3) stop.abort(new Error('killed'));
    };
    await expect(pull(session, { full: false, signal: stop.signal })).rejects.toThrow('killed');
    world.emulator.onRequest = undefined;
    const cursor = new StreamCursors(session.db).get('marketo', 'engagement') as { bulk: { nextStartMs: number; endMs: number } };
    expect(cursor.bulk.nextStartMs).toBeGreaterThan(Date.now() - 366 * DAY);
    expect(cursor.bulk.nextStartMs).toBeLessThan(cursor.bulk.endMs);
    const before = rows(world);
    expect(before.length).toBeGreaterThan(0);
    // What is stored is exactly the completed windows.
    expect(before.every((r) => Date.parse(r.at) <= cursor.bulk.nextStartMs)).toBe(true);

    world.emulator.resetRequestLog();
    const resumed = await pull(session, { full: false, signal });
    const total = 60 * 60;
    expect(engagementOf(resumed)).toMatchObject({ mode: 'full', stored: total - before.length });
    // The resumed pull downloads only the windows from the cursor on (its pending jobs reused).
    const remaining = Math.ceil((cursor.bulk.endMs - cursor.bulk.nextStartMs) / (31 * DAY));
    expect(remaining).toBeLessThan(12);
    expect(world.emulator.requests.filter((r) => r.path.startsWith('/bulk/v1/activities/export/') && r.path.endsWith('/file.json'))).toHaveLength(remaining);
    const rest = await open(persons, { env: { MARKETO_ACTIVITY_BULK_EXTRACT: 'false' } });
    await pull(rest.open(), { full: false, signal });
    expect(rows(world)).toEqual(rows(rest));
  });

  it('a refused bulk API (603: the role lacks Read-Only Activity) falls back to REST paging with a warning, and stores the same events', async () => {
    const persons = people(20, 40);
    const world = await open(persons, { emulator: { allowActivityExport: false } });
    const result = await pull(world.open(), { full: false, signal });
    const engagement = engagementOf(result);
    expect(engagement).toMatchObject({ mode: 'full', stored: 20 * 40 });
    expect(engagement.warnings).toContainEqual(expect.stringMatching(/refused Bulk Activity Extract \(603/));
    expect(engagementCalls(world).filter((c) => c.path.startsWith('/rest/v1/activities.json')).length).toBeGreaterThan(0);
    const rest = await open(persons, { env: { MARKETO_ACTIVITY_BULK_EXTRACT: 'false' } });
    await pull(rest.open(), { full: false, signal });
    expect(rows(world)).toEqual(rows(rest));
  });
});
