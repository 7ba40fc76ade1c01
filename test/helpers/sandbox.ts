import { Client } from '@hubspot/api-client';
import { CONNECTORS } from '../../connectors/index.js';
import { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import { storeWorld, type StoreWorld } from './world.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';

export const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
export const TOKEN = 'e2e-hubspot-token';

export interface HubSpotWorld extends StoreWorld {
  emulator: HubSpotEmulator;
  url: string;
  sdk: Client;
}

/** An emulator on a free port with a small population, and a fresh store and workspace config. */
export async function hubspotWorld(options: { size?: number; seed?: number; searchResultCap?: number; config?: string } = {}): Promise<HubSpotWorld> {
  const emulator = new HubSpotEmulator({
    accessToken: TOKEN,
    rateLimit: { max: 2000, intervalMs: 10_000 },
    searchPerSecond: 100,
    ...(options.searchResultCap ? { searchResultCap: options.searchResultCap } : {}),
  });
  emulator.load(generatePopulation(parsePopulationOptions({ seed: options.seed ?? 7, size: options.size ?? 300, anchor: ANCHOR })));
  const server = await emulator.listen();
  const world = storeWorld({
    name: 'e2e',
    config: options.config ?? `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`,
    platformEnv: {
      HUBSPOT_ACCESS_TOKEN: TOKEN,
      HUBSPOT_BASE_URL: server.url,
      HUBSPOT_RATE_LIMIT: '2000',
      HUBSPOT_SEARCH_RATE_LIMIT: '50',
      ...(options.searchResultCap ? { HUBSPOT_SEARCH_RESULT_CAP: String(options.searchResultCap) } : {}),
    },
    registry: CONNECTORS,
    server,
  });
  return {
    ...world,
    emulator,
    url: server.url,
    sdk: new Client({ accessToken: TOKEN, basePath: server.url, numberOfApiCallRetries: 0 }),
  };
}

export { signal } from './world.js';
