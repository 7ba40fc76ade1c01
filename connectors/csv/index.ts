/**
 * CSV file imports: a source (no destination) reading contacts and orders exports. See README.md
 * in this folder for the rules (cancellations, returns, missing customers, ids) and
 * mappings/csv.yaml for the layouts.
 */
export { createCsvSource, type CsvImportOptions, type CsvImportCursor } from './source.js';
export { PLATFORM as CSV_PLATFORM, type CsvImportStats } from './aggregate.js';
export {
  CsvFormatSchema, CsvMappingSchema, defaultCsvMappingFile, loadCsvMapping, parseCsvMapping,
  type CsvFormat, type CsvMapping,
} from './mapping.js';
export { detectFormat } from './sniff.js';
