/**
 * Issue 13 §4: a store with dated engagement events and purchases, where the people who will buy
 * for the first time after the reference date are planted (their purchases are kept out of the
 * store: the truth the model never sees). `segsync segment` fits the propensity model, ranks them
 * (AUC ≥ 0.75 against that truth), writes the tokens, lets the rule `top 10%` pick them, and
 * `explain` shows a person's propensity with its reasons. Too little history: skipped, with why.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { segsync as runCli } from '../helpers/cli.js';
import { seededRandom } from '../../src/segmentation/random.js';
import { openStore } from '../../src/store/db.js';
import { SourceRecords } from '../../src/store/source-records.js';
import { EngagementEvents } from '../../src/store/engagement-events.js';
import type { ContactRecord, EngagementChannel, EngagementEvent, PurchaseRecord } from '../../src/domain/records.js';

const DAY = 86_400_000;
const REFERENCE = Date.parse('2026-07-01T00:00:00Z');


/** The CLI in `dir`, with its store and config there (test/helpers/cli.ts runs it). */
const segsync = (dir: string, args: string[]) => runCli(args, { SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'segsync.yaml') }, { cwd: dir });


type LeadKind = 'cold' | 'warm' | 'hot';
/** Events per day by channel, and the daily chance of a first purchase. */
const KINDS: Record<LeadKind, { share: number; rates: Partial<Record<EngagementChannel, number>>; hazard: number }> = {
  cold: { share: 0.6, rates: { email_open: 0.01, web_visit: 0.003 }, hazard: 0.00005 },
  warm: { share: 0.3, rates: { email_open: 0.04, email_click: 0.008, web_visit: 0.015, page_view: 0.04, form_fill: 0.002 }, hazard: 0.0008 },
  hot: { share: 0.1, rates: { email_open: 0.08, email_click: 0.025, web_visit: 0.05, page_view: 0.15, form_fill: 0.008 }, hazard: 0.003 },
};
/** In the 45 days before a first purchase people look around: more visits and forms. */
const INTENT = { days: 45, rates: { web_visit: 0.12, page_view: 0.3, form_fill: 0.02 } as Partial<Record<EngagementChannel, number>> };

interface Planted { id: string; email: string; firstPurchaseMs: number }

/** Writes `people` contacts with events and (past) purchases; returns everyone's first purchase, future ones included. */
function buildStore(path: string, people: number, seed: number): Planted[] {
  const rnd = seededRandom(seed);
  const db = openStore(path);
  const records = new SourceRecords(db);
  const events = new EngagementEvents(db);
  const contacts: ContactRecord[] = [];
  const purchases: PurchaseRecord[] = [];
  const stored: EngagementEvent[] = [];
  const planted: Planted[] = [];
  for (let p = 0; p < people; p++) {
    const id = `L${p}`;
    const email = `lead${p}@example.com`;
    const u = rnd();
    const kind: LeadKind = u < KINDS.cold.share ? 'cold' : u < KINDS.cold.share + KINDS.warm.share ? 'warm' : 'hot';
    const createdMs = REFERENCE - Math.floor(60 + rnd() * 840) * DAY;
    const { rates, hazard } = KINDS[kind];
    const firstPurchaseMs = createdMs + Math.floor(-Math.log(1 - rnd()) / hazard) * DAY + Math.floor(rnd() * DAY);
    planted.push({ id, email, firstPurchaseMs });
    contacts.push({
      platform: 'csv', externalId: id, email, phone: null, firstName: 'Lead', lastName: String(p), country: null, city: null,
      createdAt: new Date(createdMs).toISOString(), updatedAt: new Date(createdMs).toISOString(), emailConsent: 'subscribed', archived: false,
      mergedInto: null, mergedFrom: [], attributes: {}, raw: {},
    });
    if (firstPurchaseMs <= REFERENCE) {
      purchases.push({ platform: 'csv', externalId: `O${p}`, contactExternalIds: [id], amount: 100 + Math.round(rnd() * 400), currency: null,
        occurredAt: new Date(firstPurchaseMs).toISOString(), status: 'won', archived: false, updatedAt: new Date(firstPurchaseMs).toISOString(), raw: {} });
    }
    // Events from at most 600 days back (the features look 365 days before cutoffs up to 180 days back) to the reference date.
    const from = Math.max(createdMs, REFERENCE - 600 * DAY);
    let n = 0;
    const add = (channel: EngagementChannel, at: number) => {
      if (at > REFERENCE || at < from) return;
      stored.push({ platform: 'csv', key: `${id}-${n++}`, contactExternalId: id, channel, occurredAt: new Date(at).toISOString(), count: 1 });
    };
    for (let at = from + Math.floor(rnd() * 14) * DAY; at <= REFERENCE; at += 14 * DAY) add('email_delivered', at);
    for (let day = from; day <= REFERENCE; day += DAY) {
      const intent = firstPurchaseMs - day > 0 && firstPurchaseMs - day <= INTENT.days * DAY;
      for (const channel of Object.keys(rates) as EngagementChannel[]) {
        const rate = (rates[channel] ?? 0) + (intent ? INTENT.rates[channel] ?? 0 : 0);
        if (rnd() < rate) add(channel, day + Math.floor(rnd() * DAY));
      }
      if (intent) for (const channel of ['web_visit', 'page_view', 'form_fill'] as const) if (!(channel in rates) && rnd() < INTENT.rates[channel]!) add(channel, day + Math.floor(rnd() * DAY));
    }
  }
  db.transaction(() => {
    records.upsertContacts(contacts, new Date(REFERENCE).toISOString());
    records.upsertPurchases(purchases, new Date(REFERENCE).toISOString());
    events.upsert(stored);
  })();
  db.close();
  return planted;
}

