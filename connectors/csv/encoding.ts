import { isAscii, isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Which text encoding a file is in, decided before a row is read, so that no byte is ever
 * decoded into U+FFFD (the replacement character, which loses the original letter for good).
 *
 * - a byte order mark decides (UTF-8, UTF-16LE, UTF-16BE);
 * - else a declared encoding (the format's `encoding:` or `--encoding`) decides, unless the file
 *   is valid UTF-8 with multi-byte characters: then the declaration is refused (it would turn é
 *   into Ã©), and a file that has some is read as declared with a warning counting them;
 * - else a file that is valid UTF-8 is UTF-8;
 * - else a file that has valid multi-byte UTF-8 characters next to bytes that are not UTF-8
 *   mixes encodings (rows in Latin-1 added to a UTF-8 file): refused, no guess is certain;
 * - else the bytes are sniffed: Windows-1252 or ISO-8859-1 when they read as Western European
 *   text, otherwise the file is refused with the reason, the first bad byte's row and the option.
 *
 * Windows-1252 and ISO-8859-1 agree on every byte except 0x80–0x9F, which are printable in
 * Windows-1252 (€ ‚ „ … ‘ ’ “ ” – — ™ …) and control codes, never text, in ISO-8859-1. Both are
 * decoded the same way (as browsers do, following the WHATWG Encoding Standard), so a declared
 * `latin1` file with a € sign is read correctly. Node's own TextDecoder('windows-1252') decodes
 * 0x80–0x9F as control codes (as ISO-8859-1), so the table below does it instead.
 */

/** The canonical names segsync decodes; any other WHATWG label goes through TextDecoder. */
export type EncodingName = string;

export interface EncodingDecision {
  /** Canonical name: utf-8, utf-16le, utf-16be, windows-1252, iso-8859-1, or another WHATWG encoding name. */
  name: EncodingName;
  /** Bytes of byte order mark to skip. */
  bomBytes: number;
  /** How it was decided, for the summary. */
  how: 'bom' | 'declared' | 'utf-8' | 'sniffed';
  /** Why, when sniffed (e.g. which bytes told Windows-1252 apart). */
  note?: string;
}

/** Valid multi-byte UTF-8 characters in a file: how many, and the first one and where it is. */
export interface Utf8Characters {
  count: number;
  /** Byte offset of the first. */
  offset: number;
  /** The first, decoded. */
  first: string;
  /** Its bytes, to show what a declared encoding would make of them. */
  bytes: Uint8Array;
}

/** A file whose encoding cannot be told: the reason and where the first byte that is not UTF-8 is. */
export interface EncodingProblem {
  /**
   * unknown: the bytes read as no encoding segsync can be sure of; mixed: valid UTF-8 characters
   * next to bytes that are not UTF-8; declared-over-utf8: the file is valid UTF-8 with multi-byte
   * characters, but another encoding is declared.
   */
  kind: 'unknown' | 'mixed' | 'declared-over-utf8';
  reason: string;
  /** Byte offset of the first byte that is not valid in the encoding tried. */
  offset: number;
  byte: number;
  /** The offset is only where the read chunk holding the bad byte starts (TextDecoder does not say where it failed). */
  near?: boolean;
  /** For mixed and declared-over-utf8: the UTF-8 characters found. */
  utf8?: Utf8Characters;
}

/** Count of U+FFFD characters already in a UTF-8 file (text lost before it was exported). */
export interface ScanResult {
  decision?: EncodingDecision;
  problem?: EncodingProblem;
  replacementChars: number;
  replacementOffset: number;
  /** A declared encoding read over a file that has valid multi-byte UTF-8 characters (not all of it UTF-8): they, for a warning. */
  utf8Characters?: Utf8Characters;
}

const CHUNK = 1024 * 1024;

/** WHATWG windows-1252 for 0x80–0x9F; the five bytes it leaves undefined map to the same control code. */
const CP1252_C1 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];
const CP1252_UNDEFINED = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);
/** 0x80–0x9F bytes that may sit between two letters in Windows-1252 text: the letters ƒ Š Œ Ž š œ ž Ÿ, the apostrophe ’ and the dashes – —. */
const CP1252_IN_WORD = new Set([0x83, 0x8a, 0x8c, 0x8e, 0x9a, 0x9c, 0x9e, 0x9f, 0x92, 0x96, 0x97]);
const HAS_C1 = /[\u0080-\u009f]/;
const C1_CHARS = /[\u0080-\u009f]/g;

