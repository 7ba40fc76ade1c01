import type {
  AttributeValue, ContactField, ContactRecord, EmailConsent, EngagementEvent, PurchaseRecord, PurchaseStatus, QuarantinedRecord,
} from '../../src/domain/records.js';
import type { QuarantineKind } from '../../src/domain/quarantine-kinds.js';
import { capped, plural } from '../../src/domain/text.js';
import { parseDateWith } from './dates.js';
import { engagementAttributes, newTally, tallyEngagementEvents, tallyEvent, type EventTally } from './events.js';
import { eventTypeKey, type ColumnKey, type EventKind } from './mapping.js';
import { fromMicros, normalizeCustomerId, parseDecimal, toMicros } from './numbers.js';
import { misreadWarning, replacementWarning, type FilePlan } from './sniff.js';

export const PLATFORM = 'csv';

/** What an import did, filled while the source is read (see connectors/csv/README.md). */
export interface CsvImportStats {
  /** Files given. */
  files: number;
  /** Data rows read (header and blank lines excluded). */
  rows: number;
  /** Rows of transaction files read as an order line. */
  lineItems: number;
  /** Purchase records produced (all statuses). */
  purchases: number;
  /** Contact records produced (from contact files and derived from transaction rows). */
  contacts: number;
  /** Purchases with status 'cancelled' (C-invoices, "Cancelled at" set, status cancelled/voided). */
  cancellations: number;
  /** Negative lines (or refunded amounts) that reduced a purchase that is not cancelled. */
  returns: number;
  /** Purchases with status 'refunded' (status column, or net amount ≤ 0). */
  refunded: number;
  /** Rows that name no customer: quarantined (one entry per order, one per contact row). */
  rowsWithoutCustomer: number;
  /** Rows that cannot be read (bad date, number, email; no order number); quarantined. */
  invalidRows: number;
  /** Quarantine entries produced. */
  quarantined: number;
  /** Set when the import read an events file: rows counted as engagement (exact repeats excluded), and rows whose type the format does not map (not counted; see the warning). */
  events?: { counted: number; unknownType: number };
  /** File path → format name (detected or given). */
  formatByFile: Record<string, string>;
  /** File path → how it was read: format, encoding (and how it was decided), delimiter, rows and valid rows. */
  byFile: Record<string, FileReadAs>;
}

export interface FileReadAs {
  format: string;
  /** UTF-8, Windows-1252, ISO-8859-1, UTF-16LE... */
  encoding: string;
  /** bom, declared (encoding: or --encoding), utf-8 (valid UTF-8), sniffed (not UTF-8: see encodingNote). */
  encodingDecided: 'bom' | 'declared' | 'utf-8' | 'sniffed';
  encodingNote?: string;
  delimiter: string;
  rows: number;
  validRows: number;
}

export function emptyStats(): CsvImportStats {
  return {
    files: 0, rows: 0, lineItems: 0, purchases: 0, contacts: 0, cancellations: 0, returns: 0, refunded: 0,
    rowsWithoutCustomer: 0, invalidRows: 0, quarantined: 0, formatByFile: {}, byFile: {},
  };
}

interface InvoiceAgg {
  externalId: string;
  orderId: string;
  plan: FilePlan;
  fileIndex: number;
  cancelled: boolean;
  statusRaw: string | null;
  lineMicros: number;
  hasLineAmount: boolean;
  /** The row amount while every row of the order has the same one (NaN once they differ). */
  sameAmount: number;
  totalMicros: number | null;
  refundedMicros: number | null;
  currency: string | null;
  lines: number;
  returnLines: number;
  invalidRows: number;
  reasons: string[];
  /** The kind of the first reason (src/domain/quarantine-kinds.ts). */
  kind: QuarantineKind;
  invalidSample: string[] | null;
  invalidRow: number;
  customers: string[];
  firstRow: number;
  lastRow: number;
  occurredMs: number;
  updatedMs: number;
  sample: string[];
}

interface ContactAgg {
  externalId: string;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  city: string | null;
  country: string | null;
  consent: EmailConsent | null;
  attributes: Record<string, AttributeValue>;
  /** Fields and attributes the import's files carry for this contact (ContactRecord.carried). */
  carried: Set<ContactField>;
  carriedAttributes: Set<string>;
  createdMs: number;
  updatedMs: number;
  fallbackMs: number;
  file: string;
  format: string;
  row: number;
  rows: number;
}

/** How one file went: its rows, those stored, and examples of why the others were not. */
export interface FileOutcome {
  rows: number;
  /** Rows that went into a stored record (not quarantined, not without a customer). */
  validRows: number;
  /** Up to three reasons rows were not used, for a refusal message. */
  examples: string[];
}

export interface AggregateResult {
  contacts: ContactRecord[];
  purchases: PurchaseRecord[];
  quarantined: { contacts: QuarantinedRecord[]; purchases: QuarantinedRecord[] };
  /** Per stream: each warning goes with the stream it is about, so it is printed once. */
  warnings: { contacts: string[]; purchases: string[] };
  /** The events files' events, dated (the engagement stream). */
  events: EngagementEvent[];
  /** In the order of the files. */
  files: FileOutcome[];
}

/** Column indices of one file, -1 when the format does not map the column or the file lacks it. */
type Ix = Record<ColumnKey, number>;

const shown = (value: string): string => (value.length > 60 ? `${value.slice(0, 57)}...` : value);

/** Trim only when needed: most cells have no surrounding spaces. */
function cellAt(rec: readonly string[], i: number): string {
  if (i < 0) return '';
  const v = rec[i];
  if (v === undefined || v === '') return '';
  return v.charCodeAt(0) > 32 && v.charCodeAt(v.length - 1) > 32 ? v : v.trim();
}

/** Loose on purpose: refuses only what cannot be an address (the platform validates the rest). */
export function isEmail(s: string): boolean {
  const at = s.indexOf('@');
  if (at <= 0 || at !== s.lastIndexOf('@')) return false;
  const dot = s.indexOf('.', at + 2);
  if (dot < 0 || dot === s.length - 1) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 44 || c === 59 || c === 60 || c === 62) return false;
  }
  return true;
}

