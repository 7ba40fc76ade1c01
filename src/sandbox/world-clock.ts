/**
 * The sandbox's world clock. The synthetic population is fixed at its anchor ("today"); advancing
 * the clock by N days makes the population live those days (population-future.ts), plants the
 * campaign effect on people on targeted lists (campaign-effect.ts), hands every emulator its
 * share, and answers with the ground truth.
 *
 * CHOSEN: the world clock is the real clock plus the days advanced so far, so it keeps ticking
 * between advances and everything the emulators stamp afterwards (segsync's own writes included)
 * is dated after what the advance added; an incremental pull's cursor never skips a change. An
 * advance covers [world now, world now + N days): a campaign started before the advance counts
 * every purchase it adds.
 */
import { z } from 'zod';
import type { MountedEmulator } from '../domain/connector.js';
import { baselineByType, treatedConversion, upliftChance } from './campaign-effect.js';
import { DAY_MS, futureActivity, futurePurchase, keyedRng, spanKey, type WorldSpan } from './population-future.js';
import { generatePopulation } from './population.js';
import type { CustomerType, PersonAdvance, PopulationOptions, WorldAdvance } from './population-types.js';
import { purchasePlatform, type SandboxPlatform } from './presence.js';

export const DEFAULT_UPLIFT = 0.15;
export const MAX_ADVANCE_DAYS = 3650;

export const AdvanceRequestSchema = z
  .object({
    days: z
      .number({ error: 'must be a number of days' })
      .int({ error: 'must be a whole number of days' })
      .min(1, { error: `must be between 1 and ${MAX_ADVANCE_DAYS}` })
      .max(MAX_ADVANCE_DAYS, { error: `must be between 1 and ${MAX_ADVANCE_DAYS}` }),
    uplift: z
      .number({ error: 'must be a number (relative conversion uplift, e.g. 0.15)' })
      .min(0, { error: 'must be between 0 and 10 (relative conversion uplift, e.g. 0.15)' })
      .max(10, { error: 'must be between 0 and 10 (relative conversion uplift, e.g. 0.15)' })
      .default(DEFAULT_UPLIFT),
    lists: z.array(z.string({ error: 'must be list names (strings)' }).min(1, { error: 'must not hold an empty name' }), { error: 'must be an array of list names' }).optional(),
  })
  .strict();
export type AdvanceRequest = z.input<typeof AdvanceRequestSchema>;

/** The first problem of a request, naming its field ("days: must be …"), or the parsed request. */
export function parseAdvanceRequest(input: unknown): { ok: true; request: z.output<typeof AdvanceRequestSchema> } | { ok: false; message: string } {
  const result = AdvanceRequestSchema.safeParse(input);
  if (result.success) return { ok: true, request: result.data };
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'body';
  const message = issue?.code === 'unrecognized_keys' ? `${issue.keys.join(', ')}: unknown field (known: days, uplift, lists)` : `${field}: ${issue?.message ?? 'invalid'}`;
  return { ok: false, message };
}

/** The ground truth of one targeted list. */
export interface ListTruth {
  list: string;
  /** People on it on any platform (the treatment group). */
  treated: number;
  /** Treated people who bought in the span before the planted effect, and after it. */
  baselineConversions: number;
  realisedConversions: number;
  /** What was planted, in expectation: Σp and Σp·(1+uplift) (capped at 1 per person). */
  expectedBaselineConversions: number;
  expectedRealisedConversions: number;
  /**
   * The relative conversion lift planted, in expectation: the uplift, less where a conversion
   * would pass 100% (campaign-effect.ts); null with no expected baseline conversion.
   */
  expectedLift: number | null;
}

export interface AdvanceTruth {
  from: string;
  clock: string;
  days: number;
  uplift: number;
  lists: ListTruth[];
  /** Everyone on any targeted list, once. */
  treated: { people: number; baselineConversions: number; realisedConversions: number; expectedBaselineConversions: number; expectedRealisedConversions: number; expectedLift: number | null };
  /** Everyone else (control and never listed). */
  untreated: { people: number; conversions: number };
  /** Baseline conversion share per true type in the span (the p of the planted effect). */
  baselineByType: Partial<Record<CustomerType, number>>;
  /** Won purchases added, per platform (presence.ts `purchasePlatform`), and in all. */
  newPurchases: Partial<Record<SandboxPlatform, number>> & { total: number };
  /** Purchases the planted effect added (included in newPurchases). */
  plantedPurchases: number;
  events: number;
  unsubscribes: number;
}

export class AdvanceError extends Error {}

export class WorldClock {
  /** How far the world runs ahead of the real clock, in ms. */
  private offsetMs = 0;
  private advancedDays = 0;
  /** People who unsubscribed in an earlier advance: no more email for them. */
  private readonly unsubscribed = new Set<number>();

  constructor(
    private readonly population: PopulationOptions,
    private readonly realNow: () => number = Date.now,
  ) {}

  now(): number {
    return this.realNow() + this.offsetMs;
  }

  describe(): { clock: string; anchor: string; advancedDays: number } {
    return { clock: new Date(this.now()).toISOString(), anchor: this.population.anchor.toISOString(), advancedDays: this.advancedDays };
  }

