import type { AttributeValue, EngagementChannel, EngagementEvent } from '../../src/domain/records.js';
import type { EventKind } from './mapping.js';

/** The canonical engagement attribute names (ENGAGEMENT_ATTRIBUTES in src/segmentation/features.ts; a connector does not import segmentation). */
const A = {
  delivered: 'emailsDelivered', opens: 'emailOpens', clicks: 'emailClicks', lastOpenAt: 'lastEmailOpenAt', lastClickAt: 'lastEmailClickAt',
  visits: 'webVisits', pageViews: 'pageViews', lastVisitAt: 'lastVisitAt', forms: 'formSubmissions',
} as const;

/**
 * One person's events from the import's events files, turned into the engagement attributes the
 * features read (src/segmentation/features.ts). An events file states the person's totals: the
 * counts are recomputed from its events on every import (so importing it again changes nothing),
 * and an event repeated exactly (same person, kind and time, e.g. the same file given twice) counts once.
 */
export interface EventTally {
  counts: Map<EventKind, number>;
  latestMs: Map<EventKind, number>;
  /** kind + time of each event counted, for the exact-duplicate check. */
  seen: Set<string>;
}

export const newTally = (): EventTally => ({ counts: new Map(), latestMs: new Map(), seen: new Set() });

/** Counts one event; false when it repeats one already counted. */
export function tallyEvent(tally: EventTally, kind: EventKind, ms: number): boolean {
  const key = `${kind}@${ms}`;
  if (tally.seen.has(key)) return false;
  tally.seen.add(key);
  tally.counts.set(kind, (tally.counts.get(kind) ?? 0) + 1);
  if (!(ms <= (tally.latestMs.get(kind) ?? -Infinity))) tally.latestMs.set(kind, ms);
  return true;
}

const COUNT_ATTRIBUTE: Record<EventKind, string> = {
  email_delivered: A.delivered, email_open: A.opens, email_click: A.clicks,
  page_view: A.pageViews, visit: A.visits, form_submit: A.forms,
};
/** The latest-time attributes, and the kinds whose latest time they hold (a page view is a visit's too). */
const LATEST_ATTRIBUTE: Array<[string, EventKind[]]> = [
  [A.lastOpenAt, ['email_open']], [A.lastClickAt, ['email_click']], [A.lastVisitAt, ['visit', 'page_view']],
];

/**
 * The attributes a person's tally sets. Only the kinds found in the import's events files
 * (`kindsInFiles`) are stated: a file of web visits says nothing about emails, so it leaves the
 * stored email counts alone; within a stated kind, a person without such an event has 0 (and no
 * latest time).
 */
export function engagementAttributes(tally: EventTally, kindsInFiles: ReadonlySet<EventKind>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kind of kindsInFiles) out[COUNT_ATTRIBUTE[kind]] = tally.counts.get(kind) ?? 0;
  for (const [name, kinds] of LATEST_ATTRIBUTE) {
    if (!kinds.some((k) => kindsInFiles.has(k))) continue;
    let latest = -Infinity;
    for (const k of kinds) latest = Math.max(latest, tally.latestMs.get(k) ?? -Infinity);
    out[name] = latest === -Infinity ? null : new Date(latest).toISOString();
  }
  return out;
}

const CHANNEL: Record<EventKind, EngagementChannel> = {
  email_delivered: 'email_delivered', email_open: 'email_open', email_click: 'email_click',
  page_view: 'page_view', visit: 'web_visit', form_submit: 'form_fill',
};

/**
 * The person's events as the engagement stream stores them (dated, so features can count any
 * window). The key is the person, kind and time: importing the file again replaces the same rows.
 */
export function tallyEngagementEvents(platform: string, contactExternalId: string, tally: EventTally): EngagementEvent[] {
  const out: EngagementEvent[] = [];
  for (const seen of tally.seen) {
    const at = seen.lastIndexOf('@');
    const kind = seen.slice(0, at) as EventKind;
    const ms = Number(seen.slice(at + 1));
    out.push({ platform, key: `${contactExternalId}|${seen}`, contactExternalId, channel: CHANNEL[kind], occurredAt: new Date(ms).toISOString(), count: 1 });
  }
  return out;
}
