import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** Reads ./.env if present; variables already set in the environment win. */
export function loadDotEnv(path = '.env', env: NodeJS.ProcessEnv = process.env): void {
  if (!existsSync(path)) return;
  for (const [key, value] of Object.entries(parseEnv(readFileSync(path, 'utf8')))) {
    if (env[key] === undefined) env[key] = value;
  }
}
