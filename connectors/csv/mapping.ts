import { z } from 'zod';
import { ConfigError, parseOrThrow } from '../../src/config/errors.js';
import { defaultMappingFile } from '../../src/config/paths.js';
import { readYamlFile } from '../../src/config/yaml-file.js';
import { PURCHASE_STATUSES, type EmailConsent, type PurchaseStatus } from '../../src/domain/records.js';
import { compileDateFormat, DATE_FORMAT_HELP, isTimeZone, zoneReader, type DateFormat, type ZoneReader } from './dates.js';
import { canonicalEncoding } from './encoding.js';
import type { DecimalSeparator } from './numbers.js';

/**
 * mappings/csv.yaml: how CSV exports are read. Each format names the columns of one export
 * layout; files are matched to a format by their header row (or the format is given explicitly).
 * The same schema validates an `imports:` block of the workspace config (parseCsvMapping).
 */

const unknownKeys = (allowed: readonly string[]) => (issue: { code?: string; keys?: string[] }) =>
  issue.code === 'unrecognized_keys'
    ? `unknown key${(issue.keys?.length ?? 0) > 1 ? 's' : ''} ${issue.keys?.map((k) => `"${k}"`).join(', ')}; allowed here: ${allowed.join(', ')}`
    : undefined;

function strict<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, { error: unknownKeys(Object.keys(shape)) });
}

/** A header name, or several alternatives (the first one present in the file is used). */
const ColumnRef = z.union([
  z.string().trim().min(1, 'a column name cannot be empty'),
  z.array(z.string().trim().min(1, 'a column name cannot be empty')).min(1, 'list at least one column name'),
], { error: 'must be a column name from the header row, or a list of alternative names' });

const CONTACT_COLUMNS = ['customerId', 'email', 'firstName', 'lastName', 'name', 'phone', 'city', 'country', 'consent'] as const;
const CONTACTS_ONLY_COLUMNS = ['createdAt', 'updatedAt'] as const;
const TRANSACTION_ONLY_COLUMNS = [
  'orderId', 'date', 'amount', 'quantity', 'unitPrice', 'orderTotal', 'refundedAmount', 'currency', 'status', 'cancelledAt',
] as const;
/** Events formats: one row per event (who, what, when); of the contact columns only customerId and email. */
const EVENTS_ONLY_COLUMNS = ['eventType', 'occurredAt'] as const;
const ALL_COLUMNS = [...TRANSACTION_ONLY_COLUMNS, ...CONTACT_COLUMNS, ...CONTACTS_ONLY_COLUMNS, ...EVENTS_ONLY_COLUMNS] as const;
export type ColumnKey = (typeof ALL_COLUMNS)[number];

const Columns = strict(Object.fromEntries(ALL_COLUMNS.map((k) => [k, ColumnRef.optional()])) as Record<ColumnKey, z.ZodOptional<typeof ColumnRef>>);

const DateFormatName = z.string().refine((s) => compileDateFormat(s) !== undefined, {
  error: (issue) => `"${String(issue.input)}" is not a date format segsync reads; ${DATE_FORMAT_HELP}`,
});
const TimeZone = z.string().refine(isTimeZone, {
  error: (issue) => `"${String(issue.input)}" is not an IANA time zone; use e.g. UTC, Europe/London, America/New_York`,
});
const Currency = z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO currency code in capitals, e.g. EUR');
const Decimal = z.enum(['.', ',', 'auto'], { error: 'must be ".", "," or "auto"' });
const Delimiter = z.enum([',', ';', '\t', '|', 'whitespace', 'auto'], {
  error: 'must be ",", ";", "\\t" (tab), "|", "whitespace" (runs of spaces and tabs, no quoting) or "auto"',
});
/** Any encoding label Node decodes (WHATWG names), stored canonical: utf-8, windows-1252, iso-8859-1, shift_jis... */
export const EncodingSchema = z.string().transform((label, ctx) => {
  const name = canonicalEncoding(label);
  if (name === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${label}" is not an encoding segsync reads; use utf-8, utf-16le, utf-16be, windows-1252, iso-8859-1 (latin1), or another WHATWG name such as windows-1250, shift_jis, gbk` });
    return z.NEVER;
  }
  return name;
});
const Consent = z.enum(['subscribed', 'unsubscribed', 'unknown'], { error: 'must be subscribed, unsubscribed or unknown' });
const Status = z.enum(PURCHASE_STATUSES, { error: `must be one of ${PURCHASE_STATUSES.join(', ')}` });
/**
 * The engagement an events file counts (connectors/csv/events.ts turns them into the engagement
 * attributes); `ignore` reads a known type without counting it (e.g. bounces), so it is not reported.
 */
