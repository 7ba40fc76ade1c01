/**
 * Shopify's per-app leaky bucket of query-cost points: a query may start only when the bucket
 * holds its requested cost; the difference between requested and actual cost is refunded after it
 * ran; points come back at `restoreRate` per second up to `maximumAvailable`.
 */
export interface BucketSettings {
  maximumAvailable: number;
  restoreRate: number;
}

/** A Standard plan today: the recorded answers and current docs show 2,000 points restored at 100/s. */
export const STANDARD_BUCKET: BucketSettings = { maximumAvailable: 2000, restoreRate: 100 };

export class LeakyBucket {
  private level: number;
  private at: number;

  constructor(
    readonly settings: BucketSettings,
    private readonly now: () => number,
  ) {
    if (!(settings.maximumAvailable > 0) || !(settings.restoreRate > 0)) {
      throw new RangeError(`bucket needs positive maximumAvailable and restoreRate, got ${JSON.stringify(settings)}`);
    }
    this.level = settings.maximumAvailable;
    this.at = now();
  }

  available(): number {
    const t = this.now();
    this.level = Math.min(this.settings.maximumAvailable, this.level + ((t - this.at) / 1000) * this.settings.restoreRate);
    this.at = t;
    return this.level;
  }

  /** Takes `cost` points if the bucket holds them. */
  take(cost: number): boolean {
    if (cost > this.available()) return false;
    this.level -= cost;
    return true;
  }

  refund(points: number): void {
    this.available();
    this.level = Math.min(this.settings.maximumAvailable, this.level + Math.max(0, points));
  }

  /** As `extensions.cost.throttleStatus` reports it (whole points available, like Shopify). */
  status(): { maximumAvailable: number; currentlyAvailable: number; restoreRate: number } {
    return {
      maximumAvailable: this.settings.maximumAvailable,
      currentlyAvailable: Math.floor(this.available()),
      restoreRate: this.settings.restoreRate,
    };
  }
}
