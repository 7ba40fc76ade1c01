import { describe, expect, it } from 'vitest';
import { controlBucket, ControlGroupSettingsSchema, groupOf } from '../../src/measure/control-groups.js';
import { openStore } from '../../src/store/db.js';
import { controlGroupSalt } from '../../src/store/store-settings.js';

const settings = (v: unknown) => ControlGroupSettingsSchema.parse(v);

describe('control groups', () => {
  it('holds out the configured share of a segment, within a point, and the same people every time', () => {
    const s = settings({ share: 0.1 });
    const control = (salt: string) => Array.from({ length: 20_000 }, (_, i) => i + 1).filter((id) => groupOf(id, salt, 'at_risk', s) === 'control');
    const first = control('salt-a');
    expect(Math.abs(first.length / 20_000 - 0.1)).toBeLessThan(0.01);
    expect(control('salt-a')).toEqual(first);
    // Another store (salt) or another segment picks other people.
    const other = new Set(control('salt-b'));
    expect(first.filter((id) => other.has(id)).length).toBeLessThan(first.length * 0.2);
  });

  it('a larger share only moves treatment people into control; 0 turns it off', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => i + 1);
    const at10 = ids.filter((id) => groupOf(id, 's', 'vip', settings({ share: 0.1 })) === 'control');
    const at20 = new Set(ids.filter((id) => groupOf(id, 's', 'vip', settings({ share: 0.1, segments: { vip: 0.2 } })) === 'control'));
    expect(at10.every((id) => at20.has(id))).toBe(true);
    expect(at20.size).toBeGreaterThan(at10.length * 1.6);
    expect(ids.some((id) => groupOf(id, 's', 'vip', settings({ share: 0 })) === 'control')).toBe(false);
  });

  it('the global group is held out of every segment', () => {
    const s = settings({ share: 0, global: 0.05 });
    const inGlobal = Array.from({ length: 4000 }, (_, i) => i + 1).filter((id) => controlBucket(id, 's', '*') < 500);
    expect(inGlobal.length).toBeGreaterThan(100);
    for (const id of inGlobal) for (const seg of ['a', 'b', 'champions']) expect(groupOf(id, 's', seg, s)).toBe('control');
  });

  it('refuses a share above one half, naming the limit', () => {
    expect(() => settings({ share: 0.7 })).toThrow(/at most 0.5/);
  });

  it('the store keeps one salt for its whole life', () => {
    const db = openStore(':memory:');
    const salt = controlGroupSalt(db);
    expect(salt).toMatch(/^[0-9a-f]{32}$/);
    expect(controlGroupSalt(db)).toBe(salt);
  });
});
