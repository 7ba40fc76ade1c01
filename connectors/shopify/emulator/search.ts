/**
 * The part of Shopify's search syntax (the `query` argument of customers and orders) segsync and
 * tests use: `field:value`, `field:>=value` (also >, <, <=), quoted values, `-field:value` to
 * negate, terms joined by spaces or AND. A date without a time matches the whole (UTC) day, as
 * Shopify documents for `updated_at:2024-01-01`. Unknown fields are ignored and reported in
 * `extensions.search`, as Shopify does for invalid search fields.
 */
export type Comparator = '=' | '>' | '>=' | '<' | '<=';

export interface SearchTerm {
  field: string;
  op: Comparator;
  value: string;
  negate: boolean;
}

export type FieldKind = 'date' | 'number' | 'text' | 'boolean' | 'list';
export type FieldSpec<T> = { kind: FieldKind; get: (item: T) => number | string | boolean | null | string[] };

export interface SearchWarning {
  field: string;
  message: string;
}

const DAY_MS = 86_400_000;

function tokens(query: string): string[] {
  const out: string[] = [];
  const re = /(?:[^\s'"]+|'[^']*'|"[^"]*")+/g;
  for (const m of query.matchAll(re)) out.push(m[0]);
  return out;
}

function unquote(value: string): string {
  return value.replace(/^'(.*)'$/s, '$1').replace(/^"(.*)"$/s, '$1');
}

export function parseSearch(query: string | null | undefined): { terms: SearchTerm[]; free: string[] } {
  const terms: SearchTerm[] = [];
  const free: string[] = [];
  for (const token of tokens(query ?? '')) {
    if (token === 'AND' || token === 'OR') continue; // CHOSEN: OR is read as AND; segsync never sends it.
    const m = /^(-)?([A-Za-z_]+):(>=|<=|>|<|=)?(.*)$/s.exec(token);
    if (!m) {
      free.push(unquote(token));
      continue;
    }
    terms.push({ negate: m[1] === '-', field: m[2]!.toLowerCase(), op: (m[3] as Comparator | undefined) ?? '=', value: unquote(m[4] ?? '') });
  }
  return { terms, free };
}

function compare(a: number, op: Comparator, b: number): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

function dateTerm(value: number | null, op: Comparator, raw: string): boolean {
  if (value === null) return false;
  if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) {
    const start = Date.parse(`${raw}T00:00:00Z`);
    const end = start + DAY_MS;
    switch (op) {
      case '=':
        return value >= start && value < end;
      case '>':
        return value >= end;
      case '>=':
        return value >= start;
      case '<':
        return value < start;
      case '<=':
        return value < end;
    }
  }
  const at = Date.parse(raw);
  return Number.isFinite(at) && compare(value, op, at);
}

/** A predicate for the terms on the fields a connection supports; warnings for the others. */
export function searchFilter<T>(
  query: string | null | undefined,
  fields: Record<string, FieldSpec<T>>,
): { test: (item: T) => boolean; warnings: SearchWarning[] } {
  const { terms, free } = parseSearch(query);
  const warnings: SearchWarning[] = [];
  const checks: Array<(item: T) => boolean> = [];
  for (const term of terms) {
    const spec = fields[term.field];
    if (!spec) {
      warnings.push({ field: term.field, message: 'Invalid search field for this query.' });
      continue;
    }
    const check = (item: T): boolean => {
      const v = spec.get(item);
      switch (spec.kind) {
        case 'date':
          return dateTerm(typeof v === 'number' ? v : null, term.op, term.value);
        case 'number':
          return typeof v === 'number' && compare(v, term.op, Number(term.value));
        case 'boolean':
          return String(v) === term.value.toLowerCase();
        case 'list':
          return Array.isArray(v) && v.some((x) => x.toLowerCase() === term.value.toLowerCase());
        case 'text':
          return typeof v === 'string' && v.trim().toLowerCase() === term.value.trim().toLowerCase();
      }
    };
    checks.push(term.negate ? (item) => !check(item) : check);
  }
  for (const word of free) warnings.push({ field: 'default', message: `Free-text search ("${word}") is not supported by the segsync emulator; ignored.` });
  return { test: (item) => checks.every((c) => c(item)), warnings };
}
