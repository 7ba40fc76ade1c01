import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_POPULATION_SEED,
  DEFAULT_POPULATION_SIZE,
  MAX_POPULATION_SIZE,
  generatePopulation,
  parsePopulationOptions,
  personAt,
  typeShares,
} from '../../src/sandbox/population.js';
import { CUSTOMER_TYPES, type CustomerType, type SyntheticPerson } from '../../src/sandbox/population-types.js';

const DAY_MS = 86_400_000;
const ANCHOR = new Date('2025-06-01T00:00:00.000Z');
const A = ANCHOR.getTime();
const N = 20_000;

const options = (seed = 42, size = N, anchor = ANCHOR) => ({ seed, size, anchor });
const daysAgo = (iso: string): number => (A - Date.parse(iso)) / DAY_MS;
const won = (p: SyntheticPerson) => p.purchases.filter((x) => x.status === 'won');
const wonWithin = (p: SyntheticPerson, days: number) => won(p).filter((x) => daysAgo(x.occurredAt) <= days);

let people: SyntheticPerson[] = [];
let byType: Record<CustomerType, SyntheticPerson[]>;

function loadPopulation(): void {
  if (people.length > 0) return;
  people = [...generatePopulation(options())];
  byType = Object.fromEntries(CUSTOMER_TYPES.map((t) => [t, people.filter((p) => p.trueType === t)])) as Record<
    CustomerType,
    SyntheticPerson[]
  >;
}

/** Collects the first few failures instead of calling expect() per item (much faster on 20,000). */
function failures<T>(items: readonly T[], check: (item: T) => string | undefined, limit = 5): string[] {
  const out: string[] = [];
  for (const item of items) {
    const problem = check(item);
    if (problem !== undefined) out.push(problem);
    if (out.length >= limit) break;
  }
  return out;
}

describe('streaming', () => {
  it('streams 200,000 people in bounded memory', () => {
    // global.gc is unavailable, so heapUsed includes garbage not yet collected. The lowest reading in
    // a window approximates live memory after a collection; keeping 200,000 people would add ~600 MB.
    const before = process.memoryUsage().heapUsed;
    const samples: number[] = [];
    let count = 0;
    let purchases = 0;
    const started = performance.now();
    for (const p of generatePopulation(options(7, 200_000))) {
      count++;
      purchases += p.purchases.length;
      if ((count & 0x7ff) === 0) samples.push(process.memoryUsage().heapUsed);
    }
    const seconds = (performance.now() - started) / 1000;
    const floorAtEnd = Math.min(...samples.slice(-20));
    expect(count).toBe(200_000);
    expect(purchases).toBeGreaterThan(1_000_000);
    expect(floorAtEnd - before).toBeLessThan(200 * 1024 * 1024);
    expect(Math.max(...samples) - before).toBeLessThan(400 * 1024 * 1024);
    // Issue 13 added counted events (about 240 a person) and line items: about 1.7× the CPU of
    // before (200,000 people in 11 s → 17 s on the shared 2-core machine at load 7).
    expect(seconds).toBeLessThan(25);
  }, 45_000);
});

