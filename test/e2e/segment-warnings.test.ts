/**
 * A rule reading an attribute no stored contact has (a misspelt name) gives a silently empty
 * segment; `segsync segment` warns, naming the segment, the attribute and the nearest stored
 * attribute name (issue 12, trial item 4). A warning, not an error: the run succeeds, because an
 * attribute may be mapped and still empty everywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANCHOR, hubspotWorld, type HubSpotWorld } from '../helpers/sandbox.js';
import { segsync } from '../helpers/cli.js';
import { ruleAttributes, unknownAttributeWarnings } from '../../src/pipeline/rule-attributes.js';

describe('rule attributes no contact has', () => {
  let world: HubSpotWorld;
  const config = (field: string) => `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n` +
    `segments:\n  - key: customers\n    name: Customers\n    rule: { op: all, rules: [ { op: gte, field: frequency, value: 0 }, { op: eq, field: ${field}, value: customer } ] }\n`;

  beforeAll(async () => {
    world = await hubspotWorld({ size: 80, config: config('attributes.lifecycleStage') });
    expect((await segsync(['pull'], world.env)).code).toBe(0);
  }, 120_000);
  afterAll(() => world.close());

  it('segment warns in its output and --json, suggesting the stored name; exit 0', async () => {
    world.writeConfig(config('attributes.lifecycleStag'));
    const json = await segsync(['segment', '--json'], world.env);
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout) as { ok: boolean; segment: { warnings: string[]; segments: Array<{ key: string; size: number }> } };
    expect(result.ok).toBe(true);
    expect(result.segment.segments.find((s) => s.key === 'customers')!.size).toBe(0);
    expect(result.segment.warnings).toEqual([expect.stringContaining(
      'segment "Customers" (customers): its rule reads attributes.lifecycleStag, which no stored contact has a value of, so it reads as empty for everyone; did you mean attributes.lifecycleStage?',
    )]);
    const human = await segsync(['segment'], world.env);
    expect(human.stdout).toContain('Warning: segment "Customers" (customers): its rule reads attributes.lifecycleStag');
  }, 120_000);

  it('no warning for an attribute contacts hold', async () => {
    world.writeConfig(config('attributes.lifecycleStage'));
    const result = JSON.parse((await segsync(['segment', '--json'], world.env)).stdout) as { segment: { warnings: string[]; segments: Array<{ key: string; size: number }> } };
    expect(result.segment.warnings).toEqual([]);
    expect(result.segment.segments.find((s) => s.key === 'customers')!.size).toBeGreaterThan(0);
  }, 120_000);
});

describe('ruleAttributes', () => {
  it('finds every attribute a rule reads, inside all, any and not', () => {
    expect(ruleAttributes({ op: 'all', rules: [{ op: 'not', rule: { op: 'exists', field: 'attributes.a' } }, { op: 'any', rules: [{ op: 'gt', field: 'attributes.b', value: 1 }, { op: 'gt', field: 'frequency', value: 1 }] }, { op: 'spentWithinDays', days: 3, atLeast: 1 }] }))
      .toEqual(['a', 'b']);
    expect(unknownAttributeWarnings([{ key: 'k', name: 'K', rule: { op: 'exists', field: 'attributes.zzz' } }], new Set())[0]).toContain('(no contact has any attribute yet)');
  });
});
