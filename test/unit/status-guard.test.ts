/**
 * The status guard (issue 12, trial item 1): a pull batch that would turn most of the stored won
 * purchases it updates into another status (a misspelt status value in the mapping gives every
 * purchase the default) is refused before anything of it is written, unless --allow-blanking.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonValue, Source, SourcePage } from '../../src/domain/connector.js';
import type { PurchaseRecord, PurchaseStatus } from '../../src/domain/records.js';
import { pullSource } from '../../src/pipeline/pull.js';
import { StatusChangeError, wonStatusViolation } from '../../src/pipeline/status-guard.js';
import { errorKind } from '../../src/pipeline/error-kind.js';
import type { StoredPurchaseStatus } from '../../src/store/purchase-status.js';
import { openStore, type Db } from '../../src/store/db.js';
import type { Mapping } from '../../src/config/mapping.js';

function purchase(id: number, status: PurchaseStatus, over: Partial<PurchaseRecord> = {}): PurchaseRecord {
  return {
    platform: 'hubspot',
    externalId: String(id),
    contactExternalIds: [String(id)],
    amount: 100,
    currency: 'USD',
    occurredAt: '2026-01-01T00:00:00.000Z',
    status,
    archived: false,
    updatedAt: '2026-01-01T00:00:00.000Z',
    raw: {},
    ...over,
  };
}

/** What a misspelt status value gives: the mapping's default, flagged as such by the connector. */
const defaulted = (id: number, status: PurchaseStatus, over: Partial<PurchaseRecord> = {}) => purchase(id, status, { statusDefaulted: true, ...over });

const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);
const storedAs = (records: PurchaseRecord[]) => {
  const byId = new Map(records.map((r): [string, StoredPurchaseStatus] => [r.externalId, { status: r.status, archived: r.archived }]));
  return (id: string) => byId.get(id);
};

describe('the status guard decides on a batch', () => {
  const stored = storedAs(ids(20).map((i) => purchase(i, i <= 18 ? 'won' : 'lost')));

  it('refuses a batch that turns most stored won purchases into another status, counting where they go', () => {
    const batch = ids(20).map((i) => defaulted(i, 'open'));
    expect(wonStatusViolation(batch, stored, 0.5)).toEqual({ holding: 18, changed: 18, to: { open: 18 }, example: { externalId: '1', status: 'open' } });
  });

  it('lets through half or less, fewer than ten, deletions, new purchases and purchases not won before', () => {
    expect(wonStatusViolation(ids(18).map((i) => i <= 9 ? defaulted(i, 'refunded') : purchase(i, 'won')), stored, 0.5)).toBeUndefined();
    expect(wonStatusViolation(ids(9).map((i) => defaulted(i, 'open')), storedAs(ids(9).map((i) => purchase(i, 'won'))), 0.5)).toBeUndefined();
    expect(wonStatusViolation(ids(18).map((i) => defaulted(i, 'open', { archived: true })), stored, 0.5)).toBeUndefined();
    expect(wonStatusViolation(ids(20, 100).map((i) => defaulted(i, 'open')), stored, 0.5)).toBeUndefined();
    const lostBefore = storedAs(ids(20).map((i) => purchase(i, 'lost')));
    expect(wonStatusViolation(ids(20).map((i) => defaulted(i, 'open')), lostBefore, 0.5)).toBeUndefined();
  });

  it('lets through any number of statuses the platform states: orders really cancelled are news, not a misspelt mapping', () => {
    expect(wonStatusViolation(ids(20).map((i) => purchase(i, 'cancelled')), stored, 0.5)).toBeUndefined();
    // Mixed: only the defaulted ones count, 9 of 18 is not more than half.
    const mixed = ids(18).map((i) => i <= 9 ? defaulted(i, 'open') : purchase(i, 'cancelled'));
    expect(wonStatusViolation(mixed, stored, 0.5)).toBeUndefined();
  });

  it('follows the configured share', () => {
    const batch = ids(18).map((i) => i <= 12 ? defaulted(i, 'open') : purchase(i, 'won'));
    expect(wonStatusViolation(batch, stored, 0.7)).toBeUndefined();
    expect(wonStatusViolation(batch, stored, 0.5)?.changed).toBe(12);
  });
});

describe('pullSource with the status guard', () => {
  let db: Db;
  afterEach(() => db?.close());

  function source(pages: Array<{ purchases: PurchaseRecord[]; cursor: JsonValue }>): Source {
    return {
      streams: [{
        name: 'purchases',
        async *read() {
          for (const p of pages) {
            const page: SourcePage = { contacts: [], purchases: p.purchases, quarantined: [], received: p.purchases.length, cursor: p.cursor };
            yield page;
          }
        },
      }],
    };
  }
  const status: Mapping['purchases']['status'] = { field: 'dealstage', values: { closedwn: 'won', closedlost: 'lost' }, default: 'open' };
  const mapping = { purchases: { fields: { amount: 'amount', occurredAt: 'closedate' }, status } } as unknown as Mapping;
  const run = (s: Source, allow = false) => pullSource({
    db, platform: 'hubspot', source: s, full: false, signal: new AbortController().signal, blanking: { allow, threshold: 0.5 },
    mapping: { displayName: 'HubSpot', origin: { file: '/work/typo.yaml', workspaceAttributes: [] }, mapping },
  });
  const statuses = () => (db.prepare("SELECT status, COUNT(*) AS n FROM purchases WHERE platform = 'hubspot' GROUP BY status ORDER BY status").all() as Array<{ status: string; n: number }>);
  const cursor = () => (db.prepare("SELECT cursor FROM stream_cursors WHERE platform = 'hubspot' AND stream = 'purchases'").get() as { cursor: string } | undefined)?.cursor;

  it('writes nothing of a refused batch, names the status field, the mapping file, the counts and an example; --allow-blanking writes it', async () => {
    db = openStore(':memory:');
    await run(source([{ purchases: ids(30).map((i) => purchase(i, i <= 25 ? 'won' : 'lost')), cursor: 'one' }]));
    const retyped = source([{ purchases: ids(30).map((i) => defaulted(i, 'open')), cursor: 'two' }]);
    const error = await run(retyped).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatusChangeError);
    expect(errorKind(error)).toBe('status_guard');
    const message = (error as Error).message;
    expect(message).toContain('hubspot purchases: pull stopped: this batch would turn 25 of the 25 stored won purchases it updates into the mapping\'s default status (open 25) because their status value is none of the mapped ones');
    expect(message).toContain('the status field "dealstage" (purchases.status in /work/typo.yaml) maps "closedwn" → won, "closedlost" → lost; any other value → open');
    expect(message).toContain('e.g. external id 1: stored won, now open');
    expect(message).toContain('--allow-blanking');
    expect(statuses()).toEqual([{ status: 'lost', n: 5 }, { status: 'won', n: 25 }]);
    expect(cursor()).toBe('"one"');
    await run(retyped, true);
    expect(statuses()).toEqual([{ status: 'open', n: 30 }]);
    expect(cursor()).toBe('"two"');
  });
});
