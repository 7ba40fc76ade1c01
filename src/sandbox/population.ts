/**
 * The deterministic synthetic population shared by every emulator.
 *
 * Each person is generated from their own small PRNG (sfc32) whose state is a hash of
 * (seed, index), so person i never requires persons 0..i-1 and never depends on the population
 * size. Dates are offsets back from `anchor`, so moving the anchor shifts every date without
 * changing who anyone is. Names come from faker's locale data (pinned faker version); cities and
 * phone formats are real, per country.
 *
 * Buying behaviour comes from a hidden customer type (`trueType`, ground truth for tests only);
 * nothing else about a person (email, domain, country, consent) depends on the type.
 */
import { de, en, en_AU, es, fr, it, nl, sv } from '@faker-js/faker';
import type { LocaleDefinition } from '@faker-js/faker';
import { z } from 'zod';
import {
  CUSTOMER_TYPES,
  type CustomerType,
  type PopulationOptions,
  type SyntheticActivity,
  type SyntheticCompany,
  type SyntheticEngagement,
  type SyntheticPerson,
  type SyntheticPurchase,
  type SyntheticPurchaseStatus,
} from './population-types.js';

export const DEFAULT_POPULATION_SEED = 42;
export const DEFAULT_POPULATION_SIZE = 5000;
export const MAX_POPULATION_SIZE = 1_000_000;

const DAY_SECONDS = 86_400;
const CURRENCY = 'USD';

// ---------------------------------------------------------------------------------------------
// Mixture weights
// ---------------------------------------------------------------------------------------------

const TYPE_SHARES: Readonly<Record<CustomerType, number>> = Object.freeze({
  frequent_small_buyer: 0.18,
  rare_big_spender: 0.1,
  lapsed_regular: 0.14,
  recent_first_timer: 0.1,
  one_off_bargain_buyer: 0.16,
  prospect: 0.32,
});

/** The mixture weights of the hidden customer types (they sum to 1). */
export function typeShares(): Readonly<Record<CustomerType, number>> {
  return TYPE_SHARES;
}

// ---------------------------------------------------------------------------------------------
// PRNG: sfc32 seeded from a 32-bit hash of (seed, index)
// ---------------------------------------------------------------------------------------------

type Rng = () => number;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_32 = 2 ** 32;

/** A 32-bit digest of any safe integer seed (negative and > 2^32 seeds included). */
function seedHash(seed: number): number {
  const lo = ((seed % TWO_32) + TWO_32) % TWO_32;
  const hi = ((Math.floor(seed / TWO_32) % TWO_32) + TWO_32) % TWO_32;
  return fmix32(fmix32(lo ^ 0x243f6a88) ^ fmix32(hi + 0x3c6ef372));
}

function personRng(seed: number, index: number): Rng {
  const s = seedHash(seed);
  const i = fmix32((index >>> 0) + 0x9e3779b9);
  let a = fmix32(s ^ i);
  let b = fmix32(a + 0x85ebca6b);
  let c = fmix32(b ^ 0xc2b2ae35 ^ s);
  let d = (index ^ 0x5bd1e995) >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / TWO_32;
  };
  for (let k = 0; k < 12; k++) next();
  return next;
}

function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng();
}

function intBetween(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('population: pick from an empty list');
  return item;
}

function pickWeighted<T>(rng: Rng, items: readonly (readonly [T, number])[], total: number): T {
  let r = rng() * total;
  for (const [item, weight] of items) {
    r -= weight;
    if (r < 0) return item;
  }
  const last = items[items.length - 1];
  if (last === undefined) throw new Error('population: weighted pick from an empty list');
  return last[0];
}

function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng()) * mean;
}

/** Erlang(shape, mean): a gamma gap with integer shape; higher shape = more regular. */
function gammaGap(rng: Rng, shape: number, mean: number): number {
  let sum = 0;
  for (let k = 0; k < shape; k++) sum += exponential(rng, mean / shape);
  return sum;
}

