/**
 * Issue 13 §1 (files): an events layout (person, event type, time) imported after a contacts file
 * becomes the engagement attributes the features read, without touching the person's email or
 * names; importing it again changes nothing; a type segsync does not know is reported, a bad date
 * quarantined.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { segsync as runCli } from '../helpers/cli.js';



/** The CLI in `dir`, with its store and config there (test/helpers/cli.ts runs it). */
const segsync = (dir: string, args: string[]) => runCli(args, { SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'segsync.yaml') }, { cwd: dir });

function query<T>(dir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dir, 'segsync.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const REFERENCE = '2026-07-01T00:00:00Z';
const CONTACTS = 'Customer ID,Email,First Name,Last Name\nC1,ann@example.com,Ann,Lee\nC2,bo@example.com,Bo,Park\nC3,cy@example.com,Cy,Ng\n';
/** C1: 4 delivered, 2 opens (one row repeated exactly), 1 click, 2 visits and 3 page views, 1 form; C2: 2 delivered, no open. */
const EVENTS = [
  'customer_id,event,occurred_at',
  'C1,email_delivered,2026-06-01T08:00:00Z',
  'C1,Delivered,2026-06-08T08:00:00Z',
  'C1,sent,2026-06-15T08:00:00Z',
  'C1,Email Delivered,2026-06-22T08:00:00Z',
  'C1,open,2026-06-01T09:00:00Z',
  'C1,Email Opened,2026-06-15T09:30:00Z',
  'C1,Email Opened,2026-06-15T09:30:00Z',
  'C1,click,2026-06-10T10:00:00Z',
  'C1,visit,2026-06-11T10:00:00Z',
  'C1,Session,2026-06-20T12:00:00Z',
  'C1,pageview,2026-06-20T12:01:00Z',
  'C1,page_view,2026-06-20T12:05:00Z',
  'C1,Page View,2026-06-11T10:01:00Z',
  'C1,Form Submission,2026-06-20T12:06:00Z',
  'C1,webinar_attended,2026-06-25T15:00:00Z',
  'C1,webinar_attended,2026-06-26T15:00:00Z',
  'C2,email_delivered,2026-06-01T08:00:00Z',
  'C2,email_delivered,2026-06-08T08:00:00Z',
  'C2,email_open,yesterday',
].join('\n') + '\n';

interface Features { emailOpens: number | null; emailOpenRate: number | null; emailClickRate: number | null; webVisits: number | null; pageViews: number | null; formFills: number | null; daysSinceLastVisit: number | null; daysSinceLastEmailClick: number | null }

function featuresOf(dir: string, id: string): Features {
  const row = query<{ features: string }>(dir, `SELECT f.features FROM profile_features f JOIN identities i ON i.profile_id = f.profile_id
    WHERE i.platform = 'csv' AND i.external_id = ? AND f.run_id = (SELECT MAX(run_id) FROM profile_features)`, id)[0]!;
  return JSON.parse(row.features) as Features;
}

describe('CSV events layout: engagement from files', () => {
  it('turns events into the engagement features, keeps email and names, is idempotent, reports unknown types and quarantines bad dates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-csv-events-'));
    writeFileSync(join(dir, 'segsync.yaml'), `segmentation:\n  referenceDate: ${REFERENCE}\n`);
    writeFileSync(join(dir, 'contacts.csv'), CONTACTS);
    writeFileSync(join(dir, 'events.csv'), EVENTS);
    expect((await segsync(dir, ['import', 'contacts.csv'])).code).toBe(0);

    const first = await segsync(dir, ['import', 'events.csv']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Imported 1 file:\n  events.csv (events;');
    expect(first.stdout).toContain('events counted 15, of a type not known (not counted) 2');
    expect(first.stdout).toContain('2 events of a type segsync does not know were not counted: "webinar_attended" (2), e.g. "webinar_attended" on row 16 of events.csv');
    expect(first.stdout).toContain('1 event repeated an event already read (same person, type and time) and counted once');

    const quarantined = query<{ external_id: string; reason: string; kind: string }>(dir, "SELECT external_id, reason, kind FROM quarantine WHERE platform = 'csv'");
    expect(quarantined).toEqual([{ external_id: 'events.csv#row20', kind: 'invalid-date', reason: expect.stringContaining('occurred_at: "yesterday" on row 20 of events.csv is not a date') as unknown as string }]);

    const contacts = query<{ external_id: string; email: string | null; first_name: string | null; last_name: string | null; attributes: string }>(
      dir, "SELECT external_id, email, first_name, last_name, attributes FROM contacts WHERE platform = 'csv' ORDER BY external_id");
    expect(contacts.map((c) => [c.external_id, c.email, c.first_name, c.last_name])).toEqual([
      ['C1', 'ann@example.com', 'Ann', 'Lee'], ['C2', 'bo@example.com', 'Bo', 'Park'], ['C3', 'cy@example.com', 'Cy', 'Ng'],
    ]);
    expect(JSON.parse(contacts[0]!.attributes)).toEqual({
      emailsDelivered: 4, emailOpens: 2, emailClicks: 1, webVisits: 2, pageViews: 3, formSubmissions: 1,
      lastEmailOpenAt: '2026-06-15T09:30:00.000Z', lastEmailClickAt: '2026-06-10T10:00:00.000Z', lastVisitAt: '2026-06-20T12:05:00.000Z',
    });
    // C3 has no events: nothing is stated about them.
    expect(JSON.parse(contacts[2]!.attributes)).toEqual({});

    expect((await segsync(dir, ['segment'])).code).toBe(0);
    const ann = featuresOf(dir, 'C1');
    expect(ann).toMatchObject({ emailOpens: 2, emailOpenRate: 0.5, emailClickRate: 0.25, webVisits: 2, pageViews: 3, formFills: 1, daysSinceLastVisit: 10, daysSinceLastEmailClick: 20 });
    expect(featuresOf(dir, 'C2')).toMatchObject({ emailOpenRate: 0, emailClickRate: 0 });
    expect(featuresOf(dir, 'C3')).toMatchObject({ emailOpenRate: null, webVisits: null });

    // The same file again: the counts are the file's totals, not added to the stored ones.
    const again = await segsync(dir, ['import', 'events.csv', '--json']);
    expect(again.code).toBe(0);
    const pulled = JSON.parse(again.stdout) as { import: { events: unknown }; pull: { streams: Array<{ stream: string; changedIds: string[] }> } };
    expect(pulled.import.events).toEqual({ counted: 15, unknownType: 2 });
    expect(pulled.pull.streams.find((s) => s.stream === 'contacts')!.changedIds).toEqual([]);
    expect((await segsync(dir, ['segment'])).code).toBe(0);
    expect(featuresOf(dir, 'C1')).toEqual(ann);
  }, 120_000);

  it('stores every counted event dated (the engagement stream), once however often the file is imported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-csv-events-'));
    writeFileSync(join(dir, 'segsync.yaml'), `segmentation:\n  referenceDate: ${REFERENCE}\n`);
    writeFileSync(join(dir, 'contacts.csv'), CONTACTS);
    writeFileSync(join(dir, 'events.csv'), EVENTS);
    expect((await segsync(dir, ['import', 'contacts.csv'])).code).toBe(0);
    const byChannel = () => query<{ contact: string; channel: string; n: number; latest: string }>(dir,
      `SELECT contact_external_id AS contact, channel, SUM(count) AS n, MAX(occurred_at) AS latest FROM engagement_events
       WHERE platform = 'csv' GROUP BY contact_external_id, channel ORDER BY contact_external_id, channel`);
    expect(byChannel()).toEqual([]);
    for (let i = 0; i < 2; i++) expect((await segsync(dir, ['import', 'events.csv'])).code).toBe(0);
    expect(byChannel()).toEqual([
      { contact: 'C1', channel: 'email_click', n: 1, latest: '2026-06-10T10:00:00.000Z' },
      { contact: 'C1', channel: 'email_delivered', n: 4, latest: '2026-06-22T08:00:00.000Z' },
      { contact: 'C1', channel: 'email_open', n: 2, latest: '2026-06-15T09:30:00.000Z' },
      { contact: 'C1', channel: 'form_fill', n: 1, latest: '2026-06-20T12:06:00.000Z' },
      { contact: 'C1', channel: 'page_view', n: 3, latest: '2026-06-20T12:05:00.000Z' },
      { contact: 'C1', channel: 'web_visit', n: 2, latest: '2026-06-20T12:00:00.000Z' },
      { contact: 'C2', channel: 'email_delivered', n: 2, latest: '2026-06-08T08:00:00.000Z' },
    ]);
    // segsync forget erases them with the person.
    expect((await segsync(dir, ['forget', 'ann@example.com'])).code).toBe(0);
    expect(byChannel().filter((r) => r.contact === 'C1')).toEqual([]);
  }, 120_000);

  it('a later file of web visits only replaces the web counts and leaves the email counts as stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-csv-events-'));
    writeFileSync(join(dir, 'segsync.yaml'), `segmentation:\n  referenceDate: ${REFERENCE}\n`);
    writeFileSync(join(dir, 'contacts.csv'), CONTACTS);
    writeFileSync(join(dir, 'events.csv'), EVENTS);
    writeFileSync(join(dir, 'web.csv'), 'Customer ID,Event Type,Timestamp\nC1,visit,2026-06-29T08:00:00Z\nC2,page_view,2026-06-28T08:00:00Z\n');
    for (const file of ['contacts.csv', 'events.csv', 'web.csv']) expect((await segsync(dir, ['import', file])).code).toBe(0);
    const attributes = (id: string) => JSON.parse(query<{ attributes: string }>(dir, "SELECT attributes FROM contacts WHERE platform = 'csv' AND external_id = ?", id)[0]!.attributes) as Record<string, unknown>;
    expect(attributes('C1')).toEqual({
      emailsDelivered: 4, emailOpens: 2, emailClicks: 1, formSubmissions: 1,
      lastEmailOpenAt: '2026-06-15T09:30:00.000Z', lastEmailClickAt: '2026-06-10T10:00:00.000Z',
      webVisits: 1, pageViews: 0, lastVisitAt: '2026-06-29T08:00:00.000Z',
    });
    // C2's events file stated 2 deliveries and no open, click or form (its open had a bad date).
    expect(attributes('C2')).toEqual({
      emailsDelivered: 2, emailOpens: 0, emailClicks: 0, formSubmissions: 0, lastEmailOpenAt: null, lastEmailClickAt: null,
      webVisits: 0, pageViews: 1, lastVisitAt: '2026-06-28T08:00:00.000Z',
    });
  }, 120_000);
});

