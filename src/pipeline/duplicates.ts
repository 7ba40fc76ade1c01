import type { Db } from '../store/db.js';

export type DuplicateReason = 'email_typo' | 'same_name_and_city' | 'same_phone';

export interface DuplicatePair {
  profileA: number;
  profileB: number;
  /** Every reason the two look alike, in a fixed order. */
  reasons: DuplicateReason[];
  /** What matched, one entry per reason, e.g. "ada.lovelace@gmail.com ~ ada.lovelac@gmail.com". */
  evidence: string[];
}

interface ProfileFacts {
  id: number;
  emails: Set<string>;
  names: Set<string>;
  cities: Set<string>;
  phones: Set<string>;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), stopping above 1. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return false;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const restA = a.slice(i);
  const restB = b.slice(i);
  if (restA.length === restB.length) {
    if (restA.slice(1) === restB.slice(1)) return true; // substitution
    return restA.length >= 2 && restA[0] === restB[1] && restA[1] === restB[0] && restA.slice(2) === restB.slice(2); // transposition
  }
  return restA.length > restB.length ? restA.slice(1) === restB : restB.slice(1) === restA; // insertion/deletion
}

function loadFacts(db: Db): ProfileFacts[] {
  const rows = db
    .prepare(`SELECT i.profile_id AS id, c.email_normalized AS email, c.first_name AS first, c.last_name AS last,
                c.city, c.phone_normalized AS phone
              FROM identities i JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
              WHERE c.archived = 0 AND c.merged_into IS NULL ORDER BY i.profile_id`)
    .all() as Array<{ id: number; email: string | null; first: string | null; last: string | null; city: string | null; phone: string | null }>;
  const byId = new Map<number, ProfileFacts>();
  for (const r of rows) {
    let f = byId.get(r.id);
    if (!f) byId.set(r.id, (f = { id: r.id, emails: new Set(), names: new Set(), cities: new Set(), phones: new Set() }));
    if (r.email) f.emails.add(r.email);
    const name = `${r.first ?? ''} ${r.last ?? ''}`.trim().toLowerCase().replace(/\s+/g, ' ');
    if (name) f.names.add(name);
    if (r.city) f.cities.add(r.city.trim().toLowerCase());
    if (r.phone) f.phones.add(r.phone);
  }
  return [...byId.values()];
}

/**
 * Pairs of profiles that are probably one person but not certainly: emails one typo apart, the
 * same name in the same city under different emails, or a shared phone. They are reported for an
 * admin to check, never merged.
 */
export function findLikelyDuplicates(db: Db): DuplicatePair[] {
  const facts = loadFacts(db);
  const pairs = new Map<string, DuplicatePair>();
  const add = (a: number, b: number, reason: DuplicateReason, evidence: string) => {
    if (a === b) return;
    const [lo, hi] = a < b ? [a, b] : [b, a];
    const key = `${lo}:${hi}`;
    const pair = pairs.get(key) ?? { profileA: lo, profileB: hi, reasons: [], evidence: [] };
    pairs.set(key, pair);
    if (pair.reasons.includes(reason)) return;
    pair.reasons.push(reason);
    pair.evidence.push(evidence);
  };

  // Emails one edit apart: every email and each of its one-character deletions point to it, so two
  // emails within one edit always share a key (symmetric-delete candidates), then verified exactly.
  const byVariant = new Map<string, Array<{ id: number; email: string }>>();
  for (const f of facts) {
    for (const email of f.emails) {
      const variants = new Set([email]);
      for (let i = 0; i < email.length; i++) variants.add(email.slice(0, i) + email.slice(i + 1));
      for (const v of variants) {
        let bucket = byVariant.get(v);
        if (!bucket) byVariant.set(v, (bucket = []));
        bucket.push({ id: f.id, email });
      }
    }
  }
  for (const bucket of byVariant.values()) {
    if (bucket.length < 2 || bucket.length > 50) continue; // a huge bucket is a common short string, not a typo
    for (let i = 0; i < bucket.length; i++) {
      for (let j = i + 1; j < bucket.length; j++) {
        const x = bucket[i]!;
        const y = bucket[j]!;
        if (x.id !== y.id && withinOneEdit(x.email, y.email)) add(x.id, y.id, 'email_typo', `${x.email} ~ ${y.email}`);
      }
    }
  }

  const group = (keyOf: (f: ProfileFacts) => string[], reason: DuplicateReason, describe: (k: string) => string) => {
    const byKey = new Map<string, number[]>();
    for (const f of facts) {
      for (const k of keyOf(f)) {
        let ids = byKey.get(k);
        if (!ids) byKey.set(k, (ids = []));
        ids.push(f.id);
      }
    }
    for (const [k, ids] of byKey) {
      if (ids.length < 2 || ids.length > 20) continue;
      for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) add(ids[i]!, ids[j]!, reason, describe(k));
    }
  };
  group((f) => [...f.names].flatMap((n) => [...f.cities].map((c) => `${n}|${c}`)), 'same_name_and_city', (k) => k.replace('|', ' in '));
  group((f) => [...f.phones], 'same_phone', (k) => `phone ${k}`);

  // Pairs with more evidence first: those are the likeliest.
  return [...pairs.values()].sort((a, b) => b.reasons.length - a.reasons.length || a.profileA - b.profileA || a.profileB - b.profileB);
}
