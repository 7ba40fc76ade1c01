import { parseStrictDate } from '../domain/dates.js';
import { attributeMap } from './attribute-names.js';
import { z } from 'zod';
import { ConfigError, parseOrThrow } from './errors.js';
import { readYamlFile } from './yaml-file.js';
import { DEFAULT_RFM_SEGMENTS, RfmSegmentRuleSchema, compileRfmSegments } from '../segmentation/rfm-segments.js';
import { checkRuleValues, RuleSegmentSchema } from '../segmentation/rules.js';
import { looksLikePersonaName, PERSONA_KEY_PREFIX, PERSONA_NAME_PREFIX } from '../segmentation/personas.js';
import { ClusteringBodySchema, ClusteringsSchema, clusteringsProblem, namedClusterings, personaFieldProblem, populationProblem } from '../segmentation/clustering-config.js';
import { PredictionSettingsSchema } from '../segmentation/predict/settings.js';
import { PropensitySettingsSchema } from '../segmentation/propensity/settings.js';
import { ScheduleSchema, scheduleProblem } from '../scheduler/schedule-config.js';
import { CsvMappingOverlaySchema } from '../../connectors/csv/mapping.js';
import { ControlGroupSettingsSchema } from '../measure/control-groups.js';

const IsoDate = z.string().refine((v) => /^\d{4}-\d{2}-\d{2}(T.+)?$/.test(v) && Number.isFinite(parseStrictDate(v)), {
  error: (issue) => `"${String(issue.input)}" is not a date; use a date like 2026-11-01 or an ISO date-time like 2026-11-01T00:00:00Z`,
});

const DestinationSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** mirror: lists follow segments (adds and removes); additive: never removes. */
  mode: z.enum(['mirror', 'additive']).default('mirror'),
  listPrefix: z.string().min(1).max(60).default('segsync · '),
  /** A push that would remove more than this share of one list stops before sending anything. */
  massRemovalThreshold: z.number().min(0).max(1).default(0.2),
  lists: z.boolean().default(true),
  tokens: z.boolean().default(true),
  /** People unsubscribed on this platform stay out of its lists unless this is true. */
  listUnsubscribed: z.boolean().default(false),
});
export type DestinationSettings = z.infer<typeof DestinationSchema>;

const SourceSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Re-read changes from this far before the last cursor: catches records modified during a pull. */
  lookbackMinutes: z.number().int().min(0).max(7 * 24 * 60).default(10),
  /** A mapping file to use instead of mappings/<platform>.yaml. */
  mapping: z.string().min(1).optional(),
  /** Extra platform fields to pull as canonical attributes (camelCase name → platform field). */
  attributes: attributeMap(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'must be a platform field name (letters, digits, _ and .)')).default({}),
  /**
   * A pull batch that would empty a stored email, name or consent for more than this share of the
   * records holding one (and at least 10 records) stops before writing it, unless --allow-blanking.
   */
  blankingThreshold: z.number().min(0).max(1).default(0.5),
  /**
   * A full pull that finds more than this share of the stored records (and at least 10) gone from
   * the platform marks none deleted and stops, unless --allow-mass-deletion.
   */
  massDeletionThreshold: z.number().min(0).max(1).default(0.2),
});
export type SourceSettings = z.infer<typeof SourceSchema>;

export const WorkspaceSchema = z.strictObject({
  segmentation: z
    .strictObject({
      referenceDate: IsoDate.optional(),
      windowDays: z.number().int().min(1).max(3650).default(365),
      rfmSegments: z.array(RfmSegmentRuleSchema).min(1).optional(),
      /** The clustering named customers (see clustering-config.ts); segmentation.clusterings declares more. */
      clustering: ClusteringBodySchema.optional(),
      clusterings: ClusteringsSchema.optional(),
      predictions: PredictionSettingsSchema,
      propensity: PropensitySettingsSchema,
    })
    // Whether clustering was declared decides whether the default leads clustering is added (namedClusterings).
    .transform((s) => ({ ...s, clustering: s.clustering ?? ClusteringBodySchema.parse({}), clusteringDeclared: s.clustering !== undefined }))
    .prefault({}),
  currency: z
    .strictObject({
      base: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like USD'),
      /** 1 unit of the key currency = rate units of base. */
      rates: z.record(z.string().regex(/^[A-Z]{3}$/), z.number().positive()).default({}),
    })
    .optional(),
  /** Rule segments: each becomes a list on every destination and a token. */
  segments: z.array(RuleSegmentSchema).default([]),
  sources: z.record(z.string(), SourceSchema).default({}),
  destinations: z.record(z.string(), DestinationSchema).default({}),
  /** Jobs for `segsync schedule` (cron, time zones, leases, shutdown). */
  schedule: ScheduleSchema.optional(),
  /**
   * CSV import layouts and defaults, in the layout of mappings/csv.yaml (validated by its schema):
   * its formats are added to (or replace same-named) formats of the mapping file, its defaults
   * override the file's where given.
   */
  imports: CsvMappingOverlaySchema.optional(),
  /** Held-out shares per segment (and globally) for measuring campaigns: see src/measure/control-groups.ts. */
  controlGroups: ControlGroupSettingsSchema,
  campaigns: z
    .strictObject({
      /** A push that creates a segment's first list starts a campaign on it (see src/measure/campaign-autostart.ts). */
      autoStart: z.boolean().default(false),
      /** The window of campaigns started that way, in days. */
      days: z.number().int().min(1).max(3650).default(60),
    })
    .prefault({}),
  privacy: z
    .strictObject({
      /**
       * Records deleted, archived or merged away on their platform keep their personal data this
       * many days after segsync first saw them gone; then it is purged (0: at the end of that pull).
       */
      retentionDays: z.number().int().min(0).max(3650).default(30),
    })
    .prefault({}),
});
export type Workspace = z.infer<typeof WorkspaceSchema>;

