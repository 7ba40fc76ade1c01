import { findLikelyDuplicates } from '../../pipeline/duplicates.js';
import { fmt, table } from '../output.js';
import { runCommand, type GlobalFlags } from '../context.js';
import { plural } from '../../domain/text.js';

/** Lists profiles that are probably one person; nothing is merged. */
export function duplicatesCommand(flags: GlobalFlags & { limit: number }): Promise<void> {
  return runCommand(flags, async (ctx) => {
    const pairs = findLikelyDuplicates(ctx.session.db);
    const byReason: Record<string, number> = {};
    for (const p of pairs) for (const r of p.reasons) byReason[r] = (byReason[r] ?? 0) + 1;
    const shown = pairs.slice(0, flags.limit);
    const human = pairs.length === 0
      ? 'No likely duplicates.'
      : [
          `${plural(pairs.length, 'pair')} of profiles that may be the same person (pairs per reason: ${Object.entries(byReason).map(([r, n]) => `${r} ${fmt(n)}`).join(', ')}). Nothing was merged: check them in your platforms.`,
          table([['profile', 'profile', 'why', 'evidence'], ...shown.map((p) => [String(p.profileA), String(p.profileB), p.reasons.join(', '), p.evidence.join('; ')])]),
          ...(pairs.length > shown.length ? [`(${fmt(pairs.length - shown.length)} more; --limit to see them)`] : []),
        ].join('\n');
    ctx.print(human, { ok: true, total: pairs.length, byReason, pairs: shown });
  }, { requireConnector: false, store: 'read' });
}
