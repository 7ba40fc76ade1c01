/**
 * Dates as exports write them, converted to UTC. A format names the order and separator of the
 * date part ("DD/MM/YYYY", "M/D/YYYY H:MM", "YYYY-MM-DD", "ISO8601"); in values:
 * - the time is optional: a date-only value is midnight UTC, whatever the time zone;
 * - a time is H:MM, H:MM:SS or H:MM:SS.fff after a space or 'T', optionally with AM/PM;
 * - an offset ("Z", "+01:00", "-0500", " -0500", "UTC") is honoured whenever present;
 * - a date and time without offset (naive) is read in the mapping's time zone (default UTC).
 * Hand-written scanner, no regex: it runs once per distinct value of a date column.
 */

export type DateOrder = 'ymd' | 'dmy' | 'mdy';

export interface DateFormat {
  name: string;
  order: DateOrder;
  separator: string;
}

const DATE_PARTS: Record<string, { order: DateOrder; separator: string }> = {};
for (const sep of ['-', '/', '.']) {
  for (const [y, m, d] of [['YYYY', 'MM', 'DD'], ['YYYY', 'M', 'D']] as const) DATE_PARTS[[y, m, d].join(sep)] = { order: 'ymd', separator: sep };
  for (const [d, m] of [['DD', 'MM'], ['D', 'M']] as const) DATE_PARTS[[d, m, 'YYYY'].join(sep)] = { order: 'dmy', separator: sep };
  for (const [m, d] of [['MM', 'DD'], ['M', 'D']] as const) DATE_PARTS[[m, d, 'YYYY'].join(sep)] = { order: 'mdy', separator: sep };
}

// Compact dates of raw data sets (CDNOW: 19970101).
DATE_PARTS['YYYYMMDD'] = { order: 'ymd', separator: '' };

const TIME_PARTS = new Set(['HH:MM', 'H:MM', 'HH:MM:SS', 'H:MM:SS', 'HH:MM:SS.SSS', 'h:MM A', 'h:MM:SS A']);
const OFFSET_PARTS = ['+HH:MM', '+HHMM', 'ZZ', 'Z'];

export const DATE_FORMAT_HELP =
  'use a date part like YYYY-MM-DD, DD/MM/YYYY, D.M.YYYY, M/D/YYYY, MM-DD-YYYY or YYYYMMDD, optionally followed by a time ' +
  '(" HH:MM", " H:MM:SS", "THH:MM:SS", " h:MM A") and an offset (" Z", "+HH:MM"), or ISO8601';

/** Compiles a format name; undefined when it is not one segsync reads (see DATE_FORMAT_HELP). */
export function compileDateFormat(name: string): DateFormat | undefined {
  if (name === 'ISO8601' || name === 'ISO 8601') return { name, order: 'ymd', separator: '-' };
  const at = name.search(/[ T]/);
  const datePart = at < 0 ? name : name.slice(0, at);
  const date = DATE_PARTS[datePart];
  if (!date) return undefined;
  if (at >= 0) {
    let rest = name.slice(at + 1).trim();
    for (const offset of OFFSET_PARTS) {
      if (rest.endsWith(offset)) { rest = rest.slice(0, -offset.length).trim(); break; }
    }
    if (!TIME_PARTS.has(rest)) return undefined;
  }
  return { name, order: date.order, separator: date.separator };
}

