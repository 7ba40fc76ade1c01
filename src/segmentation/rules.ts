import { z } from 'zod';
import {
  CATEGORY_FEATURES,
  DATE_FEATURES,
  LIFECYCLE_STAGES,
  NUMBER_FEATURES,
  type CategoryFeature,
  type DateFeature,
  type FeatureSet,
  type NumberFeature,
  attributeNumber,
  interestNumber,
} from './features.js';
import { INTEREST_KEY } from './interests.js';

/**
 * Rule segments: admin-defined segments over features and mapped attributes, from the workspace
 * config. A discriminated union, so a new operator is a compile error wherever it is unhandled.
 */

const ATTRIBUTE = /^attributes\.[a-z][a-zA-Z0-9_]*$/;
/** Another named clustering's persona (issue 13): persona.leads; plain `persona` is the customers clustering's. */
export const CLUSTERING_PERSONA = /^persona\.([a-z][a-z0-9_]*)$/;
const isOneOf = (list: readonly string[], f: string) => list.includes(f);
const allFields = [...NUMBER_FEATURES, ...DATE_FEATURES, ...CATEGORY_FEATURES, 'attributes.<name>', 'interests.<productType>', 'persona.<clustering>'].join(', ');

const AnyField = z.string().refine(
  (f) => isOneOf(NUMBER_FEATURES, f) || isOneOf(DATE_FEATURES, f) || isOneOf(CATEGORY_FEATURES, f) || ATTRIBUTE.test(f) || INTEREST_KEY.test(f) || CLUSTERING_PERSONA.test(f),
  { error: (issue) => `unknown field "${String(issue.input)}"; use one of ${allFields}` },
);
/** A number feature, or a mapped attribute compared as a number (a non-numeric value never matches). */
const NumericField = z.string().refine((f) => isOneOf(NUMBER_FEATURES, f) || ATTRIBUTE.test(f) || INTEREST_KEY.test(f), {
  error: (issue) => `"${String(issue.input)}" is not a number feature; use one of ${NUMBER_FEATURES.join(', ')}, attributes.<name> or interests.<productType>`,
});
type NumericField = NumberFeature | `attributes.${string}` | `interests.${string}`;
const DateField = z.enum(DATE_FEATURES, { error: (issue) => `"${String(issue.input)}" is not a date feature; use one of ${DATE_FEATURES.join(', ')}` });
const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export type Rule =
  | { op: 'all'; rules: Rule[] }
  | { op: 'any'; rules: Rule[] }
  | { op: 'not'; rule: Rule }
  | { op: 'eq' | 'neq'; field: string; value: string | number | boolean }
  | { op: 'gt' | 'gte' | 'lt' | 'lte'; field: NumericField; value: number }
  | { op: 'between'; field: NumericField; min: number; max: number }
  | { op: 'top' | 'bottom'; field: NumericField; percent: number }
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
    z.strictObject({ op: z.enum(['gt', 'gte', 'lt', 'lte']), field: NumericField as z.ZodType<NumericField>, value: z.number() }),
    z.strictObject({ op: z.literal('between'), field: NumericField as z.ZodType<NumericField>, min: z.number(), max: z.number() })
      .refine((r) => r.min <= r.max, { error: 'min must not be above max', path: ['max'] }),
    z.strictObject({ op: z.enum(['top', 'bottom']), field: NumericField as z.ZodType<NumericField>, percent: z.number().gt(0, 'percent must be above 0, like 20 for the top 20%').max(100) }),
    z.strictObject({ op: z.literal('in'), field: AnyField, values: z.array(z.union([z.string(), z.number()])).min(1) }),
    z.strictObject({ op: z.literal('exists'), field: AnyField }),
    z.strictObject({ op: z.literal('withinDays'), field: DateField, days: z.number().int().positive() }),
    z.strictObject({ op: z.literal('spentWithinDays'), days: z.number().int().positive(), atLeast: z.number().nonnegative() }),
  ], { error: (issue) => (issue.code === 'invalid_union' ? 'unknown op; use one of all, any, not, eq, neq, gt, gte, lt, lte, between, top, bottom, in, exists, withinDays, spentWithinDays' : undefined) }),
);

