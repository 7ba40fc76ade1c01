import { reportError } from '../context.js';
import type { AccountCondition } from '../../sandbox/emulator-account.js';

export interface DemoFlags {
  seed?: number;
  size?: number;
  json?: boolean;
  account?: AccountCondition[];
}

/** `segsync demo` (what `npm run demo` runs): its own emulators and its own store, no setup. */
export async function demoCommand(flags: DemoFlags): Promise<void> {
  try {
    const { runDemo } = await import('../../sandbox/demo.js');
    await runDemo(flags);
  } catch (error) {
    process.exitCode = reportError(error, flags.json === true);
  }
}
