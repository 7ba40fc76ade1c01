import type { Mapping } from '../config/mapping.js';
import { destinationSettings, sourceSettings, type Workspace } from '../config/workspace.js';
import type { MappingOrigin } from '../config/mapping-origin.js';
import type { DiagnoseInput, Source } from '../domain/connector.js';
import { ApiError } from '../http/errors.js';
import { describeMappingProblems } from '../pipeline/mapping-check.js';
import type { SegmentDefinition } from '../domain/segments.js';
import { listNameFor } from '../pipeline/plan.js';
import { rfmSegmentDefinitions } from '../pipeline/segment.js';
import { clusteringTokenSpecs, tokenSpecs } from '../segmentation/tokens.js';
import { namedClusterings } from '../segmentation/clustering-config.js';
import { fail, ok, warn, type Check } from './check.js';
import type { ConfiguredPlatform } from './env.js';

/** A platform that does not answer within this long fails its line instead of holding up the rest. */
const PLATFORM_TIMEOUT_MS = 60_000;

/**
 * The segments a push would write: the latest run's when the store has one (personas included),
 * else the workspace's RFM and rule segments (personas appear with the first segmentation).
 */
export function expectedSegments(workspace: Workspace, fromStore: SegmentDefinition[] | undefined): SegmentDefinition[] {
  if (fromStore && fromStore.length > 0) return fromStore;
  return [
    ...rfmSegmentDefinitions(workspace),
    ...workspace.segments.map((r): SegmentDefinition => ({ key: r.key, name: r.name, kind: 'rule', description: r.description ?? '' })),
  ];
}

/**
 * Before the first segmentation, the personas (clustering) are not known yet, but a push makes one
 * list per persona all the same: how many more lists to expect, or undefined when the store's
 * latest run already names them (or clustering is off).
 */
export function pendingPersonaLists(workspace: Workspace, fromStore: SegmentDefinition[] | undefined): string | undefined {
  if (fromStore && fromStore.length > 0) return undefined;
  const on = namedClusterings(workspace.segmentation).filter((c) => c.settings.enabled);
  if (on.length === 0) return undefined;
  const parts = on.map(({ name, path, settings }) => {
    const count = `${settings.k === 'auto' ? `${settings.kRange[0]} to ${settings.kRange[1]}` : String(settings.k)}, ${path}.k${settings.k === 'auto' ? ' auto' : ''}`;
    return name === 'customers' ? `one per persona, which the first segmentation finds (${count})` : `one per ${name} persona (${count}, when enough of its population has the data)`;
  });
  return `plus ${parts.join(' and ')}`;
}

