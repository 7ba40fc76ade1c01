import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalEncoding, createTextDecoder, firstInvalidUtf8, scanEncoding, scanUtf8Characters } from '../../connectors/csv/encoding.js';

const file = (content: Buffer | string): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'segsync-encoding-')), 'f.csv');
  writeFileSync(path, content);
  return path;
};

describe('text encodings of CSV files', () => {
  it('a UTF-8 file stays UTF-8, also when a character straddles the 1 MiB read boundary', () => {
    const filler = 'a'.repeat(1024 * 1024 - 1);
    const path = file(`${filler}é,ü\n`); // "é" is bytes 1,048,575 and 1,048,576
    expect(scanEncoding(path).decision).toMatchObject({ name: 'utf-8', how: 'utf-8' });
  });

  it('a file cut inside a UTF-8 character is not UTF-8', () => {
    const path = file(Buffer.concat([Buffer.from('name\nJos'), Buffer.from([0xc3])]));
    const scan = scanEncoding(path, 'utf-8');
    expect(scan.decision).toBeUndefined();
    expect(scan.problem).toMatchObject({ offset: 8, byte: 0xc3 });
  });

  it('finds the first byte that is not UTF-8 (overlong, surrogate and stray continuation bytes included)', () => {
    expect(firstInvalidUtf8(Buffer.from('José'))).toBe(5);
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xc0, 0x80]))).toBe(1); // overlong
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xed, 0xa0, 0x80]))).toBe(1); // UTF-16 surrogate
    expect(firstInvalidUtf8(Buffer.from([0x41, 0x42, 0x80]))).toBe(2);
    expect(firstInvalidUtf8(Buffer.from([0x4a, 0xe9, 0x2c]))).toBe(1); // Latin-1 é then a comma
  });

  it('decodes every Windows-1252 byte as the WHATWG standard does (Node\'s own decoder reads 0x80–0x9F as control codes)', () => {
    const decode = createTextDecoder({ name: 'windows-1252', bomBytes: 0, how: 'declared' });
    expect(decode(Buffer.from([0x80, 0x20, 0x92, 0x93, 0x94, 0x96, 0x97, 0x85, 0x99, 0x8a, 0x9f]))).toBe('€ ’“”–—…™ŠŸ');
    expect(decode(Buffer.from([0xe9, 0xfc, 0xdf, 0xa0]))).toBe('éüß\u00a0');
    // An ISO-8859-1 file is read the same way: its 0xA0–0xFF are the same characters.
    expect(createTextDecoder({ name: 'iso-8859-1', bomBytes: 0, how: 'sniffed' })(Buffer.from([0x4a, 0xe9]))).toBe('Jé');
  });

  it('reads UTF-16 with a byte order mark, big- or little-endian, a character split across chunks included', () => {
    const text = 'Name,City\nJosé,Málaga\n';
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
    const scan = scanEncoding(file(be));
    expect(scan.decision).toMatchObject({ name: 'utf-16be', bomBytes: 2, how: 'bom' });
    const decode = createTextDecoder(scan.decision!);
    expect(decode(be.subarray(0, 7)) + decode(be.subarray(7)) + decode(new Uint8Array(0), true)).toBe(text);
  });

  it('names encodings the way the mapping and --encoding take them', () => {
    expect(canonicalEncoding('UTF8')).toBe('utf-8');
    expect(canonicalEncoding('latin1')).toBe('iso-8859-1');
    expect(canonicalEncoding('cp1252')).toBe('windows-1252');
    expect(canonicalEncoding('Shift_JIS')).toBe('shift_jis');
    expect(canonicalEncoding('utf16le')).toBe('utf-16le');
    expect(canonicalEncoding('klingon')).toBeUndefined();
  });

  it('sniffs Windows-1252 from its 0x80–0x9F punctuation, ISO-8859-1 without it, and refuses what reads as neither', () => {
    expect(scanEncoding(file(Buffer.from('Name\nJos\xe9 Garc\xeda\n', 'latin1'))).decision).toMatchObject({ name: 'iso-8859-1', how: 'sniffed' });
    expect(scanEncoding(file(Buffer.from('Name\nO\x92Brien \x80 5, \x93quoted\x94, em\x97dash\n', 'latin1'))).decision).toMatchObject({ name: 'windows-1252', how: 'sniffed' });
    // Cyrillic Windows-1251 ("Иван Петров"): letters chained as in no Western text.
    expect(scanEncoding(file(Buffer.from([0x4e, 0x0a, 0xc8, 0xe2, 0xe0, 0xed, 0x20, 0xcf, 0xe5, 0xf2, 0xf0, 0xee, 0xe2, 0x0a]))).problem?.reason).toMatch(/do not read as Western European text/);
    // UTF-16 without a byte order mark.
    expect(scanEncoding(file(Buffer.from('Name\nJosé\n', 'utf16le'))).problem?.reason).toMatch(/NUL bytes/);
  });

  it('a file with valid UTF-8 characters next to bytes that are not is mixed: refused, not sniffed as Latin-1', () => {
    const mixed = Buffer.concat([Buffer.from('Name\nJosé Muñoz\n', 'utf8'), Buffer.from('J\xe9r\xf4me\n', 'latin1')]);
    const scan = scanEncoding(file(mixed));
    expect(scan.decision).toBeUndefined();
    expect(scan.problem).toMatchObject({ kind: 'mixed', offset: 19, byte: 0xe9, utf8: { count: 2, offset: 8, first: 'é' } });
    // Declared, it is read as declared, and the UTF-8 characters are counted for a warning.
    expect(scanEncoding(file(mixed), 'windows-1252')).toMatchObject({ decision: { name: 'windows-1252', how: 'declared' }, utf8Characters: { count: 2, first: 'é' } });
  });

  it('an encoding declared over a file that is valid UTF-8 with multi-byte characters is refused; over plain ASCII it is fine', () => {
    expect(scanEncoding(file('Name\nJosé\n'), 'windows-1252').problem).toMatchObject({ kind: 'declared-over-utf8', utf8: { count: 1, first: 'é', offset: 8 } });
    expect(scanEncoding(file('Name\nJosé\n'), 'shift_jis').problem).toMatchObject({ kind: 'declared-over-utf8' });
    expect(scanEncoding(file('Name\nJose\n'), 'windows-1252')).toMatchObject({ decision: { name: 'windows-1252', how: 'declared' } });
    expect(scanUtf8Characters(file(Buffer.from([0x61, 0xc3, 0xa9, 0xe9, 0xe2, 0x82, 0xac, 0x62])))).toMatchObject({ count: 2, offset: 1, first: 'é' });
  });
});
