import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ConfigError } from '../../src/config/errors.js';
import { capped, plural } from '../../src/domain/text.js';
import { createTextDecoder, encodingLabel, scanEncoding, type EncodingDecision, type EncodingName, type Utf8Characters } from './encoding.js';
import {
  headerKey, missingColumns, resolveColumns, resolveFormat, type CsvFormat, type CsvMapping, type ResolvedColumns, type ResolvedFormat,
} from './mapping.js';

/** `whitespace`: fields separated by runs of spaces and tabs, no quoting (raw data sets such as CDNOW's). */
export type Delimiter = ',' | ';' | '\t' | '|' | 'whitespace';

/** What is known about a file before its rows are read: enough to fail early with a clear message. */
export interface FilePlan {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
  delimiter: Delimiter;
  encoding: EncodingDecision;
  /** False when the file has no header row: `header` then comes from the format, and row 1 is data. */
  hasHeader: boolean;
  header: string[];
  format: ResolvedFormat;
  columns: ResolvedColumns;
  /** U+FFFD characters already in the file (text lost before it was exported): count and where the first is ("row 12"). */
  replacementChars?: { count: number; row: string };
  /** A warning naming the columns of the file the format does not read (generic formats only). */
  unusedColumns?: string;
  /** A declared encoding over a file that also has valid UTF-8 characters: how many, the first, where, and what it is stored as. */
  utf8Characters?: { count: number; first: string; row: string; storedAs: string | undefined };
}

const HEAD_BYTES = 256 * 1024;

function readHead(path: string): Buffer {
  let fd: number;
  let directory = false;
  try {
    directory = statSync(path).isDirectory();
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`CSV file ${path} cannot be read (${code ?? String(error)}). Check the path.`);
  }
  if (directory) {
    closeSync(fd);
    throw new ConfigError(`CSV file ${path} is a directory, not a file. Name the files to import, e.g. segsync import ${join(path, '*.csv')}`);
  }
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The text of the first record (the header), honouring quotes that span lines. */
export function firstRecordText(text: string): string {
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === '\n' || c === '\r')) return text.slice(0, i);
  }
  return text;
}

/**
 * The delimiter of a header line: the most frequent of `,` `;` tab `|` outside quotes (ties go in
 * that order; a one-column file is comma-separated).
 */