/**
 * The canonical name of an encoding label ("utf8", "UTF-8", "latin1", "cp1252", "shift_jis"...),
 * or undefined when Node cannot decode it.
 */
export function canonicalEncoding(label: string): EncodingName | undefined {
  const l = label.trim().toLowerCase().replace(/_/g, '-');
  const aliases: Record<string, string> = {
    utf8: 'utf-8', utf16le: 'utf-16le', 'utf-16': 'utf-16le', utf16be: 'utf-16be', ucs2: 'utf-16le', 'ucs-2': 'utf-16le',
    cp1252: 'windows-1252', latin1: 'iso-8859-1', 'latin-1': 'iso-8859-1', 'iso-8859-1': 'iso-8859-1', iso88591: 'iso-8859-1',
  };
  if (aliases[l]) return aliases[l];
  try {
    const name = new TextDecoder(label.trim()).encoding;
    return name === 'windows-1252' && l.includes('8859') ? 'iso-8859-1' : name;
  } catch {
    return undefined;
  }
}

/** A display name: "Windows-1252", "ISO-8859-1", "UTF-8", "shift_jis". */
export function encodingLabel(name: EncodingName): string {
  const labels: Record<string, string> = {
    'utf-8': 'UTF-8', 'utf-16le': 'UTF-16LE', 'utf-16be': 'UTF-16BE', 'windows-1252': 'Windows-1252', 'iso-8859-1': 'ISO-8859-1',
  };
  return labels[name] ?? name;
}

function bomOf(head: Uint8Array): EncodingDecision | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { name: 'utf-8', bomBytes: 3, how: 'bom' };
  if (head[0] === 0xff && head[1] === 0xfe) return { name: 'utf-16le', bomBytes: 2, how: 'bom' };
  if (head[0] === 0xfe && head[1] === 0xff) return { name: 'utf-16be', bomBytes: 2, how: 'bom' };
  return undefined;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence; `length` when all is valid (an incomplete tail counts as valid). */
export function firstInvalidUtf8(b: Uint8Array, from = 0): number {
  const n = b.length;
  let i = from;
  while (i < n) {
    if (b[i]! < 0x80) { i++; continue; }
    const length = utf8SequenceAt(b, i);
    if (length === -1) return n; // incomplete at the end of this buffer
    if (length === 0) return i;
    i += length;
  }
  return n;
}

/** Where a possibly incomplete UTF-8 sequence starts at the end of `b` (b.length when none). */
function incompleteTail(b: Uint8Array): number {
  const n = b.length;
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const c = b[i]!;
    if (c < 0x80) return n;
    if (c >= 0xc0) {
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return i + need > n ? i : n;
    }
  }
  return n;
}

/** The length (2–4) of the valid multi-byte UTF-8 character at `i`; 0 when the bytes there are not one; -1 when `b` ends inside it. */
function utf8SequenceAt(b: Uint8Array, i: number): number {
  const c = b[i]!;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) need = 1;
  else if (c >= 0xe0 && c <= 0xef) { need = 2; if (c === 0xe0) lo = 0xa0; else if (c === 0xed) hi = 0x9f; }
  else if (c >= 0xf0 && c <= 0xf4) { need = 3; if (c === 0xf0) lo = 0x90; else if (c === 0xf4) hi = 0x8f; }
  else return 0;
  for (let k = 1; k <= need; k++) {
    if (i + k >= b.length) return -1;
    const t = b[i + k]!;
    if (k === 1 ? t < lo || t > hi : t < 0x80 || t > 0xbf) return 0;
  }
  return need + 1;
}

