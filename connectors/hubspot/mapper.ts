import { parseStrictDate } from '../../src/domain/dates.js';
import type { Mapping } from '../../src/config/mapping.js';
import type { AttributeValue, ContactRecord, PurchaseRecord, QuarantinedRecord } from '../../src/domain/records.js';
import type { QuarantineKind } from '../../src/domain/quarantine-kinds.js';
import { CrmObjectSchema, type CrmObject } from './schemas.js';

const PLATFORM = 'hubspot';
// Deliberately loose: HubSpot itself validates addresses; we only refuse what cannot be one.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type Mapped<T> = { ok: true; record: T } | { ok: false; quarantined: QuarantinedRecord };

function reject(stream: 'contacts' | 'purchases', raw: unknown, externalId: string | null, reason: string, kind: QuarantineKind, contacts?: readonly string[]): Mapped<never> {
  const linked = contacts && contacts.length > 0 ? { contactExternalIds: [...new Set(contacts)] } : {};
  return { ok: false, quarantined: { platform: PLATFORM, stream, externalId, reason, kind, ...linked, raw } };
}

/** The contact ids a deal's inline associations name, read leniently: the deal itself may be malformed. */
function rawDealContacts(raw: unknown): string[] {
  const linked = (raw as { associations?: { contacts?: unknown } } | null)?.associations?.contacts;
  const list = Array.isArray(linked) ? linked : (linked as { results?: unknown } | null | undefined)?.results;
  if (!Array.isArray(list)) return [];
  return list.flatMap((a) => {
    const id = (a as { id?: unknown } | null)?.id;
    return typeof id === 'string' && /^\d+$/.test(id.trim()) ? [id.trim()] : typeof id === 'number' && Number.isSafeInteger(id) ? [String(id)] : [];
  });
}

