import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ConfigError } from '../../src/config/errors.js';
import {
  headerKey, missingColumns, resolveColumns, resolveFormat, type CsvMapping, type ResolvedColumns, type ResolvedFormat,
} from './mapping.js';

export type Delimiter = ',' | ';' | '\t' | '|';
export type FileEncoding = 'utf8' | 'latin1' | 'utf16le';

/** What is known about a file before its rows are read: enough to fail early with a clear message. */
export interface FilePlan {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
  delimiter: Delimiter;
  encoding: FileEncoding;
  header: string[];
  format: ResolvedFormat;
  columns: ResolvedColumns;
}

const HEAD_BYTES = 256 * 1024;

function readHead(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`CSV file ${path} cannot be read (${code ?? String(error)}). Check the path.`);
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
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let inQuotes = false;
  for (const c of headerLine) {
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === ',' || c === ';' || c === '\t' || c === '|')) counts[c]++;
  }
  let best: Delimiter = ',';
  for (const d of [',', ';', '\t', '|'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

export function decodeHead(head: Buffer, encoding?: FileEncoding): { text: string; encoding: FileEncoding } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { text: head.subarray(3).toString('utf8'), encoding: 'utf8' };
  if (head[0] === 0xff && head[1] === 0xfe) return { text: head.subarray(2).toString('utf16le'), encoding: 'utf16le' };
  const enc = encoding ?? 'utf8';
  return { text: head.toString(enc), encoding: enc };
}

function parseHeader(line: string, delimiter: Delimiter): string[] {
  const rows = parse(line, { delimiter, relax_quotes: true, relax_column_count: true, to_line: 1 }) as string[][];
  return (rows[0] ?? []).map((h) => h.trim());
}

/**
 * The format whose columns best explain the header: every required column must be present, as
 * must every `detect` name; among candidates the one with most matched columns (plus detect
 * names) wins, ties going to the format declared first.
 */
export function detectFormat(mapping: CsvMapping, header: readonly string[]): string | undefined {
  const present = new Set(header.map(headerKey));
  let best: { name: string; score: number } | undefined;
  for (const [name, format] of Object.entries(mapping.formats)) {
    const detect = format.detect ?? [];
    if (!detect.every((d) => present.has(headerKey(d)))) continue;
    const columns = resolveColumns(format, header);
    if (missingColumns(format, columns).length > 0) continue;
    const score = Object.keys(columns.index).length + detect.length;
    if (!best || score > best.score) best = { name, score };
  }
  return best?.name;
}

/** Reads a file's header, sniffs its layout and resolves its format (explicit or detected). */
export function planFile(path: string, mapping: CsvMapping, explicitFormat?: string, timeZone?: string): FilePlan {
  const absolute = resolve(path);
  const head = readHead(absolute);
  const stat = statSync(absolute);
  const name = basename(absolute);
  const explicit = explicitFormat !== undefined ? mapping.formats[explicitFormat] : undefined;
  if (explicitFormat !== undefined && !explicit) resolveFormat(mapping, explicitFormat); // throws the "not defined" message
  const decoded = decodeHead(head, explicit?.encoding);
  const headerLine = firstRecordText(decoded.text);
  if (headerLine.trim() === '') throw new ConfigError(`CSV file ${absolute} is empty: expected a header row naming the columns.`);
  const delimiter = explicit?.delimiter && explicit.delimiter !== 'auto' ? explicit.delimiter : sniffDelimiter(headerLine);
  const header = parseHeader(headerLine, delimiter);
  const formatName = explicitFormat ?? detectFormat(mapping, header);
  if (formatName === undefined) {
    throw new ConfigError(
      `CSV file ${absolute}: its header matches no format in the CSV mapping (header: ${header.map((h) => `"${h}"`).join(', ')}). ` +
      `Name the format explicitly (known: ${Object.keys(mapping.formats).join(', ')}), or add a format under formats: in mappings/csv.yaml whose columns name these headers.`,
    );
  }
  const format = resolveFormat(mapping, formatName, timeZone);
  // A format chosen explicitly may still declare its own delimiter/encoding; a detected one too.
  const fileDelimiter = format.format.delimiter && format.format.delimiter !== 'auto' ? format.format.delimiter : delimiter;
  const fileHeader = fileDelimiter === delimiter ? header : parseHeader(headerLine, fileDelimiter);
  const columns = resolveColumns(format.format, fileHeader);
  const missing = missingColumns(format.format, columns);
  if (missing.length > 0) {
    throw new ConfigError(
      `CSV file ${absolute} (format ${formatName}): the header lacks ${missing.join('; ')}. ` +
      `Header: ${fileHeader.map((h) => `"${h}"`).join(', ')}. Set formats.${formatName}.columns.<key> in mappings/csv.yaml to the file's column name.`,
    );
  }
  return {
    path: absolute,
    name,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    delimiter: fileDelimiter,
    encoding: format.format.encoding ?? decoded.encoding,
    header: fileHeader,
    format,
    columns,
  };
}