export const EVENT_KINDS = ['email_delivered', 'email_open', 'email_click', 'page_view', 'visit', 'form_submit'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
const EventKindOrIgnore = z.enum([...EVENT_KINDS, 'ignore'], { error: `must be one of ${EVENT_KINDS.join(', ')} or ignore` });
/** Common spellings of event types (case-insensitive, spaces/hyphens read as _), under a format's eventTypes. */
export const DEFAULT_EVENT_TYPES: Readonly<Record<string, EventKind | 'ignore'>> = {
  email_delivered: 'email_delivered', delivered: 'email_delivered', email_delivery: 'email_delivered', emaildelivered: 'email_delivered', sent: 'email_delivered', email_sent: 'email_delivered',
  email_open: 'email_open', open: 'email_open', opened: 'email_open', email_opened: 'email_open', emailopen: 'email_open', open_email: 'email_open',
  email_click: 'email_click', click: 'email_click', clicked: 'email_click', email_clicked: 'email_click', emailclick: 'email_click', click_email: 'email_click', click_link: 'email_click',
  page_view: 'page_view', pageview: 'page_view', page_viewed: 'page_view', view: 'page_view', visit_web_page: 'page_view',
  visit: 'visit', session: 'visit', web_visit: 'visit', site_visit: 'visit', website_visit: 'visit',
  form_submit: 'form_submit', form_submission: 'form_submit', form_fill: 'form_submit', fill_out_form: 'form_submit', form: 'form_submit', form_submitted: 'form_submit', submit: 'form_submit',
  bounce: 'ignore', bounced: 'ignore', email_bounce: 'ignore', email_bounced: 'ignore', unsubscribe: 'ignore', unsubscribed: 'ignore',
};
/** An event type value as looked up: lower case, runs of spaces, hyphens and dots as one _. */
export const eventTypeKey = (value: string): string => value.trim().toLowerCase().replace(/[\s.-]+/g, '_');
const ValueTable = <T extends z.ZodType>(target: T) =>
  z.record(z.string(), target).transform((values) => {
    const lower: Record<string, z.output<T>> = {};
    for (const [k, v] of Object.entries(values)) lower[k.trim().toLowerCase()] = v as z.output<T>;
    return lower;
  });

/** An extra contact field usable in segments: a column, read as text unless `type: number`. */
const Attribute = z.union([
  ColumnRef,
  strict({ column: ColumnRef, type: z.enum(['string', 'number'], { error: 'must be string or number' }).default('string') }),
]);

/**
 * What an import accepts (defaults.limits; a format may override each). A file whose valid rows
 * are under minValidShare is refused, with nothing of the import stored; the rest quarantine the row.
 */
const LimitsShape = strict({
  /** Refuse the import when a file's valid rows are under this share of its rows (a file without one valid row is always refused). */
  minValidShare: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'),
  /** The largest amount (row amount, line amount, order total, refund) believed; money is exact up to 9 billion. */
  maxAmount: z.number().positive('must be positive').max(9e9, 'must be at most 9000000000 (amounts are summed exactly up to 9 billion)'),
  /** How far in the future a date may be, in days (clocks and time zones differ by up to a day). */
  maxFutureDays: z.number().min(0, 'must be 0 or more'),
  /** The longest text in a mapped column, in characters. */
  maxTextLength: z.number().int('must be a whole number').min(1, 'must be at least 1'),
});
export const DEFAULT_LIMITS: z.output<typeof LimitsShape> = { minValidShare: 0.5, maxAmount: 1_000_000_000, maxFutureDays: 1, maxTextLength: 10_000 };
export type ImportLimits = z.output<typeof LimitsShape>;

const FormatShape = {
  kind: z.enum(['transactions', 'contacts', 'events'], { error: 'must be "transactions" (orders, invoices, line items), "contacts" or "events" (one row per email open, click, visit, form fill...)' }),
  description: z.string().optional(),
  /** Header names that must all be present for a file to be detected as this format. */
  detect: z.array(z.string().trim().min(1)).optional(),
  columns: Columns,
  dateFormats: z.array(DateFormatName).min(1, 'list at least one date format').optional(),
  timeZone: TimeZone.optional(),
  decimal: Decimal.optional(),
  delimiter: Delimiter.optional(),
  encoding: EncodingSchema.optional(),
  /** The file has no header row: its columns' names, in order (the format is then never detected: name it). */
  header: z.array(z.string().trim().min(1, 'a column name cannot be empty')).min(1, 'list the columns in order').optional(),
  /** What one purchase is: the rows of one order number, or (files without order numbers) one customer's rows of one day. */
  onePurchasePer: z.enum(['order', 'customerDay'], { error: 'must be order (rows of one order number) or customerDay (one customer\'s rows of one day)' }).default('order'),
  /** Overrides of the mapping's defaults.limits for this format. */
  limits: LimitsShape.partial().optional(),
  /** Currency of every row when the file has no currency column (or the cell is empty). */
  currency: Currency.optional(),
  /** Order numbers starting with this are cancellations (UCI Online Retail: "C"). */
  cancelledOrderPrefix: z.string().min(1).optional(),
  /** Order status column values → purchase status (case-insensitive). */
  status: strict({ values: ValueTable(Status).default({}), default: Status.default('won') }).optional(),
  /** Consent column values → consent (case-insensitive), on top of defaults.consent. */
  consent: ValueTable(Consent).optional(),
  /** Event type values → canonical event kind (events formats; case-insensitive), on top of DEFAULT_EVENT_TYPES. */
  eventTypes: z.record(z.string(), EventKindOrIgnore).transform((values) => {
    const keyed: Record<string, EventKind | 'ignore'> = {};
    for (const [k, v] of Object.entries(values)) keyed[eventTypeKey(k)] = v;
    return keyed;
  }).optional(),
  /** Contact attributes (contacts formats): camelCase name → column (or { column, type: number }). */
  attributes: z.record(z.string().regex(/^[a-z][a-zA-Z0-9_]*$/, 'attribute names are camelCase, e.g. totalSpent'), Attribute).optional(),
  /** Prepended to order numbers to tell apart two sources whose numbers overlap. */
  idPrefix: z.string().default(''),
};

export const CsvFormatSchema = strict(FormatShape).superRefine((format, ctx) => {
  const c = format.columns;
  const has = (k: ColumnKey) => c[k] !== undefined;
  const wrongKind: readonly ColumnKey[] = format.kind === 'contacts' ? [...TRANSACTION_ONLY_COLUMNS, ...EVENTS_ONLY_COLUMNS]
    : format.kind === 'transactions' ? [...CONTACTS_ONLY_COLUMNS, ...EVENTS_ONLY_COLUMNS]
    // An events file names the person and nothing else about them: it never sets (or blanks) a name.
    : ALL_COLUMNS.filter((k) => !(EVENTS_ONLY_COLUMNS as readonly string[]).includes(k) && k !== 'customerId' && k !== 'email');
  for (const k of wrongKind) {
    if (has(k)) {
      ctx.addIssue({
        code: 'custom', path: ['columns', k],
        message: format.kind === 'events'
          ? 'is not used by an events format (it reads only customerId and/or email, eventType and occurredAt, and never changes a name); remove it (or set kind)'
          : `is not used by a ${format.kind} format; remove it (or set kind)`,
      });
    }
  }
  if (!has('customerId') && !has('email')) {
    ctx.addIssue({ code: 'custom', path: ['columns'], message: 'needs columns.customerId or columns.email (the column that identifies the customer)' });
  }
  if (format.header) {
    const names = new Set(format.header.map(headerKey));
    for (const [key, ref] of Object.entries(c)) {
      for (const name of ref === undefined ? [] : Array.isArray(ref) ? ref : [ref]) {
        if (!names.has(headerKey(name))) ctx.addIssue({ code: 'custom', path: ['columns', key], message: `"${name}" is not one of the names in header: (${format.header.join(', ')})` });
      }
    }
  }
  if (format.eventTypes && format.kind !== 'events') ctx.addIssue({ code: 'custom', path: ['eventTypes'], message: 'only applies to events formats; remove it' });
  if (format.kind === 'events') {
    if (!has('eventType')) ctx.addIssue({ code: 'custom', path: ['columns', 'eventType'], message: 'is required: the column naming the event type (email_open, page_view, ...)' });
    if (!has('occurredAt')) ctx.addIssue({ code: 'custom', path: ['columns', 'occurredAt'], message: 'is required: the column with the time of the event' });
    for (const key of ['attributes', 'status', 'cancelledOrderPrefix'] as const) {
      if (format[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'does not apply to events formats; remove it' });
    }
    if (format.onePurchasePer !== 'order') ctx.addIssue({ code: 'custom', path: ['onePurchasePer'], message: 'only applies to transactions formats; remove it' });
  } else if (format.kind === 'transactions') {
    const perDay = format.onePurchasePer === 'customerDay';
    if (!has('orderId') && !perDay) ctx.addIssue({ code: 'custom', path: ['columns', 'orderId'], message: 'is required: the order or invoice number column (or set onePurchasePer: customerDay for files without one)' });
    if (has('orderId') && perDay) ctx.addIssue({ code: 'custom', path: ['columns', 'orderId'], message: 'conflicts with onePurchasePer: customerDay (purchases are then one customer\'s rows of one day); remove one' });
    if (!has('date')) ctx.addIssue({ code: 'custom', path: ['columns', 'date'], message: 'is required: the order date column' });
    const lines = has('quantity') || has('unitPrice');
    if (lines && !(has('quantity') && has('unitPrice'))) {
      ctx.addIssue({ code: 'custom', path: ['columns', has('quantity') ? 'unitPrice' : 'quantity'], message: 'is required with columns.quantity/unitPrice: a line amount is quantity × unit price' });
    }
    if (!has('amount') && !lines && !has('orderTotal')) {
      ctx.addIssue({ code: 'custom', path: ['columns'], message: 'needs an amount: columns.amount (per row), columns.quantity + columns.unitPrice (per line) or columns.orderTotal (per order)' });
    }
    if (has('amount') && lines) {
      ctx.addIssue({ code: 'custom', path: ['columns', 'amount'], message: 'conflicts with columns.quantity/unitPrice: map either a row amount or quantity × unit price' });
    }
    if (format.attributes) ctx.addIssue({ code: 'custom', path: ['attributes'], message: 'only applies to contacts formats; remove it' });
  } else if (format.status || format.cancelledOrderPrefix) {
    ctx.addIssue({ code: 'custom', path: [format.status ? 'status' : 'cancelledOrderPrefix'], message: 'only applies to transactions formats; remove it' });
  } else if (format.onePurchasePer !== 'order') {
    ctx.addIssue({ code: 'custom', path: ['onePurchasePer'], message: 'only applies to transactions formats; remove it' });
  }
});

const DEFAULT_DATE_FORMATS = ['ISO8601'];

const DefaultsSchema = strict({
  timeZone: TimeZone.default('UTC'),
  currency: Currency.optional(),
  decimal: Decimal.default('auto'),
  dateFormats: z.array(DateFormatName).min(1, 'list at least one date format').default(DEFAULT_DATE_FORMATS),
  consent: ValueTable(Consent).default({}),
  limits: LimitsShape.partial().transform((given) => ({ ...DEFAULT_LIMITS, ...given })).default(DEFAULT_LIMITS),
});

const FormatName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'format names are lower_snake_case');

