import { closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';

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

/** Owner-only from the first byte: an existing file is made 0600 before anything is written to it. */
export function writePrivateFile(path: string, content: string): void {
  const fd = openSync(path, 'w', PRIVATE_FILE_MODE);
  try {
    if (process.platform !== 'win32') fchmodSync(fd, PRIVATE_FILE_MODE);
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}
