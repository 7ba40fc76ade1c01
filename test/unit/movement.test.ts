import { describe, expect, it } from 'vitest';
import type { SegmentDefinition } from '../../src/domain/segments.js';
import { openStore, type Db } from '../../src/store/db.js';
import { writeSegmentationRun, type PersonaRow } from '../../src/store/segmentation-runs.js';
import { loadSegmentMovement } from '../../src/measure/movement-loader.js';
import { parseMovementPoint, type SegmentSeries, type TransitionMatrix } from '../../src/measure/movement.js';
import { renderMovement } from '../../src/cli/commands/movement.js';
import { movementReportData } from '../../src/report/movement-data.js';

const SEGMENTS: SegmentDefinition[] = [
  { key: 'champions', name: 'Champions', kind: 'rfm', description: '' },
  { key: 'at_risk', name: 'At Risk', kind: 'rfm', description: '' },
  { key: 'hibernating', name: 'Hibernating', kind: 'rfm', description: '' },
  { key: 'rule_vip', name: 'VIP', kind: 'rule', description: '' },
  { key: 'persona_a', name: 'Persona: A', kind: 'persona', description: '' },
  { key: 'persona_b', name: 'Persona: B', kind: 'persona', description: '' },
  { key: 'persona_leads_x', name: 'Lead persona: X', kind: 'persona', description: '' },
];

function persona(key: string, clustering: string): PersonaRow {
  return { clustering, key, cluster: 0, label: key, size: 0, share: 0, narrative: '', summary: '', summaryFigures: null, traits: [], medians: {} };
}

function segmentRun(db: Db, createdAt: string, memberships: Record<number, string[]>): number {
  return writeSegmentationRun(db, {
    kinds: ['rfm', 'rule', 'persona'], createdAt, referenceDate: createdAt, windowDays: 365, segments: SEGMENTS,
    memberships: new Map(Object.entries(memberships).map(([id, keys]) => [Number(id), keys])),
    rfm: [], tokens: [], summary: {}, profileFeatures: [], clustering: {}, predictions: {},
    personas: [persona('persona_a', 'customers'), persona('persona_b', 'customers'), persona('persona_leads_x', 'leads')],
  }).runId;
}

/**
 * Three runs a month apart. Profile 2 slips from Champions to At Risk, 3 and 4 come back from At
 * Risk to Champions, 6 is new at run 2, 5 is no longer segmented at run 3 (its contacts archived).
 */
function threeRuns(): { db: Db; runs: number[] } {
  const db = openStore(':memory:');
  const insert = db.prepare('INSERT INTO profiles (id, email_key, created_at) VALUES (?, ?, ?)');
  for (const id of [1, 2, 3, 4, 5, 6]) insert.run(id, `p${id}@example.com`, 'now');
  const runs = [
    segmentRun(db, '2026-01-01T10:00:00.000Z', {
      1: ['champions', 'rule_vip', 'persona_a'], 2: ['champions', 'persona_a'], 3: ['at_risk', 'persona_b'], 4: ['at_risk'], 5: ['hibernating'], 6: ['persona_leads_x'],
    }),
    segmentRun(db, '2026-02-01T10:00:00.000Z', {
      1: ['champions', 'persona_a'], 2: ['at_risk', 'persona_b'], 3: ['champions', 'persona_b'], 4: ['champions'], 5: ['hibernating'], 6: ['at_risk', 'persona_leads_x'],
    }),
    segmentRun(db, '2026-03-01T10:00:00.000Z', {
      1: ['champions'], 2: ['at_risk'], 3: ['champions'], 4: ['hibernating'], 6: ['at_risk'],
    }),
  ];
  return { db, runs };
}

function series(sizes: SegmentSeries[], key: string): Pick<SegmentSeries, 'sizes' | 'entries' | 'exits'> {
  const s = sizes.find((x) => x.key === key)!;
  return { sizes: s.sizes, entries: s.entries, exits: s.exits };
}

/** The matrix as "from → to: n" lines ("–" for not in any), zero cells left out. */
function cells(m: TransitionMatrix): string[] {
  const label = (i: number) => m.segments[i]?.key ?? '–';
  return m.counts.flatMap((row, i) => row.flatMap((n, j) => (n > 0 ? [`${label(i)} → ${label(j)}: ${n}`] : []))).sort();
}

