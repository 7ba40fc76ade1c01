import { isAbsolute, relative } from 'node:path';
import { ConfigError } from '../config/errors.js';
import type { Mapping } from '../config/mapping.js';
import { resolveMapping, type MappingOrigin } from '../config/mapping-origin.js';
import { loadWorkspace, parseWorkspace, sourceSettings, type Workspace } from '../config/workspace.js';
import type { ConnectorDescriptor } from '../domain/connector.js';
import { fail, ok, type Check } from './check.js';
import type { ConfiguredPlatform } from './env.js';

/** A path as the admin would type it: relative to here when below here. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

export interface WorkspaceResult {
  check: Check;
  /** The defaults when the config does not load, so later checks still have settings to read. */
  workspace: Workspace;
  loaded: boolean;
}

export function checkWorkspace(configPath: string | undefined, registry: readonly ConnectorDescriptor<never>[]): WorkspaceResult {
  const ids = registry.map((d) => d.id);
  const defaults = () => parseWorkspace({}, 'the default workspace config', ids);
  if (!configPath) {
    return {
      check: ok('workspace config', 'SEGSYNC_CONFIG is not set: the defaults apply (`segsync init` writes a commented config)'),
      workspace: defaults(),
      loaded: true,
    };
  }
  try {
    const workspace = loadWorkspace(configPath, ids);
    const destinations = Object.keys(workspace.destinations);
    return {
      check: ok(
        'workspace config',
        `${shownPath(configPath)} is valid: RFM window ${workspace.segmentation.windowDays} days, ${workspace.segments.length} rule segment${workspace.segments.length === 1 ? '' : 's'}` +
          (destinations.length > 0 ? `, destination settings for ${destinations.join(', ')}` : ''),
      ),
      workspace,
      loaded: true,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unreadable = error instanceof ConfigError && /cannot be read/.test(message);
    return {
      check: fail(
        'workspace config',
        message,
        unreadable
          ? `create it (\`segsync init --config ${configPath}\`) or point SEGSYNC_CONFIG at the right file`
          : `edit ${configPath}: segsync.example.yaml shows every key and what it takes`,
      ),
      workspace: defaults(),
      loaded: false,
    };
  }
}

export interface MappingResult {
  checks: Check[];
  /** Platform id → its mapping with the workspace's extra attributes, as a session builds it. */
  mappings: Map<string, Mapping>;
  /** Platform id → where that mapping comes from (for the mapped-fields line's fix). */
  origins: Map<string, MappingOrigin>;
}

export function checkMappings(platforms: readonly ConfiguredPlatform[], workspace: Workspace, configPath?: string): MappingResult {
  const checks: Check[] = [];
  const mappings = new Map<string, Mapping>();
  const origins = new Map<string, MappingOrigin>();
  for (const { descriptor } of platforms) {
    const source = sourceSettings(workspace, descriptor.id);
    const path = source.mapping ?? descriptor.defaultMappingFile;
    const name = `mapping ${descriptor.id}`;
    try {
      const { mapping, origin } = resolveMapping(descriptor.id, descriptor.defaultMappingFile, workspace, configPath);
      mappings.set(descriptor.id, mapping);
      origins.set(descriptor.id, origin);
      const tokens = Object.keys(mapping.tokens).length;
      const attributes = Object.keys(mapping.contacts.attributes).length;
      checks.push(ok(name, `${shownPath(path)} loads: ${tokens} token field${tokens === 1 ? '' : 's'}, ${attributes} extra attribute${attributes === 1 ? '' : 's'}`));
    } catch (error) {
      checks.push(
        fail(
          name,
          error instanceof Error ? error.message : String(error),
          source.mapping
            ? `fix ${source.mapping}, or remove sources.${descriptor.id}.mapping from the workspace config to use the shipped mapping`
            : `restore ${path} (it ships with segsync), or set sources.${descriptor.id}.mapping to your own copy`,
        ),
      );
    }
  }
  return { checks, mappings, origins };
}