/** "Jane van Dyke" → first name "Jane", last name "van Dyke". */
function splitName(full: string): [string, string | null] {
  const space = full.indexOf(' ');
  if (space < 0) return [full, null];
  return [full.slice(0, space), full.slice(space + 1).trim() || null];
}

const iso = (ms: number): string => new Date(ms).toISOString();

const future = (label: string, raw: string, row: number, days: number): string =>
  `${label}: "${shown(raw)}" on row ${row} is in the future by more than limits.maxFutureDays (${plural(days, 'day')}): not a plausible date`;

/** The contact fields a contacts file's header maps (each carried, empty cells included). */
function headerFields(ix: Ix): ContactField[] {
  const fields: ContactField[] = [];
  if (ix.email >= 0) fields.push('email');
  if (ix.firstName >= 0 || ix.name >= 0) fields.push('firstName');
  if (ix.lastName >= 0 || ix.name >= 0) fields.push('lastName');
  if (ix.phone >= 0) fields.push('phone');
  if (ix.city >= 0) fields.push('city');
  if (ix.country >= 0) fields.push('country');
  if (ix.consent >= 0) fields.push('emailConsent');
  if (ix.createdAt >= 0) fields.push('createdAt');
  return fields;
}

/**
 * Aggregates rows of transaction files into one purchase per order (in memory, a Map keyed by
 * external id) and rows of every file into contacts. Rows are fed in file order by the source.
 */
export class CsvAggregator {
  private readonly invoices = new Map<string, InvoiceAgg>();
  private readonly contactAggs = new Map<string, ContactAgg>();
  private readonly rowQuarantine: { contacts: QuarantinedRecord[]; purchases: QuarantinedRecord[] } = { contacts: [], purchases: [] };
  private readonly warnings: { contacts: string[]; purchases: string[] } = { contacts: [], purchases: [] };
  private readonly fileStates: Array<FileOutcome & { unusable: number }> = [];
  private replaced = { count: 0, rows: 0, examples: [] as string[], crossFormat: [] as string[] };
  private ignoredEmails = { count: 0, example: '' };
  /** Consent cells whose value maps to no consent: left out (the stored consent stays), counted for a warning. */
  private unknownConsent = { count: 0, columns: [] as string[], example: '' };
  /** Orders whose status value the format does not map: read as its status.default, counted for a warning. */
  private unknownStatus = { count: 0, columns: [] as string[], example: '', defaults: [] as string[] };
  private repeatedAmounts = { count: 0, example: '' };
  /** Events per person (events files), and the kinds any events file of the import holds. */
  private readonly eventTallies = new Map<string, EventTally>();
  private readonly eventKindsSeen = new Set<EventKind>();
  /** Event rows whose type the format does not map: not counted, reported once. */
  private unknownEvents = { count: 0, types: new Map<string, number>(), example: '' };
  private repeatedEvents = { count: 0, example: '' };

  /** `now` is the clock dates in the future are measured against (limits.maxFutureDays). */
  constructor(private readonly stats: CsvImportStats, private readonly now: () => number = Date.now) {}

  /** Returns the row handler for one file; `row` is the spreadsheet row number (header = 1). */
  beginFile(plan: FilePlan, fileIndex: number): (rec: string[], row: number) => void {
    const ix = {} as Ix;
    const all: ColumnKey[] = [
      'orderId', 'date', 'amount', 'quantity', 'unitPrice', 'orderTotal', 'refundedAmount', 'currency', 'status', 'cancelledAt',
      'customerId', 'email', 'firstName', 'lastName', 'name', 'phone', 'city', 'country', 'consent', 'createdAt', 'updatedAt',
      'eventType', 'occurredAt',
    ];
    for (const key of all) ix[key] = plan.columns.index[key] ?? -1;
    this.fileOf(fileIndex);
    for (const warning of [plan.unusedColumns, replacementWarning(plan), misreadWarning(plan)]) {
      if (warning) this.warnings[plan.format.kind === 'transactions' ? 'purchases' : 'contacts'].push(warning);
    }
    if (plan.format.kind === 'events') return this.eventRows(plan, fileIndex, ix);
    return plan.format.kind === 'transactions' ? this.transactionRows(plan, fileIndex, ix) : this.contactRows(plan, fileIndex, ix);
  }

  private label(plan: FilePlan, key: ColumnKey): string {
    return plan.columns.label[key] ?? key;
  }

  /** A row as quarantine keeps it: cells longer than the format's text limit are cut (a broken file can hold megabytes in one). */
  private rowObject(plan: FilePlan, rec: readonly string[]): Record<string, string> {
    const o: Record<string, string> = {};
    const max = plan.format.limits.maxTextLength;
    plan.header.forEach((h, i) => { o[h || `column${i + 1}`] = capped(rec[i] ?? '', max); });
    return o;
  }

  private fileOf(fileIndex: number): FileOutcome & { unusable: number } {
    let file = this.fileStates[fileIndex];
    if (!file) {
      file = { rows: 0, validRows: 0, unusable: 0, examples: [] };
      this.fileStates[fileIndex] = file;
    }
    return file;
  }

  /** Counts rows of a file that are not used, with an example of why. */
  private unusable(fileIndex: number, rows: number, reason: string): void {
    const file = this.fileOf(fileIndex);
    file.unusable += rows;
    if (file.examples.length < 3) file.examples.push(reason);
  }

  /** The first mapped cell of a row longer than the limit, as a reason; undefined when none is. */
  private tooLong(plan: FilePlan, rec: readonly string[], row: number, columns: ReadonlyArray<{ index: number; label: string }>): string | undefined {
    const max = plan.format.limits.maxTextLength;
    for (const c of columns) {
      const v = rec[c.index];
      if (v !== undefined && v.length > max) {
        return `${c.label}: ${plural(v.length, 'character')} on row ${row}, more than limits.maxTextLength (${max.toLocaleString('en-US')}): not a plausible value`;
      }
    }
    return undefined;
  }

  private contact(key: string, plan: FilePlan, row: number): ContactAgg {
    let c = this.contactAggs.get(key);
    if (!c) {
      c = {
        externalId: key, email: null, phone: null, firstName: null, lastName: null, city: null, country: null, consent: null, attributes: {},
        carried: new Set(), carriedAttributes: new Set(),
        createdMs: Infinity, updatedMs: -Infinity, fallbackMs: plan.mtimeMs, file: plan.name, format: plan.format.name, row, rows: 0,
      };
      this.contactAggs.set(key, c);
    } else if (plan.mtimeMs > c.fallbackMs) c.fallbackMs = plan.mtimeMs;
    c.rows++;
    return c;
  }