export function sniffDelimiter(headerLine: string): Delimiter {
  const counts: Record<',' | ';' | '\t' | '|', number> = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let inQuotes = false;
  for (const c of headerLine) {
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === ',' || c === ';' || c === '\t' || c === '|')) counts[c]++;
  }
  let best: ',' | ';' | '\t' | '|' = ',';
  for (const d of [',', ';', '\t', '|'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

function parseHeader(line: string, delimiter: Delimiter): string[] {
  if (delimiter === 'whitespace') return splitWhitespace(line);
  const rows = parse(line, { delimiter, relax_quotes: true, relax_column_count: true, to_line: 1 }) as string[][];
  return (rows[0] ?? []).map((h) => h.trim());
}

/** The fields of a whitespace-separated line: runs of spaces and tabs separate, leading and trailing ones are ignored. */
export function splitWhitespace(line: string): string[] {
  const trimmed = line.trim();
  return trimmed === '' ? [''] : trimmed.split(/[ \t]+/);
}

export const delimiterName = (d: Delimiter): string => (d === '\t' ? 'tab' : d === 'whitespace' ? 'whitespace (runs of spaces and tabs)' : `"${d}"`);

/** A header as messages quote it: the names in quotes, capped (a broken file can have a header of megabytes). */
export function quotedHeader(header: readonly string[]): string {
  return capped(header.map((h) => `"${h}"`).join(', '));
}

/** Above this, the row of a byte is counted in lines (a quoted field spanning lines then counts as several). */
const ROW_PARSE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Where byte `offset` is, for a message: "row 12" (spreadsheet rows, header = row 1: the bytes
 * before it are parsed with the file's delimiter, so quoted fields may span lines), or "line 12"
 * for a large file with quotes. Bytes ≥ 0x80 are read as Latin-1 here, which keeps every
 * delimiter, quote and line break where it is.
 */
function rowAtByte(path: string, offset: number, delimiter: Delimiter): string {
  const fd = openSync(path, 'r');
  let lines = 1;
  let quotes = false;
  let prefix = '';
  try {
    const buffer = Buffer.alloc(Math.min(offset, 1024 * 1024));
    for (let at = 0; at < offset;) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, offset - at), at);
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) lines++;
      if (!quotes && chunk.includes(0x22)) quotes = true;
      if (offset <= ROW_PARSE_MAX_BYTES) prefix += chunk.toString('latin1');
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  if (delimiter === 'whitespace' || !quotes) return `row ${lines}`;
  if (offset > ROW_PARSE_MAX_BYTES) return `line ${lines}`;
  // The "x" makes the byte's own row a record even when the prefix ends with a line break.
  const records = parse(`${prefix}x`, { delimiter, relax_quotes: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
  return `row ${records.length}`;
}

/** How a format fits a header: the file's columns it reads, and the required columns it lacks. */
export interface FormatFit {
  name: string;
  /** The format names `detect` columns, all present: a layout of its own (an export of one system). */
  specific: boolean;
  /** How many of the file's columns the format reads or names (columns, attributes, detect names). */
  used: number;
  /** Required columns the header lacks (missingColumns), [] when the file can be read with it. */
  missing: string[];
}

/** Indices of the header's columns a format reads or names: its columns, its attributes and its detect names. */
export function usedColumns(format: CsvFormat, header: readonly string[], columns: ResolvedColumns): Set<number> {
  const used = new Set<number>(Object.values(columns.index));
  for (const a of columns.attributes) if (a.index >= 0) used.add(a.index);
  const detect = new Set((format.detect ?? []).map(headerKey));
  header.forEach((h, i) => { if (detect.has(headerKey(h))) used.add(i); });
  return used;
}

/** Every format that may describe the header (no `header:` of its own, its detect names present), with how well. */
export function fitFormats(mapping: CsvMapping, header: readonly string[]): FormatFit[] {
  const present = new Set(header.map(headerKey));
  const fits: FormatFit[] = [];
  for (const [name, format] of Object.entries(mapping.formats)) {
    if (format.header) continue; // a file without a header row cannot say which layout it is
    const detect = format.detect ?? [];
    if (!detect.every((d) => present.has(headerKey(d)))) continue;
    const columns = resolveColumns(format, header);
    fits.push({ name, specific: detect.length > 0, used: usedColumns(format, header, columns).size, missing: missingColumns(format, columns) });
  }
  return fits;
}

/** A format recognised by its detect names beats a generic one; then the one reading more of the file's columns; ties keep the earlier. */
const fitsBetter = (a: FormatFit, b: FormatFit | undefined): boolean => !b || (a.specific !== b.specific ? a.specific : a.used > b.used);

/**
 * The format a header is: among formats whose required columns are all present, a specific one
 * (its `detect` names present) before a generic one, then the one that reads more of the file's
 * columns, ties going to the format listed first. A format lacking exactly one required column
 * that would read more of the file (an orders file without order numbers, which contacts would
 * half read) is chosen over it: the import then stops naming that column, rather than reading the
 * file as something it is not. `alternative` is then the best format that could read it.
 */
export function chooseFormat(mapping: CsvMapping, header: readonly string[]): { chosen: FormatFit; alternative?: FormatFit } | undefined {
  let complete: FormatFit | undefined;
  let near: FormatFit | undefined;
  for (const fit of fitFormats(mapping, header)) {
    if (fit.missing.length === 0) { if (fitsBetter(fit, complete)) complete = fit; }
    else if (fit.missing.length === 1 && fit.used > 0 && fitsBetter(fit, near)) near = fit;
  }
  if (near && fitsBetter(near, complete) && (!complete || near.specific !== complete.specific || near.used > complete.used)) {
    return { chosen: near, ...(complete ? { alternative: complete } : {}) };
  }
  return complete ? { chosen: complete } : undefined;
}

/** The name of the format a header is (see chooseFormat); it may lack one required column, which planFile then names. */
export function detectFormat(mapping: CsvMapping, header: readonly string[]): string | undefined {
  return chooseFormat(mapping, header)?.chosen.name;
}

/**
 * Reads a file's header, sniffs its layout and resolves its format (explicit or detected); decides
 * its encoding from the whole file (encoding.ts) and refuses one whose encoding cannot be told.
 */
export function planFile(path: string, mapping: CsvMapping, explicitFormat?: string, timeZone?: string, encoding?: EncodingName): FilePlan {
  const options = { timeZone, encoding };
  const absolute = resolve(path);
  const head = readHead(absolute);
  const stat = statSync(absolute);
  const name = basename(absolute);
  const explicit = explicitFormat !== undefined ? mapping.formats[explicitFormat] : undefined;
  if (explicitFormat !== undefined && !explicit) resolveFormat(mapping, explicitFormat); // throws the "not defined" message
  let declared = options.encoding ?? explicit?.encoding;
  let scan = scanEncoding(absolute, declared);
  // Until the encoding is known (or refused below), the header is read as Windows-1252: header
  // names are ASCII in practice, and every byte decodes.
  const headDecision = scan.decision ?? { name: 'windows-1252', bomBytes: 0, how: 'sniffed' as const };
  const text = createTextDecoder(headDecision)(head);
  const headerLine = firstRecordText(text);
  if (headerLine.trim() === '') throw new ConfigError(`CSV file ${absolute} is empty: expected ${explicit?.header ? 'rows' : 'a header row naming the columns'}.`);
  const delimiter: Delimiter = explicit?.delimiter && explicit.delimiter !== 'auto' ? explicit.delimiter : sniffDelimiter(headerLine);
  const header = explicit?.header ?? parseHeader(headerLine, delimiter);
  const detected = explicitFormat === undefined ? chooseFormat(mapping, header) : undefined;
  const formatName = explicitFormat ?? detected?.chosen.name;
  if (formatName === undefined) {
    const headerless = Object.entries(mapping.formats).filter(([, f]) => f.header).map(([n]) => n);
    throw new ConfigError(
      `CSV file ${absolute}: its header matches no format in the CSV mapping (header: ${quotedHeader(header)}; delimiter ${delimiterName(delimiter)}). ` +
      `Name the format explicitly (known: ${Object.keys(mapping.formats).join(', ')}), or add a format under formats: in mappings/csv.yaml whose columns name these headers.` +
      (headerless.length > 0 ? ` A file without a header row needs its format named, e.g. --format ${headerless[0]}.` : ''),
    );
  }
  const format = resolveFormat(mapping, formatName, options.timeZone);
  if (options.encoding === undefined && format.format.encoding !== undefined && format.format.encoding !== declared) {
    declared = format.format.encoding;
    scan = scanEncoding(absolute, declared);
  }
  const hasHeader = format.format.header === undefined;
  // A format chosen explicitly may still declare its own delimiter; a detected one too.
  const fileDelimiter = format.format.delimiter && format.format.delimiter !== 'auto' ? format.format.delimiter : delimiter;
  const rowOf = (offset: number) => rowAtByte(absolute, offset, fileDelimiter);
  const declaredBy = options.encoding !== undefined ? `--encoding ${options.encoding}` : `encoding: ${declared} under formats.${formatName} in the CSV mapping`;
  if (scan.problem?.kind === 'declared-over-utf8') {
    const u = scan.problem.utf8!;
    const storedAs = misread(u, declared!);
    throw new ConfigError(
      `CSV file ${absolute} reads as UTF-8: every byte is valid UTF-8, with ${plural(u.count, 'multi-byte character')} (the first, "${u.first}", on ${rowOf(u.offset)}), ` +
      `but ${encodingLabel(declared!)} is declared (${declaredBy})${storedAs ? `: read that way, "${u.first}" would be stored as "${storedAs}"` : ''}. Nothing was imported. ` +
      'Leave the declared encoding out for this file: UTF-8 is then read as UTF-8, and Windows-1252 and ISO-8859-1 files are still recognised without it.',
    );
  }
  if (!scan.decision) {
    const problem = scan.problem!;
    const label = declared ? encodingLabel(declared) : 'UTF-8';
    const where = headDecision.name.startsWith('utf-16') ? `at byte ${problem.offset}` : `on ${rowAtByte(absolute, problem.offset, fileDelimiter)} (byte ${problem.offset})`;
    const first = problem.near
      ? `A byte that is not ${label} is in the bytes from ${problem.offset} on (from ${rowAtByte(absolute, problem.offset, fileDelimiter)}).`
      : `The first byte that is not ${label} is 0x${problem.byte.toString(16).toUpperCase().padStart(2, '0')} ${where}.`;
    if (problem.kind === 'mixed') {
      const u = problem.utf8!;
      const storedAs = misread(u, 'windows-1252');
      throw new ConfigError(
        `CSV file ${absolute}: cannot tell its text encoding: ${problem.reason} (the first UTF-8 one, "${u.first}", on ${rowOf(u.offset)}), ` +
        `as when rows in another encoding are added to a UTF-8 file. ${first} Nothing was imported. ` +
        'Save the file in one encoding (e.g. convert the rows that are not UTF-8 to UTF-8) and import it again. ' +
        `--encoding <name> on the command line (or encoding: under formats.${formatName} in the CSV mapping) reads every byte in that one encoding: ` +
        `the UTF-8 characters would then be stored wrongly${storedAs ? ` ("${u.first}" as "${storedAs}" in Windows-1252)` : ''}, and the import warns how many.`,
      );
    }
    throw new ConfigError(
      `CSV file ${absolute}: cannot tell its text encoding: ${problem.reason}. ${first} Nothing was imported. ` +
      `Declare the file's encoding: encoding: windows-1252 (or iso-8859-1, utf-16le, shift_jis, gbk, ...) under formats.${formatName} in the CSV mapping, ` +
      'or --encoding <name> on the command line; or save the file as UTF-8.',
    );
  }
  const fileHeader = !hasHeader ? format.format.header! : fileDelimiter === delimiter ? header : parseHeader(headerLine, fileDelimiter);
  const columns = resolveColumns(format.format, fileHeader);
  const missing = missingColumns(format.format, columns);
  const used = usedColumns(format.format, fileHeader, columns);
  if (missing.length > 0) {
    // Detected although a column is missing: say why this format, and which one could read the file.
    const alternative = detected?.alternative;
    const why = detected
      ? ` It was detected as ${formatName} because it reads ${used.size} of the file's ${plural(fileHeader.length, 'column')}` +
        (alternative ? `, more than ${alternative.name} (${alternative.used})` : '') + '.'
      : '';
    const perDay = format.kind === 'transactions' && format.format.columns.orderId !== undefined && columns.index.orderId === undefined
      ? ' A file without order numbers can be read one purchase per customer and day by a format of your own with onePurchasePer: customerDay (see mappings/csv.yaml).'
      : '';
    throw new ConfigError(
      `CSV file ${absolute} (format ${formatName}): the header lacks ${missing.join('; ')}.${why} ` +
      `Header: ${quotedHeader(fileHeader)} (delimiter ${delimiterName(fileDelimiter)}). Set formats.${formatName}.columns.<key> in mappings/csv.yaml to the file's column name.` +
      perDay +
      (alternative ? ` If it is ${KIND_NOUN[mapping.formats[alternative.name]!.kind]} file, name the format: --format ${alternative.name}.` : ''),
    );
  }
  // Columns the format leaves unread, for a warning: only for generic formats (a format recognised by
  // its detect names is the export of one system, whose other columns are known to be left out).
  const unused = format.format.detect?.length ? [] : fileHeader.filter((h, i) => h !== '' && !used.has(i));
  return {
    path: absolute,
    name,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    delimiter: fileDelimiter,
    encoding: scan.decision,
    hasHeader,
    header: fileHeader,
    format,
    columns,
    ...(unused.length > 0 ? { unusedColumns: unusedColumnsWarning(name, unused, format, mapping) } : {}),
    ...(scan.replacementChars > 0
      ? { replacementChars: { count: scan.replacementChars, row: rowAtByte(absolute, scan.replacementOffset, fileDelimiter) } }
      : {}),
    ...(scan.utf8Characters
      ? {
          utf8Characters: {
            count: scan.utf8Characters.count, first: scan.utf8Characters.first, row: rowOf(scan.utf8Characters.offset),
            storedAs: misread(scan.utf8Characters, scan.decision.name),
          },
        }
      : {}),
  };
}

/** What a UTF-8 character becomes when its bytes are read in another encoding ("é" → "Ã©"); undefined when they do not decode there. */
function misread(u: Utf8Characters, encoding: EncodingName): string | undefined {
  try {
    return createTextDecoder({ name: encoding, bomBytes: 0, how: 'declared' })(u.bytes, true);
  } catch {
    return undefined;
  }
}

/** "1 replacement character" etc.: kept here so the warning and its test agree. */
export const replacementWarning = (plan: FilePlan): string | undefined =>
  plan.replacementChars
    ? `${plan.name} already holds ${plural(plan.replacementChars.count, 'replacement character')} (U+FFFD, the first on ${plan.replacementChars.row}): ` +
      'text was lost before this file was exported (saved with a wrong encoding); they are imported as they are. Export the file again from its source as UTF-8 to keep those letters.'
    : undefined;

/** A declared encoding read over characters that are valid UTF-8: said once per file, with what they became. */
export const misreadWarning = (plan: FilePlan): string | undefined => {
  const u = plan.utf8Characters;
  if (!u) return undefined;
  return `${plan.name}: ${plural(u.count, 'character')} read as UTF-8 (the first, "${u.first}", on ${u.row}) but the file is read as ${encodingLabel(plan.encoding.name)} (declared): ` +
    `${u.count === 1 ? 'it is' : 'they are'} stored as two or three characters each${u.storedAs ? ` ("${u.first}" as "${u.storedAs}")` : ''}. ` +
    'If the file mixes encodings, save it in one and import it again.';
};

/** The columns a generic format leaves unread, with what to do if the file is something else. */
const KIND_NOUN = { contacts: 'a contacts', transactions: 'an orders', events: 'an events' } as const;

function unusedColumnsWarning(file: string, unused: readonly string[], format: ResolvedFormat, mapping: CsvMapping): string {
  const SHOWN = 10;
  const names = unused.slice(0, SHOWN).map((h) => capped(h, 60)).join(', ') + (unused.length > SHOWN ? ` and ${unused.length - SHOWN} more` : '');
  // The generic orders format to suggest: "transactions" when it is one, else the first generic transactions format.
  const generic = Object.entries(mapping.formats).filter(([, f]) => f.kind === 'transactions' && !f.header && !f.detect?.length).map(([n]) => n);
  const orders = generic.includes('transactions') ? 'transactions' : generic[0];
  const hint = format.kind === 'contacts' && orders
    ? `if this is an orders file, use --format ${orders} or add these names to the format (formats.${format.name} in the CSV mapping)`
    : `if they hold what segsync should read, add these names to the format (formats.${format.name}.columns in the CSV mapping)`;
  return `${file}: columns not used: ${names} — ${hint}`;
}
