import { describe, expect, it } from 'vitest';
import type { SegmentDefinition } from '../../src/domain/segments.js';
import { openStore } from '../../src/store/db.js';
import { writeSegmentationRun, type Memberships, type SegmentationWrite } from '../../src/store/segmentation-runs.js';

const SEGMENTS = ['champions', 'at_risk', 'rule_vip', 'persona_x'].map((key): SegmentDefinition => ({ key, name: key, kind: key.startsWith('rule') ? 'rule' : key.startsWith('persona') ? 'persona' : 'rfm', description: key }));

function run(createdAt: string, memberships: Memberships): SegmentationWrite {
  return {
    kinds: ['rfm', 'rule', 'persona'], createdAt, referenceDate: createdAt, windowDays: 365, segments: SEGMENTS, memberships,
    rfm: [], tokens: [], summary: {}, profileFeatures: [], personas: [], clustering: {}, predictions: {},
  };
}

/** Keys made when asked, as segmentation passes them: the writer must not need a Map. */
function lazy(byProfile: Record<number, string[]>): Memberships {
  const entries = Object.entries(byProfile).map(([id, keys]): [number, string[]] => [Number(id), keys]);
  return { size: entries.length, get: (id) => byProfile[id], *[Symbol.iterator]() { yield* entries; } };
}

describe('membership history across runs', () => {
  it('closes what no longer holds, opens what is new, leaves the rest as it was (Maps and lazy keys alike)', () => {
    const db = openStore(':memory:');
    const insert = db.prepare('INSERT INTO profiles (id, email_key, created_at) VALUES (?, ?, ?)');
    for (const id of [1, 2, 3, 40]) insert.run(id, `p${id}@example.com`, 'now');
    const first = writeSegmentationRun(db, run('2026-01-01T00:00:00.000Z', new Map([[1, ['champions', 'rule_vip']], [2, ['at_risk']], [40, ['champions', 'persona_x']]])));
    expect([first.entered, first.left]).toEqual([5, 0]);
    const second = writeSegmentationRun(db, run('2026-02-01T00:00:00.000Z', lazy({ 1: ['rule_vip', 'persona_x'], 3: ['at_risk'], 40: ['champions', 'persona_x'] })));
    // Profile 1 left champions and entered persona_x; 2 left at_risk (gone from the run); 3 entered at_risk; 40 unchanged.
    expect([second.entered, second.left]).toEqual([2, 2]);
    const open = db.prepare('SELECT profile_id AS p, segment_key AS k, entered_run_id AS since FROM memberships WHERE left_at IS NULL ORDER BY p, k').all();
    expect(open).toEqual([
      { p: 1, k: 'persona_x', since: second.runId }, { p: 1, k: 'rule_vip', since: first.runId },
      { p: 3, k: 'at_risk', since: second.runId },
      { p: 40, k: 'champions', since: first.runId }, { p: 40, k: 'persona_x', since: first.runId },
    ]);
    const closed = db.prepare('SELECT profile_id AS p, segment_key AS k, left_run_id AS run FROM memberships WHERE left_at IS NOT NULL ORDER BY p, k').all();
    expect(closed).toEqual([{ p: 1, k: 'champions', run: second.runId }, { p: 2, k: 'at_risk', run: second.runId }]);
    // The same run again changes nothing.
    const third = writeSegmentationRun(db, run('2026-03-01T00:00:00.000Z', lazy({ 1: ['rule_vip', 'persona_x'], 3: ['at_risk'], 40: ['champions', 'persona_x'] })));
    expect([third.entered, third.left]).toEqual([0, 0]);
  });
});
