/** Calendar-day counter (UTC days; HubSpot resets at midnight in the account's time zone). */
export class DailyCounter {
  private day = -1;
  private count = 0;

  constructor(
    readonly limit: number,
    private readonly now: () => number,
  ) {}

  private roll(): void {
    const day = Math.floor(this.now() / 86_400_000);
    if (day !== this.day) {
      this.day = day;
      this.count = 0;
    }
  }

  exhausted(): boolean {
    this.roll();
    return this.count >= this.limit;
  }

  take(): void {
    this.roll();
    this.count++;
  }

  remaining(): number {
    this.roll();
    return Math.max(0, this.limit - this.count);
  }
}
