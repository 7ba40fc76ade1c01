import { describe, expect, it } from 'vitest';
import { capped, plural } from '../../src/domain/text.js';

describe('counts and echoed values in messages', () => {
  it('puts the noun in the number the count needs', () => {
    expect(plural(1, 'customer')).toBe('1 customer');
    expect(plural(0, 'customer')).toBe('0 customers');
    expect(plural(2357, 'customer')).toBe('2,357 customers');
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
  });

  it('cuts a long value to a few hundred characters and says how long it was', () => {
    expect(capped('short')).toBe('short');
    const header = 'x'.repeat(262_144);
    const shown = capped(header);
    expect(shown.length).toBeLessThan(400);
    expect(shown).toMatch(/^x{300}… \(262,144 characters in all\)$/);
  });
});