describe('segment movement', () => {
  it('gives every segment its size after each run, with the entries and exits of each run', () => {
    const { db } = threeRuns();
    const m = loadSegmentMovement(db, { kind: 'rfm' });
    expect(m.runs.map((r) => r.createdAt.slice(0, 10))).toEqual(['2026-01-01', '2026-02-01', '2026-03-01']);
    expect(series(m.sizes, 'champions')).toEqual({ sizes: [2, 3, 2], entries: [2, 2, 0], exits: [0, 1, 1] });
    expect(series(m.sizes, 'at_risk')).toEqual({ sizes: [2, 2, 2], entries: [2, 2, 0], exits: [0, 2, 0] });
    expect(series(m.sizes, 'hibernating')).toEqual({ sizes: [1, 1, 1], entries: [1, 0, 1], exits: [0, 0, 1] });
    expect(series(m.sizes, 'rule_vip')).toEqual({ sizes: [1, 0, 0], entries: [1, 0, 0], exits: [0, 1, 0] });
    expect(series(m.sizes, 'persona_b')).toEqual({ sizes: [1, 2, 0], entries: [1, 1, 0], exits: [0, 0, 2] });
  });

  it('counts who went where between the previous and the latest run, "not in any" included', () => {
    const { db, runs } = threeRuns();
    const m = loadSegmentMovement(db, { kind: 'rfm' });
    expect([m.from.id, m.to.id]).toEqual([runs[1], runs[2]]);
    expect(m.matrices).toHaveLength(1);
    const [matrix] = m.matrices;
    expect(matrix!.clustering).toBeNull();
    expect(cells(matrix!)).toEqual(['at_risk → at_risk: 2', 'champions → champions: 2', 'champions → hibernating: 1', 'hibernating → –: 1']);
    expect([matrix!.entered, matrix!.left]).toEqual([0, 1]);
    expect(matrix!.largestMoves).toEqual([{ from: 'champions', fromName: 'Champions', to: 'hibernating', toName: 'Hibernating', count: 1 }]);
  });

  it('compares any two runs, by number or by date, with the new people as "not in any" and retention per segment', () => {
    const { db, runs } = threeRuns();
    const byRun = loadSegmentMovement(db, { kind: 'rfm', from: parseMovementPoint(String(runs[0]), '--from'), to: parseMovementPoint(`#${runs[1]}`, '--to') });
    // A day means the whole day: run 2 was made at 10:00 on 1 February.
    const byDate = loadSegmentMovement(db, { kind: 'rfm', from: parseMovementPoint('2026-01-15', '--from'), to: parseMovementPoint('2026-02-01', '--to') });
    for (const m of [byRun, byDate]) {
      expect([m.from.id, m.to.id]).toEqual([runs[0], runs[1]]);
      const [matrix] = m.matrices;
      expect(cells(matrix!)).toEqual(['at_risk → champions: 2', 'champions → at_risk: 1', 'champions → champions: 1', 'hibernating → hibernating: 1', '– → at_risk: 1']);
      expect([matrix!.entered, matrix!.left]).toEqual([1, 0]);
      expect(matrix!.largestMoves[0]).toEqual({ from: 'at_risk', fromName: 'At Risk', to: 'champions', toName: 'Champions', count: 2 });
      expect(Object.fromEntries(matrix!.retention.map((r) => [r.key, [r.atFrom, r.stayed, r.share]]))).toEqual({
        champions: [2, 1, 0.5], at_risk: [2, 0, 0], hibernating: [1, 1, 1],
      });
    }
    // A date-time before the second run's 10:00 still means the first run.
    const early = loadSegmentMovement(db, { kind: 'rfm', from: parseMovementPoint('2026-02-01T09:59:00Z', '--from') });
    expect([early.from.id, early.to.id]).toEqual([runs[0], runs[2]]);
  });

  it('prints the matrix with retention per segment, the largest moves first, and the sizes after each run', () => {
    const { db, runs } = threeRuns();
    const text = renderMovement(loadSegmentMovement(db, { kind: 'rfm', from: parseMovementPoint(String(runs[0]), '--from'), to: parseMovementPoint(String(runs[1]), '--to') }));
    expect(text).toContain(`RFM segments: run #${runs[0]} (2026-01-01) → run #${runs[1]} (2026-02-01)`);
    const lines = text.split('\n');
    // Columns: Champions, At Risk, Hibernating, not in any, total, stayed.
    expect(lines.find((l) => l.startsWith('Champions '))!.split(/\s{2,}/)).toEqual(['Champions', '1', '1', '0', '0', '2', '50.0%']);
    expect(lines.find((l) => l.startsWith('At Risk '))!.split(/\s{2,}/)).toEqual(['At Risk', '2', '0', '0', '0', '2', '0.0%']);
    expect(lines.find((l) => l.startsWith('not in any (new)'))!.split(/\s{2,}/)).toEqual(['not in any (new)', '0', '1', '0', '1']);
    const moves = lines.slice(lines.indexOf('Largest moves:') + 1, lines.indexOf('Largest moves:') + 3);
    expect(moves).toEqual(['  At Risk → Champions: 2', '  Champions → At Risk: 1']);
    expect(text).toContain('New (in no segment before): 1; no longer in any (every contact archived, deleted or merged away): 0.');
    expect(lines.find((l) => l.startsWith('Champions') && l.includes('#') === false && /\s2\s+3\s+2$/.test(l))).toBeDefined();
  });

  it('moves personas within their named clustering', () => {
    const { db, runs } = threeRuns();
    const m = loadSegmentMovement(db, { kind: 'persona', from: parseMovementPoint(String(runs[0]), '--from'), to: parseMovementPoint(String(runs[1]), '--to') });
    expect(m.matrices.map((x) => x.clustering)).toEqual(['customers', 'leads']);
    expect(cells(m.matrices[0]!)).toEqual(['persona_a → persona_a: 1', 'persona_a → persona_b: 1', 'persona_b → persona_b: 1']);
    expect(cells(m.matrices[1]!)).toEqual(['persona_leads_x → persona_leads_x: 1']);
  });

  it('gives the report the sizes of RFM segments and personas over the runs and the matrix from the previous run to the latest', () => {
    const { db, runs } = threeRuns();
    const report = movementReportData(db);
    if (report.status !== 'shown') throw new Error(report.reason);
    expect(report.runs.map((r) => r.id)).toEqual(runs);
    expect(report.rfm.map((s) => [s.key, s.sizes])).toEqual([['at_risk', [2, 2, 2]], ['champions', [2, 3, 2]], ['hibernating', [1, 1, 1]]]);
    // No persona at run 3: all end at 0, so they come by name.
    expect(report.personas.map((s) => [s.key, s.sizes])).toEqual([['persona_leads_x', [1, 1, 0]], ['persona_a', [2, 1, 0]], ['persona_b', [1, 2, 0]]]);
    expect([report.transition!.from.id, report.transition!.to.id]).toEqual([runs[1], runs[2]]);
    expect(cells({ ...report.transition!, clustering: null })).toEqual(['at_risk → at_risk: 2', 'champions → champions: 2', 'champions → hibernating: 1', 'hibernating → –: 1']);

    const one = openStore(':memory:');
    one.prepare('INSERT INTO profiles (id, email_key, created_at) VALUES (1, ?, ?)').run('p1@example.com', 'now');
    segmentRun(one, '2026-01-01T10:00:00.000Z', { 1: ['champions'] });
    expect(movementReportData(one)).toEqual({ status: 'skipped', reason: expect.stringContaining('only one segmentation run so far') });
  });

  it('refuses points that do not make two runs, saying what to give instead', () => {
    const { db, runs } = threeRuns();
    const load = (from?: string, to?: string) => () => loadSegmentMovement(db, {
      kind: 'rfm', ...(from ? { from: parseMovementPoint(from, '--from') } : {}), ...(to ? { to: parseMovementPoint(to, '--to') } : {}),
    });
    expect(load('2025-12-31')).toThrow(/--from 2025-12-31 is before the first segmentation run, #\d+ \(2026-01-01 10:00 UTC\): give 2026-01-01 or later/);
    expect(load(String(runs[2]), String(runs[0]))).toThrow(/--from \(run #\d+ .*\) is after --to/);
    expect(load('2026-02-02', '2026-02-20')).toThrow(/--from and --to are both segmentation run/);
    expect(load(undefined, String(runs[0]))).toThrow(/is the first segmentation run.*no run before it/);
    expect(load('99')).toThrow(/there is no segmentation run #99; the runs are #1 to #3/);
    expect(() => parseMovementPoint('2026-02-30', '--to')).toThrow(/--to "2026-02-30" is not a date or a segmentation run: give a day as YYYY-MM-DD/);
    expect(() => parseMovementPoint('last week', '--from')).toThrow(/--from "last week"/);

    const one = openStore(':memory:');
    one.prepare('INSERT INTO profiles (id, email_key, created_at) VALUES (1, ?, ?)').run('p1@example.com', 'now');
    expect(() => loadSegmentMovement(one, { kind: 'rfm' })).toThrow(/no segmentation run yet/);
    segmentRun(one, '2026-01-01T10:00:00.000Z', { 1: ['champions'] });
    expect(() => loadSegmentMovement(one, { kind: 'rfm' })).toThrow(/only one segmentation run so far .*Run `segsync segment` again after the next pull to see movement/);
  });
});
