/** Small text helpers for what segsync prints: counts with their noun, and echoed values kept short. */

/**
 * "1 customer", "2 customers", "1,234 customers": the count (en-US grouping) and the noun in the
 * number it needs. Irregular plurals are given: plural(n, 'entry', 'entries').
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`;
}

/** The default length of a value echoed in a message (a header row, a cell). */
export const ECHO_MAX = 300;

/**
 * A value as an error or warning echoes it: whole when short, else its start and a note of the
 * full length ("… (262,144 characters in all)"), so a huge header or cell cannot flood a terminal
 * or a log line.
 */
export function capped(text: string, max = ECHO_MAX): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length.toLocaleString('en-US')} characters in all)`;
}
