import { createHmac } from 'node:crypto';
import type { Db } from './db.js';
import { normalizeEmail, normalizePhone } from './source-records.js';

/**
 * The suppression list of forgotten people. Each entry is a keyed hash (HMAC-SHA256 under the
 * store's own random salt, made by migration 9) of a normalised email, a normalised phone, a
 * contact's `platform:external id` or one of their own purchases' ids: enough to recognise the person when a platform or a file sends them
 * again, nothing to read their email from. A salt per store means a hash from one store says
 * nothing about another.
 */
export type SuppressionKind = 'email' | 'phone' | 'identity';

export interface SuppressionKey {
  kind: SuppressionKind;
  /** Already normalised (see `emailKey`, `phoneKey`, `identityKey`). */
  value: string;
}

export const emailKey = (email: string | null): SuppressionKey | undefined => {
  const value = normalizeEmail(email);
  return value ? { kind: 'email', value } : undefined;
};

export const phoneKey = (phone: string | null): SuppressionKey | undefined => {
  const value = normalizePhone(phone);
  return value ? { kind: 'phone', value } : undefined;
};

export const identityKey = (platform: string, externalId: string): SuppressionKey => ({ kind: 'identity', value: `${platform}:${externalId}` });

/** A forgotten person's own purchase (a deal or order of theirs alone): a platform may keep it after erasing them. */
export const purchaseKey = (platform: string, externalId: string): SuppressionKey => ({ kind: 'identity', value: `purchase:${platform}:${externalId}` });

export class Suppressions {
  private saltValue: Buffer | undefined;

  constructor(private readonly db: Db) {}

  private salt(): Buffer {
    if (!this.saltValue) {
      const row = this.db.prepare('SELECT salt FROM suppression_salt WHERE id = 1').get() as { salt: Buffer } | undefined;
      if (!row) throw new Error('the store has no suppression salt (migration 9 did not run)');
      this.saltValue = row.salt;
    }
    return this.saltValue;
  }

  hash(key: SuppressionKey): string {
    return createHmac('sha256', this.salt()).update(`${key.kind}:${key.value}`).digest('base64url');
  }

  /** Adds keys (idempotent); returns how many were new. Call inside the caller's transaction. */
  add(keys: readonly SuppressionKey[], at: string): number {
    const insert = this.db.prepare('INSERT OR IGNORE INTO suppressions (key_hash, kind, added_at) VALUES (?, ?, ?)');
    let added = 0;
    for (const key of keys) added += insert.run(this.hash(key), key.kind, at).changes;
    return added;
  }

  /** Every hash on the list (the list holds one row per forgotten email, phone or id: small). */
  all(): Set<string> {
    return new Set((this.db.prepare('SELECT key_hash FROM suppressions').all() as Array<{ key_hash: string }>).map((r) => r.key_hash));
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM suppressions').get() as { n: number }).n;
  }
}