export const CsvMappingSchema = strict({
  defaults: DefaultsSchema.default(() => DefaultsSchema.parse({})),
  formats: z.record(FormatName, CsvFormatSchema, {
    error: (issue) => (issue.code === 'invalid_key' ? 'format names are lower_snake_case (letters, digits, _), e.g. my_shop_orders' : undefined),
  }),
});

export type CsvMapping = z.output<typeof CsvMappingSchema>;

/**
 * A mapping laid over another (the workspace config's `imports:` block over mappings/csv.yaml):
 * the same keys, all optional. Kept as given (validated only), so that parseCsvMapping can tell
 * which defaults it sets.
 */
export const CsvMappingOverlaySchema = z.unknown().superRefine((value, ctx) => {
  const result = CsvMappingSchema.partial().safeParse(value ?? {});
  if (!result.success) for (const issue of result.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message });
});
export type CsvFormat = z.output<typeof CsvFormatSchema>;

/** The bundled mappings/csv.yaml. */
export const defaultCsvMappingFile = (): string => defaultMappingFile('csv');

/**
 * Validates a parsed mapping object (from mappings/csv.yaml or the workspace's `imports:` block).
 * With `base`, the object's formats are added to (or replace same-named) formats of `base`, and
 * its defaults override base's where given.
 */