async function checkPlatform(
  { descriptor, config }: ConfiguredPlatform,
  mapping: Mapping,
  origin: MappingOrigin | undefined,
  workspace: Workspace,
  segments: SegmentDefinition[],
  personaLists?: string,
): Promise<Check[]> {
  const source = sourceSettings(workspace, descriptor.id);
  const settings = destinationSettings(workspace, descriptor.id);
  if (!source.enabled && !settings.enabled) {
    return [ok(descriptor.id, `off in the workspace config (sources.${descriptor.id}.enabled and destinations.${descriptor.id}.enabled are false)`)];
  }
  const signal = AbortSignal.timeout(PLATFORM_TIMEOUT_MS);
  try {
    const connector = descriptor.open(config as never, { mapping, lookbackMinutes: source.lookbackMinutes });
    if (!connector.diagnose) {
      return [warn(descriptor.id, `the ${descriptor.displayName} connector has no read-only checks`, `run \`segsync pull\` and \`segsync push --dry-run\` to exercise ${descriptor.displayName}`)];
    }
    const destination = connector.destination;
    const writes = settings.enabled && destination !== undefined;
    const predictions = workspace.segmentation.predictions;
    const clusterings = namedClusterings(workspace.segmentation).map((c) => c.name);
    const input: DiagnoseInput = {
      destination: writes,
      tokens: writes && settings.tokens ? tokenSpecs(segments, predictions.enabled ? predictions.horizonMonths : null, clusterings).filter((t) => destination.tokenField(t.key) !== undefined) : [],
      lists: writes && settings.lists
        ? segments.map((segment) => ({ segment, listName: destination.listName?.(segment) ?? listNameFor(settings, segment.name) }))
        : [],
      signal,
    };
    const checks = await connector.diagnose(input);
    if (personaLists && input.lists.length > 0) {
      for (const check of checks) if (check.name === `${descriptor.id} lists` && check.status !== 'fail') check.detail = `${check.detail}; ${personaLists}`;
    }
    // A named clustering's persona tokens go only where the mapping names a field: say which do not.
    const unmapped = writes && settings.tokens
      ? clusterings.filter((name) => name !== 'customers').flatMap((name) => clusteringTokenSpecs(name).filter((t) => destination.tokenField(t.key) === undefined).map((t) => ({ name, key: t.key })))
      : [];
    if (unmapped.length > 0) {
      const names = [...new Set(unmapped.map((u) => u.name))];
      checks.push(warn(`${descriptor.id} persona tokens`, `no ${descriptor.displayName} field is mapped for ${unmapped.map((u) => u.key).join(', ')}: the ${names.join(', ')} persona${names.length === 1 ? ' is' : 's are'} not written to ${descriptor.displayName} (its lists are)`,
        `to write ${unmapped.length === 1 ? 'it' : 'them'}, add ${unmapped.map((u) => `${u.key}: <field>`).join(', ')} under tokens: in the ${descriptor.id} mapping file`));
    }
    // The credentials line already says why nothing else can be checked.
    const unreachable = checks.some((c) => c.status === 'fail' && c.name === `${descriptor.id} credentials`);
    if (source.enabled && connector.source?.checkMapping && origin && !unreachable) {
      checks.push(await mappedFieldsCheck(descriptor.id, descriptor.displayName, connector.source, origin, signal));
    }
    return checks;
  } catch (error) {
    const message = signal.aborted ? `no answer within ${PLATFORM_TIMEOUT_MS / 1000} s` : error instanceof Error ? error.message : String(error);
    return [fail(descriptor.id, message, `check ${descriptor.displayName}'s variables (see .env.example) and the network`)];
  }
}

/**
 * The check a pull makes before writing anything: every mapped field exists on the platform.
 * A check that could not run (scope, network) fails with its own reason, never as "does not exist".
 */
async function mappedFieldsCheck(platform: string, displayName: string, source: Source, origin: MappingOrigin, signal: AbortSignal): Promise<Check> {
  const name = `${platform} mapped fields`;
  try {
    const problems = await source.checkMapping!(signal);
    if (problems.length === 0) return ok(name, `every field the mapping reads exists on ${displayName}, and every consent and status value it lists is one ${displayName} declares (where it declares them)`);
    const { detail, fix } = describeMappingProblems(platform, displayName, problems, origin);
    return fail(name, detail, fix);
  } catch (error) {
    const message = signal.aborted ? `no answer within ${PLATFORM_TIMEOUT_MS / 1000} s` : error instanceof Error ? error.message : String(error);
    return fail(name, `could not check the mapped fields on ${displayName}: ${message}`, error instanceof ApiError && error.hint ? error.hint : `fix what the message says, then run \`segsync doctor\` again`);
  }
}

/** Every configured platform at once; the lines come back in registry order. */
export async function checkPlatforms(
  platforms: readonly ConfiguredPlatform[],
  mappings: ReadonlyMap<string, Mapping>,
  workspace: Workspace,
  segments: SegmentDefinition[],
  origins: ReadonlyMap<string, MappingOrigin> = new Map(),
  /** pendingPersonaLists(): the lists a push adds beyond `segments`, not known by name yet. */
  personaLists?: string,
): Promise<Check[]> {
  const results = await Promise.all(
    platforms.map((p) => {
      const mapping = mappings.get(p.descriptor.id);
      // Its mapping line already failed and says why; a connector cannot open without one.
      return mapping ? checkPlatform(p, mapping, origins.get(p.descriptor.id), workspace, segments, personaLists) : Promise.resolve([]);
    }),
  );
  return results.flat();
}
