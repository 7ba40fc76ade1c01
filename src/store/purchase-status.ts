import type { Db } from './db.js';
import type { PurchaseStatus } from '../domain/records.js';

/** What the store holds for a purchase about to be written: what the status guard compares with. */
export interface StoredPurchaseStatus {
  status: PurchaseStatus;
  archived: boolean;
}

/** Reads the stored status of purchases about to be written (prepared once per store). */
export class StoredPurchases {
  private readonly select;
  private readonly first;

  constructor(db: Db) {
    this.select = db.prepare<[string, string], { status: PurchaseStatus; archived: number }>(
      'SELECT status, archived FROM purchases WHERE platform = ? AND external_id = ?',
    );
    this.first = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM purchases WHERE platform = ? LIMIT 1');
  }

  /** Whether the store holds any purchase of the platform: with none, there is nothing for the guard to protect. */
  any(platform: string): boolean {
    return this.first.get(platform) !== undefined;
  }

  get(platform: string, externalId: string): StoredPurchaseStatus | undefined {
    const row = this.select.get(platform, externalId);
    return row && { status: row.status, archived: row.archived === 1 };
  }
}
