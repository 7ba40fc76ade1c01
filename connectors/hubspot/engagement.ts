import { z } from 'zod';
import type { Mapping } from '../../src/config/mapping.js';
import { ConfigError } from '../../src/config/errors.js';
import type { EngagementChannel, EngagementEvent } from '../../src/domain/records.js';
import { parseHubSpotDate } from './mapper.js';
import { ObjectWithHistorySchema, type HistoryEntry } from './schemas.js';

/**
 * HubSpot keeps engagement only as totals on the contact. Its property history dates every change
 * of a total, so each rise between two consecutive history entries is one dated event.
 *
 * Which properties are read comes from the mapping's `contacts.attributes` (CHOSEN: no section of
 * its own, so an admin who points `emailOpens` at their own property gets its events too, and the
 * counters and the events can never disagree about the property): the canonical attribute names
 * below, each a channel. A counter's rise is `count` events at the entry's timestamp; a date
 * property (the last sales-email reply) is one event per distinct date it held, at that date.
 */
export const ENGAGEMENT_ATTRIBUTES = {
  emailsDelivered: { channel: 'email_delivered', kind: 'counter', hubspotProperty: 'hs_email_delivered' },
  emailOpens: { channel: 'email_open', kind: 'counter', hubspotProperty: 'hs_email_open' },
  emailClicks: { channel: 'email_click', kind: 'counter', hubspotProperty: 'hs_email_click' },
  emailBounces: { channel: 'email_bounce', kind: 'counter', hubspotProperty: 'hs_email_bounce' },
  webVisits: { channel: 'web_visit', kind: 'counter', hubspotProperty: 'hs_analytics_num_visits' },
  pageViews: { channel: 'page_view', kind: 'counter', hubspotProperty: 'hs_analytics_num_page_views' },
  formSubmissions: { channel: 'form_fill', kind: 'counter', hubspotProperty: 'num_conversion_events' },
  lastSalesEmailReplyAt: { channel: 'sales_email_reply', kind: 'date', hubspotProperty: 'hs_sales_email_last_replied' },
} as const satisfies Record<string, { channel: EngagementChannel; kind: 'counter' | 'date'; hubspotProperty: string }>;

export type EngagementAttribute = keyof typeof ENGAGEMENT_ATTRIBUTES;

export interface TrackedProperty {
  /** The mapping key, e.g. contacts.attributes.emailOpens. */
  key: string;
  property: string;
  channel: EngagementChannel;
  kind: 'counter' | 'date';
}

/** History is read from contact properties only: a `company.<property>` has no history on the contact. */
const ContactPropertyName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not a contact property; the engagement stream reads the value history of contact properties only (company.<property> has none on the contact)');

/**
 * The properties whose history the engagement stream reads, from the mapping. Throws a
 * ConfigError naming every bad key: a company property, or one property mapped to two channels
 * (its rises would be counted twice).
 */
export function trackedProperties(mapping: Mapping): TrackedProperty[] {
  const out: TrackedProperty[] = [];
  const problems: string[] = [];
  const channelOf = new Map<string, string>();
  for (const [attribute, spec] of Object.entries(ENGAGEMENT_ATTRIBUTES)) {
    const property = mapping.contacts.attributes[attribute];
    if (property === undefined) continue;
    const key = `contacts.attributes.${attribute}`;
    const parsed = ContactPropertyName.safeParse(property);
    if (!parsed.success) {
      problems.push(`  - ${key}: "${property}" ${parsed.error.issues[0]?.message ?? 'is not valid'}. Fix: map it to a contact property (HubSpot's own is ${spec.hubspotProperty}) or remove the line to read no ${spec.channel} events`);
      continue;
    }
    const other = channelOf.get(property);
    if (other !== undefined) {
      problems.push(`  - ${key}: "${property}" is already mapped by ${other}; one property cannot feed two engagement channels (each rise would be counted twice). Fix: map ${key} to its own property (HubSpot's is ${spec.hubspotProperty})`);
      continue;
    }
    channelOf.set(property, key);
    out.push({ key, property, channel: spec.channel, kind: spec.kind });
  }
  if (problems.length > 0) {
    throw new ConfigError(`the HubSpot mapping file (mappings/hubspot.yaml unless configured otherwise) cannot feed the engagement stream:\n${problems.join('\n')}`);
  }
  return out;
}

/** What one page of contacts read with history turned into. */
export interface HistoryEvents {
  events: EngagementEvent[];
  /** Falls of a counter (a reset, a merge): they emit nothing. */
  falls: number;
  /** Entries whose value or timestamp is not readable (skipped). */
  unreadable: number;
  /** Contacts that are not valid objects (no numeric id): skipped. */
  malformed: number;
}

function timestampMs(entry: HistoryEntry): number {
  const iso = parseHubSpotDate(entry.timestamp);
  return iso === null || iso === 'invalid' ? Number.NaN : Date.parse(iso);
}

/** A counter's value: unset (null or empty) is 0, as the first entry rises from nothing. */
function counterValue(value: string | null): number {
  if (value === null || value.trim() === '') return 0;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : Number.NaN;
}

/**
 * The events in each contact's property history. Entries are put oldest first whatever order
 * HubSpot lists them in (newest first in every recorded answer). The first entry rises from 0.
 * Two entries at one timestamp make one event (the key names the timestamp), with their rises
 * summed. `key` = `${property}:${contactId}:${timestamp}`: the same entry read again gives the
 * same key, so re-reading a contact's history replaces its events instead of adding to them.
 */
export function eventsFromHistory(raws: readonly unknown[], tracked: readonly TrackedProperty[]): HistoryEvents {
  const out: HistoryEvents = { events: [], falls: 0, unreadable: 0, malformed: 0 };
  for (const raw of raws) {
    const parsed = ObjectWithHistorySchema.safeParse(raw);
    if (!parsed.success) {
      out.malformed++;
      continue;
    }
    const contactId = parsed.data.id;
    for (const t of tracked) {
      const entries = (parsed.data.propertiesWithHistory[t.property] ?? [])
        .map((entry) => ({ entry, ms: timestampMs(entry) }))
        .filter((e) => {
          if (Number.isFinite(e.ms)) return true;
          out.unreadable++;
          return false;
        })
        .sort((a, b) => a.ms - b.ms);
      const byTime = new Map<number, number>();
      if (t.kind === 'counter') {
        let previous = 0;
        for (const { entry, ms } of entries) {
          const value = counterValue(entry.value);
          if (Number.isNaN(value)) {
            out.unreadable++;
            continue;
          }
          const rise = value - previous;
          if (rise > 0) byTime.set(ms, (byTime.get(ms) ?? 0) + rise);
          else if (rise < 0) out.falls++;
          previous = value;
        }
      } else {
        // A date property: each distinct date it held is one event at that date.
        const seen = new Set<number>();
        for (const { entry } of entries) {
          if (entry.value === null || entry.value === '') continue;
          const at = parseHubSpotDate(entry.value);
          if (at === null || at === 'invalid') {
            out.unreadable++;
            continue;
          }
          const atMs = Date.parse(at);
          if (!seen.has(atMs)) byTime.set(atMs, 1);
          seen.add(atMs);
        }
      }
      for (const [ms, count] of byTime) {
        const at = new Date(ms).toISOString();
        out.events.push({ platform: 'hubspot', key: `${t.property}:${contactId}:${at}`, contactExternalId: contactId, channel: t.channel, occurredAt: at, count });
      }
    }
  }
  return out;
}
