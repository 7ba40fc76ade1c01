#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { duplicatesCommand } from './commands/duplicates.js';
import { doctorCommand } from './commands/doctor.js';
import { importCommand } from './commands/import.js';
import { initCommand } from './commands/init.js';
import { INIT_PLATFORMS } from '../init/platforms.js';
import { pullCommand } from './commands/pull.js';
import { pushCommand } from './commands/push.js';
import { parseAccount, parseFaults, sandboxCommand } from './commands/sandbox.js';
import { collectList, sandboxAdvanceCommand, type SandboxAdvanceFlags } from './commands/sandbox-advance.js';
import { ACCOUNT_CONDITION_USAGE } from '../sandbox/emulator-account.js';
import { demoCommand } from './commands/demo.js';
import { segmentCommand } from './commands/segment.js';
import { explainCommand } from './commands/explain.js';
import { forgetCommand } from './commands/forget.js';
import { reportCommand } from './commands/report.js';
import { campaignListCommand, campaignStartCommand, campaignStopCommand } from './commands/campaign.js';
import { liftCommand } from './commands/lift.js';
import { runsCommand } from './commands/runs.js';
import { movementCommand } from './commands/movement.js';
import { MOVEMENT_KINDS } from '../measure/movement-loader.js';
import { quarantineExportCommand, quarantineListCommand, quarantineRetryCommand } from './commands/quarantine.js';
import { QUARANTINE_KIND_NAMES } from '../domain/quarantine-kinds.js';
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

/** pull, segment, push and sync take the same leases as the daemon's jobs (src/cli/command-leases.ts). */
const WAIT_HELP = 'if another segsync (a command or a scheduled job) is doing the same now, wait up to this long for it instead of exiting 1';

/**
 * With --json anywhere on the command line, a usage error is a JSON document on stdout like every
 * other error (`{ ok: false, error: { kind: 'usage', message } }`, exit 2): commander's own text
 * (and the help it adds) is not printed then. Set before the commands, which inherit it.
 */
const jsonRequested = process.argv.slice(2).includes('--json');

const program = new Command()
  .name('segsync')
  .description('Pull CRM and shop data into SQLite, segment it (RFM, rules, clusters and personas), and sync segments and tokens back.')
  .version(packageVersion(), '-V, --version', 'print the version of segsync')
  .configureOutput({ writeErr: (text) => (jsonRequested ? undefined : process.stderr.write(text)) })
  .showHelpAfterError()
  .exitOverride();

program
  .command('pull')
  .description('pull contacts and deals from every configured platform (incremental after the first run)')
  .option('--full', 'ignore cursors and read everything again')
  .option('--allow-blanking', 'write pulled records even if they would empty most stored emails, names or consents, or turn most stored won purchases into another status')
  .option('--allow-mass-deletion', 'mark records deleted even if a full pull finds more than the configured share gone from a platform')
  .option('--wait <seconds>', WAIT_HELP, integer('--wait', 0, 86_400))
  .option('--json', 'print the summary as JSON')
  .action(pullCommand);

program
  .command('segment')
  .description('resolve profiles; compute features, RFM, rule segments, clusters and personas into a new segmentation run')
  .option('--export <dir>', 'also write the prepared feature matrix, assignments and metrics as CSV/JSON to <dir>')
  .option('--wait <seconds>', WAIT_HELP, integer('--wait', 0, 86_400))
  .option('--json', 'print the summary as JSON')
  .action(segmentCommand);

program
  .command('explain')
  .description('show one person as segsync sees them: source records, features, scores, segments with reasons, tokens')
  .argument('<who>', 'an email, profile:<id> (a segsync profile id), <platform>:<id> (hubspot:1056, csv:C1), or a bare id when it names one person')
  .option('--json', 'print as JSON')
  .action(explainCommand);

program
  .command('report')
  .description('write one self-contained HTML report of the latest segmentation run')
  .option('--out <file>', 'where to write it', 'segsync-report.html')
  .option('--json', 'print the summary as JSON')
  .action(reportCommand);

const campaign = program
  .command('campaign')
  .description('campaigns on a segment\'s list, measured against its control group (`segsync lift`)');
campaign
  .command('start')
  .description('start a campaign on a segment now: freezes its cohort (treatment and control, less unsubscribed people)')
  .argument('<segment>', 'a segment key or display name')
  .option('--name <name>', 'the campaign\'s name (default: "<segment name> <YYYY-MM-DD>")')
  .option('--days <n>', 'the measurement window in days', integer('--days', 1, 3650), 60)
  .option('--json', 'print the campaign as JSON')
  .action(campaignStartCommand);
