import type { Db } from '../store/db.js';
import { ENGAGEMENT_CHANNELS } from '../domain/records.js';
import type { EngagementByProfile } from '../segmentation/engagement-windows.js';

/** Growable typed columns: one pass over the rows, no object per event. */
class Columns {
  size = 0;
  profile = new Int32Array(1024);
  channel = new Uint8Array(1024);
  atMs = new Float64Array(1024);
  count = new Float64Array(1024);

  push(profile: number, channel: number, atMs: number, count: number): void {
    if (this.size === this.profile.length) {
      const grow = <T extends Int32Array | Uint8Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.profile = grow(this.profile);
      this.channel = grow(this.channel);
      this.atMs = grow(this.atMs);
      this.count = grow(this.count);
    }
    const k = this.size++;
    this.profile[k] = profile;
    this.channel[k] = channel;
    this.atMs[k] = atMs;
    this.count[k] = count;
  }
}

/**
 * Every live profile's engagement events, grouped by profile (joined through identities on
 * platform + contact external id), in one pass over the table. A person is "measured" when one of
 * their contacts is on a platform that has any engagement event in the store: for them a window
 * without events is 0; for the others it is missing (nothing was measured, so no zero is claimed).
 */
export function loadEngagement(db: Db, profileIds: readonly number[]): EngagementByProfile {
  const rows = profileIds.length;
  const indexOf = new Map(profileIds.map((id, i) => [id, i]));
  const channelOf = new Map<string, number>(ENGAGEMENT_CHANNELS.map((c, i) => [c, i]));
  const platforms = new Set((db.prepare('SELECT DISTINCT platform FROM engagement_events').all() as Array<{ platform: string }>).map((r) => r.platform));
  const measured = new Uint8Array(rows);
  const columns = new Columns();
  if (platforms.size === 0) return csr(rows, columns, measured);
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
    if (i !== undefined && platforms.has(platform)) measured[i] = 1;
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
    columns.push(i, c, at, count > 0 ? count : 1);
  }
  return csr(rows, columns, measured);
}

/** Counting sort of the events by profile into CSR. */
function csr(rows: number, columns: Columns, measured: Uint8Array): EngagementByProfile {
  // Counting sort by profile into CSR.
  const offsets = new Int32Array(rows + 1);
  for (let k = 0; k < columns.size; k++) offsets[columns.profile[k]! + 1]!++;
  for (let i = 0; i < rows; i++) offsets[i + 1]! += offsets[i]!;
  const fill = offsets.slice(0, rows);
  const channel = new Uint8Array(columns.size);
  const atMs = new Float64Array(columns.size);
  const count = new Float64Array(columns.size);
  for (let k = 0; k < columns.size; k++) {
    const at = fill[columns.profile[k]!]!++;
    channel[at] = columns.channel[k]!;
    atMs[at] = columns.atMs[k]!;
    count[at] = columns.count[k]!;
  }
  return { offsets, channel, atMs, count, measured };
}
