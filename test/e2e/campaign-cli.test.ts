import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SegmentDefinition } from '../../src/domain/segments.js';
import { groupOf, ControlGroupSettingsSchema } from '../../src/measure/control-groups.js';
import { openStore } from '../../src/store/db.js';
import { writeSegmentationRun } from '../../src/store/segmentation-runs.js';
import { segsync } from '../helpers/cli.js';

const SALT = 'cli-campaign-salt';
const PEOPLE = 600;
const SEGMENTS: SegmentDefinition[] = [
  { key: 'big_spenders', name: 'Big Spenders', kind: 'rule', description: '' },
  { key: 'at_risk', name: 'At Risk', kind: 'rfm', description: '' },
];
const SETTINGS = ControlGroupSettingsSchema.parse({ share: 0.2 });
const group = (id: number) => groupOf(id, SALT, 'big_spenders', SETTINGS);

/** 600 people in Big Spenders (and At Risk), one contact each, after one segmentation run. */
function storeWithOneRun(path: string): void {
  const db = openStore(path, 'create');
  db.prepare("INSERT INTO store_settings (key, value) VALUES ('control_group_salt', ?)").run(SALT);
  const profile = db.prepare("INSERT INTO profiles (id, email_key, created_at) VALUES (?, ?, '2025-01-01')");
  const contact = db.prepare(`INSERT INTO contacts (platform, external_id, email, email_normalized, updated_at, email_consent, raw, content_hash, first_pulled_at, last_pulled_at)
    VALUES ('hubspot', ?, ?, ?, 'now', 'subscribed', '{}', 'h', 'now', 'now')`);
  const identity = db.prepare("INSERT INTO identities (platform, external_id, profile_id) VALUES ('hubspot', ?, ?)");
  const memberships = new Map<number, string[]>();
  for (let id = 1; id <= PEOPLE; id++) {
    profile.run(id, `p${id}@example.com`);
    contact.run(`h${id}`, `p${id}@example.com`, `p${id}@example.com`);
    identity.run(`h${id}`, id);
    memberships.set(id, ['big_spenders', 'at_risk']);
  }
  writeSegmentationRun(db, {
    kinds: ['rfm', 'rule'], createdAt: '2026-01-01T00:00:00.000Z', referenceDate: '2026-01-01T00:00:00.000Z', windowDays: 365, segments: SEGMENTS, memberships,
    rfm: [], tokens: [], summary: {}, profileFeatures: [], personas: [], clustering: {}, predictions: { status: 'off' },
  });
  db.close();
}

/** After the start: 40% of treated people buy once (60 EUR), 20% of controls (50 EUR), 10 days after the start. */
function purchasesAfter(path: string, startedAt: string): void {
  const db = openStore(path, 'write');
  const at = new Date(Date.parse(startedAt) + 10 * 86_400_000).toISOString();
  const insert = db.prepare(`INSERT INTO purchases (platform, external_id, amount, currency, occurred_at, status, updated_at, raw, content_hash, first_pulled_at, last_pulled_at)
    VALUES ('hubspot', ?, ?, 'EUR', ?, 'won', 'now', '{}', 'h', 'now', 'now')`);
  const link = db.prepare("INSERT INTO purchase_contacts (platform, purchase_external_id, contact_external_id) VALUES ('hubspot', ?, ?)");
  for (let id = 1; id <= PEOPLE; id++) {
    const treated = group(id) === 'treatment';
    if (id % 10 < (treated ? 4 : 2)) {
      insert.run(`o${id}`, treated ? 60 : 50, at);
      link.run(`o${id}`, `h${id}`);
    }
  }
  db.close();
}

interface LiftJson {
  ok: boolean;
  campaigns: Array<{
    campaign: { name: string; segmentKey: string };
    window: { start: string; end: string; status: string };
    treatment: { people: number; converters: number };
    control: { people: number; converters: number };
    measures: Array<{ key: string; method: string; treatment: number; control: number; difference: number; differenceCi: [number, number]; relativeCi: [number, number] | null; pValue: number }> | null;
    mde: { absolute: number; relative: number } | null;
    notEnoughData: { reasons: string[]; fixes: string[] } | null;
  }>;
}