describe('an events format of the workspace imports: block', () => {
  it('maps its own type values (by email, case and spacing ignored), and refuses a name column with the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-csv-events-'));
    writeFileSync(join(dir, 'segsync.yaml'), [
      `segmentation:\n  referenceDate: ${REFERENCE}`,
      'imports:',
      '  formats:',
      '    newsletter_log:',
      '      kind: events',
      '      detect: [Recipient, Activity]',
      '      columns: { email: Recipient, eventType: Activity, occurredAt: When }',
      '      eventTypes: { "Newsletter Read": email_open, "Newsletter Sent": email_delivered, Webinar: form_submit }',
    ].join('\n'));
    writeFileSync(join(dir, 'contacts.csv'), 'Email,First Name\nann@example.com,Ann\n');
    writeFileSync(join(dir, 'log.csv'), 'Recipient,Activity,When\nANN@example.com,newsletter sent,2026-06-01\nann@example.com,Newsletter Sent,2026-06-08\nann@example.com,NEWSLETTER-READ,2026-06-09\nann@example.com,webinar,2026-06-10\n');
    expect((await segsync(dir, ['import', 'contacts.csv'])).code).toBe(0);
    const run = await segsync(dir, ['import', 'log.csv']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('log.csv (newsletter_log;');
    const [ann] = query<{ email: string; first_name: string; attributes: string }>(dir, "SELECT email, first_name, attributes FROM contacts WHERE platform = 'csv'");
    expect(ann).toMatchObject({ email: 'ann@example.com', first_name: 'Ann' });
    expect(JSON.parse(ann!.attributes)).toEqual({ emailsDelivered: 2, emailOpens: 1, lastEmailOpenAt: '2026-06-09T00:00:00.000Z', formSubmissions: 1 });

    writeFileSync(join(dir, 'segsync.yaml'), 'imports:\n  formats:\n    bad_events:\n      kind: events\n      columns: { email: Email, firstName: Name, eventType: Event }\n');
    const refused = await segsync(dir, ['import', 'log.csv', '--format', 'bad_events']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('imports.formats.bad_events.columns.firstName: is not used by an events format (it reads only customerId and/or email, eventType and occurredAt');
    expect(refused.stderr).toContain('imports.formats.bad_events.columns.occurredAt: is required: the column with the time of the event');
  }, 120_000);
});
