/**
 * segsync as a user installs it: the tarball `npm pack` makes (built by its `prepare` script),
 * unpacked as `npm install` lays it out in an app's node_modules. npm cannot install the
 * dependencies offline, so the app's node_modules gets links to the checkout's copies of exactly
 * the package's `dependencies` (the lockfile's versions; devDependencies such as tsx are not
 * there): an import the package needs but does not declare fails here as it would for a user.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

describe('the installed package', () => {
  let app: string;
  let installed: string;
  let files: string[];
  const segsync = (args: string[], timeout = 60_000) =>
    run(process.execPath, [join(installed, 'bin', 'segsync.js'), ...args], { cwd: app, env: { PATH: process.env.PATH, HOME: process.env.HOME }, timeout, maxBuffer: 32 * 1024 * 1024 });

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), 'segsync-package-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, maxBuffer: 32 * 1024 * 1024, timeout: 240_000 });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed!.files.map((f) => f.path);
    app = join(work, 'app');
    installed = join(app, 'node_modules', 'segsync');
    mkdirSync(installed, { recursive: true });
    await run('tar', ['-xzf', join(work, packed!.filename), '-C', installed, '--strip-components', '1']);
    for (const dep of Object.keys(manifest.dependencies)) {
      mkdirSync(dirname(join(app, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
    }
  }, 300_000);

  it('answers --version with package.json\'s version', async () => {
    expect((await segsync(['--version'])).stdout.trim()).toBe(manifest.version);
  });

  it('ships every file README.md links to (and the docs link on)', () => {
    const links = (file: string) => [...readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z]+:/.test(target));
    const readmeLinks = links(join(installed, 'README.md'));
    expect(readmeLinks).toContain('docs/features.md');
    for (const target of readmeLinks) {
      expect(files, target).toContain(target);
      expect(existsSync(join(installed, target)), target).toBe(true);
      if (target.endsWith('.md')) for (const next of links(join(installed, target))) expect(existsSync(join(installed, dirname(target), next)), `${target} → ${next}`).toBe(true);
    }
  });

  it('has a demo command, the same one `npm run demo` runs, that syncs and pushes with nothing set up', async () => {
    expect((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.demo).toBe('tsx src/cli/main.ts demo');
    expect((await segsync(['--help'])).stdout).toMatch(/^\s+demo \[options\]/m);
    const { stdout } = await segsync(['demo', '--size', '40', '--json'], 240_000);
    const demo = JSON.parse(stdout) as { ok: boolean; store: string; sync: { pull: { totals: { received: number } } }; pushAgain: { requests: Record<string, { writes: number }> } };
    expect(demo.ok).toBe(true);
    expect(demo.sync.pull.totals.received).toBeGreaterThan(40);
    expect(Object.values(demo.pushAgain.requests).every((r) => r.writes === 0)).toBe(true);
    expect(statSync(join(app, 'data', 'demo.db')).mode & 0o777).toBe(0o600);
  }, 300_000);
});