/** Counts the valid multi-byte UTF-8 characters of a file (after `skip` bytes), stepping over bytes that are not UTF-8. */
export function scanUtf8Characters(path: string, skip = 0): Utf8Characters {
  const found: Utf8Characters = { count: 0, offset: -1, first: '', bytes: new Uint8Array(0) };
  let carry: Buffer = Buffer.alloc(0);
  eachChunk(path, (chunk, offset) => {
    const start = offset - carry.length;
    const b = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let i = offset === 0 ? skip : 0;
    carry = Buffer.alloc(0);
    while (i < b.length) {
      if (b[i]! < 0x80) { i++; continue; }
      const n = utf8SequenceAt(b, i);
      if (n === -1) { carry = Buffer.from(b.subarray(i)); break; }
      if (n === 0) { i++; continue; }
      if (found.count === 0) {
        found.offset = start + i;
        found.bytes = Uint8Array.from(b.subarray(i, i + n));
        found.first = Buffer.from(found.bytes).toString('utf8');
      }
      found.count++;
      i += n;
    }
  });
  return found;
}

/** Reads a file in chunks, synchronously (the decision comes before the import starts). */
function eachChunk(path: string, visit: (chunk: Buffer, offset: number) => boolean | void): void {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK);
    let offset = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, offset);
      if (n === 0) return;
      if (visit(buffer.subarray(0, n), offset) === false) return;
      offset += n;
    }
  } finally {
    closeSync(fd);
  }
}

const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);

/** Whether the whole file is valid UTF-8 (after `skip` bytes), and where it first is not; counts U+FFFD already in it. */
function scanUtf8(path: string, skip: number): { invalidAt: number; byte: number; replacementChars: number; replacementOffset: number; ascii: boolean } {
  let carry: Buffer = Buffer.alloc(0);
  let ascii = true;
  let invalidAt = -1;
  let byte = 0;
  let replacementChars = 0;
  let replacementOffset = -1;
  let size = 0;
  eachChunk(path, (chunk, offset) => {
    size = offset + chunk.length;
    const start = offset - carry.length;
    const b = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const from = offset === 0 ? skip : 0;
    const cut = incompleteTail(b);
    if (ascii && !isAscii(b.subarray(from))) ascii = false;
    if (!isUtf8(b.subarray(from, cut))) {
      const at = firstInvalidUtf8(b, from);
      invalidAt = start + at;
      byte = b[at]!;
      return false;
    }
    for (let at = b.indexOf(REPLACEMENT, from); at >= 0 && at < cut; at = b.indexOf(REPLACEMENT, at + 3)) {
      if (replacementOffset < 0) replacementOffset = start + at;
      replacementChars++;
    }
    carry = Buffer.from(b.subarray(cut));
  });
  if (invalidAt < 0 && carry.length > 0) {
    // The file ends inside a multi-byte sequence.
    invalidAt = size - carry.length;
    byte = carry[0]!;
  }
  return { invalidAt, byte, replacementChars, replacementOffset, ascii };
}

interface SingleByteStats {
  c1: number;
  undefinedAt: number;
  nulAt: number;
  /** Runs of consecutive bytes ≥ 0x80, and those that do not look like Western European text. */
  runs: number;
  oddRuns: number;
  firstOddAt: number;
}

const isAsciiLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/**
 * What the bytes ≥ 0x80 of a file that is not UTF-8 look like. Western European text puts at
 * most two such characters together (Größe, façade), and the 0x80–0x9F punctuation of
 * Windows-1252 (“ ” • … ‰) stands between words, not between two letters (the apostrophe ’ and
 * the dashes – — aside). Shift-JIS, GBK, Big5 and the Cyrillic/Greek code pages chain such bytes or put a lead
 * byte between two ASCII letters: those runs are "odd".
 */
