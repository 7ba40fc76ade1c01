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
 *
 * People with no won purchase also get a hidden lead type (`leadType`) with its own engagement
 * and company profile, and a hidden future (`futureFirstPurchaseAt`). Everyone has dated events
 * (`events`, built when first read); the engagement and activity totals are their counts. Engagement
 * climbs before a first purchase the same way for past buyers and for the leads who will buy.
 */
import { de, en, en_AU, es, fr, it, nl, sv } from '@faker-js/faker';
import type { LocaleDefinition } from '@faker-js/faker';
import { z } from 'zod';
import { ENGAGEMENT_CHANNELS, type EngagementChannel } from '../domain/records.js';
import { fmix32 } from '../domain/stable-hash.js';
import {
  CUSTOMER_TYPES,
  LEAD_TYPES,
  type CustomerType,
  type LeadType,
  type PopulationOptions,
  type SyntheticActivity,
  type SyntheticCompany,
  type SyntheticEngagement,
  type SyntheticEvent,
  type SyntheticLineItem,
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
      // Half sign up days before buying; the other half were leads for months first (nurtured),
      // so a first purchase in the last 90 days also comes from people known long before (one draw,
      // as before: the draws after it are unchanged).
      const u = rng();
      const lag = u < 0.5 ? Math.min(-5 * Math.log(1 - 2 * u), 59.9 - first) : 60 + ((u - 0.5) / 0.5) * 540;
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
// Engagement profiles: who reads, visits and fills forms, before and after a first purchase
// ---------------------------------------------------------------------------------------------

/**
 * New draws come from their own streams (a stream is the person's PRNG under `seed ^ STREAM`), so
 * adding them changed none of the values drawn before them: names, purchases and buyers'
 * companies are what they were. Engagement and web totals are now counts of the dated events.
 */
const ACTIVITY_STREAM = 0x3ac71f1;
const COMPANY_STREAM = 0x0c0a9a7;
const LEAD_STREAM = 0x1ead7e5;
const EVENTS_STREAM = 0x0e7e275;
const CHECKOUT_STREAM = 0x0c4ec0a;

/**
 * Checkouts left unfinished (Shopify's abandoned checkouts): a quarter of the won orders had one
 * in the 3 days before, and a fifth of the people who never bought left one in the last 120 days.
 * Drawn from their own stream: no other field of the person moves.
 */
function abandonedCheckouts(rng: Rng, purchases: readonly SyntheticPurchase[], neverBought: boolean, createdMs: number, anchorMs: number): SyntheticEvent[] {
  const out: SyntheticEvent[] = [];
  // Never before the person signed up.
  const at = (ms: number) => new Date(Math.max(createdMs, Math.min(anchorMs, ms))).toISOString();
  for (const p of purchases) {
    if (p.status !== 'won' || rng() >= 0.25) continue;
    out.push({ channel: 'checkout_abandoned', at: at(Date.parse(p.occurredAt) - Math.round(uniform(rng, 0.1, 3) * DAY_MS)) });
  }
  if (neverBought && rng() < 0.2) out.push({ channel: 'checkout_abandoned', at: at(anchorMs - Math.round(uniform(rng, 0.1, 120) * DAY_MS)) });
  return out;
}
const ITEMS_STREAM = 0x17e3500;

/** How a person engages while a profile applies; rates before the person's own multiplier. */
interface EngagementProfile {
  /** Chance that a delivered newsletter is opened. */
  openRate: number;
  /** Chance that an opened newsletter is clicked. */
  clickRate: number;
  visitsPerYear: number;
  /** Mean page views per visit beyond the first. */
  extraPages: number;
  /** Chance that a visit ends with a form submission. */
  formRate: number;
  /** Chance of having replied to sales emails at all. */
  replyChance: number;
}

/**
 * When a lead engages. steady: the same all along; recent: at full rate over the last
 * `activeDays` (drawn per person), at `quiet` of it before; fading: mostly in the first weeks
 * after sign-up, decaying with `fadeDays`.
 */
type LeadShape =
  | { kind: 'steady' }
  | { kind: 'recent'; activeDays: readonly [number, number]; quiet: number }
  | { kind: 'fading'; fadeDays: number };

interface LeadProfile extends EngagementProfile {
  /** Weight among leads (newsletter readers are never unsubscribed; cold leads signed up long ago). */
  weight: number;
  shape: LeadShape;
  medianEmployees: number;
  employeeSigma: number;
  revenuePerEmployee: number;
  noCompanyShare: number;
  industries: readonly Industry[];
  /** Base chance of a first purchase in the 90 days after the anchor (scaled by the person's engagement). */
  futureBuyChance: number;
}

/** HubSpot `industry` option values the population's companies use (a subset of HubSpot's list). */
export const COMPANY_INDUSTRIES = [
  'COMPUTER_SOFTWARE', 'INFORMATION_TECHNOLOGY_AND_SERVICES', 'MARKETING_AND_ADVERTISING', 'RETAIL',
  'FINANCIAL_SERVICES', 'HOSPITAL_HEALTH_CARE', 'EDUCATION_MANAGEMENT', 'CONSTRUCTION', 'CONSUMER_GOODS', 'FOOD_BEVERAGES',
] as const;
type Industry = (typeof COMPANY_INDUSTRIES)[number];

/**
 * The planted lead types. They differ on several features at once (open and click rates, visits,
 * pages per visit, forms, recency, company size) so that clustering can find them even where one
 * feature is missing (an untracked visitor, no company, no email sent).
 */
const LEAD_PROFILES: Readonly<Record<LeadType, LeadProfile>> = Object.freeze({
  // Opens and clicks a lot, visits often and lately, fills forms, talks to sales; small-mid companies.
  engaged_evaluator: {
    weight: 0.25, openRate: 0.5, clickRate: 0.35, visitsPerYear: 70, extraPages: 2, formRate: 0.15, replyChance: 0.35,
    shape: { kind: 'recent', activeDays: [60, 240], quiet: 0.04 },
    medianEmployees: 60, employeeSigma: 0.6, revenuePerEmployee: 120_000, noCompanyShare: 0.12,
    industries: ['MARKETING_AND_ADVERTISING', 'RETAIL', 'CONSUMER_GOODS', 'FOOD_BEVERAGES'],
    futureBuyChance: 0.2,
  },
  // Reads many pages per visit, hardly opens or clicks emails; large companies in a few industries.
  enterprise_researcher: {
    weight: 0.2, openRate: 0.1, clickRate: 0.12, visitsPerYear: 24, extraPages: 9, formRate: 0.05, replyChance: 0.12,
    shape: { kind: 'recent', activeDays: [120, 365], quiet: 0.08 },
    medianEmployees: 3000, employeeSigma: 0.6, revenuePerEmployee: 250_000, noCompanyShare: 0.03,
    industries: ['COMPUTER_SOFTWARE', 'INFORMATION_TECHNOLOGY_AND_SERVICES', 'FINANCIAL_SERVICES', 'HOSPITAL_HEALTH_CARE'],
    futureBuyChance: 0.08,
  },
  // Opens the newsletter steadily, rarely clicks, hardly visits, no forms.
  newsletter_reader: {
    weight: 0.3, openRate: 0.6, clickRate: 0.08, visitsPerYear: 1.5, extraPages: 0.5, formRate: 0.01, replyChance: 0.02,
    shape: { kind: 'steady' },
    medianEmployees: 25, employeeSigma: 0.9, revenuePerEmployee: 100_000, noCompanyShare: 0.15,
    industries: COMPANY_INDUSTRIES,
    futureBuyChance: 0.05,
  },
  // Signed up long ago, looked around for a few weeks, then nothing.
  cold_lead: {
    weight: 0.25, openRate: 0.3, clickRate: 0.05, visitsPerYear: 4, extraPages: 0.5, formRate: 0, replyChance: 0.01,
    shape: { kind: 'fading', fadeDays: 10 },
    medianEmployees: 15, employeeSigma: 0.9, revenuePerEmployee: 100_000, noCompanyShare: 0.25,
    industries: COMPANY_INDUSTRIES,
    futureBuyChance: 0.01,
  },
});
/** A cold lead signed up at least this long ago (a recent sign-up is not cold yet). */
const COLD_AFTER_DAYS = 180;

/** What buyers were as leads before their first purchase (cold leads do not convert). */
const PRE_PURCHASE_WEIGHTS: Readonly<Record<Exclude<CustomerType, 'prospect'>, readonly (readonly [LeadType, number])[]>> = Object.freeze({
  frequent_small_buyer: [['engaged_evaluator', 0.6], ['newsletter_reader', 0.3], ['enterprise_researcher', 0.1]],
  rare_big_spender: [['enterprise_researcher', 0.7], ['engaged_evaluator', 0.3]],
  lapsed_regular: [['newsletter_reader', 0.75], ['engaged_evaluator', 0.15], ['enterprise_researcher', 0.1]],
  recent_first_timer: [['engaged_evaluator', 0.6], ['newsletter_reader', 0.3], ['enterprise_researcher', 0.1]],
  one_off_bargain_buyer: [['engaged_evaluator', 0.4], ['newsletter_reader', 0.6]],
});

/** Email opens a year's worth of weekly newsletters; buyers engage by type after their first purchase. */
const OPEN_RATE: Readonly<Record<Exclude<CustomerType, 'prospect'>, number>> = Object.freeze({
  frequent_small_buyer: 0.45,
  rare_big_spender: 0.3,
  lapsed_regular: 0.06,
  recent_first_timer: 0.4,
  one_off_bargain_buyer: 0.12,
});
/** Website sessions a year by type: buyers browse more, lapsed ones hardly come back. */
const VISITS_PER_YEAR: Readonly<Record<Exclude<CustomerType, 'prospect'>, number>> = Object.freeze({
  frequent_small_buyer: 30,
  rare_big_spender: 10,
  lapsed_regular: 2,
  recent_first_timer: 14,
  one_off_bargain_buyer: 4,
});

function customerProfile(type: Exclude<CustomerType, 'prospect'>): EngagementProfile {
  return { openRate: OPEN_RATE[type], clickRate: 0.2, visitsPerYear: VISITS_PER_YEAR[type], extraPages: 2, formRate: 0.04, replyChance: 0.15 };
}

/**
 * The run-up to a first purchase, the same for buyers in the past and leads in the hidden
 * future: over the last `days` before it, engagement climbs linearly to (1 + amplitude) times
 * the person's usual rate. A model trained on past first purchases learns this rise, and the
 * leads who will buy show its first part before the anchor.
 */
const RAMP_AMPLITUDE = 4;
const RAMP_DAYS: readonly [number, number] = [75, 150];
/** Opens are capped by the open rate: they rise less than visits, clicks and forms. */
const RAMP_OPEN_SHARE = 0.4;
const FUTURE_DAYS = 90;

/** Who a person is as a lead, and the timing that drives their events. */
interface LeadState {
  /** The planted type; null for buyers. */
  leadType: LeadType | null;
  /** The profile before the first purchase (for buyers, what they were as leads). */
  profile: LeadProfile;
  /** The person's own engagement level around the profile's rates. */
  level: number;
  /** Full-rate window of a `recent` profile, in days before the anchor. */
  activeDays: number;
  /** Days before the anchor of the first won purchase; negative in the hidden future; null: none. */
  firstPurchaseDaysAgo: number | null;
  rampDays: number;
}

interface WeightTable<T> {
  items: readonly (readonly [T, number])[];
  total: number;
}

function weightTable<T>(items: readonly (readonly [T, number])[]): WeightTable<T> {
  return { items, total: items.reduce((s, [, w]) => s + w, 0) };
}

/** Lead type weights by (unsubscribed: +1, signed up too lately to be cold: +2). */
const LEAD_TYPE_TABLES: readonly WeightTable<LeadType>[] = [0, 1, 2, 3].map((k) =>
  weightTable(LEAD_TYPES.map((t) => [t, (t === 'newsletter_reader' && (k & 1)) || (t === 'cold_lead' && (k & 2)) ? 0 : LEAD_PROFILES[t].weight] as const)),
);
/** Buyers' pre-purchase lead type weights: [subscribed, unsubscribed]. */
const PRE_PURCHASE_TABLES = Object.fromEntries(
  Object.entries(PRE_PURCHASE_WEIGHTS).map(([type, weights]) => [
    type,
    [weightTable(weights), weightTable(weights.map(([t, w]) => [t, t === 'newsletter_reader' ? 0 : w] as const))],
  ]),
) as unknown as Readonly<Record<Exclude<CustomerType, 'prospect'>, readonly [WeightTable<LeadType>, WeightTable<LeadType>]>>;

function leadStateOf(rng: Rng, type: CustomerType, subscribed: boolean, createdDaysAgo: number, firstWonDaysAgo: number | null): LeadState {
  const table = type === 'prospect'
    ? LEAD_TYPE_TABLES[(subscribed ? 0 : 1) + (createdDaysAgo < COLD_AFTER_DAYS ? 2 : 0)]!
    : PRE_PURCHASE_TABLES[type][subscribed ? 0 : 1];
  const leadType = pickWeighted(rng, table.items, table.total);
  const profile = LEAD_PROFILES[leadType];
  const level = Math.exp(0.3 * standardNormal(rng));
  const activeDays = profile.shape.kind === 'recent' ? uniform(rng, profile.shape.activeDays[0], profile.shape.activeDays[1]) : 0;
  const rampDays = uniform(rng, RAMP_DAYS[0], RAMP_DAYS[1]);
  let firstPurchaseDaysAgo = firstWonDaysAgo;
  if (type === 'prospect') {
    // More engaged people of a type buy more often: the chance scales with the level squared.
    const chance = Math.min(0.9, profile.futureBuyChance * Math.min(4, level * level));
    const buys = rng() < chance;
    const after = uniform(rng, 0.5, FUTURE_DAYS);
    firstPurchaseDaysAgo = buys ? -after : null;
  }
  return { leadType: type === 'prospect' ? leadType : null, profile, level, activeDays, firstPurchaseDaysAgo, rampDays };
}

// ---------------------------------------------------------------------------------------------
// Dated events
// ---------------------------------------------------------------------------------------------

const CHANNEL = Object.freeze(Object.fromEntries(ENGAGEMENT_CHANNELS.map((c, i) => [c, i]))) as Readonly<Record<EngagementChannel, number>>;
const CHANNEL_SLOTS = 16;
const DAY_MS = DAY_SECONDS * 1000;
const MINUTE_DAYS = 1 / 1440;
/** Newsletters go out weekly at the same hour, the last one a little over two days before the anchor. */
const SEND_OFFSET_DAYS = 2.375;
/**
 * Share of people whose sign-up did not tie the site's cookie to the contact. They stay
 * unidentified (no web events, web properties empty) unless they click an email or fill a form.
 */
const COOKIE_UNTIED_SHARE = 0.2;
const BOUNCE_RATE = 0.02;
/** Visits are drawn per fortnight at the rate in force mid-fortnight. */
const VISIT_BUCKET_DAYS = 14;
/** Time between two page views of a visit. */
const PAGE_GAP_DAYS = 2 * MINUTE_DAYS;

/**
 * A person's events. Generating a person only counts them (the totals); when someone reads
 * `person.events` the same stream is drawn again with `codes` kept: each event one number,
 * (age in ms) × 16 + (15 − channel), so that a descending sort puts them oldest first (same
 * instant: channel order).
 */
class EventLog {
  /** Whether the site identified the visitor (web events kept). */
  tracked = true;

  constructor(readonly codes: number[] | null) {}

  /** Forgets the web events (visits, page views, forms), all added from `codesFrom` on. */
  dropWeb(codesFrom: number): void {
    for (const channel of [CHANNEL.web_visit, CHANNEL.page_view, CHANNEL.form_fill]) {
      this.counts[channel] = 0;
      this.latestAge[channel] = -1;
    }
    if (this.codes) this.codes.length = codesFrom;
  }
  readonly counts: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  /** Smallest age (latest event) per channel, in ms before the anchor; -1: none. */
  readonly latestAge: number[] = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1];

  add(channel: number, daysAgo: number): void {
    const age = Math.max(0, Math.round(daysAgo * DAY_MS));
    this.codes?.push(age * CHANNEL_SLOTS + (CHANNEL_SLOTS - 1 - channel));
    this.counts[channel]! += 1;
    const latest = this.latestAge[channel]!;
    if (latest < 0 || age < latest) this.latestAge[channel] = age;
  }

  /** `n` events of one channel, `gapDays` apart from `daysAgo` on (later each time), never after the anchor. */
  addRun(channel: number, n: number, daysAgo: number, gapDays: number): void {
    if (this.codes !== null) {
      for (let k = 0; k < n; k++) this.add(channel, Math.max(0, daysAgo - k * gapDays));
      return;
    }
    // Counting only: the run's total and its last event are all the totals need.
    if (n <= 0) return;
    this.counts[channel]! += n - 1;
    this.add(channel, Math.max(0, daysAgo - (n - 1) * gapDays));
  }

  count(channel: EngagementChannel): number {
    return this.counts[CHANNEL[channel]]!;
  }

  latestAt(channel: EngagementChannel, anchorMs: number): string | null {
    const age = this.latestAge[CHANNEL[channel]]!;
    return age < 0 ? null : new Date(anchorMs - age).toISOString();
  }
}

