import { z } from 'zod';
import { attributeMap } from './attribute-names.js';
import { parseOrThrow } from './errors.js';
import { readYamlFile } from './yaml-file.js';
import { PURCHASE_STATUSES } from '../domain/records.js';
import { nearestName } from './nearest-name.js';
import type { MappingProblem } from '../domain/connector.js';

/**
 * A mapping file (mappings/<platform>.yaml): platform fields ⇄ canonical fields, and the field
 * each token is written to. Generic on purpose: a new platform is a new file, not new code here.
 */
const FieldName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'must be a platform field name (letters, digits, _ and .)');

const ValueMap = <T extends z.ZodType>(target: T) =>
  z.object({
    field: FieldName,
    values: z.record(z.string(), target),
    default: target,
  });

export const MappingSchema = z.strictObject({
  contacts: z.strictObject({
    fields: z.strictObject({
      email: FieldName.optional(),
      phone: FieldName.optional(),
      firstName: FieldName.optional(),
      lastName: FieldName.optional(),
      country: FieldName.optional(),
      city: FieldName.optional(),
      createdAt: FieldName.optional(),
    }),
    consent: ValueMap(z.enum(['subscribed', 'unsubscribed', 'unknown'])).optional(),
    /** Extra attributes usable in segments: canonical name → platform field. */
    attributes: attributeMap(FieldName).default({}),
  }),
  purchases: z.strictObject({
    fields: z.strictObject({
      amount: FieldName,
      currency: FieldName.optional(),
      occurredAt: FieldName,
      name: FieldName.optional(),
    }),
    status: ValueMap(z.enum(PURCHASE_STATUSES)),
  }),
  /** Canonical token key → platform field it is written to. */
  tokens: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), FieldName),
});
export type Mapping = z.infer<typeof MappingSchema>;

export function loadMapping(path: string): Mapping {
  return parseOrThrow(MappingSchema, readYamlFile(path, 'mapping file'), `mapping file ${path}`);
}

/** One platform field a mapping reads, with where the mapping names it. */
export interface MappedField {
  /** "contacts.fields.email", "contacts.consent.field", "contacts.attributes.ltv", "purchases.fields.amount", "purchases.status.field". */
  key: string;
  stream: 'contacts' | 'purchases';
  /** The platform field (or path) as mapped. */
  field: string;
}

/** Every platform field a pull reads because the mapping says so (not the fields a push writes). */
export function mappedFields(mapping: Mapping): MappedField[] {
  const c = mapping.contacts;
  const p = mapping.purchases;
  return [
    ...Object.entries(c.fields).flatMap(([k, field]) => (field ? [{ key: `contacts.fields.${k}`, stream: 'contacts' as const, field }] : [])),
    ...(c.consent ? [{ key: 'contacts.consent.field', stream: 'contacts' as const, field: c.consent.field }] : []),
    ...Object.entries(c.attributes).map(([k, field]) => ({ key: `contacts.attributes.${k}`, stream: 'contacts' as const, field })),
    ...Object.entries(p.fields).flatMap(([k, field]) => (field ? [{ key: `purchases.fields.${k}`, stream: 'purchases' as const, field }] : [])),
    { key: 'purchases.status.field', stream: 'purchases' as const, field: p.status.field },
  ];
}

/** A field whose values the mapping translates (consent, purchase status), with the values it lists. */
export interface MappedValues {
  /** "contacts.consent" or "purchases.status". */
  key: 'contacts.consent' | 'purchases.status';
  stream: 'contacts' | 'purchases';
  field: string;
  /** The platform values the mapping lists (its `values` keys). */
  values: string[];
}

export function mappedValueMaps(mapping: Mapping): MappedValues[] {
  const consent = mapping.contacts.consent;
  const status = mapping.purchases.status;
  return [
    ...(consent ? [{ key: 'contacts.consent' as const, stream: 'contacts' as const, field: consent.field, values: Object.keys(consent.values) }] : []),
    { key: 'purchases.status', stream: 'purchases', field: status.field, values: Object.keys(status.values) },
  ];
}

/**
 * The value keys of `map` that are not among the values the platform declares for its field:
 * `problem` says what the platform has, in its terms; the nearest declared value is suggested.
 */
export function unknownValueKeys(map: MappedValues, declared: readonly string[], problem: (value: string) => string, creatable = false): MappingProblem[] {
  const known = new Set(declared);
  return map.values.filter((v) => !known.has(v)).map((v) => {
    const suggestion = nearestName(v, declared);
    return { key: `${map.key}.values.${v}`, field: v, problem: problem(v), ...(suggestion ? { suggestion } : {}), creatable, kind: 'value' as const };
  });
}
