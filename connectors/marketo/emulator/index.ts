export { MarketoEmulator } from './server.js';
export type { EmulatorFault, MarketoEmulatorOptions, RequestLogEntry } from './server.js';
