import { z } from 'zod';

/**
 * Rule segments: admin-defined segments over features and mapped attributes, from the workspace
 * config. A discriminated union, so a new operator is a compile error wherever it is unhandled.
 */

export const NUMERIC_FEATURES = [
  'recencyDays', 'frequency', 'monetary', 'lifetimeFrequency', 'lifetimeMonetary', 'averageOrderValue', 'tenureDays', 'r', 'f', 'm',
] as const;
export const DATE_FEATURES = ['lastPurchaseAt', 'firstPurchaseAt', 'createdAt'] as const;
export const TEXT_FEATURES = ['country', 'city', 'emailConsent', 'rfmSegment'] as const;
export type NumericFeature = (typeof NUMERIC_FEATURES)[number];
export type DateFeature = (typeof DATE_FEATURES)[number];
export type TextFeature = (typeof TEXT_FEATURES)[number];

const ATTRIBUTE = /^attributes\.[a-z][a-zA-Z0-9_]*$/;
const allFields = [...NUMERIC_FEATURES, ...DATE_FEATURES, ...TEXT_FEATURES, 'attributes.<name>'].join(', ');

const AnyField = z.string().refine(
  (f) => (NUMERIC_FEATURES as readonly string[]).includes(f) || (DATE_FEATURES as readonly string[]).includes(f)
    || (TEXT_FEATURES as readonly string[]).includes(f) || ATTRIBUTE.test(f),
  { error: (issue) => `unknown field "${String(issue.input)}"; use one of ${allFields}` },
);
const NumericField = z.enum(NUMERIC_FEATURES, { error: (issue) => `"${String(issue.input)}" is not a number feature; use one of ${NUMERIC_FEATURES.join(', ')}` });
const DateField = z.enum(DATE_FEATURES, { error: (issue) => `"${String(issue.input)}" is not a date feature; use one of ${DATE_FEATURES.join(', ')}` });
const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export type Rule =
  | { op: 'all'; rules: Rule[] }
  | { op: 'any'; rules: Rule[] }
  | { op: 'not'; rule: Rule }
  | { op: 'eq' | 'neq'; field: string; value: string | number | boolean }
  | { op: 'gt' | 'gte' | 'lt' | 'lte'; field: NumericFeature; value: number }
  | { op: 'between'; field: NumericFeature; min: number; max: number }
  | { op: 'in'; field: string; values: Array<string | number> }
  | { op: 'exists'; field: string }
  | { op: 'withinDays'; field: DateFeature; days: number }
  | { op: 'spentWithinDays'; days: number; atLeast: number };

export const RuleSchema: z.ZodType<Rule> = z.lazy(() =>
  z.discriminatedUnion('op', [
    z.strictObject({ op: z.literal('all'), rules: z.array(RuleSchema).min(1) }),
    z.strictObject({ op: z.literal('any'), rules: z.array(RuleSchema).min(1) }),
    z.strictObject({ op: z.literal('not'), rule: RuleSchema }),
    z.strictObject({ op: z.enum(['eq', 'neq']), field: AnyField, value: Scalar }),
    z.strictObject({ op: z.enum(['gt', 'gte', 'lt', 'lte']), field: NumericField, value: z.number() }),
    z.strictObject({ op: z.literal('between'), field: NumericField, min: z.number(), max: z.number() })
      .refine((r) => r.min <= r.max, { error: 'min must not be above max', path: ['max'] }),
    z.strictObject({ op: z.literal('in'), field: AnyField, values: z.array(z.union([z.string(), z.number()])).min(1) }),
    z.strictObject({ op: z.literal('exists'), field: AnyField }),
    z.strictObject({ op: z.literal('withinDays'), field: DateField, days: z.number().int().positive() }),
    z.strictObject({ op: z.literal('spentWithinDays'), days: z.number().int().positive(), atLeast: z.number().nonnegative() }),
  ], { error: (issue) => (issue.code === 'invalid_union' ? 'unknown op; use one of all, any, not, eq, neq, gt, gte, lt, lte, between, in, exists, withinDays, spentWithinDays' : undefined) }),
);