export const RuleSegmentSchema = z.strictObject({
  key: z.string().regex(/^[a-z][a-z0-9_]*$/, 'keys are lower_snake_case, like recent_high_spenders'),
  name: z.string().trim().min(1).max(80),
  description: z.string().optional(),
  rule: RuleSchema,
});
export type RuleSegment = z.infer<typeof RuleSegmentSchema>;

const MS_PER_DAY = 86_400_000;
const wholeDaysBefore = (referenceMs: number, at: number) => Math.floor((referenceMs - at) / MS_PER_DAY);

type Value = string | number | boolean | null | undefined;

function valueOf(features: FeatureSet, i: number, field: string): Value {
  if (field.startsWith('attributes.')) return features.attributes.get(field.slice('attributes.'.length))?.[i];
  if (INTEREST_KEY.test(field)) {
    const v = interestNumber(features, field, i);
    return Number.isNaN(v) ? undefined : v;
  }
  const clustering = CLUSTERING_PERSONA.exec(field);
  if (clustering) return features.clusterPersonas?.get(clustering[1]!)?.[i] ?? null;
  if (isOneOf(NUMBER_FEATURES, field)) {
    const v = features.numbers[field as NumberFeature][i]!;
    return Number.isNaN(v) ? undefined : v;
  }
  if (isOneOf(DATE_FEATURES, field)) {
    const v = features.dates[field as DateFeature][i]!;
    return Number.isNaN(v) ? undefined : v;
  }
  return features.categories[field as CategoryFeature][i];
}

function numberOf(features: FeatureSet, i: number, field: string): number | undefined {
  const n = attributeNumber(valueOf(features, i, field));
  return Number.isNaN(n) ? undefined : n;
}

/**
 * The value a profile must reach to be in the top (or bottom) `percent` of those that have one:
 * the ⌈percent·n/100⌉-th value from that end, ties included. Computed once per feature set.
 */
const cutoffs = new WeakMap<FeatureSet, Map<string, number>>();
function percentCutoff(features: FeatureSet, rule: { op: 'top' | 'bottom'; field: NumericField; percent: number }): number {
  let cache = cutoffs.get(features);
  if (!cache) cutoffs.set(features, (cache = new Map()));
  const key = `${rule.op}\u0000${rule.field}\u0000${rule.percent}`;
  let cutoff = cache.get(key);
  if (cutoff === undefined) {
    const values: number[] = [];
    for (let i = 0; i < features.rows; i++) {
      const v = numberOf(features, i, rule.field);
      if (v !== undefined) values.push(v);
    }
    const sorted = Float64Array.from(values).sort();
    if (rule.op === 'top') sorted.reverse();
    // percent·n first: (7/100)·100 is 7.000000000000001, which would round up to 8.
    const rank = Math.ceil((rule.percent * sorted.length) / 100);
    cutoff = rank === 0 ? Number.NaN : sorted[rank - 1]!;
    cache.set(key, cutoff);
  }
  return cutoff;
}

const same = (a: unknown, b: unknown) =>
  typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b || String(a) === String(b);

