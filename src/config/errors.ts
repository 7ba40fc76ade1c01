import type { z } from 'zod';

/** Bad configuration or usage: the CLI exits 2 and prints this message as it is. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Input refused as a whole (an import whose rows are mostly not valid): the CLI exits 1 with this
 * message; nothing of that input was stored.
 */
export class InputRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputRefusedError';
  }
}

/** "mapping file mappings/hubspot.yaml: contacts.fields.email: expected a string" — one line per issue. */
export function describeZodError(where: string, error: z.ZodError, describePath?: (path: readonly PropertyKey[]) => string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? (describePath?.(issue.path) ?? issue.path.join('.')) : '(top level)';
    return `  - ${path}: ${issue.message}`;
  });
  return `${where} is not valid:\n${lines.join('\n')}`;
}

export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: string,
  describePath?: (path: readonly PropertyKey[]) => string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(describeZodError(where, result.error, describePath));
  return result.data;
}