  /**
   * Lives `days` more days: the targeted lists are read from the emulators first (every list
   * segsync created when `lists` is absent), then every emulator takes its share.
   */
  advance(emulators: ReadonlyMap<string, MountedEmulator>, input: AdvanceRequest): AdvanceTruth {
    const parsed = parseAdvanceRequest(input);
    if (!parsed.ok) throw new AdvanceError(parsed.message);
    const { days, uplift, lists } = parsed.request;
    const listed = listedPeople(emulators, lists);
    if (lists) {
      const missing = lists.filter((name) => !listed.has(name));
      if (missing.length > 0) {
        throw new AdvanceError(`lists: no list named ${missing.map((m) => JSON.stringify(m)).join(', ')} on any platform (segsync's lists: ${[...listedPeople(emulators, undefined).keys()].map((n) => JSON.stringify(n)).join(', ') || 'none yet'})`);
      }
    }
    const treated = new Set<number>();
    for (const people of listed.values()) for (const p of people) treated.add(p);

    const fromMs = this.now();
    const span: WorldSpan = { fromMs, toMs: fromMs + days * DAY_MS, key: `d${this.advancedDays}+${days}` };
    const entries: PersonAdvance[] = [];
    const baselineConverted = new Set<number>();
    const types: Array<{ type: CustomerType; converted: boolean }> = [];
    const typeOf = new Map<number, CustomerType>();
    for (const person of generatePopulation(this.population)) {
      const subscribed = person.emailConsent === 'subscribed' && !this.unsubscribed.has(person.index);
      const activity = futureActivity(this.population, person, span, subscribed);
      const converted = activity.purchases.length > 0;
      if (converted) baselineConverted.add(person.index);
      types.push({ type: person.trueType, converted });
      typeOf.set(person.index, person.trueType);
      if (converted || activity.events.length > 0 || treated.has(person.index)) {
        entries.push({ person, purchases: activity.purchases, events: activity.events, unsubscribedAt: activity.unsubscribedAt });
      }
    }
    const p = baselineByType(types);

    let planted = 0;
    for (const entry of entries) {
      const index = entry.person.index;
      if (!treated.has(index) || entry.purchases.length > 0) continue;
      const rng = keyedRng(`${this.population.seed}|${index}|${spanKey(span)}|uplift`);
      if (rng() >= upliftChance(p.get(entry.person.trueType) ?? 0, uplift)) continue;
      const at = span.fromMs + Math.floor(rng() * (span.toMs - span.fromMs));
      entry.purchases = [futurePurchase(this.population, entry.person, span, 'u', at, rng)];
      planted++;
    }

    const advance: WorldAdvance = { from: new Date(span.fromMs).toISOString(), to: new Date(span.toMs).toISOString(), people: entries.filter((e) => e.purchases.length > 0 || e.events.length > 0 || e.unsubscribedAt) };
    for (const emulator of emulators.values()) emulator.advance?.(advance);
    this.offsetMs += days * DAY_MS;
    this.advancedDays += days;

    const realised = new Set(entries.filter((e) => e.purchases.length > 0).map((e) => e.person.index));
    const newPurchases: AdvanceTruth['newPurchases'] = { total: 0 };
    let events = 0;
    let unsubscribes = 0;
    for (const e of advance.people) {
      for (const purchase of e.purchases) {
        const platform = purchasePlatform(e.person, purchase);
        newPurchases[platform] = (newPurchases[platform] ?? 0) + 1;
        newPurchases.total++;
      }
      events += e.events.length;
      if (e.unsubscribedAt) {
        unsubscribes++;
        this.unsubscribed.add(e.person.index);
      }
    }
    const truthOf = (people: Iterable<number>) => {
      let n = 0, base = 0, real = 0, expectedBase = 0, expectedReal = 0;
      for (const index of people) {
        const pt = p.get(typeOf.get(index)!) ?? 0;
        n++;
        if (baselineConverted.has(index)) base++;
        if (realised.has(index)) real++;
        expectedBase += pt;
        expectedReal += treatedConversion(pt, uplift);
      }
      return {
        people: n,
        baselineConversions: base,
        realisedConversions: real,
        expectedBaselineConversions: round(expectedBase),
        expectedRealisedConversions: round(expectedReal),
        expectedLift: expectedBase > 0 ? round(expectedReal / expectedBase - 1) : null,
      };
    };
    let untreated = 0, untreatedConversions = 0;
    for (const index of typeOf.keys()) {
      if (treated.has(index)) continue;
      untreated++;
      if (realised.has(index)) untreatedConversions++;
    }
    return {
      from: advance.from,
      clock: advance.to,
      days,
      uplift,
      lists: [...listed].map(([list, people]) => {
        const t = truthOf(new Set(people));
        const { people: treated, ...conversions } = t;
        return { list, treated, ...conversions };
      }),
      treated: truthOf(treated),
      untreated: { people: untreated, conversions: untreatedConversions },
      baselineByType: Object.fromEntries([...p].map(([t, v]) => [t, round(v)])),
      newPurchases,
      plantedPurchases: planted,
      events,
      unsubscribes,
    };
  }
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** Population people on each list segsync created, by name, over every emulator (union per name). */
export function listedPeople(emulators: ReadonlyMap<string, MountedEmulator>, names: readonly string[] | undefined): Map<string, number[]> {
  const out = new Map<string, Set<number>>();
  for (const emulator of emulators.values()) {
    for (const [name, people] of emulator.listedPeople?.(names) ?? []) {
      const set = out.get(name) ?? new Set<number>();
      for (const p of people) set.add(p);
      out.set(name, set);
    }
  }
  return new Map([...out].map(([name, set]) => [name, [...set].sort((a, b) => a - b)]));
}
