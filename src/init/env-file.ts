import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { packageRoot } from '../config/paths.js';

const ASSIGNMENT = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/;
const PLAIN = /^[A-Za-z0-9_\-.:/@+=,~%]*$/;

/** .env.example, shipped with segsync: the template keeps every comment and every variable. */
export function envTemplate(): string {
  const path = join(packageRoot(), '.env.example');
  if (!existsSync(path)) throw new Error(`cannot find ${path}: reinstall segsync`);
  return readFileSync(path, 'utf8');
}

/** A value as a dotenv line reads it back unchanged (node:util parseEnv): quoted unless plain. */
export function quoteEnvValue(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new ConfigError(`${name}: a value cannot span lines`);
  if (PLAIN.test(value)) return value;
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes('`')) return `\`${value}\``;
  throw new ConfigError(`${name}: a value cannot hold all three of ' " and \``);
}

/**
 * .env.example with the chosen values filled in and every other assignment commented out, so the
 * file documents every variable and sets only what init was told. Values the template does not
 * name are appended at the end.
 */
export function renderEnvFile(template: string, values: Readonly<Record<string, string>>, header: readonly string[]): string {
  const placed = new Set<string>();
  const out = header.map((l) => `# ${l}`.trimEnd());
  const lines = template.replace(/\r\n/g, '\n').split('\n');
  // The template's opening paragraph tells how to make a .env from it: this is the .env.
  const opening = lines.findIndex((l) => !l.startsWith('#'));
  const body = opening > 0 && lines[opening] === '' ? lines.slice(opening) : ['', ...lines];
  for (const line of body) {
    const m = ASSIGNMENT.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    const [, commented, name, rest] = m as unknown as [string, string | undefined, string, string];
    const value = values[name];
    if (value !== undefined && !placed.has(name)) {
      out.push(`${name}=${quoteEnvValue(name, value)}`);
      placed.add(name);
    } else if (commented) {
      out.push(line);
    } else {
      out.push(`# ${name}=${rest}`);
    }
  }
  const rest = Object.keys(values).filter((k) => !placed.has(k));
  if (rest.length > 0) {
    out.push('', '# --- Set by segsync init ----------------------------------------------------');
    for (const name of rest) out.push(`${name}=${quoteEnvValue(name, values[name]!)}`);
  }
  while (out.at(-1) === '') out.pop();
  return `${out.join('\n')}\n`;
}
