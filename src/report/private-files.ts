import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';

/**
 * Files segsync writes (exports, reports) hold people's personal data: readable by their owner
 * only, whatever the umask. A file segsync writes again is made 0600 again (it wrote all of it);
 * a folder that existed already keeps its mode (it is the admin's), a folder segsync creates is 0700.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

export function writePrivateFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: PRIVATE_FILE_MODE });
  if (process.platform !== 'win32') chmodSync(path, PRIVATE_FILE_MODE);
}
