/**
 * The quarantine is no dead end: a record quarantined by a one-off fault (the HubSpot emulator
 * serves some records corrupted, once) is read again by id and stored by the next plain `pull`;
 * records whose data is wrong wait until they change (or `quarantine retry`); `quarantine list`,
 * `export` and `retry` work through the CLI.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Corruption } from '../../connectors/hubspot/emulator/index.js';
import { openStore } from '../../src/store/db.js';
import { Quarantine } from '../../src/store/quarantine.js';
import { hubspotWorld, type HubSpotWorld } from '../helpers/sandbox.js';
import { segsync } from '../helpers/cli.js';



interface PullJson {
  pull: { streams: Array<{ stream: string; mode: string; refetched?: { asked: number; stored: number; quarantined: number; missing: number } }> };
}

describe('segsync quarantine', () => {
  let world: HubSpotWorld;
  let corrupted: Corruption[];
  const read = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = new Database(world.dbPath, { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  const quarantined = (id: string) => read<{ kind: string; missing_since: string | null }>('SELECT kind, missing_since FROM quarantine WHERE platform = ? AND external_id = ?', 'hubspot', id)[0];
  const storedEmail = (id: string) => read<{ email: string | null }>("SELECT email FROM contacts WHERE platform = 'hubspot' AND external_id = ?", id)[0]?.email;
  const storedDeal = (id: string) => read<{ amount: number | null }>("SELECT amount FROM purchases WHERE platform = 'hubspot' AND external_id = ?", id)[0];
  const of = (objectType: Corruption['objectType'], kind: Corruption['kind']) => corrupted.find((c) => c.objectType === objectType && c.kind === kind)!;

  beforeAll(async () => {
    world = await hubspotWorld({ size: 150 });
    world.emulator.injectScenario({ kind: 'malformed-records', count: 11 });
    const first = await segsync(['pull', '--json'], world.env);
    expect(first.code, first.stderr).toBe(0);
    corrupted = [...world.emulator.corruptions()];
  }, 60_000);
  afterAll(() => world.close());

  it('quarantines the corrupted records of the first pull by kind of reason', () => {
    expect(new Set(corrupted.map((c) => `${c.objectType} ${c.kind}`)).size).toBe(11);
    expect(quarantined(of('contacts', 'wrong-type').id)).toMatchObject({ kind: 'malformed' });
    expect(quarantined(of('contacts', 'impossible-date').id)).toMatchObject({ kind: 'malformed' });
    expect(quarantined(of('deals', 'wrong-type').id)).toMatchObject({ kind: 'malformed' });
    expect(quarantined(of('contacts', 'huge-string').id)).toMatchObject({ kind: 'invalid-email' });
    expect(quarantined(of('deals', 'non-numeric-amount').id)).toMatchObject({ kind: 'invalid-number' });
    expect(quarantined(of('deals', 'negative-amount').id)).toMatchObject({ kind: 'negative-amount' });
    expect(storedEmail(of('contacts', 'wrong-type').id)).toBeUndefined();
  });

  it('list: counts per platform, stream and reason kind, and the newest entries', async () => {
    const { code, stdout } = await segsync(['quarantine', 'list', '--json', '--limit', '3'], world.env);
    expect(code).toBe(0);
    const list = JSON.parse(stdout) as { total: number; groups: Array<{ platform: string; stream: string; kind: string; records: number; withoutId: number }>; entries: unknown[] };
    const count = (stream: string, kind: string) => list.groups.find((g) => g.stream === stream && g.kind === kind)?.records ?? 0;
    // wrong-type, impossible-date (HubSpot's own updatedAt), unicode-id and missing-id contacts; the wrong-type deal.
    expect(count('contacts', 'malformed')).toBe(4);
    expect(count('purchases', 'malformed')).toBe(1);
    expect(count('contacts', 'invalid-email')).toBe(1);
    expect(count('purchases', 'invalid-date')).toBe(1);
    expect(list.total).toBe(list.groups.reduce((n, g) => n + g.records, 0));
    expect(list.entries).toHaveLength(3);
    const human = await segsync(['quarantine', 'list', '--reason', 'malformed'], world.env);
    expect(human.stdout).toMatch(/hubspot +contacts +malformed +4 /);
    expect(human.stdout).toContain('read again by id by the next pull');
    expect(human.stdout).not.toContain('invalid-email');
    expect((await segsync(['quarantine', 'list', '--reason', 'bogus'], world.env)).code).toBe(2);
  });

  it('the next plain pull reads the records that may pass again by id and stores them once the fault is gone', async () => {
    const { code, stdout, stderr } = await segsync(['pull', '--json'], world.env);
    expect(code, stderr).toBe(0);
    const streams = (JSON.parse(stdout) as PullJson).pull.streams;
    // HubSpot's contacts, deals and engagement (property history) streams.
    expect(streams.map((s) => s.mode)).toEqual(['incremental', 'incremental', 'incremental']);
    // Contacts: wrong-type and impossible-date now valid; the unicode id is no HubSpot id.
    expect(streams[0]!.refetched).toEqual({ asked: 3, stored: 2, quarantined: 0, missing: 1 });
    expect(streams[1]!.refetched).toEqual({ asked: 1, stored: 1, quarantined: 0, missing: 0 });

    for (const kind of ['wrong-type', 'impossible-date'] as const) {
      const c = of('contacts', kind);
      expect(quarantined(c.id), kind).toBeUndefined();
      expect(storedEmail(c.id), kind).toBe(world.emulator.listContacts().find((x) => x.id === c.id)!.properties.email);
    }
    const deal = of('deals', 'wrong-type');
    expect(quarantined(deal.id)).toBeUndefined();
    expect(storedDeal(deal.id)?.amount).toBe(Number(world.emulator.listDeals().find((d) => d.id === deal.id)!.properties.amount));
    // Data problems wait until the record changes: not read again, still quarantined.
    expect(quarantined(of('contacts', 'huge-string').id)).toMatchObject({ kind: 'invalid-email' });
    expect(quarantined(of('deals', 'negative-amount').id)).toMatchObject({ kind: 'negative-amount' });
    expect(quarantined(of('contacts', 'unicode-id').servedId)).toMatchObject({ kind: 'malformed', missing_since: expect.any(String) });

    // Nothing is due any more: a third pull asks for nothing by id.
    const third = JSON.parse((await segsync(['pull', '--json'], world.env)).stdout) as PullJson;
    expect(third.pull.streams.map((s) => s.refetched)).toEqual([undefined, undefined, undefined]);
  }, 60_000);

  it('retry marks records for the next pull; one that now validates leaves the quarantine', async () => {
    const retry = await segsync(['quarantine', 'retry', '--reason', 'invalid-email', '--json'], world.env);
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ ok: true, marked: 1 });
    const { code, stdout } = await segsync(['pull', '--json'], world.env);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as PullJson).pull.streams[0]!.refetched).toEqual({ asked: 1, stored: 1, quarantined: 0, missing: 0 });
    const c = of('contacts', 'huge-string');
    expect(quarantined(c.id)).toBeUndefined();
    expect(storedEmail(c.id)).toBe(world.emulator.listContacts().find((x) => x.id === c.id)!.properties.email);

    // Retried by platform and kind: the deal served with a negative amount once is whole on HubSpot.
    const negative = of('deals', 'negative-amount');
    const marked = await segsync(['quarantine', 'retry', '--platform', 'hubspot', '--reason', 'negative-amount'], world.env);
    expect(marked.stdout).toContain('Marked 1 record to be read again by id by the next `segsync pull`');
    const again = JSON.parse((await segsync(['pull', '--json'], world.env)).stdout) as PullJson;
    expect(again.pull.streams[1]!.refetched).toEqual({ asked: 1, stored: 1, quarantined: 0, missing: 0 });
    expect(quarantined(negative.id)).toBeUndefined();
    expect(storedDeal(negative.id)?.amount).toBeGreaterThan(0);
  }, 60_000);

  it('status keeps a short view with counts per reason and points to quarantine list', async () => {
    const { stdout } = await segsync(['status'], world.env);
    expect(stdout).toMatch(/Quarantine: \d+ records \(missing-value \d+, malformed 2, invalid-date 1, invalid-number 1\); `segsync quarantine list` shows them all/);
  });

  it('export writes every row owner-only, neutralising formula cells; JSON lines on stdout with --format jsonl', async () => {
    // A source may quote what it was sent in a reason: a cell a spreadsheet would run.
    const db = openStore(world.dbPath);
    new Quarantine(db).add([{ platform: 'hubspot', stream: 'contacts', externalId: '999999', reason: "=cmd|' /C calc'!A0", kind: 'other', raw: { id: '999999' } }], new Date().toISOString());
    const total = (db.prepare('SELECT COUNT(*) AS n FROM quarantine').get() as { n: number }).n;
    db.close();

    const out = join(mkdtempSync(join(tmpdir(), 'segsync-quarantine-')), 'quarantine.csv');
    const { code, stdout } = await segsync(['quarantine', 'export', '--out', out, '--json'], world.env);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, path: out, format: 'csv', records: total });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const csv = readFileSync(out, 'utf8');
    expect(csv.split('\n')[0]).toBe('platform,stream,external_id,reason_kind,may_pass_later,reason,first_seen_at,last_seen_at,read_again_after,reads_again,not_found_since,raw');
    expect(csv).toContain(`hubspot,contacts,999999,other,no,"'=cmd|' /C calc'!A0",`);
    expect(csv).not.toMatch(/(^|,)=cmd/m);

    // --format jsonl: JSON lines on stdout (--json alone is one document: test/e2e/cli-output.test.ts).
    const lines = (await segsync(['quarantine', 'export', '--format', 'jsonl'], world.env)).stdout.trim().split('\n').map((l) => JSON.parse(l) as { externalId: string | null; kind: string; raw: unknown });
    expect(lines).toHaveLength(total);
    expect(lines.find((l) => l.externalId === '999999')).toMatchObject({ kind: 'other', raw: { id: '999999' } });
  }, 30_000);
});
