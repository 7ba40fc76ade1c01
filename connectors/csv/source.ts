import { createHash } from 'node:crypto';
import { CsvError } from 'csv-parse';
import { ConfigError, InputRefusedError } from '../../src/config/errors.js';
import type { JsonValue, Source, SourcePage, SourceStream } from '../../src/domain/connector.js';
import type { ContactRecord, PurchaseRecord, StreamName } from '../../src/domain/records.js';
import { capped, plural } from '../../src/domain/text.js';
import { CsvAggregator, emptyStats, type AggregateResult, type CsvImportStats, type FileOutcome } from './aggregate.js';
import { canonicalEncoding, encodingLabel } from './encoding.js';
import { loadCsvMapping, type CsvMapping } from './mapping.js';
import { readRecords } from './read.js';
import { delimiterName, planFile, quotedHeader, type FilePlan } from './sniff.js';

export interface CsvImportOptions {
  /** A format of the mapping for every file; detected from each file's header when absent. */
  format?: string;
  /** The parsed mapping; mappings/csv.yaml when absent. */
  mapping?: CsvMapping;
  /** IANA zone for dates written without offset; overrides the mapping's. Date-only values stay midnight UTC. */
  timeZone?: string;
  /** Records per page (default 5000); during the reading phase, a progress page every this many rows. */
  pageSize?: number;
  /** The text encoding of every file (a label such as windows-1252, utf-16le, shift_jis), over the formats' `encoding:`. */
  encoding?: string;
  /** The clock implausible future dates are measured against (limits.maxFutureDays); Date.now by default. */
  now?: () => number;
  /**
   * Called once every file is read and aggregated, before the first record is yielded: throwing
   * refuses the import with nothing stored (the caller's checks against the store, e.g. currencies).
   */
  beforeStore?: (records: { contacts: readonly ContactRecord[]; purchases: readonly PurchaseRecord[] }) => void;
}

export interface CsvImportCursor {
  [key: string]: JsonValue;
  files: Array<{ path: string; sha256: string }>;
}

/**
 * A source reading CSV exports. Both streams come from one pass over the files: the first stream
 * read (the pipeline reads 'contacts' first) streams every file through csv-parse, aggregating
 * line items per order in memory, and yields an empty progress page every `pageSize` rows
 * (`received` = rows read, `expectedTotal` = rows extrapolated from bytes read, exact at the end);
 * then each stream yields its records in pages of `pageSize`. The second stream reuses the result
 * and spreads its row count over its pages. A stream's `received` is the rows read for it: every
 * row for contacts (a transaction row names its customer), the rows of transaction files for
 * purchases (0 for an import of contacts files).
 *
 * Every read imports every file completely: records are upserted by external id, so importing
 * the same file again changes nothing. The cursor ({ files: [{ path, sha256 }] }) records what was
 * imported; it is not used to skip files.
 */
