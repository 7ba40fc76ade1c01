import { ConfigError } from '../config/errors.js';
import { nowIso } from '../store/db.js';
import { compactStore, type Compaction } from '../store/compaction.js';
import { eraseFromStore, findPerson, planErasure, type ContactKey, type ErasureCounts, type PersonRecords, type RecordKey } from '../store/erasure.js';
import { PendingRemovals, type NewRemoval } from '../store/pending-removals.js';
import { RunHistory } from '../store/runs.js';
import { normalizeEmail } from '../store/source-records.js';
import { Suppressions, emailKey, identityKey, phoneKey, purchaseKey, type SuppressionKey } from '../store/suppressions.js';
import { maskSecrets } from '../log/redact.js';
import { sendPendingRemovals, targetText, type RemovalOutcome } from './platform-removals.js';
import type { Session } from './session.js';

/** Whom to forget: an email (as typed; matched normalised) or one platform contact. */
export type ForgetTarget =
  | { kind: 'email'; typed: string; email: string }
  | { kind: 'contact'; typed: string; platform: string; externalId: string };

/** The file import's records live in the store only; there is no platform to ask. */
const FILE_PLATFORM = 'csv';

export function parseForgetTarget(arg: string, platforms: readonly string[]): ForgetTarget {
  const text = arg.trim();
  const colon = text.indexOf(':');
  if (colon > 0) {
    const platform = text.slice(0, colon).toLowerCase();
    if (platform === FILE_PLATFORM || platforms.includes(platform)) {
      const externalId = text.slice(colon + 1).trim();
      if (externalId === '') throw new ConfigError(`forget: "${arg}" names no contact id after "${platform}:"; use e.g. ${platform}:1056`);
      return { kind: 'contact', typed: arg, platform, externalId };
    }
  }
  const email = normalizeEmail(text);
  if (email !== null && /^[^@\s]+@[^@\s]+$/.test(email)) return { kind: 'email', typed: arg, email };
  throw new ConfigError(
    `forget: "${arg}" is neither an email nor platform:id. Give an email (anna@example.com) or a platform contact id ` +
      `(${[...platforms, FILE_PLATFORM].map((p) => `${p}:<id>`).join(', ')}).`,
  );
}

export interface ForgetOptions {
  targets: readonly string[];
  /** Also ask each platform to erase the person (its GDPR deletion). */
  onPlatforms: boolean;
  dryRun: boolean;
  /** Every platform segsync has a connector for, configured here or not. */
  platforms: readonly string[];
  signal: AbortSignal;
}

export interface ForgetResult {
  dryRun: boolean;
  onPlatforms: boolean;
  people: Array<{ target: string; found: boolean; profiles: number[]; contacts: string[] }>;
  /** Rows erased from the store (or that would be, in a dry run). */
  store: ErasureCounts;
  /** Keyed hashes added to the suppression list (emails, phones, platform ids): what is kept. */
  suppressionKeys: number;
  platforms: RemovalOutcome[];
  compaction?: Compaction;
}

function suppressionKeysFor(targets: readonly ForgetTarget[], person: PersonRecords, purchases: readonly RecordKey[]): SuppressionKey[] {
  const keys = new Map<string, SuppressionKey>();
  const add = (k: SuppressionKey | undefined) => {
    if (k) keys.set(`${k.kind}:${k.value}`, k);
  };
  for (const t of targets) add(t.kind === 'email' ? emailKey(t.email) : identityKey(t.platform, t.externalId));
  for (const e of person.emails) add(emailKey(e));
  for (const p of person.phones) add(phoneKey(p));
  for (const c of person.contacts) add(identityKey(c.platform, c.externalId));
  for (const p of purchases) add(purchaseKey(p.platform, p.externalId));
  return [...keys.values()];
}

function union(people: readonly PersonRecords[]): PersonRecords {
  const contacts = new Map<string, ContactKey>();
  for (const p of people) for (const c of p.contacts) contacts.set(`${c.platform}\u0000${c.externalId}`, c);
  const all = <T>(pick: (p: PersonRecords) => T[]) => [...new Set(people.flatMap(pick))];
  return {
    contacts: [...contacts.values()],
    profiles: all((p) => p.profiles),
    emails: all((p) => p.emails),
    phones: all((p) => p.phones),
    rawPhones: all((p) => p.rawPhones),
    names: all((p) => p.names),
  };
}

/**
 * `segsync forget`: erases every local trace of the people named, keeps only salted hashes so
 * pulls and imports never bring them back, and takes them off segsync's lists and tokens on
 * every platform (and, with `onPlatforms`, asks each platform to erase them). What a platform
 * could not be asked is queued without any email, and the next push finishes it.
 */
