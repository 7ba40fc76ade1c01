import type { Db } from '../store/db.js';
import { ENGAGEMENT_CHANNELS } from '../domain/records.js';
import { EngagementSummary } from '../segmentation/engagement-windows.js';
import { float64s, int32s } from '../store/growable.js';

const CHECKOUT_ABANDONED = ENGAGEMENT_CHANNELS.indexOf('checkout_abandoned');

/**
 * Every live profile's engagement events (joined through identities on platform + contact external
 * id), folded in one streaming pass over the table into an EngagementSummary as of the reference
 * date and `asOfs` (the propensity cutoffs): no event is kept, so memory is per person, not per
 * event. The same pass collects the abandoned checkouts for the interests features.
 *
 * A person is "measured" when one of their contacts is on a platform that has any engagement event
 * in the store: for them a window without events is 0; for the others it is missing (nothing was
 * measured, so no zero is claimed).
 */
export function loadEngagement(db: Db, profileIds: readonly number[], referenceMs: number, asOfs: readonly number[] = []): {
  summary: EngagementSummary;
  checkouts: { profileIndex: Int32Array; atMs: Float64Array };
} {
  const summary = new EngagementSummary(profileIds.length, referenceMs, asOfs);
  // The abandoned checkouts met on the way: profile row and time.
  const checkoutProfile = int32s();
  const checkoutAtMs = float64s();
  const done = () => ({ summary, checkouts: { profileIndex: checkoutProfile.done(), atMs: checkoutAtMs.done() } });
  const indexOf = new Map(profileIds.map((id, i) => [id, i]));
  const channelOf = new Map<string, number>(ENGAGEMENT_CHANNELS.map((c, i) => [c, i]));
  const platforms = new Set((db.prepare('SELECT DISTINCT platform FROM engagement_events').all() as Array<{ platform: string }>).map((r) => r.platform));
  if (platforms.size === 0) return done();
  // (platform, contact id) → profile row, for the platforms with events: the events are then read
  // alone (no join per row), with SQLite turning their ISO times into epoch ms in C.
  const rowOf = new Map<string, Map<string, number>>([...platforms].map((p) => [p, new Map<string, number>()]));
  const identities = db.prepare('SELECT i.platform, i.external_id, i.profile_id FROM identities i').raw().iterate() as IterableIterator<[string, string, number]>;
  for (const [platform, externalId, profileId] of identities) {
    const i = indexOf.get(profileId);
    const byContact = rowOf.get(platform);
    if (i !== undefined && byContact) byContact.set(externalId, i);
  }
  const liveContacts = db.prepare(`SELECT i.profile_id, i.platform FROM identities i JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
                                   WHERE c.archived = 0 AND c.merged_into IS NULL`).raw().iterate() as IterableIterator<[number, string]>;
  for (const [profileId, platform] of liveContacts) {
    const i = indexOf.get(profileId);
    if (i !== undefined && platforms.has(platform)) summary.measured[i] = 1;
  }
  const events = db.prepare(`SELECT platform, contact_external_id, channel, CAST(ROUND((julianday(occurred_at) - 2440587.5) * 86400000.0) AS INTEGER), count
                             FROM engagement_events`).raw().iterate() as IterableIterator<[string, string, string, number | null, number]>;
  let platformName = '';
  let byContact: Map<string, number> | undefined;
  for (const [platform, contactId, channel, at, count] of events) {
    if (platform !== platformName) {
      platformName = platform;
      byContact = rowOf.get(platform);
    }
    const i = byContact?.get(contactId);
    const c = channelOf.get(channel);
    if (i === undefined || c === undefined || at === null) continue;
    summary.add(i, c, at, count > 0 ? count : 1);
    if (c === CHECKOUT_ABANDONED) {
      checkoutProfile.push(i);
      checkoutAtMs.push(at);
    }
  }
  return done();
}