function materialize(codes: readonly number[], anchorMs: number): SyntheticEvent[] {
  const sorted = Float64Array.from(codes).sort().reverse();
  const out: SyntheticEvent[] = new Array<SyntheticEvent>(sorted.length);
  for (let i = 0; i < sorted.length; i++) {
    const code = sorted[i]!;
    const slot = code % CHANNEL_SLOTS;
    const age = (code - slot) / CHANNEL_SLOTS;
    out[i] = { channel: ENGAGEMENT_CHANNELS[CHANNEL_SLOTS - 1 - slot]!, at: new Date(anchorMs - age).toISOString() };
  }
  return out;
}

/** Replaces the lazy `events` accessor with the plain property it stands for. */
function settleEvents(person: SyntheticPerson, events: SyntheticEvent[] | undefined): void {
  Object.defineProperty(person, 'events', { value: events, enumerable: true, writable: true, configurable: true });
}

function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * standardNormal(rng)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng();
  while (p > limit) {
    k++;
    p *= rng();
  }
  return k;
}

interface EventPlan {
  type: CustomerType;
  lead: LeadState;
  customer: EngagementProfile | null;
  createdDaysAgo: number;
  subscribed: boolean;
  /** The sign-up tied the site's cookie to the contact; otherwise an email click or a form must. */
  cookieTied: boolean;
}

