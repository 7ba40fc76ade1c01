import { Writable } from 'node:stream';
import { MultiBar, Presets } from 'cli-progress';
import { describe, expect, it } from 'vitest';
import { formatSeconds, progressBarOptions } from '../../src/cli/output.js';

/** A terminal that records what the bars draw. */
function terminal(): { stream: NodeJS.WritableStream; text(): string } {
  let out = '';
  const stream = Object.assign(new Writable({ write(chunk, _encoding, done) { out += String(chunk); done(); } }), {
    isTTY: true, columns: 120, cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true,
  });
  // eslint-disable-next-line no-control-regex
  return { stream, text: () => out.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '') };
}

describe('the progress bar\'s time left', () => {
  it('shows a dash, not "NFs", while nothing is done yet (no rate to estimate from)', async () => {
    const { stream, text } = terminal();
    const board = new MultiBar(progressBarOptions(stream), Presets.shades_classic);
    const bar = board.create(100, 0, { label: 'hubspot contacts' });
    await new Promise((r) => setTimeout(r, 30));
    bar.update(0);
    board.stop();
    expect(text()).toMatch(/hubspot contacts \S+ 0\/100 –/);
    expect(text()).not.toMatch(/NFs|LLs|NaN|Infinity/);
  });

  it('reads as seconds, minutes and hours', () => {
    expect(formatSeconds(7)).toBe('7s');
    expect(formatSeconds(65)).toBe('1m05s');
    expect(formatSeconds(3599.6)).toBe('1h00m');
    expect(formatSeconds(7380)).toBe('2h03m');
    expect(formatSeconds('12')).toBe('12s');
    for (const unknown of ['INF', 'NULL', Infinity, Number.NaN, -1]) expect(formatSeconds(unknown)).toBe('–');
  });
});
