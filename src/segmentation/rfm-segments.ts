/**
 * Named RFM segments from the R and F scores.
 *
 * A rule's pattern is matched against the two-digit "RF" string (R score then F score). It has
 * exactly two positions; each is a digit 1-5 or a bracket class of digits and ranges, e.g.
 * '51', '5[4-5]', '[3-4][4-5]', '[135]2'. Rules are tried in order; the first match wins.
 * A rule set must cover all 25 RF combinations; compileRfmSegments enforces it.
 */
import { z } from 'zod';

import { RFM_STATUS_LOST, RFM_STATUS_SCORED, type RfmResult } from './rfm.js';

export interface RfmSegmentRule {
  key: string;
  name: string;
  /** Over the two-digit "RF" string, e.g. '5[4-5]', '[3-4][4-5]', '51'. */
  pattern: string;
}

export const DEFAULT_RFM_SEGMENTS: readonly RfmSegmentRule[] = Object.freeze([
  Object.freeze({ key: 'champions', name: 'Champions', pattern: '5[4-5]' }),
  Object.freeze({ key: 'loyal_customers', name: 'Loyal Customers', pattern: '[3-4][4-5]' }),
  Object.freeze({ key: 'potential_loyalists', name: 'Potential Loyalists', pattern: '[4-5][2-3]' }),
  Object.freeze({ key: 'new_customers', name: 'New Customers', pattern: '51' }),
  Object.freeze({ key: 'promising', name: 'Promising', pattern: '41' }),
  Object.freeze({ key: 'need_attention', name: 'Need Attention', pattern: '33' }),
  Object.freeze({ key: 'about_to_sleep', name: 'About to Sleep', pattern: '3[1-2]' }),
  Object.freeze({ key: 'at_risk', name: 'At Risk', pattern: '[1-2][3-4]' }),
  Object.freeze({ key: 'cant_lose_them', name: "Can't Lose Them", pattern: '[1-2]5' }),
  Object.freeze({ key: 'hibernating', name: 'Hibernating', pattern: '[1-2][1-2]' }),
]);

export const LOST_SEGMENT: { key: 'lost'; name: 'Lost' } = Object.freeze({ key: 'lost', name: 'Lost' });
export const PROSPECTS_SEGMENT: { key: 'prospects'; name: 'Prospects' } = Object.freeze({
  key: 'prospects',
  name: 'Prospects',
});

/** One position: a digit 1-5, or a class of digits 1-5 and ranges a-b. */
const POSITION_SOURCE = String.raw`(?:[1-5]|\[(?:[1-5](?:-[1-5])?)+\])`;
const PATTERN_RE = new RegExp(`^${POSITION_SOURCE}${POSITION_SOURCE}$`);
const POSITION_RE = new RegExp(POSITION_SOURCE, 'g');
const RANGE_RE = /([1-5])-([1-5])/g;

function rangesAscending(pattern: string): boolean {
  for (const match of pattern.matchAll(RANGE_RE)) {
    if (Number(match[1]) > Number(match[2])) return false;
  }
  return true;
}

export const RfmSegmentRuleSchema = z.object({
  key: z
    .string()
    .regex(/^[a-z0-9_]+$/, { message: 'key must be a slug of lower-case letters, digits and underscores, e.g. "at_risk"' }),
  name: z.string().trim().min(1, { message: 'name must not be empty' }),
  pattern: z
    .string()
    .regex(PATTERN_RE, {
      message:
        'pattern must have exactly two positions (R then F), each a digit 1-5 or a class like [1-5] or [3-4], e.g. "5[4-5]"',
    })
    .refine(rangesAscending, { message: 'pattern ranges must go from low to high, e.g. [3-4] not [4-3]' }),
});

/** Bitmask of the scores 1..5 (bit s) that a single pattern position matches. */
function positionMask(position: string): number {
  if (!position.startsWith('[')) return 1 << Number(position);
  let mask = 0;
  const body = position.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const lo = Number(body[i]);
    if (body[i + 1] === '-') {
      const hi = Number(body[i + 2]);
      for (let s = lo; s <= hi; s++) mask |= 1 << s;
      i += 2;
    } else {
      mask |= 1 << lo;
    }
  }
  return mask;
}

