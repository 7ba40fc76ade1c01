export interface HealthStatus {
  jobs: Array<{ name: string; lastSuccessAt: string | null; lastFailureAt: string | null; maxAgeMs: number; running: boolean }>;
  counters: { runs: number; failures: number; requests: number; throttled: number; retries: number };
}
