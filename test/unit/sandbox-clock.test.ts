import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import type { MountedEmulator } from '../../src/domain/connector.js';
import { answerAdmin, isLoopbackAddress } from '../../src/sandbox/admin-endpoint.js';
import { treatedConversion, upliftChance } from '../../src/sandbox/campaign-effect.js';
import { DAY_MS, futureActivity, keyedRng } from '../../src/sandbox/population-future.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import type { CustomerType, WorldAdvance } from '../../src/sandbox/population-types.js';
import { WorldClock } from '../../src/sandbox/world-clock.js';
import { sandboxUrlFrom } from '../../src/init/sandbox-env.js';

const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
const options = parsePopulationOptions({ seed: 7, size: 1200, anchor: ANCHOR });
const people = [...generatePopulation(options)];
const SPAN = { fromMs: ANCHOR.getTime() + 3_600_000, toMs: ANCHOR.getTime() + 3_600_000 + 60 * DAY_MS };

/** A platform that only answers who is on which list and records what it is given. */
function fakePlatform(lists: Record<string, number[]>): MountedEmulator & { received: WorldAdvance[] } {
  const received: WorldAdvance[] = [];
  return {
    received,
    handle: (_req: IncomingMessage, _res: ServerResponse) => undefined,
    injectFault: () => undefined,
    injectScenario: () => undefined,
    advance: (a: WorldAdvance) => received.push(a),
    listedPeople: (names?: readonly string[]) => new Map(Object.entries(lists).filter(([n]) => !names || names.includes(n))),
  } as unknown as MountedEmulator & { received: WorldAdvance[] };
}

describe('the sandbox population after today', () => {
  it('is the same for the same seed, person and span, and differs for another span', () => {
    const person = people.find((p) => p.trueType === 'frequent_small_buyer')!;
    const again = [...generatePopulation(options)][person.index]!;
    expect(futureActivity(options, again, SPAN)).toEqual(futureActivity(options, person, SPAN));
    const later = { fromMs: SPAN.toMs, toMs: SPAN.toMs + 60 * DAY_MS };
    expect(futureActivity(options, person, later).purchases.map((p) => p.occurredAt)).not.toEqual(futureActivity(options, person, SPAN).purchases.map((p) => p.occurredAt));
  });

  it('keeps frequent buyers buying while lapsed regulars mostly do not', () => {
    const perPerson = (type: CustomerType) => {
      const of = people.filter((p) => p.trueType === type);
      return of.reduce((n, p) => n + futureActivity(options, p, SPAN).purchases.length, 0) / of.length;
    };
    expect(perPerson('frequent_small_buyer')).toBeGreaterThan(1.5);
    expect(perPerson('lapsed_regular')).toBeLessThan(0.2);
    expect(perPerson('frequent_small_buyer')).toBeGreaterThan(10 * perPerson('lapsed_regular'));
  });

  it('dates every purchase and event inside the span, with lines adding up to the amount', () => {
    for (const person of people.slice(0, 300)) {
      const a = futureActivity(options, person, SPAN);
      for (const p of a.purchases) {
        const at = Date.parse(p.occurredAt);
        expect(at).toBeGreaterThanOrEqual(SPAN.fromMs);
        expect(at).toBeLessThan(SPAN.toMs);
        expect(p.status).toBe('won');
        expect(Math.round((p.items ?? []).reduce((s, i) => s + i.amount, 0) * 100)).toBe(Math.round(p.amount! * 100));
      }
      for (const e of a.events) expect(Date.parse(e.at)).toBeLessThan(SPAN.toMs);
      if (person.emailConsent === 'unsubscribed') expect(a.events.some((e) => e.channel.startsWith('email_'))).toBe(false);
    }
  });

  it('makes a person who never bought buy at their planted first purchase when it falls in the span', () => {
    const planted = people.filter((p) => p.futureFirstPurchaseAt && Date.parse(p.futureFirstPurchaseAt) >= SPAN.fromMs && Date.parse(p.futureFirstPurchaseAt) < SPAN.toMs);
    expect(planted.length).toBeGreaterThan(0);
    for (const p of planted) expect(futureActivity(options, p, SPAN).purchases.map((x) => x.occurredAt)).toContain(new Date(Date.parse(p.futureFirstPurchaseAt!)).toISOString());
  });
});

