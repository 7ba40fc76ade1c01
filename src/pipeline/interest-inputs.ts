import type { Db } from '../store/db.js';
import type { InterestInputs } from '../segmentation/interests.js';

/**
 * What the interests features need from the store, for the live profiles: the lines of won
 * purchases (the same purchases RFM counts; amounts in the base currency by `convert`) and the
 * abandoned checkouts (engagement events on channel checkout_abandoned), each joined to its
 * profile through identities. A purchase linked to two contacts of one person counts once.
 */
export function loadInterestInputs(db: Db, profileIds: readonly number[], convert: (amount: number, currency: string | null) => number): InterestInputs {
  const indexOf = new Map(profileIds.map((id, i) => [id, i]));
  const lines = (db
    .prepare(`SELECT DISTINCT i.profile_id AS profileId, p.platform, p.external_id, pi.line, p.occurred_at AS occurredAt,
                p.currency, pi.product_type AS productType, pi.amount
              FROM purchase_items pi
              JOIN purchases p ON p.platform = pi.platform AND p.external_id = pi.purchase_external_id
              JOIN purchase_contacts pc ON pc.platform = p.platform AND pc.purchase_external_id = p.external_id
              JOIN identities i ON i.platform = pc.platform AND i.external_id = pc.contact_external_id
              WHERE p.status = 'won' AND p.archived = 0 AND p.invalid = 0 AND p.occurred_at IS NOT NULL AND pi.amount IS NOT NULL`)
    .all() as Array<{ profileId: number; occurredAt: string; currency: string | null; productType: string | null; amount: number }>)
    .filter((r) => indexOf.has(r.profileId));
  const checkouts = (db
    .prepare(`SELECT DISTINCT i.profile_id AS profileId, e.platform, e.key, e.occurred_at AS occurredAt
              FROM engagement_events e
              JOIN identities i ON i.platform = e.platform AND i.external_id = e.contact_external_id
              WHERE e.channel = 'checkout_abandoned'`)
    .all() as Array<{ profileId: number; occurredAt: string }>)
    .filter((r) => indexOf.has(r.profileId));
  return {
    items: {
      profileIndex: Int32Array.from(lines, (r) => indexOf.get(r.profileId)!),
      atMs: Float64Array.from(lines, (r) => Date.parse(r.occurredAt)),
      productType: lines.map((r) => r.productType),
      amount: Float64Array.from(lines, (r) => convert(r.amount, r.currency)),
    },
    checkouts: {
      profileIndex: Int32Array.from(checkouts, (r) => indexOf.get(r.profileId)!),
      atMs: Float64Array.from(checkouts, (r) => Date.parse(r.occurredAt)),
    },
  };
}
