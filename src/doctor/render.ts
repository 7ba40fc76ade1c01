import type { Check } from './check.js';
import type { DoctorReport } from './run.js';
import { plural } from '../domain/text.js';

const MARK: Record<Check['status'], string> = { ok: '✓', warn: '!', fail: '✗' };
const NAME_WIDTH_MAX = 26;

/** One line per check, ✓ / ! / ✗, the fix under every line that is not ✓. */
export function renderDoctor(report: DoctorReport): string {
  const width = Math.min(NAME_WIDTH_MAX, Math.max(...report.checks.map((c) => c.name.length)));
  const indent = ' '.repeat(width + 4);
  const lines = ['segsync doctor: read-only, nothing is written to the store or to any platform.', ''];
  for (const check of report.checks) {
    const [first = '', ...rest] = check.detail.split('\n');
    lines.push(`${MARK[check.status]} ${check.name.padEnd(width)}  ${first}`);
    for (const line of rest) lines.push(`${indent}${line.trimStart()}`);
    if (check.fix && check.status !== 'ok') lines.push(`${indent}fix: ${check.fix}`);
  }
  const { ok, warn, fail } = report.counts;
  lines.push('');
  lines.push(
    fail > 0
      ? `${fail} failed, ${plural(warn, 'warning')}, ${ok} ok: fix the ✗ lines and run \`segsync doctor\` again.`
      : warn > 0
        ? `All checks passed, ${plural(warn, 'warning')}.`
        : ok === 1 ? 'The 1 check passed.' : `All ${ok} checks passed.`,
  );
  return lines.join('\n');
}
