/**
 * Numbers and ids as spreadsheet exports write them. Hot path: called for every line item, so the
 * common shapes ("12", "-3", "2.55", "2,55") are recognised by one character scan, without regexes.
 */

/** '.' or ',' for a file whose convention is known; 'auto' decides per value (see parseDecimal). */
export type DecimalSeparator = '.' | ',' | 'auto';

const DOT = 46;
const COMMA = 44;
const MINUS = 45;
const PLUS = 43;

/**
 * Parses a decimal number. `decimal` is the decimal separator; the other of '.'/',' is then a
 * thousands separator that must be followed by groups of exactly three digits ("1.234,56" with
 * ',' is 1234.56; "12.50" with ',' is refused rather than read as 1250). Spaces (also no-break
 * spaces) and apostrophes are thousands separators too. A leading or trailing currency symbol or
 * code ("€12,50", "12.50 EUR"), accounting parentheses ("(12.50)" = -12.5) and an exponent ("1E+23",
 * "2,5e-3" with ",") are accepted.
 *
 * With 'auto', a value containing both separators takes the last one as the decimal separator; a
 * value with one separator followed by exactly three digits ("1,234") is ambiguous and read with
 * `autoFallback` (the file's convention, ',' for semicolon-delimited files); any other single
 * separator is the decimal separator ("12,5" = 12.5).
 *
 * Returns NaN when the value is not a number. The caller treats '' as missing before calling.
 */
export function parseDecimal(value: string, decimal: DecimalSeparator, autoFallback: '.' | ',' = '.'): number {
  // Fast path: optional '-', digits, at most one separator, digits.
  const n = value.length;
  let sepAt = -1;
  let i = value.charCodeAt(0) === MINUS ? 1 : 0;
  if (i < n) {
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 48 && c <= 57) continue;
      if ((c === DOT || c === COMMA) && sepAt === -1) { sepAt = i; continue; }
      break;
    }
    if (i === n && sepAt !== n - 1 && !(sepAt === 0 || (sepAt === 1 && value.charCodeAt(0) === MINUS))) {
      if (sepAt === -1) return Number(value);
      const sep = value.charCodeAt(sepAt) === DOT ? '.' : ',';
      const digitsAfter = n - sepAt - 1;
      let dec: '.' | ',';
      if (decimal === 'auto') dec = digitsAfter === 3 ? autoFallback : sep;
      else dec = decimal;
      if (sep === dec) return sep === '.' ? Number(value) : Number(value.slice(0, sepAt) + '.' + value.slice(sepAt + 1));
      // The separator is a thousands separator: exactly three digits must follow and it is the only one.
      return digitsAfter === 3 ? Number(value.slice(0, sepAt) + value.slice(sepAt + 1)) : NaN;
    }
  }
  return parseDecimalSlow(value, decimal, autoFallback);
}

const CURRENCY_CHARS = new Set(['$', '€', '£', '¥', '₹', '₽', '₩', '₺', '₪', '₫', '฿', '₴', '₦', '₱', '¢']);

/** Strips one leading or trailing currency marker: a symbol ("€", "$") or an ISO code ("EUR"). */
function stripCurrency(s: string): string {
  let start = 0;
  let end = s.length;
  if (start < end && CURRENCY_CHARS.has(s[start]!)) start++;
  else if (end - start > 3 && isUpper(s, start, 3)) start += 3;
  while (start < end && s.charCodeAt(start) === 32) start++;
  if (end > start && CURRENCY_CHARS.has(s[end - 1]!)) end--;
  else if (end - start > 3 && isUpper(s, end - 3, 3)) end -= 3;
  while (end > start && s.charCodeAt(end - 1) === 32) end--;
  return s.slice(start, end);
}

function isUpper(s: string, from: number, count: number): boolean {
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  return true;
}

function parseDecimalSlow(input: string, decimal: DecimalSeparator, autoFallback: '.' | ','): number {
  let s = input.trim();
  let negative = false;
  if (s.startsWith('(') && s.endsWith(')')) { negative = true; s = s.slice(1, -1).trim(); }
  if (s.charCodeAt(0) === MINUS || s.charCodeAt(0) === PLUS) { negative = negative !== (s.charCodeAt(0) === MINUS); s = s.slice(1).trim(); }
  s = stripCurrency(s);
  if (s.charCodeAt(0) === MINUS || s.charCodeAt(0) === PLUS) { negative = negative !== (s.charCodeAt(0) === MINUS); s = s.slice(1); }
  if (s.endsWith('-')) { negative = !negative; s = s.slice(0, -1).trim(); }
  // Spaces, no-break spaces and apostrophes group thousands ("1 234,56", "1'234.56").
  s = s.replace(/[\s'’]/g, '');
  // Exponent notation, as spreadsheets write large or tiny numbers ("1E+23", "2.5e-3"): a number
  // like any other, which the plausibility limits (maxAmount) then judge.
  let exponent = '';
  const e = s.search(/[eE][+-]?\d{1,3}$/);
  if (e > 0) {
    exponent = s.slice(e);
    s = s.slice(0, e);
  }
  if (s === '') return NaN;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === DOT || c === COMMA)) return NaN;
  }
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  let dec: '.' | ',';
  if (decimal !== 'auto') dec = decimal;
  else if (lastDot >= 0 && lastComma >= 0) dec = lastDot > lastComma ? '.' : ',';
  else if (lastDot < 0 && lastComma < 0) dec = '.';
  else {
    const at = Math.max(lastDot, lastComma);
    const single = s.indexOf(s[at]!) === at;
    dec = single && s.length - at - 1 !== 3 ? (s[at] as '.' | ',') : single ? autoFallback : (s[at] === '.' ? ',' : '.');
  }
  const thousands = dec === '.' ? ',' : '.';
  const decAt = s.indexOf(dec);
  if (decAt !== s.lastIndexOf(dec)) return NaN;
  const intPart = decAt >= 0 ? s.slice(0, decAt) : s;
  const fracPart = decAt >= 0 ? s.slice(decAt + 1) : '';
  if (fracPart.includes(thousands)) return NaN;
  if (decAt >= 0 && fracPart === '') return NaN;
  let digits = intPart;
  if (intPart.includes(thousands)) {
    const groups = intPart.split(thousands);
    if (groups[0] === '' || groups[0]!.length > 3) return NaN;
    for (let g = 1; g < groups.length; g++) if (groups[g]!.length !== 3) return NaN;
    digits = groups.join('');
  }
  if (digits === '' && fracPart === '') return NaN;
  const result = Number(`${digits === '' ? '0' : digits}.${fracPart === '' ? '0' : fracPart}${exponent}`);
  return negative ? -result : result;
}

/**
 * Customer ids as spreadsheets re-export them: "17850.0" (a number column) is "17850"; leading
 * zeros and non-numeric ids are kept as written (trimmed).
 */
export function normalizeCustomerId(value: string): string {
  const dot = value.indexOf('.');
  if (dot <= 0) return value;
  for (let i = 0; i < dot; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return value;
  }
  for (let i = dot + 1; i < value.length; i++) if (value.charCodeAt(i) !== 48) return value;
  return value.slice(0, dot);
}

/** Money is summed in millionths so that 6 × 2.55 + … does not drift (2^53 µ ≈ 9 billion units). */
export const MICROS = 1_000_000;
export const toMicros = (amount: number): number => Math.round(amount * MICROS);
export const fromMicros = (micros: number): number => micros / MICROS;