/** True when the rule holds for profile i; a missing value never satisfies a comparison. */
export function evaluateRule(rule: Rule, features: FeatureSet, i: number): boolean {
  const referenceMs = features.referenceMs;
  switch (rule.op) {
    case 'all': return rule.rules.every((r) => evaluateRule(r, features, i));
    case 'any': return rule.rules.some((r) => evaluateRule(r, features, i));
    case 'not': return !evaluateRule(rule.rule, features, i);
    case 'eq': { const v = valueOf(features, i, rule.field); return v !== undefined && v !== null && same(v, rule.value); }
    case 'neq': { const v = valueOf(features, i, rule.field); return v !== undefined && v !== null && !same(v, rule.value); }
    case 'gt': case 'gte': case 'lt': case 'lte': {
      const v = numberOf(features, i, rule.field);
      if (v === undefined) return false;
      return rule.op === 'gt' ? v > rule.value : rule.op === 'gte' ? v >= rule.value : rule.op === 'lt' ? v < rule.value : v <= rule.value;
    }
    case 'between': { const v = numberOf(features, i, rule.field); return v !== undefined && v >= rule.min && v <= rule.max; }
    case 'top': case 'bottom': {
      const v = numberOf(features, i, rule.field);
      const cutoff = percentCutoff(features, rule);
      return v !== undefined && (rule.op === 'top' ? v >= cutoff : v <= cutoff);
    }
    case 'in': { const v = valueOf(features, i, rule.field); return v !== undefined && v !== null && rule.values.some((x) => same(v, x)); }
    case 'exists': { const v = valueOf(features, i, rule.field); return v !== undefined && v !== null && v !== ''; }
    // Whole days, as the day features count them: "within 30 days" holds when daysSince… ≤ 30.
    case 'withinDays': {
      const at = features.dates[rule.field][i]!;
      return !Number.isNaN(at) && at <= referenceMs && wholeDaysBefore(referenceMs, at) <= rule.days;
    }
    case 'spentWithinDays': {
      const { offsets, atMs, amount } = features.purchases;
      let spent = 0;
      for (let j = offsets[i]!; j < offsets[i + 1]!; j++) {
        const at = atMs[j]!;
        if (at <= referenceMs && wholeDaysBefore(referenceMs, at) <= rule.days) spent += amount[j]!;
      }
      return spent >= rule.atLeast;
    }
  }
}

/** The values a category feature can take, where they are known before the data is. */
function allowedValues(field: string, rfmKeys: readonly string[]): readonly string[] | undefined {
  switch (field) {
    case 'lifecycleStage': return LIFECYCLE_STAGES;
    case 'emailConsent': return ['subscribed', 'unsubscribed', 'unknown'];
    case 'rfmSegment': return rfmKeys;
    default: return undefined;
  }
}

/**
 * A value no profile can ever have ("dormnt") makes a rule silently match nobody: refuse it on
 * load, naming the field and what is allowed. Persona values are checked for their key shape only
 * (the personas themselves come from the data).
 */
export function checkRuleValues(rule: Rule, rfmKeys: readonly string[]): string | undefined {
  switch (rule.op) {
    case 'all': case 'any': {
      for (const r of rule.rules) {
        const problem = checkRuleValues(r, rfmKeys);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'not': return checkRuleValues(rule.rule, rfmKeys);
    case 'eq': case 'neq': case 'in': {
      const values = rule.op === 'in' ? rule.values : [rule.value];
      if (rule.field === 'persona') {
        const bad = values.find((v) => !String(v).startsWith('persona_'));
        return bad === undefined ? undefined : `persona "${String(bad)}" is not a persona key; persona keys look like persona_lapsed_regulars (see \`segsync segment\` or the report)`;
      }
      const clustering = CLUSTERING_PERSONA.exec(rule.field);
      if (clustering) {
        const prefix = `persona_${clustering[1]!}_`;
        const bad = values.find((v) => !String(v).startsWith(prefix));
        return bad === undefined ? undefined : `${rule.field} "${String(bad)}" is not a ${clustering[1]!} persona key; its keys look like ${prefix}engaged_readers (see \`segsync segment\` or the report)`;
      }
      const allowed = allowedValues(rule.field, rfmKeys);
      if (!allowed) return undefined;
      const bad = values.find((v) => !allowed.includes(String(v).toLowerCase()));
      return bad === undefined ? undefined : `${rule.field} is never "${String(bad)}"; use one of ${allowed.join(', ')}`;
    }
    default: return undefined;
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
    case 'top': return `${rule.field} in the top ${rule.percent}%`;
    case 'bottom': return `${rule.field} in the bottom ${rule.percent}%`;
    case 'in': return `${rule.field} in ${rule.values.join(', ')}`;
    case 'exists': return `${rule.field} is set`;
    case 'withinDays': return `${rule.field} within the last ${rule.days} days`;
    case 'spentWithinDays': return `spent at least ${rule.atLeast} in the last ${rule.days} days`;
  }
}