export function parseCsvMapping(value: unknown, where: string, base?: CsvMapping): CsvMapping {
  if (!base) return parseOrThrow(CsvMappingSchema, value, where);
  const raw = (value ?? {}) as { defaults?: unknown; formats?: unknown };
  const parsed = parseOrThrow(CsvMappingSchema.partial(), value ?? {}, where);
  const defaultsGiven = raw && typeof raw === 'object' && raw.defaults && typeof raw.defaults === 'object'
    ? Object.keys(raw.defaults as object) : [];
  const defaults = { ...base.defaults } as Record<string, unknown>;
  for (const key of defaultsGiven) defaults[key] = (parsed.defaults as Record<string, unknown> | undefined)?.[key];
  if (defaultsGiven.includes('consent')) defaults.consent = { ...base.defaults.consent, ...parsed.defaults?.consent };
  if (defaultsGiven.includes('limits')) {
    const given = (raw.defaults as { limits?: unknown }).limits;
    const keys = given && typeof given === 'object' ? Object.keys(given) : [];
    const limits: Record<string, unknown> = { ...base.defaults.limits };
    for (const key of keys) limits[key] = (parsed.defaults?.limits as Record<string, unknown> | undefined)?.[key];
    defaults.limits = limits;
  }
  return {
    defaults: defaults as CsvMapping['defaults'],
    formats: { ...base.formats, ...(parsed.formats ?? {}) },
  };
}

