import { parseStrictDate } from '../../src/domain/dates.js';
import type { Mapping } from '../../src/config/mapping.js';
import type { AttributeValue, ContactRecord, PurchaseRecord, QuarantinedRecord, StreamName } from '../../src/domain/records.js';
import type { QuarantineKind } from '../../src/domain/quarantine-kinds.js';
import type { Activity } from './schemas.js';

const PLATFORM = 'marketo';
// Deliberately loose: Marketo validates addresses itself; we only refuse what cannot be one.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Marketo blocks every email to an address flagged invalid (bounces set it): nobody may be emailed there. */
const EMAIL_INVALID_FIELD = 'emailInvalid';

export type Mapped<T> = { ok: true; record: T } | { ok: false; quarantined: QuarantinedRecord };

function reject(stream: StreamName, raw: unknown, externalId: string | null, reason: string, kind: QuarantineKind, contacts?: readonly string[]): Mapped<never> {
  const linked = contacts && contacts.length > 0 ? { contactExternalIds: [...contacts] } : {};
  return { ok: false, quarantined: { platform: PLATFORM, stream, externalId, reason, kind, ...linked, raw } };
}

type Row = Record<string, unknown>;

function isRow(raw: unknown): raw is Row {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

/**
 * A field's value as text: REST sends typed JSON (booleans, numbers, null), bulk CSV sends strings
 * (with the literal `null` for empty cells, turned into null when the file is parsed).
 */
export function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' ? null : t;
  }
  return null;
}

/** Booleans arrive as true/false (REST) or "true"/"false" (CSV; some exports write 1/0). */
export function flag(value: unknown): boolean | null {
  const t = text(value)?.toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  return null;
}

/**
 * Marketo dates: lead database `2016-05-17T22:11:45Z`, activities `2014-09-17T22:31:49+0000`,
 * assets `2018-06-21T04:32:25Z+0000` (recorded), bulk files may carry offsets (`-08:00`), and date
 * fields (closeDate) are plain `2024-03-05` (read as midnight UTC).
 */
export function parseMarketoDate(value: unknown): string | null | 'invalid' {
  const t = text(value);
  if (t === null) return null;
  const s = t.replace(/Z[+-]0000$/, 'Z').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = parseStrictDate(s);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'invalid';
}

