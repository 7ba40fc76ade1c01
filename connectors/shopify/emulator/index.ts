export { ShopifyEmulator, DEFAULT_SCOPES } from './server.js';
export type { CustomerSnapshot, EmulatorFault, OrderSnapshot, RequestLogEntry, ShopifyEmulatorOptions } from './server.js';
export { STANDARD_BUCKET, type BucketSettings } from './bucket.js';
export { DEFAULT_BULK_SETTINGS, bulkQueryProblems, type BulkErrorCode, type BulkOperationSnapshot, type BulkSettings, type BulkStatus } from './bulk.js';