export function createCsvSource(files: string[], options: CsvImportOptions = {}): { source: Source; stats: CsvImportStats } {
  const mapping = options.mapping ?? loadCsvMapping();
  const pageSize = options.pageSize ?? 5000;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new ConfigError(`pageSize must be a positive integer (got ${pageSize})`);
  if (files.length === 0) throw new ConfigError('no CSV files given: name at least one file to import');
  const encoding = options.encoding === undefined ? undefined : canonicalEncoding(options.encoding);
  if (options.encoding !== undefined && encoding === undefined) {
    throw new ConfigError(`--encoding "${options.encoding}" is not an encoding segsync reads; use utf-8, utf-16le, utf-16be, windows-1252, iso-8859-1 (latin1), or another WHATWG name such as shift_jis`);
  }
  const plans = files.map((path) => planFile(path, mapping, options.format, options.timeZone, encoding));
  const stats = emptyStats();
  stats.files = files.length;
  files.forEach((path, i) => {
    const plan = plans[i]!;
    stats.formatByFile[path] = plan.format.name;
    stats.byFile[path] = {
      format: plan.format.name,
      encoding: encodingLabel(plan.encoding.name),
      encodingDecided: plan.encoding.how,
      ...(plan.encoding.note ? { encodingNote: plan.encoding.note } : {}),
      delimiter: plan.delimiter,
      rows: 0,
      validRows: 0,
    };
  });

  const done: CsvImportCursor['files'] = [];
  const cursor = (): CsvImportCursor => ({ files: done.map((f) => ({ ...f })) });
  let result: AggregateResult | undefined;
  let loading: Promise<void> | undefined;
  /** Rows of transaction files: what the purchases stream received. */
  let transactionRows = 0;

  async function* load(signal: AbortSignal): AsyncGenerator<{ received: number; expectedTotal: number }> {
    const aggregator = new CsvAggregator(stats, options.now);
    const totalBytes = plans.reduce((sum, p) => sum + p.size, 0);
    let bytesRead = 0;
    let reported = 0;
    const estimate = () => Math.max(stats.rows, bytesRead > 0 ? Math.round((stats.rows * totalBytes) / bytesRead) : 0);
    for (const [index, plan] of plans.entries()) {
      const onRow = aggregator.beginFile(plan, index);
      const hash = createHash('sha256');
      const onBytes = (chunk: Buffer) => {
        hash.update(chunk);
        bytesRead += chunk.length;
      };
      let row = 0;
      try {
        for await (const rec of readRecords(plan, onBytes)) {
          row++;
          // The header row, if any; blank lines still count as spreadsheet rows.
          if ((row === 1 && plan.hasHeader) || isBlank(rec)) continue;
          onRow(rec, row);
          if (stats.rows - reported >= pageSize) {
            signal.throwIfAborted();
            const received = stats.rows - reported;
            reported = stats.rows;
            yield { received, expectedTotal: estimate() };
          }
        }
      } catch (error) {
        throw describeReadError(error, plan);
      }
      done.push({ path: plan.path, sha256: hash.digest('hex') });
    }
    signal.throwIfAborted();
    const finished = aggregator.finish();
    finished.files.forEach((file, i) => {
      const entry = stats.byFile[files[i]!];
      if (entry) {
        entry.rows = file.rows;
        entry.validRows = file.validRows;
      }
    });
    // All or nothing: a file that is mostly wrong refuses the whole import before a record is written.
    const refused = plans.map((plan, i) => refusal(plan, finished.files[i]!)).filter((r): r is string => r !== undefined);
    if (refused.length > 0) {
      const rowsFailed = plans.some((plan, i) => finished.files[i]!.rows > 0 && refusal(plan, finished.files[i]!) !== undefined);
      throw new InputRefusedError(
        `import refused, nothing was stored: ${refused.join(' ')} ` +
        (rowsFailed
          ? 'Check the file and its format (delimiter, columns, decimal separator, date formats in mappings/csv.yaml), or lower limits.minValidShare if these rows are expected to fail.'
          : 'Check that this is the file meant (an export with its rows), or leave it out of the command.'),
      );
    }
    options.beforeStore?.({ contacts: finished.contacts, purchases: finished.purchases });
    transactionRows = finished.files.reduce((n, file, i) => (plans[i]!.format.kind === 'transactions' ? n + file.rows : n), 0);
    result = finished;
    yield { received: stats.rows - reported, expectedTotal: stats.rows };
  }

  const page = (over: Partial<SourcePage>): SourcePage => ({
    contacts: [], purchases: [], quarantined: [], received: 0, cursor: cursor(), mode: 'full', expectedTotal: stats.rows, ...over,
  });

  const stream = (name: 'contacts' | 'purchases'): SourceStream => ({
    name,
    async *read(previous, context) {
      let loadedHere = false;
      if (result === undefined) {
        if (loading !== undefined) await loading;
        else {
          loadedHere = true;
          let settle!: () => void;
          loading = new Promise<void>((resolve) => { settle = resolve; });
          try {
            // While reading, pages keep the cursor as it was: the files count as imported only once
            // their records are written (an import refused at the end has imported nothing).
            for await (const tick of load(context.signal)) {
              yield page({ received: tick.received, expectedTotal: tick.expectedTotal, cursor: previous ?? { files: [] } });
            }
          } finally {
            settle();
            loading = undefined;
          }
        }
      }
      if (result === undefined) throw new Error('the CSV files were not read completely (an earlier read failed or was stopped)');
      const records = name === 'contacts' ? result.contacts : result.purchases;
      const quarantined = result.quarantined[name];
      const warnings = result.warnings[name];
      const total = records.length + quarantined.length;
      // (The pipeline reads contacts first, so the stream that reads the files, whose progress
      // pages counted every row, is contacts, which receives every row.)
      const rowsReceived = name === 'contacts' ? stats.rows : transactionRows;
      if (loadedHere && total === 0) {
        if (warnings.length > 0) yield page({ warnings });
        return;
      }
      const pages = Math.max(1, Math.ceil(total / pageSize));
      for (let p = 0; p < pages; p++) {
        context.signal.throwIfAborted();
        const from = p * pageSize;
        const to = from + pageSize;
        const slice = records.slice(from, to);
        const q = quarantined.slice(Math.max(0, from - records.length), Math.max(0, to - records.length));
        const share = loadedHere ? 0 : Math.floor((rowsReceived * (p + 1)) / pages) - Math.floor((rowsReceived * p) / pages);
        yield page({
          contacts: name === 'contacts' ? (slice as typeof result.contacts) : [],
          purchases: name === 'purchases' ? (slice as typeof result.purchases) : [],
          quarantined: q,
          received: share,
          expectedTotal: rowsReceived,
          ...(p === 0 ? { warnings } : {}),
        });
      }
    },
  });

  // Dated events of the events files, after the contacts they belong to are stored.
  const engagement: SourceStream = {
    name: 'engagement',
    async *read() {
      if (result === undefined) throw new Error('the CSV files were not read completely (an earlier read failed or was stopped)');
      const events = result.events;
      for (let from = 0; from < events.length; from += pageSize) {
        yield page({ events: events.slice(from, from + pageSize), received: 0 });
      }
    },
  };
  const hasEvents = plans.some((plan) => plan.format.kind === 'events');
  return { source: { streams: [stream('contacts'), stream('purchases'), ...(hasEvents ? [engagement] : [])] }, stats };
}

