/**
 * The emulator's side of Marketo's limits (platforms.md M5): at most 100 calls accepted in any
 * rolling 20 s (src/sandbox/emulator-rate-window.ts), a daily quota (50,000, below), and a cap on
 * calls in flight (10, in the server).
 */
export { EmulatorRateWindow as RollingWindow } from '../../../src/sandbox/emulator-rate-window.js';

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
