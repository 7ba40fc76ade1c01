/**
 * The emulator's side of Marketo's limits (platforms.md M5): at most 100 calls accepted in any
 * rolling 20 s, a daily quota (50,000 calls; bulk exports 500 MB) that resets at 00:00 CST, and a
 * cap on calls in flight (10, in the server).
 */
import { EmulatorDailyQuota } from '../../../src/sandbox/emulator-rate-window.js';

export { EmulatorRateWindow as RollingWindow } from '../../../src/sandbox/emulator-rate-window.js';

/** Marketo's day starts at 00:00 CST (UTC-6, no daylight saving) = 06:00 UTC. */
export class DailyCounter extends EmulatorDailyQuota {
  constructor(limit: number, now: () => number) {
    super(limit, now, 6 * 3_600_000);
  }
}