describe('determinism', () => {
  beforeAll(loadPopulation);

  it('gives identical people for the same seed and anchor', () => {
    const again = [...generatePopulation(options(42, 500))];
    expect(again).toEqual(people.slice(0, 500));
  });

  it('gives different people for a different seed', () => {
    const other = [...generatePopulation(options(43, 500))];
    const sameEmail = other.filter((p, i) => p.email === people[i]?.email).length;
    const sameName = other.filter((p, i) => `${p.firstName} ${p.lastName}` === `${people[i]?.firstName} ${people[i]?.lastName}`).length;
    expect(sameEmail).toBe(0);
    expect(sameName).toBeLessThan(25);
  });

  it('personAt(i) equals the i-th generated person, whatever the size', () => {
    for (const i of [0, 1, 2, 17, 999, 4_321, 12_345, N - 1]) {
      expect(personAt(options(), i)).toEqual(people[i]);
      expect(personAt(options(42, MAX_POPULATION_SIZE), i)).toEqual(people[i]);
    }
    expect(personAt(options(42, 5), 3)).toEqual(people[3]);
  });

  it('moving the anchor shifts dates but keeps who everyone is', () => {
    const later = new Date(A + 10 * DAY_MS);
    for (const i of [0, 5, 77, 1234]) {
      const p = personAt(options(), i);
      const q = personAt(options(42, N, later), i);
      const sameEngagement = { ...q.engagement, lastOpenedAt: p.engagement.lastOpenedAt };
      const sameActivity = { ...q.activity!, lastClickedAt: p.activity!.lastClickedAt, lastVisitAt: p.activity!.lastVisitAt, lastSalesReplyAt: p.activity!.lastSalesReplyAt };
      const sameFuture = p.futureFirstPurchaseAt;
      expect({ ...q, createdAt: p.createdAt, purchases: [], engagement: sameEngagement, activity: sameActivity, events: [], futureFirstPurchaseAt: sameFuture })
        .toEqual({ ...p, purchases: [], events: [] });
      // Every event, and the hidden future, move with the anchor.
      expect(q.events!.map((e) => [e.channel, Date.parse(e.at) - 10 * DAY_MS])).toEqual(p.events!.map((e) => [e.channel, Date.parse(e.at)]));
      if (p.futureFirstPurchaseAt) expect(Date.parse(q.futureFirstPurchaseAt!) - Date.parse(p.futureFirstPurchaseAt)).toBe(10 * DAY_MS);
      expect(q.purchases.map((x) => x.items)).toEqual(p.purchases.map((x) => x.items));
      for (const key of ['lastClickedAt', 'lastVisitAt', 'lastSalesReplyAt'] as const) {
        const at = p.activity![key];
        if (at) expect(Date.parse(q.activity![key]!) - Date.parse(at)).toBe(10 * DAY_MS);
      }
      if (p.engagement.lastOpenedAt) expect(Date.parse(q.engagement.lastOpenedAt!) - Date.parse(p.engagement.lastOpenedAt)).toBe(10 * DAY_MS);
      expect(Date.parse(q.createdAt) - Date.parse(p.createdAt)).toBe(10 * DAY_MS);
      expect(q.purchases.map((x) => x.key)).toEqual(p.purchases.map((x) => x.key));
    }
  });

  it('rejects an index outside the population', () => {
    expect(() => personAt(options(42, 10), 10)).toThrow(/index/);
    expect(() => personAt(options(42, 10), -1)).toThrow(/index/);
    expect(() => personAt(options(42, 10), 1.5)).toThrow(/index/);
  });
});

