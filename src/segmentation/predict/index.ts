export * from './settings.js';
export * from './predict.js';
export * from './summary.js';
export * from './bgnbd.js';
export * from './gamma-gamma.js';
export * from './clv.js';
export * from './holdout.js';
