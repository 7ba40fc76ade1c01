import { z } from 'zod';
import { stableHash32 } from '../domain/stable-hash.js';

/**
 * Control groups (issue 14): a stable share of each segment's members is held out of that
 * segment's lists, so that campaigns on the lists can be measured against people who never got
 * them. A person's group is a pure function of (profile, the store's salt, segment): it survives
 * new runs, segment changes and restarts, and nobody has to store it.
 */

/** Buckets 0–9999: a share of 0.1 holds out buckets 0–999. */
export const CONTROL_BUCKETS = 10_000;

/** The segment name used for the global control group (held out of every list). */
export const GLOBAL_CONTROL_KEY = '*';

export type Group = 'treatment' | 'control';

const Share = z.number().min(0, 'must be from 0 (off) to 0.5').max(0.5, 'must be at most 0.5: holding out more than half a segment leaves too few to target');

export const ControlGroupSettingsSchema = z
  .strictObject({
    /** Share of every segment's members held out of its lists; 0 turns control groups off. */
    share: Share.default(0.1),
    /** Per-segment shares (segment key → share) that replace `share` for those segments. */
    segments: z.record(z.string().min(1), Share).default({}),
    /** Share of everyone held out of every list (a global control group); 0 by default. */
    global: Share.default(0),
  })
  .prefault({});
export type ControlGroupSettings = z.infer<typeof ControlGroupSettingsSchema>;

const hash32 = stableHash32;

/** 0–9999 for (profile, salt, segment); the same inputs give the same bucket on every machine. */
export function controlBucket(profileId: number, salt: string, segmentKey: string): number {
  return hash32(`${salt}|${segmentKey}|${profileId}`) % CONTROL_BUCKETS;
}

export function controlShareFor(settings: ControlGroupSettings, segmentKey: string): number {
  return settings.segments[segmentKey] ?? settings.share;
}

/**
 * The person's group for one segment: control when in the global control group or in the
 * segment's held-out share. Raising a share only moves treatment people into control (buckets
 * below the old cut stay below the new one), so a larger share never releases anyone.
 */
export function groupOf(profileId: number, salt: string, segmentKey: string, settings: ControlGroupSettings): Group {
  if (settings.global > 0 && controlBucket(profileId, salt, GLOBAL_CONTROL_KEY) < settings.global * CONTROL_BUCKETS) return 'control';
  const share = controlShareFor(settings, segmentKey);
  return share > 0 && controlBucket(profileId, salt, segmentKey) < share * CONTROL_BUCKETS ? 'control' : 'treatment';
}

/** Whether any segment can have a control group under these settings. */
export function controlGroupsOn(settings: ControlGroupSettings): boolean {
  return settings.share > 0 || settings.global > 0 || Object.values(settings.segments).some((s) => s > 0);
}
