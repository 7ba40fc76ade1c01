import { CONNECTORS } from '../../../connectors/index.js';
import { renderDoctor } from '../../doctor/render.js';
import { runDoctor } from '../../doctor/run.js';
import { EXIT, reportError, type GlobalFlags } from '../context.js';

/**
 * Not through runCommand: that opens (and migrates) the store and stops at the first bad
 * setting, where doctor only reads and reports every problem at once.
 */
export async function doctorCommand(flags: GlobalFlags): Promise<void> {
  const json = flags.json === true;
  try {
    const report = await runDoctor({ env: process.env, registry: CONNECTORS });
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${renderDoctor(report)}\n`);
    process.exitCode = report.ok ? EXIT.ok : EXIT.failure;
  } catch (error) {
    process.exitCode = reportError(error, json);
  }
}
