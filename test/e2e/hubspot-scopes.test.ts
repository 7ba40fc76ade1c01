/**
 * The HubSpot scopes the README asks for are exactly what segsync needs: a private app granted
 * that list (read from README.md itself, so the two cannot drift) passes doctor and can pull, push
 * and forget --on-platforms; every scope on the list is used by some call. .env.example and the
 * emulator's scope model name the same list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { READ_ONLY_SCOPES, SEGSYNC_SCOPES, scopeFor } from '../../connectors/hubspot/emulator/access.js';
import { packageRoot } from '../../src/config/paths.js';
import { runDoctor } from '../../src/doctor/run.js';
import { forget } from '../../src/pipeline/forget.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

const SCOPE = /\bcrm\.[a-z_]+(?:\.[a-z_]+)+\b/g;

/** Step 1 of the README's "### HubSpot" section: the scopes it tells an admin to give the private app. */
function readmeScopes(): string[] {
  const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n### HubSpot\n'));
  const step1 = section.slice(section.indexOf('\n1. '), section.indexOf('\n2. '));
  return [...new Set(step1.match(SCOPE) ?? [])].sort();
}

/** The `# Scopes:` comment of .env.example's HubSpot block (and its continuation lines). */
function envExampleScopes(): string[] {
  const lines = readFileSync(join(packageRoot(), '.env.example'), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^# Scopes:/.test(l) && lines.slice(0, lines.indexOf(l)).some((p) => p.includes('--- HubSpot')));
  const block: string[] = [];
  for (let i = start; i < lines.length && lines[i]!.startsWith('#') && (i === start || /^#\s{2,}/.test(lines[i]!)); i++) block.push(lines[i]!);
  return [...new Set(block.join(' ').match(SCOPE) ?? [])].sort();
}

describe('HubSpot scopes: the README list is exactly what segsync needs', () => {
  let world: HubSpotWorld;
  const listed = readmeScopes();

  beforeAll(async () => {
    world = await hubspotWorld({ size: 60, seed: 5 });
  });
  afterAll(() => world.close());

  it('README, .env.example and the emulator\'s scope model name the same scopes, schemas of deals included', () => {
    expect(listed).toContain('crm.schemas.deals.read');
    expect(envExampleScopes()).toEqual(listed);
    expect([...SEGSYNC_SCOPES].sort()).toEqual(listed);
  });

  it('granted exactly the README\'s scopes, doctor passes and pull, push and forget --on-platforms succeed, using every listed scope', async () => {
    world.emulator.setScopes(listed);
    try {
      const report = await runDoctor({ env: world.env, registry: CONNECTORS });
      const hubspotLines = report.checks.filter((c) => c.name.startsWith('hubspot'));
      expect(hubspotLines.filter((c) => c.status === 'fail')).toEqual([]);
      const scopesLine = hubspotLines.find((c) => c.name === 'hubspot scopes')!;
      for (const read of listed.filter((s) => s.endsWith('.read'))) expect(scopesLine.detail).toContain(read);
      expect(hubspotLines.find((c) => c.name === 'hubspot mapped fields')?.status).toBe('ok');

      const session = world.open();
      await pull(session, { full: true, signal });
      segment(session);
      await push(session, { dryRun: false, allowMassRemoval: false, signal });
      const member = session.db
        .prepare("SELECT m.external_id AS id FROM destination_list_members m WHERE m.destination = 'hubspot' ORDER BY m.external_id LIMIT 1")
        .get() as { id: string };
      const result = await forget(session, { targets: [`hubspot:${member.id}`], onPlatforms: true, dryRun: false, platforms: ['hubspot'], signal });
      expect(result.platforms.map((o) => o.action)).toEqual(expect.arrayContaining(['list_remove', 'clear_tokens', 'erase']));
      expect(result.platforms.filter((o) => o.status !== 'done')).toEqual([]);

      expect(world.emulator.requests.filter((r) => r.status === 403)).toEqual([]);
      const used = new Set(world.emulator.requests.map((r) => scopeFor(r.method, r.path.split('?')[0]!)).filter((s): s is string => s !== undefined));
      expect([...used].sort()).toEqual(listed);
    } finally {
      world.emulator.setScopes(undefined);
    }
  }, 60_000);

  it('the sandbox\'s missing-scopes account (the read scopes only) still pulls: only pushes need the write scopes', async () => {
    world.emulator.setScopes(READ_ONLY_SCOPES);
    try {
      const session = world.open();
      const result = await pull(session, { full: true, signal });
      expect(result.streams.map((s) => s.stream).sort()).toEqual(['contacts', 'engagement', 'purchases']);
      expect(result.totals.received).toBeGreaterThan(0);
    } finally {
      world.emulator.setScopes(undefined);
    }
  }, 60_000);
});