interface Phase {
  profile: EngagementProfile;
  /** The lead shape's multiplier of web activity. */
  shape: number;
  /** Its multiplier of email opens: a `recent` lead read the newsletter before evaluating too. */
  emailShape: number;
  /** The run-up to a first purchase's multiplier. */
  ramp: number;
}

/** The profile in force `t` days before the anchor and the multipliers of its rates then, written into `out`. */
function phaseAt(plan: EventPlan, t: number, out: Phase): Phase {
  const { lead, customer } = plan;
  const first = lead.firstPurchaseDaysAgo;
  out.profile = lead.profile;
  out.shape = 1;
  out.emailShape = 1;
  out.ramp = 1;
  if (customer !== null && first !== null && t < first) {
    out.profile = customer;
    return out;
  }
  let shape = 1;
  // Buyers' pre-purchase phase is short and at full rate; the shapes describe long-time leads.
  if (customer === null) {
    const s = lead.profile.shape;
    if (s.kind === 'recent') shape = t <= lead.activeDays ? 1 : s.quiet;
    else if (s.kind === 'fading') shape = Math.exp(-(plan.createdDaysAgo - t) / s.fadeDays);
  }
  out.shape = shape;
  out.emailShape = lead.profile.shape.kind === 'recent' ? 1 : shape;
  out.ramp = first === null ? 1 : 1 + RAMP_AMPLITUDE * Math.max(0, 1 - (t - first) / lead.rampDays);
  return out;
}

