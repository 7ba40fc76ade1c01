import { ConfigError } from '../config/errors.js';
import type { ConnectorDescriptor } from '../domain/connector.js';
import { issuesOf } from '../doctor/check.js';
import { INIT_PLATFORMS, initPlatform, optionKey, type CredentialField, type InitPlatform } from './platforms.js';
import type { Prompter } from './prompt.js';

export const DEFAULT_WINDOW_DAYS = 365;
export const DEFAULT_DB = './data/segsync.db';

/** What `segsync init` was given on the command line (commander's option keys). */
export interface InitFlags {
  force?: boolean;
  yes?: boolean;
  interactive?: boolean;
  platform?: string;
  config: string;
  env: string;
  db?: string;
  windowDays?: number;
  exampleSegments?: boolean;
  json?: boolean;
  [option: string]: unknown;
}

export interface InitAnswers {
  platforms: string[];
  /** Environment variable → value, for the chosen platforms. */
  values: Record<string, string>;
  windowDays: number;
  exampleSegments: boolean;
}

const ALL_IDS = INIT_PLATFORMS.map((p) => p.id);

export function parsePlatforms(raw: string, source: string): string[] {
  const ids = [...new Set(raw.split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter((s) => s !== ''))];
  if (ids.length === 0) throw new ConfigError(`${source}: name at least one platform (${ALL_IDS.join(', ')})`);
  const unknown = ids.filter((id) => !initPlatform(id));
  if (unknown.length > 0) throw new ConfigError(`${source}: unknown platform ${unknown.join(', ')}; use ${ALL_IDS.join(', ')}`);
  return ids;
}

const flagValue = (flags: InitFlags, field: CredentialField): string | undefined => {
  const value = flags[optionKey(field.flag)];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};

/** A value from the flag, else from the environment (which includes ./.env). */
const givenValue = (flags: InitFlags, env: NodeJS.ProcessEnv, field: CredentialField): string | undefined =>
  flagValue(flags, field) ?? (env[field.variable]?.trim() || undefined);

/** Platforms with a value from a flag or the environment: what init sets up when not told which. */
function platformsGiven(flags: InitFlags, env: NodeJS.ProcessEnv): string[] {
  return INIT_PLATFORMS.filter((p) => p.fields.some((f) => givenValue(flags, env, f) !== undefined)).map((p) => p.id);
}

/**
 * A required value nobody gave. A secret is never suggested as a flag: a command line shows in
 * `ps` and stays in shell history; the environment and the (unechoed) question do not.
 */
function missingValue(platform: InitPlatform, field: CredentialField): string {
  if (!field.secret) return `${field.flag} is required for ${platform.displayName} (${field.prompt}); or set ${field.variable} in the environment`;
  return `${field.variable} is required for ${platform.displayName} (${field.prompt}): set ${field.variable} in the environment ` +
    `(e.g. \`read -rs ${field.variable} && export ${field.variable}\`), or run \`segsync init\` on a terminal without --yes to be asked ` +
    `(the answer is not shown). ${field.flag} works too but leaves the secret in \`ps\` and your shell history.`;
}

/**
 * The connector's own parsing of its variables; problems come back per variable, with the flag
 * that sets it, so a bad value is named the way it was given.
 */
