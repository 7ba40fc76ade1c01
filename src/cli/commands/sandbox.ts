import { CONNECTORS } from '../../../connectors/index.js';
import { startSandbox } from '../../sandbox/server.js';
import { reportError } from '../context.js';

export interface SandboxFlags {
  port: number;
  host: string;
  seed?: number;
  size?: number;
  json?: boolean;
}

/** Serves every emulator until stopped; prints the environment lines that point segsync at them. */
export async function sandboxCommand(flags: SandboxFlags): Promise<void> {
  try {
    const sandbox = await startSandbox({
      registry: CONNECTORS,
      port: flags.port,
      host: flags.host,
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      ...(flags.size !== undefined ? { size: flags.size } : {}),
    });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ ok: true, url: sandbox.url, env: sandbox.env, population: sandbox.population })}\n`);
    } else {
      process.stdout.write(
        `segsync sandbox: ${sandbox.population.size.toLocaleString('en-US')} synthetic people (seed ${sandbox.population.seed}) at ${sandbox.url}\n` +
          `Point segsync at it (in another shell):\n\n${Object.entries(sandbox.env).map(([k, v]) => `export ${k}=${v}`).join('\n')}\n\nCtrl-C stops it.\n`,
      );
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await sandbox.close();
  } catch (error) {
    process.exitCode = reportError(error, flags.json === true);
  }
}
