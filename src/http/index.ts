export * from './errors.js';
export * from './rate-limiter.js';
export * from './backoff.js';
export * from './transport.js';
export * from './sleep.js';
export * from './answer.js';
