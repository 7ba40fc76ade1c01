import type { AttributeValue } from '../../src/domain/records.js';
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
