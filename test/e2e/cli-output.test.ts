/**
 * What a program or a log collector reads from segsync (issue 12, trial item 6): with JSON logs,
 * stderr holds JSON lines only, progress included; `quarantine export --json` is one JSON
 * document (`--format jsonl` is lines); `--out` into a missing folder creates it owner-only.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspotWorld, type HubSpotWorld } from '../helpers/sandbox.js';
import { segsync } from '../helpers/cli.js';

describe('output for programs and log collectors', () => {
  let world: HubSpotWorld;
  beforeAll(async () => {
    world = await hubspotWorld({ size: 100 });
  });
  afterAll(() => world.close());

  it('with SEGSYNC_LOG_FORMAT=json every stderr line is JSON, progress lines included', async () => {
    const { code, stderr } = await segsync(['pull'], { ...world.env, SEGSYNC_LOG_FORMAT: 'json' });
    expect(code, stderr).toBe(0);
    const lines = stderr.split('\n').filter((l) => l !== '');
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l) as { msg: string; step?: string; records?: number; level: string };
      } catch {
        throw new Error(`not a JSON line on stderr: ${l}`);
      }
    });
    expect(parsed).toEqual(expect.arrayContaining([
      expect.objectContaining({ level: 'info', step: 'pull hubspot contacts', records: 100, msg: 'pull hubspot contacts: 100 records' }),
      expect.objectContaining({ step: 'pull hubspot purchases' }),
    ]));
  });

  it('quarantine export --json is one JSON document; --format jsonl is JSON lines', async () => {
    const json = await segsync(['quarantine', 'export', '--json'], world.env);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { ok: boolean; format: string; records: Array<{ platform: string; externalId: string; raw: unknown; mayPassLater: boolean }> };
    expect(doc.ok).toBe(true);
    expect(doc.format).toBe('json');
    expect(doc.records.length).toBeGreaterThan(0);
    expect(doc.records[0]).toMatchObject({ platform: 'hubspot', raw: expect.any(Object) });

    const lines = await segsync(['quarantine', 'export', '--format', 'jsonl'], world.env);
    const records = lines.stdout.trim().split('\n').map((l) => JSON.parse(l) as { externalId: string });
    expect(records.map((r) => r.externalId)).toEqual(doc.records.map((r) => r.externalId));

    const both = await segsync(['quarantine', 'export', '--json', '--format', 'csv'], world.env);
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout)).toMatchObject({ ok: false, error: { kind: 'configuration', message: expect.stringContaining('--out') } });
  });

  it('quarantine export --out into a folder that does not exist creates it (0700) and the file (0600)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'segsync-qexport-'));
    const out = join(base, 'q', 'q.csv');
    const { code, stdout, stderr } = await segsync(['quarantine', 'export', '--out', out, '--json'], world.env);
    expect(code, stderr).toBe(0);
    expect(stderr).not.toContain('ENOENT');
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, path: out, format: 'csv' });
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(out, 'utf8')).toMatch(/^platform,stream,external_id/);
    expect(statSync(join(base, 'q')).mode & 0o777).toBe(0o700);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });
});
