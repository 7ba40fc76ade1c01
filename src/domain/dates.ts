/**
 * Dates from platforms, parsed strictly. `Date.parse('2025-02-30')` quietly gives 2 March, which
 * would move a purchase (and the customer's recency) without a trace; an impossible calendar date
 * or time must be refused so the record goes to quarantine instead.
 */
const ISO_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?/;

/** Epoch ms of an ISO 8601 date or date-time (date-only = midnight UTC), or NaN if it is not a real one. */
export function parseStrictDate(text: string): number {
  const s = text.trim();
  const m = ISO_PREFIX.exec(s);
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '0', mi = '0', se = '0'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1) return Number.NaN;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > lastDay || Number(h) > 23 || Number(mi) > 59 || Number(se) > 59) return Number.NaN;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  return Number.isFinite(ms) ? ms : Number.NaN;
}
