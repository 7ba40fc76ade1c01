import type { Db } from './db.js';
import type { PersonRecords } from './erasure.js';

/**
 * Mentions of a forgotten person in the store's JSON and text columns (run summaries and errors,
 * segmentation summaries): their emails and phones anywhere, and their ids where a value is one
 * of them as a whole (or a whole word of an error message), become `[forgotten]`.
 */
export const FORGOTTEN = '[forgotten]';

export interface Scrubber {
  /** Lower-case needles found by instr(lower(column), needle). */
  needles: string[];
  text(value: string): string;
  /** A string that is one of the person's ids as a whole (changedIds, failed[].externalId). */
  isId(value: string): boolean;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function textScrubber(person: PersonRecords): Scrubber {
  const ids = new Set(person.contacts.flatMap((c) => [c.externalId, `${c.platform}:${c.externalId}`]));
  const literal = [...person.emails, ...person.rawPhones, ...person.phones].filter((s) => s.length >= 5);
  const patterns = [
    ...literal.map((s) => escapeRe(s)),
    // A bare id in free text (an error message) only as a whole word: "contact 1056 failed".
    ...[...ids].filter((id) => id.length >= 3).map((id) => `(?<![\\w/:])${escapeRe(id)}(?![\\w/])`),
  ];
  const re = patterns.length ? new RegExp(patterns.sort((a, b) => b.length - a.length).join('|'), 'gi') : undefined;
  return {
    needles: [...new Set([...literal.map((s) => s.toLowerCase()), ...[...ids].filter((id) => id.length >= 3).map((id) => id.toLowerCase())])],
    text: (value) => (re ? value.replace(re, FORGOTTEN) : value),
    isId: (value) => ids.has(value),
  };
}

function scrubValue(value: unknown, scrub: Scrubber): unknown {
  if (typeof value === 'string') return scrub.isId(value) ? FORGOTTEN : scrub.text(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, scrub));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrub.text(k), scrubValue(v, scrub)]));
  }
  return value;
}

export function scrubJson(text: string | null, scrub: Scrubber): string | null {
  if (text === null) return null;
  try {
    return JSON.stringify(scrubValue(JSON.parse(text) as unknown, scrub));
  } catch {
    return scrub.text(text);
  }
}

export function runRowsMentioning(db: Db, scrub: Scrubber): Array<{ id: number; summary: string | null; error: string | null }> {
  const stmt = db.prepare<[string, string], { id: number; summary: string | null; error: string | null }>(
    'SELECT id, summary, error FROM runs WHERE instr(lower(summary), ?) > 0 OR instr(lower(error), ?) > 0',
  );
  const rows = new Map<number, { id: number; summary: string | null; error: string | null }>();
  for (const needle of scrub.needles) for (const r of stmt.all(needle, needle)) rows.set(r.id, r);
  // A needle can be a substring of something else (an id inside a longer number): keep rows that change.
  return [...rows.values()].filter((r) => scrubJson(r.summary, scrub) !== r.summary || (r.error !== null && scrub.text(r.error) !== r.error));
}

export function segmentationRowsMentioning(db: Db, scrub: Scrubber): Array<{ id: number; summary: string | null; clustering: string | null; predictions: string | null }> {
  type Row = { id: number; summary: string | null; clustering: string | null; predictions: string | null };
  const stmt = db.prepare<[string, string, string], Row>(`SELECT id, summary, clustering, predictions FROM segmentation_runs
    WHERE instr(lower(summary), ?) > 0 OR instr(lower(clustering), ?) > 0 OR instr(lower(predictions), ?) > 0`);
  const rows = new Map<number, Row>();
  // Aggregates only: they never list ids, so only emails and phones are looked for.
  const textOnly: Scrubber = { ...scrub, isId: () => false };
  for (const needle of scrub.needles.filter((n) => n.includes('@') || /^\+?[\d\s().-]{7,}$/.test(n))) for (const r of stmt.all(needle, needle, needle)) rows.set(r.id, r);
  return [...rows.values()].filter((r) => ['summary', 'clustering', 'predictions'].some((k) => {
    const v = r[k as keyof Row] as string | null;
    return scrubJson(v, textOnly) !== v;
  }));
}
