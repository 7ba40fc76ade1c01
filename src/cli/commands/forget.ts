import { CONNECTORS } from '../../../connectors/index.js';
import { forget } from '../../pipeline/forget.js';
import { renderForget } from '../render.js';
import { plural } from '../../domain/text.js';
import { underOperationLeases } from '../command-leases.js';
import { EXIT, runCommand, type GlobalFlags } from '../context.js';

export interface ForgetFlags extends GlobalFlags {
  onPlatforms?: boolean;
  dryRun?: boolean;
}

export function forgetCommand(targets: string[], flags: ForgetFlags): Promise<void> {
  return runCommand(flags, async (ctx) => {
    // Forget writes to the platforms as a push does: never at the same time as one.
    const dryRun = flags.dryRun === true;
    const result = await underOperationLeases(ctx, 'push', { command: 'forget', dryRun }, (signal) => forget(ctx.session, {
      targets,
      onPlatforms: flags.onPlatforms === true,
      dryRun,
      platforms: CONNECTORS.map((c) => c.id),
      signal,
    }));
    const unfinished = result.platforms.filter((o) => o.status === 'pending' || o.status === 'failed');
    const ok = result.dryRun || (unfinished.length === 0 && result.compaction?.complete === true);
    const note = unfinished.length > 0
      ? `\n${plural(unfinished.length, 'platform step')} not done: failed ones need an admin on that platform; pending ones are finished by the next push.`
      : '';
    ctx.print(`${renderForget(result)}${note}`, { ok, forget: result });
    if (!ok) process.exitCode = EXIT.failure;
  }, { requireConnector: false });
}
