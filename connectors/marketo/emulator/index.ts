export { MarketoEmulator } from './server.js';
export type { CorruptedRecord, EmulatorFault, MarketoEmulatorOptions, RequestLogEntry, WriterChange } from './server.js';
