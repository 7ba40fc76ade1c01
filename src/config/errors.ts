import type { z } from 'zod';
import { nearestName } from './nearest-name.js';

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

/**
 * "mapping file mappings/hubspot.yaml: contacts.fields.email: expected a string" — one line per
 * issue. With the schema, an unknown key gets the nearest key allowed there ("windowDay"; did
 * you mean "windowDays"?).
 */
export function describeZodError(where: string, error: z.ZodError, describePath?: (path: readonly PropertyKey[]) => string, schema?: z.ZodType): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? (describePath?.(issue.path) ?? issue.path.join('.')) : '(top level)';
    return `  - ${path}: ${issue.message}${issue.code === 'unrecognized_keys' && schema ? suggestKeys(issue.keys, keysAt(schema, issue.path)) : ''}`;
  });
  return `${where} is not valid:\n${lines.join('\n')}`;
}

function suggestKeys(unknown: readonly string[], allowed: readonly string[]): string {
  const hints = unknown.flatMap((k) => {
    const near = nearestName(k, allowed);
    return near ? [`"${near}"`] : [];
  });
  return hints.length > 0 ? `; did you mean ${hints.join(', ')}?` : '';
}

/** The keys an object schema allows at `path` (through optional, default, pipe, lazy, array, record and union). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let nodes: z.core.$ZodType[] = [schema];
  for (const step of [...path, null]) {
    const next: z.core.$ZodType[] = [];
    const objects: Array<Record<string, z.core.$ZodType>> = [];
    const seen = new Set<z.core.$ZodType>();
    const unwrap = (node: z.core.$ZodType): void => {
      if (seen.has(node)) return;
      seen.add(node);
      const def = node._zod.def as unknown as Record<string, unknown> & { type: string };
      switch (def.type) {
        case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'catch': case 'nonoptional':
          return unwrap(def.innerType as z.core.$ZodType);
        case 'pipe': {
          // z.preprocess is a pipe from a transform: the keys are those of the schema after it.
          const input = def.in as z.core.$ZodType;
          return unwrap(input._zod.def.type === 'transform' ? (def.out as z.core.$ZodType) : input);
        }
        case 'lazy':
          return unwrap((def.getter as () => z.core.$ZodType)());
        case 'union':
          return (def.options as z.core.$ZodType[]).forEach(unwrap);
        case 'object':
          objects.push(def.shape as Record<string, z.core.$ZodType>);
          return;
        case 'array':
          if (typeof step === 'number') next.push(def.element as z.core.$ZodType);
          return;
        case 'record':
          if (step !== null) next.push(def.valueType as z.core.$ZodType);
          return;
        default:
      }
    };
    nodes.forEach(unwrap);
    if (step === null) return [...new Set(objects.flatMap((shape) => Object.keys(shape)))];
    for (const shape of objects) if (typeof step === 'string' && shape[step]) next.push(shape[step]);
    nodes = next;
  }
  return [];
}

export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: string,
  describePath?: (path: readonly PropertyKey[]) => string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(describeZodError(where, result.error, describePath, schema));
  return result.data;
}