function query<T>(dir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dir, 'segsync.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

interface PropensityJson { status: string; reason?: string; auc?: number; topDecileLift?: number; baseRate?: number; scored?: number; deciles?: unknown[] }

const CONFIG = `segmentation:
  referenceDate: 2026-07-01T00:00:00Z
  clustering: { enabled: false }
segments:
  - key: likely_first_buyers
    name: Likely first buyers
    rule: { op: top, field: purchasePropensity90d, percent: 10 }
`;

describe('first-purchase propensity from the store alone', () => {
  it('ranks the planted future buyers (AUC ≥ 0.75), writes the tokens, feeds `top 10%` and explain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-propensity-'));
    writeFileSync(join(dir, 'segsync.yaml'), CONFIG);
    const planted = buildStore(join(dir, 'segsync.db'), 2500, 13);

    const run = await segsync(dir, ['segment', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const propensity = (JSON.parse(run.stdout) as { segment: { propensity: PropensityJson } }).segment.propensity;
    expect(propensity).toMatchObject({ status: 'fitted' });
    expect(propensity.auc).toBeGreaterThan(0.7); // the model's own check on the validation cutoff
    expect(propensity.topDecileLift).toBeGreaterThan(2);
    expect(propensity.deciles).toHaveLength(10);
    const human = await segsync(dir, ['segment']);
    expect(human.stdout).toMatch(/First-purchase propensity \(90 days\) for [\d,]+ people who never bought\n  Validation .*: AUC 0\.\d{3} · top-decile lift \d+\.\d× · base rate \d+\.\d% · Brier/);
    expect(human.stdout).toMatch(/decile\s+people\s+predicted\s+bought\s+lift/);

    const rows = query<{ id: string; features: string }>(dir, `SELECT i.external_id AS id, f.features FROM profile_features f JOIN identities i ON i.profile_id = f.profile_id
      WHERE f.run_id = (SELECT MAX(run_id) FROM profile_features)`);
    const featuresOf = new Map(rows.map((r) => [r.id, JSON.parse(r.features) as Record<string, number | null>]));
    const neverBought = planted.filter((p) => p.firstPurchaseMs > REFERENCE);
    expect(propensity.scored).toBe(neverBought.length);
    // Held-out truth: a first purchase in the 90 days after the reference date, which the store does not hold.
    const truth = neverBought.map((p) => ({ ...p, buys: p.firstPurchaseMs <= REFERENCE + 90 * DAY, score: featuresOf.get(p.id)!.purchasePropensity90d! }));
    const buyers = truth.filter((t) => t.buys);
    const others = truth.filter((t) => !t.buys);
    expect(buyers.length).toBeGreaterThan(20);
    let wins = 0;
    for (const b of buyers) for (const o of others) wins += b.score > o.score ? 1 : b.score === o.score ? 0.5 : 0;
    const heldOutAuc = wins / (buyers.length * others.length);
    expect(heldOutAuc).toBeGreaterThanOrEqual(0.75);
    console.log(`propensity e2e: validation AUC ${propensity.auc?.toFixed(3)}, top-decile lift ${propensity.topDecileLift?.toFixed(2)}; held-out AUC ${heldOutAuc.toFixed(3)} (${buyers.length} future buyers of ${truth.length})`);

    // Buyers have no propensity; lead scores are whole numbers 0-100.
    const customer = planted.find((p) => p.firstPurchaseMs <= REFERENCE)!;
    expect(featuresOf.get(customer.id)!.purchasePropensity90d).toBeNull();
    for (const t of truth) expect(Number.isInteger(featuresOf.get(t.id)!.leadScore)).toBe(true);

    // Tokens: the propensity with 3 decimals and the lead score for every scored person; empty for customers.
    const tokens = query<{ id: string; token: string; value: string }>(dir, `SELECT i.external_id AS id, t.token, t.value FROM profile_tokens t JOIN identities i ON i.profile_id = t.profile_id
      WHERE t.token IN ('purchase_propensity_90d', 'lead_score')`);
    const tokenOf = (id: string, token: string) => tokens.find((t) => t.id === id && t.token === token)?.value;
    expect(tokenOf(customer.id, 'purchase_propensity_90d')).toBe('');
    expect(tokenOf(customer.id, 'lead_score')).toBe('');
    for (const t of truth.slice(0, 50)) {
      expect(tokenOf(t.id, 'purchase_propensity_90d')).toMatch(/^0\.\d{3}$/);
      expect(Number(tokenOf(t.id, 'purchase_propensity_90d'))).toBeCloseTo(t.score, 2);
      expect(tokenOf(t.id, 'lead_score')).toBe(String(featuresOf.get(t.id)!.leadScore));
    }

    // The rule `top 10%` takes the tenth of scored people with the highest propensity, and finds future buyers there.
    const members = new Set(query<{ id: string }>(dir, `SELECT i.external_id AS id FROM memberships m JOIN identities i ON i.profile_id = m.profile_id
      WHERE m.segment_key = 'likely_first_buyers' AND m.left_at IS NULL`).map((r) => r.id));
    const ranked = [...truth].sort((a, b) => b.score - a.score);
    const cutoff = ranked[Math.ceil(ranked.length * 0.1) - 1]!.score;
    expect([...members].sort()).toEqual(truth.filter((t) => t.score >= cutoff).map((t) => t.id).sort());
    const precision = truth.filter((t) => members.has(t.id) && t.buys).length / members.size;
    expect(precision).toBeGreaterThan(2 * (buyers.length / truth.length));

    // explain: the person's propensity, lead score and what drove it.
    const top = ranked[0]!;
    const explained = await segsync(dir, ['explain', top.email, '--json']);
    expect(explained.code, explained.stderr).toBe(0);
    const why = (JSON.parse(explained.stdout) as { propensity: { status: string; propensity: number; leadScore: number; contributions: Array<{ feature: string; contribution: number }> } }).propensity;
    expect(why).toMatchObject({ status: 'scored', leadScore: 100 });
    expect(why.propensity).toBeCloseTo(top.score, 3);
    expect(why.contributions.length).toBeGreaterThan(0);
    expect(why.contributions.some((c) => c.contribution > 0)).toBe(true);
    const explainedText = await segsync(dir, ['explain', top.email]);
    expect(explainedText.stdout).toMatch(/First-purchase propensity: \d+\.\d% in the next 90 days · lead score 100 of 100/);

    const status = await segsync(dir, ['status', '--json']);
    expect((JSON.parse(status.stdout) as { propensity: string }).propensity).toMatch(/^First-purchase propensity: [\d,]+ people scored; validation AUC 0\.\d{3}, top-decile lift \d+\.\d×$/);

    // The report carries the model's validation: AUC and the ten deciles for the lift bars and the calibration plot.
    const report = await segsync(dir, ['report', '--out', join(dir, 'report.html')]);
    expect(report.code, report.stderr).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<section id="propensity">');
    expect(html).toContain(propensity.auc!.toFixed(3));
    const embedded = JSON.parse(/<script type="application\/json" id="segsync-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as { propensity: { deciles: unknown[] } };
    expect(embedded.propensity.deciles).toHaveLength(10);
  }, 300_000);

  it('skips with the reason when the history is too short, and writes the tokens empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-propensity-'));
    writeFileSync(join(dir, 'segsync.yaml'), CONFIG);
    buildStore(join(dir, 'segsync.db'), 120, 7);
    const run = await segsync(dir, ['segment', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const propensity = (JSON.parse(run.stdout) as { segment: { propensity: PropensityJson } }).segment.propensity;
    expect(propensity.status).toBe('skipped');
    expect(propensity.reason).toMatch(/too little history: \d+ people had never bought at the training cutoff 2026-01-02 .*at least 200 \(segmentation\.propensity\.minPeople\)/);
    const human = await segsync(dir, ['segment']);
    expect(human.stdout).toContain('No first-purchase propensity: too little history');
    const values = query<{ value: string }>(dir, "SELECT DISTINCT value FROM profile_tokens WHERE token IN ('purchase_propensity_90d', 'lead_score')");
    expect(values).toEqual([{ value: '' }]);
  }, 120_000);
});
