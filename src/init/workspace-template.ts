import { initPlatform } from './platforms.js';

export interface WorkspaceTemplateInput {
  platforms: readonly string[];
  windowDays: number;
  exampleSegments: boolean;
}

/** The README's examples; both use features every platform fills (docs/features.md). */
const EXAMPLE_SEGMENTS = [
  '  - key: recent_high_spenders',
  '    name: Recent high spenders',
  '    rule: { op: spentWithinDays, days: 30, atLeast: 500 }',
  '  - key: dormant_germans',
  '    name: German customers who are dormant',
  '    rule: { op: all, rules: [{ op: eq, field: country, value: DE }, { op: eq, field: lifecycleStage, value: dormant }] }',
];

function sourceBlock(id: string): string[] {
  return [
    `  ${id}:`,
    '    # Incremental pulls re-read changes from this many minutes before the last cursor, to catch',
    `    # records ${initPlatform(id)?.displayName ?? id} indexed late.`,
    '    lookbackMinutes: 10',
    `    # mapping: ./my-${id}-mapping.yaml   # instead of mappings/${id}.yaml`,
    '    # Extra platform fields usable in rule segments as attributes.<name> (README, "Mappings").',
    '    # attributes: { loyaltyTier: loyalty_tier }',
  ];
}

function destinationBlock(id: string): string[] {
  const lines = [
    `  ${id}:`,
    '    # mirror: lists follow segments (adds and removes). additive: never removes anyone.',
    '    mode: mirror',
  ];
  if (id === 'shopify') {
    lines.push('    # Segments become customer tags "segsync:<segment-key>" (listPrefix does not apply).');
  } else {
    lines.push(`    # Each segment is a ${id === 'marketo' ? 'static list' : 'contact list'} named <listPrefix><segment name>.`, '    listPrefix: "segsync · "');
  }
  lines.push(
    '    # A push that would remove more than this share of one list stops before sending anything',
    '    # (override once with --allow-mass-removal).',
    '    massRemovalThreshold: 0.2',
    '    lists: true',
    `    # Personalization tokens (RFM segment and scores, rule segments, persona) as ${id === 'hubspot' ? 'contact properties' : id === 'marketo' ? 'lead fields' : 'customer metafields'}.`,
    '    tokens: true',
    '    # People unsubscribed on this platform stay off its lists unless this is true.',
    '    listUnsubscribed: false',
  );
  return lines;
}

/** A starter workspace config, commented like segsync.example.yaml, for the chosen platforms. */
export function renderWorkspace(input: WorkspaceTemplateInput, writtenAt: Date = new Date()): string {
  const lines = [
    `# segsync workspace config, written by \`segsync init\` on ${writtenAt.toISOString().slice(0, 10)}.`,
    '# SEGSYNC_CONFIG points here. Every key is optional; segsync.example.yaml shows them all.',
    '',
    'segmentation:',
    '  # RFM is computed "as of" this date; default: now. Fix it for reproducible runs.',
    '  # referenceDate: 2026-11-01',
    '  # Purchases older than this many days before the reference date do not count (those',
    '  # customers become "Lost").',
    `  windowDays: ${input.windowDays}`,
    '  # Override the named segments: first matching pattern over the two-digit "RF" score wins,',
    '  # and together the rules must cover all 25 combinations.',
    '  # rfmSegments:',
    '  #   - { key: champions, name: Champions, pattern: "5[4-5]" }',
    '  #   - { key: everyone_else, name: Everyone else, pattern: "[1-5][1-5]" }',
    '  # Clusters of people (by default the buyers), described as personas (see README, "Segmentation").',
    '  clustering:',
    '    # Who is clustered: auto = buyers when the store has purchases, everyone when it has none;',
    '    # or buyers | prospects | everyone | a rule, e.g. { op: gte, field: attributes.age, value: 18 }.',
    '    # population: auto',
    '    algorithm: kmeans          # kmeans | gmm | ward | dbscan',
    '    k: auto                    # picks the best silhouette in kRange',
    '    kRange: [2, 10]',
    '    features: [daysSinceLastPurchase, lifetimeFrequency, averageOrderValue]',
    '    # categorical: [country]',
    '',
    '# Rule segments: each becomes a list on every destination (fields: docs/features.md).',
    ...(input.exampleSegments ? ['segments:', ...EXAMPLE_SEGMENTS] : ['# segments:', ...EXAMPLE_SEGMENTS.map((l) => `#${l}`)]),
    '',
    '# Needed only when purchases come in more than one currency: amounts are converted to `base`.',
    '# currency:',
    '#   base: USD',
    '#   rates: { EUR: 1.08, GBP: 1.27 }   # 1 EUR = 1.08 USD',
    '',
    'sources:',
    ...input.platforms.flatMap(sourceBlock),
    '',
    'destinations:',
    ...input.platforms.flatMap(destinationBlock),
    '',
  ];
  return lines.join('\n');
}