  /**
   * Contact fields of one row: values of a row at least as recent as what we have win. A field
   * with a value is carried (ContactRecord.carried); so is, in a contacts file, every field its
   * header has (a contacts export states the person: an empty cell clears the stored value),
   * while an order row's empty cell says nothing about the person.
   */
  private applyContactFields(c: ContactAgg, rec: readonly string[], ix: Ix, rowMs: number, plan: FilePlan, email: string, row: number): void {
    const newer = !(rowMs < c.updatedMs);
    if (email !== '') c.carried.add('email');
    if (email !== '' && (c.email === null || newer)) c.email = email;
    let first = cellAt(rec, ix.firstName);
    let last = cellAt(rec, ix.lastName);
    if (first === '' && last === '' && ix.name >= 0) {
      const full = cellAt(rec, ix.name);
      if (full !== '') {
        const [given, family] = splitName(full);
        first = given;
        last = family ?? '';
      }
    }
    if (first !== '') c.carried.add('firstName');
    if (last !== '') c.carried.add('lastName');
    if (first !== '' && (c.firstName === null || newer)) c.firstName = first;
    if (last !== '' && (c.lastName === null || newer)) c.lastName = last;
    const phone = cellAt(rec, ix.phone);
    if (phone !== '') c.carried.add('phone');
    if (phone !== '' && (c.phone === null || newer)) c.phone = phone;
    const city = cellAt(rec, ix.city);
    if (city !== '') c.carried.add('city');
    if (city !== '' && (c.city === null || newer)) c.city = city;
    const country = cellAt(rec, ix.country);
    if (country !== '') c.carried.add('country');
    if (country !== '' && (c.country === null || newer)) c.country = country;
    // A value that is not a consent (an order status in a column named Status) says nothing about
    // consent: the stored one stays, and the warning counts it.
    let consentUnknown = false;
    if (ix.consent >= 0) {
      const raw = cellAt(rec, ix.consent);
      const consent = raw === '' ? undefined : plan.format.consent[raw.toLowerCase()];
      if (consent !== undefined) c.carried.add('emailConsent');
      if (consent !== undefined && (c.consent === null || newer)) c.consent = consent;
      if (raw !== '' && consent === undefined) {
        consentUnknown = true;
        const u = this.unknownConsent;
        u.count++;
        const column = this.label(plan, 'consent');
        if (!u.columns.includes(column)) u.columns.push(column);
        if (u.example === '') u.example = `"${shown(raw)}" on row ${row} of ${plan.name}`;
      }
    }
    if (plan.format.kind === 'contacts') {
      for (const field of headerFields(ix)) if (!(consentUnknown && field === 'emailConsent')) c.carried.add(field);
    }
    if (rowMs === rowMs && rowMs > c.updatedMs) c.updatedMs = rowMs;
  }

