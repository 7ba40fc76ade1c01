import type { Db } from '../store/db.js';
import { DestinationState } from '../store/destination-state.js';
import { currentSegmentKeys, listSegments } from '../store/segmentation-runs.js';
import type { DestinationSettings } from '../config/workspace.js';
import type { Destination } from '../domain/connector.js';
import type { DestinationPlan, GuardViolation, ListChange, TokenChange } from '../domain/plan.js';
import { controlGroupsOn, groupOf, type ControlGroupSettings } from '../measure/control-groups.js';
import { controlGroupSalt } from '../store/store-settings.js';
import { unsubscribedProfileIds } from '../store/consent.js';

export function listNameFor(settings: DestinationSettings, segmentName: string): string {
  return `${settings.listPrefix}${segmentName}`;
}

/** The platform's live contacts: the only ones a destination may be asked to change. */
function liveContacts(db: Db, platform: string): Set<string> {
  return new Set(
    (db.prepare('SELECT external_id FROM contacts WHERE platform = ? AND archived = 0 AND merged_into IS NULL').all(platform) as
      Array<{ external_id: string }>).map((r) => r.external_id),
  );
}

/**
 * Desired state (open memberships and current tokens of the profiles that exist on this
 * platform) minus the state last applied there. Pure reads: nothing is sent or written (but the
 * store's control-group salt, made once for the store's life if it has none yet).
 * `controlGroups`: the workspace's settings; a segment's control members are not desired on its list.
 */
export function planDestination(db: Db, platform: string, destination: Destination, settings: DestinationSettings, controlGroups: ControlGroupSettings): DestinationPlan {
  const state = new DestinationState(db);
  const live = liveContacts(db, platform);
  const applied = state.listMembers(platform);
  const appliedTokens = state.tokens(platform);

  const forgetIds = new Set<string>();
  for (const members of applied.values()) for (const id of members) if (!live.has(id)) forgetIds.add(id);
  for (const id of appliedTokens.keys()) if (!live.has(id)) forgetIds.add(id);
  let forgetMembers = 0;
  for (const members of applied.values()) for (const id of members) if (forgetIds.has(id)) forgetMembers++;
  let forgetTokens = 0;
  for (const id of forgetIds) forgetTokens += appliedTokens.get(id)?.size ?? 0;

  const lists: ListChange[] = [];
  const guardViolations: GuardViolation[] = [];
  let skippedRemovals = 0;
  const unsubscribed = new Set<string>();
  if (settings.lists && destination.capabilities.lists) {
    const desired = new Map<string, Set<string>>();
    const heldOut = new Map<string, number>();
    const grouping = controlGroupsOn(controlGroups);
    const salt = grouping ? controlGroupSalt(db) : '';
    // Opted out anywhere: outside both groups (never held out), as the campaign cohorts count them.
    const outsideGroups = grouping ? unsubscribedProfileIds(db) : new Set<number>();
    const rows = db
      .prepare(`SELECT m.segment_key, m.profile_id, i.external_id, c.email_consent FROM memberships m
                JOIN identities i ON i.profile_id = m.profile_id AND i.platform = ?
                JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
                WHERE m.left_at IS NULL AND c.archived = 0 AND c.merged_into IS NULL`)
      .all(platform) as Array<{ segment_key: string; profile_id: number; external_id: string; email_consent: string }>;
    for (const r of rows) {
      // Lists are for email: someone who opted out on this platform is not put on one.
      if (r.email_consent === 'unsubscribed' && !settings.listUnsubscribed) {
        unsubscribed.add(r.external_id);
        continue;
      }
      // One bucket per membership row: a pure hash, no lookups, so a million people stay linear.
      if (grouping && !outsideGroups.has(r.profile_id) && groupOf(r.profile_id, salt, r.segment_key, controlGroups) === 'control') {
        heldOut.set(r.segment_key, (heldOut.get(r.segment_key) ?? 0) + 1);
        continue;
      }
      let set = desired.get(r.segment_key);
      if (!set) desired.set(r.segment_key, (set = new Set()));
      set.add(r.external_id);
    }
    const current = currentSegmentKeys(db);
    for (const segment of listSegments(db)) {
      const want = desired.get(segment.key) ?? new Set<string>();
      const have = new Set([...(applied.get(segment.key) ?? [])].filter((id) => live.has(id)));
      const add = [...want].filter((id) => !have.has(id)).sort();
      let remove = [...have].filter((id) => !want.has(id)).sort();
      if (settings.mode === 'additive') {
        skippedRemovals += remove.length;
        remove = [];
      }
      const listName = destination.listName?.(segment) ?? listNameFor(settings, segment.name);
      const change: ListChange = { segmentKey: segment.key, listName, appliedSize: have.size, add, remove, heldOut: heldOut.get(segment.key) ?? 0 };
      lists.push(change);
      const share = have.size === 0 ? 0 : remove.length / have.size;
      // A retired segment emptying its list is the admin's decision, not an accident to guard against.
      if (remove.length > 0 && share > settings.massRemovalThreshold && current?.has(segment.key) !== false) {
        guardViolations.push({ segmentKey: segment.key, listName: change.listName, removals: remove.length, appliedSize: have.size, share });
      }
    }
  }

  const tokens: TokenChange[] = [];
  if (settings.tokens && destination.capabilities.tokens) {
    const rows = db
      .prepare(`SELECT i.external_id, t.token, t.value FROM profile_tokens t
                JOIN identities i ON i.profile_id = t.profile_id AND i.platform = ?
                JOIN contacts c ON c.platform = i.platform AND c.external_id = i.external_id
                WHERE c.archived = 0 AND c.merged_into IS NULL
                ORDER BY i.external_id, t.token`)
      .all(platform) as Array<{ external_id: string; token: string; value: string }>;
    let current: TokenChange | undefined;
    for (const r of rows) {
      const field = destination.tokenField(r.token);
      if (field === undefined) continue; // this platform's mapping does not write that token
      // Against the value segsync last sent, never what the platform reads back: platforms
      // reformat equal values (Marketo answers the number 0 for "0.00"), and that must not make
      // every run send them again.
      const last = appliedTokens.get(r.external_id)?.get(field);
      // A never-written empty value needs no call: the property is empty on the platform too.
      if (last === r.value || (last === undefined && r.value === '')) continue;
      if (current?.externalId !== r.external_id) tokens.push((current = { externalId: r.external_id, values: {} }));
      current.values[field] = r.value;
    }
  }

  return {
    destination: platform,
    mode: settings.mode,
    lists,
    tokens,
    forget: { listMembers: forgetMembers, tokenRows: forgetTokens },
    skippedRemovals,
    unsubscribedExcluded: unsubscribed.size,
    guardViolations,
    forgetIds: [...forgetIds],
  };
}
