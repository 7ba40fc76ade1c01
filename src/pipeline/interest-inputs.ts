import type { Db } from '../store/db.js';
import type { InterestInputs } from '../segmentation/interests.js';
import { float64s, int32s } from '../store/growable.js';

/**
 * What the interests features need from the store, for the live profiles: the line-item spend of
 * won purchases (the same purchases RFM counts) up to the reference date, added up by SQLite per
 * profile, product type and currency, then turned into the base currency by `convert` (a rate, so
 * a sum converts like its parts). A purchase linked to two contacts of one person counts once.
 * Each sum is one item stamped at the reference date: a million people's lines are not held one
 * by one. The abandoned checkouts come from the engagement pass (engagement-loader.ts).
 */
export function loadInterestInputs(
  db: Db, profileIds: readonly number[], referenceMs: number, convert: (amount: number, currency: string | null) => number,
  checkouts: InterestInputs['checkouts'],
): InterestInputs {
  const indexOf = new Map(profileIds.map((id, i) => [id, i]));
  const sums = db
    .prepare(`SELECT profileId, productType, currency, SUM(amount) FROM (
                SELECT DISTINCT i.profile_id AS profileId, p.platform, p.external_id, pi.line, p.currency, pi.product_type AS productType, pi.amount
                FROM purchase_items pi
                JOIN purchases p ON p.platform = pi.platform AND p.external_id = pi.purchase_external_id
                JOIN purchase_contacts pc ON pc.platform = p.platform AND pc.purchase_external_id = p.external_id
                JOIN identities i ON i.platform = pc.platform AND i.external_id = pc.contact_external_id
                WHERE p.status = 'won' AND p.archived = 0 AND p.invalid = 0 AND p.occurred_at IS NOT NULL AND pi.amount >= 0
                  AND CAST(ROUND((julianday(p.occurred_at) - 2440587.5) * 86400000.0) AS INTEGER) <= ?)
              GROUP BY profileId, productType, currency`)
    .raw()
    .iterate(referenceMs) as IterableIterator<[number, string | null, string | null, number]>;
  const profileIndex = int32s();
  const amount = float64s();
  const productType: Array<string | null> = [];
  // One string per product type, not one per row.
  const spelling = new Map<string, string>();
  for (const [profileId, type, currency, sum] of sums) {
    const i = indexOf.get(profileId);
    if (i === undefined) continue;
    profileIndex.push(i);
    amount.push(convert(sum, currency));
    if (type === null) productType.push(null);
    else {
      let shared = spelling.get(type);
      if (shared === undefined) spelling.set(type, (shared = type));
      productType.push(shared);
    }
  }
  const size = profileIndex.size;
  return { items: { profileIndex: profileIndex.done(), atMs: new Float64Array(size).fill(referenceMs), productType, amount: amount.done() }, checkouts };
}
