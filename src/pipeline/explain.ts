import { NOISE_LABEL, NOISE_LABEL_PEOPLE, personaKey } from '../segmentation/personas.js';
import { z } from 'zod';
import type { Db } from '../store/db.js';
import { ConfigError } from '../config/errors.js';
import { normalizeEmail } from '../store/source-records.js';
import { latestSegmentationRun } from '../store/segmentation-runs.js';
import { sourceSettings, type Workspace } from '../config/workspace.js';
import { loadMapping } from '../config/mapping.js';
import { defaultMappingFile } from '../config/paths.js';
import { describeRule } from '../segmentation/rules.js';
import { DEFAULT_RFM_SEGMENTS, compileRfmSegments } from '../segmentation/rfm-segments.js';
import type { Session } from './session.js';
import { latestPredictionRecord } from './prediction-record.js';
import { summarizeCustomers } from '../segmentation/predict/summary.js';
import { featureLabel, groupPurchases } from '../segmentation/features.js';
import { latestPropensityRecord } from './propensity-record.js';
import { contributions } from '../segmentation/propensity/index.js';
import { parseStoredClusterings } from './clustering-record.js';
import { CONTROL_BUCKETS, controlBucket, controlGroupsOn, controlShareFor, GLOBAL_CONTROL_KEY, groupOf, type ControlGroupSettings, type Group } from '../measure/control-groups.js';
import { storedControlGroupSalt } from '../store/store-settings.js';

/** One person as segsync sees them: sources, features, scores, segments with reasons, tokens. */
export interface Explanation {
  profileId: number;
  /** How the person was found: "email ann@example.com", "profile 12", "hubspot contact 1056". */
  matchedBy: string;
  email: string | null;
  runId: number;
  referenceDate: string;
  contacts: Array<{ platform: string; externalId: string; email: string | null; name: string; country: string | null; city: string | null; consent: string; createdAt: string | null; archived: boolean }>;
  purchases: { count: number; byPlatform: Record<string, number>; recent: Array<{ platform: string; externalId: string; occurredAt: string | null; amount: number | null; currency: string | null; status: string }> };
  features: Record<string, number | string | null>;
  rfm: { status: string; recencyDays: number | null; frequency: number | null; monetary: number | null; r: number | null; f: number | null; m: number | null } | null;
  segments: Array<{ key: string; name: string; kind: string; since: string; reason: string }>;
  /** The person's persona in each named clustering of the run (null: outside its population, or it did not run: `note` says which). */
  clusterings: Array<{ name: string; persona: { key: string; label: string } | null; cluster: number | null; note: string }>;
  tokens: Array<{ platform: string; externalId: string; token: string; field: string | null; value: string; applied: string | null }>;
  predictions: ExplainedPredictions;
  propensity: ExplainedPropensity;
  controlGroups: ExplainedControlGroups;
}

/**
 * The person's control group in each open segment (controlGroups). `bucket` is 0-9999; the person
 * is in control when it is below share × 10,000, or when in the global control group.
 */
export type ExplainedControlGroups =
  | { status: 'off' | 'unsubscribed' | 'not-yet'; reason: string }
  | {
      status: 'grouped';
      segments: Array<{ key: string; name: string; group: Group; bucket: number; share: number; reading: string }>;
      /** Present when controlGroups.global > 0. */
      global?: { bucket: number; share: number; inControl: boolean };
    };

/** The first-purchase propensity model's view of one person: the score and what pushed it up or down. */
export type ExplainedPropensity =
  | { status: 'off' | 'skipped' | 'customer'; reason: string }
  | {
      status: 'scored';
      horizonDays: number;
      /** 0-1: chance of a first purchase within horizonDays. */
      propensity: number;
      /** 0-100 percentile rank among the people scored. */
      leadScore: number;
      /** The inputs that moved this person's log-odds most: coefficient × standardised value, largest first. */
      contributions: Array<{ feature: string; label: string; value: number | null; contribution: number }>;
    };