/** Why a file is refused as a whole (undefined: it is not): no row, no valid row, or fewer than limits.minValidShare. */
function refusal(plan: FilePlan, file: FileOutcome): string | undefined {
  const { minValidShare } = plan.format.limits;
  // A file without a data row (an export cut short, the wrong file) imports nothing: it is not
  // recorded as imported either.
  if (file.rows === 0) {
    return `${plan.path} (format ${plan.format.name}): no data rows${plan.hasHeader ? `, only the header ${quotedHeader(plan.header)}` : ''}; a file with no valid row is refused.`;
  }
  const share = file.validRows / file.rows;
  if (file.validRows > 0 && share >= minValidShare) return undefined;
  const percent = (x: number) => `${Math.round(x * 1000) / 10}%`;
  return `${plan.path} (format ${plan.format.name}): ${plural(file.validRows, 'valid row')} of ${file.rows.toLocaleString('en-US')} ` +
    `(${percent(share)}; the minimum is ${percent(minValidShare)}, limits.minValidShare${file.validRows === 0 ? ', and at least one' : ''}). ` +
    `Read with delimiter ${delimiterName(plan.delimiter)} and ${plan.hasHeader ? 'the header' : 'the columns (no header row)'} ${quotedHeader(plan.header)}. ` +
    `Rows failed because, e.g.: ${file.examples.join('; ')}.`;
}

function isBlank(rec: readonly string[]): boolean {
  for (const v of rec) if (v !== '' && (v.charCodeAt(0) > 32 || v.trim() !== '')) return false;
  return true;
}

function describeReadError(error: unknown, plan: FilePlan): unknown {
  if (error instanceof CsvError) {
    const line = (error as CsvError & { lines?: number }).lines;
    return new ConfigError(
      `CSV file ${plan.path} is not valid CSV${line ? ` near line ${line}` : ''}: ${capped(error.message)}. ` +
      'Check for an unclosed quote; re-export the file, or fix that line.',
    );
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  // File system errors (ENOENT, EACCES, EISDIR...) only: an abort or a bug passes through as it is.
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return new ConfigError(`CSV file ${plan.path} cannot be read (${code}).`);
  return error;
}
