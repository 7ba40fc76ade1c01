import { ConfigError } from '../config/errors.js';
import { mappingKeyLocation, type MappingOrigin } from '../config/mapping-origin.js';
import type { MappingProblem, Source } from '../domain/connector.js';

/**
 * A mapped field the platform does not have, or a mapped value its field never holds. A pull would
 * read it as empty (or as the default) for every record and overwrite what the store holds, so
 * nothing is read or written: a configuration error (exit 2).
 */
export class MappingFieldError extends ConfigError {
  constructor(
    readonly platform: string,
    readonly problems: MappingProblem[],
    readonly detail: string,
    readonly fix: string,
  ) {
    super(`${detail}\nFix: ${fix}`);
    this.name = 'MappingFieldError';
  }
}

/** The problems as lines an admin can act on, and the fix: which key, in which file, to what. */
export function describeMappingProblems(
  platform: string,
  displayName: string,
  problems: readonly MappingProblem[],
  origin: MappingOrigin,
): { detail: string; fix: string } {
  const fields = problems.filter((p) => p.kind !== 'value');
  const values = problems.filter((p) => p.kind === 'value');
  const line = (p: MappingProblem) => {
    const at = mappingKeyLocation(platform, p.key, origin);
    return `  - ${at.key} in ${at.file}: "${p.field}": ${p.problem}${p.suggestion ? `; did you mean "${p.suggestion}"?` : ''}`;
  };
  const details: string[] = [];
  const edits: string[] = [];
  if (fields.length > 0) {
    const count = fields.length;
    details.push(
      `${platform}: the mapping names ${count === 1 ? 'a field' : `${count} fields`} ${displayName} does not have; ` +
        `a pull would read ${count === 1 ? 'it' : 'them'} as empty for every record and blank what the store holds:\n${fields.map(line).join('\n')}`,
    );
    edits.push(...fields.map((p) => {
      const at = mappingKeyLocation(platform, p.key, origin);
      return `set ${at.key} in ${at.file} to a field ${displayName} has${p.suggestion ? ` (e.g. ${p.suggestion})` : ''}`;
    }));
  }
  if (values.length > 0) {
    const count = values.length;
    details.push(
      `${platform}: the mapping lists ${count === 1 ? 'a value' : `${count} values`} ${displayName} never sends for ${count === 1 ? 'its field' : 'their fields'}; ` +
        `records holding the value meant would take the mapping's default instead (every won purchase open, every consent unknown):\n${values.map(line).join('\n')}`,
    );
    edits.push(...values.map((p) => {
      const at = mappingKeyLocation(platform, p.key, origin);
      const section = at.key.slice(0, at.key.length - `.${p.field}`.length);
      return `rename "${p.field}" under ${section} in ${at.file} to a value ${displayName} uses${p.suggestion ? ` (e.g. ${p.suggestion})` : ''}`;
    }));
  }
  return {
    detail: details.join('\n'),
    fix: `${edits.join('; ')}${fields.length > 0 && fields.every((p) => p.creatable) ? `; or create the field on ${displayName} first` : ''}. Then pull again.`,
  };
}

export interface MappingCheckTarget {
  platform: string;
  displayName: string;
  source: Source;
  origin: MappingOrigin;
}

/**
 * Checks a source's mapped fields on its platform; throws MappingFieldError when one is missing.
 * A source without a check (file imports) passes. Errors that say nothing about the fields
 * (refused scopes, the network) propagate as they are.
 */
export async function checkSourceMapping(target: MappingCheckTarget, signal: AbortSignal): Promise<void> {
  if (!target.source.checkMapping) return;
  const problems = await target.source.checkMapping(signal);
  if (problems.length === 0) return;
  const { detail, fix } = describeMappingProblems(target.platform, target.displayName, problems, target.origin);
  throw new MappingFieldError(target.platform, problems, `${detail}\nNothing was pulled or written.`, fix);
}
