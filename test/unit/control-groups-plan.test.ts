/**
 * Control groups wired through the product (issue 14 §1): the plan keeps a segment's control
 * members off its list, segmentation writes each person's groups as the control_group token, and
 * explain shows them. A small store built in memory: no emulator.
 */
import { describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../src/store/db.js';
import { SourceRecords } from '../../src/store/source-records.js';
import type { ContactRecord } from '../../src/domain/records.js';
import type { Destination } from '../../src/domain/connector.js';
import { destinationSettings, parseWorkspace, type Workspace } from '../../src/config/workspace.js';
import { runSegmentation } from '../../src/pipeline/segment.js';
import { planDestination } from '../../src/pipeline/plan.js';
import { DestinationState } from '../../src/store/destination-state.js';
import { controlGroupSalt } from '../../src/store/store-settings.js';
import { groupOf } from '../../src/measure/control-groups.js';
import { GROUP_TOKEN_MAX_LENGTH, groupTokenValue } from '../../src/measure/group-token.js';
import { tokenSpecs } from '../../src/segmentation/tokens.js';

const PLATFORM = 'hubspot';
const REFERENCE = '2026-06-01T00:00:00.000Z';

function contact(externalId: string, fields: Partial<ContactRecord> = {}): ContactRecord {
  return {
    platform: PLATFORM, externalId, email: `p${externalId}@example.com`, phone: null, firstName: null, lastName: null, country: 'DE', city: null,
    createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', emailConsent: 'subscribed', archived: false, mergedInto: null,
    mergedFrom: [], attributes: {}, raw: {}, ...fields,
  };
}

function workspace(extra: Record<string, unknown> = {}): Workspace {
  return parseWorkspace({
    segmentation: { referenceDate: REFERENCE, predictions: { enabled: false }, propensity: { enabled: false } },
    segments: [{ key: 'germans', name: 'Germans', rule: { op: 'in', field: 'country', values: ['DE'] } }],
    ...extra,
  }, 'workspace.yaml', [PLATFORM]);
}

/** `people` subscribed contacts in Germany (all prospects: no purchases), segmented once. */
function store(people: number, ws: Workspace): Db {
  const db = openStore(':memory:');
  // A fixed salt: a random one would make the share a draw (its spread on 3,000 members is half a point).
  db.prepare("INSERT INTO store_settings (key, value) VALUES ('control_group_salt', 'a fixed salt for the tests')").run();
  const ids = Array.from({ length: people }, (_, i) => String(i + 1));
  new SourceRecords(db).upsertContacts(ids.map((id) => contact(id)), REFERENCE);
  runSegmentation(db, ws, { now: Date.parse(REFERENCE) });
  return db;
}

const destination: Destination = {
  capabilities: { lists: true, tokens: true, maxBatch: { listMembers: 100, tokens: 100 } },
  tokenField: (key) => (key === 'control_group' ? 'segsync_group' : undefined),
  ensureSchema: () => Promise.resolve(),
  ensureList: () => Promise.resolve('list'),
  apply: () => Promise.reject(new Error('a plan test sends nothing')),
};

const plan = (db: Db, ws: Workspace, mode: 'mirror' | 'additive' = 'mirror') =>
  planDestination(db, PLATFORM, destination, { ...destinationSettings(ws, PLATFORM), mode }, ws.controlGroups);

const profileOf = (db: Db, externalId: string) =>
  (db.prepare('SELECT profile_id AS p FROM identities WHERE platform = ? AND external_id = ?').get(PLATFORM, externalId) as { p: number }).p;

const tokenOf = (db: Db, externalId: string) =>
  (db.prepare("SELECT value FROM profile_tokens WHERE profile_id = ? AND token = 'control_group'").get(profileOf(db, externalId)) as { value: string } | undefined)?.value;

describe('control groups in the plan', () => {
  it('holds 10% of a segment out of its list (within a point on 3,000 members), and counts them', () => {
    const ws = workspace();
    const db = store(3000, ws);
    const germans = plan(db, ws).lists.find((l) => l.segmentKey === 'germans')!;
    expect(germans.add.length + germans.heldOut).toBe(3000);
    expect(Math.abs(germans.heldOut / 3000 - 0.1)).toBeLessThan(0.01);
    expect(controlGroupSalt(db)).toBe('a fixed salt for the tests');
    // Exactly the people groupOf puts in control, and none of them is added.
    const salt = controlGroupSalt(db);
    const added = new Set(germans.add);
    for (let id = 1; id <= 3000; id++) {
      const control = groupOf(profileOf(db, String(id)), salt, 'germans', ws.controlGroups) === 'control';
      expect(added.has(String(id))).toBe(!control);
    }
  });

  it('holds out the same people after another segmentation run', () => {
    const ws = workspace();
    const db = store(1000, ws);
    // Everyone is a member of both segments: whoever is not added is held out.
    const listed = (p: ReturnType<typeof plan>) => new Set(p.lists.flatMap((l) => l.add.map((id) => `${l.segmentKey}:${id}`)));
    const first = listed(plan(db, ws));
    expect(first.size).toBeLessThan(2000 * 0.95);
    runSegmentation(db, ws, { now: Date.parse(REFERENCE) + 86_400_000 });
    expect(listed(plan(db, ws))).toEqual(first);
  });

  it('mirror mode removes a control member already on the list, under the default mass-removal guard', () => {
    const ws = workspace();
    const db = store(1000, ws);
    // The list as pushed before control groups were on: every member.
    new DestinationState(db).recordListAdds(PLATFORM, 'germans', Array.from({ length: 1000 }, (_, i) => String(i + 1)), REFERENCE);
    const p = plan(db, ws);
    const germans = p.lists.find((l) => l.segmentKey === 'germans')!;
    expect(germans.add).toEqual([]);
    expect(germans.remove.length).toBe(germans.heldOut);
    expect(germans.remove.length).toBeGreaterThan(50);
    expect(p.guardViolations.filter((v) => v.segmentKey === 'germans')).toEqual([]);
  });

  it('additive mode keeps a control member already on the list and counts it as a removal kept back', () => {
    const ws = workspace();
    const db = store(1000, ws);
    new DestinationState(db).recordListAdds(PLATFORM, 'germans', Array.from({ length: 1000 }, (_, i) => String(i + 1)), REFERENCE);
    const p = plan(db, ws, 'additive');
    const germans = p.lists.find((l) => l.segmentKey === 'germans')!;
    expect(germans.remove).toEqual([]);
    expect(germans.heldOut).toBeGreaterThan(50);
    // prospects was never pushed, so every kept-back removal is a germans control member.
    expect(p.skippedRemovals).toBe(germans.heldOut);
  });

  it('share 0 holds nobody out and leaves the control_group token empty', () => {
    const ws = workspace({ controlGroups: { share: 0 } });
    const db = store(500, ws);
    const p = plan(db, ws);
    expect(p.lists.every((l) => l.heldOut === 0)).toBe(true);
    expect(p.lists.find((l) => l.segmentKey === 'germans')!.add.length).toBe(500);
    expect(tokenOf(db, '1')).toBe('');
    expect(p.tokens).toEqual([]);
  });

  it('a per-segment share replaces the default share for that segment only', () => {
    const ws = workspace({ controlGroups: { share: 0.1, segments: { germans: 0 } } });
    const db = store(1000, ws);
    const p = plan(db, ws);
    expect(p.lists.find((l) => l.segmentKey === 'germans')!.heldOut).toBe(0);
    expect(p.lists.find((l) => l.segmentKey === 'prospects')!.heldOut).toBeGreaterThan(50);
  });

  it('an unsubscribed member is in neither group: not held out, its token empty', () => {
    const ws = workspace({ destinations: { hubspot: { listUnsubscribed: true } } });
    const db = store(400, ws);
    const salt = controlGroupSalt(db);
    // Find people whom the hash puts in control of germans; make one of them unsubscribed.
    const control = Array.from({ length: 400 }, (_, i) => String(i + 1)).filter((id) => groupOf(profileOf(db, id), salt, 'germans', ws.controlGroups) === 'control');
    const [optedOut] = control;
    new SourceRecords(db).upsertContacts([contact(optedOut!, { emailConsent: 'unsubscribed' })], REFERENCE);
    runSegmentation(db, ws, { now: Date.parse(REFERENCE) });
    const germans = plan(db, ws).lists.find((l) => l.segmentKey === 'germans')!;
    // listUnsubscribed: true lists them, so the only reason to keep them off would be the control group.
    expect(germans.add).toContain(optedOut);
    expect(germans.heldOut).toBe(control.length - 1);
    expect(tokenOf(db, optedOut!)).toBe('');
    expect(tokenOf(db, control[1]!)).toMatch(/germans=control/);
  });

  it('writes the control_group token as sorted key=group pairs for every open segment', () => {
    const ws = workspace();
    const db = store(300, ws);
    const salt = controlGroupSalt(db);
    for (const id of ['1', '2', '3', '150', '300']) {
      const profile = profileOf(db, id);
      const expected = ['germans', 'prospects'].map((k) => `${k}=${groupOf(profile, salt, k, ws.controlGroups)}`).join('; ');
      expect(tokenOf(db, id)).toBe(expected);
    }
    // A first plan sends it: a new value for every contact (none is empty while groups are on).
    expect(plan(db, ws).tokens.length).toBe(300);
    // The field's description says how the value is cut, and itself fits a Shopify metafield definition (255).
    const description = tokenSpecs([], null).find((t) => t.key === 'control_group')!.description;
    expect(description).toMatch(/255 characters/);
    expect(description.length).toBeLessThanOrEqual(255);
  });

  it('warns about a controlGroups.segments key that names no segment, with the nearest one', () => {
    const ws = workspace({ controlGroups: { segments: { germanz: 0.2 } } });
    const db = openStore(':memory:');
    new SourceRecords(db).upsertContacts([contact('1')], REFERENCE);
    const summary = runSegmentation(db, ws, { now: Date.parse(REFERENCE) });
    expect(summary.warnings.join('\n')).toMatch(/controlGroups\.segments\.germanz: no segment has the key "germanz".*did you mean germans\?/);
  });
});

describe('the control_group token value', () => {
  it('sorts the pairs by segment key and joins them with "; "', () => {
    expect(groupTokenValue([['champions', 'treatment'], ['at_risk', 'control']])).toBe('at_risk=control; champions=treatment');
    expect(groupTokenValue([])).toBe('');
  });

  it('over 255 characters, keeps every control pair and drops treatment pairs from the end', () => {
    const groups = Array.from({ length: 30 }, (_, i) => [`segment_number_${String(i).padStart(2, '0')}`, i % 7 === 0 || i === 29 ? 'control' : 'treatment'] as const);
    const value = groupTokenValue(groups);
    expect(value.length).toBeLessThanOrEqual(GROUP_TOKEN_MAX_LENGTH);
    const pairs = value.split('; ');
    // Every control pair survives, the last one (segment 29) included.
    for (const [key, group] of groups) if (group === 'control') expect(pairs).toContain(`${key}=control`);
    // The treatment pairs kept are the first ones, in order, and as many as fit.
    const treatment = pairs.filter((p) => p.endsWith('=treatment'));
    expect(treatment).toEqual(groups.filter(([, g]) => g === 'treatment').slice(0, treatment.length).map(([k]) => `${k}=treatment`));
    const next = groups.filter(([, g]) => g === 'treatment')[treatment.length]!;
    expect(`${value}; ${next[0]}=treatment`.length).toBeGreaterThan(GROUP_TOKEN_MAX_LENGTH);
  });

  it('still fits 255 characters when the control pairs alone are longer (a global control member in many segments)', () => {
    const value = groupTokenValue(Array.from({ length: 20 }, (_, i) => [`segment_number_${String(i).padStart(2, '0')}`, 'control'] as const));
    expect(value.length).toBeLessThanOrEqual(GROUP_TOKEN_MAX_LENGTH);
    expect(value.startsWith('segment_number_00=control; segment_number_01=control')).toBe(true);
  });
});
