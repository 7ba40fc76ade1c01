import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { Profiles } from '../../src/store/profiles.js';
import { SourceRecords } from '../../src/store/source-records.js';
import { EngagementEvents } from '../../src/store/engagement-events.js';
import { loadEngagement } from '../../src/pipeline/engagement-loader.js';
import { engagementWindows } from '../../src/segmentation/engagement-windows.js';
import type { ContactRecord } from '../../src/domain/records.js';

const contact = (platform: string, externalId: string, email: string): ContactRecord => ({
  platform, externalId, email, phone: null, firstName: null, lastName: null, country: null, city: null, createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z', emailConsent: 'unknown', archived: false, mergedInto: null, mergedFrom: [], attributes: {}, raw: {},
});

describe('loading engagement events per profile', () => {
  it('joins events to profiles across platforms, and marks as measured only people on a platform that has events', () => {
    const db = openStore(':memory:');
    new SourceRecords(db).upsertContacts([
      contact('marketo', 'M1', 'ann@example.com'), contact('hubspot', 'H1', 'ann@example.com'), // one person on two platforms
      contact('marketo', 'M2', 'bo@example.com'), // on the platform with events, but quiet
      contact('hubspot', 'H3', 'cy@example.com'), // only where no events are kept
    ], 'now');
    const profiles = new Profiles(db);
    profiles.resolve();
    new EngagementEvents(db).upsert([
      { platform: 'marketo', key: 'a1', contactExternalId: 'M1', channel: 'web_visit', occurredAt: '2026-06-20T10:00:00.000Z', count: 1 },
      { platform: 'marketo', key: 'a2', contactExternalId: 'M1', channel: 'web_visit', occurredAt: '2026-06-25T10:00:00.000Z', count: 3 },
      { platform: 'marketo', key: 'a3', contactExternalId: 'M1', channel: 'form_fill', occurredAt: '2026-07-05T10:00:00.000Z', count: 1 }, // after the reference date
      // 23:30 at UTC−2 is 01:30 UTC on July 1st: after the reference date too.
      { platform: 'marketo', key: 'a4', contactExternalId: 'M1', channel: 'form_fill', occurredAt: '2026-06-30T23:30:00-02:00', count: 1 },
      { platform: 'marketo', key: 'c1', contactExternalId: 'M2', channel: 'checkout_abandoned', occurredAt: '2026-06-10T08:00:00.250Z', count: 1 },
    ]);
    const ids = profiles.liveProfileIds();
    const profileOf = (platform: string, id: string) => ids.indexOf((db.prepare('SELECT profile_id AS p FROM identities WHERE platform = ? AND external_id = ?').get(platform, id) as { p: number }).p);
    const ref = Date.parse('2026-07-01T00:00:00Z');
    const { summary, checkouts } = loadEngagement(db, ids, ref);
    const w = engagementWindows(summary, ref);
    const [ann, bo, cy] = [profileOf('hubspot', 'H1'), profileOf('marketo', 'M2'), profileOf('hubspot', 'H3')];
    expect(w.webVisits30d[ann]).toBe(4);
    expect(w.formFills30d[ann]).toBe(0);
    expect(w.webVisits30d[bo]).toBe(0);
    expect(w.webVisits30d[cy]).toBeNaN();
    // Times are read to the millisecond, offsets included.
    expect(summary.firstMs[ann]).toBe(Date.parse('2026-06-20T10:00:00.000Z'));
    expect(summary.hasEventBy(ann, Date.parse('2026-06-20T09:59:59.999Z'))).toBe(false);
    expect(summary.total(ann, 'form_fill')).toBe(0); // both form fills are after the reference date
    expect(summary.lastMs(ann, 'web_visit')).toBe(Date.parse('2026-06-25T10:00:00.000Z'));
    expect(summary.total(cy, 'web_visit')).toBeNaN(); // not measured
    expect(Array.from(summary.measured)).toEqual(ids.map((_, i) => (i === cy ? 0 : 1)));
    expect(Array.from(summary.hasEvents)).toEqual(ids.map((_, i) => (i === ann || i === bo ? 1 : 0)));
    // The same pass collects the abandoned checkouts for the interests features.
    expect([Array.from(checkouts.profileIndex), Array.from(checkouts.atMs)]).toEqual([[bo], [Date.parse('2026-06-10T08:00:00.250Z')]]);
  });
});
