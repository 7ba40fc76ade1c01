/**
 * Why a record is in quarantine, as a kind: the reason text says it for one record ("email:
 * "x@" is not an email address"), the kind groups the records (`segsync quarantine list`) and
 * decides whether the next pull reads the record again by id.
 *
 * A record whose problem is in its data passes only once someone changes it on the platform;
 * that change moves its modification time, so the next incremental pull reads it anyway: reading
 * it again by id earlier would only cost requests. A record whose problem may pass without the
 * record changing (a passing fault of the platform, a link added later, a setting changed in
 * segsync) is read again by id by the next pull, then less and less often while it still fails.
 */
export const QUARANTINE_KINDS = {
  malformed: {
    mayPassLater: true,
    description: 'not shaped as the platform\'s API documents it (a wrong type, a missing or unreadable system field): usually a passing fault',
  },
  'no-contact': {
    mayPassLater: true,
    description: 'a won purchase linked to no contact, so it counts for nobody; linking a contact does not always change the purchase\'s modification time',
  },
  'unknown-currency': {
    mayPassLater: true,
    description: 'a currency with no rate in the workspace config (currency.rates): passes once the rate is added',
  },
  implausible: {
    mayPassLater: true,
    description: 'a value beyond the plausibility limits of the workspace config: passes if the limit is raised',
  },
  'invalid-email': { mayPassLater: false, description: 'an email field that holds no email address' },
  'invalid-date': { mayPassLater: false, description: 'a date field that holds no date' },
  'invalid-number': { mayPassLater: false, description: 'an amount that is not a number' },
  'negative-amount': { mayPassLater: false, description: 'a won purchase with a negative amount' },
  'missing-value': { mayPassLater: false, description: 'a won purchase without its amount or date' },
  other: { mayPassLater: false, description: 'any other problem (and records quarantined before segsync classified reasons)' },
} as const satisfies Record<string, { mayPassLater: boolean; description: string }>;

export type QuarantineKind = keyof typeof QUARANTINE_KINDS;
export const QUARANTINE_KIND_NAMES = Object.keys(QUARANTINE_KINDS) as QuarantineKind[];

export function isQuarantineKind(value: string): value is QuarantineKind {
  return Object.hasOwn(QUARANTINE_KINDS, value);
}

export function mayPassLater(kind: QuarantineKind): boolean {
  return QUARANTINE_KINDS[kind].mayPassLater;
}

const HOUR_MS = 3_600_000;

/**
 * When a record that may pass later is read again, after `failedAttempts` reads by id that still
 * failed: at the next pull first, then after 1 h, 4 h, 16 h, and once a day from then on, so a
 * record that keeps failing costs one request share a day, not one per pull.
 */
export function refetchDelayMs(failedAttempts: number): number {
  if (failedAttempts <= 0) return 0;
  return Math.min(HOUR_MS * 4 ** (failedAttempts - 1), 24 * HOUR_MS);
}
