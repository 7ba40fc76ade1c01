import { z } from 'zod';
import { parseOrThrow } from '../../src/config/errors.js';

export const HUBSPOT_DEFAULT_BASE_URL = 'https://api.hubapi.com';

const EnvSchema = z.object({
  HUBSPOT_ACCESS_TOKEN: z.string().min(1, 'set it to the private app access token'),
  HUBSPOT_BASE_URL: z
    .url({ message: 'must be a URL like https://api.hubapi.com' })
    .refine((u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(u), {
      message: 'must use https (the access token travels with every request); plain http is only for a local emulator',
    })
    .default(HUBSPOT_DEFAULT_BASE_URL),
  /** Requests per rolling 10 s your app may make: 100 for a private app on Free/Starter, 190 Pro/Enterprise. */
  HUBSPOT_RATE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(100),
  /** The search API's own per-second limit (docs: 5 per account; older docs 4 per token). */
  HUBSPOT_SEARCH_RATE_LIMIT: z.coerce.number().int().min(1).max(50).default(5),
  HUBSPOT_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  /** HubSpot's search API answers at most 10,000 results per query; only emulators need another value. */
  HUBSPOT_SEARCH_RESULT_CAP: z.coerce.number().int().min(1).max(10_000).default(10_000),
});

export interface HubSpotConfig {
  accessToken: string;
  baseUrl: string;
  rateLimitPer10s: number;
  searchPerSecond: number;
  timeoutMs: number;
  /** HubSpot's search API answers at most this many results per query (docs: 10,000). */
  searchResultCap: number;
  /** HubSpot documents no maximum for list membership calls; we send this many ids per call. */
  listMembershipBatch: number;
  /** Retry policy, shortened in tests. */
  backoff?: { baseMs: number; maxMs: number };
  maxAttempts?: number;
}

export function hubspotConfigFromEnv(env: NodeJS.ProcessEnv): HubSpotConfig | undefined {
  if (!env.HUBSPOT_ACCESS_TOKEN) return undefined;
  const parsed = parseOrThrow(
    EnvSchema,
    Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('HUBSPOT_') && v !== '')),
    'the HubSpot environment (HUBSPOT_*)',
  );
  return {
    accessToken: parsed.HUBSPOT_ACCESS_TOKEN,
    baseUrl: parsed.HUBSPOT_BASE_URL.replace(/\/+$/, ''),
    rateLimitPer10s: parsed.HUBSPOT_RATE_LIMIT,
    searchPerSecond: parsed.HUBSPOT_SEARCH_RATE_LIMIT,
    timeoutMs: parsed.HUBSPOT_TIMEOUT_MS,
    searchResultCap: parsed.HUBSPOT_SEARCH_RESULT_CAP,
    listMembershipBatch: 250,
  };
}
