/** An unknown key in the workspace config or a mapping file gets the nearest allowed key (issue 12, trial item 6). */
import { describe, expect, it } from 'vitest';
import { parseWorkspace } from '../../src/config/workspace.js';
import { MappingSchema } from '../../src/config/mapping.js';
import { parseOrThrow } from '../../src/config/errors.js';

const refused = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('not refused');
};

describe('unknown keys', () => {
  it('suggests the key meant, at any depth: segmentation, a platform under sources, a list item', () => {
    expect(refused(() => parseWorkspace({ segmentation: { windowDay: 30 } }, 'segsync.yaml', ['hubspot'])))
      .toContain('  - segmentation: Unrecognized key: "windowDay"; did you mean "windowDays"?');
    expect(refused(() => parseWorkspace({ sources: { hubspot: { blankingTreshold: 0.3 } } }, 'segsync.yaml', ['hubspot'])))
      .toContain('Unrecognized key: "blankingTreshold"; did you mean "blankingThreshold"?');
    expect(refused(() => parseWorkspace({ segments: [{ key: 'a', name: 'A', rule: { op: 'exists', field: 'country' }, descripton: 'x' }] }, 'segsync.yaml', ['hubspot'])))
      .toContain('Unrecognized key: "descripton"; did you mean "description"?');
    expect(refused(() => parseOrThrow(MappingSchema, { contacts: { fields: { emial: 'email' } }, purchases: { fields: { amount: 'a', occurredAt: 'b' }, status: { field: 's', values: {}, default: 'open' } }, tokens: {} }, 'mapping file m.yaml')))
      .toContain('contacts.fields: Unrecognized key: "emial"; did you mean "email"?');
  });

  it('says nothing more when no key is close', () => {
    const message = refused(() => parseWorkspace({ segmentation: { somethingElse: 1 } }, 'segsync.yaml', ['hubspot']));
    expect(message).toContain('Unrecognized key: "somethingElse"');
    expect(message).not.toContain('did you mean');
  });
});
