export { dbscan, findKnee, kDistances, suggestEps } from './dbscan.js';
export { gmmFit } from './gmm.js';
export { wardCluster } from './hierarchical.js';
export { assignNearest, kmeansFit } from './kmeans.js';
export type {
  CovarianceType,
  DbscanOptions,
  DbscanResult,
  EpsSuggestion,
  GmmFit,
  GmmOptions,
  KDistanceOptions,
  KMeansFit,
  KMeansOptions,
  NearestAssignment,
  WardOptions,
  WardResult,
} from './types.js';
