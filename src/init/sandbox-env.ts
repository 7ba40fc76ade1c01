import type { ConnectorDescriptor } from '../domain/connector.js';

const URL_PLACEHOLDER = 'http://sandbox.invalid';

/**
 * When init is pointed at `segsync sandbox` (a platform's values are its emulator's fixed, public
 * credentials), the .env also gets the other lines the sandbox prints for that platform: without
 * them segsync paces itself for the real platform against an emulator (a bulk export polled once
 * a minute makes the first sync take a quarter of an hour). Values init was given win.
 */
export function sandboxEnv(
  platforms: readonly string[],
  values: Readonly<Record<string, string>>,
  registry: readonly ConnectorDescriptor<never>[],
): { values: Record<string, string>; added: string[]; platforms: string[] } {
  const extra: Record<string, string> = {};
  const matched: string[] = [];
  for (const descriptor of registry) {
    if (!platforms.includes(descriptor.id) || !descriptor.emulator) continue;
    const lines = descriptor.emulator.env(URL_PLACEHOLDER);
    // The variable that turns the platform on holds the emulator's public credential: the sandbox.
    const credential = lines[descriptor.enabledBy];
    if (credential === undefined || values[descriptor.enabledBy] !== credential) continue;
    matched.push(descriptor.id);
    for (const [name, value] of Object.entries(lines)) {
      if (values[name] === undefined && !value.includes(URL_PLACEHOLDER)) extra[name] = value;
    }
  }
  return { values: extra, added: Object.keys(extra), platforms: matched };
}

export const DEFAULT_SANDBOX_URL = 'http://127.0.0.1:4010';

/**
 * The sandbox's own URL, read back from the environment lines `segsync sandbox` prints (e.g.
 * HUBSPOT_BASE_URL=http://127.0.0.1:4010/hubspot → http://127.0.0.1:4010); the default port on
 * loopback when none of them is set.
 */
export function sandboxUrlFrom(env: Readonly<Record<string, string | undefined>>, registry: readonly ConnectorDescriptor<never>[]): string {
  for (const descriptor of registry) {
    for (const [name, value] of Object.entries(descriptor.emulator?.env(URL_PLACEHOLDER) ?? {})) {
      if (!value.startsWith(URL_PLACEHOLDER)) continue;
      const suffix = value.slice(URL_PLACEHOLDER.length);
      const set = env[name]?.trim().replace(/\/+$/, '');
      if (set && suffix && set.endsWith(suffix)) return set.slice(0, set.length - suffix.length);
    }
  }
  return DEFAULT_SANDBOX_URL;
}
