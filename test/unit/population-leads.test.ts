/**
 * Issue 13 §5: the synthetic population knows the truth about people who never bought (lead
 * types, a hidden next-90-days first purchase), every person has dated events whose counts are
 * the engagement totals the emulators serve, and every order has line items.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ENGAGEMENT_CHANNELS, type EngagementChannel } from '../../src/domain/records.js';
import { DEFAULT_POPULATION_SEED, DEFAULT_POPULATION_SIZE, generatePopulation, personAt } from '../../src/sandbox/population.js';
import { LEAD_TYPES, type LeadType, type SyntheticEvent, type SyntheticPerson } from '../../src/sandbox/population-types.js';

const DAY_MS = 86_400_000;
const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const A = ANCHOR.getTime();
const options = { seed: DEFAULT_POPULATION_SEED, size: DEFAULT_POPULATION_SIZE, anchor: ANCHOR };

let people: SyntheticPerson[] = [];
let leads: SyntheticPerson[] = [];
beforeAll(() => {
  people = [...generatePopulation(options)];
  leads = people.filter((p) => p.leadType);
});

const eventsOf = (p: SyntheticPerson): SyntheticEvent[] => p.events ?? [];
const wonAt = (p: SyntheticPerson): number[] => p.purchases.filter((x) => x.status === 'won').map((x) => Date.parse(x.occurredAt));
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
/** What a person did (everything but the deliveries the sender decides), in the `days` before `at`. */
const activeEventsWithin = (p: SyntheticPerson, at: number, days: number): number =>
  eventsOf(p).filter((e) => e.channel !== 'email_delivered' && e.channel !== 'email_bounce' && Date.parse(e.at) <= at && Date.parse(e.at) > at - days * DAY_MS).length;

/** Area under the ROC curve of `score` for positives vs negatives (ties count half). */
function auc(scores: readonly number[], positive: readonly boolean[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]![0] === order[i]![0]) j++;
    const midRank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (positive[order[k]![1]]) { rankSum += midRank; pos++; }
    i = j;
  }
  const neg = order.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Point-in-time features at `at`: counts per channel over 30/90/365 days, days since the last action and since sign-up, company size. */
function pointInTime(p: SyntheticPerson, at: number): number[] {
  const channels: EngagementChannel[] = ['email_open', 'email_click', 'web_visit', 'page_view', 'form_fill', 'sales_email_reply'];
  const events = eventsOf(p).filter((e) => Date.parse(e.at) <= at);
  const out: number[] = [];
  for (const c of channels) {
    for (const days of [30, 90, 365]) out.push(Math.log1p(events.filter((e) => e.channel === c && Date.parse(e.at) > at - days * DAY_MS).length));
  }
  const last = events.filter((e) => e.channel !== 'email_delivered' && e.channel !== 'email_bounce').at(-1);
  out.push(Math.log1p(last ? (at - Date.parse(last.at)) / DAY_MS : 3650), Math.log1p((at - Date.parse(p.createdAt)) / DAY_MS));
  out.push(p.company ? Math.log(p.company.employees) : 0, p.company ? 0 : 1);
  return out;
}

/** A ridge-regularised logistic regression by gradient descent on z-scored columns; returns the scorer. */
function fitLogistic(x: readonly number[][], y: readonly boolean[]): (row: number[]) => number {
  const width = x[0]!.length;
  const mu = Array.from({ length: width }, (_, j) => mean(x.map((r) => r[j]!)));
  const sd = Array.from({ length: width }, (_, j) => Math.sqrt(mean(x.map((r) => (r[j]! - mu[j]!) ** 2))) || 1);
  const scale = (r: number[]) => r.map((v, j) => (v - mu[j]!) / sd[j]!);
  const z = x.map(scale);
  const w = new Array<number>(width + 1).fill(0);
  const predict = (r: number[]) => 1 / (1 + Math.exp(-(w[width]! + r.reduce((s, v, j) => s + v * w[j]!, 0))));
  for (let step = 0; step < 400; step++) {
    const grad = new Array<number>(width + 1).fill(0);
    z.forEach((r, i) => {
      const err = predict(r) - (y[i] ? 1 : 0);
      for (let j = 0; j < width; j++) grad[j]! += err * r[j]!;
      grad[width]! += err;
    });
    for (let j = 0; j <= width; j++) w[j]! -= (0.5 * grad[j]!) / z.length + (j < width ? 0.005 * w[j]! : 0);
  }
  return (row) => predict(scale(row));
}

