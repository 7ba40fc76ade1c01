import { SingleBar, Presets } from 'cli-progress';
import type { Progress } from '../pipeline/progress.js';

export interface OutputOptions {
  json: boolean;
}

/** A bar on a terminal; on a pipe, one line per step, so logs stay readable. */
export function createProgress(options: OutputOptions): Progress {
  if (options.json) return { start() {}, advance() {}, stop() {} };
  if (!process.stderr.isTTY) {
    let label = '';
    let done = 0;
    return {
      start(l) {
        label = l;
        done = 0;
      },
      advance(by) {
        done += by;
      },
      stop() {
        process.stderr.write(`${label}: ${done.toLocaleString('en-US')} records\n`);
      },
    };
  }
  let bar: SingleBar | undefined;
  let done = 0;
  return {
    start(l, total) {
      done = 0;
      bar = new SingleBar(
        { format: `${l.padEnd(34)} {bar} {value}/{total} {eta_formatted}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
        Presets.shades_classic,
      );
      bar.start(total ?? 0, 0);
    },
    advance(by, total) {
      done += by;
      if (total !== undefined && bar) bar.setTotal(Math.max(total, done));
      else if (bar && bar.getTotal() < done) bar.setTotal(done);
      bar?.update(done);
    },
    stop() {
      bar?.setTotal(Math.max(done, 1));
      bar?.update(done);
      bar?.stop();
      bar = undefined;
    },
  };
}

export const fmt = (n: number): string => n.toLocaleString('en-US');

export function table(rows: string[][], align: Array<'l' | 'r'> = []): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => r.map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}
