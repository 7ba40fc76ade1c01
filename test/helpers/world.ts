import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectorDescriptor } from '../../src/domain/connector.js';
import { openSession, type Session } from '../../src/pipeline/session.js';
import { loadMapping } from '../../src/config/mapping.js';
import { packageRoot } from '../../src/config/paths.js';
import { groupOf } from '../../src/measure/control-groups.js';
import { controlGroupSalt } from '../../src/store/store-settings.js';
import { unsubscribedProfileIds } from '../../src/store/consent.js';

/** Token key → the platform field it is written to, from the shipped mappings/<platform>.yaml. */
export function tokenFields(platform: string): Record<string, string> {
  return loadMapping(join(packageRoot(), 'mappings', `${platform}.yaml`)).tokens;
}

export const signal = new AbortController().signal;

/** A fresh store and workspace config beside an emulator, with sessions opened on them. */
export interface StoreWorld {
  dbPath: string;
  configPath: string;
  env: NodeJS.ProcessEnv;
  open(): Session;
  writeConfig(yaml: string): void;
  close(): Promise<void>;
}

export function storeWorld(options: {
  name: string;
  config: string;
  /** The platform's environment (credentials, base URL, limits). */
  platformEnv: Record<string, string>;
  registry: readonly ConnectorDescriptor<never>[];
  server: { close(): Promise<void> };
}): StoreWorld {
  const dir = mkdtempSync(join(tmpdir(), `segsync-${options.name}-`));
  const dbPath = join(dir, 'segsync.db');
  const configPath = join(dir, 'workspace.yaml');
  const writeConfig = (yaml: string) => writeFileSync(configPath, yaml);
  writeConfig(options.config);
  const env: NodeJS.ProcessEnv = { ...options.platformEnv, SEGSYNC_DB: dbPath, SEGSYNC_CONFIG: configPath };
  const sessions: Session[] = [];
  return {
    dbPath,
    configPath,
    env,
    writeConfig,
    open() {
      const session = openSession({ env, registry: options.registry });
      sessions.push(session);
      return session;
    },
    async close() {
      for (const s of sessions) {
        try {
          s.close();
        } catch {
          /* already closed */
        }
      }
      await options.server.close();
    },
  };
}

/**
 * Whether the workspace's control groups keep this member off the segment's list (issue 14):
 * in control for it, and not opted out anywhere (those are outside both groups).
 */
export function heldOutAsControl(session: Session): (profileId: number, segmentKey: string) => boolean {
  const salt = controlGroupSalt(session.db);
  const outside = unsubscribedProfileIds(session.db);
  return (profileId, segmentKey) => !outside.has(profileId) && groupOf(profileId, salt, segmentKey, session.workspace.controlGroups) === 'control';
}

/** The store's view: segment name → the platform's ids of the profiles on its list (live, subscribed, not held out as control). */
export function expectedMembers(session: Session, platform: string): Map<string, Set<string>> {
  const rows = session.db
    .prepare(`SELECT s.key, s.name, m.profile_id, i.external_id FROM memberships m JOIN segments s ON s.key = m.segment_key
              JOIN identities i ON i.profile_id = m.profile_id AND i.platform = ?
              JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
              WHERE m.left_at IS NULL AND c.archived = 0 AND c.merged_into IS NULL AND c.email_consent <> 'unsubscribed'`)
    .all(platform) as Array<{ key: string; name: string; profile_id: number; external_id: string }>;
  const heldOut = heldOutAsControl(session);
  const bySegment = new Map<string, Set<string>>();
  for (const s of session.db.prepare('SELECT name FROM segments').all() as Array<{ name: string }>) bySegment.set(s.name, new Set());
  for (const r of rows) if (!heldOut(r.profile_id, r.key)) bySegment.get(r.name)!.add(r.external_id);
  return bySegment;
}
