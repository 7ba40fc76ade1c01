import type { Db } from '../store/db.js';
import { nowIso } from '../store/db.js';
import { Profiles } from '../store/profiles.js';
import { writeSegmentationRun, type ProfileRfmRow } from '../store/segmentation-runs.js';
import { ConfigError } from '../config/errors.js';
import type { Workspace } from '../config/workspace.js';
import type { SegmentDefinition } from '../domain/segments.js';
import { computeRfm, MS_PER_DAY, RFM_STATUS_LOST, RFM_STATUS_SCORED } from '../segmentation/rfm.js';
import { buildProfileFacts } from '../segmentation/profile-facts.js';
import { describeRule, evaluateRule } from '../segmentation/rules.js';
import {
  assignRfmSegments,
  DEFAULT_RFM_SEGMENTS,
  LOST_SEGMENT,
  PROSPECTS_SEGMENT,
  rfmScoreString,
} from '../segmentation/rfm-segments.js';

export interface SegmentSummary {
  runId: number;
  referenceDate: string;
  windowDays: number;
  profiles: number;
  purchasesUsed: number;
  segments: Array<{ key: string; name: string; kind: string; size: number }>;
  entered: number;
  left: number;
}

export function rfmSegmentDefinitions(workspace: Workspace): SegmentDefinition[] {
  const rules = workspace.segmentation.rfmSegments ?? DEFAULT_RFM_SEGMENTS;
  const defs = new Map<string, SegmentDefinition>();
  for (const rule of rules) {
    if (!defs.has(rule.key)) {
      defs.set(rule.key, { key: rule.key, name: rule.name, kind: 'rfm', description: `RFM: R and F scores matching ${rule.pattern}` });
    }
  }
  defs.set(LOST_SEGMENT.key, { ...LOST_SEGMENT, kind: 'rfm', description: 'Bought before, but nothing inside the RFM window' });
  defs.set(PROSPECTS_SEGMENT.key, { ...PROSPECTS_SEGMENT, kind: 'rfm', description: 'Never bought' });
  return [...defs.values()];
}

/** Amount in the base currency; refuses to add up currencies it has no rate for. */
function currencyConverter(db: Db, workspace: Workspace): (amount: number, currency: string | null) => number {
  const currencies = (db
    .prepare("SELECT DISTINCT currency FROM purchases WHERE status = 'won' AND archived = 0 AND currency IS NOT NULL")
    .all() as Array<{ currency: string }>).map((r) => r.currency.toUpperCase());
  const config = workspace.currency;
  if (!config) {
    if (currencies.length > 1) {
      throw new ConfigError(
        `purchases come in ${currencies.join(', ')}; segsync will not add them up blindly. ` +
          `Set currency.base and currency.rates in the workspace config (SEGSYNC_CONFIG).`,
      );
    }
    return (amount) => amount;
  }
  const missing = currencies.filter((c) => c !== config.base && config.rates[c] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(`currency.rates has no rate for ${missing.join(', ')} (base ${config.base}); add them to the workspace config.`);
  }
  return (amount, currency) => {
    const code = currency?.toUpperCase() ?? config.base;
    return code === config.base ? amount : amount * config.rates[code]!;
  };
}

/**
 * Resolves profiles, scores RFM over every live profile, and writes one segmentation run
 * (memberships with history, RFM values, tokens) in one transaction.
 */