describe('realism', () => {
  beforeAll(loadPopulation);

  it('has unique, lower-case, valid emails', () => {
    const emails = new Set(people.map((p) => p.email));
    expect(emails.size).toBe(N);
    const valid = /^[a-z](?:[a-z0-9_]|\.(?!\.))*[a-z0-9]@[a-z0-9-]+(\.[a-z0-9-]+)+$/;
    expect(failures(people, (p) => (valid.test(p.email) ? undefined : p.email))).toEqual([]);
    const domains = new Set(people.map((p) => p.email.split('@')[1]));
    expect(domains.size).toBeGreaterThanOrEqual(10);
  });

  it('has names, E.164 phones matching the country and a mix of ~10 countries', () => {
    const dialling: Record<string, string> = {
      US: '+1', CA: '+1', GB: '+44', DE: '+49', FR: '+33', AU: '+61', NL: '+31', ES: '+34', IT: '+39', SE: '+46',
    };
    const counts = new Map<string, number>();
    for (const p of people) counts.set(p.country, (counts.get(p.country) ?? 0) + 1);
    const e164 = /^\+[1-9]\d{9,13}$/;
    const bad = failures(people, (p) => {
      if (!p.firstName || !p.lastName || !p.city) return `${p.index}: missing name or city`;
      if (!e164.test(p.phone)) return `${p.index}: phone ${p.phone}`;
      const prefix = dialling[p.country];
      if (prefix === undefined || !p.phone.startsWith(prefix)) return `${p.index}: ${p.phone} for ${p.country}`;
      return undefined;
    });
    expect(bad).toEqual([]);
    expect(counts.size).toBe(10);
    expect(counts.get('US') ?? 0).toBeGreaterThan(N * 0.25);
    const berlin = people.find((p) => p.city === 'Berlin');
    expect(berlin?.country).toBe('DE');
  });

  it('has ~85% email consent', () => {
    const share = people.filter((p) => p.emailConsent === 'subscribed').length / N;
    expect(share).toBeGreaterThan(0.83);
    expect(share).toBeLessThan(0.87);
  });

  it('keeps every date at or before the anchor and createdAt before the first purchase', () => {
    const fourYearsAgo = A - 4.5 * 365 * DAY_MS;
    const bad = failures(people, (p) => {
      const created = Date.parse(p.createdAt);
      if (!(created <= A)) return `${p.index}: createdAt ${p.createdAt} after anchor`;
      if (!(created > fourYearsAgo)) return `${p.index}: createdAt ${p.createdAt} too old`;
      let previous = -Infinity;
      for (const [n, x] of p.purchases.entries()) {
        const t = Date.parse(x.occurredAt);
        const where = `${p.index} purchase ${n}`;
        if (!(t <= A)) return `${where}: after anchor`;
        if (!(t >= created)) return `${where}: before createdAt`;
        if (!(t >= previous)) return `${where}: not sorted`;
        previous = t;
        if (x.key !== `${p.index}-${n}`) return `${where}: key ${x.key}`;
        if (x.currency !== 'USD') return `${where}: currency ${x.currency}`;
        if (x.name !== `Order #${x.name.slice(7).split(' ')[0] ?? ''} — ${p.firstName} ${p.lastName}` || !/^Order #\d+ /.test(x.name)) {
          return `${where}: name ${x.name}`;
        }
        if (x.amount !== null && !(x.amount > 0 && Math.round(x.amount * 100) / 100 === x.amount)) return `${where}: amount ${x.amount}`;
      }
      return undefined;
    });
    expect(bad).toEqual([]);
  });

  it('spreads createdAt over about four years', () => {
    const ages = people.map((p) => daysAgo(p.createdAt));
    expect(ages.filter((d) => d > 3 * 365).length).toBeGreaterThan(N * 0.1);
    expect(ages.filter((d) => d < 365).length).toBeGreaterThan(N * 0.15);
  });

  it('adds noise: missing amounts, lost and open deals', () => {
    const allWon = people.flatMap(won);
    const nullShare = allWon.filter((x) => x.amount === null).length / allWon.length;
    expect(nullShare).toBeGreaterThan(0.003);
    expect(nullShare).toBeLessThan(0.008);
    const buyers = people.filter((p) => p.trueType !== 'prospect');
    const lostShare = buyers.filter((p) => p.purchases.some((x) => x.status === 'lost')).length / buyers.length;
    const openShare = buyers.filter((p) => p.purchases.some((x) => x.status === 'open')).length / buyers.length;
    expect(lostShare).toBeGreaterThan(0.06);
    expect(lostShare).toBeLessThan(0.1);
    expect(openShare).toBeGreaterThan(0.035);
    expect(openShare).toBeLessThan(0.065);
    const prospectDeals = byType.prospect.filter((p) => p.purchases.length > 0).length / byType.prospect.length;
    expect(prospectDeals).toBeGreaterThan(0.17);
    expect(prospectDeals).toBeLessThan(0.23);
  });

  it('exposes nothing but the declared fields', () => {
    const keys = ['index', 'trueType', 'firstName', 'lastName', 'email', 'phone', 'city', 'country', 'emailConsent', 'createdAt', 'purchases', 'engagement', 'activity', 'company',
      'events', 'leadType', 'futureFirstPurchaseAt'];
    expect(Object.keys(people[0] ?? {}).sort()).toEqual([...keys].sort());
  });
});

