/**
 * The platform side of a rolling-window rate limit, for emulators: at most `max` accepted requests
 * in any window of `intervalMs` (HubSpot's TEN_SECONDLY_ROLLING, Marketo's 100 per 20 s). A rolling
 * window, not fixed buckets, so a burst at the end of one bucket and the start of the next is still
 * refused. Refused requests are not recorded: a client retrying too early stays refused only until
 * the accepted requests age out, as on the real platforms.
 */
export class EmulatorRateWindow {
  /** Accepted timestamps, oldest first; `head` skips the expired ones without shifting. */
  private stamps: number[] = [];
  private head = 0;

  constructor(
    readonly max: number,
    readonly intervalMs: number,
    private readonly now: () => number,
  ) {
    if (!Number.isFinite(max) || max < 1) throw new RangeError(`rate limit max must be >= 1, got ${max}`);
    if (!Number.isFinite(intervalMs) || intervalMs < 1) {
      throw new RangeError(`rate limit interval must be >= 1 ms, got ${intervalMs}`);
    }
  }

  private expire(at: number): void {
    const cutoff = at - this.intervalMs;
    while (this.head < this.stamps.length && (this.stamps[this.head] ?? Infinity) <= cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.stamps.length) {
      this.stamps = this.stamps.slice(this.head);
      this.head = 0;
    }
  }

  /** Requests accepted within the current window. */
  used(): number {
    this.expire(this.now());
    return this.stamps.length - this.head;
  }

  remaining(): number {
    return Math.max(0, this.max - this.used());
  }

  /** Records one request if the window has room; returns whether it was accepted. */
  tryAcquire(): boolean {
    const at = this.now();
    this.expire(at);
    if (this.stamps.length - this.head >= this.max) return false;
    this.stamps.push(at);
    return true;
  }

  reset(): void {
    this.stamps = [];
    this.head = 0;
  }
}


/**
 * A platform's daily request quota, for emulators. The day starts at `dayStartUtcMs` after
 * midnight UTC (HubSpot: the account's time zone, UTC here; Marketo: 00:00 CST = 06:00 UTC).
 */
export class EmulatorDailyQuota {
  private day = -1;
  private count = 0;

  constructor(
    readonly limit: number,
    private readonly now: () => number,
    private readonly dayStartUtcMs = 0,
  ) {}

  private roll(): void {
    const day = Math.floor((this.now() - this.dayStartUtcMs) / 86_400_000);
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

  remaining(): number {
    return Math.max(0, this.limit - this.used());
  }
}
