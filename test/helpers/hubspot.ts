import type { HubSpotConfig } from '../../connectors/hubspot/config.js';

export function testHubSpotConfig(overrides: Partial<HubSpotConfig> = {}): HubSpotConfig {
  return {
    accessToken: 'pat-test-secret-token',
    baseUrl: 'https://api.hubapi.com',
    rateLimitPer10s: 1000,
    searchPerSecond: 50,
    timeoutMs: 2_000,
    searchResultCap: 10_000,
    listMembershipBatch: 250,
    backoff: { baseMs: 5, maxMs: 20 },
    maxAttempts: 4,
    ...overrides,
  };
}
