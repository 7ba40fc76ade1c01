#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { duplicatesCommand } from './commands/duplicates.js';
import { doctorCommand } from './commands/doctor.js';
import { importCommand } from './commands/import.js';
import { initCommand } from './commands/init.js';
import { INIT_PLATFORMS } from '../init/platforms.js';
import { pullCommand } from './commands/pull.js';
import { pushCommand } from './commands/push.js';
import { parseFaults, sandboxCommand } from './commands/sandbox.js';
import { demoCommand } from './commands/demo.js';
import { segmentCommand } from './commands/segment.js';
import { explainCommand } from './commands/explain.js';
import { reportCommand } from './commands/report.js';
import { runsCommand } from './commands/runs.js';
import { statusCommand } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { scheduleCommand } from './commands/schedule.js';
import { EXIT } from './context.js';
import { loadDotEnv } from '../config/dotenv.js';
import { packageVersion } from '../config/paths.js';

loadDotEnv();

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

const program = new Command()
  .name('segsync')
  .description('Pull CRM and shop data into SQLite, segment it (RFM, rules, clusters and personas), and sync segments and tokens back.')
  .version(packageVersion(), '-V, --version', 'print the version of segsync')
  .showHelpAfterError()
  .exitOverride();

program
  .command('pull')
  .description('pull contacts and deals from every configured platform (incremental after the first run)')
  .option('--full', 'ignore cursors and read everything again')
  .option('--json', 'print the summary as JSON')
  .action(pullCommand);

program
  .command('segment')
  .description('resolve profiles; compute features, RFM, rule segments, clusters and personas into a new segmentation run')
  .option('--export <dir>', 'also write the prepared feature matrix, assignments and metrics as CSV/JSON to <dir>')
  .option('--json', 'print the summary as JSON')
  .action(segmentCommand);

program
  .command('explain')
  .description('show one person as segsync sees them: source records, features, scores, segments with reasons, tokens')
  .argument('<who>', 'an email, a segsync profile id, or a platform contact id')
  .option('--json', 'print as JSON')
  .action(explainCommand);

program
  .command('report')
  .description('write one self-contained HTML report of the latest segmentation run')
  .option('--out <file>', 'where to write it', 'segsync-report.html')
  .option('--json', 'print the summary as JSON')
  .action(reportCommand);

program
  .command('push')
  .description('write segment lists and tokens to every destination, sending only what changed')
  .option('--dry-run', 'print the plan and send nothing')
  .option('--allow-mass-removal', 'go ahead even if a list would lose more than its configured share')
  .option('--json', 'print the summary as JSON')
  .action(pushCommand);

program
  .command('sync')
  .description('pull, segment and push in one run')
  .option('--full', 'pull everything again, ignoring cursors')
  .option('--dry-run', 'pull and segment, then print the push plan without sending it')
  .option('--allow-mass-removal', 'go ahead even if a list would lose more than its configured share')
  .option('--json', 'print the summary as JSON')
  .action(syncCommand);

program
  .command('schedule')
  .description('run the jobs of the workspace config\'s schedule section on their cron times until SIGINT/SIGTERM')
  .option('--health-port <n>', 'serve /healthz, /readyz and /metrics on this port (loopback; 0 picks one)', integer('--health-port', 0, 65535))
  .option('--once <job>', 'run this one job now (taking its lease like a tick would) and exit')
  .option('--json', 'print the jobs (or the --once outcome) as JSON, and log as JSON lines on stderr')
  .action(scheduleCommand);

program
  .command('import')
  .description('import contact and order/transaction exports (CSV) as a source')
  .argument('<files...>', 'CSV files: contacts, orders, or one row per line item')
  .option('--format <name>', 'the file layout (detected from the header row when omitted)')
  .option('--mapping <file>', 'a mapping file instead of mappings/csv.yaml')
  .option('--time-zone <tz>', 'time zone of dates without an offset (default UTC)')
  .option('--json', 'print the summary as JSON')
  .action(importCommand);

program
  .command('duplicates')
  .description('list profiles that are probably the same person (never merged automatically)')
  .option('--limit <n>', 'pairs to show', integer('--limit', 1, 1_000_000), 50)
  .option('--json', 'print as JSON')
  .action(duplicatesCommand);

program
  .command('status')
  .description('show the store: records, cursors, quarantine, segments, recent runs')
  .option('--json', 'print as JSON')
  .action(statusCommand);

program
  .command('runs')
  .description('list the run history, newest first: every run, manual or scheduled, with its counts and error')
  .option('--limit <n>', 'runs to show', integer('--limit', 1, 100_000), 20)
  .option('--job <name>', 'only the runs of this scheduled job')
  .addOption(new Option('--command <name>', 'only runs of this command').choices(['pull', 'segment', 'push', 'sync', 'import']))
  .option('--json', 'print as JSON')
  .action(runsCommand);

program
  .command('doctor')
  .description('check the environment, workspace config, store and every platform (credentials, scopes, token fields, lists); reads only')
  .option('--json', 'print the checks as JSON')
  .action(doctorCommand);

const init = program
  .command('init')
  .description('write a commented starter workspace config and .env: asks on a terminal, or takes flags (--yes)')
  .option('--platform <list>', 'platforms to set up, comma-separated: hubspot, marketo, shopify')
  .option('--config <file>', 'the workspace config to write', 'segsync.yaml')
  .option('--env <file>', 'the .env to write (mode 0600)', '.env')
  .option('--db <file>', 'the SQLite store, SEGSYNC_DB (default ./data/segsync.db)')
  .option('--window-days <n>', 'RFM window in days (default 365)', integer('--window-days', 1, 3650))
  .option('--example-segments', 'add two example rule segments to the config')
  .option('-y, --yes', 'ask nothing: take the defaults, and values from flags or the environment')
  .option('--interactive', 'ask even when stdin is not a terminal (one answer per line)')
  .option('--force', 'overwrite existing files')
  .option('--json', 'print what was written as JSON');
for (const field of INIT_PLATFORMS.flatMap((p) => p.fields)) init.option(`${field.flag} <value>`, `${field.variable}: ${field.prompt}`);
init.action(initCommand);

program
  .command('sandbox')
  .description('serve the platform emulators with a synthetic population until stopped')
  .option('--port <n>', 'port to listen on', integer('--port', 0, 65535), 4010)
  .option('--host <address>', 'address to bind (loopback by default)', '127.0.0.1')
  .option('--seed <n>', 'population seed', integer('--seed', 0, 2 ** 31 - 1))
  .option('--size <n>', 'number of people', integer('--size', 1, 1_000_000))
  .option('--faults <list>', 'make trouble on every emulator: throttle-burst, server-errors, resets, slow, malformed-records, token-expiry, concurrent-writer (each optionally :count), comma-separated', parseFaults)
  .option('--json', 'print the environment as JSON')
  .action(sandboxCommand);

program
  .command('demo')
  .description('the whole job on built-in defaults, no credentials: start the emulators, sync a synthetic population into ./data/demo.db, push again')
  .option('--seed <n>', 'population seed', integer('--seed', 0, 2 ** 31 - 1))
  .option('--size <n>', 'number of people (default 5,000)', integer('--size', 1, 1_000_000))
  .option('--json', 'print the summary as JSON')
  .action(demoCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.stderr.write(`segsync: ${(error as Error).message}\n`);
    process.exitCode = EXIT.failure;
  }
}