function eventsOf(rng: Rng, plan: EventPlan, log: EventLog): EventLog {
  const created = plan.createdDaysAgo;
  const level = plan.lead.level;
  const phase: Phase = { profile: plan.lead.profile, shape: 1, emailShape: 1, ramp: 1 };
  if (!plan.subscribed) {
    // Opted out of marketing email at sign-up: no newsletter ever went out.
    log.add(CHANNEL.unsubscribe, Math.max(0, created - MINUTE_DAYS));
  } else {
    for (let k = Math.floor((created - SEND_OFFSET_DAYS) / 7); k >= 0; k--) {
      const t = SEND_OFFSET_DAYS + 7 * k;
      // One draw decides the bounce and, rescaled, the open.
      const u = rng();
      if (u < BOUNCE_RATE) {
        log.add(CHANNEL.email_bounce, t);
        continue;
      }
      log.add(CHANNEL.email_delivered, t);
      const { profile, emailShape, ramp } = phaseAt(plan, t, phase);
      const openChance = Math.min(0.95, profile.openRate * level * emailShape * (1 + (ramp - 1) * RAMP_OPEN_SHARE));
      if ((u - BOUNCE_RATE) / (1 - BOUNCE_RATE) >= openChance) continue;
      const openedAt = t - exponential(rng, 0.5);
      if (openedAt < 0) continue; // not opened yet
      log.add(CHANNEL.email_open, openedAt);
      // HubSpot records the open with the click at the latest, so the click carries the open's time.
      if (rng() < Math.min(0.9, profile.clickRate * ramp)) log.add(CHANNEL.email_click, openedAt);
    }
  }
  // Web events are drawn for everyone (the same draws whatever comes of them) and dropped for a
  // visitor the site never identified: one whose cookie was not tied to the contact at sign-up
  // and who never clicked an email link or filled a form (either identifies a visitor).
  const webFrom = log.codes?.length ?? 0;
  {
    visit(rng, log, plan.lead.profile, created, 0);
    for (let start = created; start > 0; start -= VISIT_BUCKET_DAYS) {
      const end = Math.max(0, start - VISIT_BUCKET_DAYS);
      const { profile, shape, ramp } = phaseAt(plan, (start + end) / 2, phase);
      const visits = poisson(rng, (profile.visitsPerYear / 365) * (start - end) * level * shape * ramp);
      for (let v = 0; v < visits; v++) visit(rng, log, profile, uniform(rng, end, start), Math.min(0.9, profile.formRate * ramp));
    }
  }
  log.tracked = plan.cookieTied || log.counts[CHANNEL.email_click]! > 0 || log.counts[CHANNEL.form_fill]! > 0;
  if (!log.tracked) log.dropWeb(webFrom);
  const pre = plan.lead.profile;
  const replyChance = plan.customer ? Math.max(plan.customer.replyChance, pre.replyChance) : pre.replyChance;
  if (rng() < replyChance) {
    // Replies fall in the active stretch: a recent lead's window, anyone else's whole history.
    const window = plan.customer === null && pre.shape.kind === 'recent' ? Math.min(created, plan.lead.activeDays) : created;
    const replies = 1 + poisson(rng, 0.7);
    for (let r = 0; r < replies; r++) log.add(CHANNEL.sales_email_reply, uniform(rng, 0, window));
  }
  return log;
}

