/**
 * CRM search (POST /crm/v3/objects/{type}/search): request validation, filtering and ordering.
 *
 * Limits enforced (search guide, "Limitations"): ≤5 filterGroups, ≤6 filters per group, ≤18
 * filters in total, one sort, ≤200 results per page, body ≤3,000 characters, and no paging past
 * the result cap (10,000). A changelog of 2024-08 announced 5/10/25 filters; the current guide
 * still says 5/6/18, and the stricter limit is the one an integration must respect, so it is used.
 */
import type { CompanyRecord, CompanyStore, CrmRecord, CrmState } from './state.js';
import { DERIVED, type ObjectKind, type PropertyDef } from './properties.js';

export const SEARCH_MAX_GROUPS = 5;
export const SEARCH_MAX_FILTERS_PER_GROUP = 6;
export const SEARCH_MAX_FILTERS = 18;
export const SEARCH_MAX_LIMIT = 200;
export const SEARCH_MAX_BODY_CHARS = 3000;

const OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

/** Properties the free-text `query` looks in (search guide: default searchable properties). */
const QUERY_PROPERTIES: Record<ObjectKind, readonly string[]> = {
  contacts: ['firstname', 'lastname', 'email', 'phone', 'company', 'hs_additional_emails'],
  deals: ['dealname', 'pipeline', 'dealstage', 'description', 'dealtype'],
};

type Comparable = number | string;

interface CompiledFilter {
  def: PropertyDef;
  operator: string;
  value?: Comparable;
  high?: Comparable;
  values?: Comparable[];
  token?: RegExp;
}

export interface ParsedSearch {
  groups: CompiledFilter[][];
  sort: { def: PropertyDef; descending: boolean } | null;
  query: string | null;
  properties: string[] | undefined;
  limit: number;
  after: number;
  /** Identifies filters+sort+query, for the result cache. */
  key: string;
}

export type SearchParse = { ok: true; search: ParsedSearch } | { ok: false; message: string };

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Dates are compared as epoch ms; HubSpot accepts epoch-ms strings and ISO 8601 in filters. */
export function toMs(raw: string): number | undefined {
  const t = raw.trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A stored value in comparable form; undefined for "no value". */
export function comparable(def: PropertyDef, raw: string | undefined): Comparable | undefined {
  if (raw === undefined || raw === '') return undefined;
  switch (def.type) {
    case 'date':
    case 'datetime': {
      const ms = toMs(raw);
      return ms === undefined ? undefined : ms;
    }
    case 'number': {
      const n = Number(raw);
      return Number.isFinite(n) ? n : undefined;
    }
    default:
      return raw.toLowerCase();
  }
}

function filterValue(def: PropertyDef, raw: string): Comparable | undefined {
  switch (def.type) {
    case 'date':
    case 'datetime':
      return toMs(raw);
    case 'number': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : undefined;
    }
    default:
      return raw.toLowerCase();
  }
}

function tokenPattern(raw: string): RegExp {
  const escaped = raw
    .toLowerCase()
    .split('*')
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return raw.includes('*') ? new RegExp(`^${escaped}$`) : new RegExp(`(^|[^a-z0-9])${escaped}($|[^a-z0-9])`);
}

/** What a search is compiled against: the object's kind and property definitions (contacts, deals or companies). */
export interface SearchableStore {
  kind: ObjectKind | 'companies';
  properties: ReadonlyMap<string, PropertyDef>;
}

const OBJECT_TYPE_IDS: Record<SearchableStore['kind'], string> = { contacts: '0-1', deals: '0-3', companies: '0-2' };

