import { MultiBar, Presets, type Options, type SingleBar } from 'cli-progress';
import { silentProgressFactory, type ProgressFactory } from '../pipeline/progress.js';
import { plural } from '../domain/text.js';
import { createLogger, logFormat, type Logger } from '../log/logger.js';

export interface OutputOptions {
  json: boolean;
  /** Where JSON log lines go (the command's logger); one is made when needed and not given. */
  log?: Logger;
}

/**
 * Bars on a terminal (one per concurrent task); on a pipe, one line per finished step. When logs
 * are JSON lines (SEGSYNC_LOG_FORMAT=json, or stderr not a terminal by default), each finished
 * step is a JSON log line too, so that stderr holds nothing else a log collector cannot parse.
 */
export function createProgress(options: OutputOptions): ProgressFactory {
  if (options.json) return silentProgressFactory;
  const log = jsonLog(options.log);
  if (log) return countingProgress((label, done) => log.info({ step: label, records: done }, `${label}: ${plural(done, 'record')}`));
  if (!process.stderr.isTTY) return countingProgress((label, done) => process.stderr.write(`${label}: ${plural(done, 'record')}\n`));
  let board: MultiBar | undefined;
  let running = 0;
  return () => {
    let bar: SingleBar | undefined;
    let done = 0;
    return {
      start(label, total) {
        done = 0;
        board ??= new MultiBar(progressBarOptions(process.stderr), Presets.shades_classic);
        running++;
        bar = board.create(total ?? 0, 0, { label: label.padEnd(36) });
      },
      advance(by, total) {
        done += by;
        if (!bar) return;
        if (total !== undefined) bar.setTotal(Math.max(total, done));
        else if (bar.getTotal() < done) bar.setTotal(done);
        bar.update(done);
      },
      stop() {
        if (!bar) return;
        bar.setTotal(Math.max(done, 1));
        bar.update(done);
        bar = undefined;
        if (--running === 0) {
          board?.stop();
          board = undefined;
        }
      },
    };
  };
}

/** The logger progress lines go to when logs are JSON lines; undefined otherwise (or when SEGSYNC_LOG_* is invalid: plain lines then). */
function jsonLog(given: Logger | undefined): Logger | undefined {
  try {
    return logFormat() === 'json' ? (given ?? createLogger()) : undefined;
  } catch {
    return undefined;
  }
}

/** The bars' look. Exported for its test. */
export function progressBarOptions(stream: NodeJS.WritableStream): Options {
  return { format: '{label} {bar} {value}/{total} {eta_formatted}', stream, hideCursor: true, clearOnComplete: false, formatTime: formatSeconds };
}

/**
 * "7s", "1m05s", "2h03m"; "–" while no estimate exists. cli-progress reports an ETA it cannot
 * compute (nothing done yet, or no total) as the strings "INF" and "NULL", and its own formatter
 * cuts them to two characters: "NFs".
 */
export function formatSeconds(t: unknown): string {
  const seconds = typeof t === 'number' ? t : typeof t === 'string' && /^\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s >= 3600) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  return `${s}s`;
}

export const fmt = (n: number): string => n.toLocaleString('en-US');

export function table(rows: string[][], align: Array<'l' | 'r'> = []): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => r.map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

/** Progress that only counts, and says how many once a step ends (no bar: a log or a pipe). */
function countingProgress(report: (label: string, done: number) => void): ProgressFactory {
  return () => {
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
        report(label, done);
      },
    };
  };
}
