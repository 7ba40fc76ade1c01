import type { Db } from './db.js';
import type { PurchaseItem } from '../domain/records.js';

/** The lines of purchases (migration 14): replaced as a whole when a purchase is written with items. */
export class PurchaseItems {
  private readonly deleteStmt;
  private readonly insertStmt;

  constructor(private readonly db: Db) {
    this.deleteStmt = db.prepare('DELETE FROM purchase_items WHERE platform = ? AND purchase_external_id = ?');
    this.insertStmt = db.prepare(`INSERT INTO purchase_items (platform, purchase_external_id, line, product_type, vendor, collections, quantity, amount)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  /** Call inside the page's transaction. */
  replace(platform: string, purchaseExternalId: string, items: readonly PurchaseItem[]): void {
    this.deleteStmt.run(platform, purchaseExternalId);
    items.forEach((item, line) => {
      this.insertStmt.run(platform, purchaseExternalId, line, item.productType, item.vendor, JSON.stringify(item.collections), item.quantity, item.amount);
    });
  }

  /** The stored lines of one purchase, in order. */
  forPurchase(platform: string, purchaseExternalId: string): PurchaseItem[] {
    const rows = this.db
      .prepare('SELECT product_type, vendor, collections, quantity, amount FROM purchase_items WHERE platform = ? AND purchase_external_id = ? ORDER BY line')
      .all(platform, purchaseExternalId) as Array<{ product_type: string | null; vendor: string | null; collections: string; quantity: number; amount: number | null }>;
    return rows.map((r) => ({ productType: r.product_type, vendor: r.vendor, collections: JSON.parse(r.collections) as string[], quantity: r.quantity, amount: r.amount }));
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM purchase_items').get() as { n: number }).n;
  }
}
