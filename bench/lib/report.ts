/**
 * Shared by the benches in this folder: the machine a result was measured on, ratio rows with a
 * target and a verdict, a plain text table, and the --json switch.
 */
import { cpus, totalmem } from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGB: number;
  node: string;
  platform: string;
  date: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
  };
}

/** One headline figure: a ratio against a baseline measured in the same run, and its target. */
export interface RatioFigure {
  bench: string;
  figure: string;
  /** What the ratio divides, in words: "ideal / elapsed". */
  ratio: string;
  value: number;
  /** Human target, e.g. "≥ 0.9", "= 1.0", "= 0". */
  target: string;
  pass: boolean;
  /** The two measured quantities behind the ratio, already formatted. */
  measured: string;
}

export const wantJson = (): boolean => process.argv.includes('--json');

export function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

export const num = (n: number): string => n.toLocaleString('en-US');
export const secs = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
export const fixed = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
export const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;
export const MB = 1024 * 1024;
/** process.resourceUsage().maxRSS is in kilobytes: the kernel's high-water mark of this process. */
export const maxRssMB = (): number => (process.resourceUsage().maxRSS * 1024) / MB;

/** Left-aligned first column, right-aligned others; widths from the content. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function figuresTable(figures: RatioFigure[]): string {
  return table(
    ['bench', 'figure', 'ratio', 'value', 'target', 'result', 'measured'],
    figures.map((f) => [f.bench, f.figure, f.ratio, f.ratio === 'count' ? String(f.value) : fixed(f.value, 3), f.target, f.pass ? 'pass' : 'FAIL', f.measured]),
  );
}

/** Logs progress on stderr, so stdout stays the table or the JSON. */
export const log = (bench: string) => (msg: string) => process.stderr.write(`[${bench}] ${msg}\n`);