function rawId(raw: unknown): string | null {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** HubSpot dates are ISO strings or epoch-ms strings; date-only properties are midnight UTC. */
export function parseHubSpotDate(value: string | null | undefined): string | null | 'invalid' {
  if (value === null || value === undefined || value === '') return null;
  const ms = /^\d+$/.test(value) ? Number(value) : parseStrictDate(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'invalid';
}

function validObject(stream: 'contacts' | 'purchases', raw: unknown): Mapped<CrmObject> {
  const parsed = CrmObjectSchema.safeParse(raw);
  if (parsed.success) return { ok: true, record: parsed.data };
  const issue = parsed.error.issues[0];
  return reject(stream, raw, rawId(raw), `${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`, 'malformed');
}

/**
 * An attribute mapped to `company.<property>` reads that property of the contact's primary
 * associated company (HubSpot property names never contain a dot).
 */
export const COMPANY_PREFIX = 'company.';

/** The company properties the mapping's attributes read (without the prefix). */
export function companyProperties(mapping: Mapping): string[] {
  return [...new Set(Object.values(mapping.contacts.attributes).filter((f) => f.startsWith(COMPANY_PREFIX)).map((f) => f.slice(COMPANY_PREFIX.length)))];
}

/** The HubSpot properties a mapping needs on contacts (always with the ones segsync relies on). */
export function contactProperties(mapping: Mapping): string[] {
  const c = mapping.contacts;
  return [...new Set([
    ...Object.values(c.fields).filter((v): v is string => !!v),
    ...(c.consent ? [c.consent.field] : []),
    ...Object.values(c.attributes).filter((f) => !f.startsWith(COMPANY_PREFIX)),
    'lastmodifieddate',
    'hs_merged_object_ids',
  ])];
}

export function purchaseProperties(mapping: Mapping): string[] {
  const p = mapping.purchases;
  return [...new Set([
    ...Object.values(p.fields).filter((v): v is string => !!v),
    p.status.field,
    'hs_lastmodifieddate',
  ])];
}

/**
 * `company`: the primary company's properties, when the mapping reads any (undefined: not read,
 * null: the contact has no company); company attributes are then null.
 */
export function mapContact(raw: unknown, mapping: Mapping, archived: boolean, company?: Readonly<Record<string, string | null>> | null): Mapped<ContactRecord> {
  const valid = validObject('contacts', raw);
  if (!valid.ok) return valid;
  const o = valid.record;
  const f = mapping.contacts.fields;
  const prop = (name: string | undefined): string | null => {
    const v = name ? o.properties[name] : null;
    return v === undefined || v === null || v.trim() === '' ? null : v.trim();
  };
  const email = prop(f.email);
  if (email !== null && !EMAIL.test(email)) {
    return reject('contacts', raw, o.id, `${f.email}: "${email}" is not an email address`, 'invalid-email');
  }
  const createdAt = parseHubSpotDate(prop(f.createdAt) ?? o.createdAt);
  if (createdAt === 'invalid') return reject('contacts', raw, o.id, `${f.createdAt}: not a date`, 'invalid-date');
  const updatedAt = parseHubSpotDate(o.updatedAt);
  // HubSpot's own timestamp, which no one edits: unreadable only through a fault.
  if (updatedAt === null || updatedAt === 'invalid') return reject('contacts', raw, o.id, `updatedAt: "${o.updatedAt}" is not a date`, 'malformed');
  const consentMap = mapping.contacts.consent;
  const consentRaw = consentMap ? prop(consentMap.field) : null;
  const emailConsent = consentMap
    ? (consentRaw !== null ? consentMap.values[consentRaw] : undefined) ?? consentMap.default
    : 'unknown';
  const attributes: Record<string, AttributeValue> = {};
  for (const [name, field] of Object.entries(mapping.contacts.attributes)) {
    if (!field.startsWith(COMPANY_PREFIX)) attributes[name] = prop(field);
    else {
      const v = company?.[field.slice(COMPANY_PREFIX.length)];
      attributes[name] = v === undefined || v === null || v.trim() === '' ? null : v.trim();
    }
  }
  const merged = prop('hs_merged_object_ids');
  return {
    ok: true,
    record: {
      platform: PLATFORM,
      externalId: o.id,
      email: email?.toLowerCase() ?? null,
      phone: prop(f.phone),
      firstName: prop(f.firstName),
      lastName: prop(f.lastName),
      country: prop(f.country),
      city: prop(f.city),
      createdAt,
      updatedAt,
      emailConsent,
      archived: archived || o.archived === true,
      mergedInto: null,
      mergedFrom: merged ? merged.split(';').map((s) => s.trim()).filter((s) => /^\d+$/.test(s)) : [],
      attributes,
      raw,
    },
  };
}

export function mapDeal(raw: unknown, mapping: Mapping, archived: boolean, contactIds?: string[]): Mapped<PurchaseRecord> {
  const valid = validObject('purchases', raw);
  if (!valid.ok) {
    const named = contactIds ?? rawDealContacts(raw);
    return named.length > 0 ? { ok: false, quarantined: { ...valid.quarantined, contactExternalIds: [...new Set(named)] } } : valid;
  }
  const o = valid.record;
  const contacts = contactIds ?? (o.associations?.contacts?.results ?? []).map((a) => a.id);
  const rejectDeal = (reason: string, kind: QuarantineKind) => reject('purchases', raw, o.id, reason, kind, contacts);
  const f = mapping.purchases.fields;
  const prop = (name: string | undefined): string | null => {
    const v = name ? o.properties[name] : null;
    return v === undefined || v === null || v.trim() === '' ? null : v.trim();
  };
  const stageRaw = prop(mapping.purchases.status.field);
  const mappedStatus = stageRaw !== null ? mapping.purchases.status.values[stageRaw] : undefined;
  const status = mappedStatus ?? mapping.purchases.status.default;
  const amountRaw = prop(f.amount);
  const amount = amountRaw === null ? null : Number(amountRaw);
  const label = prop(f.name) ? ` ("${prop(f.name)}")` : '';
  if (amount !== null && !Number.isFinite(amount)) return rejectDeal(`${f.amount}: "${amountRaw}" is not a number${label}`, 'invalid-number');
  const occurredAt = parseHubSpotDate(prop(f.occurredAt));
  if (occurredAt === 'invalid') return rejectDeal(`${f.occurredAt}: "${prop(f.occurredAt)}" is not a date${label}`, 'invalid-date');
  const updatedAt = parseHubSpotDate(o.updatedAt);
  if (updatedAt === null || updatedAt === 'invalid') return rejectDeal(`updatedAt: "${o.updatedAt}" is not a date`, 'malformed');
  const isArchived = archived || o.archived === true;
  // A won deal is a purchase: without these it would silently distort someone's RFM.
  if (status === 'won' && !isArchived) {
    if (amount === null) return rejectDeal(`${f.amount}: missing on a won deal${label}; enter the amount in HubSpot`, 'missing-value');
    if (amount < 0) return rejectDeal(`${f.amount}: negative (${amount}) on a won deal${label}`, 'negative-amount');
    if (occurredAt === null) return rejectDeal(`${f.occurredAt}: missing on a won deal${label}`, 'missing-value');
    if (contacts.length === 0) return rejectDeal(`associations: won deal${label} has no contact, so it counts for nobody; associate a contact in HubSpot`, 'no-contact');
  }
  return {
    ok: true,
    record: {
      platform: PLATFORM,
      externalId: o.id,
      contactExternalIds: [...new Set(contacts)],
      amount,
      currency: f.currency ? prop(f.currency) : null,
      occurredAt,
      status,
      ...(mappedStatus === undefined ? { statusDefaulted: true } : {}),
      archived: isArchived,
      updatedAt,
      raw,
    },
  };
}
