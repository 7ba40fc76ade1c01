import type { z } from 'zod';

/** The platform answered, but not in a shape we can trust: never guessed at, never retried. */
export class MalformedResponse extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedResponse';
  }
}

/** Parses a 2xx body as JSON and validates it with the call's schema. */
export function parseAnswer<S extends z.ZodType>(text: string, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MalformedResponse(`the answer is not JSON (${text.slice(0, 80)})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedResponse(`unexpected answer shape at ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data as z.output<S>;
}
