/**
 * Runs one measurement of a bench in a fresh Node process (the bench's own file with `args`), so
 * its maxRSS is its own, and resolves with the one message the child sends back.
 */
import { fork } from 'node:child_process';
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
