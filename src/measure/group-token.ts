import { nearestName } from '../config/nearest-name.js';
import { groupOf, type ControlGroupSettings, type Group } from './control-groups.js';

/** Marketo's string fields and Shopify's single-line text metafields hold 255 characters. */
export const GROUP_TOKEN_MAX_LENGTH = 255;

/**
 * The `control_group` token (pushed as HubSpot `segsync_group`, Marketo `segsyncGroup`, Shopify
 * metafield segsync.group): the person's group in each of their open segments, `key=group` pairs
 * sorted by key and joined by "; ", so that a platform-native audience can exclude "contains
 * at_risk=control". Too long for one field: every `=control` pair is kept (excluding a control
 * member is what the token is for) and `=treatment` pairs are dropped from the end until it fits;
 * only if the control pairs alone are too long are the last of them dropped too.
 */
export function groupTokenValue(groups: ReadonlyArray<readonly [segmentKey: string, group: Group]>): string {
  const pairs = [...groups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([key, group]) => ({ text: `${key}=${group}`, control: group === 'control' }));
  const joined = () => pairs.map((p) => p.text).join('; ');
  let value = joined();
  for (let i = pairs.length - 1; value.length > GROUP_TOKEN_MAX_LENGTH && i >= 0; i--) {
    if (pairs[i]!.control) continue;
    pairs.splice(i, 1);
    value = joined();
  }
  // Control pairs alone too long (a global control member in many segments): the field must still
  // take the value, so the last control pairs go too. Their lists hold them out all the same.
  while (value.length > GROUP_TOKEN_MAX_LENGTH && pairs.length > 0) {
    pairs.pop();
    value = joined();
  }
  return value;
}

/**
 * The token for one person: empty when control groups are off (so switching them off clears the
 * platforms' field) and for people who unsubscribed anywhere (outside both groups).
 */
export function groupTokenFor(
  profileId: number,
  segmentKeys: readonly string[],
  context: { salt: string; settings: ControlGroupSettings; on: boolean; unsubscribed: ReadonlySet<number> },
): string {
  if (!context.on || context.unsubscribed.has(profileId) || segmentKeys.length === 0) return '';
  return groupTokenValue(segmentKeys.map((key) => [key, groupOf(profileId, context.salt, key, context.settings)] as const));
}

/**
 * `controlGroups.segments` keys that name no segment of the run: their share is silently unused (the
 * segment gets `controlGroups.share`), so say which, with the nearest known key.
 */
export function unknownControlSegmentWarnings(settings: ControlGroupSettings, knownKeys: readonly string[]): string[] {
  const known = new Set(knownKeys);
  return Object.keys(settings.segments).filter((key) => !known.has(key)).sort().map((key) => {
    const suggestion = nearestName(key, known);
    return `controlGroups.segments.${key}: no segment has the key "${key}", so its share is not used` +
      (suggestion ? `; did you mean ${suggestion}?` : ` (segment keys: ${[...known].sort().join(', ')}).`) +
      ` Until it is fixed, the segment you meant holds out controlGroups.share (${settings.share}).`;
  });
}
