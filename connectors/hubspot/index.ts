import type { ConnectorDescriptor } from '../../src/domain/connector.js';
import { defaultMappingFile } from '../../src/config/paths.js';
import { HubSpotClient } from './client.js';
import { hubspotConfigFromEnv, type HubSpotConfig } from './config.js';
import { createHubSpotDestination } from './destination.js';
import { HubSpotEmulator } from './emulator/index.js';
import { createHubSpotSource } from './source.js';
import { populationOn } from '../../src/sandbox/presence.js';
import { accountCondition } from '../../src/sandbox/emulator-account.js';
import { READ_ONLY_SCOPES } from './emulator/access.js';

export const SANDBOX_HUBSPOT_TOKEN = 'sandbox-hubspot-token';

export const hubspot: ConnectorDescriptor<HubSpotConfig> = {
  id: 'hubspot',
  displayName: 'HubSpot',
  defaultMappingFile: defaultMappingFile('hubspot'),
  enabledBy: 'HUBSPOT_ACCESS_TOKEN',
  configFromEnv: hubspotConfigFromEnv,
  open(config, options) {
    const client = new HubSpotClient(config, options.events);
    return {
      transport: client.transport,
      source: createHubSpotSource(client, options.mapping, { lookbackMinutes: options.lookbackMinutes }),
      destination: createHubSpotDestination(client, options.mapping),
      diagnose: async (input) => (await import('./diagnose.js')).diagnoseHubSpot(client, options.mapping, input),
    };
  },
  emulator: {
    mount: '/hubspot',
    create(people, pace = 'realistic', account = [], clock) {
      const emulator = new HubSpotEmulator({
        ...(clock ? { now: clock } : {}),
        accessToken: SANDBOX_HUBSPOT_TOKEN,
        ...(pace === 'fast' ? { rateLimit: { max: 5000, intervalMs: 10_000 }, searchPerSecond: 200 } : {}),
        ...(accountCondition(account, 'missing-scopes') ? { scopes: READ_ONLY_SCOPES } : {}),
      });
      if (accountCondition(account, 'expired-token')) emulator.expireToken();
      emulator.load(populationOn(people, 'hubspot'));
      return emulator;
    },
    env: (baseUrl, pace = 'realistic') => ({
      HUBSPOT_ACCESS_TOKEN: SANDBOX_HUBSPOT_TOKEN,
      HUBSPOT_BASE_URL: `${baseUrl}/hubspot`,
      ...(pace === 'fast' ? { HUBSPOT_RATE_LIMIT: '5000', HUBSPOT_SEARCH_RATE_LIMIT: '50' } : {}),
    }),
  },
};

export { HubSpotClient, HubSpotEmulator, type HubSpotConfig };
