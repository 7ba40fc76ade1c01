import { z } from 'zod';
import { parseOrThrow } from '../../src/config/errors.js';

/** Marketo's published limits (platforms.md M5): 100 calls per rolling 20 s, 10 in flight. */
export const MARKETO_RATE_LIMIT = { max: 100, intervalMs: 20_000 } as const;
export const MARKETO_MAX_CONCURRENCY = 10;

const IsoDate = z.iso.date({ message: 'must be a date like 2019-01-01' }).or(z.iso.datetime({ message: 'must be an ISO date' }));

const EnvSchema = z.object({
  MARKETO_BASE_URL: z
    .url({ message: 'must be your instance URL like https://123-ABC-456.mktorest.com (Admin > Web Services > REST API)' })
    .refine((u) => /^https:\/\//i.test(u) || /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:|\/|$)/i.test(u), {
      message: 'must use https (the client secret and access token travel with every request); plain http is only for a local emulator',
    }),
  MARKETO_CLIENT_ID: z.string().min(1, 'set it to the custom service\'s Client ID (Admin > LaunchPoint > View Details)'),
  MARKETO_CLIENT_SECRET: z.string({ message: 'is required when MARKETO_CLIENT_ID is set (Admin > LaunchPoint > View Details)' })
    .min(1, 'is required when MARKETO_CLIENT_ID is set (Admin > LaunchPoint > View Details)'),
  /** Lead Database folder that holds the static lists segsync writes (created inside "Group Lists" if missing). */
  MARKETO_LIST_FOLDER: z.string().min(1).max(100).default('segsync'),
  MARKETO_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  /** Calls per rolling window; only change it if Adobe raised your instance's limit, or for emulators. */
  MARKETO_RATE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(MARKETO_RATE_LIMIT.max),
  MARKETO_RATE_WINDOW_MS: z.coerce.number().int().min(100).max(600_000).default(MARKETO_RATE_LIMIT.intervalMs),
  MARKETO_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(MARKETO_MAX_CONCURRENCY).default(MARKETO_MAX_CONCURRENCY),
  /** Bulk export status is refreshed by Marketo once a minute (bulk-lead-extract docs): polling faster wastes calls. */
  MARKETO_BULK_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(60_000),
  /** Where the first full pull's createdAt windows start; by default found from the oldest leads. */
  MARKETO_EXTRACT_SINCE: IsoDate.optional(),
  /**
   * How far back the first engagement pull reads activities (visits, form fills, email opens…);
   * later pulls read only what is new. Marketo purges most activities after a while anyway.
   */
  MARKETO_ACTIVITY_HISTORY_DAYS: z.coerce.number().int().min(1, 'must be at least 1 day').max(3650, 'must be at most 3650 days').default(365),
  /**
   * The first engagement pull reads the history through Bulk Activity Extract (a few calls a month
   * of history); `false` reads it 300 activities a call instead, sparing the shared daily export allowance.
   */
  MARKETO_ACTIVITY_BULK_EXTRACT: z.enum(['true', 'false'], { message: 'must be true or false' }).default('true'),
});

export interface MarketoConfig {
  /** Instance base without a trailing slash; REST under /rest, identity under /identity, bulk under /bulk. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  listFolder: string;
  timeoutMs: number;
  rateLimit: { max: number; intervalMs: number };
  maxConcurrency: number;
  bulkPollMs: number;
  extractSince?: string;
  /** Days of activities the first engagement pull reads (default 365). */
  activityHistoryDays?: number;
  /** false: the first engagement pull pages through REST instead of Bulk Activity Extract (default true). */
  activityBulkExtract?: boolean;
  /** Retry policy, shortened in tests. */
  backoff?: { baseMs: number; maxMs: number };
  maxAttempts?: number;
}

export function marketoConfigFromEnv(env: NodeJS.ProcessEnv): MarketoConfig | undefined {
  if (!env.MARKETO_CLIENT_ID) return undefined;
  const parsed = parseOrThrow(
    EnvSchema,
    Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('MARKETO_') && v !== '')),
    'the Marketo environment (MARKETO_*)',
  );
  return {
    // People paste the REST endpoint (".../rest") or the identity one: both name the same instance.
    baseUrl: parsed.MARKETO_BASE_URL.replace(/\/+$/, '').replace(/\/(rest|identity)$/i, ''),
    clientId: parsed.MARKETO_CLIENT_ID,
    clientSecret: parsed.MARKETO_CLIENT_SECRET,
    listFolder: parsed.MARKETO_LIST_FOLDER,
    timeoutMs: parsed.MARKETO_TIMEOUT_MS,
    rateLimit: { max: parsed.MARKETO_RATE_LIMIT, intervalMs: parsed.MARKETO_RATE_WINDOW_MS },
    maxConcurrency: parsed.MARKETO_MAX_CONCURRENCY,
    bulkPollMs: parsed.MARKETO_BULK_POLL_MS,
    activityHistoryDays: parsed.MARKETO_ACTIVITY_HISTORY_DAYS,
    activityBulkExtract: parsed.MARKETO_ACTIVITY_BULK_EXTRACT === 'true',
    ...(parsed.MARKETO_EXTRACT_SINCE ? { extractSince: new Date(parsed.MARKETO_EXTRACT_SINCE).toISOString() } : {}),
  };
}