export async function forget(session: Session, options: ForgetOptions): Promise<ForgetResult> {
  const db = session.db;
  const targets = options.targets.map((t) => parseForgetTarget(t, options.platforms));
  if (targets.length === 0) throw new ConfigError('forget: name at least one person (an email or platform:id)');
  const found = targets.map((t) => findPerson(db, t.kind === 'email' ? { email: t.email } : { contact: { platform: t.platform, externalId: t.externalId } }));
  const person = union(found);
  const plan = planErasure(db, person);
  const keys = suppressionKeysFor(targets, person, [...plan.purchases, ...plan.quarantinedPurchases]);

  const onPlatform = (platform: string) => platform !== FILE_PLATFORM && options.platforms.includes(platform);
  const removals: NewRemoval[] = [];
  for (const a of plan.applied.filter((x) => onPlatform(x.platform))) {
    for (const segmentKey of a.segmentKeys) removals.push({ platform: a.platform, externalId: a.externalId, action: 'list_remove', segmentKey });
    if (a.tokenFields.length > 0) removals.push({ platform: a.platform, externalId: a.externalId, action: 'clear_tokens', fields: a.tokenFields });
  }
  if (options.onPlatforms) {
    const seen = new Set<string>();
    const contacts = [...person.contacts, ...targets.flatMap((t) => (t.kind === 'contact' ? [{ platform: t.platform, externalId: t.externalId }] : []))];
    for (const c of contacts.filter((x) => onPlatform(x.platform))) {
      const k = `${c.platform}\u0000${c.externalId}`;
      if (seen.has(k)) continue;
      seen.add(k);
      removals.push({ platform: c.platform, externalId: c.externalId, action: 'erase' });
    }
  }

  const stored = db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM contacts WHERE platform = ? AND external_id = ?');
  const people = targets.map((t, i) => {
    const contacts = found[i]!.contacts.filter((c) => stored.get(c.platform, c.externalId)!.n > 0);
    return {
      target: t.typed,
      found: contacts.length > 0 || found[i]!.profiles.length > 0,
      profiles: found[i]!.profiles,
      contacts: contacts.map((c) => `${c.platform}:${c.externalId}`),
    };
  });
  const result: ForgetResult = { dryRun: options.dryRun, onPlatforms: options.onPlatforms, people, store: plan.counts, suppressionKeys: keys.length, platforms: [] };
  if (options.dryRun) {
    result.platforms = removals.map((r) => ({ platform: r.platform, externalId: r.externalId, action: r.action, target: targetText(r), status: 'planned' }));
    return result;
  }

  const history = new RunHistory(db);
  const runId = history.start('forget');
  const forgottenText = (text: string) => {
    let out = maskSecrets(text);
    for (const needle of [...options.targets, ...person.emails]) if (needle.trim()) out = out.split(needle.trim()).join('[forgotten]');
    return out;
  };
  try {
    const suppressions = new Suppressions(db);
    // Deleted cells are overwritten with zeros as they are freed; VACUUM below removes older copies.
    db.pragma('secure_delete = ON');
    db.transaction(() => {
      const at = nowIso();
      eraseFromStore(db, plan);
      result.suppressionKeys = suppressions.add(keys, at);
      // Written with the erasure: should the process die before a platform answers, the next push still removes them.
      new PendingRemovals(db).add(removals, at);
    })();

    const pending = new PendingRemovals(db);
    const platformsToAsk = [...new Set(pending.list().map((r) => r.platform))];
    for (const platform of platformsToAsk) {
      const destination = session.connectors.find((c) => c.id === platform)?.connector.destination;
      result.platforms.push(...(await sendPendingRemovals(db, platform, destination, {
        signal: options.signal,
        notConfigured: `${platform} is not configured here; the next push with ${platform} configured finishes this`,
      })));
    }
    result.compaction = compactStore(db);
    history.finish(runId, result.compaction.complete ? 'succeeded' : 'failed', runSummary(result), null,
      result.compaction.complete ? undefined : result.compaction.detail);
    return result;
  } catch (error) {
    history.finish(runId, 'failed', null, null, forgottenText(error instanceof Error ? error.message : String(error)));
    throw error;
  }
}

/** What the run history keeps about a forget: counts, never who. */
function runSummary(result: ForgetResult): unknown {
  const platforms: Record<string, Record<string, number>> = {};
  for (const o of result.platforms) {
    const p = (platforms[o.platform] ??= {});
    p[o.status] = (p[o.status] ?? 0) + 1;
  }
  return {
    people: result.people.length,
    found: result.people.filter((p) => p.found).length,
    store: result.store,
    suppressionKeys: result.suppressionKeys,
    platforms,
    onPlatforms: result.onPlatforms,
    compacted: result.compaction?.complete ?? false,
  };
}
