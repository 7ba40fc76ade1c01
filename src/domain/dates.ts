/**
 * Dates from platforms, parsed strictly. `Date.parse('2025-02-30')` quietly gives 2 March, which
 * would move a purchase (and the customer's recency) without a trace; an impossible calendar date
 * or time must be refused so the record goes to quarantine instead.
 *
 * A date-time without an offset is UTC, never the process's local time: `Date.parse` would read
 * "2014-11-13 12:43:04" as 12:43 in whatever TZ the machine runs under, so the same pull would
 * store another instant (and another day) on a server in Los Angeles. HubSpot, Marketo and
 * Shopify all define their API times as UTC; a zone other than UTC is the CSV importer's explicit
 * `timeZone` option (connectors/csv/dates.ts), not this.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch ms of an ISO 8601 date or date-time (no offset = UTC; date-only = midnight UTC), or NaN if it is not a real one. */
export function parseStrictDate(text: string): number {
  const m = ISO.exec(text.trim());
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '0', mi = '0', se = '0', fraction = '', offset] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1) return Number.NaN;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > lastDay || Number(h) > 23 || Number(mi) > 59 || Number(se) > 59) return Number.NaN;
  // A date alone with an offset ("2024-03-01+01:00") is not ISO 8601: refuse it rather than guess.
  if (offset !== undefined && m[4] === undefined) return Number.NaN;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(Number(h), Number(mi), Number(se), ms);
  return utc.getTime() - offsetMinutes(offset) * 60_000;
}

/** "+05:30", "+0530", "-08" → minutes east of UTC; Z or none → 0. */
function offsetMinutes(offset: string | undefined): number {
  if (offset === undefined || offset.toUpperCase() === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return Number.NaN;
  return sign * (hours * 60 + minutes);
}