/** One session: the visit, its page views two minutes apart, maybe a form at the end. */
function visit(rng: Rng, log: EventLog, profile: EngagementProfile, t: number, formChance: number): void {
  log.add(CHANNEL.web_visit, t);
  const pages = 1 + Math.floor(exponential(rng, profile.extraPages + 0.5));
  log.addRun(CHANNEL.page_view, pages, t, PAGE_GAP_DAYS);
  if (formChance > 0 && rng() < formChance) log.add(CHANNEL.form_fill, Math.max(0, t - pages * PAGE_GAP_DAYS));
}

// ---------------------------------------------------------------------------------------------
// Email engagement and HubSpot activity: the totals of the events
// ---------------------------------------------------------------------------------------------

const JOB_TITLES = [
  'Marketing Manager', 'Head of Operations', 'Software Engineer', 'Office Manager', 'Purchasing Manager',
  'Founder', 'Sales Director', 'Designer', 'Accountant', 'Teacher', 'Nurse', 'Consultant',
] as const;
const LEAD_STATUSES = ['NEW', 'OPEN', 'IN_PROGRESS', 'ATTEMPTED_TO_CONTACT', 'CONNECTED', 'UNQUALIFIED', 'BAD_TIMING'] as const;

function engagementOf(log: EventLog, anchorMs: number): SyntheticEngagement {
  return {
    emailsOpened: log.count('email_open'),
    emailsClicked: log.count('email_click'),
    lastOpenedAt: log.latestAt('email_open', anchorMs),
  };
}

