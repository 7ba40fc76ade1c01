import type { PersonAdvance, SyntheticPerson, SyntheticPurchase, WorldAdvance } from './population-types.js';
import { stableUnit } from '../domain/stable-hash.js';

/**
 * Where each synthetic person lives. Real customers are on some platforms and not others, and
 * each platform holds only the purchases made through it; resolution must stitch them together.
 * Deterministic: a function of the person (and so of the population seed), never random.
 */
export type SandboxPlatform = 'hubspot' | 'marketo' | 'shopify';

/** About 60% of people are on HubSpot, 40% on Marketo, 70% on Shopify; everyone on at least one. */
export const PLATFORM_SHARES: Readonly<Record<SandboxPlatform, number>> = { hubspot: 0.6, marketo: 0.4, shopify: 0.7 };
const PLATFORMS: readonly SandboxPlatform[] = ['hubspot', 'marketo', 'shopify'];

/** A stable uniform number in [0, 1) per (person, purpose). */
const unit = stableUnit;

export function platformsOf(person: SyntheticPerson): SandboxPlatform[] {
  const on = PLATFORMS.filter((p) => unit(`${person.email}|on|${p}`) < PLATFORM_SHARES[p]);
  if (on.length > 0) return on;
  // Nobody exists nowhere: the platform this person is most likely on keeps them.
  return [PLATFORMS.reduce((best, p) => (unit(`${person.email}|on|${p}`) / PLATFORM_SHARES[p] < unit(`${person.email}|on|${best}`) / PLATFORM_SHARES[best] ? p : best))];
}

export function isOn(person: SyntheticPerson, platform: SandboxPlatform): boolean {
  return platformsOf(person).includes(platform);
}

/**
 * Each purchase happened on exactly one of the person's platforms: the shop (Shopify) when the
 * person has an account there, most of the time; otherwise a sales deal (HubSpot) or an
 * opportunity (Marketo).
 */
export function purchasePlatform(person: SyntheticPerson, purchase: SyntheticPurchase): SandboxPlatform {
  const on = platformsOf(person);
  const u = unit(`${person.email}|buy|${purchase.key}`);
  if (on.includes('shopify') && (on.length === 1 || u < 0.7)) return 'shopify';
  const others = on.filter((p) => p !== 'shopify');
  return others[Math.floor(unit(`${person.email}|buy2|${purchase.key}`) * others.length)] ?? on[0]!;
}

/** The person as one platform has them: only the purchases made there. */
export function personOn(person: SyntheticPerson, platform: SandboxPlatform): SyntheticPerson | undefined {
  if (!isOn(person, platform)) return undefined;
  return {
    ...person,
    email: emailAsTypedOn(person, platform),
    purchases: person.purchases.filter((p) => purchasePlatform(person, p) === platform),
  };
}

/**
 * Emails as people typed them on each platform: sometimes capitalised, sometimes with stray
 * spaces (about 15% of records; resolution must see through these), and at checkout about 1% with
 * a typo (a letter dropped): the same person then looks like two, which `segsync duplicates` lists.
 */
export function emailAsTypedOn(person: SyntheticPerson, platform: SandboxPlatform): string {
  const u = unit(`${person.email}|variant|${platform}`);
  if (platform === 'shopify' && u > 0.99) {
    const at = person.email.indexOf('@');
    const drop = 1 + Math.floor(unit(`${person.email}|typo`) * Math.max(1, at - 1));
    return person.email.slice(0, drop) + person.email.slice(drop + 1);
  }
  if (u < 0.05) return person.email.toUpperCase();
  if (u < 0.1) return person.email.charAt(0).toUpperCase() + person.email.slice(1);
  if (u < 0.15) return ` ${person.email} `;
  return person.email;
}

/** Streams the population as one platform sees it. */
export function* populationOn(people: Iterable<SyntheticPerson>, platform: SandboxPlatform): Generator<SyntheticPerson> {
  for (const person of people) {
    const view = personOn(person, platform);
    if (view) yield view;
  }
}

/**
 * A platform's share of an advance: people who exist there, with only the purchases made there.
 * Events and consent changes reach every platform the person is on (CHOSEN: one email
 * preference, kept in sync between the tools, as most stacks do).
 */
export function advanceOn(advance: WorldAdvance, platform: SandboxPlatform): PersonAdvance[] {
  const out: PersonAdvance[] = [];
  for (const entry of advance.people) {
    if (!isOn(entry.person, platform)) continue;
    out.push({ ...entry, purchases: entry.purchases.filter((p) => purchasePlatform(entry.person, p) === platform) });
  }
  return out;
}
