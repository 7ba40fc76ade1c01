import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { ConfigError } from '../config/errors.js';

/** Questions on one input, answers one line each. */
export interface Prompter {
  /** Resolves with the answer, trimmed; rejects with a ConfigError when the input ends first. */
  ask(question: string, options?: { secret?: boolean }): Promise<string>;
  say(text: string): void;
  close(): void;
}

/** Passes writes through, except while muted: readline's echo of a secret goes nowhere. */
class MutableOutput extends Writable {
  muted = false;
  constructor(private readonly target: NodeJS.WritableStream) {
    super();
  }
  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.muted) this.target.write(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    callback();
  }
}

/**
 * Reads answers line by line through readline's async iterator, which buffers: answers piped in
 * all at once (tests, `printf ... | segsync init --interactive`) are not lost between questions,
 * as they would be with rl.question. On a terminal, secrets are read with the echo muted.
 */
export function createPrompter(input: NodeJS.ReadableStream & { isTTY?: boolean }, output: NodeJS.WritableStream & { isTTY?: boolean }): Prompter {
  const terminal = input.isTTY === true && output.isTTY === true;
  const echo = new MutableOutput(output);
  const rl = createInterface({ input, output: echo, terminal });
  // Ctrl-C at a prompt: nothing has been written yet, so stopping is always safe.
  rl.on('SIGINT', () => {
    output.write('\n');
    process.exit(130);
  });
  const lines = rl[Symbol.asyncIterator]();
  return {
    async ask(question, options = {}) {
      output.write(question);
      echo.muted = options.secret === true && terminal;
      try {
        const next = await lines.next();
        if (next.done) throw new ConfigError(`the input ended before "${question.trim()}" was answered; nothing was written`);
        return String(next.value).trim();
      } finally {
        // Nothing echoed the answer (a secret, or answers piped in): end the prompt's line here.
        if (echo.muted || !terminal) output.write('\n');
        echo.muted = false;
      }
    },
    say(text) {
      output.write(`${text}\n`);
    },
    close() {
      rl.close();
    },
  };
}
