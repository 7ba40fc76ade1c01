import { UMAP } from 'umap-js';
import { seededRandom } from '../segmentation/random.js';

/** Fixed so that two reports of the same store draw the same map. */
export const UMAP_SEED = 20261207;
/** Modest: the map is a picture of a sample, not a fit to tune; ~1–2 s for 2,000 points. */
export const UMAP_EPOCHS = 150;
const NEIGHBOURS = 15;
/** Below this UMAP's neighbour graph says nothing useful; the report explains instead. */
export const UMAP_MIN_POINTS = 20;

export type UmapMap =
  | { status: 'drawn'; points: Array<[number, number, number]>; sampleSize: number; neighbours: number; epochs: number; seed: number }
  | { status: 'skipped'; reason: string };

const round4 = (v: number) => Number(v.toPrecision(4));

/** A 2-D UMAP embedding of a sample of prepared rows, each point tagged with its cluster. */
export function umapMap(sample: { rows: number[][]; clusters: number[] } | undefined): UmapMap {
  if (!sample) return { status: 'skipped', reason: 'this run was made before the report kept a sample for the UMAP map; run `segsync segment` again' };
  const n = sample.rows.length;
  if (n < UMAP_MIN_POINTS) return { status: 'skipped', reason: `only ${n} clustered profiles; a UMAP map needs at least ${UMAP_MIN_POINTS}` };
  const neighbours = Math.min(NEIGHBOURS, n - 1);
  const umap = new UMAP({ nComponents: 2, nNeighbors: neighbours, nEpochs: UMAP_EPOCHS, random: seededRandom(UMAP_SEED) });
  const embedding = umap.fit(sample.rows);
  const points = embedding.map((xy, i): [number, number, number] => [round4(xy[0] ?? 0), round4(xy[1] ?? 0), sample.clusters[i]!]);
  return { status: 'drawn', points, sampleSize: n, neighbours, epochs: UMAP_EPOCHS, seed: UMAP_SEED };
}
