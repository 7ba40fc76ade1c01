/**
 * `push --dry-run` says whether the real push would be stopped by the mass-removal guard, per
 * destination: which lists, how many members, the threshold, and --allow-mass-removal (issue 12,
 * trial item 2); in `--json` too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANCHOR, hubspotWorld, type HubSpotWorld } from '../helpers/sandbox.js';
import { segsync } from '../helpers/cli.js';

interface DryRunJson {
  ok: boolean;
  push: {
    dryRun: boolean;
    destinations: Array<{
      platform: string;
      plan: { listRemoves: number };
      massRemovalGuard: { threshold: number; verdict: string; lists: Array<{ listName: string; removals: number; members: number; share: number }> };
    }>;
  };
}

describe('push --dry-run and the mass-removal guard', () => {
  let world: HubSpotWorld;
  const config = (rule: string) => `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n` +
    `segments:\n  - key: vips\n    name: VIPs\n    rule: ${rule}\n`;

  beforeAll(async () => {
    world = await hubspotWorld({ size: 120, config: config('{ op: gte, field: frequency, value: 1 }') });
    const first = await segsync(['sync'], world.env);
    expect(first.code, first.stderr).toBe(0);
    // The segment now matches nobody: its list would lose every member.
    world.writeConfig(config('{ op: gte, field: frequency, value: 1000000 }'));
    expect((await segsync(['segment'], world.env)).code).toBe(0);
  }, 120_000);
  afterAll(() => world.close());

  it('prints the verdict the real push then acts on: the list, the count, the threshold and the flag', async () => {
    const dry = await segsync(['push', '--dry-run'], world.env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Mass-removal guard: the real push would STOP here, before sending anything to any destination');
    expect(dry.stdout).toMatch(/more than 20% of its members \(destinations\.hubspot\.massRemovalThreshold\)/);
    expect(dry.stdout).toMatch(/- "segsync · VIPs": would remove (\d+) of \1 members \(100%\)/);
    expect(dry.stdout).toContain('push with --allow-mass-removal');

    const json = JSON.parse((await segsync(['push', '--dry-run', '--json'], world.env)).stdout) as DryRunJson;
    const hubspot = json.push.destinations.find((d) => d.platform === 'hubspot')!;
    expect(hubspot.massRemovalGuard.verdict).toBe('stops');
    expect(hubspot.massRemovalGuard.threshold).toBe(0.2);
    const vips = hubspot.massRemovalGuard.lists.find((l) => l.listName === 'segsync · VIPs')!;
    expect(vips).toMatchObject({ share: 1 });
    expect(vips.removals).toBe(vips.members);
    expect(vips.removals).toBeGreaterThan(0);

    // The real push stops, as announced.
    const real = await segsync(['push'], { ...world.env, SEGSYNC_LOG_FORMAT: 'pretty' });
    expect(real.code).toBe(1);
    expect(real.stderr).toContain(`"segsync · VIPs": would remove ${vips.removals} of ${vips.members} members (100%)`);
  }, 120_000);

  it('with --allow-mass-removal the dry run says the real push would go ahead', async () => {
    const dry = await segsync(['push', '--dry-run', '--allow-mass-removal', '--json'], world.env);
    const hubspot = (JSON.parse(dry.stdout) as DryRunJson).push.destinations.find((d) => d.platform === 'hubspot')!;
    expect(hubspot.massRemovalGuard.verdict).toBe('allowed');
    const human = await segsync(['push', '--dry-run', '--allow-mass-removal'], world.env);
    expect(human.stdout).toContain('--allow-mass-removal lets the real push go ahead');
  }, 120_000);
});
