import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseEnv } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../config/errors.js';
import { loadWorkspace, parseWorkspace } from '../config/workspace.js';
import { shownPath } from '../doctor/config.js';

export interface InitFile {
  path: string;
  text: string;
  /** 0o600 for the .env (it holds secrets). */
  mode: number;
  kind: 'workspace config' | 'env';
}

/** "segsync.yaml exists; use --force to overwrite": checked for every file before any is written. */
export function refuseExisting(paths: readonly string[], force: boolean): void {
  if (force) return;
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length > 0) {
    throw new ConfigError(`${existing.map(shownPath).join(' and ')} ${existing.length === 1 ? 'exists' : 'exist'}; use --force to overwrite`);
  }
}

/** Validated before anything is written: a config init wrote must load. */
export function validateWorkspaceText(text: string, where: string, knownConnectors: readonly string[]): void {
  parseWorkspace(parseYaml(text) ?? {}, where, knownConnectors);
}

/** Written beside the target and renamed over it, so a crash never leaves half a file; the mode is set before the secret lands. */
function writeAtomically(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, '', { mode });
    chmodSync(temp, mode);
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Writes the files (refusing to overwrite without `force`), then reads them back: the workspace
 * config through loadWorkspace, the .env through the same parser segsync reads it with.
 */
export function writeInitFiles(files: readonly InitFile[], options: { force: boolean; knownConnectors: readonly string[]; envValues: Readonly<Record<string, string>> }): void {
  refuseExisting(files.map((f) => f.path), options.force);
  for (const file of files) {
    if (file.kind === 'workspace config') validateWorkspaceText(file.text, `the workspace config init would write to ${shownPath(file.path)}`, options.knownConnectors);
  }
  for (const file of files) writeAtomically(file.path, file.text, file.mode);
  for (const file of files) {
    if (file.kind === 'workspace config') loadWorkspace(file.path, options.knownConnectors);
    else {
      const read = parseEnv(readFileSync(file.path, 'utf8'));
      const differs = Object.entries(options.envValues).find(([k, v]) => read[k] !== v);
      if (differs) throw new Error(`${shownPath(file.path)} does not read back ${differs[0]} as written; this is a segsync bug`);
    }
  }
}
