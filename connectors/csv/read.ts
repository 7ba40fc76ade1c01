import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { parse } from 'csv-parse';
import { createTextDecoder } from './encoding.js';
import { splitWhitespace, type FilePlan } from './sniff.js';

const READ_CHUNK = 256 * 1024;

/**
 * Every record of a file in order (the header row too, when the file has one), as cell strings.
 * UTF-8 goes straight to csv-parse; other encodings are decoded first (never into U+FFFD: the
 * file's encoding was decided from all its bytes before, see encoding.ts). Whitespace-separated
 * files are split line by line (no quoting in that layout). `onBytes` sees every raw chunk (hash,
 * progress). Errors of csv-parse and of the file system pass through for the caller to describe.
 */
export async function* readRecords(plan: FilePlan, onBytes: (chunk: Buffer) => void): AsyncGenerator<string[]> {
  const input = createReadStream(plan.path, { highWaterMark: READ_CHUNK });
  input.on('data', (chunk) => onBytes(chunk as Buffer));
  try {
    if (plan.delimiter === 'whitespace') {
      yield* whitespaceRecords(input, plan);
      return;
    }
    const parser = parse({ delimiter: plan.delimiter, bom: true, relax_column_count: true, relax_quotes: true });
    input.on('error', (error) => parser.destroy(error));
    if (plan.encoding.name === 'utf-8') input.pipe(parser);
    else {
      const decode = createTextDecoder(plan.encoding);
      const toUtf8 = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          try {
            done(null, Buffer.from(decode(chunk), 'utf8'));
          } catch (error) {
            done(error as Error);
          }
        },
        flush(done) {
          try {
            done(null, Buffer.from(decode(new Uint8Array(0), true), 'utf8'));
          } catch (error) {
            done(error as Error);
          }
        },
      });
      toUtf8.on('error', (error) => parser.destroy(error));
      input.pipe(toUtf8).pipe(parser);
    }
    yield* parser as AsyncIterable<string[]>;
  } finally {
    input.destroy();
  }
}

async function* whitespaceRecords(input: AsyncIterable<Buffer>, plan: FilePlan): AsyncGenerator<string[]> {
  const decode = createTextDecoder(plan.encoding);
  let rest = '';
  for await (const chunk of input) {
    const text = rest + decode(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      yield splitWhitespace(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decode(new Uint8Array(0), true);
  if (rest.trim() !== '') yield splitWhitespace(rest);
}
