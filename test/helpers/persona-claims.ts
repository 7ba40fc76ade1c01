/**
 * Checks every claim a persona makes against its members (issue 13, "Honest labels and numbers"):
 * each word of the label must hold for at least 80% of the members, and each percentage in the
 * narrative must be the share of members for whom its sentence holds (within rounding). The
 * meaning of each label word is written here independently of src/segmentation/personas.ts, so a
 * label the code calls honest is checked against what a reader takes it to say.
 */
import { featureLabel, NEW_CUSTOMER_DAYS, attributeNumber, type FeatureSet, type NumberFeature } from '../../src/segmentation/features.js';
import { PERSONA_FEATURES, traitText, type Persona } from '../../src/segmentation/personas.js';

export const STATED_SHARE = 0.8;

type Member = (i: number) => boolean;

function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function numberOf(features: FeatureSet, key: string, i: number): number {
  if (key.startsWith('attributes.')) return attributeNumber(features.attributes.get(key.slice('attributes.'.length))?.[i]);
  return features.numbers[key as NumberFeature][i]!;
}

function categoryOf(features: FeatureSet, key: string, i: number): string | null {
  const column = key.startsWith('attributes.') ? features.attributes.get(key.slice('attributes.'.length)) : (features.categories as Record<string, Array<string | null>>)[key];
  const v = column?.[i];
  return v === undefined || v === null || v === '' ? null : String(v);
}

export interface ClusteringView {
  features: FeatureSet;
  rows: Int32Array;
  labels: Int32Array;
  personas: readonly Persona[];
  numeric: readonly string[];
  categorical: readonly string[];
}

