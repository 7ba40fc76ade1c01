/**
 * The planted campaign effect: people on a targeted list (the treatment group; segsync keeps the
 * control group off its lists) convert — make at least one purchase in the span — with
 * probability p·(1+uplift) instead of p, where p is their baseline chance.
 *
 * Mechanism: the baseline purchases are drawn first, for everyone alike. Then a treated person
 * with none gets one extra purchase with probability q = uplift·p/(1−p). Their conversion chance
 * is then p + (1−p)·q = p·(1+uplift), so the expected relative lift in conversion is exactly
 * `uplift`. p is the baseline conversion share of people of the same true type, over the whole
 * population, in the same span (a person's own p is not observable; the type is the generator's
 * truth and the largest part of the difference between people).
 *
 * Limit: conversion cannot exceed 1. Where p·(1+uplift) > 1 (frequent buyers over a long span),
 * q is capped at 1 and that type's lift is (1−p)/p instead; the ground truth reports the expected
 * conversions with the caps, so a measured lift is compared with what was really planted.
 * Untreated and control people are never touched; uplift 0 changes nothing.
 */
import type { CustomerType } from './population-types.js';

/** The chance of the extra purchase for a treated non-converter, capped at 1. */
export function upliftChance(baseline: number, uplift: number): number {
  if (!(baseline > 0) || !(uplift > 0)) return 0;
  if (baseline >= 1) return 0; // everyone already converts: nobody left to add
  return Math.min(1, (uplift * baseline) / (1 - baseline));
}

/** The expected conversion chance of a treated person whose baseline chance is p. */
export function treatedConversion(baseline: number, uplift: number): number {
  return baseline + (1 - baseline) * upliftChance(baseline, uplift);
}

/** Baseline conversion share per true type: converters / people of that type. */
export function baselineByType(people: Iterable<{ type: CustomerType; converted: boolean }>): Map<CustomerType, number> {
  const counts = new Map<CustomerType, { n: number; converted: number }>();
  for (const { type, converted } of people) {
    const c = counts.get(type) ?? { n: 0, converted: 0 };
    c.n++;
    if (converted) c.converted++;
    counts.set(type, c);
  }
  return new Map([...counts].map(([type, c]) => [type, c.converted / c.n]));
}