export function checkPlatformValues(
  platform: InitPlatform,
  values: Record<string, string>,
  registry: readonly ConnectorDescriptor<never>[],
): Array<{ field: CredentialField; message: string }> {
  const descriptor = registry.find((d) => d.id === platform.id) as ConnectorDescriptor<unknown> | undefined;
  if (!descriptor) return [];
  const env = Object.fromEntries(platform.fields.flatMap((f) => (values[f.variable] !== undefined ? [[f.variable, values[f.variable]]] : [])));
  try {
    descriptor.configFromEnv(env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const byVariable = new Map(platform.fields.map((f) => [f.variable, f]));
    const problems = issuesOf(error.message).flatMap((issue) => {
      const field = byVariable.get(issue.path);
      return field ? [{ field, message: issue.message }] : [];
    });
    if (problems.length === 0) throw error;
    return problems;
  }
}

/**
 * Without prompts: every value from flags (or the environment); a required one missing is a usage
 * error naming how to give it. Without --platform, the platforms whose variables are given (the
 * environment holds the lines `segsync sandbox` printed, or a platform's own).
 */
export function answersFromFlags(flags: InitFlags, env: NodeJS.ProcessEnv, registry: readonly ConnectorDescriptor<never>[]): InitAnswers {
  const platforms = flags.platform !== undefined ? parsePlatforms(flags.platform, '--platform') : platformsGiven(flags, env);
  if (platforms.length === 0) {
    throw new ConfigError(
      `--platform is required: name the platforms to set up (${ALL_IDS.join(', ')}), e.g. --platform hubspot with HUBSPOT_ACCESS_TOKEN ` +
        'set in the environment; or set a platform\'s variables (see .env.example) and init sets up the platforms they name; ' +
        'or run `segsync init` on a terminal without --yes to be asked',
    );
  }
  for (const p of INIT_PLATFORMS) {
    if (platforms.includes(p.id)) continue;
    const stray = p.fields.find((f) => flagValue(flags, f) !== undefined);
    if (stray) throw new ConfigError(`${stray.flag} is for ${p.displayName}, which --platform does not name; add ${p.id} to --platform or drop ${stray.flag}`);
  }
  const values: Record<string, string> = {};
  for (const id of platforms) {
    const platform = initPlatform(id)!;
    for (const field of platform.fields) {
      const value = givenValue(flags, env, field);
      if (value !== undefined) values[field.variable] = value;
      else if (field.required) throw new ConfigError(missingValue(platform, field));
    }
    const problems = checkPlatformValues(platform, values, registry);
    if (problems.length > 0) {
      // Named the way it was given: its flag, or its variable from the environment.
      throw new ConfigError(problems.map((p) => `${flagValue(flags, p.field) !== undefined ? p.field.flag : p.field.variable}: ${p.message}`).join('\n'));
    }
  }
  return {
    platforms,
    values,
    windowDays: flags.windowDays ?? DEFAULT_WINDOW_DAYS,
    exampleSegments: flags.exampleSegments === true,
  };
}

/** Asks until an answer is acceptable: `accept` returns the value, or a message saying what is wrong. */
async function askUntil<T>(prompter: Prompter, question: string, accept: (answer: string) => T | { problem: string }, secret = false): Promise<T> {
  for (;;) {
    const answer = await prompter.ask(question, { secret });
    const result = accept(answer);
    if (result && typeof result === 'object' && 'problem' in result) prompter.say(`  ${result.problem}`);
    else return result as T;
  }
}

/**
 * The interactive path: which platforms, their credentials (secrets not echoed on a terminal),
 * the RFM window and whether to add example rule segments. Values given as flags are not asked.
 */
export async function askAnswers(
  prompter: Prompter,
  flags: InitFlags,
  env: NodeJS.ProcessEnv,
  registry: readonly ConnectorDescriptor<never>[],
): Promise<InitAnswers> {
  const suggested = flags.platform ?? (platformsGiven(flags, env).join(',') || 'hubspot');
  const platforms = await askUntil(prompter, `Platforms to sync (${ALL_IDS.join(', ')}) [${suggested}]: `, (answer) => {
    try {
      return parsePlatforms(answer === '' ? suggested : answer, 'platforms');
    } catch (error) {
      return { problem: (error as Error).message };
    }
  });
  const values: Record<string, string> = {};
  for (const id of platforms) {
    const platform = initPlatform(id)!;
    const ask = async (field: CredentialField) => {
      const known = givenValue(flags, env, field);
      const hint = known === undefined ? '' : field.secret ? ` [keep the one in ${flagValue(flags, field) ? field.flag : field.variable}]` : ` [${known}]`;
      const value = await askUntil(prompter, `${field.prompt}${hint}: `, (answer) => {
        const v = answer === '' ? known : answer;
        if (v !== undefined) return v;
        return field.required ? { problem: `${field.variable} is required for ${platform.displayName}` } : '';
      }, field.secret);
      if (value === '') delete values[field.variable];
      else values[field.variable] = value;
    };
    for (const field of platform.fields) {
      if (field.ask && flagValue(flags, field) === undefined) await ask(field);
      else {
        const value = givenValue(flags, env, field);
        if (value !== undefined) values[field.variable] = value;
      }
    }
    // A value the connector refuses: say why and ask for that one again.
    for (let problems = checkPlatformValues(platform, values, registry); problems.length > 0; problems = checkPlatformValues(platform, values, registry)) {
      for (const { field, message } of problems) {
        prompter.say(`  ${field.variable}: ${message}`);
        if (!field.ask) throw new ConfigError(`${field.flag}: ${message}`);
        values[field.variable] = await askUntil(
          prompter,
          `${field.prompt}: `,
          (answer) => (answer !== '' ? answer : { problem: `${field.variable} is required for ${platform.displayName}` }),
          field.secret,
        );
      }
    }
  }
  const defaultWindow = flags.windowDays ?? DEFAULT_WINDOW_DAYS;
  const windowDays = await askUntil(prompter, `RFM window: purchases of the last how many days count? [${defaultWindow}]: `, (answer) => {
    if (answer === '') return defaultWindow;
    const n = Number(answer);
    return Number.isInteger(n) && n >= 1 && n <= 3650 ? n : { problem: 'a whole number of days from 1 to 3650 (365 is a year)' };
  });
  const defaultExamples = flags.exampleSegments === true;
  const exampleSegments = await askUntil(prompter, `Add example rule segments (recent high spenders, dormant Germans)? [${defaultExamples ? 'Y/n' : 'y/N'}]: `, (answer) => {
    if (answer === '') return defaultExamples;
    if (/^(y|yes)$/i.test(answer)) return true;
    if (/^(n|no)$/i.test(answer)) return false;
    return { problem: 'answer y or n' };
  });
  return { platforms, values, windowDays, exampleSegments };
}
