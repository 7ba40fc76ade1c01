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

/**
 * Five repeat buyers each place one more won deal, a few days before ANCHOR: a small, ordinary
 * change between two syncs. Returns the buyers' contact ids (fewer than five if the population has fewer).
 */
export function fiveRepeatBuyersOrderAgain(world: HubSpotWorld): string[] {
  const deals = world.emulator.listDeals().filter((d) => d.properties.dealstage === 'closedwon' && d.properties.amount);
  const buyers = [...new Set(deals.map((d) => d.contactIds[0]!))].filter((id) => world.emulator.dealIdsForContact(id).length >= 2).slice(0, 5);
  for (const [i, id] of buyers.entries()) {
    const currency = deals.find((d) => d.contactIds.includes(id))!.properties.deal_currency_code ?? '';
    world.emulator.createDeal(id, {
      dealname: `New order ${i}`,
      amount: (37.15 + i * 11.3).toFixed(2),
      deal_currency_code: currency,
      closedate: new Date(ANCHOR.getTime() - (3 + i) * 86_400_000).toISOString(),
      dealstage: 'closedwon',
    });
  }
  return buyers;
}