describe('email engagement', () => {
  beforeAll(loadPopulation);

  it('sends nothing to the unsubscribed, and engaged buyers open more than lapsed ones', () => {
    expect(people.filter((p) => p.emailConsent === 'unsubscribed').every((p) => p.engagement.emailsOpened === 0 && p.engagement.lastOpenedAt === null)).toBe(true);
    const meanOpens = (type: string) => {
      const of = people.filter((p) => p.trueType === type && p.emailConsent === 'subscribed');
      return of.reduce((s, p) => s + p.engagement.emailsOpened, 0) / of.length;
    };
    expect(meanOpens('frequent_small_buyer')).toBeGreaterThan(3 * meanOpens('lapsed_regular'));
    expect(people.every((p) => p.engagement.emailsClicked <= p.engagement.emailsOpened)).toBe(true);
    expect(people.every((p) => p.engagement.lastOpenedAt === null || Date.parse(p.engagement.lastOpenedAt) <= A)).toBe(true);
  });
});

describe('web, email delivery and company (HubSpot engagement and firmographics)', () => {
  beforeAll(loadPopulation);

  it('is consistent with the email engagement: delivered covers the opens, the last click is no later than the last open', () => {
    for (const p of people) {
      const a = p.activity!;
      expect(a.emailsDelivered).toBeGreaterThanOrEqual(p.engagement.emailsOpened);
      expect(a.emailsBounced).toBeGreaterThanOrEqual(0);
      expect(a.lastClickedAt === null).toBe(p.engagement.emailsClicked === 0);
      if (a.lastClickedAt) expect(Date.parse(a.lastClickedAt)).toBeLessThanOrEqual(Date.parse(p.engagement.lastOpenedAt!));
      if (p.emailConsent === 'unsubscribed') expect(a.emailsDelivered).toBe(0);
      expect(a.pageViews === null).toBe(a.webVisits === null);
      if (a.webVisits !== null) expect(a.pageViews!).toBeGreaterThanOrEqual(a.webVisits);
      expect(a.lastVisitAt === null).toBe(!a.webVisits);
      for (const at of [a.lastClickedAt, a.lastVisitAt, a.lastSalesReplyAt]) if (at) expect(Date.parse(at)).toBeLessThanOrEqual(A);
    }
  });

  it('gives buyers and non-buyers alike web activity and companies, some untracked or without a company', () => {
    for (const group of [people.filter((p) => p.trueType === 'prospect'), people.filter((p) => p.trueType !== 'prospect')]) {
      const share = (f: (p: SyntheticPerson) => boolean) => group.filter(f).length / group.length;
      // An email click or a form identifies a visitor; of the others, about one in five was never identified.
      expect(group.some((p) => p.activity!.webVisits === null)).toBe(true);
      expect(group.every((p) => p.activity!.webVisits !== null || (p.engagement.emailsClicked === 0 && p.activity!.formSubmissions === 0))).toBe(true);
      const unidentifiable = group.filter((p) => p.engagement.emailsClicked === 0 && p.activity!.formSubmissions === 0 && p.activity!.webVisits !== 0);
      const untracked = unidentifiable.filter((p) => p.activity!.webVisits === null).length / unidentifiable.length;
      expect(untracked).toBeGreaterThan(0.15);
      expect(untracked).toBeLessThan(0.3);
      expect(share((p) => p.company === null)).toBeGreaterThan(0.1);
      expect(share((p) => p.company === null)).toBeLessThan(0.2);
    }
    const medianEmployees = (type: CustomerType) => {
      const sizes = byType[type].flatMap((p) => (p.company ? [p.company.employees] : [])).sort((x, y) => x - y);
      return sizes[sizes.length >> 1]!;
    };
    expect(medianEmployees('rare_big_spender')).toBeGreaterThan(10 * medianEmployees('one_off_bargain_buyer'));
    const meanVisits = (type: CustomerType) => {
      const v = byType[type].flatMap((p) => (p.activity!.webVisits === null ? [] : [p.activity!.webVisits]));
      return v.reduce((s, x) => s + x, 0) / v.length;
    };
    expect(meanVisits('frequent_small_buyer')).toBeGreaterThan(5 * meanVisits('lapsed_regular'));
    expect(people.filter((p) => p.company).every((p) => p.company!.employees >= 1 && p.company!.annualRevenue > 0)).toBe(true);
  });
});