function activityOf(log: EventLog, tracked: boolean, leadStatus: string | null, jobTitle: string | null, anchorMs: number): SyntheticActivity {
  return {
    emailsDelivered: log.count('email_delivered'),
    emailsBounced: log.count('email_bounce'),
    lastClickedAt: log.latestAt('email_click', anchorMs),
    webVisits: tracked ? log.count('web_visit') : null,
    pageViews: tracked ? log.count('page_view') : null,
    lastVisitAt: log.latestAt('web_visit', anchorMs),
    formSubmissions: log.count('form_fill'),
    lastSalesReplyAt: log.latestAt('sales_email_reply', anchorMs),
    leadStatus,
    jobTitle,
  };
}

// ---------------------------------------------------------------------------------------------
// The company
// ---------------------------------------------------------------------------------------------

/** Median employees by type: big spenders buy for larger companies, bargain buyers for small ones. */
const MEDIAN_EMPLOYEES: Readonly<Record<Exclude<CustomerType, 'prospect'>, number>> = Object.freeze({
  frequent_small_buyer: 40,
  rare_big_spender: 800,
  lapsed_regular: 60,
  recent_first_timer: 50,
  one_off_bargain_buyer: 8,
});
const COMPANY_SUFFIXES = ['GmbH', 'Ltd', 'Inc', 'SARL', 'BV', 'AB', 'SL', 'Pty Ltd', 'LLC', 'Group'] as const;
/** Share of buyers with no company on record (leads: per lead type). */
const NO_COMPANY_SHARE = 0.15;