export function parseSearch(body: unknown, rawLength: number, store: SearchableStore, cap: number): SearchParse {
  if (rawLength > SEARCH_MAX_BODY_CHARS) {
    return { ok: false, message: `Search request body is ${rawLength} characters; the maximum is ${SEARCH_MAX_BODY_CHARS}.` };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, message: 'Invalid input JSON: expected a search request object.' };
  }
  const b = body as Record<string, unknown>;

  let limit = 10;
  if (b.limit !== undefined && b.limit !== null) {
    const n = Number(b.limit);
    if (!Number.isInteger(n) || n < 1) return { ok: false, message: `Invalid limit ${String(b.limit)}: must be a positive integer.` };
    if (n > SEARCH_MAX_LIMIT) return { ok: false, message: `Limit of ${n} is greater than the maximum of ${SEARCH_MAX_LIMIT}.` };
    limit = n;
  }

  let after = 0;
  if (b.after !== undefined && b.after !== null && b.after !== '') {
    const s = scalar(b.after);
    if (s === undefined || !/^\d+$/.test(s)) return { ok: false, message: `Invalid after value '${String(b.after)}': must be a numeric offset.` };
    after = Number(s);
  }
  if (after >= cap) {
    // HubSpot answers 400 when paging reaches the 10,000th result (search guide, "Limitations");
    // the exact message is not documented: this one says what happened.
    return {
      ok: false,
      message: `The search cannot page past the first ${cap} results (after=${after}). Narrow the filters, for example restart from the last modified date seen, and page again.`,
    };
  }

  const rawGroups = b.filterGroups ?? [];
  if (!Array.isArray(rawGroups)) return { ok: false, message: 'filterGroups must be an array.' };
  if (rawGroups.length > SEARCH_MAX_GROUPS) {
    return { ok: false, message: `Too many filter groups: ${rawGroups.length}. The maximum is ${SEARCH_MAX_GROUPS}.` };
  }
  let total = 0;
  const groups: CompiledFilter[][] = [];
  for (const g of rawGroups) {
    const filters = (g as { filters?: unknown } | null)?.filters;
    if (!Array.isArray(filters)) return { ok: false, message: 'Each filter group must have a filters array.' };
    if (filters.length > SEARCH_MAX_FILTERS_PER_GROUP) {
      return { ok: false, message: `Too many filters in a filter group: ${filters.length}. The maximum is ${SEARCH_MAX_FILTERS_PER_GROUP}.` };
    }
    total += filters.length;
    if (total > SEARCH_MAX_FILTERS) {
      return { ok: false, message: `Too many filters: ${total}. The maximum across all filter groups is ${SEARCH_MAX_FILTERS}.` };
    }
    const compiled: CompiledFilter[] = [];
    for (const f of filters) {
      const r = compileFilter(f, store);
      if (typeof r === 'string') return { ok: false, message: r };
      compiled.push(r);
    }
    if (compiled.length > 0) groups.push(compiled);
  }

  const rawSorts = b.sorts ?? [];
  if (!Array.isArray(rawSorts)) return { ok: false, message: 'sorts must be an array.' };
  if (rawSorts.length > 1) return { ok: false, message: `Only one sort is supported, got ${rawSorts.length}.` };
  let sort: ParsedSearch['sort'] = null;
  const s0: unknown = rawSorts[0];
  if (s0 !== undefined) {
    // The docs send {propertyName, direction}; the SDK's model types sorts as strings ("-name" = descending).
    let name: string | undefined;
    let descending = false;
    if (typeof s0 === 'string') {
      descending = s0.startsWith('-');
      name = descending ? s0.slice(1) : s0;
    } else if (s0 && typeof s0 === 'object') {
      const so = s0 as { propertyName?: unknown; direction?: unknown };
      name = scalar(so.propertyName);
      const dir = so.direction === undefined ? 'ASCENDING' : scalar(so.direction);
      if (dir !== 'ASCENDING' && dir !== 'DESCENDING') return { ok: false, message: `Invalid sort direction '${String(so.direction)}'.` };
      descending = dir === 'DESCENDING';
    }
    const def = name === undefined ? undefined : store.properties.get(name);
    if (!def) return { ok: false, message: `Cannot sort by unknown property '${String(name)}'.` };
    sort = { def, descending };
  }

  let properties: string[] | undefined;
  if (b.properties !== undefined && b.properties !== null) {
    if (!Array.isArray(b.properties)) return { ok: false, message: 'properties must be an array of property names.' };
    properties = b.properties.map((p) => String(p));
  }

  const query = typeof b.query === 'string' && b.query.trim() !== '' ? b.query.trim().toLowerCase() : null;
  const key = JSON.stringify([store.kind, rawGroups, rawSorts, query]);
  return { ok: true, search: { groups, sort, query, properties, limit, after, key } };
}

