import { CONNECTORS } from '../../../connectors/index.js';
import type { InitFlags } from '../../init/answers.js';
import { renderInit, runInit } from '../../init/run.js';
import { EXIT, reportError } from '../context.js';

export async function initCommand(flags: InitFlags): Promise<void> {
  const json = flags.json === true;
  try {
    const result = await runInit(flags, { env: process.env, registry: CONNECTORS, input: process.stdin, prompts: process.stderr });
    process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${renderInit(result)}\n`);
    process.exitCode = EXIT.ok;
  } catch (error) {
    // Usage and configuration problems (a file exists, a flag is missing) are ConfigErrors: exit 2.
    process.exitCode = reportError(error, json);
  }
}