describe('the planted campaign effect', () => {
  it('lifts conversion by the planted relative uplift, in expectation and in a simulation at fixed p', () => {
    for (const [p, uplift] of [[0.05, 0.15], [0.2, 0.15], [0.3, 0.5]] as const) {
      expect(treatedConversion(p, uplift)).toBeCloseTo(p * (1 + uplift), 12);
      const rng = keyedRng(`sim|${p}|${uplift}`);
      const n = 200_000;
      let control = 0;
      let treated = 0;
      for (let i = 0; i < n; i++) {
        if (rng() < p) control++;
        const base = rng() < p;
        if (base || rng() < upliftChance(p, uplift)) treated++;
      }
      const measured = treated / control - 1;
      // The standard error of the ratio at these sizes is under 0.02 (p = 0.05); 4 of them.
      expect(Math.abs(measured - uplift)).toBeLessThan(0.08);
    }
  });

  it('cannot push conversion past 1: a nearly sure buyer is capped', () => {
    expect(upliftChance(0.95, 0.15)).toBe(1);
    expect(treatedConversion(0.95, 0.15)).toBe(1);
    expect(upliftChance(0.2, 0)).toBe(0);
  });

  it('adds purchases only to people on the targeted lists, and only to those who would not have bought', () => {
    const listed = people.filter((p) => p.index % 2 === 0).map((p) => p.index);
    const realNow = () => SPAN.fromMs;
    const run = (uplift: number) => {
      const platform = fakePlatform({ 'segsync · All even': listed });
      const truth = new WorldClock(options, realNow).advance(new Map([['fake', platform]]), { days: 60, uplift });
      const byPerson = new Map(platform.received[0]!.people.map((e) => [e.person.index, e.purchases.map((p) => p.key)]));
      return { truth, byPerson };
    };
    const none = run(0);
    const big = run(1);
    expect(none.truth.plantedPurchases).toBe(0);
    expect(big.truth.plantedPurchases).toBeGreaterThan(20);
    for (const person of people) {
      const before = none.byPerson.get(person.index) ?? [];
      const after = big.byPerson.get(person.index) ?? [];
      if (person.index % 2 === 1 || before.length > 0) expect(after).toEqual(before);
      else expect(after.length).toBeLessThanOrEqual(1);
    }
    expect(big.truth.untreated.conversions).toBe(none.truth.untreated.conversions);
    expect(big.truth.treated.realisedConversions - big.truth.treated.baselineConversions).toBe(big.truth.plantedPurchases);
    // Expected: Σ min(1, 2p) over treated people; realised within 4 standard deviations of it.
    const e = big.truth.treated.expectedRealisedConversions;
    expect(Math.abs(big.truth.treated.realisedConversions - e)).toBeLessThan(4 * Math.sqrt(e));
    expect(big.truth.lists).toEqual([expect.objectContaining({ list: 'segsync · All even', treated: listed.length })]);
  });

  it('draws the same world whenever a sandbox is advanced the same way, shifted to its own start', () => {
    const worldFrom = (startMs: number) => {
      const platform = fakePlatform({ a: people.filter((p) => p.index % 3 === 0).map((p) => p.index) });
      const clock = new WorldClock(options, () => startMs);
      clock.advance(new Map([['fake', platform]]), { days: 20 });
      clock.advance(new Map([['fake', platform]]), { days: 40 });
      return platform.received.map((a) => a.people.flatMap((e) => e.purchases.map((p) => `${p.key} ${p.amount} +${Date.parse(p.occurredAt) - Date.parse(a.from)}`)));
    };
    // Past the 90 days of planted first purchases (dated on the wall clock), as a sandbox with an anchor in the past is.
    const later = ANCHOR.getTime() + 200 * DAY_MS;
    const today = worldFrom(later);
    expect(today[1]!.length).toBeGreaterThan(50);
    expect(worldFrom(later + 5 * 3_600_000)).toEqual(today);
  });

  it('reports the lift planted per list: the uplift itself, less where most people buy anyway', () => {
    const ofType = (type: CustomerType) => people.filter((p) => p.trueType === type).map((p) => p.index);
    const platform = fakePlatform({ lapsed: ofType('lapsed_regular'), frequent: ofType('frequent_small_buyer') });
    const truth = new WorldClock(options, () => SPAN.fromMs).advance(new Map([['fake', platform]]), { days: 60, uplift: 0.15 });
    const lift = Object.fromEntries(truth.lists.map((l) => [l.list, l.expectedLift]));
    expect(lift.lapsed).toBeCloseTo(0.15, 3);
    expect(lift.frequent).toBeGreaterThan(0);
    expect(lift.frequent).toBeLessThan(0.1);
  });

  it('moves the world clock and targets every list unless told which', () => {
    let real = SPAN.fromMs;
    const clock = new WorldClock(options, () => real);
    const platform = fakePlatform({ a: [1, 2], b: [3] });
    const truth = clock.advance(new Map([['fake', platform]]), { days: 10 });
    expect(truth.uplift).toBe(0.15);
    expect(truth.lists.map((l) => l.list)).toEqual(['a', 'b']);
    expect(truth.treated.people).toBe(3);
    real += 1000;
    expect(clock.now()).toBe(SPAN.fromMs + 10 * DAY_MS + 1000);
    expect(clock.describe().advancedDays).toBe(10);
    expect(clock.advance(new Map([['fake', platform]]), { days: 1, lists: ['b'] }).treated.people).toBe(1);
    expect(() => clock.advance(new Map([['fake', platform]]), { days: 1, lists: ['c'] })).toThrow(/lists: no list named "c"/);
  });
});