function standardNormal(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function digits(rng: Rng, n: number): string {
  let s = '';
  for (let k = 0; k < n; k++) s += Math.floor(rng() * 10).toString();
  return s;
}

// ---------------------------------------------------------------------------------------------
// Names (faker locale data)
// ---------------------------------------------------------------------------------------------

interface NamePool {
  female: readonly string[];
  male: readonly string[];
  last: readonly string[];
}

function namePool(...defs: LocaleDefinition[]): NamePool {
  const female: string[] = [];
  const male: string[] = [];
  const last: string[] = [];
  for (const def of defs) {
    const first = def.person?.first_name;
    female.push(...(first?.female ?? []));
    male.push(...(first?.male ?? []));
    last.push(...(def.person?.last_name?.generic ?? []));
  }
  const clean = (xs: string[]): string[] => [...new Set(xs.filter((x) => /\p{L}/u.test(x)))];
  const pool = { female: clean(female), male: clean(male), last: clean(last) };
  if (pool.female.length === 0 || pool.male.length === 0 || pool.last.length === 0) {
    throw new Error('population: faker locale data is missing person names');
  }
  return pool;
}

type NameLocale = 'en' | 'en_AU' | 'de' | 'fr' | 'nl' | 'es' | 'it' | 'sv';

let namePools: Record<NameLocale, NamePool> | undefined;

function pools(): Record<NameLocale, NamePool> {
  namePools ??= {
    // faker's `en` last names are partly invented; mix in en_AU's common British-Isles surnames.
    en: namePool(en, { person: { last_name: en_AU.person?.last_name } } as LocaleDefinition),
    en_AU: namePool(en_AU),
    de: namePool(de),
    fr: namePool(fr),
    nl: namePool(nl),
    es: namePool(es),
    it: namePool(it),
    sv: namePool(sv),
  };
  return namePools;
}

// ---------------------------------------------------------------------------------------------
// Countries: weights, real cities, phone formats, local email domains
// ---------------------------------------------------------------------------------------------

interface City {
  name: string;
  weight: number;
  /** NANP area codes (US/CA only). */
  areaCodes?: readonly string[];
}

interface Country {
  code: string;
  weight: number;
  names: readonly (readonly [NameLocale, number])[];
  cities: readonly City[];
  localDomains: readonly string[];
  phone: (rng: Rng, city: City) => string;
}

function nanpPhone(rng: Rng, city: City): string {
  const area = pick(rng, city.areaCodes ?? ['212']);
  let exchange: string;
  do {
    exchange = `${intBetween(rng, 2, 9)}${digits(rng, 2)}`;
  } while (exchange.endsWith('11') || exchange === '555' || exchange === '958' || exchange === '959');
  return `+1${area}${exchange}${digits(rng, 4)}`;
}

const COUNTRIES: readonly Country[] = [
  {
    code: 'US',
    weight: 0.34,
    names: [
      ['en', 0.88],
      ['es', 0.12],
    ],
    localDomains: ['aol.com', 'comcast.net', 'att.net', 'verizon.net'],
    phone: nanpPhone,
    cities: [
      { name: 'New York', weight: 8.3, areaCodes: ['212', '718', '917', '646', '347'] },
      { name: 'Los Angeles', weight: 3.9, areaCodes: ['213', '310', '323', '818'] },
      { name: 'Chicago', weight: 2.7, areaCodes: ['312', '773', '872'] },
      { name: 'Houston', weight: 2.3, areaCodes: ['713', '281', '832'] },
      { name: 'Phoenix', weight: 1.6, areaCodes: ['602', '480', '623'] },
      { name: 'Philadelphia', weight: 1.6, areaCodes: ['215', '267'] },
      { name: 'San Antonio', weight: 1.4, areaCodes: ['210', '726'] },
      { name: 'San Diego', weight: 1.4, areaCodes: ['619', '858'] },
      { name: 'Dallas', weight: 1.3, areaCodes: ['214', '469', '972'] },
      { name: 'Austin', weight: 1.0, areaCodes: ['512', '737'] },
      { name: 'San Jose', weight: 1.0, areaCodes: ['408', '669'] },
      { name: 'Jacksonville', weight: 0.9, areaCodes: ['904'] },
      { name: 'Columbus', weight: 0.9, areaCodes: ['614', '380'] },
      { name: 'Charlotte', weight: 0.9, areaCodes: ['704', '980'] },
      { name: 'Indianapolis', weight: 0.9, areaCodes: ['317', '463'] },
      { name: 'San Francisco', weight: 0.9, areaCodes: ['415', '628'] },
      { name: 'Seattle', weight: 0.8, areaCodes: ['206'] },
      { name: 'Denver', weight: 0.7, areaCodes: ['303', '720'] },
      { name: 'Boston', weight: 0.7, areaCodes: ['617', '857'] },
      { name: 'Nashville', weight: 0.7, areaCodes: ['615', '629'] },
      { name: 'Portland', weight: 0.6, areaCodes: ['503', '971'] },
      { name: 'Las Vegas', weight: 0.6, areaCodes: ['702', '725'] },
      { name: 'Atlanta', weight: 0.5, areaCodes: ['404', '470', '678'] },
      { name: 'Miami', weight: 0.5, areaCodes: ['305', '786'] },
      { name: 'Minneapolis', weight: 0.4, areaCodes: ['612'] },
      { name: 'Detroit', weight: 0.6, areaCodes: ['313'] },
      { name: 'Baltimore', weight: 0.6, areaCodes: ['410', '443'] },
      { name: 'Salt Lake City', weight: 0.2, areaCodes: ['801', '385'] },
      { name: 'Raleigh', weight: 0.5, areaCodes: ['919', '984'] },
      { name: 'Pittsburgh', weight: 0.3, areaCodes: ['412'] },
    ],
  },
  {
    code: 'GB',
    weight: 0.14,
    names: [['en', 1]],
    localDomains: ['btinternet.com', 'yahoo.co.uk', 'hotmail.co.uk', 'sky.com'],
    // UK mobiles: +44 7x.. with 10 national digits (71-75, 77-79 are mobile ranges).
    phone: (rng) => `+447${pick(rng, ['1', '2', '3', '4', '5', '7', '8', '9'])}${digits(rng, 8)}`,
    cities: [
      { name: 'London', weight: 9.0 },
      { name: 'Birmingham', weight: 1.1 },
      { name: 'Manchester', weight: 0.6 },
      { name: 'Glasgow', weight: 0.6 },
      { name: 'Leeds', weight: 0.8 },
      { name: 'Liverpool', weight: 0.5 },
      { name: 'Bristol', weight: 0.5 },
      { name: 'Edinburgh', weight: 0.5 },
      { name: 'Sheffield', weight: 0.6 },
      { name: 'Newcastle upon Tyne', weight: 0.3 },
      { name: 'Cardiff', weight: 0.4 },
      { name: 'Nottingham', weight: 0.3 },
      { name: 'Leicester', weight: 0.4 },
      { name: 'Brighton', weight: 0.3 },
      { name: 'Southampton', weight: 0.25 },
      { name: 'Belfast', weight: 0.35 },
      { name: 'Oxford', weight: 0.15 },
      { name: 'Cambridge', weight: 0.15 },
    ],
  },
  {
    code: 'DE',
    weight: 0.12,
    names: [['de', 1]],
    localDomains: ['gmx.de', 'web.de', 't-online.de', 'freenet.de'],
    phone: (rng) => {
      const prefix = pick(rng, ['151', '152', '157', '159', '160', '162', '163', '170', '171', '172', '173', '174', '175', '176', '177', '178', '179']);
      return `+49${prefix}${digits(rng, prefix.startsWith('15') ? 8 : 7)}`;
    },
    cities: [
      { name: 'Berlin', weight: 3.7 },
      { name: 'Hamburg', weight: 1.9 },
      { name: 'München', weight: 1.5 },
      { name: 'Köln', weight: 1.1 },
      { name: 'Frankfurt am Main', weight: 0.77 },
      { name: 'Stuttgart', weight: 0.63 },
      { name: 'Düsseldorf', weight: 0.62 },
      { name: 'Leipzig', weight: 0.6 },
      { name: 'Dortmund', weight: 0.59 },
      { name: 'Essen', weight: 0.58 },
      { name: 'Bremen', weight: 0.57 },
      { name: 'Dresden', weight: 0.56 },
      { name: 'Hannover', weight: 0.54 },
      { name: 'Nürnberg', weight: 0.52 },
      { name: 'Bonn', weight: 0.33 },
      { name: 'Münster', weight: 0.32 },
      { name: 'Freiburg im Breisgau', weight: 0.23 },
    ],
  },
  {
    code: 'FR',
    weight: 0.08,
    names: [['fr', 1]],
    localDomains: ['orange.fr', 'free.fr', 'laposte.net', 'sfr.fr'],
    phone: (rng) =>
      rng() < 0.8 ? `+336${digits(rng, 8)}` : `+337${pick(rng, ['3', '4', '5', '6', '7', '8'])}${digits(rng, 7)}`,
    cities: [
      { name: 'Paris', weight: 2.1 },
      { name: 'Marseille', weight: 0.87 },
      { name: 'Lyon', weight: 0.52 },
      { name: 'Toulouse', weight: 0.5 },
      { name: 'Nice', weight: 0.34 },
      { name: 'Nantes', weight: 0.32 },
      { name: 'Strasbourg', weight: 0.29 },
      { name: 'Montpellier', weight: 0.3 },
      { name: 'Bordeaux', weight: 0.26 },
      { name: 'Lille', weight: 0.23 },
      { name: 'Rennes', weight: 0.22 },
      { name: 'Reims', weight: 0.18 },
      { name: 'Grenoble', weight: 0.16 },
      { name: 'Dijon', weight: 0.16 },
    ],
  },
  {
    code: 'CA',
    weight: 0.07,
    names: [
      ['en', 0.75],
      ['fr', 0.25],
    ],
    localDomains: ['shaw.ca', 'rogers.com', 'sympatico.ca', 'videotron.ca'],
    phone: nanpPhone,
    cities: [
      { name: 'Toronto', weight: 2.8, areaCodes: ['416', '647', '437'] },
      { name: 'Montréal', weight: 1.8, areaCodes: ['514', '438'] },
      { name: 'Calgary', weight: 1.3, areaCodes: ['403', '587', '825'] },
      { name: 'Ottawa', weight: 1.0, areaCodes: ['613', '343'] },
      { name: 'Edmonton', weight: 1.0, areaCodes: ['780', '587'] },
      { name: 'Winnipeg', weight: 0.75, areaCodes: ['204', '431'] },
      { name: 'Vancouver', weight: 0.66, areaCodes: ['604', '778', '236'] },
      { name: 'Québec City', weight: 0.55, areaCodes: ['418', '581'] },
      { name: 'Hamilton', weight: 0.57, areaCodes: ['905', '289', '365'] },
      { name: 'Halifax', weight: 0.44, areaCodes: ['902', '782'] },
      { name: 'Victoria', weight: 0.09, areaCodes: ['250', '778'] },
      { name: 'Saskatoon', weight: 0.27, areaCodes: ['306', '639'] },
    ],
  },
  {
    code: 'AU',
    weight: 0.06,
    names: [['en_AU', 1]],
    localDomains: ['bigpond.com', 'optusnet.com.au', 'iinet.net.au'],
    phone: (rng) => `+614${digits(rng, 8)}`,
    cities: [
      { name: 'Sydney', weight: 5.3 },
      { name: 'Melbourne', weight: 5.1 },
      { name: 'Brisbane', weight: 2.6 },
      { name: 'Perth', weight: 2.1 },
      { name: 'Adelaide', weight: 1.4 },
      { name: 'Gold Coast', weight: 0.7 },
      { name: 'Canberra', weight: 0.46 },
      { name: 'Newcastle', weight: 0.5 },
      { name: 'Wollongong', weight: 0.3 },
      { name: 'Geelong', weight: 0.28 },
      { name: 'Hobart', weight: 0.25 },
      { name: 'Darwin', weight: 0.15 },
    ],
  },
  {
    code: 'NL',
    weight: 0.05,
    names: [['nl', 1]],
    localDomains: ['ziggo.nl', 'kpnmail.nl', 'planet.nl', 'hetnet.nl'],
    phone: (rng) => `+316${intBetween(rng, 1, 5)}${digits(rng, 7)}`,
    cities: [
      { name: 'Amsterdam', weight: 0.92 },
      { name: 'Rotterdam', weight: 0.66 },
      { name: 'Den Haag', weight: 0.56 },
      { name: 'Utrecht', weight: 0.37 },
      { name: 'Eindhoven', weight: 0.24 },
      { name: 'Groningen', weight: 0.24 },
      { name: 'Tilburg', weight: 0.22 },
      { name: 'Almere', weight: 0.22 },
      { name: 'Breda', weight: 0.19 },
      { name: 'Nijmegen', weight: 0.18 },
      { name: 'Haarlem', weight: 0.16 },
      { name: 'Arnhem', weight: 0.16 },
      { name: 'Leiden', weight: 0.13 },
      { name: 'Maastricht', weight: 0.12 },
    ],
  },
  {
    code: 'ES',
    weight: 0.05,
    names: [['es', 1]],
    localDomains: ['telefonica.net', 'yahoo.es', 'hotmail.es'],
    phone: (rng) => (rng() < 0.85 ? `+346${digits(rng, 8)}` : `+347${intBetween(rng, 1, 4)}${digits(rng, 7)}`),
    cities: [
      { name: 'Madrid', weight: 3.3 },
      { name: 'Barcelona', weight: 1.6 },
      { name: 'Valencia', weight: 0.8 },
      { name: 'Sevilla', weight: 0.68 },
      { name: 'Zaragoza', weight: 0.68 },
      { name: 'Málaga', weight: 0.58 },
      { name: 'Murcia', weight: 0.46 },
      { name: 'Palma', weight: 0.42 },
      { name: 'Bilbao', weight: 0.35 },
      { name: 'Alicante', weight: 0.34 },
      { name: 'Córdoba', weight: 0.32 },
      { name: 'Valladolid', weight: 0.3 },
      { name: 'Granada', weight: 0.23 },
    ],
  },
  {
    code: 'IT',
    weight: 0.05,
    names: [['it', 1]],
    localDomains: ['libero.it', 'virgilio.it', 'alice.it', 'tiscali.it'],
    phone: (rng) => `+393${intBetween(rng, 2, 9)}${digits(rng, 8)}`,
    cities: [
      { name: 'Roma', weight: 2.8 },
      { name: 'Milano', weight: 1.4 },
      { name: 'Napoli', weight: 0.92 },
      { name: 'Torino', weight: 0.85 },
      { name: 'Palermo', weight: 0.63 },
      { name: 'Genova', weight: 0.56 },
      { name: 'Bologna', weight: 0.39 },
      { name: 'Firenze', weight: 0.36 },
      { name: 'Bari', weight: 0.32 },
      { name: 'Catania', weight: 0.3 },
      { name: 'Venezia', weight: 0.25 },
      { name: 'Verona', weight: 0.26 },
      { name: 'Padova', weight: 0.21 },
      { name: 'Trieste', weight: 0.2 },
    ],
  },
  {
    code: 'SE',
    weight: 0.04,
    names: [['sv', 1]],
    localDomains: ['telia.com', 'live.se', 'hotmail.se', 'bredband.net'],
    phone: (rng) => `+467${pick(rng, ['0', '2', '3', '6', '9'])}${digits(rng, 7)}`,
    cities: [
      { name: 'Stockholm', weight: 0.98 },
      { name: 'Göteborg', weight: 0.6 },
      { name: 'Malmö', weight: 0.36 },
      { name: 'Uppsala', weight: 0.24 },
      { name: 'Västerås', weight: 0.16 },
      { name: 'Örebro', weight: 0.16 },
      { name: 'Linköping', weight: 0.17 },
      { name: 'Helsingborg', weight: 0.15 },
      { name: 'Jönköping', weight: 0.14 },
      { name: 'Norrköping', weight: 0.14 },
      { name: 'Lund', weight: 0.13 },
      { name: 'Umeå', weight: 0.13 },
    ],
  },
];

const COUNTRY_ITEMS = COUNTRIES.map((c) => [c, c.weight] as const);
const COUNTRY_TOTAL = COUNTRIES.reduce((s, c) => s + c.weight, 0);
const CITY_TABLES = new Map(
  COUNTRIES.map((c) => [c.code, { items: c.cities.map((x) => [x, x.weight] as const), total: c.cities.reduce((s, x) => s + x.weight, 0) }]),
);
const TYPE_ITEMS = CUSTOMER_TYPES.map((t) => [t, TYPE_SHARES[t]] as const);

const GLOBAL_DOMAINS: readonly (readonly [string, number])[] = [
  ['gmail.com', 0.5],
  ['yahoo.com', 0.12],
  ['outlook.com', 0.12],
  ['hotmail.com', 0.12],
  ['icloud.com', 0.14],
];

// ---------------------------------------------------------------------------------------------
// Emails
// ---------------------------------------------------------------------------------------------

const SPECIAL_LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', ø: 'o', œ: 'oe', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

function emailPart(name: string): string {
  const folded = name
    .toLowerCase()
    .replace(/[ßæøœłđðþı]/g, (ch) => SPECIAL_LETTERS[ch] ?? '')
    .normalize('NFD')
    .replace(/[^a-z]/g, '');
  return folded.length > 0 ? folded : 'customer';
}

/** Multiplier coprime to a prime modulus > MAX_POPULATION_SIZE: an injective scramble of the index. */
const EMAIL_NUMBER_MODULUS = 1_000_003;
const EMAIL_NUMBER_MULTIPLIER = 618_034;

/**
 * The local part always ends in a number that is an injective function of the index (names and
 * separators contain no digits), so two people never share an email whatever their names.
 */
function emailFor(rng: Rng, seed: number, index: number, first: string, last: string, country: Country): string {
  const f = emailPart(first);
  const l = emailPart(last);
  const offset = seedHash(seed) % EMAIL_NUMBER_MODULUS;
  const n = (index * EMAIL_NUMBER_MULTIPLIER + offset) % EMAIL_NUMBER_MODULUS;
  const local = pickWeighted(
    rng,
    [
      [`${f}.${l}${n}`, 0.34],
      [`${f}${l}${n}`, 0.18],
      [`${f.charAt(0)}${l}${n}`, 0.16],
      [`${f}_${l}${n}`, 0.1],
      [`${l}.${f}${n}`, 0.1],
      [`${f}.${l}.${n}`, 0.06],
      [`${f}${n}`, 0.06],
    ],
    1,
  );
  const domain =
    rng() < 0.75 ? pickWeighted(rng, GLOBAL_DOMAINS, 1) : pick(rng, country.localDomains);
  return `${local}@${domain}`;
}

// ---------------------------------------------------------------------------------------------
// Buying behaviour
// ---------------------------------------------------------------------------------------------

interface DraftPurchase {
  /** Seconds before the anchor (>= 0). */
  secondsAgo: number;
  status: SyntheticPurchaseStatus;
  amount: number | null;
}

interface AmountModel {
  base: number;
  sigma: number;
  min: number;
  max: number;
}

function amountFrom(rng: Rng, m: AmountModel): number {
  const raw = m.base * Math.exp(m.sigma * standardNormal(rng));
  const clamped = Math.min(m.max, Math.max(m.min, raw));
  return Math.round(clamped * 100) / 100;
}

function secondsAgo(daysAgo: number): number {
  return Math.max(0, Math.ceil(daysAgo * DAY_SECONDS));
}

interface Behaviour {
  /** Won purchases as days before the anchor. */
  wonDaysAgo: number[];
  amount: AmountModel;
  /** Days before the anchor at which the person was created (>= every purchase). */
  createdDaysAgo: number;
}

/** Sign-up usually shortly before the first order. */
function signupLag(rng: Rng): number {
  return Math.min(120, exponential(rng, 21));
}

function behaviourFor(rng: Rng, type: CustomerType): Behaviour {
  const won: number[] = [];
  switch (type) {
    case 'frequent_small_buyer': {
      const meanGap = uniform(rng, 10, 25);
      const history = uniform(rng, 365, 1095);
      let t = rng() * meanGap;
      while (t <= history) {
        won.push(t);
        t += Math.max(1, gammaGap(rng, 3, meanGap));
      }
      const amount = { base: uniform(rng, 20, 48), sigma: 0.25, min: 15, max: 60 };
      return { wonDaysAgo: won, amount, createdDaysAgo: history + signupLag(rng) };
    }
    case 'rare_big_spender': {
      const meanGap = uniform(rng, 90, 200);
      const history = uniform(rng, 400, 1400);
      let t = uniform(rng, 0, 120);
      while (won.length < 2 || t <= history) {
        won.push(t);
        t += Math.max(30, gammaGap(rng, 4, meanGap));
      }
      const first = won[won.length - 1] ?? 0;
      const amount = { base: uniform(rng, 550, 1600), sigma: 0.3, min: 400, max: 2000 };
      return { wonDaysAgo: won, amount, createdDaysAgo: first + signupLag(rng) };
    }
    case 'lapsed_regular': {
      const stoppedAgo = uniform(rng, 395, 913); // 13–30 months
      const active = uniform(rng, 365, Math.min(730, 1440 - stoppedAgo));
      const meanGap = uniform(rng, 20, 40);
      let t = stoppedAgo;
      while (won.length < 5 || t <= stoppedAgo + active) {
        won.push(t);
        t += Math.max(3, gammaGap(rng, 4, meanGap));
      }
      const first = won[won.length - 1] ?? stoppedAgo;
      const amount = { base: uniform(rng, 50, 100), sigma: 0.25, min: 40, max: 120 };
      return { wonDaysAgo: won, amount, createdDaysAgo: first + signupLag(rng) };
    }
    case 'recent_first_timer': {
      const first = uniform(rng, 0, 44.9);
      won.push(first);
      if (rng() < 0.3) won.push(uniform(rng, 0, first));
      const amount = { base: uniform(rng, 40, 130), sigma: 0.2, min: 30, max: 150 };
      const lag = Math.min(exponential(rng, 5), 59.9 - first);
      return { wonDaysAgo: won, amount, createdDaysAgo: first + lag };
    }
    case 'one_off_bargain_buyer': {
      const when = uniform(rng, 122, 334); // 4–11 months
      won.push(when);
      const amount = { base: uniform(rng, 7, 22), sigma: 0.25, min: 5, max: 25 };
      return { wonDaysAgo: won, amount, createdDaysAgo: when + signupLag(rng) };
    }
    case 'prospect': {
      const amount = { base: uniform(rng, 30, 300), sigma: 0.4, min: 15, max: 1500 };
      return { wonDaysAgo: won, amount, createdDaysAgo: uniform(rng, 0, 1461) };
    }
  }
}

function draftPurchases(rng: Rng, type: CustomerType, b: Behaviour): DraftPurchase[] {
  const drafts: DraftPurchase[] = b.wonDaysAgo.map((d) => ({
    secondsAgo: secondsAgo(d),
    status: 'won' as const,
    // ~0.5% of won deals were closed without anyone entering the amount.
    amount: rng() < 0.005 ? null : amountFrom(rng, b.amount),
  }));
  const created = b.createdDaysAgo;
  const lost = (): DraftPurchase => ({
    secondsAgo: secondsAgo(uniform(rng, 0, created)),
    status: 'lost',
    amount: amountFrom(rng, b.amount),
  });
  // Open deals carry an expected close date that has slipped a little (never after the anchor).
  const open = (): DraftPurchase => ({
    secondsAgo: secondsAgo(uniform(rng, 0, Math.min(30, created))),
    status: 'open',
    amount: amountFrom(rng, b.amount),
  });
  if (type === 'prospect') {
    if (rng() < 0.2) drafts.push(rng() < 0.6 ? lost() : open());
  } else {
    if (rng() < 0.08) drafts.push(lost());
    if (rng() < 0.05) drafts.push(open());
  }
  // Oldest first; ties keep insertion order (Array.prototype.sort is stable).
  drafts.sort((x, y) => y.secondsAgo - x.secondsAgo);
  return drafts;
}

// ---------------------------------------------------------------------------------------------
// Email engagement
// ---------------------------------------------------------------------------------------------

/** Engagement draws come from their own stream, so adding them changed no one's other values. */
const ENGAGEMENT_STREAM = 0x5e55a9e;
const NEWSLETTERS_PER_WEEK = 1;
const OPEN_RATE: Readonly<Record<CustomerType, number>> = Object.freeze({
  frequent_small_buyer: 0.45,
  rare_big_spender: 0.3,
  lapsed_regular: 0.06,
  recent_first_timer: 0.4,
  one_off_bargain_buyer: 0.12,
  prospect: 0.15,
});
const CLICK_RATE = 0.2;

function binomial(rng: Rng, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (rng() < p) k++;
  return k;
}

/** Weekly newsletters over the last year (since sign-up if later); the unsubscribed get none. */
function engagementOf(rng: Rng, type: CustomerType, consent: 'subscribed' | 'unsubscribed', createdDaysAgo: number, anchorMs: number): SyntheticEngagement {
  const days = Math.min(365, createdDaysAgo);
  const sent = consent === 'subscribed' ? Math.floor((days / 7) * NEWSLETTERS_PER_WEEK) : 0;
  const rate = Math.min(0.95, Math.max(0.01, OPEN_RATE[type] * Math.exp(0.35 * standardNormal(rng))));
  const opened = binomial(rng, sent, rate);
  const clicked = binomial(rng, opened, CLICK_RATE);
  // The last open: within the last few sends for an engaged reader, longer ago for a rare one.
  const lastDaysAgo = opened === 0 ? null : Math.min(days, exponential(rng, 7 / rate));
  return {
    emailsOpened: opened,
    emailsClicked: clicked,
    lastOpenedAt: lastDaysAgo === null ? null : new Date(anchorMs - secondsAgo(lastDaysAgo) * 1000).toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// Web, email delivery and sales activity; the company
// ---------------------------------------------------------------------------------------------

/** Own streams again: adding these changed none of the values drawn before them. */
const ACTIVITY_STREAM = 0x3ac71f1;
const COMPANY_STREAM = 0x0c0a9a7;

/** Website sessions a year by type: buyers browse more, lapsed ones hardly come back. */
const VISITS_PER_YEAR: Readonly<Record<CustomerType, number>> = Object.freeze({
  frequent_small_buyer: 30,
  rare_big_spender: 10,
  lapsed_regular: 2,
  recent_first_timer: 14,
  one_off_bargain_buyer: 4,
  prospect: 6,
});
/** Share of people the site never identified (no cookie tied to the contact): web properties stay empty. */
const UNTRACKED_SHARE = 0.2;
const BOUNCE_RATE = 0.02;
const CLICK_RATE_OF_OPENS = 0.2;

const JOB_TITLES = [
  'Marketing Manager', 'Head of Operations', 'Software Engineer', 'Office Manager', 'Purchasing Manager',
  'Founder', 'Sales Director', 'Designer', 'Accountant', 'Teacher', 'Nurse', 'Consultant',
] as const;
const LEAD_STATUSES = ['NEW', 'OPEN', 'IN_PROGRESS', 'ATTEMPTED_TO_CONTACT', 'CONNECTED', 'UNQUALIFIED', 'BAD_TIMING'] as const;

/** HubSpot `industry` option values the population's companies use (a subset of HubSpot's list). */
export const COMPANY_INDUSTRIES = [
  'COMPUTER_SOFTWARE', 'INFORMATION_TECHNOLOGY_AND_SERVICES', 'MARKETING_AND_ADVERTISING', 'RETAIL',
  'FINANCIAL_SERVICES', 'HOSPITAL_HEALTH_CARE', 'EDUCATION_MANAGEMENT', 'CONSTRUCTION', 'CONSUMER_GOODS', 'FOOD_BEVERAGES',
] as const;
/** Median employees by type: big spenders buy for larger companies, bargain buyers for small ones. */
const MEDIAN_EMPLOYEES: Readonly<Record<CustomerType, number>> = Object.freeze({
  frequent_small_buyer: 40,
  rare_big_spender: 800,
  lapsed_regular: 60,
  recent_first_timer: 50,
  one_off_bargain_buyer: 8,
  prospect: 30,
});
const COMPANY_SUFFIXES = ['GmbH', 'Ltd', 'Inc', 'SARL', 'BV', 'AB', 'SL', 'Pty Ltd', 'LLC', 'Group'] as const;
/** Share of people with no company on record. */
const NO_COMPANY_SHARE = 0.15;

function isoDaysAgo(anchorMs: number, daysAgo: number): string {
  return new Date(anchorMs - secondsAgo(daysAgo) * 1000).toISOString();
}

/** Delivery, clicks' date, web sessions, forms and sales replies, consistent with the email engagement. */
function activityOf(rng: Rng, type: CustomerType, engagement: SyntheticEngagement, consent: 'subscribed' | 'unsubscribed', createdDaysAgo: number, anchorMs: number): SyntheticActivity {
  const days = Math.min(365, createdDaysAgo);
  const sent = consent === 'subscribed' ? Math.floor(days / 7) : 0;
  const bounced = Math.min(sent - engagement.emailsOpened, binomial(rng, sent, BOUNCE_RATE));
  const lastOpenDaysAgo = engagement.lastOpenedAt === null ? null : (anchorMs - Date.parse(engagement.lastOpenedAt)) / (DAY_SECONDS * 1000);
  // A click is on an opened email, so the last click is no later than the last open.
  const lastClickDaysAgo = engagement.emailsClicked === 0 || lastOpenDaysAgo === null
    ? null
    : Math.min(days, lastOpenDaysAgo + exponential(rng, 7 / CLICK_RATE_OF_OPENS));
  const tracked = rng() >= UNTRACKED_SHARE;
  const rate = VISITS_PER_YEAR[type] * Math.exp(0.5 * standardNormal(rng));
  const visits = tracked ? Math.round((rate * Math.max(days, 1)) / 365) : null;
  let pageViews: number | null = null;
  if (visits !== null) {
    pageViews = 0;
    for (let v = 0; v < visits; v++) pageViews += 1 + Math.floor(exponential(rng, 2));
  }
  const lastVisitDaysAgo = visits ? Math.min(days, exponential(rng, 365 / Math.max(rate, 1) / 2)) : null;
  const formSubmissions = visits ? binomial(rng, visits, type === 'prospect' ? 0.04 : 0.08) : 0;
  const replied = rng() < (type === 'prospect' ? 0.08 : 0.15);
  const lastReplyDaysAgo = replied ? uniform(rng, 0, days) : null;
  const buyer = type !== 'prospect';
  const leadStatus = buyer ? null : pick(rng, LEAD_STATUSES);
  const jobTitle = rng() < 0.7 ? pick(rng, JOB_TITLES) : null;
  return {
    emailsDelivered: sent - bounced,
    emailsBounced: bounced,
    lastClickedAt: lastClickDaysAgo === null ? null : isoDaysAgo(anchorMs, lastClickDaysAgo),
    webVisits: visits,
    pageViews,
    lastVisitAt: lastVisitDaysAgo === null ? null : isoDaysAgo(anchorMs, lastVisitDaysAgo),
    formSubmissions,
    lastSalesReplyAt: lastReplyDaysAgo === null ? null : isoDaysAgo(anchorMs, lastReplyDaysAgo),
    leadStatus,
    jobTitle,
  };
}

/** The person's employer: size by customer type, revenue by size with per-employee noise. */
function companyOf(rng: Rng, type: CustomerType, lastName: string): SyntheticCompany | null {
  if (rng() < NO_COMPANY_SHARE) return null;
  const employees = Math.max(1, Math.round(MEDIAN_EMPLOYEES[type] * Math.exp(0.8 * standardNormal(rng))));
  const revenuePerEmployee = 120_000 * Math.exp(0.4 * standardNormal(rng));
  return {
    name: `${lastName} ${pick(rng, COMPANY_SUFFIXES)}`,
    industry: pick(rng, COMPANY_INDUSTRIES),
    employees,
    annualRevenue: Math.round((employees * revenuePerEmployee) / 1000) * 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// Persons
// ---------------------------------------------------------------------------------------------

/**
 * The person at `index` (0-based) of the population. Depends only on (seed, anchor, index);
 * `size` only bounds the index.
 */
export function personAt(options: PopulationOptions, index: number): SyntheticPerson {
  const { seed, size, anchor } = options;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`population: seed must be an integer (got ${seed})`);
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`population: index must be an integer in 0..${size - 1} (got ${index})`);
  }
  const anchorMs = anchor.getTime();
  if (Number.isNaN(anchorMs)) throw new RangeError('population: anchor is not a valid date');

  const rng = personRng(seed, index);
  const trueType = pickWeighted(rng, TYPE_ITEMS, 1);

  const country = pickWeighted(rng, COUNTRY_ITEMS, COUNTRY_TOTAL);
  const cityTable = CITY_TABLES.get(country.code);
  if (cityTable === undefined) throw new Error(`population: no cities for ${country.code}`);
  const city = pickWeighted(rng, cityTable.items, cityTable.total);
  const pool = pools()[pickWeighted(rng, country.names, 1)];
  const firstName = pick(rng, rng() < 0.5 ? pool.female : pool.male);
  const lastName = pick(rng, pool.last);
  const email = emailFor(rng, seed, index, firstName, lastName, country);
  const phone = country.phone(rng, city);
  const emailConsent = rng() < 0.85 ? 'subscribed' : 'unsubscribed';

  const behaviour = behaviourFor(rng, trueType);
  const drafts = draftPurchases(rng, trueType, behaviour);
  const createdSecondsAgo = Math.max(secondsAgo(behaviour.createdDaysAgo), drafts[0]?.secondsAgo ?? 0);

  const fullName = `${firstName} ${lastName}`;
  const purchases: SyntheticPurchase[] = drafts.map((d, n) => ({
    key: `${index}-${n}`,
    amount: d.amount,
    currency: CURRENCY,
    occurredAt: new Date(anchorMs - d.secondsAgo * 1000).toISOString(),
    status: d.status,
    name: `Order #${intBetween(rng, 10_000, 999_999)} — ${fullName}`,
  }));

  const engagement = engagementOf(personRng(seed ^ ENGAGEMENT_STREAM, index), trueType, emailConsent, createdSecondsAgo / DAY_SECONDS, anchorMs);
  const activity = activityOf(personRng(seed ^ ACTIVITY_STREAM, index), trueType, engagement, emailConsent, createdSecondsAgo / DAY_SECONDS, anchorMs);
  const company = companyOf(personRng(seed ^ COMPANY_STREAM, index), trueType, lastName);

  return {
    index,
    trueType,
    firstName,
    lastName,
    email,
    phone,
    city: city.name,
    country: country.code,
    emailConsent,
    createdAt: new Date(anchorMs - createdSecondsAgo * 1000).toISOString(),
    purchases,
    engagement,
    activity,
    company,
  };
}

/** Streams persons 0..size-1 lazily; nothing is retained between yields. */
export function* generatePopulation(options: PopulationOptions): Generator<SyntheticPerson> {
  for (let i = 0; i < options.size; i++) yield personAt(options, i);
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

function todayUtcMidnight(): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

const optionsSchema = z.object({
  seed: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a safe integer' })
    .default(DEFAULT_POPULATION_SEED),
  size: z
    .number({ error: 'must be a number' })
    .int({ error: `must be an integer between 1 and ${MAX_POPULATION_SIZE}` })
    .min(1, { error: `must be an integer between 1 and ${MAX_POPULATION_SIZE}` })
    .max(MAX_POPULATION_SIZE, { error: `must be an integer between 1 and ${MAX_POPULATION_SIZE}` })
    .default(DEFAULT_POPULATION_SIZE),
  anchor: z
    .date({ error: 'must be a valid Date' })
    .optional()
    .transform((d) => d ?? todayUtcMidnight()),
});

/**
 * Validates population options and fills defaults (seed 42, size 5000, anchor today 00:00 UTC).
 * Throws a RangeError whose message names every offending field and the value given.
 */
export function parsePopulationOptions(input: { seed?: number; size?: number; anchor?: Date }): PopulationOptions {
  const result = optionsSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.') || 'options';
      const given = (input as Record<string, unknown>)[field];
      const shown = given instanceof Date || typeof given === 'number' ? String(given) : JSON.stringify(given);
      return `${field} ${issue.message} (got ${shown})`;
    });
    throw new RangeError(`Invalid population options: ${problems.join('; ')}`);
  }
  return { seed: result.data.seed, size: result.data.size, anchor: result.data.anchor };
}
