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

  /**
   * Call inside the page's transaction. A field a line marks `unread` keeps the stored line's value
   * (same position, same vendor): a read without the scope, or whose products read failed, never
   * blanks what an earlier read found.
   */
  replace(platform: string, purchaseExternalId: string, items: readonly PurchaseItem[]): void {
    const stored = items.some((item) => item.unread?.length) ? this.forPurchase(platform, purchaseExternalId) : [];
    this.deleteStmt.run(platform, purchaseExternalId);
    items.forEach((item, line) => {
      const before = stored[line];
      const keep = (field: 'productType' | 'collections') => before !== undefined && before.vendor === item.vendor && item.unread?.includes(field) === true;
      const productType = keep('productType') ? before!.productType : item.productType;
      const collections = keep('collections') ? before!.collections : item.collections;
      this.insertStmt.run(platform, purchaseExternalId, line, productType, item.vendor, JSON.stringify(collections), item.quantity, item.amount);
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
