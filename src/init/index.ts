export * from './platforms.js';
export * from './prompt.js';
export * from './answers.js';
export * from './workspace-template.js';
export * from './env-file.js';
export * from './write.js';
export * from './run.js';