describe('customer types', () => {
  beforeAll(loadPopulation);

  it('matches the mixture weights within 2 percentage points', () => {
    const shares = typeShares();
    expect(Object.values(shares).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 10);
    for (const t of CUSTOMER_TYPES) {
      expect(Math.abs(byType[t].length / N - shares[t]), t).toBeLessThan(0.02);
    }
  });

  const lastWonDaysAgo = (p: SyntheticPerson): number => daysAgo(won(p).at(-1)?.occurredAt ?? '1970-01-01');
  const amountsOutside = (p: SyntheticPerson, min: number, max: number): boolean =>
    won(p).some((x) => x.amount !== null && (x.amount < min || x.amount > max));

  it('frequent small buyers buy often, recently and small', () => {
    const bad = failures(byType.frequent_small_buyer, (p) => {
      if (wonWithin(p, 365).length < 8) return `${p.index}: only ${wonWithin(p, 365).length} in 365 days`;
      if (lastWonDaysAgo(p) > 25) return `${p.index}: last purchase ${lastWonDaysAgo(p)} days ago`;
      if (amountsOutside(p, 15, 60)) return `${p.index}: amount outside 15–60`;
      return undefined;
    });
    expect(bad).toEqual([]);
  });

  it('rare big spenders buy rarely, big, within the last ~120 days', () => {
    const bad = failures(byType.rare_big_spender, (p) => {
      if (won(p).length < 2) return `${p.index}: fewer than 2 purchases`;
      if (wonWithin(p, 365).length > 7) return `${p.index}: ${wonWithin(p, 365).length} in 365 days`;
      if (lastWonDaysAgo(p) > 120) return `${p.index}: last purchase ${lastWonDaysAgo(p)} days ago`;
      if (amountsOutside(p, 400, 2000)) return `${p.index}: amount outside 400–2000`;
      return undefined;
    });
    expect(bad).toEqual([]);
  });

  it('lapsed regulars bought regularly, then nothing in the last 365 days', () => {
    const bad = failures(byType.lapsed_regular, (p) => {
      if (wonWithin(p, 365).length > 0) return `${p.index}: bought in the last 365 days`;
      if (won(p).length < 5) return `${p.index}: only ${won(p).length} purchases`;
      const last = lastWonDaysAgo(p);
      if (last < 390 || last > 915) return `${p.index}: stopped ${last} days ago`;
      if (amountsOutside(p, 40, 120)) return `${p.index}: amount outside 40–120`;
      return undefined;
    });
    expect(bad).toEqual([]);
  });

  it('recent first-timers bought once or twice in the last 45 days; about half signed up in the last 60, the others were leads for months first', () => {
    const bad = failures(byType.recent_first_timer, (p) => {
      const w = won(p);
      if (w.length < 1 || w.length > 2) return `${p.index}: ${w.length} purchases`;
      if (w.some((x) => daysAgo(x.occurredAt) > 45)) return `${p.index}: purchase older than 45 days`;
      if (daysAgo(p.createdAt) > 645) return `${p.index}: created ${daysAgo(p.createdAt)} days ago`;
      if (amountsOutside(p, 30, 150)) return `${p.index}: amount outside 30–150`;
      return undefined;
    });
    expect(bad).toEqual([]);
    // A first purchase in the last 90 days comes also from people known before then (the
    // propensity model's validation cutoff needs such buyers).
    const nurtured = byType.recent_first_timer.filter((p) => daysAgo(p.createdAt) > 90).length / byType.recent_first_timer.length;
    expect(nurtured).toBeGreaterThan(0.35);
    expect(nurtured).toBeLessThan(0.55);
  });

  it('one-off bargain buyers bought exactly once, cheaply, 4–11 months ago', () => {
    const bad = failures(byType.one_off_bargain_buyer, (p) => {
      const w = won(p);
      if (w.length !== 1) return `${p.index}: ${w.length} purchases`;
      const d = lastWonDaysAgo(p);
      if (d < 120 || d > 336) return `${p.index}: bought ${d} days ago`;
      if (amountsOutside(p, 5, 25)) return `${p.index}: amount outside 5–25`;
      return undefined;
    });
    expect(bad).toEqual([]);
  });

  it('prospects never won a purchase', () => {
    const bad = failures(byType.prospect, (p) =>
      won(p).length > 0 || p.purchases.length > 1 ? `${p.index}: ${p.purchases.length} deals` : undefined,
    );
    expect(bad).toEqual([]);
  });

  it('types are recoverable from RFM features alone', () => {
    const guess = (p: SyntheticPerson): CustomerType => {
      const w = won(p);
      if (w.length === 0) return 'prospect';
      const f365 = wonWithin(p, 365).length;
      if (f365 === 0) return 'lapsed_regular';
      if (f365 >= 8) return 'frequent_small_buyer';
      const amounts = w.flatMap((x) => (x.amount === null ? [] : [x.amount]));
      const avg = amounts.length ? amounts.reduce((s, x) => s + x, 0) / amounts.length : 0;
      if (avg >= 300) return 'rare_big_spender';
      if (daysAgo(w.at(-1)?.occurredAt ?? '1970-01-01') <= 45) return 'recent_first_timer';
      return 'one_off_bargain_buyer';
    };
    const correct = people.filter((p) => guess(p) === p.trueType).length;
    expect(correct / N).toBeGreaterThan(0.99);
  });
});

