import { openStore, type Db, type StoreMode } from '../store/db.js';
import { readCoreEnv } from '../config/env.js';
import { ConfigError } from '../config/errors.js';
import { resolveMapping, type MappingOrigin } from '../config/mapping-origin.js';
import type { Mapping } from '../config/mapping.js';
import { destinationSettings, loadWorkspace, sourceSettings, type Workspace } from '../config/workspace.js';
import type { ConnectorDescriptor, OpenConnector } from '../domain/connector.js';
import type { TransportEvents } from '../http/transport.js';

export interface SessionConnector {
  id: string;
  displayName: string;
  connector: OpenConnector;
  /** Where its mapping comes from (file, workspace attributes), for errors that say what to edit. */
  mappingOrigin: MappingOrigin;
  /** The mapping it reads and writes with (the file's, with the workspace config's attributes). */
  mapping: Mapping;
}

/** An open store, the validated workspace config and every configured connector. */
export interface Session {
  db: Db;
  dbPath: string;
  workspace: Workspace;
  connectors: SessionConnector[];
  close(): void;
}

export interface SessionOptions {
  env?: NodeJS.ProcessEnv;
  registry: readonly ConnectorDescriptor<never>[];
  /** Commands that only read the store (status) do not need a platform. */
  requireConnector?: boolean;
  events?: TransportEvents;
  /** How the command uses the store (see StoreMode); `create` when not said. */
  store?: StoreMode;
}

export function openSession(options: SessionOptions): Session {
  const env = options.env ?? process.env;
  const core = readCoreEnv(env);
  const workspace = loadWorkspace(core.SEGSYNC_CONFIG, options.registry.map((d) => d.id));
  const connectors: SessionConnector[] = [];
  for (const descriptor of options.registry) {
    const config = descriptor.configFromEnv(env);
    if (config === undefined) continue;
    const source = sourceSettings(workspace, descriptor.id);
    if (!source.enabled && !destinationSettings(workspace, descriptor.id).enabled) continue;
    const { mapping, origin } = resolveMapping(descriptor.id, descriptor.defaultMappingFile, workspace, core.SEGSYNC_CONFIG);
    const connector = descriptor.open(config, {
      mapping,
      lookbackMinutes: source.lookbackMinutes,
      ...(options.events ? { events: options.events } : {}),
    });
    connectors.push({ id: descriptor.id, displayName: descriptor.displayName, connector, mappingOrigin: origin, mapping });
  }
  if (options.requireConnector !== false && connectors.length === 0) {
    const names = options.registry.map((d) => d.displayName).join(', ');
    throw new ConfigError(
      `no platform is configured (${names}). Set ${options.registry.map((d) => d.enabledBy).join(', ')} (see .env.example), ` +
        'or start the emulators with `segsync sandbox` and use the environment lines it prints.',
    );
  }
  const db = openStore(core.SEGSYNC_DB, options.store ?? 'create');
  return { db, dbPath: core.SEGSYNC_DB, workspace, connectors, close: () => db.close() };
}

export function requestCounts(session: Session): Record<string, { reads: number; writes: number; retries: number; throttled: number }> {
  return Object.fromEntries(session.connectors.map((c) => [c.id, { ...c.connector.transport.stats }]));
}
