import { loadSegmentMovement, type MovementKind, type SegmentMovement } from '../../measure/movement-loader.js';
import { parseMovementPoint, type TransitionMatrix } from '../../measure/movement.js';
import type { SegmentationRunRef } from '../../store/membership-history.js';
import { fmt, table } from '../output.js';
import { runCommand, type GlobalFlags } from '../context.js';

/** At most this many runs in the human table of sizes (the newest); --json has them all. */
const SIZE_RUNS = 8;

/** Why someone in a segment at `from` is in none at `to` (a forgotten person's history is erased, so never this). */
const LEFT_BECAUSE: Record<MovementKind, string> = {
  rfm: 'every contact archived, deleted or merged away',
  persona: 'outside the clustering, or every contact archived, deleted or merged away',
};

function runLabel(run: SegmentationRunRef): string {
  return `run #${run.id} (${run.createdAt.slice(0, 10)})`;
}

function percent(share: number | null): string {
  return share === null ? '–' : `${(share * 100).toFixed(1)}%`;
}

export function renderMatrix(m: TransitionMatrix, kind: MovementKind): string {
  const none = m.segments.length;
  const names = [...m.segments.map((s) => s.name), 'not in any'];
  const header = ['from \\ to', ...names, 'total', 'stayed'];
  const rows = m.counts.map((row, i) => {
    const total = row.reduce((sum, n) => sum + n, 0);
    const stayed = i < none ? percent(m.retention[i]!.share) : '';
    return [i < none ? names[i]! : 'not in any (new)', ...row.map((n, j) => (i === none && j === none ? '' : fmt(n))), fmt(total), stayed];
  });
  const totals = names.map((_, j) => fmt(m.counts.reduce((sum, row) => sum + row[j]!, 0)));
  const out = [table([header, ...rows, ['total', ...totals, '', '']], ['l', ...names.map((): 'r' => 'r'), 'r', 'r'])];
  out.push('', m.largestMoves.length > 0 ? 'Largest moves:' : 'No one moved between two segments.');
  for (const move of m.largestMoves) out.push(`  ${move.fromName} → ${move.toName}: ${fmt(move.count)}`);
  out.push(`New (in no segment before): ${fmt(m.entered)}; no longer in any (${LEFT_BECAUSE[kind]}): ${fmt(m.left)}.`);
  return out.join('\n');
}

export function renderMovement(m: SegmentMovement): string {
  const out: string[] = [];
  const what = m.kind === 'rfm' ? 'RFM segments' : 'Personas';
  out.push(`${what}: ${runLabel(m.from)} → ${runLabel(m.to)}`);
  if (m.matrices.length === 0) out.push('', `No ${m.kind === 'rfm' ? 'RFM' : 'persona'} memberships at either run.`);
  for (const matrix of m.matrices) {
    out.push('');
    if (matrix.clustering !== null) out.push(`Clustering ${matrix.clustering}`);
    out.push(renderMatrix(matrix, m.kind));
  }
  const shown = m.runs.slice(-SIZE_RUNS);
  const first = m.runs.length - shown.length;
  const sizes = m.sizes.filter((s) => s.kind === m.kind && s.sizes.some((n) => n > 0)).sort((a, b) => b.sizes.at(-1)! - a.sizes.at(-1)! || a.name.localeCompare(b.name));
  if (sizes.length > 0) {
    out.push('', `Sizes after each run${first > 0 ? ` (the last ${SIZE_RUNS}; --json has all ${m.runs.length})` : ''}:`);
    out.push(table([
      ['segment', ...shown.map((r) => `#${r.id}`)],
      ...sizes.map((s) => [s.name, ...s.sizes.slice(first).map(fmt)]),
    ], ['l', ...shown.map((): 'r' => 'r')]));
  }
  return out.join('\n');
}

/** `segsync movement`: where the people of one run's segments were at another run, and sizes over runs. */
export function movementCommand(flags: GlobalFlags & { from?: string; to?: string; kind: MovementKind }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    // Flags first: a malformed date is a usage error whatever the store holds.
    const from = flags.from === undefined ? undefined : parseMovementPoint(flags.from, '--from');
    const to = flags.to === undefined ? undefined : parseMovementPoint(flags.to, '--to');
    const movement = loadSegmentMovement(ctx.session.db, { kind: flags.kind, ...(from ? { from } : {}), ...(to ? { to } : {}) });
    ctx.print(renderMovement(movement), { ok: true, ...movement });
  }, { requireConnector: false, store: 'read' });
}