describe('parsePopulationOptions', () => {
  it('fills defaults: seed 42, size 5000, anchor today 00:00 UTC', () => {
    const o = parsePopulationOptions({});
    expect(o.seed).toBe(DEFAULT_POPULATION_SEED);
    expect(o.size).toBe(DEFAULT_POPULATION_SIZE);
    const now = new Date();
    expect(o.anchor.toISOString()).toBe(
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString(),
    );
  });

  it('keeps valid values', () => {
    expect(parsePopulationOptions({ seed: -3, size: MAX_POPULATION_SIZE, anchor: ANCHOR })).toEqual({
      seed: -3,
      size: MAX_POPULATION_SIZE,
      anchor: ANCHOR,
    });
    expect(parsePopulationOptions({ size: 1 }).size).toBe(1);
  });

  it.each([0, 1_000_001, 2.5, -1, Number.NaN])('rejects size %s naming the field', (size) => {
    expect(() => parsePopulationOptions({ size })).toThrow(/size/);
  });

  it('rejects a non-integer seed and an invalid anchor naming the field', () => {
    expect(() => parsePopulationOptions({ seed: 1.5 })).toThrow(/seed/);
    expect(() => parsePopulationOptions({ anchor: new Date('nope') })).toThrow(/anchor/);
  });

  it('gives large and negative seeds their own populations', () => {
    const a = personAt(options(2 ** 40 + 42, 10), 0);
    const b = personAt(options(42, 10), 0);
    const c = personAt(options(-42, 10), 0);
    expect(a.email).not.toBe(b.email);
    expect(c.email).not.toBe(b.email);
  });
});
