import type { PurchaseRecord, PurchaseStatus } from '../domain/records.js';
import type { StoredPurchaseStatus } from '../store/purchase-status.js';
import type { Mapping } from '../config/mapping.js';
import { plural } from '../domain/text.js';

/**
 * The status guard, the blanking guard's sibling for purchases: a batch of pulled purchases that
 * would turn more than `threshold` of the stored `won` purchases it updates into the mapping's
 * default status (and at least STATUS_GUARD_MIN_RECORDS of them) is refused before it is written.
 * A misspelt status value in the mapping (`closedwn: won`) gives every purchase the default status:
 * every customer would lose their revenue, and RFM, predictions and lists with it. A status the
 * platform states (300 orders really cancelled on Shopify) is news, not a mistake, and goes through.
 */
export const STATUS_GUARD_MIN_RECORDS = 10;

export interface StatusViolation {
  /** Stored `won` purchases of the batch (not deleted on either side). */
  holding: number;
  /** Of them, those the batch would give the default status because their value is none of the mapped ones. */
  changed: number;
  /** How many would become which status, e.g. { open: 863 }. */
  to: Partial<Record<PurchaseStatus, number>>;
  /** One of them, for the admin to look at. */
  example: { externalId: string; status: PurchaseStatus };
}

/** What a batch would do to stored won purchases beyond the threshold; undefined when it may be written. */
export function wonStatusViolation(
  purchases: readonly PurchaseRecord[],
  stored: (externalId: string) => StoredPurchaseStatus | undefined,
  threshold: number,
): StatusViolation | undefined {
  // The last version of each record in the batch is the one that stays.
  const latest = new Map<string, PurchaseRecord>();
  for (const p of purchases) latest.set(p.externalId, p);
  let holding = 0;
  let changed = 0;
  const to: Partial<Record<PurchaseStatus, number>> = {};
  let example: StatusViolation['example'] | undefined;
  for (const record of latest.values()) {
    // A deletion is not a status change: retention and the profiles handle it.
    if (record.archived) continue;
    const before = stored(record.externalId);
    if (!before || before.archived || before.status !== 'won') continue;
    holding++;
    if (record.status === 'won' || !record.statusDefaulted) continue;
    changed++;
    to[record.status] = (to[record.status] ?? 0) + 1;
    example ??= { externalId: record.externalId, status: record.status };
  }
  if (changed < STATUS_GUARD_MIN_RECORDS || !(changed > threshold * holding) || !example) return undefined;
  return { holding, changed, to, example };
}

/** A batch refused by the status guard; nothing of it was written. Exit 1, like the other guards. */
export class StatusChangeError extends Error {
  constructor(
    readonly platform: string,
    readonly violation: StatusViolation,
    threshold: number,
    /** The mapping's status section and its file, when known (a file import's mapping names no field). */
    where: { file?: string; status?: Mapping['purchases']['status'] } = {},
  ) {
    const v = violation;
    const to = Object.entries(v.to).sort((a, b) => b[1] - a[1]).map(([status, n]) => `${status} ${n.toLocaleString('en-US')}`).join(', ');
    const status = where.status;
    const mapped = status
      ? `the status field "${status.field}" (purchases.status${where.file ? ` in ${where.file}` : ''}) maps ` +
        `${Object.entries(status.values).map(([k, s]) => `"${k}" → ${s}`).join(', ') || 'no values'}; any other value → ${status.default}`
      : `the purchases' status mapping${where.file ? ` (${where.file})` : ''}`;
    super(
      `${platform} purchases: pull stopped: this batch would turn ${v.changed.toLocaleString('en-US')} of the ${plural(v.holding, 'stored won purchase')} it updates ` +
        `into the mapping's default status (${to}) because their status value is none of the mapped ones, more than ${Math.round(threshold * 100)}%; nothing of this batch was written (earlier batches were).\n` +
        `  ${mapped}.\n  e.g. external id ${v.example.externalId}: stored won, now ${v.example.status}.\n` +
        `Fix: check that the status values in the mapping are the ones ${platform} uses (a misspelt value gives every purchase the default status); ` +
        'if these purchases really changed status there, run again with --allow-blanking.',
    );
    this.name = 'StatusChangeError';
  }
}
