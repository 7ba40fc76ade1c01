import type { ConnectorDescriptor } from '../../src/domain/connector.js';
import { defaultMappingFile } from '../../src/config/paths.js';
import { populationOn } from '../../src/sandbox/presence.js';
import { ShopifyClient } from './client.js';
import { shopifyConfigFromEnv, type ShopifyConfig } from './config.js';
import { createShopifyDestination } from './destination.js';
import { ShopifyEmulator, STANDARD_BUCKET } from './emulator/index.js';
import { accountCondition } from '../../src/sandbox/emulator-account.js';
import { createShopifySource } from './source.js';

export const SANDBOX_SHOPIFY_TOKEN = 'shpat_sandbox-shopify-token';
/** Shopify Plus: 1,000 points/s restored; bucket of 20 s of restore, as the Standard plan's 2,000 at 100/s. */
export const SHOPIFY_PLUS_BUCKET = { maximumAvailable: 20_000, restoreRate: 1_000 } as const;
/** The sandbox's scopes with `missing-scopes`: the app can read but not write customers. */
const READ_ONLY_SCOPES = ['read_customers', 'read_orders', 'read_all_orders', 'read_products'];

export const shopify: ConnectorDescriptor<ShopifyConfig> = {
  id: 'shopify',
  displayName: 'Shopify',
  defaultMappingFile: defaultMappingFile('shopify'),
  enabledBy: 'SHOPIFY_ACCESS_TOKEN',
  configFromEnv: shopifyConfigFromEnv,
  open(config, options) {
    const client = new ShopifyClient(config, options.events);
    return {
      transport: client.transport,
      source: createShopifySource(client, options.mapping, { lookbackMinutes: options.lookbackMinutes }),
      destination: createShopifyDestination(client, options.mapping),
      diagnose: async (input) => (await import('./diagnose.js')).diagnoseShopify(client, options.mapping, input),
    };
  },
  emulator: {
    mount: '/shopify',
    create(people, pace = 'realistic', account = [], clock) {
      const shopState = accountCondition(account, 'shop-state')?.state;
      const emulator = new ShopifyEmulator({
        ...(clock ? { now: clock } : {}),
        accessToken: SANDBOX_SHOPIFY_TOKEN,
        // The sandbox shop is on a Standard plan (2,000 points, 100 restored per second, current
        // rate-limit docs), as most shops are; `plan:plus` makes it Shopify Plus (1,000/s). Tests
        // lift the bucket entirely.
        bucket: pace === 'fast'
          ? { maximumAvailable: 1_000_000, restoreRate: 1_000_000 }
          : accountCondition(account, 'plan')?.plan === 'plus' ? SHOPIFY_PLUS_BUCKET : STANDARD_BUCKET,
        ...(accountCondition(account, 'missing-scopes') ? { scopes: READ_ONLY_SCOPES } : {}),
        ...(accountCondition(account, 'protected-customer-data') ? { protectedCustomerData: false } : {}),
        ...(shopState ? { shopState } : {}),
      });
      emulator.load(populationOn(people, 'shopify'));
      return emulator;
    },
    env: (baseUrl) => ({ SHOPIFY_ACCESS_TOKEN: SANDBOX_SHOPIFY_TOKEN, SHOPIFY_SHOP_URL: `${baseUrl}/shopify` }),
  },
};

export { ShopifyClient, ShopifyEmulator, type ShopifyConfig };
