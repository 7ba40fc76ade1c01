import { InvalidArgumentError } from 'commander';
import { FAULT_KINDS, type FaultKind, type FaultScenario } from '../../sandbox/emulator-faults.js';
import { parseAccountConditions, type AccountCondition } from '../../sandbox/emulator-account.js';
import { CONNECTORS } from '../../../connectors/index.js';
import { startSandbox } from '../../sandbox/server.js';
import { reportError } from '../context.js';

export interface SandboxFlags {
  port: number;
  host: string;
  seed?: number;
  size?: number;
  faults?: FaultScenario[];
  account?: AccountCondition[];
  json?: boolean;
}

/** "throttle-burst,resets:10" → scenarios; an unknown kind is a usage error naming the allowed ones. */
export function parseFaults(value: string): FaultScenario[] {
  return value.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const [kind, count] = part.split(':');
    if (!(FAULT_KINDS as readonly string[]).includes(kind!)) {
      throw new InvalidArgumentError(`"${kind}" is not a fault; use one of ${FAULT_KINDS.join(', ')}, optionally with a count like resets:10`);
    }
    if (count !== undefined && !/^[1-9]\d{0,5}$/.test(count)) throw new InvalidArgumentError(`"${part}": the count after ':' must be a whole number from 1`);
    return { kind: kind as FaultKind, ...(count ? { count: Number(count) } : {}) };
  });
}

/** "missing-scopes,shop-state:frozen" → account conditions; a wrong one is a usage error naming the allowed ones. */
export function parseAccount(value: string): AccountCondition[] {
  try {
    return parseAccountConditions(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
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
      ...(flags.faults ? { faults: flags.faults } : {}),
      ...(flags.account ? { account: flags.account } : {}),
    });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ ok: true, url: sandbox.url, env: sandbox.env, population: sandbox.population })}\n`);
    } else {
      process.stdout.write(
        `segsync sandbox: ${sandbox.population.size.toLocaleString('en-US')} synthetic people (seed ${sandbox.population.seed}) at ${sandbox.url}\n` +
          (flags.faults?.length ? `Faults on every emulator: ${flags.faults.map((f) => f.kind + (f.count ? `:${f.count}` : '')).join(', ')}\n` : '') +
          (flags.account?.length ? `Accounts answer as: ${flags.account.map(describeCondition).join(', ')}\n` : '') +
          `Point segsync at it (in another shell):\n\n${Object.entries(sandbox.env).map(([k, v]) => `export ${k}=${v}`).join('\n')}\n\nMove its world forward (people keep buying; +15% conversion on segsync's lists): segsync sandbox advance 60\nCtrl-C stops it.\n`,
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

function describeCondition(c: AccountCondition): string {
  if (c.kind === 'shop-state') return `shop-state:${c.state}`;
  if (c.kind === 'plan') return `plan:${c.plan}`;
  return c.kind;
}
