import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseWorkspace } from '../../src/config/workspace.js';

describe('segsync.example.yaml', () => {
  it('is a valid workspace config, with the clustering section it documents', () => {
    const workspace = parseWorkspace(parse(readFileSync(new URL('../../segsync.example.yaml', import.meta.url), 'utf8')), 'segsync.example.yaml', ['hubspot', 'marketo', 'shopify']);
    expect(workspace.segmentation.clustering).toMatchObject({ algorithm: 'kmeans', k: 'auto', kRange: [2, 10] });
    expect(workspace.imports).toMatchObject({ formats: { shop_de: { kind: 'transactions' } } });
  });

  it('documents segmentation.clustering.population in place: uncommented, it is read', () => {
    const text = readFileSync(new URL('../../segsync.example.yaml', import.meta.url), 'utf8');
    expect(text).toContain('    # population: auto\n');
    const workspace = parseWorkspace(parse(text.replace('    # population: auto\n', '    population: everyone\n')), 'segsync.example.yaml', ['hubspot', 'marketo', 'shopify']);
    expect(workspace.segmentation.clustering.population).toBe('everyone');
  });

  it('refuses a clustering feature that does not exist, naming the allowed ones', () => {
    expect(() => parseWorkspace({ segmentation: { clustering: { features: ['spend'] } } }, 'w.yaml', ['hubspot']))
      .toThrow(/segmentation\.clustering\.features\.0: "spend" is not a number feature; use one of recencyDays/);
    expect(() => parseWorkspace({ segmentation: { clustering: { algorithm: 'spectral' } } }, 'w.yaml', ['hubspot']))
      .toThrow(/segmentation\.clustering\.algorithm: use one of kmeans, gmm, ward, dbscan/);
  });
});
