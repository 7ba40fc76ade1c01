import { existsSync, statSync } from 'node:fs';
import { CoreEnvSchema, readCoreEnv, type CoreEnv } from '../config/env.js';
import { ConfigError } from '../config/errors.js';
import type { ConnectorDescriptor } from '../domain/connector.js';
import { fail, issuesOf, ok, warn, type Check } from './check.js';

export interface ConfiguredPlatform {
  descriptor: ConnectorDescriptor<never>;
  /** What the descriptor read from the environment; only its own `open` looks inside. */
  config: unknown;
}

export interface EnvironmentResult {
  checks: Check[];
  /** Undefined when SEGSYNC_* did not parse. */
  core: CoreEnv | undefined;
  /** SEGSYNC_DB and SEGSYNC_CONFIG each on its own, so a bad log level does not hide the store and config checks. */
  paths: { db: string | undefined; config: string | undefined };
  /** Platforms whose credential is set and whose variables parse. */
  platforms: ConfiguredPlatform[];
  /** The failed "no platform is configured" line, when it was added: a store of file imports only needs none. */
  noPlatform?: Check;
}

/** HUBSPOT_ for a platform enabled by HUBSPOT_ACCESS_TOKEN. */
const prefixOf = (descriptor: ConnectorDescriptor<never>) => descriptor.enabledBy.slice(0, descriptor.enabledBy.indexOf('_') + 1);

function invalid(error: unknown, fallbackName: string): Check[] {
  const message = error instanceof Error ? error.message : String(error);
  const issues = error instanceof ConfigError ? issuesOf(message) : [];
  if (issues.length === 0) return [fail(`env ${fallbackName}`, message, 'see .env.example for every variable and what it takes')];
  return issues.map((issue) =>
    fail(`env ${issue.path}`, `${issue.path} is not valid: ${issue.message}`, `correct ${issue.path} in .env or the environment (.env.example describes it), or unset it to use the default`),
  );
}

/**
 * Every SEGSYNC_* and platform variable through the same zod parsing the commands use, then
 * which platforms are on. Values are never shown: some are secrets.
 */
export function checkEnvironment(env: NodeJS.ProcessEnv, registry: readonly ConnectorDescriptor<never>[]): EnvironmentResult {
  const checks: Check[] = [];
  let core: CoreEnv | undefined;
  try {
    core = readCoreEnv(env);
  } catch (error) {
    checks.push(...invalid(error, 'SEGSYNC_*'));
  }
  const platforms: ConfiguredPlatform[] = [];
  let noPlatform: Check | undefined;
  const off: string[] = [];
  const unparsed: string[] = [];
  const stray: Check[] = [];
  for (const descriptor of registry) {
    const prefix = prefixOf(descriptor);
    let config: unknown;
    try {
      config = (descriptor as ConnectorDescriptor<unknown>).configFromEnv(env);
    } catch (error) {
      checks.push(...invalid(error, `${prefix}*`));
      unparsed.push(descriptor.displayName);
      continue;
    }
    if (config !== undefined) {
      platforms.push({ descriptor, config });
      continue;
    }
    off.push(`${descriptor.displayName} (set ${descriptor.enabledBy})`);
    const set = Object.keys(env).filter((k) => prefix !== '' && k.startsWith(prefix) && env[k] !== '' && env[k] !== undefined).sort();
    if (set.length > 0) {
      stray.push(
        warn(
          'platforms',
          `${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set but ${descriptor.enabledBy} is not, so ${descriptor.displayName} is off`,
          `set ${descriptor.enabledBy} to turn ${descriptor.displayName} on (see .env.example), or remove the other ${prefix}* variables`,
        ),
      );
    }
  }
  if (checks.length === 0) {
    const names = Object.keys(env)
      .filter((k) => k.startsWith('SEGSYNC_') || registry.some((d) => prefixOf(d) !== '' && k.startsWith(prefixOf(d))))
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .sort();
    checks.push(ok('env', names.length > 0 ? `${names.length} variables set, every one parses (${names.join(', ')})` : 'no segsync variables set; defaults apply'));
  }
  const blocked = unparsed.length > 0 ? `; ${unparsed.join(', ')} not checked until ${unparsed.length === 1 ? 'its' : 'their'} variables parse` : '';
  if (platforms.length > 0) {
    const notOn = off.length > 0 ? `; not configured: ${off.join(', ')}` : '';
    checks.push(ok('platforms', `configured: ${platforms.map((p) => p.descriptor.displayName).join(', ')}${notOn}${blocked}`));
  } else if (unparsed.length === 0) {
    noPlatform = fail(
      'platforms',
      `no platform is configured (${registry.map((d) => d.displayName).join(', ')})`,
      `set ${registry.map((d) => d.enabledBy).join(' or ')} (run \`segsync init\`, or see .env.example), or start the emulators with \`segsync sandbox\``,
    );
    checks.push(noPlatform);
  }
  checks.push(...stray);
  const file = dotEnvCheck('.env');
  if (file) checks.push(file);
  const field = <K extends 'SEGSYNC_DB' | 'SEGSYNC_CONFIG'>(name: K) => {
    const parsed = CoreEnvSchema.shape[name].safeParse(env[name] || undefined);
    return parsed.success ? parsed.data : undefined;
  };
  return {
    checks, core, platforms, paths: { db: core?.SEGSYNC_DB ?? field('SEGSYNC_DB'), config: core?.SEGSYNC_CONFIG ?? field('SEGSYNC_CONFIG') },
    ...(noPlatform ? { noPlatform } : {}),
  };
}

/** ./.env holds credentials: other users should not be able to read it. */
function dotEnvCheck(path: string): Check | undefined {
  if (process.platform === 'win32' || !existsSync(path)) return undefined;
  const mode = statSync(path).mode & 0o777;
  const shown = `0${mode.toString(8)}`;
  if ((mode & 0o077) === 0) return ok('env file', `${path} is readable by its owner only (mode ${shown})`);
  return warn('env file', `${path} holds credentials and other users can read it (mode ${shown})`, `chmod 600 ${path}`);
}