export const RuleSegmentSchema = z.strictObject({
  key: z.string().regex(/^[a-z][a-z0-9_]*$/, 'keys are lower_snake_case, like recent_high_spenders'),
  name: z.string().trim().min(1).max(80),
  description: z.string().optional(),
  rule: RuleSchema,
});
export type RuleSegment = z.infer<typeof RuleSegmentSchema>;

/** What a rule can look at for one profile. */
export interface ProfileFacts {
  numbers: Partial<Record<NumericFeature, number>>;
  dates: Partial<Record<DateFeature, number>>;
  text: Partial<Record<TextFeature, string>>;
  attributes: Record<string, string | number | boolean | null>;
  /** Won purchases (ms, amount) for window-relative rules. */
  purchases: ReadonlyArray<{ at: number; amount: number }>;
}

const MS_PER_DAY = 86_400_000;

function valueOf(facts: ProfileFacts, field: string): string | number | boolean | null | undefined {
  if (field.startsWith('attributes.')) return facts.attributes[field.slice('attributes.'.length)];
  if (field in facts.numbers) return facts.numbers[field as NumericFeature];
  if (field in facts.dates) return facts.dates[field as DateFeature];
  return facts.text[field as TextFeature];
}

const same = (a: unknown, b: unknown) =>
  typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b || String(a) === String(b);

/** True when the rule holds for the profile; a missing value never satisfies a comparison. */
export function evaluateRule(rule: Rule, facts: ProfileFacts, referenceMs: number): boolean {
  switch (rule.op) {
    case 'all': return rule.rules.every((r) => evaluateRule(r, facts, referenceMs));
    case 'any': return rule.rules.some((r) => evaluateRule(r, facts, referenceMs));
    case 'not': return !evaluateRule(rule.rule, facts, referenceMs);
    case 'eq': { const v = valueOf(facts, rule.field); return v !== undefined && v !== null && same(v, rule.value); }
    case 'neq': { const v = valueOf(facts, rule.field); return v !== undefined && v !== null && !same(v, rule.value); }
    case 'gt': case 'gte': case 'lt': case 'lte': {
      const v = facts.numbers[rule.field];
      if (v === undefined || Number.isNaN(v)) return false;
      return rule.op === 'gt' ? v > rule.value : rule.op === 'gte' ? v >= rule.value : rule.op === 'lt' ? v < rule.value : v <= rule.value;
    }
    case 'between': { const v = facts.numbers[rule.field]; return v !== undefined && v >= rule.min && v <= rule.max; }
    case 'in': { const v = valueOf(facts, rule.field); return v !== undefined && v !== null && rule.values.some((x) => same(v, x)); }
    case 'exists': { const v = valueOf(facts, rule.field); return v !== undefined && v !== null && v !== ''; }
    case 'withinDays': {
      const at = facts.dates[rule.field];
      return at !== undefined && at <= referenceMs && at >= referenceMs - rule.days * MS_PER_DAY;
    }
    case 'spentWithinDays': {
      const from = referenceMs - rule.days * MS_PER_DAY;
      let spent = 0;
      for (const p of facts.purchases) if (p.at >= from && p.at <= referenceMs) spent += p.amount;
      return spent >= rule.atLeast;
    }
  }
}

/** A human reason for `explain`: which rule matched. */
export function describeRule(rule: Rule): string {
  switch (rule.op) {
    case 'all': return rule.rules.map(describeRule).join(' and ');
    case 'any': return `(${rule.rules.map(describeRule).join(' or ')})`;
    case 'not': return `not ${describeRule(rule.rule)}`;
    case 'eq': return `${rule.field} is ${rule.value}`;
    case 'neq': return `${rule.field} is not ${rule.value}`;
    case 'gt': return `${rule.field} > ${rule.value}`;
    case 'gte': return `${rule.field} ≥ ${rule.value}`;
    case 'lt': return `${rule.field} < ${rule.value}`;
    case 'lte': return `${rule.field} ≤ ${rule.value}`;
    case 'between': return `${rule.field} between ${rule.min} and ${rule.max}`;
    case 'in': return `${rule.field} in ${rule.values.join(', ')}`;
    case 'exists': return `${rule.field} is set`;
    case 'withinDays': return `${rule.field} within the last ${rule.days} days`;
    case 'spentWithinDays': return `spent at least ${rule.atLeast} in the last ${rule.days} days`;
  }
}