describe('the admin endpoint', () => {
  const deps = (body: string) => ({ clock: new WorldClock(options, () => SPAN.fromMs), emulators: new Map([['fake', fakePlatform({})]]), readBody: async () => body });

  it('answers loopback callers only', async () => {
    expect(isLoopbackAddress('127.0.0.1')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackAddress('10.0.0.5')).toBe(false);
    expect(isLoopbackAddress('::ffff:192.168.1.4')).toBe(false);
    const refused = await answerAdmin('POST', '/advance', '192.168.1.4', deps('{"days":5}'));
    expect(refused.status).toBe(403);
    expect((await answerAdmin('GET', '/clock', '10.0.0.5', deps(''))).status).toBe(403);
  });

  it('names the field of a bad body', async () => {
    const reply = async (body: string) => answerAdmin('POST', '/advance', '127.0.0.1', deps(body));
    expect(await reply('{"days":0}')).toEqual({ status: 400, body: { message: expect.stringMatching(/^days: /) } });
    expect(await reply('{"days":5,"uplift":"lots"}')).toEqual({ status: 400, body: { message: expect.stringMatching(/^uplift: /) } });
    expect(await reply('{"days":5,"lists":"x"}')).toEqual({ status: 400, body: { message: expect.stringMatching(/^lists: /) } });
    expect(await reply('{"days":5,"dayz":5}')).toEqual({ status: 400, body: { message: expect.stringMatching(/^dayz: unknown field/) } });
    expect(await reply('not json')).toEqual({ status: 400, body: { message: expect.stringMatching(/^body: not JSON/) } });
    expect((await reply('{"days":5}')).status).toBe(200);
  });
});

describe('the sandbox URL for `segsync sandbox advance`', () => {
  it('is read back from the lines segsync sandbox prints, else the default port', () => {
    expect(sandboxUrlFrom({ HUBSPOT_BASE_URL: 'http://127.0.0.1:4555/hubspot' }, CONNECTORS)).toBe('http://127.0.0.1:4555');
    expect(sandboxUrlFrom({ SHOPIFY_SHOP_URL: 'http://localhost:9000/shopify' }, CONNECTORS)).toBe('http://localhost:9000');
    expect(sandboxUrlFrom({ HUBSPOT_BASE_URL: 'https://api.hubapi.com' }, CONNECTORS)).toBe('http://127.0.0.1:4010');
  });
});