function compileFilter(f: unknown, store: SearchableStore): CompiledFilter | string {
  if (!f || typeof f !== 'object') return 'Each filter must be an object.';
  const o = f as Record<string, unknown>;
  const name = scalar(o.propertyName);
  const operator = scalar(o.operator) ?? 'EQ';
  if (!name) return 'A filter is missing propertyName.';
  const def = store.properties.get(name);
  if (!def) return `Unable to find property '${name}' on object type ${OBJECT_TYPE_IDS[store.kind]}.`;
  if (!OPERATORS.has(operator)) return `Unknown filter operator '${operator}'.`;
  const compiled: CompiledFilter = { def, operator };
  const need = (raw: unknown, what: string): { v: Comparable } | { error: string } => {
    const s = scalar(raw);
    if (s === undefined) return { error: `Operator ${operator} on ${name} requires ${what}.` };
    const v = filterValue(def, s);
    return v === undefined ? { error: `'${s}' is not a valid value for ${def.type} property ${name}.` } : { v };
  };
  switch (operator) {
    case 'EQ':
    case 'NEQ':
    case 'LT':
    case 'LTE':
    case 'GT':
    case 'GTE': {
      const r = need(o.value, 'a value');
      if ('error' in r) return r.error;
      compiled.value = r.v;
      break;
    }
    case 'BETWEEN': {
      const lo = need(o.value, 'a value');
      if ('error' in lo) return lo.error;
      const hi = need(o.highValue, 'a highValue');
      if ('error' in hi) return hi.error;
      compiled.value = lo.v;
      compiled.high = hi.v;
      break;
    }
    case 'IN':
    case 'NOT_IN': {
      if (!Array.isArray(o.values) || o.values.length === 0) return `Operator ${operator} on ${name} requires a non-empty values array.`;
      const values: Comparable[] = [];
      for (const raw of o.values) {
        const r = need(raw, 'values');
        if ('error' in r) return r.error;
        values.push(r.v);
      }
      compiled.values = values;
      break;
    }
    case 'CONTAINS_TOKEN':
    case 'NOT_CONTAINS_TOKEN': {
      const s = scalar(o.value);
      if (s === undefined) return `Operator ${operator} on ${name} requires a value.`;
      compiled.token = tokenPattern(s);
      break;
    }
  }
  return compiled;
}

function compare(a: Comparable, b: Comparable): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * `v` is the record's value in comparable form (undefined = no value); `raw` gives the stored
 * string, needed only by the token operators.
 */
function matches(f: CompiledFilter, v: Comparable | undefined, raw: () => string | undefined): boolean {
  const multi = f.def.type === 'enumeration' && f.def.fieldType === 'checkbox';
  const tokens = (): Comparable[] =>
    v === undefined ? [] : multi && typeof v === 'string' ? v.split(';').filter((t) => t !== '') : [v];
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return v !== undefined;
    case 'NOT_HAS_PROPERTY':
      return v === undefined;
    case 'EQ':
      return tokens().some((t) => compare(t, f.value as Comparable) === 0);
    case 'NEQ':
      return !tokens().some((t) => compare(t, f.value as Comparable) === 0);
    case 'LT':
      return v !== undefined && compare(v, f.value as Comparable) < 0;
    case 'LTE':
      return v !== undefined && compare(v, f.value as Comparable) <= 0;
    case 'GT':
      return v !== undefined && compare(v, f.value as Comparable) > 0;
    case 'GTE':
      return v !== undefined && compare(v, f.value as Comparable) >= 0;
    case 'BETWEEN':
      return v !== undefined && compare(v, f.value as Comparable) >= 0 && compare(v, f.high as Comparable) <= 0;
    case 'IN':
      return tokens().some((t) => (f.values ?? []).some((x) => compare(t, x) === 0));
    case 'NOT_IN':
      return !tokens().some((t) => (f.values ?? []).some((x) => compare(t, x) === 0));
    case 'CONTAINS_TOKEN': {
      const r = raw();
      return r !== undefined && (f.token as RegExp).test(r.toLowerCase());
    }
    case 'NOT_CONTAINS_TOKEN': {
      const r = raw();
      return r === undefined || !(f.token as RegExp).test(r.toLowerCase());
    }
    default:
      return false;
  }
}