function leadId(raw: unknown): number | null {
  const id = isRow(raw) ? raw.id : undefined;
  const n = typeof id === 'number' ? id : typeof id === 'string' && /^\d+$/.test(id.trim()) ? Number(id) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** The lead fields a mapping needs (always with the ones segsync relies on). */
export function leadFields(mapping: Mapping): string[] {
  const c = mapping.contacts;
  return [...new Set([
    'id',
    ...Object.values(c.fields).filter((v): v is string => !!v),
    ...(c.consent ? [c.consent.field] : []),
    EMAIL_INVALID_FIELD,
    ...Object.values(c.attributes),
    'createdAt',
    'updatedAt',
  ])];
}

/** The lead fields whose changes matter to segsync: Get Lead Changes is asked for these only. */
export function watchedLeadFields(mapping: Mapping): string[] {
  return leadFields(mapping).filter((f) => f !== 'id' && f !== 'createdAt' && f !== 'updatedAt');
}

/** The mapped value for a raw value; undefined when it is missing or none of the mapped ones. */
function mappedValue<T>(map: { values: Record<string, T> }, value: unknown): T | undefined {
  const key = text(value);
  if (key === null) return undefined;
  if (map.values[key] !== undefined) return map.values[key];
  // A CSV 1/0 for a mapping written with true/false (or the other way round).
  const asFlag = flag(value);
  return asFlag !== null ? map.values[String(asFlag)] : undefined;
}

function lookup<T>(map: { field: string; values: Record<string, T>; default: T }, value: unknown): T {
  return mappedValue(map, value) ?? map.default;
}

export function mapLead(raw: unknown, mapping: Mapping): Mapped<ContactRecord> {
  const id = leadId(raw);
  if (!isRow(raw) || id === null) return reject('contacts', raw, null, 'id: missing or not a positive integer lead id', 'malformed');
  const externalId = String(id);
  const f = mapping.contacts.fields;
  // A field that holds an object or a list is a wrong type, not a missing value.
  for (const name of Object.values(f)) {
    const v = name ? raw[name] : undefined;
    if (v !== null && typeof v === 'object') return reject('contacts', raw, externalId, `${name}: expected text, got ${Array.isArray(v) ? 'a list' : 'an object'}`, 'malformed');
  }
  const value = (name: string | undefined) => (name ? text(raw[name]) : null);
  const email = value(f.email);
  if (email !== null && !EMAIL.test(email)) return reject('contacts', raw, externalId, `${f.email}: "${email}" is not an email address`, 'invalid-email');
  const createdAt = parseMarketoDate(raw[f.createdAt ?? 'createdAt']);
  if (createdAt === 'invalid') return reject('contacts', raw, externalId, `${f.createdAt ?? 'createdAt'}: "${text(raw[f.createdAt ?? 'createdAt'])}" is not a date`, 'invalid-date');
  const updatedAt = parseMarketoDate(raw.updatedAt) ;
  // Marketo's own timestamp, which no one edits: unreadable only through a fault.
  if (updatedAt === 'invalid') return reject('contacts', raw, externalId, `updatedAt: "${text(raw.updatedAt)}" is not a date`, 'malformed');
  const consentMap = mapping.contacts.consent;
  let emailConsent = consentMap ? lookup(consentMap, raw[consentMap.field]) : 'unknown';
  if (flag(raw[EMAIL_INVALID_FIELD]) === true) emailConsent = 'unsubscribed';
  const attributes: Record<string, AttributeValue> = {};
  for (const [name, field] of Object.entries(mapping.contacts.attributes)) {
    const v = raw[field];
    attributes[name] = typeof v === 'number' || typeof v === 'boolean' ? v : text(v);
  }
  return {
    ok: true,
    record: {
      platform: PLATFORM,
      externalId,
      email: email?.toLowerCase() ?? null,
      phone: value(f.phone),
      firstName: value(f.firstName),
      lastName: value(f.lastName),
      country: value(f.country),
      city: value(f.city),
      createdAt,
      // A lead always has updatedAt; a bulk row without it falls back to its creation time.
      updatedAt: updatedAt ?? createdAt ?? new Date(0).toISOString(),
      emailConsent,
      archived: false,
      mergedInto: null,
      mergedFrom: [],
      attributes,
      raw,
    },
  };
}

/**
 * A lead deleted in Marketo (Get Deleted Leads, activity type 37) can no longer be read: it becomes
 * an archived record with no personal data, which takes it out of every list and token push.
 */
export function deletedLead(activity: Activity, mapping: Mapping): ContactRecord {
  const attributes: Record<string, AttributeValue> = {};
  for (const name of Object.keys(mapping.contacts.attributes)) attributes[name] = null;
  const at = parseMarketoDate(activity.activityDate);
  return {
    platform: PLATFORM,
    externalId: String(activity.leadId),
    email: null,
    phone: null,
    firstName: null,
    lastName: null,
    country: null,
    city: null,
    createdAt: null,
    updatedAt: at === null || at === 'invalid' ? new Date(0).toISOString() : at,
    emailConsent: 'unknown',
    archived: true,
    mergedInto: null,
    mergedFrom: [],
    attributes,
    raw: activity,
  };
}

// ------------------------------------------------------------------ opportunities

/** The opportunity fields a mapping needs, with the ones the status rule reads. */
export function opportunityFields(mapping: Mapping): string[] {
  const p = mapping.purchases;
  return [...new Set([
    'marketoGUID',
    'externalOpportunityId',
    ...Object.values(p.fields).filter((v): v is string => !!v),
    p.status.field,
    'isClosed',
    'isWon',
    'createdAt',
    'updatedAt',
  ])];
}

/**
 * The purchase status of an opportunity. Marketo keeps `isWon` false while an opportunity is still
 * open, so a status read from `isWon` is only trusted once `isClosed` is true: an open opportunity
 * (isClosed false) takes the mapping's default. Any other status field is looked up as it is.
 */
function opportunityStatus(raw: Row, mapping: Mapping): Pick<PurchaseRecord, 'status' | 'statusDefaulted'> {
  const map = mapping.purchases.status;
  if (map.field === 'isWon' && flag(raw.isWon) !== true && flag(raw.isClosed) === false) return { status: map.default };
  const mapped = mappedValue(map, raw[map.field]);
  return mapped === undefined ? { status: map.default, statusDefaulted: true } : { status: mapped };
}

function amountOf(value: unknown): number | null | 'invalid' {
  if (value === null || value === undefined || value === '') return null;
  // The docs show currency values as strings ("1604.47"); instances answer numbers.
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  return Number.isFinite(n) ? n : 'invalid';
}

export function mapOpportunity(raw: unknown, mapping: Mapping, leadIds: readonly number[]): Mapped<PurchaseRecord> {
  const contacts = [...new Set(leadIds)].sort((a, b) => a - b).map(String);
  const guid = isRow(raw) && typeof raw.marketoGUID === 'string' ? raw.marketoGUID.trim() : '';
  if (!isRow(raw) || guid === '') return reject('purchases', raw, null, 'marketoGUID: missing', 'malformed', contacts);
  // A quarantined opportunity names the leads of its roles: forgetting one of them erases it too.
  const rejectOpportunity = (reason: string, kind: QuarantineKind) => reject('purchases', raw, guid, reason, kind, contacts);
  const f = mapping.purchases.fields;
  const name = f.name ? text(raw[f.name]) : null;
  const label = name ? ` ("${name}")` : '';
  const { status, statusDefaulted } = opportunityStatus(raw, mapping);
  const amount = amountOf(raw[f.amount]);
  if (amount === 'invalid') return rejectOpportunity(`${f.amount}: "${text(raw[f.amount])}" is not a number${label}`, 'invalid-number');
  const occurredAt = parseMarketoDate(raw[f.occurredAt]);
  if (occurredAt === 'invalid') return rejectOpportunity(`${f.occurredAt}: "${text(raw[f.occurredAt])}" is not a date${label}`, 'invalid-date');
  const updatedAt = parseMarketoDate(raw.updatedAt);
  if (updatedAt === 'invalid') return rejectOpportunity(`updatedAt: "${text(raw.updatedAt)}" is not a date`, 'malformed');
  // A won opportunity is a purchase: without these it would silently distort someone's RFM.
  if (status === 'won') {
    if (amount === null) return rejectOpportunity(`${f.amount}: missing on a won opportunity${label}; enter the amount in Marketo (or your CRM)`, 'missing-value');
    if (amount < 0) return rejectOpportunity(`${f.amount}: negative (${amount}) on a won opportunity${label}`, 'negative-amount');
    if (occurredAt === null) return rejectOpportunity(`${f.occurredAt}: missing on a won opportunity${label}`, 'missing-value');
    if (contacts.length === 0) return rejectOpportunity(`roles: won opportunity${label} has no lead in an opportunity role, so it counts for nobody`, 'no-contact');
  }
  const created = parseMarketoDate(raw.createdAt);
  return {
    ok: true,
    record: {
      platform: PLATFORM,
      externalId: guid,
      contactExternalIds: contacts,
      amount,
      currency: f.currency ? text(raw[f.currency])?.toUpperCase() ?? null : null,
      occurredAt,
      status,
      ...(statusDefaulted ? { statusDefaulted } : {}),
      archived: false,
      updatedAt: updatedAt ?? (created === 'invalid' ? null : created) ?? new Date(0).toISOString(),
      raw,
    },
  };
}