/** UTC milliseconds of a wall-clock time in an IANA zone; "UTC" is the fast path. */
export interface ZoneReader {
  name: string;
  toUtc(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number;
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Z']);
const zoneReaders = new Map<string, ZoneReader>();

export function zoneReader(name: string): ZoneReader {
  const cached = zoneReaders.get(name);
  if (cached) return cached;
  let reader: ZoneReader;
  if (UTC_NAMES.has(name)) {
    reader = { name, toUtc: (y, mo, d, h, mi, s, ms) => Date.UTC(y, mo - 1, d, h, mi, s, ms) };
  } else {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    const offsetAt = (utcMs: number): number => {
      const parts: Record<string, number> = {};
      for (const p of format.formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
      const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
      return wall - Math.floor(utcMs / 1000) * 1000;
    };
    // Offsets change on whole hours (or half hours): cache per local hour.
    const byHour = new Map<number, number>();
    reader = {
      name,
      toUtc(y, mo, d, h, mi, s, ms) {
        const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
        const hourKey = Math.floor(wall / 1_800_000);
        let offset = byHour.get(hourKey);
        if (offset === undefined) {
          const first = offsetAt(wall);
          const second = offsetAt(wall - first);
          // A wall time skipped or repeated by a DST change resolves to one of its candidate instants.
          offset = first === second ? first : Math.max(first, second);
          if (byHour.size > 100_000) byHour.clear();
          byHour.set(hourKey, offset);
        }
        return wall - offset;
      },
    };
  }
  zoneReaders.set(name, reader);
  return reader;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * Parses `value` (already trimmed, non-empty) with `format`. Returns UTC epoch milliseconds, or NaN
 * when the value does not match the format or names a day that does not exist.
 */
export function parseDateValue(value: string, format: DateFormat, zone: ZoneReader): number {
  const n = value.length;
  const sep = format.separator.charCodeAt(0);
  let i = 0;
  let a = 0, aLen = 0, b = 0, bLen = 0, c = 0, cLen = 0;
  if (format.separator === '') {
    // YYYYMMDD: eight digits, no separator.
    if (n < 8) return NaN;
    for (; i < 8; i++) { const ch = value.charCodeAt(i) - 48; if (ch < 0 || ch > 9) return NaN; }
    a = Number(value.slice(0, 4)); aLen = 4;
    b = Number(value.slice(4, 6)); bLen = 2;
    c = Number(value.slice(6, 8)); cLen = 2;
  } else {
    // Three numbers separated by the format's separator.
    for (; i < n; i++) { const ch = value.charCodeAt(i) - 48; if (ch < 0 || ch > 9) break; a = a * 10 + ch; aLen++; }
    if (aLen === 0 || value.charCodeAt(i) !== sep) return NaN;
    for (i++; i < n; i++) { const ch = value.charCodeAt(i) - 48; if (ch < 0 || ch > 9) break; b = b * 10 + ch; bLen++; }
    if (bLen === 0 || bLen > 2 || value.charCodeAt(i) !== sep) return NaN;
    for (i++; i < n; i++) { const ch = value.charCodeAt(i) - 48; if (ch < 0 || ch > 9) break; c = c * 10 + ch; cLen++; }
    if (cLen === 0) return NaN;
  }
  let year: number, month: number, day: number;
  if (format.order === 'ymd') {
    if (aLen !== 4 || cLen > 2) return NaN;
    year = a; month = b; day = c;
  } else {
    if (cLen !== 4 || aLen > 2) return NaN;
    year = c;
    if (format.order === 'dmy') { day = a; month = b; } else { month = a; day = b; }
  }
  if (month < 1 || month > 12 || day < 1) return NaN;
  if (day > (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!)) return NaN;
  if (i === n) return Date.UTC(year, month - 1, day);

  // Time: [ T]H:MM[:SS[.fff]][ AM|PM]
  const t = value.charCodeAt(i);
  if (t !== 32 && t !== 84 && t !== 116) return NaN;
  while (i < n && value.charCodeAt(i + 1) === 32) i++;
  let hour = 0, hLen = 0, minute = 0, mLen = 0, second = 0, sLen = 0, millis = 0;
  for (i++; i < n; i++) { const ch = value.charCodeAt(i) - 48; if (ch < 0 || ch > 9) break; hour = hour * 10 + ch; hLen++; }
  if (hLen === 0 || hLen > 2 || value.charCodeAt(i) !== 58) return NaN;
  for (i++; i < n; i++) { const ch = value.charCodeAt(i) - 48; if (ch < 0 || ch > 9) break; minute = minute * 10 + ch; mLen++; }
  if (mLen !== 2) return NaN;
  if (value.charCodeAt(i) === 58) {
    for (i++; i < n; i++) { const ch = value.charCodeAt(i) - 48; if (ch < 0 || ch > 9) break; second = second * 10 + ch; sLen++; }
    if (sLen !== 2) return NaN;
    if (value.charCodeAt(i) === 46 || value.charCodeAt(i) === 44) {
      let scale = 100, fLen = 0;
      for (i++; i < n; i++) {
        const ch = value.charCodeAt(i) - 48;
        if (ch < 0 || ch > 9) break;
        millis += ch * scale; scale /= 10; fLen++;
      }
      if (fLen === 0) return NaN;
      millis = Math.floor(millis);
    }
  }
  while (i < n && value.charCodeAt(i) === 32) i++;
  // AM / PM
  const ap = value.charCodeAt(i) | 32;
  if ((ap === 97 || ap === 112) && (value.charCodeAt(i + 1) | 32) === 109) {
    if (hour < 1 || hour > 12) return NaN;
    hour = (hour % 12) + (ap === 112 ? 12 : 0);
    i += 2;
    while (i < n && value.charCodeAt(i) === 32) i++;
  }
  if (hour > 23 || minute > 59 || second > 60) return NaN;
  if (second === 60) second = 59;
  if (i === n) return zone.toUtc(year, month, day, hour, minute, second, millis);

  // Offset: Z | UTC | GMT | ±HH[:MM] | ±HHMM
  let offsetMinutes: number;
  const o = value.charCodeAt(i);
  if ((o === 90 || o === 122) && i + 1 === n) {
    offsetMinutes = 0;
    i++;
  } else if (value.startsWith('UTC', i) || value.startsWith('GMT', i)) {
    i += 3;
    if (i === n) offsetMinutes = 0;
    else return NaN;
  } else if (o === 43 || o === 45) {
    const sign = o === 45 ? -1 : 1;
    let digits = 0, dLen = 0, m2 = 0, m2Len = 0;
    for (i++; i < n && dLen < 4; i++) { const ch = value.charCodeAt(i) - 48; if (ch < 0 || ch > 9) break; digits = digits * 10 + ch; dLen++; }
    let oh: number, om: number;
    if (dLen === 4) { oh = Math.floor(digits / 100); om = digits % 100; }
    else if (dLen === 2 || dLen === 1) {
      oh = digits; om = 0;
      if (value.charCodeAt(i) === 58) {
        for (i++; i < n; i++) { const ch = value.charCodeAt(i) - 48; if (ch < 0 || ch > 9) break; m2 = m2 * 10 + ch; m2Len++; }
        if (m2Len !== 2) return NaN;
        om = m2;
      }
    } else return NaN;
    if (oh > 14 || om > 59) return NaN;
    offsetMinutes = sign * (oh * 60 + om);
  } else return NaN;
  if (i !== n) return NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

/** Tries each format in order; the first that reads the value wins. */
export function parseDateWith(value: string, formats: readonly DateFormat[], zone: ZoneReader): number {
  for (const f of formats) {
    const ms = parseDateValue(value, f, zone);
    if (ms === ms) return ms;
  }
  return NaN;
}
