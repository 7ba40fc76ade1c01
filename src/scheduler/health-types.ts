export interface HealthStatus {
  jobs: Array<{
    name: string;
    lastSuccessAt: string | null;
    lastFailureAt: string | null;
    maxAgeMs: number;
    running: boolean;
    /** Ticks that could not start on time, and the late runs that made them up (since this daemon started). */
    missedTicks: number;
    lateRuns: number;
  }>;
  counters: { runs: number; failures: number; requests: number; throttled: number; retries: number };
}
