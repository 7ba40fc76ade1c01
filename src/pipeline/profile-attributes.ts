import type { Db } from '../store/db.js';
import type { ProfileAttributes } from '../segmentation/features.js';

/**
 * The person's static facts across platforms, one entry per live profile: the most restrictive
 * consent, the earliest creation date, and the first value seen of everything else (platforms in
 * name order, then contact id, so the choice is stable).
 */
export function loadProfileAttributes(db: Db, profileIds: readonly number[]): ProfileAttributes {
  const rows = profileIds.length;
  const indexOf = new Map(profileIds.map((id, i) => [id, i]));
  const out: ProfileAttributes = {
    createdAtMs: new Float64Array(rows).fill(Number.NaN),
    country: new Array<string | null>(rows).fill(null),
    city: new Array<string | null>(rows).fill(null),
    emailConsent: new Array<string | null>(rows).fill('unknown'),
    attributes: new Map(),
  };
  const contacts = db
    .prepare(`SELECT i.profile_id AS id, c.country, c.city, c.created_at AS createdAt, c.email_consent AS consent, c.attributes
              FROM identities i JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
              WHERE c.archived = 0 AND c.merged_into IS NULL ORDER BY c.platform, c.external_id`)
    .iterate() as IterableIterator<{ id: number; country: string | null; city: string | null; createdAt: string | null; consent: string; attributes: string }>;
  // Repeated texts (countries, cities, industries) are kept once, not once per person.
  const texts = new Map<string, string>();
  const shared = (text: string): string => {
    const known = texts.get(text);
    if (known !== undefined) return known;
    texts.set(text, text);
    return text;
  };
  for (const c of contacts) {
    const i = indexOf.get(c.id);
    if (i === undefined) continue;
    if (c.country && out.country[i] === null) out.country[i] = shared(c.country);
    if (c.city && out.city[i] === null) out.city[i] = shared(c.city);
    if (c.createdAt) {
      const ms = Date.parse(c.createdAt);
      if (Number.isFinite(ms) && !(out.createdAtMs[i]! <= ms)) out.createdAtMs[i] = ms;
    }
    // Unsubscribed anywhere wins over subscribed elsewhere: consent is the person's, not a platform's.
    if (c.consent === 'unsubscribed' || (c.consent === 'subscribed' && out.emailConsent[i] !== 'unsubscribed')) out.emailConsent[i] = c.consent;
    if (c.attributes === '{}') continue;
    for (const [key, value] of Object.entries(JSON.parse(c.attributes) as Record<string, string | number | boolean | null>)) {
      if (value === null || value === '') continue;
      let column = out.attributes.get(key);
      if (!column) out.attributes.set(key, (column = new Array<string | number | boolean | null>(rows).fill(null)));
      if (column[i] === null) column[i] = typeof value === 'string' && value.length <= 64 ? shared(value) : value;
    }
  }
  return out;
}
