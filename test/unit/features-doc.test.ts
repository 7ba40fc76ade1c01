import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { featuresMarkdown } from '../../src/segmentation/features-doc.js';
import { CATEGORY_FEATURES, DATE_FEATURES, NUMBER_FEATURES } from '../../src/segmentation/features.js';

describe('the feature documentation', () => {
  it('docs/features.md is exactly what the catalogue generates (run `npm run docs:features` after changing a feature)', () => {
    expect(readFileSync(new URL('../../docs/features.md', import.meta.url), 'utf8')).toBe(featuresMarkdown());
  });

  it('documents every feature a rule or the clustering can use', () => {
    const doc = featuresMarkdown();
    for (const key of [...NUMBER_FEATURES, ...DATE_FEATURES, ...CATEGORY_FEATURES]) expect(doc).toContain(`| \`${key}\` |`);
  });
});