function scanSingleByte(path: string): SingleByteStats {
  const s: SingleByteStats = { c1: 0, undefinedAt: -1, nulAt: -1, runs: 0, oddRuns: 0, firstOddAt: -1 };
  let runStart = -1;
  let runLength = 0;
  /** The run is one 0x80–0x9F punctuation byte right after an ASCII letter: odd if a letter follows. */
  let punctAfterLetter = false;
  let before = 0x20;
  const endRun = (after: number) => {
    s.runs++;
    if (runLength >= 3 || (punctAfterLetter && runLength === 1 && isAsciiLetter(after))) {
      s.oddRuns++;
      if (s.firstOddAt < 0) s.firstOddAt = runStart;
    }
    runLength = 0;
  };
  eachChunk(path, (chunk, offset) => {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c < 0x80) {
        if (runLength > 0) endRun(c);
        if (c === 0 && s.nulAt < 0) s.nulAt = offset + i;
        before = c;
        continue;
      }
      if (runLength === 0) {
        runStart = offset + i;
        punctAfterLetter = c <= 0x9f && isAsciiLetter(before) && !CP1252_IN_WORD.has(c);
      }
      runLength++;
      if (c <= 0x9f) {
        s.c1++;
        if (CP1252_UNDEFINED.has(c) && s.undefinedAt < 0) s.undefinedAt = offset + i;
      }
    }
  });
  if (runLength > 0) endRun(0x20);
  return s;
}

/** At most this share of the non-ASCII runs may look odd for a file to be read as Western European text. */
const ODD_SHARE = 0.01;

/**
 * Decides a file's encoding (see the top of this file). `declared` is a canonical name. Reads the
 * whole file once more than the import does; UTF-8 validation runs at memory speed.
 */
export function scanEncoding(path: string, declared?: EncodingName): ScanResult {
  const head = Buffer.alloc(4);
  let headLength = 0;
  eachChunk(path, (chunk) => { headLength = chunk.copy(head, 0, 0, 4); return false; });
  const bom = bomOf(head.subarray(0, headLength));
  const none = { replacementChars: 0, replacementOffset: -1 };
  const decision: EncodingDecision | undefined = bom ?? (declared ? { name: declared, bomBytes: 0, how: 'declared' } : undefined);

  if (decision && decision.name !== 'utf-8') {
    // A declared encoding over UTF-8 text turns each of its letters into two or three (é into Ã©).
    // (UTF-16 is left out: its text is never valid UTF-8 with multi-byte characters.)
    let utf8Characters: Utf8Characters | undefined;
    if (decision.how === 'declared' && !decision.name.startsWith('utf-16')) {
      const utf8 = scanUtf8(path, 0);
      if (!utf8.ascii) {
        const found = scanUtf8Characters(path);
        if (utf8.invalidAt < 0) {
          return {
            problem: { kind: 'declared-over-utf8', reason: 'it is valid UTF-8, with multi-byte characters', offset: found.offset, byte: found.bytes[0] ?? 0, utf8: found },
            ...none,
          };
        }
        if (found.count > 0) utf8Characters = found;
      }
    }
    const also = utf8Characters ? { utf8Characters } : {};
    if (decision.name === 'windows-1252' || decision.name === 'iso-8859-1') return { decision, ...none, ...also };
    const problem = checkWithTextDecoder(path, decision);
    return problem ? { problem, ...none } : { decision, ...none, ...also };
  }
  const utf8 = scanUtf8(path, decision?.bomBytes ?? 0);
  const counts = { replacementChars: utf8.replacementChars, replacementOffset: utf8.replacementOffset };
  if (utf8.invalidAt < 0) return { decision: decision ?? { name: 'utf-8', bomBytes: 0, how: 'utf-8' }, ...counts };
  const at = { offset: utf8.invalidAt, byte: utf8.byte };
  if (decision) {
    return { problem: { kind: 'unknown', reason: `it is not valid UTF-8, though ${decision.how === 'bom' ? 'it starts with a UTF-8 byte order mark' : 'UTF-8 is declared'}`, ...at }, ...counts };
  }

  const s = scanSingleByte(path);
  if (s.nulAt >= 0) {
    return { problem: { kind: 'unknown', reason: 'it has NUL bytes, as UTF-16 without a byte order mark has; declare utf-16le or utf-16be', ...at }, ...counts };
  }
  // Valid UTF-8 characters next to bytes that are not: rows of another encoding added to a UTF-8
  // file (or the reverse). Read as one encoding, some rows would be stored wrongly: no guess is certain.
  const utf8Characters = scanUtf8Characters(path);
  if (utf8Characters.count > 0) {
    return {
      problem: { kind: 'mixed', reason: `it mixes encodings: ${utf8Characters.count} character${utf8Characters.count === 1 ? ' is' : 's are'} UTF-8 and other bytes are not`, ...at, utf8: utf8Characters },
      ...counts,
    };
  }
  if (s.undefinedAt >= 0) {
    return { problem: { kind: 'unknown', reason: `it has bytes that are neither Windows-1252 nor ISO-8859-1 text (0x81, 0x8D, 0x8F, 0x90 or 0x9D; the first at byte ${s.undefinedAt})`, ...at }, ...counts };
  }
  if (s.oddRuns > 0 && s.oddRuns > ODD_SHARE * s.runs) {
    return {
      problem: {
        kind: 'unknown',
        reason: `its non-ASCII bytes do not read as Western European text (${s.oddRuns} of ${s.runs} groups, the first at byte ${s.firstOddAt}, ` +
          'look like a multibyte encoding such as Shift-JIS, GBK or Big5, or another code page)',
        ...at,
      },
      ...counts,
    };
  }
  if (s.c1 > 0) {
    return {
      decision: {
        name: 'windows-1252', bomBytes: 0, how: 'sniffed',
        note: `not UTF-8; ${s.c1} byte${s.c1 === 1 ? '' : 's'} in 0x80–0x9F (such as € ’ “), which are text only in Windows-1252`,
      },
      ...counts,
    };
  }
  return {
    decision: {
      name: 'iso-8859-1', bomBytes: 0, how: 'sniffed',
      note: 'not UTF-8; its accented letters read the same in ISO-8859-1 and Windows-1252',
    },
    ...counts,
  };
}