  private transactionRows(plan: FilePlan, fileIndex: number, ix: Ix): (rec: string[], row: number) => void {
    const f = plan.format;
    const decimal = f.decimal;
    const autoFallback = plan.delimiter === ';' ? ',' : '.';
    const prefix = f.format.idPrefix;
    const cancelPrefix = f.format.cancelledOrderPrefix;
    const dateFormats = f.dateFormats;
    const zone = f.zone;
    const expected = `expected ${dateFormats.map((d) => d.name).join(' or ')}`;
    const lineAmounts = ix.quantity >= 0 && ix.unitPrice >= 0;
    const perDay = f.format.onePurchasePer === 'customerDay';
    const { maxAmount, maxFutureDays } = f.limits;
    const latestMs = this.now() + maxFutureDays * 86_400_000;
    const L = (k: ColumnKey) => this.label(plan, k);
    const mapped = (Object.keys(ix) as ColumnKey[]).filter((k) => ix[k] >= 0).map((k) => ({ index: ix[k], label: L(k) }));
    const keyColumns = mapped.filter((c) => (perDay ? [ix.customerId, ix.email, ix.date] : [ix.orderId]).includes(c.index));
    const stats = this.stats;
    const file = this.fileOf(fileIndex);
    let lastInvoice: InvoiceAgg | undefined;
    let lastDateRaw = '';
    let lastDateMs = NaN;
    let lastCustomerRaw = '';
    let lastCustomerId = '';
    let lastContact: ContactAgg | undefined;

    const invalid = (inv: InvoiceAgg, rec: readonly string[], row: number, reason: string, kind: QuarantineKind) => {
      if (inv.reasons.length === 0) inv.kind = kind;
      if (inv.invalidRow !== row) {
        inv.invalidRows++;
        inv.invalidRow = row;
      }
      if (inv.reasons.length < 3) inv.reasons.push(reason);
      else if (inv.reasons.length === 3) inv.reasons.push('…');
      inv.invalidSample ??= rec.slice();
    };
    /** A row that belongs to no order (no order number, or no customer/date to group by): quarantined on its own. */
    const quarantineRow = (rec: readonly string[], row: number, reason: string, kind: QuarantineKind) => {
      stats.invalidRows++;
      this.unusable(fileIndex, 1, reason);
      const customer = customerOf(cellAt(rec, ix.customerId));
      this.rowQuarantine.purchases.push({
        platform: PLATFORM, stream: 'purchases', externalId: `${plan.name}#row${row}`, reason, kind,
        ...(customer !== '' ? { contactExternalIds: [customer] } : {}),
        raw: { file: plan.name, format: f.name, row, values: this.rowObject(plan, rec) },
      });
    };
    const num = (s: string) => parseDecimal(s, decimal, autoFallback);
    const notNumber = (label: string, raw: string, row: number): [string, QuarantineKind] =>
      raw === '' ? [`${label}: empty on row ${row}`, 'missing-value'] : [`${label}: "${shown(raw)}" on row ${row} is not a number`, 'invalid-number'];
    const implausible = (label: string, raw: string, row: number) =>
      `${label}: ${shown(raw)} on row ${row} is above limits.maxAmount (${maxAmount.toLocaleString('en-US')}): not a plausible amount`;
    const dateOf = (dateRaw: string): number => {
      if (dateRaw === lastDateRaw) return lastDateMs;
      lastDateRaw = dateRaw;
      lastDateMs = parseDateWith(dateRaw, dateFormats, zone);
      return lastDateMs;
    };
    const customerOf = (idRaw: string): string => {
      if (idRaw !== lastCustomerRaw) {
        lastCustomerRaw = idRaw;
        lastCustomerId = idRaw === '' ? '' : normalizeCustomerId(idRaw);
      }
      return lastCustomerId;
    };

    return (rec, row) => {
      stats.rows++;
      file.rows++;
      // A cell of megabytes: in the column that names the order, the row is quarantined on its own;
      // elsewhere its order is (below), as for any invalid value.
      const long = this.tooLong(plan, rec, row, mapped);
      if (long !== undefined && this.tooLong(plan, rec, row, keyColumns) !== undefined) {
        quarantineRow(rec, row, long, 'implausible');
        return;
      }
      let orderRaw: string;
      if (perDay) {
        // One purchase per customer and day: the id is the customer and the day (UTC date).
        const who = customerOf(cellAt(rec, ix.customerId)) || cellAt(rec, ix.email).toLowerCase();
        const dateRaw = cellAt(rec, ix.date);
        const ms = dateRaw === '' ? NaN : dateOf(dateRaw);
        if (who === '' || ms !== ms) {
          if (who === '') quarantineRow(rec, row, `no customer (${[ix.customerId >= 0 ? L('customerId') : null, ix.email >= 0 ? L('email') : null].filter(Boolean).join(' and ')} empty on row ${row} of ${plan.name})`, 'no-contact');
          else if (dateRaw === '') quarantineRow(rec, row, `${L('date')}: empty on row ${row} of ${plan.name}`, 'missing-value');
          else quarantineRow(rec, row, `${L('date')}: "${shown(dateRaw)}" on row ${row} of ${plan.name} is not a date (${expected})`, 'invalid-date');
          return;
        }
        orderRaw = `${who}/${iso(ms).slice(0, 10)}`;
      } else {
        orderRaw = cellAt(rec, ix.orderId);
        if (orderRaw === '') {
          quarantineRow(rec, row, `${L('orderId')}: empty on row ${row} of ${plan.name}; every row needs an order number`, 'missing-value');
          return;
        }
      }
      stats.lineItems++;
      const externalId = prefix === '' ? orderRaw : prefix + orderRaw;
      let inv = lastInvoice;
      if (inv === undefined || inv.externalId !== externalId || inv.fileIndex !== fileIndex) {
        inv = this.invoices.get(externalId);
        if (inv === undefined || inv.fileIndex !== fileIndex) {
          if (inv !== undefined) this.noteReplaced(inv, plan);
          inv = {
            externalId, orderId: orderRaw, plan, fileIndex,
            cancelled: cancelPrefix !== undefined && orderRaw.startsWith(cancelPrefix),
            statusRaw: null, lineMicros: 0, hasLineAmount: false, sameAmount: 0, totalMicros: null, refundedMicros: null, currency: null,
            lines: 0, returnLines: 0, invalidRows: 0, reasons: [], kind: 'other', invalidSample: null, invalidRow: 0, customers: [],
            firstRow: row, lastRow: row, occurredMs: Infinity, updatedMs: -Infinity, sample: rec,
          };
          this.invoices.set(externalId, inv);
        }
        lastInvoice = inv;
      }
      inv.lines++;
      inv.lastRow = row;
      if (long !== undefined) {
        invalid(inv, rec, row, long, 'implausible');
        return;
      }

      // Date (one-entry cache: the lines of an order share it).
      let rowMs = NaN;
      const dateRaw = cellAt(rec, ix.date);
      if (dateRaw !== '') {
        rowMs = dateOf(dateRaw);
        if (rowMs !== rowMs) invalid(inv, rec, row, `${L('date')}: "${shown(dateRaw)}" on row ${row} is not a date (${expected})`, 'invalid-date');
        else if (rowMs > latestMs) invalid(inv, rec, row, future(L('date'), dateRaw, row, maxFutureDays), 'implausible');
        else {
          if (rowMs < inv.occurredMs) inv.occurredMs = rowMs;
          if (rowMs > inv.updatedMs) inv.updatedMs = rowMs;
        }
      }

      // Amount: quantity × unit price per line, or an amount per row; an order total on any row.
      if (lineAmounts) {
        const qRaw = cellAt(rec, ix.quantity);
        const pRaw = cellAt(rec, ix.unitPrice);
        const q = qRaw === '' ? NaN : num(qRaw);
        const p = pRaw === '' ? NaN : num(pRaw);
        if (q !== q) invalid(inv, rec, row, ...notNumber(L('quantity'), qRaw, row));
        if (p !== p) invalid(inv, rec, row, ...notNumber(L('unitPrice'), pRaw, row));
        if (q === q && p === p && Math.abs(q * p) > maxAmount) invalid(inv, rec, row, implausible(`${L('quantity')} × ${L('unitPrice')}`, `${qRaw} × ${pRaw}`, row), 'implausible');
        else if (q === q && p === p) {
          inv.lineMicros += toMicros(q * p);
          inv.hasLineAmount = true;
          if (q < 0) inv.returnLines++;
        }
      } else if (ix.amount >= 0) {
        const aRaw = cellAt(rec, ix.amount);
        const a = aRaw === '' ? NaN : num(aRaw);
        if (a !== a) invalid(inv, rec, row, ...notNumber(L('amount'), aRaw, row));
        else if (Math.abs(a) > maxAmount) invalid(inv, rec, row, implausible(L('amount'), aRaw, row), 'implausible');
        else {
          const micros = toMicros(a);
          if (!inv.hasLineAmount) inv.sameAmount = micros;
          else if (inv.sameAmount !== micros) inv.sameAmount = NaN;
          inv.lineMicros += micros;
          inv.hasLineAmount = true;
          if (a < 0) inv.returnLines++;
        }
      }
      if (ix.orderTotal >= 0) {
        const tRaw = cellAt(rec, ix.orderTotal);
        if (tRaw !== '') {
          const t = num(tRaw);
          if (t !== t) invalid(inv, rec, row, ...notNumber(L('orderTotal'), tRaw, row));
          else if (Math.abs(t) > maxAmount) invalid(inv, rec, row, implausible(L('orderTotal'), tRaw, row), 'implausible');
          else if (inv.totalMicros === null) inv.totalMicros = toMicros(t);
        }
      }
      if (ix.refundedAmount >= 0) {
        const rRaw = cellAt(rec, ix.refundedAmount);
        if (rRaw !== '') {
          const r = num(rRaw);
          if (r !== r) invalid(inv, rec, row, ...notNumber(L('refundedAmount'), rRaw, row));
          else if (Math.abs(r) > maxAmount) invalid(inv, rec, row, implausible(L('refundedAmount'), rRaw, row), 'implausible');
          else if (inv.refundedMicros === null) inv.refundedMicros = toMicros(Math.abs(r));
        }
      }
      if (ix.currency >= 0 && inv.currency === null) {
        const cur = cellAt(rec, ix.currency);
        if (cur !== '') {
          const upper = cur.toUpperCase();
          if (upper.length === 3 && /^[A-Z]{3}$/.test(upper)) inv.currency = upper;
          else invalid(inv, rec, row, `${L('currency')}: "${shown(cur)}" on row ${row} is not a 3-letter currency code`, 'other');
        }
      }
      if (ix.status >= 0 && inv.statusRaw === null) {
        const s = cellAt(rec, ix.status);
        if (s !== '') {
          inv.statusRaw = s.toLowerCase();
          if (f.status.values[inv.statusRaw] === 'cancelled') inv.cancelled = true;
        }
      }
      if (ix.cancelledAt >= 0) {
        const cRaw = cellAt(rec, ix.cancelledAt);
        if (cRaw !== '') {
          const cMs = parseDateWith(cRaw, dateFormats, zone);
          if (cMs !== cMs) invalid(inv, rec, row, `${L('cancelledAt')}: "${shown(cRaw)}" on row ${row} is not a date (${expected})`, 'invalid-date');
          else if (cMs > latestMs) invalid(inv, rec, row, future(L('cancelledAt'), cRaw, row, maxFutureDays), 'implausible');
          else {
            inv.cancelled = true;
            if (cMs > inv.updatedMs) inv.updatedMs = cMs;
          }
        }
      }

      // Customer: the id, else the normalized email.
      const customerId = customerOf(cellAt(rec, ix.customerId));
      const emailRaw = cellAt(rec, ix.email);
      let email = emailRaw === '' ? '' : emailRaw.toLowerCase();
      if (email !== '' && !isEmail(email)) {
        if (customerId === '') {
          invalid(inv, rec, row, `${L('email')}: "${shown(emailRaw)}" on row ${row} is not an email address`, 'invalid-email');
          return;
        }
        this.ignoredEmails.count++;
        if (this.ignoredEmails.example === '') this.ignoredEmails.example = `${L('email')}: "${shown(emailRaw)}" on row ${row} of ${plan.name}`;
        email = '';
      }
      const key = customerId !== '' ? customerId : email;
      if (key === '') return;
      if (inv.customers.length === 0 || (inv.customers[inv.customers.length - 1] !== key && !inv.customers.includes(key))) inv.customers.push(key);
      const c = lastContact !== undefined && lastContact.externalId === key ? lastContact : this.contact(key, plan, row);
      if (c === lastContact) c.rows++;
      lastContact = c;
      this.applyContactFields(c, rec, ix, rowMs, plan, email, row);
    };
  }

