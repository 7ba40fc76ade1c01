import type { Db } from '../store/db.js';
import type { ProfileFacts } from './rules.js';
import type { RfmResult } from './rfm.js';
import { MS_PER_DAY, RFM_STATUS_SCORED } from './rfm.js';

/** Converted purchases, as columns (the same ones RFM scored). */
export interface PurchaseColumnsView {
  profileIndex: Int32Array;
  occurredAtMs: Float64Array;
  amount: Float64Array;
}

/**
 * What rules can look at, per live profile: RFM values and scores, lifetime figures, and the
 * person's attributes across platforms (the most restrictive consent, the first value seen of
 * everything else, in platform order).
 */
export function buildProfileFacts(
  db: Db,
  profileIds: readonly number[],
  purchases: PurchaseColumnsView,
  rfm: RfmResult,
  segmentKeys: readonly string[],
  referenceMs: number,
): ProfileFacts[] {
  const indexOf = new Map(profileIds.map((id, i) => [id, i]));
  const facts: ProfileFacts[] = profileIds.map((_, i) => {
    const scored = rfm.status[i] === RFM_STATUS_SCORED;
    return {
      numbers: scored
        ? { recencyDays: rfm.recencyDays[i]!, frequency: rfm.frequency[i]!, monetary: rfm.monetary[i]!, r: rfm.r[i]!, f: rfm.f[i]!, m: rfm.m[i]! }
        : { frequency: 0, monetary: 0 },
      dates: {},
      text: { rfmSegment: segmentKeys[i]! },
      attributes: {},
      purchases: [],
    };
  });

  for (let k = 0; k < purchases.profileIndex.length; k++) {
    const at = purchases.occurredAtMs[k]!;
    if (at > referenceMs) continue;
    const f = facts[purchases.profileIndex[k]!]!;
    const amount = purchases.amount[k]!;
    (f.purchases as Array<{ at: number; amount: number }>).push({ at, amount });
    f.numbers.lifetimeFrequency = (f.numbers.lifetimeFrequency ?? 0) + 1;
    f.numbers.lifetimeMonetary = (f.numbers.lifetimeMonetary ?? 0) + amount;
    f.dates.firstPurchaseAt = Math.min(f.dates.firstPurchaseAt ?? Infinity, at);
    f.dates.lastPurchaseAt = Math.max(f.dates.lastPurchaseAt ?? -Infinity, at);
  }
  for (const f of facts) {
    const n = f.numbers.lifetimeFrequency ?? 0;
    f.numbers.lifetimeFrequency = n;
    f.numbers.lifetimeMonetary = f.numbers.lifetimeMonetary ?? 0;
    if (n > 0) f.numbers.averageOrderValue = f.numbers.lifetimeMonetary / n;
    if (f.dates.lastPurchaseAt !== undefined && f.numbers.recencyDays === undefined) {
      f.numbers.recencyDays = Math.floor((referenceMs - f.dates.lastPurchaseAt) / MS_PER_DAY);
    }
  }

  const contacts = db
    .prepare(`SELECT i.profile_id AS id, c.country, c.city, c.created_at AS createdAt, c.email_consent AS consent, c.attributes
              FROM identities i JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
              WHERE c.archived = 0 AND c.merged_into IS NULL ORDER BY c.platform, c.external_id`)
    .all() as Array<{ id: number; country: string | null; city: string | null; createdAt: string | null; consent: string; attributes: string }>;
  for (const c of contacts) {
    const i = indexOf.get(c.id);
    if (i === undefined) continue;
    const f = facts[i]!;
    if (c.country && !f.text.country) f.text.country = c.country;
    if (c.city && !f.text.city) f.text.city = c.city;
    if (c.createdAt) {
      const ms = Date.parse(c.createdAt);
      if (Number.isFinite(ms)) f.dates.createdAt = Math.min(f.dates.createdAt ?? Infinity, ms);
    }
    // Unsubscribed anywhere wins over subscribed elsewhere: consent is the person's, not a platform's.
    if (c.consent === 'unsubscribed' || (c.consent === 'subscribed' && f.text.emailConsent !== 'unsubscribed')) f.text.emailConsent = c.consent;
    else f.text.emailConsent ??= 'unknown';
    for (const [key, value] of Object.entries(JSON.parse(c.attributes) as Record<string, string | number | boolean | null>)) {
      if (value !== null && value !== '' && f.attributes[key] === undefined) f.attributes[key] = value;
    }
  }
  for (const f of facts) {
    if (f.dates.createdAt !== undefined) f.numbers.tenureDays = Math.floor((referenceMs - f.dates.createdAt) / MS_PER_DAY);
  }
  return facts;
}