/** A record's value in comparable form; the derived dates and the id are read without formatting. */
function keyOf(state: CrmState, kind: ObjectKind, rec: CrmRecord, def: PropertyDef): Comparable | undefined {
  switch (def.name) {
    case 'hs_object_id':
      return rec.id;
    case 'createdate':
      return rec.createdMs;
    case 'lastmodifieddate':
    case 'hs_lastmodifieddate':
      return DERIVED[kind].has(def.name) ? rec.updatedMs : comparable(def, state.value(kind, rec, def.name));
    default:
      return comparable(def, state.value(kind, rec, def.name));
  }
}

/**
 * Ids of the live records matching the search, in result order: the sort property (or the
 * creation date when no sort is given), records without a value last, ties by id ascending.
 */
export function runSearch(state: CrmState, kind: ObjectKind, search: ParsedSearch): number[] {
  const store = state.store(kind);
  const sortDef = search.sort?.def ?? store.properties.get('createdate');
  const descending = search.sort?.descending ?? false;
  const hits: Array<{ id: number; key: Comparable | undefined }> = [];
  for (const rec of store.slots) {
    if (!rec.live) continue;
    const id = rec.id;
    if (search.groups.length > 0) {
      const ok = search.groups.some((group) =>
        group.every((f) => matches(f, keyOf(state, kind, rec, f.def), () => state.value(kind, rec, f.def.name))),
      );
      if (!ok) continue;
    }
    if (search.query !== null) {
      const q = search.query;
      const ok = QUERY_PROPERTIES[kind].some((n) => (state.value(kind, rec, n) ?? '').toLowerCase().includes(q));
      if (!ok) continue;
    }
    hits.push({ id, key: sortDef ? keyOf(state, kind, rec, sortDef) : undefined });
  }
  hits.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) {
      if (a.key !== b.key) return a.key === undefined ? 1 : -1;
      return a.id - b.id;
    }
    const c = compare(a.key, b.key);
    if (c !== 0) return descending ? -c : c;
    return a.id - b.id;
  });
  return hits.map((h) => h.id);
}

/** Ids of the companies matching the search, sorted like runSearch (companies are never archived here). */
export function runCompanySearch(companies: CompanyStore, search: ParsedSearch): number[] {
  const key = (rec: CompanyRecord, def: PropertyDef): Comparable | undefined => (def.name === 'hs_object_id' ? rec.id : comparable(def, companies.value(rec, def.name)));
  const sortDef = search.sort?.def ?? companies.properties.get('createdate');
  const descending = search.sort?.descending ?? false;
  const hits: Array<{ id: number; key: Comparable | undefined }> = [];
  for (const rec of companies.slots) {
    if (search.groups.length > 0 && !search.groups.some((group) => group.every((f) => matches(f, key(rec, f.def), () => companies.value(rec, f.def.name))))) continue;
    if (search.query !== null && !(companies.value(rec, 'name') ?? '').toLowerCase().includes(search.query)) continue;
    hits.push({ id: rec.id, key: sortDef ? key(rec, sortDef) : undefined });
  }
  hits.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) return a.key !== b.key ? (a.key === undefined ? 1 : -1) : a.id - b.id;
    const c = compare(a.key, b.key);
    return c !== 0 ? (descending ? -c : c) : a.id - b.id;
  });
  return hits.map((h) => h.id);
}