function checkWithTextDecoder(path: string, decision: EncodingDecision): EncodingProblem | undefined {
  const decoder = new TextDecoder(decision.name, { fatal: true, ignoreBOM: true });
  let problem: EncodingProblem | undefined;
  let first = true;
  eachChunk(path, (chunk, offset) => {
    const from = first ? decision.bomBytes : 0;
    first = false;
    try {
      decoder.decode(chunk.subarray(from), { stream: true });
    } catch {
      problem = { kind: 'unknown', reason: `it is not valid ${encodingLabel(decision.name)}`, offset, byte: chunk[from]!, near: true };
      return false;
    }
  });
  if (!problem) {
    try {
      decoder.decode();
    } catch {
      problem = { kind: 'unknown', reason: `it ends inside a ${encodingLabel(decision.name)} character`, offset: 0, byte: 0 };
    }
  }
  return problem;
}

/**
 * A streaming decoder to text: feed chunks in order, then call with `end` true. Never produces
 * U+FFFD: bytes that are not valid in the encoding throw (the scan has already refused such files).
 */
export function createTextDecoder(decision: EncodingDecision): (chunk: Uint8Array, end?: boolean) => string {
  let skip = decision.bomBytes;
  const strip = (chunk: Uint8Array): Uint8Array => {
    if (skip === 0) return chunk;
    const n = Math.min(skip, chunk.length);
    skip -= n;
    return chunk.subarray(n);
  };
  if (decision.name === 'windows-1252' || decision.name === 'iso-8859-1') {
    return (chunk) => {
      const text = Buffer.from(strip(chunk)).toString('latin1');
      return HAS_C1.test(text) ? text.replace(C1_CHARS, (ch) => String.fromCharCode(CP1252_C1[ch.charCodeAt(0) - 0x80]!)) : text;
    };
  }
  const decoder = new TextDecoder(decision.name, { fatal: true, ignoreBOM: true });
  return (chunk, end = false) => {
    const bytes = strip(chunk);
    return end ? decoder.decode(bytes) : decoder.decode(bytes, { stream: true });
  };
}
