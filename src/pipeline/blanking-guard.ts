import type { ContactField, ContactRecord, StreamName } from '../domain/records.js';
import type { StoredContactValues } from '../store/contact-values.js';
import type { Mapping } from '../config/mapping.js';

/**
 * The blanking guard: a batch of pulled contacts that would empty a value the store holds, for
 * more than `threshold` of the batch's records holding one, is refused before it is written (a
 * mapping pointing at a field that is empty everywhere, a platform answering without values).
 * At least BLANKING_MIN_RECORDS records must lose the value, so a few people clearing their own
 * name never stop a pull.
 */
export const BLANKING_MIN_RECORDS = 10;
export const DEFAULT_BLANKING_THRESHOLD = 0.5;

interface GuardedField {
  field: ContactField;
  label: string;
  holds(stored: StoredContactValues): boolean;
  empty(record: ContactRecord): boolean;
}

const present = (value: string | null): boolean => value !== null && value.trim() !== '';

/** Email, names, and consent: a stored subscribed/unsubscribed becoming unknown. */
const GUARDED: readonly GuardedField[] = [
  { field: 'email', label: 'email', holds: (s) => present(s.email), empty: (r) => !present(r.email) },
  { field: 'firstName', label: 'first name', holds: (s) => present(s.firstName), empty: (r) => !present(r.firstName) },
  { field: 'lastName', label: 'last name', holds: (s) => present(s.lastName), empty: (r) => !present(r.lastName) },
  { field: 'emailConsent', label: 'email consent', holds: (s) => s.emailConsent !== 'unknown', empty: (r) => r.emailConsent === 'unknown' },
];

export interface BlankingViolation {
  field: ContactField;
  label: string;
  /** Records that would lose their stored value. */
  blanked: number;
  /** Records of the batch holding a stored value for this field. */
  holding: number;
  /** One of them, for the admin to look at. */
  exampleExternalId: string;
}

export interface BlankingSettings {
  /** --allow-blanking: write anyway. */
  allow: boolean;
  /** Share (0..1) of the records holding a value that may lose it in one batch. */
  threshold: number;
}

/**
 * What a batch would blank beyond the threshold. A deleted (archived) record is not blanked: a
 * deletion empties fields by design. A field a partial record does not carry is kept, not blanked.
 */
export function blankingViolations(
  contacts: readonly ContactRecord[],
  stored: (externalId: string) => StoredContactValues | undefined,
  threshold: number,
): BlankingViolation[] {
  // The last version of each record in the batch is the one that stays.
  const latest = new Map<string, ContactRecord>();
  for (const c of contacts) latest.set(c.externalId, c);
  const counts = GUARDED.map((g) => ({ g, holding: 0, blanked: 0, example: '' }));
  for (const record of latest.values()) {
    if (record.archived) continue;
    const before = stored(record.externalId);
    if (!before || before.archived) continue;
    for (const c of counts) {
      if (!c.g.holds(before)) continue;
      c.holding++;
      if (record.carried && !record.carried.fields.includes(c.g.field)) continue;
      if (c.g.empty(record)) {
        c.blanked++;
        if (c.example === '') c.example = record.externalId;
      }
    }
  }
  return counts
    .filter((c) => c.blanked >= BLANKING_MIN_RECORDS && c.blanked > threshold * c.holding)
    .map((c) => ({ field: c.g.field, label: c.g.label, blanked: c.blanked, holding: c.holding, exampleExternalId: c.example }));
}

/** A batch refused by the blanking guard; nothing of it was written. Exit 1, like the mass-removal guard. */
export class BlankingError extends Error {
  constructor(
    readonly platform: string,
    readonly stream: StreamName,
    readonly violations: BlankingViolation[],
    threshold: number,
    /** Where these fields are mapped, e.g. "mappings/hubspot.yaml". */
    mappingFile: string | undefined,
    /** The platform field each canonical field is read from (the mapping's), named instead of the canonical name. */
    platformFields: Partial<Record<ContactField, string>> = {},
  ) {
    const lines = violations.map((v) => {
      const from = platformFields[v.field];
      return `  - ${v.label} (${from ? `read from ${platform}'s "${from}"` : v.field}): ${v.blanked} of the ${v.holding} records holding one would lose it (e.g. external id ${v.exampleExternalId})`;
    });
    super(
      `${platform} ${stream}: pull stopped: this batch would empty a stored value for more than ${Math.round(threshold * 100)}% of the records holding one; ` +
        `nothing of this batch was written (earlier batches were):\n${lines.join('\n')}\n` +
        `Fix: check how these fields are mapped${mappingFile ? ` (${mappingFile})` : ''} and their values on ${platform}; ` +
        'if they really were emptied there, run again with --allow-blanking.',
    );
    this.name = 'BlankingError';
  }
}

/** The platform field a mapping reads each guarded contact field from. */
export function guardedPlatformFields(mapping: Mapping): Partial<Record<ContactField, string>> {
  const fields: Partial<Record<ContactField, string>> = {};
  for (const g of GUARDED) {
    const field = g.field === 'emailConsent' ? mapping.contacts.consent?.field : mapping.contacts.fields[g.field as keyof Mapping['contacts']['fields']];
    if (field) fields[g.field] = field;
  }
  return fields;
}
