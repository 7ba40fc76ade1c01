/**
 * Headless Chromium, to open a rendered report and read the DOM after its scripts ran
 * (used by the end-to-end test of the HTML report).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** $CHROMIUM_PATH if it is executable, else the first of chromium, chromium-browser, google-chrome on PATH. */
export function findChromium(): string | undefined {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit && isExecutable(explicit)) return explicit;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of NAMES) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * Opens htmlPath in headless Chromium (fresh profile, no network services, 5 s of virtual time
 * for scripts) and returns the serialized DOM. Rejects if Chromium is missing, fails or times out.
 */
export async function renderWithChromium(htmlPath: string, options: { timeoutMs?: number } = {}): Promise<string> {
  const chromium = findChromium();
  if (!chromium) {
    throw new Error('Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH');
  }
  const profile = mkdtempSync(join(tmpdir(), 'segsync-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    '--virtual-time-budget=5000',
    '--dump-dom',
    pathToFileURL(resolve(htmlPath)).href,
  ];
  try {
    return await new Promise<string>((done, fail) => {
      execFile(chromium, args, { timeout: options.timeoutMs ?? 30_000, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error) {
          const reason = error.killed ? `timed out after ${options.timeoutMs ?? 30_000} ms` : error.message;
          fail(new Error(`${chromium} --dump-dom ${htmlPath}: ${reason}\n${stderr.trim().split('\n').slice(-10).join('\n')}`));
        } else if (!stdout.includes('<html')) {
          fail(new Error(`${chromium} --dump-dom ${htmlPath} printed no DOM\n${stderr.trim().split('\n').slice(-10).join('\n')}`));
        } else {
          done(stdout);
        }
      });
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