campaign
  .command('list')
  .description('every campaign: segment, start, window, treated and control sizes, status')
  .option('--json', 'print as JSON')
  .action(campaignListCommand);
campaign
  .command('stop')
  .description('stop a campaign: its measurement window ends now')
  .argument('<name>', 'the campaign\'s name')
  .option('--json', 'print as JSON')
  .action(campaignStopCommand);

program
  .command('lift')
  .description('treatment vs control for each campaign: conversion, orders, revenue, order value, RFM moves, unsubscribes, with 95% intervals')
  .option('--campaign <name>', 'only this campaign')
  .option('--json', 'print as JSON')
  .action(liftCommand);

program
  .command('movement')
  .description('how people moved between segments from one segmentation run to another (a transition matrix), and segment sizes over runs')
  .option('--from <date|run>', 'compare from this run (a number) or the latest run made on or before this date (YYYY-MM-DD or ISO date-time); default: the run before --to')
  .option('--to <date|run>', 'compare to this run or the latest run made on or before this date; default: the latest run')
  .addOption(new Option('--kind <kind>', 'which segments: RFM segments, or personas (per named clustering)').choices(MOVEMENT_KINDS).default('rfm'))
  .option('--json', 'print as JSON')
  .action(movementCommand);

program
  .command('push')
  .description('write segment lists and tokens to every destination, sending only what changed')
  .option('--dry-run', 'print the plan and send nothing')
  .option('--allow-mass-removal', 'go ahead even if a list would lose more than its configured share')
  .option('--wait <seconds>', WAIT_HELP, integer('--wait', 0, 86_400))
  .option('--json', 'print the summary as JSON')
  .action(pushCommand);

program
  .command('sync')
  .description('pull, segment and push in one run')
  .option('--full', 'pull everything again, ignoring cursors')
  .option('--dry-run', 'pull and segment, then print the push plan without sending it')
  .option('--allow-mass-removal', 'go ahead even if a list would lose more than its configured share')
  .option('--allow-blanking', 'write pulled records even if they would empty most stored emails, names or consents, or turn most stored won purchases into another status')
  .option('--allow-mass-deletion', 'mark records deleted even if a full pull finds more than the configured share gone from a platform')
  .option('--wait <seconds>', WAIT_HELP, integer('--wait', 0, 86_400))
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
  .option('--allow-blanking', 'write the rows even if they would empty most stored emails, names or consents')
  .option('--encoding <name>', 'text encoding of the files (utf-8, windows-1252, iso-8859-1, utf-16le, shift_jis...; decided per file when omitted)')
  .option('--json', 'print the summary as JSON')
  .action(importCommand);

program
  .command('duplicates')
  .description('list profiles that are probably the same person (never merged automatically)')
  .option('--limit <n>', 'pairs to show', integer('--limit', 1, 1_000_000), 50)
  .option('--json', 'print as JSON')
  .action(duplicatesCommand);

program
  .command('forget')
  .description('erase people from the store (keeping only salted hashes so pulls and imports never bring them back) and from segsync\'s lists and tokens on every platform')
  .argument('<who...>', 'emails, or platform contact ids as platform:id (e.g. hubspot:1056)')
  .option('--on-platforms', 'also ask each platform to erase them (HubSpot GDPR delete, Marketo delete lead, Shopify customer data erasure)')
  .option('--dry-run', 'print what would be erased and sent, and change nothing')
  .option('--json', 'print what was erased where as JSON')
  .action(forgetCommand);

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
  .addOption(new Option('--command <name>', 'only runs of this command').choices(['pull', 'segment', 'push', 'sync', 'import', 'forget']))
  .option('--json', 'print as JSON')
  .action(runsCommand);

const quarantine = program
  .command('quarantine')
  .description('records that failed validation: counts per platform and reason, export, and reading them again');
const reasonOption = () => new Option('--reason <kind>', 'only records quarantined for this kind of reason').choices(QUARANTINE_KIND_NAMES);
quarantine
  .command('list', { isDefault: true })
  .description('counts per platform, stream and reason, and the newest records')
  .option('--limit <n>', 'records to show', integer('--limit', 0, 1_000_000), 20)
  .option('--platform <id>', 'only this platform')
  .addOption(reasonOption())
  .option('--json', 'print as JSON')
  .action(quarantineListCommand);
