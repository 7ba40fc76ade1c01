import { describe, expect, it } from 'vitest';
import { umapMap, UMAP_MIN_POINTS } from '../../src/report/umap-map.js';
import { seededRandom } from '../../src/segmentation/random.js';

/** Three well separated blobs of prepared rows, 60 each, tagged 0, 1, 2. */
function blobs(): { rows: number[][]; clusters: number[] } {
  const random = seededRandom(3);
  const rows: number[][] = [];
  const clusters: number[] = [];
  for (let i = 0; i < 180; i++) {
    const c = i % 3;
    rows.push([0, 1, 2, 3].map((d) => (d === c ? 10 : 0) + random()));
    clusters.push(c);
  }
  return { rows, clusters };
}

describe('umapMap: the report UMAP map of a sample of prepared rows', () => {
  it('embeds every sampled row in 2-D with its cluster, the same for the same input', () => {
    const sample = blobs();
    const a = umapMap(sample);
    if (a.status !== 'drawn') throw new Error(a.reason);
    expect(a.points).toHaveLength(180);
    expect(a.points.map((p) => p[2])).toEqual(sample.clusters);
    expect(a.sampleSize).toBe(180);
    expect(umapMap(sample)).toEqual(a);
    // Neighbours stay neighbours: each point's nearest other point on the map is in its own blob.
    const sameBlob = a.points.filter((p, i) => {
      let best = -1;
      let bestD = Infinity;
      a.points.forEach((q, j) => {
        const d = (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2;
        if (j !== i && d < bestD) { bestD = d; best = j; }
      });
      return a.points[best]![2] === p[2];
    }).length;
    expect(sameBlob).toBe(180);
  });

  it('explains instead of drawing for too few profiles and for runs made before the sample was kept', () => {
    const few = blobs();
    const small = umapMap({ rows: few.rows.slice(0, UMAP_MIN_POINTS - 1), clusters: few.clusters.slice(0, UMAP_MIN_POINTS - 1) });
    expect(small).toEqual({ status: 'skipped', reason: `only ${UMAP_MIN_POINTS - 1} clustered profiles; a UMAP map needs at least ${UMAP_MIN_POINTS}` });
    const old = umapMap(undefined);
    expect(old.status).toBe('skipped');
    expect(old.status === 'skipped' && old.reason).toMatch(/run `segsync segment` again/);
  });
});
