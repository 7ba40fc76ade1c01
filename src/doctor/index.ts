export * from './check.js';
export * from './env.js';
export * from './config.js';
export * from './store.js';
export * from './platforms.js';
export * from './run.js';
export * from './render.js';
