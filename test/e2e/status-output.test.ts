import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const SINCE = Date.parse('2026-11-30T08:15:00.123Z');
const STARTED = Date.parse('2026-12-01T09:00:00Z');

/** A store as a few pulls and one segmentation leave it: cursors of every phase, segments with long persona names. */
function storeWithCursorsAndSegments(path: string): void {
  const db = openStore(path, 'create');
  const cursor = db.prepare('INSERT INTO stream_cursors (platform, stream, cursor, updated_at) VALUES (?, ?, ?, ?)');
  cursor.run('hubspot', 'contacts', JSON.stringify({ phase: 'incremental', since: SINCE }), '2026-12-01T10:00:00.000Z');
  cursor.run('hubspot', 'purchases', JSON.stringify({ phase: 'full', after: 'MTIzNDU2Nzg5MA==', startedAt: STARTED }), '2026-12-01T10:00:01.000Z');
  cursor.run('csv', 'contacts', JSON.stringify({ files: [{ path: '/x/a.csv', sha256: 'ab' }, { path: '/x/b.csv', sha256: 'cd' }] }), '2026-12-01T10:00:02.000Z');
  const contact = db.prepare(`INSERT INTO contacts (platform, external_id, updated_at, email_consent, raw, content_hash, first_pulled_at, last_pulled_at)
    VALUES ('hubspot', ?, 'now', 'unknown', '{}', 'h', 'now', 'now')`);
  for (let i = 0; i < 1234; i++) contact.run(String(i));
  db.prepare("INSERT INTO segmentation_runs (id, created_at, reference_date, window_days, profile_count, summary) VALUES (1, '2026-12-01T10:00:00Z', '2026-12-01T00:00:00Z', 365, 3, '{}')").run();
  const profile = db.prepare("INSERT INTO profiles (id, created_at) VALUES (?, 'now')");
  const segment = db.prepare("INSERT INTO segments (key, name, kind, description, updated_at) VALUES (?, ?, ?, '', 'now')");
  const member = db.prepare("INSERT INTO memberships (profile_id, segment_key, entered_at, entered_run_id) VALUES (?, ?, 'now', 1)");
  for (let i = 1; i <= 12; i++) profile.run(i);
  const segments: Array<[string, string, string, number]> = [
    ['persona-frequent-small-buyers', 'Persona: Frequent small buyers', 'persona', 12],
    ['persona-new', 'Persona: New repeat buyers', 'persona', 3],
    ['champions', 'Champions', 'rfm', 7],
    ['lost', 'Lost', 'rfm', 0],
  ];
  for (const [key, name, kind, size] of segments) {
    segment.run(key, name, kind);
    for (let p = 1; p <= size; p++) member.run(p, key);
  }
  const run = db.prepare("INSERT INTO runs (command, trigger, job, owner, started_at, finished_at, status, error) VALUES (?, ?, ?, 'elsewhere:1', ?, ?, ?, ?)");
  run.run('pull', 'manual', null, '2026-12-01T09:00:00.000Z', '2026-12-01T09:01:00.000Z', 'succeeded', null);
  run.run('push --dry-run', 'manual', null, '2026-12-01T09:02:00.000Z', '2026-12-01T09:02:05.000Z', 'succeeded', null);
  run.run('sync', 'schedule', 'nightly-sync-all', '2026-12-01T09:03:00.000Z', '2026-12-01T09:04:00.000Z', 'failed', 'hubspot push failed: 401\nmore');
  db.close();
}

describe('segsync status, as a person reads it', () => {
  let stdout: string;
  let json: { cursors: Array<{ platform: string; stream: string; description: string; cursor: unknown }> };
  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'segsync-status-')), 'segsync.db');
    storeWithCursorsAndSegments(path);
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, SEGSYNC_DB: path, SEGSYNC_CONFIG: '' };
    const [text, machine] = await Promise.all([
      run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'status'], { cwd: ROOT, env }),
      run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'status', '--json'], { cwd: ROOT, env }),
    ]);
    stdout = text.stdout;
    json = JSON.parse(machine.stdout) as typeof json;
  });

  it('lines up the recent runs, whatever the length of the command or the job', () => {
    const lines = stdout.split('\n');
    const start = lines.indexOf('Recent runs:');
    const rows = lines.slice(start + 1, start + 4);
    expect(rows.map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(['#3', '#2', '#1']);
    expect(rows[1]).toMatch(/^ {2}#2 +push --dry-run +manual +succeeded +2026-12-01T09:02:00\.000Z$/);
    const column = (word: string, line: string) => line.indexOf(word);
    expect(column('succeeded', rows[1]!)).toBe(column('succeeded', rows[2]!));
    expect(column('failed', rows[0]!)).toBe(column('succeeded', rows[2]!));
    expect(column('2026-12-01T09:02', rows[1]!)).toBe(column('2026-12-01T09:00', rows[2]!));
    expect(rows[0]).toContain('hubspot push failed: 401');
    expect(rows[0]).not.toContain('more');
  });

  it('shows cursors as times and words, not epoch milliseconds in JSON', () => {
    expect(stdout).not.toContain(String(SINCE));
    expect(stdout).not.toContain('{"phase"');
    expect(stdout).toMatch(/hubspot\s+contacts\s+incremental: changes since 2026-11-30 08:15:00 UTC\s+\(saved 2026-12-01 10:00:00 UTC\)/);
    expect(stdout).toMatch(/hubspot\s+purchases\s+full read in progress \(started 2026-12-01 09:00:00 UTC\); resumes at a saved page token/);
    expect(stdout).toMatch(/csv\s+contacts\s+2 files imported/);
    // --json keeps the cursor itself for programs, with the same words beside it.
    expect(json.cursors.find((c) => c.platform === 'hubspot' && c.stream === 'contacts')).toMatchObject({
      cursor: { phase: 'incremental', since: SINCE },
      description: 'incremental: changes since 2026-11-30 08:15:00 UTC',
    });
  });

  it('lines up the columns: numbers end at one column, whatever the length of the names', () => {
    const lines = stdout.split('\n');
    const sizes = lines.filter((l) => /^ {2}(Persona: |Champions|Lost)/.test(l));
    expect(sizes).toHaveLength(4);
    const ends = new Set(sizes.map((l) => l.trimEnd().length));
    expect(ends.size).toBe(1);
    const records = lines.slice(lines.findIndex((l) => l.startsWith('platform')), lines.findIndex((l) => l.startsWith('platform')) + 2);
    expect(records[0]).toMatch(/^platform\s+stream\s+records\s+archived$/);
    // Right-aligned under their headers.
    expect(records[1]!.indexOf('1,234') + '1,234'.length).toBe(records[0]!.indexOf('records') + 'records'.length);
    const cursorLines = lines.filter((l) => l.includes('(saved '));
    expect(new Set(cursorLines.map((l) => l.indexOf('(saved '))).size).toBe(1);
  });
});
