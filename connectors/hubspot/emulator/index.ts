export { HubSpotEmulator } from './server.js';
export type { EmulatorFault, HubSpotEmulatorOptions, RequestLogEntry } from './server.js';