  /** A row of a contacts or events file that cannot be used, kept in quarantine with its values. */
  private quarantineContactRow(plan: FilePlan, fileIndex: number, rec: readonly string[], row: number, reason: string, kind: QuarantineKind): void {
    this.unusable(fileIndex, 1, reason);
    this.rowQuarantine.contacts.push({
      platform: PLATFORM, stream: 'contacts', externalId: `${plan.name}#row${row}`, reason, kind,
      raw: { file: plan.name, format: plan.format.name, row, values: this.rowObject(plan, rec) },
    });
  }

  private contactRows(plan: FilePlan, fileIndex: number, ix: Ix): (rec: string[], row: number) => void {
    const f = plan.format;
    const autoFallback = plan.delimiter === ';' ? ',' : '.';
    const attributeColumns = plan.columns.attributes.filter((a) => a.index >= 0);
    const expected = `expected ${f.dateFormats.map((d) => d.name).join(' or ')}`;
    const L = (k: ColumnKey) => this.label(plan, k);
    const mapped = [
      ...(Object.keys(ix) as ColumnKey[]).filter((k) => ix[k] >= 0).map((k) => ({ index: ix[k], label: L(k) })),
      ...attributeColumns.map((a) => ({ index: a.index, label: a.label })),
    ];
    const latestMs = this.now() + f.limits.maxFutureDays * 86_400_000;
    const stats = this.stats;
    const file = this.fileOf(fileIndex);
    const quarantineRow = (rec: readonly string[], row: number, reason: string, kind: QuarantineKind) => this.quarantineContactRow(plan, fileIndex, rec, row, reason, kind);
    return (rec, row) => {
      stats.rows++;
      file.rows++;
      const long = this.tooLong(plan, rec, row, mapped);
      if (long !== undefined) {
        stats.invalidRows++;
        quarantineRow(rec, row, `${long} (${plan.name})`, 'implausible');
        return;
      }
      const idRaw = cellAt(rec, ix.customerId);
      const customerId = idRaw === '' ? '' : normalizeCustomerId(idRaw);
      const emailRaw = cellAt(rec, ix.email);
      const email = emailRaw.toLowerCase();
      if (email !== '' && !isEmail(email)) {
        stats.invalidRows++;
        quarantineRow(rec, row, `${L('email')}: "${shown(emailRaw)}" on row ${row} of ${plan.name} is not an email address`, 'invalid-email');
        return;
      }
      let createdMs = NaN;
      let updatedMs = NaN;
      for (const [key, set] of [['createdAt', (ms: number) => { createdMs = ms; }], ['updatedAt', (ms: number) => { updatedMs = ms; }]] as const) {
        const raw = cellAt(rec, ix[key]);
        if (raw === '') continue;
        const ms = parseDateWith(raw, f.dateFormats, f.zone);
        if (ms !== ms || ms > latestMs) {
          stats.invalidRows++;
          if (ms !== ms) quarantineRow(rec, row, `${L(key)}: "${shown(raw)}" on row ${row} of ${plan.name} is not a date (${expected})`, 'invalid-date');
          else quarantineRow(rec, row, `${future(L(key), raw, row, f.limits.maxFutureDays)} (${plan.name})`, 'implausible');
          return;
        }
        set(ms);
      }
      const attributes: Array<[string, AttributeValue]> = [];
      for (const a of attributeColumns) {
        const raw = cellAt(rec, a.index);
        if (raw === '' || a.type === 'string') {
          attributes.push([a.name, raw === '' ? null : raw]);
          continue;
        }
        const value = parseDecimal(raw, f.decimal, autoFallback);
        if (value !== value) {
          stats.invalidRows++;
          quarantineRow(rec, row, `${a.label}: "${shown(raw)}" on row ${row} of ${plan.name} is not a number`, 'invalid-number');
          return;
        }
        attributes.push([a.name, value]);
      }
      const key = customerId !== '' ? customerId : email;
      if (key === '') {
        stats.rowsWithoutCustomer++;
        const cols = [ix.customerId >= 0 ? L('customerId') : null, ix.email >= 0 ? L('email') : null].filter(Boolean).join(' and ');
        // A contact row needs an id or an email to be anyone: a value missing from the row itself.
        quarantineRow(rec, row, `no customer (${cols} empty on row ${row} of ${plan.name})`, 'missing-value');
        return;
      }
      const c = this.contact(key, plan, row);
      const rowMs = updatedMs === updatedMs ? updatedMs : createdMs;
      if (createdMs === createdMs && createdMs < c.createdMs) c.createdMs = createdMs;
      const newer = !(rowMs < c.updatedMs);
      for (const a of attributeColumns) c.carriedAttributes.add(a.name);
      for (const [name, value] of attributes) {
        if (value !== null ? c.attributes[name] === undefined || c.attributes[name] === null || newer : !(name in c.attributes)) c.attributes[name] = value;
      }
      this.applyContactFields(c, rec, ix, rowMs, plan, email, row);
    };
  }

