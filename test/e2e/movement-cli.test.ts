import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SegmentDefinition } from '../../src/domain/segments.js';
import { openStore, type Db } from '../../src/store/db.js';
import { writeSegmentationRun } from '../../src/store/segmentation-runs.js';
import { segsync } from '../helpers/cli.js';

const SEGMENTS: SegmentDefinition[] = [
  { key: 'champions', name: 'Champions', kind: 'rfm', description: '' },
  { key: 'at_risk', name: 'At Risk', kind: 'rfm', description: '' },
  { key: 'prospects', name: 'Prospects', kind: 'rfm', description: '' },
];

function segmentRun(db: Db, createdAt: string, memberships: Map<number, string[]>): void {
  writeSegmentationRun(db, {
    kinds: ['rfm', 'rule', 'persona'], createdAt, referenceDate: createdAt, windowDays: 365, segments: SEGMENTS, memberships,
    rfm: [], tokens: [], summary: {}, profileFeatures: [], clustering: {}, predictions: {}, personas: [],
  });
}

/**
 * 100 people: at run 1, 1–40 At Risk, 41–60 Champions, 61–100 Prospects. At run 2, 1–40 are
 * Champions, 41–42 At Risk, 43–60 still Champions, 61–100 still Prospects, 101–110 new Prospects.
 */
function store(runs: 1 | 2): string {
  const path = join(dir, `movement-${runs}.db`);
  const db = openStore(path, 'create');
  const profile = db.prepare("INSERT INTO profiles (id, created_at) VALUES (?, 'now')");
  for (let id = 1; id <= 110; id++) profile.run(id);
  const first = new Map<number, string[]>();
  for (let id = 1; id <= 100; id++) first.set(id, [id <= 40 ? 'at_risk' : id <= 60 ? 'champions' : 'prospects']);
  segmentRun(db, '2026-10-01T06:00:00.000Z', first);
  if (runs === 2) {
    const second = new Map<number, string[]>();
    for (let id = 1; id <= 110; id++) second.set(id, [id <= 40 ? 'champions' : id <= 42 ? 'at_risk' : id <= 60 ? 'champions' : 'prospects']);
    segmentRun(db, '2026-11-01T06:00:00.000Z', second);
  }
  db.close();
  return path;
}

const dir = mkdtempSync(join(tmpdir(), 'segsync-movement-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = (path: string) => ({ SEGSYNC_DB: path, SEGSYNC_CONFIG: '' });

describe('segsync movement', () => {
  // The human table is checked in test/unit/movement.test.ts (renderMovement): each CLI start costs seconds.
  it('prints the RFM transition matrix between the last two runs as JSON', async () => {
    const machine = await segsync(['movement', '--json'], env(store(2)));
    expect(machine.code).toBe(0);
    const json = JSON.parse(machine.stdout) as {
      ok: boolean; from: { id: number }; to: { id: number };
      matrices: Array<{ segments: Array<{ key: string }>; counts: number[][]; entered: number; left: number; retention: Array<{ key: string; share: number }>; largestMoves: Array<{ from: string; to: string; count: number }> }>;
      sizes: Array<{ key: string; sizes: number[]; entries: number[]; exits: number[] }>;
    };
    expect(json.ok).toBe(true);
    expect([json.from.id, json.to.id]).toEqual([1, 2]);
    const [m] = json.matrices;
    const at = (from: string | null, to: string | null) => {
      const i = from === null ? m!.segments.length : m!.segments.findIndex((s) => s.key === from);
      const j = to === null ? m!.segments.length : m!.segments.findIndex((s) => s.key === to);
      return m!.counts[i]![j];
    };
    expect(at('at_risk', 'champions')).toBe(40);
    expect(at('champions', 'at_risk')).toBe(2);
    expect(at('champions', 'champions')).toBe(18);
    expect(at('prospects', 'prospects')).toBe(40);
    expect(at(null, 'prospects')).toBe(10);
    expect([m!.entered, m!.left]).toEqual([10, 0]);
    expect(m!.largestMoves[0]).toEqual({ from: 'at_risk', fromName: 'At Risk', to: 'champions', toName: 'Champions', count: 40 });
    expect(Object.fromEntries(m!.retention.map((r) => [r.key, r.share]))).toEqual({ champions: 0.9, at_risk: 0, prospects: 1 });
    expect(json.sizes.find((s) => s.key === 'champions')).toMatchObject({ sizes: [20, 58], entries: [20, 40], exits: [0, 2] });
  });

  it('says what to do with one run, and names the flag and the form of a bad date (exit 2)', async () => {
    const one = store(1);
    const [single, badDate] = await Promise.all([
      segsync(['movement'], { ...env(one), SEGSYNC_LOG_FORMAT: 'pretty' }),
      segsync(['movement', '--from', '2026-31-10', '--json'], env(one)),
    ]);
    expect(single.code).toBe(2);
    expect(single.stderr).toContain('only one segmentation run so far (#1 (2026-10-01 06:00 UTC))');
    expect(single.stderr).toContain('Run `segsync segment` again after the next pull to see movement.');
    expect(badDate.code).toBe(2);
    expect(JSON.parse(badDate.stdout)).toMatchObject({ ok: false, error: { kind: 'configuration' } });
    expect((JSON.parse(badDate.stdout) as { error: { message: string } }).error.message)
      .toContain('--from "2026-31-10" is not a date or a segmentation run: give a day as YYYY-MM-DD');
  });
});
