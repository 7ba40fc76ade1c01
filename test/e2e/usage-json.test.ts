/**
 * With --json anywhere on the command line, a usage error is JSON on stdout, as every other
 * error is (issue 12, trial item 6): `{ ok: false, error: { kind: 'usage', message } }`, exit 2,
 * nothing of commander's text. Without --json, the text and the help as before.
 */
import { describe, expect, it } from 'vitest';
import { segsync } from '../helpers/cli.js';

const env = { SEGSYNC_DB: '/nonexistent/segsync.db' };

describe('usage errors with --json', () => {
  it.each([
    [['status', '--bogus', '--json'], "unknown option '--bogus'"],
    [['demo', '--size', '0', '--json'], "option '--size <n>' argument '0' is invalid. --size must be a whole number from 1 to 1000000."],
    [['runs', '--json', '--limit', 'x'], "option '--limit <n>' argument 'x' is invalid"],
    [['quarantine', 'list', '--reason', 'nope', '--json'], "argument 'nope' is invalid"],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await segsync(args, env);
    expect(code).toBe(2);
    expect(stderr).toBe('');
    const out = JSON.parse(stdout) as { ok: boolean; error: { kind: string; message: string } };
    expect(out).toMatchObject({ ok: false, error: { kind: 'usage' } });
    expect(out.error.message).toContain(message);
    expect(out.error.message).not.toMatch(/^error:/);
  });

  it('without --json: commander\'s text and the help on stderr, exit 2', async () => {
    const { code, stdout, stderr } = await segsync(['status', '--bogus'], env);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain("error: unknown option '--bogus'");
    expect(stderr).toContain('Usage: segsync status');
  });
});