  /**
   * Rows of an events file: who (customerId or email), what (eventType, mapped to a kind by the
   * format's eventTypes) and when (occurredAt). Each person gets a contact record carrying only the
   * engagement attributes (finish), never their email or names unless the row gives an email.
   */
  private eventRows(plan: FilePlan, fileIndex: number, ix: Ix): (rec: string[], row: number) => void {
    const f = plan.format;
    const expected = `expected ${f.dateFormats.map((d) => d.name).join(' or ')}`;
    const L = (k: ColumnKey) => this.label(plan, k);
    const mapped = (Object.keys(ix) as ColumnKey[]).filter((k) => ix[k] >= 0).map((k) => ({ index: ix[k], label: L(k) }));
    const latestMs = this.now() + f.limits.maxFutureDays * 86_400_000;
    const stats = this.stats;
    const events = (stats.events ??= { counted: 0, unknownType: 0 });
    const file = this.fileOf(fileIndex);
    const quarantineRow = (rec: readonly string[], row: number, reason: string, kind: QuarantineKind) => {
      stats.invalidRows++;
      this.quarantineContactRow(plan, fileIndex, rec, row, reason, kind);
    };
    return (rec, row) => {
      stats.rows++;
      file.rows++;
      const long = this.tooLong(plan, rec, row, mapped);
      if (long !== undefined) return quarantineRow(rec, row, `${long} (${plan.name})`, 'implausible');
      const idRaw = cellAt(rec, ix.customerId);
      const customerId = idRaw === '' ? '' : normalizeCustomerId(idRaw);
      const emailRaw = cellAt(rec, ix.email);
      const email = emailRaw.toLowerCase();
      if (email !== '' && !isEmail(email)) {
        return quarantineRow(rec, row, `${L('email')}: "${shown(emailRaw)}" on row ${row} of ${plan.name} is not an email address`, 'invalid-email');
      }
      const key = customerId !== '' ? customerId : email;
      if (key === '') {
        stats.rowsWithoutCustomer++;
        const cols = [ix.customerId >= 0 ? L('customerId') : null, ix.email >= 0 ? L('email') : null].filter(Boolean).join(' and ');
        return quarantineRow(rec, row, `no customer (${cols} empty on row ${row} of ${plan.name})`, 'no-contact');
      }
      const typeRaw = cellAt(rec, ix.eventType);
      if (typeRaw === '') return quarantineRow(rec, row, `${L('eventType')}: empty on row ${row} of ${plan.name}`, 'missing-value');
      const dateRaw = cellAt(rec, ix.occurredAt);
      if (dateRaw === '') return quarantineRow(rec, row, `${L('occurredAt')}: empty on row ${row} of ${plan.name}`, 'missing-value');
      const ms = parseDateWith(dateRaw, f.dateFormats, f.zone);
      if (ms !== ms) return quarantineRow(rec, row, `${L('occurredAt')}: "${shown(dateRaw)}" on row ${row} of ${plan.name} is not a date (${expected})`, 'invalid-date');
      if (ms > latestMs) return quarantineRow(rec, row, `${future(L('occurredAt'), dateRaw, row, f.limits.maxFutureDays)} (${plan.name})`, 'implausible');
      const kind = f.eventTypes[eventTypeKey(typeRaw)];
      if (kind === undefined) {
        // A type segsync does not count (yet): the row is read, not counted, and reported once.
        const u = this.unknownEvents;
        u.count++;
        events.unknownType++;
        const shownType = shown(typeRaw);
        u.types.set(shownType, (u.types.get(shownType) ?? 0) + 1);
        if (u.example === '') u.example = `"${shownType}" on row ${row} of ${plan.name}`;
        return;
      }
      if (kind === 'ignore') return;
      let tally = this.eventTallies.get(key);
      if (!tally) {
        tally = newTally();
        this.eventTallies.set(key, tally);
      }
      this.eventKindsSeen.add(kind);
      if (tallyEvent(tally, kind, ms)) events.counted++;
      else {
        this.repeatedEvents.count++;
        if (this.repeatedEvents.example === '') this.repeatedEvents.example = `${typeRaw} of ${key} at ${dateRaw} (row ${row} of ${plan.name})`;
      }
      const c = this.contact(key, plan, row);
      if (email !== '') {
        c.carried.add('email');
        if (c.email === null) c.email = email;
      }
    };
  }