quarantine
  .command('export')
  .description('every quarantined record with its reason and the record as the platform sent it')
  .option('--out <file>', 'write to this file (owner-only) instead of stdout')
  .addOption(new Option('--format <format>', 'csv, or JSON lines (default: from the file name, else csv)').choices(['csv', 'jsonl']))
  .option('--platform <id>', 'only this platform')
  .addOption(reasonOption())
  .option('--json', 'print one JSON document: without --out, the records; with --out, the summary (--format jsonl prints JSON lines)')
  .action(quarantineExportCommand);
quarantine
  .command('retry')
  .description('have the next pull read quarantined records again by id (those that now validate are stored)')
  .option('--platform <id>', 'only this platform')
  .addOption(reasonOption())
  .option('--json', 'print as JSON')
  .action(quarantineRetryCommand);

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
for (const field of INIT_PLATFORMS.flatMap((p) => p.fields)) {
  init.option(`${field.flag} <value>`, `${field.variable}: ${field.prompt}${field.secret ? ` (better: set ${field.variable} in the environment; a flag shows in ps and shell history)` : ''}`);
}
init.action(initCommand);

const sandbox = program
  .command('sandbox')
  .description('serve the platform emulators with a synthetic population until stopped')
  .option('--port <n>', 'port to listen on', integer('--port', 0, 65535), 4010)
  .option('--host <address>', 'address to bind (loopback by default)', '127.0.0.1')
  .option('--seed <n>', 'population seed', integer('--seed', 0, 2 ** 31 - 1))
  .option('--size <n>', 'number of people', integer('--size', 1, 1_000_000))
  .option('--faults <list>', 'make trouble on every emulator: throttle-burst, server-errors, resets, slow, malformed-records, token-expiry, concurrent-writer (each optionally :count), comma-separated', parseFaults)
  .option('--account <list>', `answer as real accounts in these states, comma-separated: ${ACCOUNT_CONDITION_USAGE}`, parseAccount)
  .option('--json', 'print the environment as JSON')
  .action(sandboxCommand);
sandbox
  .command('advance')
  .argument('<days>', 'days to live (1 to 3650)', integer('<days>', 1, 3650))
  .description('move a running sandbox\'s world forward: its people keep buying, lapsing and reading email; people on segsync\'s lists buy with the planted uplift; prints the ground truth')
  .option('--uplift <ratio>', 'relative conversion uplift planted on people on the targeted lists (default 0.15)', (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 10) throw new InvalidArgumentError('--uplift must be a number from 0 to 10 (0.15 = +15% conversion).');
    return n;
  })
  .option('--list <name>', 'a targeted list (repeat for more; default: every list segsync created on any platform)', collectList)
  .option('--url <url>', 'the sandbox (default: from HUBSPOT_BASE_URL etc. as `segsync sandbox` prints them, else http://127.0.0.1:4010)')
  .option('--json', 'print the ground truth as JSON')
  // `sandbox` has its own --json, which commander gives the parent: read both.
  .action((days: number, _flags: SandboxAdvanceFlags, command: Command) => sandboxAdvanceCommand(days, command.optsWithGlobals<SandboxAdvanceFlags>()));

program
  .command('demo')
  .description('the whole job on built-in defaults, no credentials: start the emulators, sync a synthetic population into ./data/demo.db, push again')
  .option('--seed <n>', 'population seed', integer('--seed', 0, 2 ** 31 - 1))
  .option('--size <n>', 'number of people (default 5,000)', integer('--size', 1, 1_000_000))
  .option('--account <list>', `run against accounts in these states, comma-separated: ${ACCOUNT_CONDITION_USAGE}`, parseAccount)
  .option('--json', 'print the summary as JSON')
  .action(demoCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (jsonRequested && error.exitCode !== 0) process.stdout.write(`${JSON.stringify({ ok: false, error: { kind: 'usage', message: usageMessage(error) } }, null, 2)}\n`);
  } else {
    process.stderr.write(`segsync: ${(error as Error).message}\n`);
    process.exitCode = EXIT.failure;
  }
}

/** Commander's message without its "error: " prefix; a bare `segsync` (help shown as an error) says what is missing. */
function usageMessage(error: CommanderError): string {
  if (error.code === 'commander.help' || error.code === 'commander.helpDisplayed') return 'no command given; `segsync --help` lists them';
  return error.message.replace(/^error: /, '');
}