/** The purchase models' view of one person: what went in (x, t_x, T) and what came out. */
export type ExplainedPredictions =
  | { status: 'off' | 'skipped' | 'prospect'; reason: string }
  | {
      status: 'fitted';
      timeUnit: string;
      horizonMonths: number;
      /** Model inputs, in timeUnit: repeat purchase days, first to last purchase, first purchase to the reference date. */
      x: number;
      tx: number;
      T: number;
      /** Null for one-time buyers: the model gives 1 by construction. */
      pAlive: number | null;
      expectedPurchases90d: number;
      expectedOrderValue: number | null;
      clv: number | null;
      nextPurchaseAt: string | null;
      /** One sentence a marketer can read. */
      reading: string;
    };

const FeatureJson = z.record(z.string(), z.union([z.number(), z.string(), z.null()]));

/** Usage, not failure: the CLI exits 2 with the message. */
export class ProfileNotFound extends ConfigError {}

interface Found {
  profileId: number;
  /** How `who` was read: "email ann@example.com", "profile 12", "hubspot contact 1056". */
  matchedBy: string;
}

const contactLabel = (platform: string, externalId: string) => `${platform} contact ${externalId}`;

/**
 * Finds the profile `who` names: an email; `profile:<id>`; `<platform>:<id>` (hubspot:1056,
 * shopify:gid://shopify/Customer/7); or a bare id, which may be a segsync profile id or a
 * platform's contact id. A bare id that names two different people is refused with both readings,
 * so that "1056" never silently means the wrong one.
 */
