/**
 * CSV that segsync writes for people to open in a spreadsheet. A cell that starts with = + - @,
 * a tab or a carriage return is a formula to Excel, LibreOffice and Google Sheets: `=cmd|' /C calc'!A0`
 * in a contact's name would run on the marketer's machine. OWASP's rule: prefix such a cell with
 * a single quote (shown as text, never run) and quote it. Numbers stay numbers: a JS number, or
 * text that is exactly a decimal number such as `-12.50` or `1e3`, is written as it is.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = String(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) return `"'${text.replace(/"/g, '""')}"`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole CSV document: header and rows, one line each, ending with a newline. */
export function toCsv(header: readonly string[], rows: Iterable<readonly unknown[]>): string {
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(row.map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}