/** Reads mappings/csv.yaml (or another file in that layout). Errors name the file and the key. */
export function loadCsvMapping(path: string = defaultCsvMappingFile()): CsvMapping {
  return parseCsvMapping(readYamlFile(path, 'CSV mapping file'), `CSV mapping file ${path}`);
}

/** A format with the mapping's defaults applied and its date formats compiled. */
export interface ResolvedFormat {
  name: string;
  kind: 'transactions' | 'contacts' | 'events';
  format: CsvFormat;
  /** Events formats: event type key (eventTypeKey) → kind; the defaults with the format's eventTypes over them. */
  eventTypes: Record<string, EventKind | 'ignore'>;
  dateFormats: DateFormat[];
  zone: ZoneReader;
  decimal: DecimalSeparator;
  currency: string | null;
  consent: Record<string, EmailConsent>;
  status: { values: Record<string, PurchaseStatus>; default: PurchaseStatus };
  limits: ImportLimits;
}

export function resolveFormat(mapping: CsvMapping, name: string, timeZone?: string): ResolvedFormat {
  const format = mapping.formats[name];
  if (!format) {
    throw new ConfigError(`CSV format "${name}" is not defined; known formats: ${Object.keys(mapping.formats).join(', ') || '(none)'}. Add it under formats: in mappings/csv.yaml.`);
  }
  if (timeZone !== undefined && !isTimeZone(timeZone)) {
    throw new ConfigError(`time zone "${timeZone}" is not an IANA time zone; use e.g. UTC, Europe/London, America/New_York`);
  }
  const d = mapping.defaults;
  return {
    name,
    kind: format.kind,
    format,
    dateFormats: (format.dateFormats ?? d.dateFormats).map((f) => compileDateFormat(f)!),
    zone: zoneReader(timeZone ?? format.timeZone ?? d.timeZone),
    decimal: format.decimal ?? d.decimal,
    currency: format.currency ?? d.currency ?? null,
    consent: { ...d.consent, ...(format.consent ?? {}) },
    status: format.status ?? { values: {}, default: 'won' },
    eventTypes: { ...DEFAULT_EVENT_TYPES, ...(format.eventTypes ?? {}) },
    limits: { ...d.limits, ...(format.limits ?? {}) } as ImportLimits,
  };
}

