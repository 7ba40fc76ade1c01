export { ShopifyEmulator, DEFAULT_SCOPES } from './server.js';
export type { ConcurrentChange, CustomerSnapshot, EmulatorFault, OrderSnapshot, RequestLogEntry, ShopifyEmulatorOptions } from './server.js';
export { STANDARD_BUCKET, type BucketSettings } from './bucket.js';
export { DEFAULT_BULK_SETTINGS, bulkQueryProblems, type BulkErrorCode, type BulkOperationSnapshot, type BulkSettings, type BulkStatus } from './bulk.js';
export { DEFAULT_FAULT_COUNTS, HUGE_STRING_LENGTH, IMPOSSIBLE_DATE, UNICODE_NAME, type Corruption, type CorruptionKind } from './faults.js';