function findProfile(db: Db, who: string): Found {
  const email = who.includes('@') && !who.includes(':') ? normalizeEmail(who) : null;
  if (email) {
    const byKey = db.prepare('SELECT id FROM profiles WHERE email_key = ?').get(email) as { id: number } | undefined;
    if (byKey) return { profileId: byKey.id, matchedBy: `email ${email}` };
    const byContact = db.prepare(`SELECT i.profile_id AS id FROM contacts c JOIN identities i ON i.platform = c.platform AND i.external_id = c.external_id
                                  WHERE c.email_normalized = ? LIMIT 1`).get(email) as { id: number } | undefined;
    if (byContact) return { profileId: byContact.id, matchedBy: `email ${email}` };
    throw new ProfileNotFound(`no profile has the email ${who}. Check the spelling, or run \`segsync pull\` and \`segsync segment\` first.`);
  }
  const profileById = (id: string) =>
    /^\d+$/.test(id) ? (db.prepare('SELECT id FROM profiles WHERE id = ?').get(Number(id)) as { id: number } | undefined) : undefined;
  const identities = (externalId: string, platform?: string) =>
    (platform === undefined
      ? db.prepare('SELECT platform, profile_id AS id FROM identities WHERE external_id = ? ORDER BY platform').all(externalId)
      : db.prepare('SELECT platform, profile_id AS id FROM identities WHERE platform = ? AND external_id = ?').all(platform, externalId)) as Array<{ platform: string; id: number }>;

  const colon = who.indexOf(':');
  const prefix = colon > 0 ? who.slice(0, colon) : '';
  const rest = who.slice(colon + 1);
  if (prefix === 'profile') {
    const byId = profileById(rest);
    if (byId) return { profileId: byId.id, matchedBy: `profile ${byId.id}` };
    throw new ProfileNotFound(`no profile has the id ${rest}. \`segsync explain <email>\` finds a person by email.`);
  }
  const platforms = (db.prepare('SELECT DISTINCT platform FROM identities').all() as Array<{ platform: string }>).map((r) => r.platform);
  if (platforms.includes(prefix)) {
    const found = identities(rest, prefix)[0];
    if (found) return { profileId: found.id, matchedBy: contactLabel(prefix, rest) };
    throw new ProfileNotFound(`no ${prefix} contact has the id ${rest} in the store. Check the id, or run \`segsync pull\` and \`segsync segment\` first.`);
  }

  // A bare id: every reading of it.
  const readings: Found[] = [];
  const byId = profileById(who);
  if (byId) readings.push({ profileId: byId.id, matchedBy: `profile ${byId.id}` });
  for (const identity of identities(who)) readings.push({ profileId: identity.id, matchedBy: contactLabel(identity.platform, who) });
  if (readings.length === 0) {
    throw new ProfileNotFound(
      `no profile matches "${who}": give an email, a segsync profile id (profile:12), or a platform contact id (hubspot:1056, marketo:318, shopify:gid://shopify/Customer/7, csv:C1).`,
    );
  }
  const people = new Set(readings.map((r) => r.profileId));
  if (people.size > 1) {
    const how = (r: Found) => `${r.matchedBy.startsWith('profile ') ? 'profile:' : r.matchedBy.split(' ')[0] + ':'}${who}`;
    throw new ProfileNotFound(
      `"${who}" names more than one person: ${readings.map((r) => `${r.matchedBy}${r.matchedBy.startsWith('profile ') ? '' : ` (profile ${r.profileId})`}`).join('; ')}. ` +
      `Say which: ${readings.map((r) => `\`segsync explain ${how(r)}\``).join(' or ')}.`,
    );
  }
  return { profileId: readings[0]!.profileId, matchedBy: readings.map((r) => r.matchedBy).join(', which is also ') };
}

function rfmReason(workspace: Workspace, key: string, r: number | null, f: number | null): string {
  if (key === 'prospects') return 'never bought';
  if (key === 'lost') return `bought before, but nothing in the last ${workspace.segmentation.windowDays} days`;
  const rules = workspace.segmentation.rfmSegments ?? DEFAULT_RFM_SEGMENTS;
  if (r === null || f === null) return 'RFM segment';
  const rule = compileRfmSegments(rules)(r, f);
  return `R ${r} and F ${f} match the pattern ${rule.pattern} ("RF")`;
}

/**
 * `tokenPlatforms`: the platforms segsync writes tokens to (the connectors' ids); their mapping
 * files say which field holds which token. Records of other sources (file imports) have no tokens.
 * Defaults to the session's configured connectors.
 */
export function explainProfile(session: Session, who: string, tokenPlatforms: readonly string[] = session.connectors.map((c) => c.id)): Explanation {
  const db = session.db;
  const run = latestSegmentationRun(db);
  if (!run) throw new ProfileNotFound('nothing to explain yet: no segmentation run in the store. Run `segsync segment` first.');
  const { profileId, matchedBy } = findProfile(db, who);
  const email = (db.prepare('SELECT email_key AS email FROM profiles WHERE id = ?').get(profileId) as { email: string | null }).email;

  const contacts = (db.prepare(`SELECT c.platform, c.external_id AS externalId, c.email, TRIM(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, '')) AS name,
        c.country, c.city, c.email_consent AS consent, c.created_at AS createdAt, c.archived
      FROM identities i JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
      WHERE i.profile_id = ? ORDER BY c.platform, c.external_id`).all(profileId) as Array<Omit<Explanation['contacts'][number], 'archived'> & { archived: number }>)
    .map((c) => ({ ...c, archived: c.archived === 1 }));

  const purchaseRows = db.prepare(`SELECT DISTINCT p.platform, p.external_id AS externalId, p.occurred_at AS occurredAt, p.amount, p.currency, p.status
      FROM identities i JOIN purchase_contacts pc ON pc.platform = i.platform AND pc.contact_external_id = i.external_id
      JOIN purchases p ON p.platform = pc.platform AND p.external_id = pc.purchase_external_id
      WHERE i.profile_id = ? AND p.archived = 0 ORDER BY p.occurred_at DESC`).all(profileId) as Explanation['purchases']['recent'];
  const byPlatform: Record<string, number> = {};
  for (const p of purchaseRows) byPlatform[p.platform] = (byPlatform[p.platform] ?? 0) + 1;

  const featureRow = db.prepare(`SELECT features, cluster, persona_key AS personaKey, centre_distance AS distance,
        next_centre_distance AS nextDistance, next_persona_key AS nextPersonaKey FROM profile_features WHERE profile_id = ?`)
    .get(profileId) as { features: string; cluster: number | null; personaKey: string | null; distance: number | null; nextDistance: number | null; nextPersonaKey: string | null } | undefined;
  const features = featureRow ? FeatureJson.parse(JSON.parse(featureRow.features)) : {};

  const rfm = (db.prepare(`SELECT status, recency_days AS recencyDays, frequency, monetary, r, f, m FROM profile_rfm WHERE profile_id = ?`)
    .get(profileId) as Explanation['rfm'] | undefined) ?? null;

  const personaLabels = new Map((db.prepare('SELECT key, label FROM personas WHERE run_id = ?').all(run.id) as Array<{ key: string; label: string }>).map((p) => [p.key, p.label]));
  // Each clustering's assignment (profile_clusters); a run from before named clusterings has only profile_features.
  type Assignment = { clustering: string; cluster: number; personaKey: string; distance: number | null; nextDistance: number | null; nextPersonaKey: string | null };
  const assignments = db.prepare(`SELECT clustering, cluster, persona_key AS personaKey, centre_distance AS distance, next_centre_distance AS nextDistance,
        next_persona_key AS nextPersonaKey FROM profile_clusters WHERE profile_id = ? AND run_id = ?`).all(profileId, run.id) as Assignment[];
  const assignmentOf = new Map(assignments.map((a) => [a.personaKey, a]));
  if (featureRow?.personaKey && !assignmentOf.has(featureRow.personaKey) && featureRow.cluster !== null) {
    assignmentOf.set(featureRow.personaKey, { clustering: 'customers', cluster: featureRow.cluster, personaKey: featureRow.personaKey, distance: featureRow.distance, nextDistance: featureRow.nextDistance, nextPersonaKey: featureRow.nextPersonaKey });
  }
  const runRecord = db.prepare('SELECT clustering FROM segmentation_runs WHERE id = ?').get(run.id) as { clustering: string | null };
  const clusterings = (runRecord.clustering ? parseStoredClusterings(runRecord.clustering) : []).map(({ name, record }) => {
    const mine = [...assignmentOf.values()].find((a) => a.clustering === name);
    if (mine) return { name, persona: { key: mine.personaKey, label: personaLabels.get(mine.personaKey) ?? mine.personaKey }, cluster: mine.cluster, note: `cluster ${mine.cluster}` };
    const note = record.status === 'skipped' ? `did not run: ${record.reason}` : `not in its population (${record.population?.description ?? 'buyers'})`;
    return { name, persona: null, cluster: null, note };
  });
  const ruleByKey = new Map(session.workspace.segments.map((s) => [s.key, s]));
  const segments = (db.prepare(`SELECT s.key, s.name, s.kind, s.description, m.entered_at AS since FROM memberships m JOIN segments s ON s.key = m.segment_key
      WHERE m.profile_id = ? AND m.left_at IS NULL ORDER BY s.kind, s.key`).all(profileId) as Array<{ key: string; name: string; kind: string; description: string; since: string }>)
    .map((s) => {
      let reason = s.description;
      if (s.kind === 'rfm') reason = rfmReason(session.workspace, s.key, rfm?.r ?? null, rfm?.f ?? null);
      else if (s.kind === 'rule') {
        const rule = ruleByKey.get(s.key);
        reason = rule ? `matched: ${describeRule(rule.rule)}` : s.description;
      } else if (s.kind === 'persona' && assignmentOf.get(s.key)?.distance != null) {
        const a = assignmentOf.get(s.key)!;
        const next = a.nextPersonaKey ? personaLabels.get(a.nextPersonaKey) ?? a.nextPersonaKey : null;
        // DBSCAN's noise group is not a cluster: say so rather than give it a cluster number.
        const noise = s.key === personaKey(NOISE_LABEL) || (a.clustering !== 'customers' && personaLabels.get(s.key) === NOISE_LABEL_PEOPLE);
        const where = `${a.clustering === 'customers' ? '' : `${a.clustering} clustering, `}${noise ? 'DBSCAN noise (close to no cluster)' : `cluster ${a.cluster}`}`;
        reason = `${where}: ${a.distance!.toFixed(2)} from its centre` +
          (next && a.nextDistance !== null ? `, ${a.nextDistance.toFixed(2)} from the next nearest (${next})` : '') +
          ' (standardized units)';
      }
      return { key: s.key, name: s.name, kind: s.kind, since: s.since, reason };
    });

  const desired = db.prepare('SELECT token, value FROM profile_tokens WHERE profile_id = ? ORDER BY token').all(profileId) as Array<{ token: string; value: string }>;
  const appliedValue = db.prepare('SELECT value FROM destination_tokens WHERE destination = ? AND external_id = ? AND token = ?');
  const tokens: Explanation['tokens'] = [];
  const fieldsOf = new Map<string, Record<string, string>>();
  for (const c of contacts) {
    if (!tokenPlatforms.includes(c.platform)) continue; // a file import: nothing is written back there
    if (!fieldsOf.has(c.platform)) {
      // The mapping file says where each token goes; explain needs no credentials to read it.
      const mapping = loadMapping(sourceSettings(session.workspace, c.platform).mapping ?? defaultMappingFile(c.platform));
      fieldsOf.set(c.platform, mapping.tokens);
    }
    const fields = fieldsOf.get(c.platform)!;
    for (const t of desired) {
      const field = fields[t.token];
      if (field === undefined) continue; // this platform's mapping does not write it
      const applied = appliedValue.get(c.platform, c.externalId, field) as { value: string } | undefined;
      tokens.push({ platform: c.platform, externalId: c.externalId, token: t.token, field, value: t.value, applied: applied?.value ?? null });
    }
  }

  const predictions = explainPredictions(db, profileId, features, Date.parse(run.referenceDate));
  const propensity = explainPropensity(db, features);
  const controlGroups = explainControlGroups(db, profileId, segments, session.workspace.controlGroups);
  return {
    profileId,
    matchedBy,
    email,
    runId: run.id,
    referenceDate: run.referenceDate,
    contacts,
    purchases: { count: purchaseRows.length, byPlatform, recent: purchaseRows.slice(0, 10) },
    features,
    rfm,
    segments,
    clusterings,
    tokens,
    predictions,
    propensity,
    controlGroups,
  };
}

const percent = (share: number) => `${Number((share * 100).toFixed(2))}%`;

function explainControlGroups(db: Db, profileId: number, segments: ReadonlyArray<{ key: string; name: string }>, settings: ControlGroupSettings): ExplainedControlGroups {
  if (!controlGroupsOn(settings)) return { status: 'off', reason: 'control groups are off (controlGroups.share: 0): nobody is held out of any list.' };
  // As store/consent.ts: opted out on any live contact puts a person outside both groups.
  const optedOut = db.prepare(`SELECT c.platform FROM identities i JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
      WHERE i.profile_id = ? AND c.archived = 0 AND c.merged_into IS NULL AND c.email_consent = 'unsubscribed' ORDER BY c.platform LIMIT 1`).get(profileId) as { platform: string } | undefined;
  if (optedOut) return { status: 'unsubscribed', reason: `not in either group: unsubscribed (on ${optedOut.platform}); people who opted out are neither held out nor counted as treated.` };
  // The read-only store never makes the salt: none yet means no segment or push has grouped anyone.
  const salt = storedControlGroupSalt(db);
  if (salt === undefined) return { status: 'not-yet', reason: 'no groups yet: the store has no control-group salt. `segsync segment` or `segsync push` makes it.' };
  const global = settings.global > 0 ? controlBucket(profileId, salt, GLOBAL_CONTROL_KEY) : undefined;
  const inGlobal = global !== undefined && global < settings.global * CONTROL_BUCKETS;
  return {
    status: 'grouped',
    segments: segments.map((s) => {
      const bucket = controlBucket(profileId, salt, s.key);
      const share = controlShareFor(settings, s.key);
      const group = groupOf(profileId, salt, s.key, settings);
      const cut = Math.round(share * CONTROL_BUCKETS);
      const reading = inGlobal
        ? `in the global control group (global bucket ${global} < ${Math.round(settings.global * CONTROL_BUCKETS)}, controlGroups.global ${percent(settings.global)})`
        : share === 0 ? 'no control group for this segment (share 0)'
        : `bucket ${bucket} ${bucket < cut ? '<' : '≥'} ${cut} (share ${percent(share)})`;
      return { key: s.key, name: s.name, group, bucket, share, reading };
    }),
    ...(global !== undefined ? { global: { bucket: global, share: settings.global, inControl: inGlobal } } : {}),
  };
}

/** How many contributions explain lists. */
const TOP_CONTRIBUTIONS = 5;

function explainPropensity(db: Db, features: Record<string, number | string | null>): ExplainedPropensity {
  const record = latestPropensityRecord(db);
  if (record === null) return { status: 'off', reason: 'the latest segmentation run was made before the propensity model existed; run `segsync segment` again.' };
  if (record.status === 'off') return { status: 'off', reason: 'the propensity model is switched off (segmentation.propensity.enabled: false).' };
  if (record.status === 'skipped') return { status: 'skipped', reason: record.reason };
  const propensity = num(features.purchasePropensity90d);
  const leadScore = num(features.leadScore);
  if (propensity === null || leadScore === null) return { status: 'customer', reason: 'already bought: the propensity model scores people who never bought.' };
  const parts = contributions(record.model, (key) => num(features[key]))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.key.localeCompare(b.key))
    .slice(0, TOP_CONTRIBUTIONS)
    .map((c) => ({ feature: c.key, label: featureLabel(c.key), value: c.value, contribution: Math.round(c.contribution * 1000) / 1000 }));
  return { status: 'scored', horizonDays: record.horizonDays, propensity, leadScore, contributions: parts };
}

const num = (v: number | string | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const round = (v: number, digits: number) => v.toLocaleString('en-US', { maximumFractionDigits: digits });

function explainPredictions(db: Db, profileId: number, features: Record<string, number | string | null>, referenceMs: number): ExplainedPredictions {
  const record = latestPredictionRecord(db);
  if (record === null) return { status: 'off', reason: 'the latest segmentation run was made before predictions existed; run `segsync segment` again.' };
  if (record.status === 'off') return { status: 'off', reason: 'predictions are switched off (segmentation.predictions.enabled: false).' };
  if (record.status === 'skipped') return { status: 'skipped', reason: record.reason };
  const expectedPurchases90d = num(features.expectedPurchases90d);
  if (expectedPurchases90d === null) return { status: 'prospect', reason: 'no purchase yet: the purchase models describe customers only.' };
  // The model's inputs, recomputed from this person's purchases as segment selects them.
  const won = db.prepare(`SELECT DISTINCT p.platform, p.external_id, p.occurred_at AS occurredAt FROM purchases p
      JOIN purchase_contacts pc ON pc.platform = p.platform AND pc.purchase_external_id = p.external_id
      JOIN identities i ON i.platform = pc.platform AND i.external_id = pc.contact_external_id
      WHERE i.profile_id = ? AND p.status = 'won' AND p.archived = 0 AND p.invalid = 0 AND p.amount IS NOT NULL AND p.occurred_at IS NOT NULL`)
    .all(profileId) as Array<{ occurredAt: string }>;
  const unitDays = record.timeUnit === 'weeks' ? 7 : 1;
  const times = Float64Array.from(won, (p) => Date.parse(p.occurredAt));
  const mine = groupPurchases(1, { profileIndex: new Int32Array(won.length), occurredAtMs: times, amount: new Float64Array(won.length) }, referenceMs);
  const summary = summarizeCustomers(mine, referenceMs, unitDays);
  const [x, tx, T] = [summary.x[0] ?? 0, summary.tx[0] ?? 0, summary.T[0] ?? 0];
  const unit = record.timeUnit;
  const pAlive = num(features.pAlive);
  const clv = num(features.clv);
  const nextPurchaseAt = typeof features.nextPurchaseAt === 'string' ? features.nextPurchaseAt : null;
  const history = pAlive === null
    ? `One purchase day, ${round(T, 1)} ${unit} before the reference date: too early to tell whether this customer has left`
    : `Bought on ${x + 1} days over ${round(tx, 1)} ${unit}, the last ${round(T - tx, 1)} ${unit} before the reference date: ${Math.round(pAlive * 100)}% likely to still be a customer`;
  const worth = clv === null ? '' : `, worth ${round(clv, 0)} over the next ${record.horizonMonths} months`;
  return {
    status: 'fitted',
    timeUnit: unit,
    horizonMonths: record.horizonMonths,
    x,
    tx,
    T,
    pAlive,
    expectedPurchases90d,
    expectedOrderValue: num(features.expectedOrderValue),
    clv,
    nextPurchaseAt,
    reading: `${history}; expected to make ${round(expectedPurchases90d, 2)} purchases in the next 90 days${worth}.`,
  };
}