/** Every claim of every persona that does not hold, in words; empty when all are honest. */
export function personaClaimViolations(view: ClusteringView): string[] {
  const { features, rows } = view;
  const n = features.numbers;
  const all = Array.from(rows);
  const popMedian = (key: string) => median(all.map((i) => numberOf(features, key, i)));
  const aov = popMedian('averageOrderValue');
  const orders = popMedian('lifetimeFrequency');
  const spend = popMedian('lifetimeMonetary');
  const once: Member = (i) => n.lifetimeFrequency[i]! === 1;
  const repeat: Member = (i) => n.lifetimeFrequency[i]! >= 2;
  const bought: Member = (i) => n.lifetimeFrequency[i]! >= 1;
  const isNew: Member = (i) => n.daysSinceFirstPurchase[i]! <= NEW_CUSTOMER_DAYS;
  const lapsed: Member = (i) => n.daysSinceLastPurchase[i]! > 365;
  const big: Member = (i) => n.averageOrderValue[i]! > aov;
  const small: Member = (i) => n.averageOrderValue[i]! < aov;
  const frequent: Member = (i) => n.lifetimeFrequency[i]! > orders;
  const occasional: Member = (i) => bought(i) && n.lifetimeFrequency[i]! <= orders;
  const highValue: Member = (i) => n.lifetimeMonetary[i]! > spend;
  /** What a reader takes each behaviour label to say about every member. */
  const LABELS: Record<string, Member[]> = {
    'New big spenders': [isNew, big],
    'New first-time buyers': [isNew, once],
    'New repeat buyers': [isNew, repeat],
    'New customers': [isNew],
    'Bargain one-timers': [once, small],
    'Big-ticket one-timers': [once, big],
    'Lapsed one-timers': [once, lapsed],
    'One-time buyers': [once],
    'Lapsed big spenders': [lapsed, big],
    'Lapsed regulars': [lapsed, repeat],
    'Lapsed customers': [lapsed, bought],
    'High-value loyalists': [repeat, highValue],
    'Frequent small buyers': [frequent, small],
    'Frequent buyers': [frequent],
    'Loyal regulars': [repeat, frequent],
    'Repeat buyers': [repeat],
    'Occasional big spenders': [occasional, big],
    'Occasional bargain hunters': [occasional, small],
    'Occasional buyers': [occasional, bought],
    'Big spenders': [big],
    'Bargain hunters': [small],
    'Mixed group': [],
  };
  // Trait phrases: above / below the population median of a number, or one value of a category.
  const traits = new Map<string, Member>();
  for (const key of new Set([...view.numeric, ...PERSONA_FEATURES])) {
    const m = popMedian(key);
    traits.set(traitText(key, true), (i) => numberOf(features, key, i) > m);
    traits.set(traitText(key, false), (i) => numberOf(features, key, i) < m);
  }
  const categoryPart = (part: string): Member | null => {
    for (const key of view.categorical) {
      const prefix = `${featureLabel(key)} `;
      if (part.startsWith(prefix)) return (i) => categoryOf(features, key, i) === part.slice(prefix.length);
    }
    return null;
  };

  const out: string[] = [];
  for (const p of view.personas) {
    const members = all.filter((_, j) => view.labels[j] === p.cluster);
    const shareOf = (test: Member) => members.filter(test).length / members.length;
    const where = `persona "${p.label}" (${members.length} members)`;
    if (members.length !== p.size) out.push(`${where}: size ${p.size}`);
    // The label, claim by claim ("One-time buyers, high income (2)" → "One-time buyers", "high income").
    const parts = p.label.replace(/ \(\d+\)$/, '').split(', ');
    const claims: Array<[string, Member]> = [];
    if (p.label === 'Unusual customers' || p.label === 'Unusual people') {
      if (!p.noise) out.push(`${where}: "${p.label}" is DBSCAN's noise group only`);
    } else {
      parts.forEach((part, index) => {
        const behaviour = index === 0 ? LABELS[part] : undefined;
        if (behaviour) for (const test of behaviour) claims.push([part, test]);
        else {
          const text = index === 0 ? part.charAt(0).toLowerCase() + part.slice(1) : part;
          const test = traits.get(text) ?? categoryPart(text);
          if (test) claims.push([text, test]);
          else out.push(`${where}: "${part}" is no claim this check knows`);
        }
      });
    }
    for (const [text, test] of claims) {
      const share = shareOf(test);
      if (share < STATED_SHARE) out.push(`${where}: "${text}" holds for ${(share * 100).toFixed(1)}% of members`);
    }

    // Every percentage of the narrative is a share of members (or of the clustered population, for the size).
    const stated: Array<[RegExp, number]> = [
      [/\((\d+)%\)/, members.length / all.length],
      [/who bought once \((\d+)% of them\)/, shareOf(once)],
      [/, (\d+)% of them more than once/, shareOf(repeat)],
      [/: (\d+)% bought more than once/, shareOf(repeat)],
      [/median\), (\d+)% once/, shareOf(once)],
      [/P\(alive\) ≥ 0\.5 for (\d+)% of members/, shareOf((i) => n.pAlive[i]! >= 0.5)],
      [/\((\d+)% of members have no P\(alive\)/, shareOf((i) => Number.isNaN(n.pAlive[i]!))],
    ];
    let accounted = 0;
    for (const [pattern, share] of stated) {
      const match = pattern.exec(p.narrative);
      if (!match) continue;
      accounted++;
      if (Math.abs(Number(match[1]) - share * 100) > 0.5 + 1e-9) out.push(`${where}: narrative says ${match[1]}% (${pattern.source}) where the share is ${(share * 100).toFixed(1)}%`);
    }
    const percentages = p.narrative.match(/\d+%/g)?.length ?? 0;
    if (percentages !== accounted) out.push(`${where}: ${percentages - accounted} percentage(s) in the narrative that are no share of members: ${p.narrative}`);
    // "bought once" with no share stated claims every member... at least the stated share.
    if (/who bought once and/.test(p.narrative) && shareOf(once) < 1) out.push(`${where}: narrative says every member bought once; ${(shareOf(once) * 100).toFixed(1)}% did`);
    if (/who buy every/.test(p.narrative) && !/% of them more than once/.test(p.narrative) && shareOf(repeat) < 1) out.push(`${where}: narrative says every member buys again; ${(shareOf(repeat) * 100).toFixed(1)}% did`);
    if (/who buy every/.test(p.narrative) && shareOf(repeat) < STATED_SHARE) out.push(`${where}: narrative says "buy every" for ${(shareOf(repeat) * 100).toFixed(1)}%`);
    if (/who bought once/.test(p.narrative) && shareOf(once) < STATED_SHARE) out.push(`${where}: narrative says "bought once" for ${(shareOf(once) * 100).toFixed(1)}%`);
    // The summary token: "bought once", "buys every …", or "about 70% bought once, the others buy every …" (to the nearest 10%).
    if (p.summary.startsWith('buys every') && shareOf(repeat) < STATED_SHARE) out.push(`${where}: summary says "buys every" for ${(shareOf(repeat) * 100).toFixed(1)}%`);
    const about = /^about (\d+)% bought once/.exec(p.summary);
    if (about && Math.abs(Number(about[1]) - shareOf(once) * 100) > 5 + 1e-9) out.push(`${where}: summary says about ${about[1]}% bought once where ${(shareOf(once) * 100).toFixed(1)}% did`);
    if ((p.summary.match(/\d+%/g)?.length ?? 0) !== (about ? 1 : 0)) out.push(`${where}: a percentage in the summary that is no share of members: ${p.summary}`);
    if ((p.summary === 'has not bought yet' || /who have not bought yet/.test(p.narrative)) && shareOf(bought) > 0) out.push(`${where}: says nobody bought; ${(shareOf(bought) * 100).toFixed(1)}% did`);
    if (p.summary.startsWith('bought once') && shareOf(once) < STATED_SHARE) out.push(`${where}: summary says "bought once" for ${(shareOf(once) * 100).toFixed(1)}%`);
  }
  return out;
}
