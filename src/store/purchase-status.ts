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

  constructor(db: Db) {
    this.select = db.prepare<[string, string], { status: PurchaseStatus; archived: number }>(
      'SELECT status, archived FROM purchases WHERE platform = ? AND external_id = ?',
    );
  }

  get(platform: string, externalId: string): StoredPurchaseStatus | undefined {
    const row = this.select.get(platform, externalId);
    return row && { status: row.status, archived: row.archived === 1 };
  }
}