export function runSegmentation(db: Db, workspace: Workspace, now: number = Date.now()): SegmentSummary {
  const profiles = new Profiles(db);
  profiles.resolve();
  const profileIds = profiles.liveProfileIds();
  const indexOf = new Map(profileIds.map((id, i) => [id, i]));
  const convert = currencyConverter(db, workspace);

  // One row per (profile, purchase): a deal linked to two contacts of one person counts once.
  const rows = db
    .prepare(`SELECT DISTINCT i.profile_id AS profileId, p.platform, p.external_id, p.occurred_at AS occurredAt,
                p.amount, p.currency
              FROM purchases p
              JOIN purchase_contacts pc ON pc.platform = p.platform AND pc.purchase_external_id = p.external_id
              JOIN identities i ON i.platform = pc.platform AND i.external_id = pc.contact_external_id
              WHERE p.status = 'won' AND p.archived = 0 AND p.invalid = 0 AND p.amount IS NOT NULL AND p.occurred_at IS NOT NULL`)
    .all() as Array<{ profileId: number; occurredAt: string; amount: number; currency: string | null }>;
  const live = rows.filter((r) => indexOf.has(r.profileId));
  const profileIndex = new Int32Array(live.length);
  const occurredAtMs = new Float64Array(live.length);
  const amount = new Float64Array(live.length);
  live.forEach((r, k) => {
    profileIndex[k] = indexOf.get(r.profileId)!;
    occurredAtMs[k] = Date.parse(r.occurredAt);
    amount[k] = convert(r.amount, r.currency);
  });

  const referenceMs = workspace.segmentation.referenceDate ? Date.parse(workspace.segmentation.referenceDate) : now;
  const windowDays = workspace.segmentation.windowDays;
  const rfm = computeRfm(profileIds.length, { profileIndex, occurredAtMs, amount }, { referenceDateMs: referenceMs, windowDays });
  const keys = assignRfmSegments(rfm, workspace.segmentation.rfmSegments ?? DEFAULT_RFM_SEGMENTS);
  const segments = [
    ...rfmSegmentDefinitions(workspace),
    ...workspace.segments.map((r): SegmentDefinition => ({ key: r.key, name: r.name, kind: 'rule', description: r.description ?? describeRule(r.rule) })),
  ];
  const ruleMembers: string[][] = profileIds.map(() => []);
  if (workspace.segments.length > 0) {
    const facts = buildProfileFacts(db, profileIds, { profileIndex, occurredAtMs, amount }, rfm, keys, referenceMs);
    facts.forEach((f, i) => {
      for (const r of workspace.segments) if (evaluateRule(r.rule, f, referenceMs)) ruleMembers[i]!.push(r.key);
    });
  }
  const ruleNames = new Map(workspace.segments.map((r) => [r.key, r.name]));

  const memberships = new Map<number, string[]>();
  const tokens = new Map<number, Record<string, string>>();
  const rfmRows: ProfileRfmRow[] = [];
  profileIds.forEach((profileId, i) => {
    const key = keys[i]!;
    memberships.set(profileId, [key, ...ruleMembers[i]!]);
    const scored = rfm.status[i] === RFM_STATUS_SCORED;
    const status = scored ? 'scored' : rfm.status[i] === RFM_STATUS_LOST ? 'lost' : 'prospect';
    const last = rfm.lastPurchaseMs[i]!;
    rfmRows.push({
      profileId,
      status,
      recencyDays: scored ? rfm.recencyDays[i]! : Number.isNaN(last) ? null : Math.floor((referenceMs - last) / MS_PER_DAY),
      frequency: scored ? rfm.frequency[i]! : null,
      monetary: scored ? rfm.monetary[i]! : null,
      r: scored ? rfm.r[i]! : null,
      f: scored ? rfm.f[i]! : null,
      m: scored ? rfm.m[i]! : null,
      lastPurchaseAt: Number.isNaN(last) ? null : new Date(last).toISOString(),
      segmentKey: key,
    });
    tokens.set(profileId, {
      rfm_segment: key,
      rfm_score: scored ? rfmScoreString(rfm.r[i]!, rfm.f[i]!, rfm.m[i]!) : '',
      rfm_r: scored ? String(rfm.r[i]) : '',
      rfm_f: scored ? String(rfm.f[i]) : '',
      rfm_m: scored ? String(rfm.m[i]) : '',
      rule_segments: ruleMembers[i]!.map((k) => ruleNames.get(k)!).join('; '),
    });
  });

  const sizes = new Map<string, number>();
  for (const k of [...keys, ...ruleMembers.flat()]) sizes.set(k, (sizes.get(k) ?? 0) + 1);
  const segmentSizes = segments.map((s) => ({ key: s.key, name: s.name, kind: s.kind, size: sizes.get(s.key) ?? 0 }));
  const createdAt = nowIso(now);
  const referenceDate = new Date(referenceMs).toISOString();
  const outcome = writeSegmentationRun(db, {
    kinds: ['rfm', 'rule'],
    createdAt,
    referenceDate,
    windowDays,
    segments,
    memberships,
    rfm: rfmRows,
    tokens,
    summary: { segments: segmentSizes, purchasesUsed: live.length },
  });
  return {
    runId: outcome.runId,
    referenceDate,
    windowDays,
    profiles: profileIds.length,
    purchasesUsed: live.length,
    segments: segmentSizes,
    entered: outcome.entered,
    left: outcome.left,
  };
}