describe('dated events', () => {
  it('the engagement and activity totals are the counts and latest dates of the events, for every person of the default population', () => {
    const problems: string[] = [];
    for (const p of people) {
      const events = eventsOf(p);
      const count = (c: EngagementChannel) => events.filter((e) => e.channel === c).length;
      const latest = (c: EngagementChannel) => events.filter((e) => e.channel === c).at(-1)?.at ?? null;
      const a = p.activity!;
      const tracked = a.webVisits !== null;
      const got = [p.engagement.emailsOpened, p.engagement.emailsClicked, p.engagement.lastOpenedAt, a.emailsDelivered, a.emailsBounced, a.lastClickedAt,
        a.webVisits, a.pageViews, a.lastVisitAt, a.formSubmissions, a.lastSalesReplyAt];
      const want = [count('email_open'), count('email_click'), latest('email_open'), count('email_delivered'), count('email_bounce'), latest('email_click'),
        tracked ? count('web_visit') : null, tracked ? count('page_view') : null, latest('web_visit'), count('form_fill'), latest('sales_email_reply')];
      if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${p.index}: ${JSON.stringify(got)} ≠ events ${JSON.stringify(want)}`);
      if (!tracked && (count('web_visit') > 0 || count('page_view') > 0)) problems.push(`${p.index}: untracked visitor with web events`);
      if (problems.length > 5) break;
    }
    expect(problems).toEqual([]);
  });

  it('are oldest first, between sign-up and the anchor, on the engagement channels, and everyone who signed up over a week ago has some', () => {
    const problems: string[] = [];
    for (const p of people) {
      const events = eventsOf(p);
      const created = Date.parse(p.createdAt);
      if (events.length === 0 && A - created > 7 * DAY_MS) problems.push(`${p.index}: no events`);
      for (let i = 0; i < events.length; i++) {
        const at = Date.parse(events[i]!.at);
        if (!(ENGAGEMENT_CHANNELS as readonly string[]).includes(events[i]!.channel)) problems.push(`${p.index}: channel ${events[i]!.channel}`);
        if (at > A || at < created) problems.push(`${p.index}: ${events[i]!.at} outside ${p.createdAt}..anchor`);
        if (i > 0 && at < Date.parse(events[i - 1]!.at)) problems.push(`${p.index}: not oldest first at ${i}`);
      }
      if (p.emailConsent === 'unsubscribed' && !events.some((e) => e.channel === 'unsubscribe')) problems.push(`${p.index}: unsubscribed without an unsubscribe event`);
      if (problems.length > 5) break;
    }
    expect(problems).toEqual([]);
  });

  it('are the same when read again, copied or generated again (built on first read, then kept)', () => {
    const p = personAt(options, 123);
    const first = p.events;
    expect(first?.length).toBeGreaterThan(0);
    expect(p.events).toBe(first);
    expect(personAt(options, 123).events).toEqual(first);
    expect(structuredClone(p).events).toEqual(first);
    expect({ ...personAt(options, 123) }.events).toEqual(first);
    expect((JSON.parse(JSON.stringify(personAt(options, 123))) as SyntheticPerson).events).toEqual(first);
  });

  it('buyers\' engagement rises before their first purchase, as a converting lead\'s does', () => {
    // Buyers who signed up at least 45 days before their first purchase: more activity in the
    // 20 days before it than in the 20 days before that.
    const ratios: number[] = [];
    for (const p of people) {
      const first = wonAt(p)[0];
      if (first === undefined || first - Date.parse(p.createdAt) < 45 * DAY_MS) continue;
      ratios.push((activeEventsWithin(p, first, 20) + 1) / (activeEventsWithin(p, first - 20 * DAY_MS, 20) + 1));
    }
    expect(ratios.length).toBeGreaterThan(300);
    expect(mean(ratios)).toBeGreaterThan(1.3);
  });
});

describe('lead types', () => {
  it('are set exactly for people with no won purchase by the anchor, who keep trueType prospect', () => {
    for (const p of people) {
      const bought = wonAt(p).some((t) => t <= A);
      expect(p.leadType === null, `${p.index}`).toBe(bought);
      expect(p.trueType === 'prospect', `${p.index}`).toBe(!bought);
    }
    const shares = Object.fromEntries(LEAD_TYPES.map((t) => [t, leads.filter((p) => p.leadType === t).length / leads.length]));
    for (const t of LEAD_TYPES) expect(shares[t], t).toBeGreaterThan(0.15);
    expect(people.filter((p) => p.leadType === 'newsletter_reader').every((p) => p.emailConsent === 'subscribed')).toBe(true);
  });

  it('have distinct engagement and company profiles', () => {
    const of = (t: LeadType) => leads.filter((p) => p.leadType === t);
    const avg = (t: LeadType, f: (p: SyntheticPerson) => number | null) => mean(of(t).flatMap((p) => { const v = f(p); return v === null ? [] : [v]; }));
    const openRate = (p: SyntheticPerson) => (p.activity!.emailsDelivered ? p.engagement.emailsOpened / p.activity!.emailsDelivered : null);
    const clickRate = (p: SyntheticPerson) => (p.activity!.emailsDelivered ? p.engagement.emailsClicked / p.activity!.emailsDelivered : null);
    const pagesPerVisit = (p: SyntheticPerson) => (p.activity!.webVisits ? p.activity!.pageViews! / p.activity!.webVisits : null);
    const daysSinceVisit = (p: SyntheticPerson) => (p.activity!.lastVisitAt ? (A - Date.parse(p.activity!.lastVisitAt)) / DAY_MS : null);
    const employees = (t: LeadType) => median(of(t).flatMap((p) => (p.company ? [p.company.employees] : [])));
    // Engaged evaluators: click, visit lately, fill forms; small-mid companies.
    expect(avg('engaged_evaluator', clickRate)).toBeGreaterThan(1.5 * avg('newsletter_reader', clickRate));
    expect(avg('engaged_evaluator', (p) => p.activity!.formSubmissions)).toBeGreaterThan(3 * avg('enterprise_researcher', (p) => p.activity!.formSubmissions));
    expect(avg('engaged_evaluator', daysSinceVisit)).toBeLessThan(15);
    expect(employees('engaged_evaluator')).toBeLessThan(200);
    // Enterprise researchers: many pages per visit, few email clicks, big companies.
    expect(avg('enterprise_researcher', pagesPerVisit)).toBeGreaterThan(2.5 * avg('engaged_evaluator', pagesPerVisit));
    expect(avg('enterprise_researcher', clickRate)).toBeLessThan(0.3 * avg('engaged_evaluator', clickRate));
    expect(employees('enterprise_researcher')).toBeGreaterThan(20 * employees('engaged_evaluator'));
    expect(avg('enterprise_researcher', (p) => p.company?.annualRevenue ?? null)).toBeGreaterThan(50 * avg('newsletter_reader', (p) => p.company?.annualRevenue ?? null));
    // Newsletter readers: open steadily, rarely visit or fill forms.
    expect(avg('newsletter_reader', openRate)).toBeGreaterThan(0.5);
    expect(avg('newsletter_reader', (p) => p.activity!.webVisits)).toBeLessThan(0.2 * avg('engaged_evaluator', (p) => p.activity!.webVisits));
    expect(avg('newsletter_reader', (p) => p.activity!.formSubmissions)).toBeLessThan(0.2);
    // Cold leads: almost nothing, old sign-ups.
    expect(avg('cold_lead', openRate)).toBeLessThan(0.05);
    expect(avg('cold_lead', (p) => p.activity!.webVisits)).toBeLessThan(3);
    expect(of('cold_lead').every((p) => A - Date.parse(p.createdAt) >= 180 * DAY_MS)).toBe(true);
    expect(avg('cold_lead', daysSinceVisit)).toBeGreaterThan(365);
  });
});

describe('the hidden future: who buys for the first time in the 90 days after the anchor', () => {
  const buys = (p: SyntheticPerson) => p.futureFirstPurchaseAt !== null && p.futureFirstPurchaseAt !== undefined;

  it('only leads have one, within 90 days after the anchor; 5–15% of leads, most among engaged evaluators', () => {
    expect(people.filter((p) => !p.leadType).every((p) => p.futureFirstPurchaseAt === null)).toBe(true);
    for (const p of leads.filter(buys)) {
      const at = Date.parse(p.futureFirstPurchaseAt!);
      expect(at).toBeGreaterThan(A);
      expect(at).toBeLessThanOrEqual(A + 90 * DAY_MS);
    }
    const share = leads.filter(buys).length / leads.length;
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.15);
    const rate = (t: LeadType) => leads.filter((p) => p.leadType === t && buys(p)).length / leads.filter((p) => p.leadType === t).length;
    expect(rate('engaged_evaluator')).toBeGreaterThan(rate('enterprise_researcher'));
    expect(rate('enterprise_researcher')).toBeGreaterThan(rate('newsletter_reader'));
    expect(rate('newsletter_reader')).toBeGreaterThan(rate('cold_lead'));
  });

  it('recent engagement predicts it: AUC of the 90-day activity count alone is at least 0.75', () => {
    expect(auc(leads.map((p) => activeEventsWithin(p, A, 90)), leads.map(buys))).toBeGreaterThanOrEqual(0.75);
  });

  it('a small logistic regression on point-in-time counts, recency, tenure and company size reaches AUC 0.8 on held-out leads', () => {
    const x = leads.map((p) => pointInTime(p, A));
    const y = leads.map(buys);
    const train = leads.map((_, i) => i).filter((i) => i % 2 === 0);
    const test = leads.map((_, i) => i).filter((i) => i % 2 === 1);
    const model = fitLogistic(train.map((i) => x[i]!), train.map((i) => y[i]!));
    expect(auc(test.map((i) => model(x[i]!)), test.map((i) => y[i]!))).toBeGreaterThanOrEqual(0.8);
  });

  it('the hazard is the one past buyers converted by: a model fitted on first purchases after a past cutoff ranks the hidden future buyers with AUC 0.75', () => {
    const cutoff = A - 180 * DAY_MS;
    const pool = people.filter((p) => Date.parse(p.createdAt) <= cutoff && !wonAt(p).some((t) => t <= cutoff));
    const label = pool.map((p) => wonAt(p).some((t) => t > cutoff && t <= cutoff + 90 * DAY_MS));
    expect(label.filter(Boolean).length).toBeGreaterThan(30);
    const model = fitLogistic(pool.map((p) => pointInTime(p, cutoff)), label);
    expect(auc(leads.map((p) => model(pointInTime(p, A))), leads.map(buys))).toBeGreaterThanOrEqual(0.75);
  });
});

describe('line items', () => {
  const cents = (x: number) => Math.round(x * 100);

  it('every purchase with an amount has lines that add up to it to the cent; a won deal without an amount has none', () => {
    let withoutAmount = 0;
    for (const p of people) {
      for (const x of p.purchases) {
        if (x.amount === null) {
          withoutAmount++;
          expect(x.items).toEqual([]);
          continue;
        }
        const items = x.items ?? [];
        expect(items.length, x.key).toBeGreaterThan(0);
        expect(items.reduce((s, i) => s + cents(i.amount), 0), x.key).toBe(cents(x.amount));
        for (const i of items) {
          expect(i.quantity).toBeGreaterThanOrEqual(1);
          expect(i.amount).toBeGreaterThan(0);
          expect(i.collections.length).toBeGreaterThan(0);
        }
      }
    }
    expect(withoutAmount).toBeGreaterThan(0);
  });

  it('has 6–10 product types and a few vendors and collections, and interests that differ by customer type', () => {
    const items = people.flatMap((p) => p.purchases.flatMap((x) => x.items ?? []));
    const types = new Set(items.map((i) => i.productType));
    expect(types.size).toBeGreaterThanOrEqual(6);
    expect(types.size).toBeLessThanOrEqual(10);
    expect(new Set(items.map((i) => i.vendor)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(items.flatMap((i) => i.collections)).size).toBeGreaterThanOrEqual(4);
    const spendShare = (type: string, match: (i: { productType: string; collections: string[] }) => boolean) => {
      const lines = people.filter((p) => p.trueType === type).flatMap((p) => p.purchases.filter((x) => x.status === 'won').flatMap((x) => x.items ?? []));
      return lines.filter(match).reduce((s, i) => s + i.amount, 0) / lines.reduce((s, i) => s + i.amount, 0);
    };
    expect(spendShare('frequent_small_buyer', (i) => i.productType === 'Coffee' || i.productType === 'Tea')).toBeGreaterThan(0.6);
    expect(spendShare('rare_big_spender', (i) => i.collections.includes('Equipment'))).toBeGreaterThan(0.7);
    expect(spendShare('frequent_small_buyer', (i) => i.collections.includes('Equipment'))).toBeLessThan(0.05);
  });
});
