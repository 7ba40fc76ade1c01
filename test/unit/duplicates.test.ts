import { describe, expect, it } from 'vitest';
import { withinOneEdit } from '../../src/pipeline/duplicates.js';

describe('emails one typo apart', () => {
  it('are found for a substitution, an insertion, a deletion and a swap of neighbours', () => {
    expect(withinOneEdit('ada@gmail.com', 'ada@gmeil.com')).toBe(true);
    expect(withinOneEdit('ada@gmail.com', 'adda@gmail.com')).toBe(true);
    expect(withinOneEdit('ada@gmail.com', 'ad@gmail.com')).toBe(true);
    expect(withinOneEdit('ada@gmail.com', 'ada@gmial.com')).toBe(true);
  });

  it('are not two identical emails, nor two edits apart', () => {
    expect(withinOneEdit('ada@gmail.com', 'ada@gmail.com')).toBe(false);
    expect(withinOneEdit('ada@gmail.com', 'eda@gmial.com')).toBe(false);
    expect(withinOneEdit('ada@gmail.com', 'ada@gmail.comxx')).toBe(false);
  });
});