export function parseWorkspace(value: unknown, where: string, knownConnectors: readonly string[]): Workspace {
  // "segments.2 (dormant_germans).rule.field": the error names the rule segment, not only its position.
  const segmentKeys = (value as { segments?: Array<{ key?: unknown }> } | null)?.segments;
  const describePath = (path: readonly PropertyKey[]) => {
    const key = path[0] === 'segments' && typeof path[1] === 'number' && Array.isArray(segmentKeys) ? segmentKeys[path[1]]?.key : undefined;
    const parts = path.map(String);
    return typeof key === 'string' ? [`segments.${parts[1]} (${key})`, ...parts.slice(2)].join('.') : parts.join('.');
  };
  const workspace = parseOrThrow(WorkspaceSchema, value, where, describePath);
  for (const section of ['sources', 'destinations'] as const) {
    for (const name of Object.keys(workspace[section])) {
      if (!knownConnectors.includes(name)) {
        throw new ConfigError(
          `${where} is not valid:\n  - ${section}.${name}: unknown platform; use one of ${knownConnectors.join(', ')}`,
        );
      }
    }
  }
  const scheduleIssue = workspace.schedule && scheduleProblem(workspace.schedule, knownConnectors);
  if (scheduleIssue) throw new ConfigError(`${where} is not valid:\n  - ${scheduleIssue}`);
  const rfmKeys = ['lost', 'prospects', ...(workspace.segmentation.rfmSegments ?? DEFAULT_RFM_SEGMENTS).map((r) => r.key)];
  const seen = new Set<string>(rfmKeys);
  const clusteringIssue = clusteringsProblem(workspace.segmentation);
  if (clusteringIssue) throw new ConfigError(`${where} is not valid:\n  - ${clusteringIssue}`);
  for (const clustering of namedClusterings(workspace.segmentation)) {
    const populationIssue = populationProblem(clustering.settings.population, rfmKeys);
    if (populationIssue) throw new ConfigError(`${where} is not valid:\n  - ${clustering.path}.population: ${populationIssue}`);
  }
  workspace.segments.forEach((segment, i) => {
    const at = `segments.${i} (${segment.key})`;
    if (seen.has(segment.key)) {
      throw new ConfigError(`${where} is not valid:\n  - ${at}.key: "${segment.key}" is already used by another segment; keys must be unique`);
    }
    // Personas own these: a rule must never share a persona's key or list.
    if (segment.key.startsWith(PERSONA_KEY_PREFIX)) {
      throw new ConfigError(`${where} is not valid:\n  - ${at}.key: keys starting with "${PERSONA_KEY_PREFIX}" are reserved for personas; choose another key`);
    }
    if (looksLikePersonaName(segment.name)) {
      throw new ConfigError(`${where} is not valid:\n  - ${at}.name: names starting with "${PERSONA_NAME_PREFIX}" are reserved for personas' lists (and "Lead persona: ", "<clustering> persona: " for other clusterings); choose another name`);
    }
    const problem = checkRuleValues(segment.rule, rfmKeys) ?? personaFieldProblem(segment.rule, namedClusterings(workspace.segmentation).map((c) => c.name));
    if (problem) throw new ConfigError(`${where} is not valid:\n  - ${at}.rule: ${problem}`);
    seen.add(segment.key);
  });
  // Destinations find lists by name (HubSpot case-insensitively): two segments must never share one.
  const names = new Map<string, string>();
  const allNames = [
    ...(workspace.segmentation.rfmSegments ?? DEFAULT_RFM_SEGMENTS).map((r) => ({ key: r.key, name: r.name, path: 'segmentation.rfmSegments' })),
    { key: 'lost', name: 'Lost', path: 'built-in' },
    { key: 'prospects', name: 'Prospects', path: 'built-in' },
    ...workspace.segments.map((r, i) => ({ key: r.key, name: r.name, path: `segments.${i}.name` })),
  ];
  for (const n of allNames) {
    const other = names.get(n.name.toLowerCase());
    if (other !== undefined && other !== n.key) {
      throw new ConfigError(`${where} is not valid:\n  - ${n.path}: the name "${n.name}" is already used by segment ${other}; segment names become list names and must be unique (ignoring case)`);
    }
    names.set(n.name.toLowerCase(), n.key);
  }
  if (workspace.segmentation.rfmSegments) {
    try {
      compileRfmSegments(workspace.segmentation.rfmSegments);
    } catch (error) {
      throw new ConfigError(`${where} is not valid:\n  - segmentation.rfmSegments: ${(error as Error).message}`);
    }
  }
  return workspace;
}

export function loadWorkspace(path: string | undefined, knownConnectors: readonly string[]): Workspace {
  const raw = path ? readYamlFile(path, 'workspace config') : {};
  return parseWorkspace(raw, path ? `workspace config ${path}` : 'the default workspace config', knownConnectors);
}

export function destinationSettings(workspace: Workspace, platform: string): DestinationSettings {
  return workspace.destinations[platform] ?? DestinationSchema.parse({});
}

export function sourceSettings(workspace: Workspace, platform: string): SourceSettings {
  return workspace.sources[platform] ?? SourceSchema.parse({});
}
