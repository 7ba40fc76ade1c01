import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@hubspot/api-client';
import { CONNECTORS } from '../../connectors/index.js';
import { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import { openSession, type Session } from '../../src/pipeline/session.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';

export const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
export const TOKEN = 'e2e-hubspot-token';

export interface HubSpotWorld {
  emulator: HubSpotEmulator;
  url: string;
  dbPath: string;
  configPath: string;
  env: NodeJS.ProcessEnv;
  sdk: Client;
  open(): Session;
  writeConfig(yaml: string): void;
  close(): Promise<void>;
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
  const dir = mkdtempSync(join(tmpdir(), 'segsync-e2e-'));
  const dbPath = join(dir, 'segsync.db');
  const configPath = join(dir, 'workspace.yaml');
  const writeConfig = (yaml: string) => writeFileSync(configPath, yaml);
  writeConfig(options.config ?? `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`);
  const env: NodeJS.ProcessEnv = {
    HUBSPOT_ACCESS_TOKEN: TOKEN,
    HUBSPOT_BASE_URL: server.url,
    HUBSPOT_RATE_LIMIT: '2000',
    HUBSPOT_SEARCH_RATE_LIMIT: '50',
    ...(options.searchResultCap ? { HUBSPOT_SEARCH_RESULT_CAP: String(options.searchResultCap) } : {}),
    SEGSYNC_DB: dbPath,
    SEGSYNC_CONFIG: configPath,
  };
  const sessions: Session[] = [];
  return {
    emulator,
    url: server.url,
    dbPath,
    configPath,
    env,
    sdk: new Client({ accessToken: TOKEN, basePath: server.url, numberOfApiCallRetries: 0 }),
    open() {
      const session = openSession({ env, registry: CONNECTORS });
      sessions.push(session);
      return session;
    },
    writeConfig,
    async close() {
      for (const s of sessions) {
        try {
          s.close();
        } catch {
          /* already closed */
        }
      }
      await server.close();
    },
  };
}

export const signal = new AbortController().signal;
