/**
 * Keeps credentials out of logs, two ways: by key (a field named like a credential is censored
 * whatever it holds) and by value (the actual secrets this process knows are masked wherever they
 * turn up: a message, an error's message or stack, a response body quoted in an ApiError).
 * Keys alone miss a token quoted inside a string; values alone miss a credential we were never told.
 */

export const REDACTED = '[redacted]';

/** Shorter values are too likely to occur by chance ("true", a port) to be masked everywhere. */
export const MIN_SECRET_LENGTH = 8;

/** Field names that hold credentials, compared case-insensitively at any depth. */
const SECRET_KEYS = [
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'token',
  'clientSecret',
  'client_secret',
  'secret',
  'authorization',
  'proxy-authorization',
  'x-shopify-access-token',
  'x-api-key',
  'apiKey',
  'api_key',
  'password',
  'cookie',
  'set-cookie',
  'webhookUrl',
  'webhook_url',
] as const;
const SECRET_KEY_SET = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));

/** Environment variables that hold credentials besides the `*TOKEN`/`*SECRET`/... naming rule. */
const SECRET_ENV_NAMES = ['HUBSPOT_ACCESS_TOKEN', 'MARKETO_CLIENT_ID', 'MARKETO_CLIENT_SECRET', 'SHOPIFY_ACCESS_TOKEN'] as const;
const SECRET_ENV_PATTERN = /(?:TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIALS|WEBHOOK_URL)$/i;

const pathKey = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`);

/**
 * pino `redact` paths for the keys above, at the top level and one or two levels down (pino's
 * paths cannot say "any depth"; `redactValue` covers deeper ones before pino sees the object).
 */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => {
  const k = pathKey(key);
  return [k.startsWith('.') ? k.slice(1) : k, `*${k}`, `*.*${k}`];
});

export function isSecretKey(key: string): boolean {
  return SECRET_KEY_SET.has(key.toLowerCase());
}

/**
 * The secret values in an environment: the platforms' credentials, any variable named like a
 * credential, and the password of any URL (a database or proxy URL can carry one).
 */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const found = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if ((SECRET_ENV_NAMES as readonly string[]).includes(name) || SECRET_ENV_PATTERN.test(name)) found.add(value.trim());
    const password = urlPassword(value);
    if (password) found.add(password);
  }
  return [...found].filter((v) => v.length >= MIN_SECRET_LENGTH);
}

function urlPassword(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/\s]*@/i.test(value)) return undefined;
  try {
    const url = new URL(value);
    return url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Secrets learnt at run time (Marketo's access token, about one an hour); process-wide, since any
 * logger may meet them. Only the newest few are kept: older tokens have expired, and a daemon
 * running for months must not scan thousands of them on every line.
 */
const runtimeSecrets = new Set<string>();
const MAX_RUNTIME_SECRETS = 16;

export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  runtimeSecrets.delete(value);
  runtimeSecrets.add(value);
  while (runtimeSecrets.size > MAX_RUNTIME_SECRETS) runtimeSecrets.delete(runtimeSecrets.values().next().value!);
}

export function registeredSecrets(): readonly string[] {
  return [...runtimeSecrets];
}

/** Masks the environment's secrets and the runtime ones in text that is stored or shown (run errors, alerts). */
export function maskSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return redactText(text, [...secretValues(env), ...runtimeSecrets]);
}

/** Replaces every occurrence of each secret (as written, and as escaped inside a JSON string). */
export function redactText(text: string, secrets: Iterable<string>): string {
  let out = text;
  // Longest first, so a secret that contains another is masked whole.
  const sorted = [...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  for (const secret of sorted) {
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])) {
      if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
  }
  return out;
}

const MAX_DEPTH = 10;

/**
 * A copy of `value` fit to log: credential-named fields censored at any depth, secrets masked in
 * every string. Errors stay errors (same prototype, so pino still serializes them as errors).
 */
export function redactValue(value: unknown, secrets: readonly string[]): unknown {
  return walk(value, secrets, new WeakSet(), 0);
}

function walk(value: unknown, secrets: readonly string[], ancestors: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (value instanceof Date || ArrayBuffer.isView(value)) return value;
  if (value instanceof URL) {
    const copy = new URL(value.href);
    if (copy.password) copy.password = 'redacted';
    return redactText(copy.href, secrets);
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => walk(v, secrets, ancestors, depth + 1));
    if (value instanceof Error) return redactError(value, secrets, ancestors, depth);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    // A URL, or anything that decides its own JSON form: redact that form.
    if (typeof toJSON === 'function') return walk(toJSON.call(value), secrets, ancestors, depth + 1);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = isSecretKey(key) ? REDACTED : walk(v, secrets, ancestors, depth + 1);
    return out;
  } finally {
    ancestors.delete(value);
  }
}

function redactError(error: Error, secrets: readonly string[], ancestors: WeakSet<object>, depth: number): Error {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  // Own properties include message, stack and cause, enumerable or not.
  for (const key of Object.getOwnPropertyNames(error)) {
    const descriptor = Object.getOwnPropertyDescriptor(error, key)!;
    if (!('value' in descriptor)) continue;
    const v = isSecretKey(key) ? REDACTED : walk(descriptor.value, secrets, ancestors, depth + 1);
    Object.defineProperty(copy, key, { ...descriptor, value: v });
  }
  return copy;
}
