/** Test helper: a Shopify emulator on a free port, a fresh store and workspace config. */
import { shopify } from '../../connectors/shopify/index.js';
import { ShopifyEmulator, type ShopifyEmulatorOptions } from '../../connectors/shopify/emulator/index.js';
import type { ConnectorDescriptor } from '../../src/domain/connector.js';
import { storeWorld, type StoreWorld } from './world.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { populationOn } from '../../src/sandbox/presence.js';

export const SHOPIFY_TOKEN = 'shpat_e2e-shopify-token';
/** Today 00:00 UTC: the emulator's 60-day window runs on the real clock, so the population ends today. */
export const SHOPIFY_ANCHOR = (() => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
})();

export interface ShopifyWorld extends StoreWorld {
  emulator: ShopifyEmulator;
  url: string;
}

export async function shopifyWorld(
  options: { size?: number; seed?: number; config?: string; emulator?: ShopifyEmulatorOptions; env?: Record<string, string> } = {},
): Promise<ShopifyWorld> {
  const emulator = new ShopifyEmulator({ accessToken: SHOPIFY_TOKEN, ...options.emulator });
  emulator.load(populationOn(generatePopulation(parsePopulationOptions({ seed: options.seed ?? 11, size: options.size ?? 300, anchor: SHOPIFY_ANCHOR })), 'shopify'));
  const server = await emulator.listen();
  const world = storeWorld({
    name: 'shopify',
    config: options.config ?? `segmentation:\n  referenceDate: ${SHOPIFY_ANCHOR.toISOString()}\n`,
    platformEnv: { SHOPIFY_ACCESS_TOKEN: SHOPIFY_TOKEN, SHOPIFY_SHOP_URL: server.url, ...options.env },
    registry: [shopify as ConnectorDescriptor<never>],
    server,
  });
  return { ...world, emulator, url: server.url };
}

export { signal } from './world.js';