  private noteReplaced(old: InvoiceAgg, plan: FilePlan): void {
    this.replaced.count++;
    this.replaced.rows += old.lines;
    const example = `${old.externalId} (${old.plan.name} → ${plan.name})`;
    if (this.replaced.examples.length < 3) this.replaced.examples.push(example);
    if (old.plan.format.name !== plan.format.name && this.replaced.crossFormat.length < 3) {
      this.replaced.crossFormat.push(`${old.externalId} (${old.plan.format.name} in ${old.plan.name}, ${plan.format.name} in ${plan.name})`);
    }
  }

  /** Turns the aggregates into records and fills the purchase-level counters of the stats. */
  finish(): AggregateResult {
    const stats = this.stats;
    const purchases: PurchaseRecord[] = [];
    const quarantinedPurchases: QuarantinedRecord[] = [...this.rowQuarantine.purchases];
    for (const inv of this.invoices.values()) {
      const f = inv.plan.format;
      const rows = inv.firstRow === inv.lastRow ? `row ${inv.firstRow}` : `rows ${inv.firstRow}–${inv.lastRow}`;
      const amountMicros = inv.totalMicros ?? (inv.hasLineAmount ? inv.lineMicros : null);
      if (inv.invalidRows === 0 && inv.occurredMs === Infinity) {
        inv.invalidRows = inv.lines;
        inv.kind = 'missing-value';
        inv.reasons.push(`${this.label(inv.plan, 'date')}: empty on every row of order ${inv.orderId}`);
      }
      if (inv.invalidRows === 0 && amountMicros === null) {
        inv.invalidRows = inv.lines;
        inv.kind = 'missing-value';
        inv.reasons.push(`${this.label(inv.plan, f.format.columns.orderTotal ? 'orderTotal' : 'amount')}: empty on every row of order ${inv.orderId}`);
      }
      const maxMicros = toMicros(f.limits.maxAmount);
      if (inv.invalidRows === 0 && amountMicros !== null && Math.abs(amountMicros) > maxMicros) {
        inv.invalidRows = inv.lines;
        inv.kind = 'implausible';
        inv.reasons.push(`the amounts of order ${inv.orderId} add up to ${fromMicros(amountMicros).toLocaleString('en-US')}, above limits.maxAmount (${f.limits.maxAmount.toLocaleString('en-US')}): not a plausible amount`);
      }
      if (inv.invalidRows > 0) {
        stats.invalidRows += inv.invalidRows;
        this.unusable(inv.fileIndex, inv.lines, inv.reasons[0]!);
        quarantinedPurchases.push({
          platform: PLATFORM, stream: 'purchases', externalId: inv.externalId, kind: inv.kind,
          ...(inv.customers.length > 0 ? { contactExternalIds: [...inv.customers] } : {}),
          reason: `${inv.reasons.join('; ')} — order ${inv.orderId} (${rows} of ${inv.plan.name}) is not imported until this is fixed`,
          raw: {
            file: inv.plan.name, format: f.name, orderId: inv.orderId, rows: [inv.firstRow, inv.lastRow], lines: inv.lines,
            values: this.rowObject(inv.plan, inv.invalidSample ?? inv.sample),
          },
        });
        continue;
      }
      if (inv.customers.length === 0) {
        stats.rowsWithoutCustomer += inv.lines;
        this.unusable(inv.fileIndex, inv.lines, `no customer on ${plural(inv.lines, 'row')} of order ${inv.orderId}`);
        const cols = [
          inv.plan.columns.index.customerId !== undefined ? this.label(inv.plan, 'customerId') : null,
          inv.plan.columns.index.email !== undefined ? this.label(inv.plan, 'email') : null,
        ].filter(Boolean).join(' and ');
        quarantinedPurchases.push({
          platform: PLATFORM, stream: 'purchases', externalId: inv.externalId, kind: 'no-contact',
          reason: `no customer (${cols} empty on ${inv.lines === 1 ? rows : `all ${inv.lines} rows (${inv.firstRow}–${inv.lastRow})`} of ${inv.plan.name}): order ${inv.orderId} counts for nobody`,
          raw: {
            file: inv.plan.name, format: f.name, orderId: inv.orderId, rows: [inv.firstRow, inv.lastRow], lines: inv.lines,
            amount: fromMicros(amountMicros!), values: this.rowObject(inv.plan, inv.sample),
          },
        });
        continue;
      }
      // (Per customer and day, rows are separate purchases of one day: summing them is the point.)
      if (inv.totalMicros === null && inv.lines > 1 && inv.sameAmount === inv.sameAmount && inv.sameAmount > 0 && inv.returnLines === 0 && f.format.onePurchasePer === 'order') {
        this.repeatedAmounts.count++;
        if (this.repeatedAmounts.example === '') this.repeatedAmounts.example = `${inv.orderId} (${inv.lines} × ${fromMicros(inv.sameAmount)} in ${inv.plan.name})`;
      }
      let net = amountMicros!;
      if (inv.refundedMicros !== null && inv.refundedMicros > 0) net -= inv.refundedMicros;
      const known = inv.statusRaw === null ? undefined : f.status.values[inv.statusRaw];
      if (inv.statusRaw !== null && known === undefined && !inv.cancelled) {
        const u = this.unknownStatus;
        u.count++;
        const column = this.label(inv.plan, 'status');
        if (!u.columns.includes(column)) u.columns.push(column);
        if (!u.defaults.includes(f.status.default)) u.defaults.push(f.status.default);
        if (u.example === '') u.example = `"${shown(inv.statusRaw)}" on order ${inv.orderId} of ${inv.plan.name}`;
      }
      const mapped: PurchaseStatus = known ?? f.status.default;
      let status: PurchaseStatus = inv.cancelled || mapped === 'cancelled' ? 'cancelled' : mapped;
      if (status !== 'cancelled') {
        const refundedSome = inv.refundedMicros !== null && inv.refundedMicros > 0;
        stats.returns += inv.returnLines + (refundedSome ? 1 : 0);
        // Status comes from the data: a free order (0.00, nothing returned) is a purchase; only an
        // order whose returns or refunds took its whole amount (or more) back is refunded.
        if (status === 'won' && (net < 0 || (net === 0 && (inv.returnLines > 0 || refundedSome)))) status = 'refunded';
      }
      if (status === 'cancelled') stats.cancellations++;
      if (status === 'refunded') stats.refunded++;
      purchases.push({
        platform: PLATFORM,
        externalId: inv.externalId,
        contactExternalIds: inv.customers,
        amount: fromMicros(net),
        currency: inv.currency ?? f.currency,
        occurredAt: iso(inv.occurredMs),
        status,
        archived: false,
        updatedAt: iso(inv.updatedMs),
        raw: {
          file: inv.plan.name, format: f.name, orderId: inv.orderId, rows: [inv.firstRow, inv.lastRow], lines: inv.lines,
          returnLines: inv.returnLines, ...(inv.statusRaw !== null ? { status: inv.statusRaw } : {}),
          ...(inv.refundedMicros ? { refunded: fromMicros(inv.refundedMicros) } : {}),
        },
      });
    }
    stats.purchases = purchases.length;

    // Events files state each person's totals for the kinds they hold (connectors/csv/events.ts).
    // A person of a contacts file with no event is left as stored (an export may list only the active).
    const events: EngagementEvent[] = [];
    for (const c of this.contactAggs.values()) {
      const tally = this.eventTallies.get(c.externalId);
      if (tally === undefined) continue;
      for (const e of tallyEngagementEvents(PLATFORM, c.externalId, tally)) events.push(e);
      for (const [name, value] of Object.entries(engagementAttributes(tally, this.eventKindsSeen))) {
        c.attributes[name] = value;
        c.carriedAttributes.add(name);
      }
    }
    const contacts: ContactRecord[] = [];
    for (const c of this.contactAggs.values()) {
      contacts.push({
        platform: PLATFORM,
        externalId: c.externalId,
        email: c.email,
        phone: c.phone,
        firstName: c.firstName,
        lastName: c.lastName,
        country: c.country,
        city: c.city,
        createdAt: c.createdMs === Infinity ? null : iso(c.createdMs),
        updatedAt: iso(c.updatedMs === -Infinity ? Math.floor(c.fallbackMs) : c.updatedMs),
        emailConsent: c.consent ?? 'unknown',
        archived: false,
        mergedInto: null,
        mergedFrom: [],
        attributes: c.attributes,
        raw: { file: c.file, format: c.format, row: c.row, rows: c.rows },
        carried: { fields: [...c.carried].sort(), attributes: [...c.carriedAttributes].sort() },
      });
    }
    stats.contacts = contacts.length;
    stats.quarantined = quarantinedPurchases.length + this.rowQuarantine.contacts.length;

    const warnings = { contacts: [...this.warnings.contacts], purchases: [...this.warnings.purchases] };
    if (this.replaced.count > 0) {
      warnings.purchases.push(`${plural(this.replaced.count, 'order')} ${this.replaced.count === 1 ? 'appears' : 'appear'} in more than one file; the later file's rows replace the earlier ones (${plural(this.replaced.rows, 'row')} replaced), e.g. ${this.replaced.examples.join(', ')}`);
    }
    if (this.replaced.crossFormat.length > 0) {
      warnings.purchases.push(`order numbers shared by files of different formats were treated as the same order: ${this.replaced.crossFormat.join(', ')}; if they are different orders, set idPrefix on one format in mappings/csv.yaml`);
    }
    if (this.repeatedAmounts.count > 0) {
      warnings.purchases.push(`${plural(this.repeatedAmounts.count, 'order')} ${this.repeatedAmounts.count === 1 ? 'has' : 'have'} several rows with the same amount, summed, e.g. ${this.repeatedAmounts.example}; if that column is the order total repeated on each line, map it as columns.orderTotal in mappings/csv.yaml`);
    }
    if (this.unknownStatus.count > 0) {
      const u = this.unknownStatus;
      warnings.purchases.push(`${plural(u.count, 'order')} ${u.count === 1 ? 'has' : 'have'} a ${u.columns.join(' / ')} value segsync does not know, read as ${u.defaults.join(' / ')} (the format's status.default), e.g. ${u.example}; ` +
        'map such values under the format\'s status.values in the CSV mapping');
    }
    if (this.unknownConsent.count > 0) {
      const u = this.unknownConsent;
      warnings.contacts.push(`${plural(u.count, 'value')} of ${u.columns.join(' / ')} ${u.count === 1 ? 'was' : 'were'} not understood as email consent and left the stored consent as it was, e.g. ${u.example}; ` +
        'if they are consent values, map them under consent: in the CSV mapping (defaults.consent, or the format\'s consent)');
    }
    if (this.unknownEvents.count > 0) {
      const u = this.unknownEvents;
      const types = [...u.types].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([t, n]) => `"${t}" (${n.toLocaleString('en-US')})`).join(', ');
      warnings.contacts.push(`${plural(u.count, 'event')} of a type segsync does not know ${u.count === 1 ? 'was' : 'were'} not counted: ${types}${u.types.size > 5 ? ` and ${u.types.size - 5} more types` : ''}, e.g. ${u.example}; ` +
        `map such values under the format's eventTypes in the CSV mapping (to email_delivered, email_open, email_click, page_view, visit, form_submit, or ignore)`);
    }
    if (this.repeatedEvents.count > 0) {
      warnings.contacts.push(`${plural(this.repeatedEvents.count, 'event')} repeated an event already read (same person, type and time) and counted once, e.g. ${this.repeatedEvents.example}`);
    }
    if (this.ignoredEmails.count > 0) {
      warnings.contacts.push(`${plural(this.ignoredEmails.count, 'email value')} ${this.ignoredEmails.count === 1 ? 'is not an address and was' : 'are not addresses and were'} left off contacts that have a customer id, e.g. ${this.ignoredEmails.example}`);
    }
    const files = this.fileStates.map((file) => ({ rows: file.rows, validRows: file.rows - file.unusable, examples: file.examples }));
    return { contacts, purchases, quarantined: { contacts: this.rowQuarantine.contacts, purchases: quarantinedPurchases }, warnings, events, files };
  }
}
