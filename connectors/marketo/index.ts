import type { ConnectorDescriptor } from '../../src/domain/connector.js';
import { defaultMappingFile } from '../../src/config/paths.js';
import { populationOn } from '../../src/sandbox/presence.js';
import { accountCondition } from '../../src/sandbox/emulator-account.js';
import { MarketoClient } from './client.js';
import { marketoConfigFromEnv, type MarketoConfig } from './config.js';
import { createMarketoDestination } from './destination.js';
import { MarketoEmulator } from './emulator/index.js';
import { createMarketoSource } from './source.js';

/** The sandbox emulator's fixed, public credentials (it listens on loopback only). */
export const SANDBOX_MARKETO_CLIENT_ID = 'sandbox-marketo-client';
export const SANDBOX_MARKETO_CLIENT_SECRET = 'sandbox-marketo-secret';

export const marketo: ConnectorDescriptor<MarketoConfig> = {
  id: 'marketo',
  displayName: 'Marketo',
  defaultMappingFile: defaultMappingFile('marketo'),
  enabledBy: 'MARKETO_CLIENT_ID',
  configFromEnv: marketoConfigFromEnv,
  open(config, options) {
    const client = new MarketoClient(config, options.events);
    return {
      transport: client.transport,
      source: createMarketoSource(client, options.mapping, { lookbackMinutes: options.lookbackMinutes }),
      destination: createMarketoDestination(client, options.mapping),
      diagnose: async (input) => (await import('./diagnose.js')).diagnoseMarketo(client, options.mapping, input),
    };
  },
  emulator: {
    mount: '/marketo',
    create(people, pace = 'realistic', account = [], clock) {
      const emulator = new MarketoEmulator({
        ...(clock ? { now: clock } : {}),
        clientId: SANDBOX_MARKETO_CLIENT_ID,
        clientSecret: SANDBOX_MARKETO_CLIENT_SECRET,
        ...(pace === 'fast' ? { rateLimit: { max: 5000, intervalMs: 20_000 } } : {}),
        // The API user's role lacks Read-Write Schema Custom Field: creating token fields answers 603.
        ...(accountCondition(account, 'missing-scopes') ? { allowFieldCreation: false } : {}),
      });
      emulator.load(populationOn(people, 'marketo'));
      return emulator;
    },
    env: (baseUrl, pace = 'realistic') => ({
      MARKETO_BASE_URL: `${baseUrl}/marketo`,
      MARKETO_CLIENT_ID: SANDBOX_MARKETO_CLIENT_ID,
      MARKETO_CLIENT_SECRET: SANDBOX_MARKETO_CLIENT_SECRET,
      // The emulator finishes export jobs in a fraction of a second; Marketo's status moves once a minute.
      MARKETO_BULK_POLL_MS: pace === 'fast' ? '20' : '250',
      ...(pace === 'fast' ? { MARKETO_RATE_LIMIT: '5000' } : {}),
    }),
  },
};

export { MarketoClient, MarketoEmulator, type MarketoConfig };