/** Header names compare case-insensitively, ignoring spaces, underscores, hyphens and dots ("Invoice Date" = "InvoiceDate" = "invoice_date"). */
export function headerKey(name: string): string {
  return name.toLowerCase().replace(/[\s_.-]+/g, '');
}

export interface ResolvedColumns {
  /** Column index per key (only keys found in the header). */
  index: Partial<Record<ColumnKey, number>>;
  /** Header name actually used per key, for messages. */
  label: Partial<Record<ColumnKey, string>>;
  /** Contact attributes; index -1 when the file lacks the column (the attribute is then left out). */
  attributes: Array<{ name: string; index: number; label: string; type: 'string' | 'number' }>;
}

export function resolveColumns(format: CsvFormat, header: readonly string[]): ResolvedColumns {
  const positions = new Map<string, number>();
  header.forEach((h, i) => {
    const k = headerKey(h);
    if (!positions.has(k)) positions.set(k, i);
  });
  const find = (ref: string | string[]): number | undefined => {
    for (const candidate of Array.isArray(ref) ? ref : [ref]) {
      const at = positions.get(headerKey(candidate));
      if (at !== undefined) return at;
    }
    return undefined;
  };
  const index: ResolvedColumns['index'] = {};
  const label: ResolvedColumns['label'] = {};
  for (const key of ALL_COLUMNS) {
    const ref = format.columns[key];
    const at = ref === undefined ? undefined : find(ref);
    if (at !== undefined) {
      index[key] = at;
      label[key] = header[at]!.trim();
    }
  }
  const attributes: ResolvedColumns['attributes'] = [];
  for (const [name, spec] of Object.entries(format.attributes ?? {})) {
    const ref = typeof spec === 'string' || Array.isArray(spec) ? spec : spec.column;
    const type = typeof spec === 'string' || Array.isArray(spec) ? 'string' : spec.type;
    const at = find(ref);
    attributes.push({ name, index: at ?? -1, label: at === undefined ? name : header[at]!.trim(), type });
  }
  return { index, label, attributes };
}

/** Which required columns a header lacks for this format ([] when the file can be read with it). */
export function missingColumns(format: CsvFormat, columns: ResolvedColumns): string[] {
  const has = (k: ColumnKey) => columns.index[k] !== undefined;
  // A column with dozens of alternative names (in several languages) is named by its first few.
  const SHOWN = 6;
  const describe = (k: ColumnKey) => {
    const ref = format.columns[k];
    const names = ref === undefined ? [] : Array.isArray(ref) ? ref : [ref];
    const more = names.length > SHOWN ? ` or ${names.length - SHOWN} more names in the mapping` : '';
    return `columns.${k} (${names.slice(0, SHOWN).map((n) => `"${n}"`).join(' or ')}${more})`;
  };
  const missing: string[] = [];
  if (!has('customerId') && !has('email')) {
    missing.push([format.columns.customerId ? describe('customerId') : null, format.columns.email ? describe('email') : null].filter(Boolean).join(' or '));
  }
  if (format.kind === 'events') {
    if (!has('eventType')) missing.push(describe('eventType'));
    if (!has('occurredAt')) missing.push(describe('occurredAt'));
  }
  if (format.kind === 'transactions') {
    if (!has('orderId') && format.onePurchasePer === 'order') missing.push(describe('orderId'));
    if (!has('date')) missing.push(describe('date'));
    const amountOk = has('amount') || (has('quantity') && has('unitPrice')) || has('orderTotal');
    if (!amountOk) {
      const options = (['amount', 'quantity', 'unitPrice', 'orderTotal'] as const).filter((k) => format.columns[k] !== undefined && !has(k));
      missing.push(options.map(describe).join(' / '));
    }
  }
  return missing;
}
