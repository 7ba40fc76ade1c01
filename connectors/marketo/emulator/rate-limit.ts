/**
 * The emulator's side of Marketo's limits (platforms.md M5): at most `max` calls accepted in any
 * rolling window (100 per 20 s), a daily quota (50,000), and a cap on calls in flight (10).
 * Refused calls are not recorded in the window, so a client retrying too early stays refused only
 * until accepted calls age out.
 */
export class RollingWindow {
  private stamps: number[] = [];
  private head = 0;

  constructor(
    readonly max: number,
    readonly intervalMs: number,
    private readonly now: () => number,
  ) {
    if (!Number.isFinite(max) || max < 1) throw new RangeError(`rate limit max must be >= 1, got ${max}`);
    if (!Number.isFinite(intervalMs) || intervalMs < 1) throw new RangeError(`rate limit interval must be >= 1 ms, got ${intervalMs}`);
  }

  private expire(at: number): void {
    const cutoff = at - this.intervalMs;
    while (this.head < this.stamps.length && (this.stamps[this.head] ?? Infinity) <= cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.stamps.length) {
      this.stamps = this.stamps.slice(this.head);
      this.head = 0;
    }
  }

  tryAcquire(): boolean {
    const at = this.now();
    this.expire(at);
    if (this.stamps.length - this.head >= this.max) return false;
    this.stamps.push(at);
    return true;
  }
}

/**
 * Calendar-day counter. Marketo resets at 00:00 CST (UTC-6, no daylight saving): the day is
 * counted from 06:00 UTC.
 */
export class DailyCounter {
  private day = -1;
  private count = 0;

  constructor(
    readonly limit: number,
    private readonly now: () => number,
  ) {}

  private roll(): void {
    const day = Math.floor((this.now() - 6 * 3_600_000) / 86_400_000);
    if (day !== this.day) {
      this.day = day;
      this.count = 0;
    }
  }

  exhausted(): boolean {
    this.roll();
    return this.count >= this.limit;
  }

  add(n = 1): void {
    this.roll();
    this.count += n;
  }

  used(): number {
    this.roll();
    return this.count;
  }
}
