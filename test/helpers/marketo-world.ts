/**
 * Test helper: a Marketo emulator on a free port with a small population
 * as Marketo sees it, and a fresh store and workspace config, driven through the real pipeline.
 */
import { marketo } from '../../connectors/marketo/index.js';
import { MarketoEmulator, type MarketoEmulatorOptions } from '../../connectors/marketo/emulator/index.js';
import type { LeadValue } from '../../connectors/marketo/emulator/state.js';
import type { ConnectorDescriptor } from '../../src/domain/connector.js';
import type { Session } from '../../src/pipeline/session.js';
import { expectedMembers as membersOn, storeWorld, type StoreWorld } from './world.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { populationOn } from '../../src/sandbox/presence.js';
import type { SyntheticPerson } from '../../src/sandbox/population-types.js';

export const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
export const CLIENT_ID = 'e2e-marketo-client';
export const CLIENT_SECRET = 'e2e-marketo-secret-value';
/** Token → Marketo field, as the shipped mapping file says. */
export const TOKEN_FIELDS: Record<string, string> = tokenFields('marketo');
export const registry = [marketo as ConnectorDescriptor<never>];
export { signal } from './world.js';
import { tokenFields } from './world.js';

export interface MarketoWorld extends StoreWorld {
  emulator: MarketoEmulator;
  url: string;
}

export interface WorldOptions {
  size?: number;
  seed?: number;
  config?: string;
  emulator?: Partial<MarketoEmulatorOptions>;
  env?: Record<string, string>;
  /** Hand-built people to serve instead of a generated population. */
  people?: SyntheticPerson[];
}

/**
 * Limits are Marketo's shape, sped up: by default 1000 calls per second, export jobs done in 5 ms
 * and polled every 10 ms, so a full sync of a small population takes well under a second.
 */
export async function marketoWorld(options: WorldOptions = {}): Promise<MarketoWorld> {
  const emulator = new MarketoEmulator({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    rateLimit: { max: 1000, intervalMs: 1000 },
    exportProcessingMs: 5,
    ...options.emulator,
  });
  emulator.load(options.people ?? populationOn(generatePopulation(parsePopulationOptions({ seed: options.seed ?? 7, size: options.size ?? 300, anchor: ANCHOR })), 'marketo'));
  const server = await emulator.listen();
  const world = storeWorld({
    name: 'marketo',
    config: options.config ?? `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`,
    platformEnv: {
      MARKETO_BASE_URL: server.url,
      MARKETO_CLIENT_ID: CLIENT_ID,
      MARKETO_CLIENT_SECRET: CLIENT_SECRET,
      MARKETO_BULK_POLL_MS: '10',
      MARKETO_RATE_LIMIT: '1000',
      MARKETO_RATE_WINDOW_MS: '1000',
      ...options.env,
    },
    registry,
    server,
  });
  return { ...world, emulator, url: server.url };
}

/** The store's view: list name → Marketo lead ids of the profiles in the segment (live, subscribed). */
export const expectedMembers = (session: Session): Map<string, Set<string>> => membersOn(session, 'marketo');

/** Token values the store wants on each Marketo lead. */
export function storedTokens(session: Session): Array<{ id: string; token: string; value: string }> {
  return session.db
    .prepare(`SELECT i.external_id AS id, t.token, t.value FROM profile_tokens t
              JOIN identities i ON i.profile_id = t.profile_id AND i.platform = 'marketo'
              JOIN contacts c ON c.platform = 'marketo' AND c.external_id = i.external_id
              WHERE c.archived = 0`)
    .all() as Array<{ id: string; token: string; value: string }>;
}

/**
 * A lead field's value as the token it holds: null is "" (cleared), and Marketo answers number
 * fields as JSON numbers (310.25 for "310.250", 0 for "0.00"), so a number equal to the token's
 * value counts as that value.
 */
export function asTokenValue(shown: LeadValue | undefined, tokenValue: string): string {
  if (shown === null || shown === undefined) return '';
  if (typeof shown === 'number' && tokenValue.trim() !== '' && Number(tokenValue) === shown) return tokenValue;
  return String(shown);
}