function describeRule(rule: unknown, index: number): string {
  const key = typeof rule === 'object' && rule !== null && 'key' in rule ? String((rule as { key: unknown }).key) : '?';
  return `rule ${index + 1} (key "${key}")`;
}

const RESERVED_KEYS: ReadonlySet<string> = new Set([LOST_SEGMENT.key, PROSPECTS_SEGMENT.key]);

function checkScore(label: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 5) {
    throw new RangeError(`${label} score must be an integer 1..5, got ${value}`);
  }
}

/**
 * Validates the rules and compiles them into a 5×5 lookup. Throws an Error if a rule is
 * malformed, a key is reserved ('lost', 'prospects') or used with two different names, or
 * some RF combination is matched by no rule.
 */
export function compileRfmSegments(rules: readonly RfmSegmentRule[]): (r: number, f: number) => RfmSegmentRule {
  const namesByKey = new Map<string, string>();
  const table: (RfmSegmentRule | undefined)[] = new Array<RfmSegmentRule | undefined>(25).fill(undefined);

  rules.forEach((rule, index) => {
    const parsed = RfmSegmentRuleSchema.safeParse(rule);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'rule'}: ${issue.message}`);
      throw new Error(`Invalid RFM segment ${describeRule(rule, index)}: ${problems.join('; ')}`);
    }
    if (RESERVED_KEYS.has(rule.key)) {
      throw new Error(
        `Invalid RFM segment ${describeRule(rule, index)}: key "${rule.key}" is reserved for profiles without RF scores; choose another key`,
      );
    }
    const knownName = namesByKey.get(rule.key);
    if (knownName !== undefined && knownName !== rule.name) {
      throw new Error(
        `Invalid RFM segment ${describeRule(rule, index)}: key "${rule.key}" is already used with name "${knownName}", not "${rule.name}"; use one name per key`,
      );
    }
    namesByKey.set(rule.key, rule.name);

    const positions = rule.pattern.match(POSITION_RE) ?? [];
    const rMask = positionMask(positions[0] ?? '');
    const fMask = positionMask(positions[1] ?? '');
    for (let r = 1; r <= 5; r++) {
      if ((rMask & (1 << r)) === 0) continue;
      for (let f = 1; f <= 5; f++) {
        if ((fMask & (1 << f)) === 0) continue;
        const slot = (r - 1) * 5 + (f - 1);
        if (table[slot] === undefined) table[slot] = rule; // first match wins
      }
    }
  });

  const uncovered: string[] = [];
  for (let slot = 0; slot < 25; slot++) {
    if (table[slot] === undefined) uncovered.push(`${Math.floor(slot / 5) + 1}${(slot % 5) + 1}`);
  }
  if (uncovered.length > 0) {
    throw new Error(
      `RFM segment map does not cover ${uncovered.length} of the 25 RF combinations: ${uncovered.join(', ')}. ` +
        `Add rules whose patterns match them, or end the list with a catch-all rule such as ` +
        `{ key: "other", name: "Other", pattern: "[1-5][1-5]" }.`,
    );
  }

  const lookup = table as RfmSegmentRule[];
  return (r: number, f: number): RfmSegmentRule => {
    checkScore('R', r);
    checkScore('F', f);
    return lookup[(r - 1) * 5 + (f - 1)] as RfmSegmentRule;
  };
}

/** Segment key per profile: scored → by the RF map, lost → 'lost', prospect → 'prospects'. */
export function assignRfmSegments(result: RfmResult, rules: readonly RfmSegmentRule[] = DEFAULT_RFM_SEGMENTS): string[] {
  const segmentOf = compileRfmSegments(rules);
  const { status, r, f } = result;
  const keys = new Array<string>(status.length);
  for (let p = 0; p < status.length; p++) {
    const s = status[p];
    if (s === RFM_STATUS_SCORED) keys[p] = segmentOf(r[p] as number, f[p] as number).key;
    else if (s === RFM_STATUS_LOST) keys[p] = LOST_SEGMENT.key;
    else keys[p] = PROSPECTS_SEGMENT.key;
  }
  return keys;
}

/** The three scores as a string, e.g. rfmScoreString(5, 4, 5) === '545'. */
export function rfmScoreString(r: number, f: number, m: number): string {
  checkScore('R', r);
  checkScore('F', f);
  checkScore('M', m);
  return `${r}${f}${m}`;
}