/** The person's employer: buyers' size by customer type, leads' size and industry by lead type. */
function companyOf(rng: Rng, type: CustomerType, lead: LeadState, lastName: string): SyntheticCompany | null {
  const profile = type === 'prospect' ? lead.profile : null;
  if (rng() < (profile?.noCompanyShare ?? NO_COMPANY_SHARE)) return null;
  const median = type === 'prospect' ? lead.profile.medianEmployees : MEDIAN_EMPLOYEES[type];
  const employees = Math.max(1, Math.round(median * Math.exp((profile?.employeeSigma ?? 0.8) * standardNormal(rng))));
  const revenuePerEmployee = (profile?.revenuePerEmployee ?? 120_000) * Math.exp(0.4 * standardNormal(rng));
  return {
    name: `${lastName} ${pick(rng, COMPANY_SUFFIXES)}`,
    industry: pick(rng, profile?.industries ?? COMPANY_INDUSTRIES),
    employees,
    annualRevenue: Math.round((employees * revenuePerEmployee) / 1000) * 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// Line items: what each order held
// ---------------------------------------------------------------------------------------------

interface Product {
  productType: string;
  vendors: readonly string[];
  collections: readonly string[];
  /** Typical unit price in major units. */
  unitPrice: readonly [number, number];
}

/** A small coffee shop's catalogue. */
const PRODUCTS = Object.freeze({
  coffee: { productType: 'Coffee', vendors: ['Northside Roasters', 'Altura Coffee Co'], collections: ['Coffee', 'Bestsellers'], unitPrice: [9, 24] },
  tea: { productType: 'Tea', vendors: ['Leaf & Kettle'], collections: ['Tea'], unitPrice: [6, 18] },
  snacks: { productType: 'Snacks', vendors: ['Bakehouse Nine'], collections: ['Snacks', 'Gifts'], unitPrice: [3, 10] },
  drinkware: { productType: 'Drinkware', vendors: ['Mug Club', 'Northside Roasters'], collections: ['Accessories', 'Gifts'], unitPrice: [12, 35] },
  brewing: { productType: 'Brewing Gear', vendors: ['Brewline'], collections: ['Equipment', 'Brewing'], unitPrice: [20, 90] },
  grinders: { productType: 'Grinders', vendors: ['Velora', 'Brewline'], collections: ['Equipment'], unitPrice: [60, 400] },
  machines: { productType: 'Espresso Machines', vendors: ['Velora'], collections: ['Equipment', 'Bestsellers'], unitPrice: [300, 1500] },
  subscriptions: { productType: 'Subscriptions', vendors: ['Northside Roasters'], collections: ['Subscriptions', 'Coffee'], unitPrice: [25, 60] },
  giftCards: { productType: 'Gift Cards', vendors: ['Northside Roasters'], collections: ['Gifts'], unitPrice: [25, 100] },
} satisfies Record<string, Product>);
type ProductKey = keyof typeof PRODUCTS;

/** The catalogue's collections of a product type (the emulators' products carry them); undefined for a type it does not sell. */
export function catalogueCollections(productType: string): readonly string[] | undefined {
  return Object.values(PRODUCTS).find((p: Product) => p.productType === productType)?.collections;
}
const CHEAPEST: readonly (readonly [ProductKey, number])[] = [['snacks', 1]];

/** What each customer type buys (weights); prospects' lost and open deals are a mix. */
const INTERESTS: Readonly<Record<CustomerType, readonly (readonly [ProductKey, number])[]>> = Object.freeze({
  frequent_small_buyer: [['coffee', 0.5], ['tea', 0.25], ['snacks', 0.15], ['drinkware', 0.1]],
  rare_big_spender: [['machines', 0.45], ['grinders', 0.3], ['brewing', 0.15], ['coffee', 0.1]],
  lapsed_regular: [['coffee', 0.4], ['subscriptions', 0.35], ['tea', 0.15], ['brewing', 0.1]],
  recent_first_timer: [['brewing', 0.3], ['coffee', 0.3], ['drinkware', 0.2], ['giftCards', 0.2]],
  one_off_bargain_buyer: [['snacks', 0.45], ['tea', 0.3], ['drinkware', 0.25]],
  prospect: [['coffee', 0.2], ['brewing', 0.2], ['grinders', 0.2], ['machines', 0.15], ['subscriptions', 0.15], ['giftCards', 0.1]],
});

/** Each type's interests with their total weight and the highest cheapest-unit price among them. */
const INTEREST_TABLES = Object.fromEntries(
  CUSTOMER_TYPES.map((t) => [t, { ...weightTable(INTERESTS[t]), dearest: Math.max(...INTERESTS[t].map(([k]) => PRODUCTS[k].unitPrice[0])) }]),
) as Readonly<Record<CustomerType, WeightTable<ProductKey> & { dearest: number }>>;

/**
 * One to three lines whose amounts add up to the order's amount to the cent. A product whose
 * cheapest unit costs more than the order is left out (a $12 order holds no espresso machine);
 * the person's favourite product type comes up on half the lines.
 */
function itemsFor(rng: Rng, type: CustomerType, favourite: ProductKey, amount: number | null): SyntheticLineItem[] {
  if (amount === null) return [];
  const cents = Math.round(amount * 100);
  const lines = Math.min(cents, 1 + (rng() < 0.35 ? 1 : 0) + (rng() < 0.15 ? 1 : 0));
  const interests = INTEREST_TABLES[type];
  let choices = interests.items;
  let total = interests.total;
  if (amount < interests.dearest) {
    choices = choices.filter(([k]) => PRODUCTS[k].unitPrice[0] <= amount);
    total = choices.reduce((sum, [, w]) => sum + w, 0);
    if (total === 0) [choices, total] = [CHEAPEST, 1];
  }
  // Shares of the order: up to three draws, the last line takes what is left.
  const s0 = exponential(rng, 1) + 0.2;
  const s1 = lines > 1 ? exponential(rng, 1) + 0.2 : 0;
  const s2 = lines > 2 ? exponential(rng, 1) + 0.2 : 0;
  const shareTotal = s0 + s1 + s2;
  const items: SyntheticLineItem[] = [];
  let left = cents - lines; // every line gets at least a cent
  for (let i = 0; i < lines; i++) {
    const share = i === 0 ? s0 : i === 1 ? s1 : s2;
    const extra = i === lines - 1 ? left : Math.floor(((cents - lines) * share) / shareTotal);
    left -= extra;
    const lineCents = 1 + extra;
    const key = rng() < 0.5 && PRODUCTS[favourite].unitPrice[0] <= amount ? favourite : pickWeighted(rng, choices, total);
    const product: Product = PRODUCTS[key];
    const unit = uniform(rng, product.unitPrice[0], product.unitPrice[1]);
    items.push({
      productType: product.productType,
      vendor: pick(rng, product.vendors),
      collections: [...product.collections],
      quantity: Math.max(1, Math.min(12, Math.round(lineCents / 100 / unit))),
      amount: lineCents / 100,
    });
  }
  return items;
}

/** Its own stream for the lines of purchases made after the anchor (population-future.ts). */
const FUTURE_ITEMS_STREAM = 0x0f07e17;

/**
 * The lines of a purchase made after the anchor: the same catalogue and favourite product as the
 * person's past orders (the favourite is the first draw of the person's items stream), the lines
 * drawn from a stream of their own keyed by `salt`, so the past orders do not move.
 */
export function futureItemsFor(seed: number, index: number, type: CustomerType, amount: number | null, salt: number): SyntheticLineItem[] {
  const favourite = pickWeighted(personRng(seed ^ ITEMS_STREAM, index), INTEREST_TABLES[type].items, INTEREST_TABLES[type].total);
  return itemsFor(personRng((seed ^ FUTURE_ITEMS_STREAM ^ salt) | 0, index), type, favourite, amount);
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
  const itemsRng = personRng(seed ^ ITEMS_STREAM, index);
  const favourite = pickWeighted(itemsRng, INTEREST_TABLES[trueType].items, INTEREST_TABLES[trueType].total);
  for (const purchase of purchases) purchase.items = itemsFor(itemsRng, trueType, favourite, purchase.amount);

  const createdDaysAgo = createdSecondsAgo / DAY_SECONDS;
  const firstWon = drafts.find((d) => d.status === 'won');
  const subscribed = emailConsent === 'subscribed';
  const lead = leadStateOf(personRng(seed ^ LEAD_STREAM, index), trueType, subscribed, createdDaysAgo, firstWon ? firstWon.secondsAgo / DAY_SECONDS : null);
  const activityRng = personRng(seed ^ ACTIVITY_STREAM, index);
  const cookieTied = activityRng() >= COOKIE_UNTIED_SHARE;
  const leadStatus = trueType === 'prospect' ? pick(activityRng, LEAD_STATUSES) : null;
  const jobTitle = activityRng() < 0.7 ? pick(activityRng, JOB_TITLES) : null;
  const customer = trueType === 'prospect' ? null : customerProfile(trueType);
  const plan: EventPlan = { type: trueType, lead, customer, createdDaysAgo, subscribed, cookieTied };
  const log = eventsOf(personRng(seed ^ EVENTS_STREAM, index), plan, new EventLog(null));
  const company = companyOf(personRng(seed ^ COMPANY_STREAM, index), trueType, lead, lastName);
  const future = lead.firstPurchaseDaysAgo !== null && lead.firstPurchaseDaysAgo < 0 ? lead.firstPurchaseDaysAgo : null;

  const person: SyntheticPerson = {
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
    engagement: engagementOf(log, anchorMs),
    activity: activityOf(log, log.tracked, leadStatus, jobTitle, anchorMs),
    company,
    leadType: lead.leadType,
    futureFirstPurchaseAt: future === null ? null : new Date(anchorMs + Math.round(-future * DAY_MS)).toISOString(),
    // Built on first read and then kept: generating a million people only counts their events
    // (the totals); whoever reads the events pays for drawing them again as objects.
    get events(): SyntheticEvent[] {
      const drawn = materialize(eventsOf(personRng(seed ^ EVENTS_STREAM, index), plan, new EventLog([])).codes ?? [], anchorMs);
      const checkouts = abandonedCheckouts(personRng(seed ^ CHECKOUT_STREAM, index), purchases, lead.leadType !== null, anchorMs - createdSecondsAgo * 1000, anchorMs);
      const events = checkouts.length === 0 ? drawn : [...drawn, ...checkouts].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      settleEvents(this, events);
      return events;
    },
    set events(events: SyntheticEvent[] | undefined) {
      settleEvents(this, events);
    },
  };
  return person;
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
