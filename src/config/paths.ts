import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (where package.json lives), whether run from src/ with tsx or from dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'mappings'))) return dir;
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error('cannot find the segsync package root (package.json beside mappings/)');
    dir = parent;
  }
}

export function defaultMappingFile(platform: string): string {
  return join(packageRoot(), 'mappings', `${platform}.yaml`);
}

/** The version in segsync's package.json (what `segsync --version` prints). */
export function packageVersion(): string {
  const parsed = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown';
}
