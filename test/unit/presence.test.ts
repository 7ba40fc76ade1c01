import { describe, expect, it } from 'vitest';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { emailAsTypedOn, personOn, platformsOf, purchasePlatform } from '../../src/sandbox/presence.js';

const people = [...generatePopulation(parsePopulationOptions({ seed: 11, size: 4000, anchor: new Date('2026-06-01T00:00:00Z') }))];

describe('the sandbox population across platforms', () => {
  it('puts about 60% on HubSpot, 40% on Marketo, 70% on Shopify, everyone somewhere', () => {
    const share = (p: string) => people.filter((x) => platformsOf(x).includes(p as never)).length / people.length;
    expect(share('hubspot')).toBeGreaterThan(0.57);
    expect(share('hubspot')).toBeLessThan(0.65);
    expect(share('marketo')).toBeGreaterThan(0.37);
    expect(share('marketo')).toBeLessThan(0.45);
    expect(share('shopify')).toBeGreaterThan(0.67);
    expect(share('shopify')).toBeLessThan(0.75);
    expect(people.every((p) => platformsOf(p).length > 0)).toBe(true);
  });

  it('places every purchase on exactly one of the person\'s platforms', () => {
    for (const person of people.slice(0, 500)) {
      const views = platformsOf(person).map((p) => personOn(person, p)!);
      expect(views.reduce((n, v) => n + v.purchases.length, 0)).toBe(person.purchases.length);
      for (const purchase of person.purchases) expect(platformsOf(person)).toContain(purchasePlatform(person, purchase));
    }
  });

  it('types emails with case and space variants that normalize back, and a few typos', () => {
    const variants = people.flatMap((p) => platformsOf(p).map((pl) => [p.email, emailAsTypedOn(p, pl)] as const));
    const differing = variants.filter(([a, b]) => a !== b);
    expect(differing.length / variants.length).toBeGreaterThan(0.1);
    const typos = differing.filter(([a, b]) => a !== b.trim().toLowerCase());
    expect(typos.length).toBeGreaterThan(0);
    expect(typos.length / variants.length).toBeLessThan(0.02);
  });

  it('is deterministic', () => {
    const again = [...generatePopulation(parsePopulationOptions({ seed: 11, size: 50, anchor: new Date('2026-06-01T00:00:00Z') }))];
    expect(again.map((p) => platformsOf(p).join())).toEqual(people.slice(0, 50).map((p) => platformsOf(p).join()));
  });
});
