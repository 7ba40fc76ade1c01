export { HubSpotEmulator } from './server.js';
export type { EmulatorFault, HubSpotEmulatorOptions, RequestLogEntry } from './server.js';
export type { ConcurrentChange, Corruption, HubSpotFaultScenario } from './faults.js';
