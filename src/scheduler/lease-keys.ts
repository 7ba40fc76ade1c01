import { destinationSettings, sourceSettings } from '../config/workspace.js';
import type { Session } from '../pipeline/session.js';

/** What a run does, as the daemon's jobs and the commands say it. */
export type Operation = 'pull' | 'segment' | 'push' | 'sync';

/** The segmentation writes one store-wide run: one at a time per store. */
export const SEGMENT_LEASE = 'segment:store';

/**
 * The operation leases a run takes besides its job's own: `pull:<platform>` for each source it
 * reads, `segment:store` when it segments, `push:<platform>` for each destination it writes. A
 * manual `segsync push` and a scheduled job `push-hubspot` (or `sync-all`) both need
 * `push:hubspot`, so they never send the same changes at the same time, whatever the jobs are
 * called. Job names are lower-kebab-case, so a key with a colon is never a job's name.
 * Computed from the open session, by the commands and the daemon alike, so both see the same
 * platforms: the configured ones, enabled as a source or destination, limited to `platforms`.
 */
export function operationLeaseKeys(session: Session, run: Operation, options: { platforms?: readonly string[]; dryRun?: boolean } = {}): string[] {
  const chosen = (id: string) => options.platforms === undefined || options.platforms.includes(id);
  const pulls = run === 'pull' || run === 'sync'
    ? session.connectors.filter((c) => c.connector.source && sourceSettings(session.workspace, c.id).enabled && chosen(c.id)).map((c) => `pull:${c.id}`)
    : [];
  const segments = run === 'segment' || run === 'sync' ? [SEGMENT_LEASE] : [];
  // A dry run sends nothing, so it needs no destination to itself.
  const pushes = (run === 'push' || run === 'sync') && !options.dryRun
    ? session.connectors.filter((c) => c.connector.destination && destinationSettings(session.workspace, c.id).enabled && chosen(c.id)).map((c) => `push:${c.id}`)
    : [];
  return [...pulls, ...segments, ...pushes];
}
