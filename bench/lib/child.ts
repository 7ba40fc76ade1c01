/**
 * Children of a bench and their input files: runChild runs one measurement in a fresh Node process
 * (the bench's own file with `args`), so its maxRSS is its own, and resolves with the one message
 * the child sends back; the inputs travel as raw typed-array files.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function runChild<T>(benchUrl: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = fork(fileURLToPath(benchUrl), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let result: T | undefined;
    p.on('message', (m) => (result = m as T));
    p.on('error', reject);
    p.on('exit', (code, signal) => (result !== undefined ? resolve(result) : reject(new Error(`child ${args.join(' ')} exited with ${signal ?? code}`))));
  });
}

/** A typed array's bytes, to write a child's input file. */
export const bytes = (a: Int32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A view on a file's bytes (no second copy, so the RSS after loading is the input's own). */
export function readFloat64(path: string): Float64Array {
  const b = readFileSync(path);
  return b.byteOffset % 8 === 0 ? new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8) : new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function readInt32(path: string): Int32Array {
  const b = readFileSync(path);
  return b.byteOffset % 4 === 0 ? new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4) : new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