describe('segsync campaign and lift', () => {
  let env: NodeJS.ProcessEnv;
  let dbPath: string;
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-campaign-'));
    dbPath = join(dir, 'segsync.db');
    storeWithOneRun(dbPath);
    const config = join(dir, 'segsync.yaml');
    writeFileSync(config, 'controlGroups:\n  share: 0.2\n');
    env = { SEGSYNC_DB: dbPath, SEGSYNC_CONFIG: config, SEGSYNC_LOG_FORMAT: 'pretty' };
  });

  it('refuses a mistyped segment with exit 2, naming the nearest', async () => {
    const r = await segsync(['campaign', 'start', 'big_spendrs'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no segment "big_spendrs".*Did you mean "big_spenders"\?/);
  });

  it('starts a campaign, says "not enough data yet" before any purchase, then measures the lift', async () => {
    const started = await segsync(['campaign', 'start', 'Big Spenders', '--name', 'Spring', '--days', '30', '--json'], env);
    expect(started.code).toBe(0);
    const campaign = (JSON.parse(started.stdout) as { campaign: { startedAt: string; treatment: number; control: number } }).campaign;
    const controls = Array.from({ length: PEOPLE }, (_, i) => i + 1).filter((id) => group(id) === 'control').length;
    expect([campaign.treatment, campaign.control]).toEqual([PEOPLE - controls, controls]);

    const early = await segsync(['lift'], env);
    expect(early.code).toBe(0);
    expect(early.stdout).toMatch(/Not enough data yet:\n {2}- the treatment group has 0 converters/);

    purchasesAfter(dbPath, campaign.startedAt);
    const [json, text, status, list] = await Promise.all([
      segsync(['lift', '--json'], env), segsync(['lift', '--campaign', 'Spring'], env), segsync(['status', '--json'], env), segsync(['campaign', 'list'], env),
    ]);
    expect(json.code).toBe(0);
    const lift = JSON.parse(json.stdout) as LiftJson;
    expect(lift.ok).toBe(true);
    const spring = lift.campaigns[0]!;
    expect(spring.campaign).toMatchObject({ name: 'Spring', segmentKey: 'big_spenders' });
    expect(spring.notEnoughData).toBeNull();
    expect(spring.measures!.map((m) => m.key)).toEqual(['conversion', 'ordersPerPerson', 'revenuePerPerson', 'averageOrderValue', 'unsubscribes']);
    const conversion = spring.measures![0]!;
    expect(conversion.method).toMatch(/^two-proportion z/);
    // Planted: 40% against 20% (by profile id, so about that): the interval holds the observed difference and excludes 0.
    expect(conversion.difference).toBeCloseTo(conversion.treatment - conversion.control, 12);
    expect(conversion.treatment).toBeGreaterThan(0.35);
    expect(conversion.control).toBeLessThan(0.25);
    expect(conversion.differenceCi[0]).toBeGreaterThan(0);
    expect(conversion.pValue).toBeLessThan(0.01);
    expect(spring.measures![3]).toMatchObject({ key: 'averageOrderValue', treatment: 60, control: 50, difference: 10 });
    expect(spring.mde!.absolute).toBeGreaterThan(0);
    // The data's now is the purchases' date, 10 days after the start (ahead of the clock, as in the sandbox).
    expect(Date.parse(spring.window.end) - Date.parse(spring.window.start)).toBe(10 * 86_400_000);

    expect(text.stdout).toMatch(/Campaign "Spring" on Big Spenders \(big_spenders\): window .* \(day 10 of 30\)/);
    expect(text.stdout).toMatch(/conversion \(≥1 purchase\) +\d+\.\d% +\d+\.\d% +\+\d+\.\d pts \[\+\d+\.\d pts, \+\d+\.\d pts\]/);
    expect(text.stdout).toMatch(/Methods: z = two-proportion z/);

    const campaigns = (JSON.parse(status.stdout) as { campaigns: Array<{ name: string; elapsedDays: number; conversion: string }> }).campaigns;
    expect(campaigns).toHaveLength(1);
    expect(campaigns[0]).toMatchObject({ name: 'Spring', elapsedDays: 10 });
    expect(campaigns[0]!.conversion).toMatch(/^conversion \d+\.\d% treated vs \d+\.\d% control, \+\d+\.\d pts \[/);

    expect(list.stdout).toMatch(/Spring +Big Spenders +\d{4}-\d\d-\d\d +day 10 of 30 +\d+ +\d+ +running/);
  }, 60_000);
});
