import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from '../config/errors.js';
import type { ConnectorDescriptor } from '../domain/connector.js';
import { shownPath } from '../doctor/config.js';
import { answersFromFlags, askAnswers, DEFAULT_DB, type InitAnswers, type InitFlags } from './answers.js';
import { envTemplate, renderEnvFile } from './env-file.js';
import { createPrompter } from './prompt.js';
import { sandboxEnv } from './sandbox-env.js';
import { renderWorkspace } from './workspace-template.js';
import { refuseExisting, writeInitFiles, type InitFile } from './write.js';

export interface InitIo {
  env: NodeJS.ProcessEnv;
  registry: readonly ConnectorDescriptor<never>[];
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where questions go (stderr, so that stdout carries only the summary). */
  prompts: NodeJS.WritableStream & { isTTY?: boolean };
  now?: Date;
}

export interface InitResult {
  ok: true;
  platforms: string[];
  files: Array<{ path: string; kind: InitFile['kind']; mode: string }>;
  /** Names only: the values include secrets. */
  variables: string[];
  windowDays: number;
  exampleSegments: boolean;
  notes: string[];
  next: string;
}

/**
 * A path for the .env to name: relative as given when segsync will run where the .env is (it
 * reads ./.env), else absolute, so it means the same from wherever the .env is loaded.
 */
function pathForEnv(path: string, envPath: string): string {
  if (isAbsolute(path)) return path;
  const here = resolve(dirname(envPath)) === process.cwd();
  if (!here) return resolve(path);
  const rel = relative(process.cwd(), resolve(path));
  return rel.startsWith('..') ? resolve(path) : `./${rel}`;
}

function gitignoreNote(envPath: string): string | undefined {
  if (!existsSync('.git') || resolve(dirname(envPath)) !== process.cwd()) return undefined;
  const name = relative(process.cwd(), resolve(envPath));
  const ignore = existsSync('.gitignore') ? readFileSync('.gitignore', 'utf8').split('\n').map((l) => l.trim()) : [];
  if (ignore.some((l) => l === name || l === `/${name}` || l === '.env*' || l === '*.env')) return undefined;
  return `add ${name} to .gitignore: it holds credentials`;
}

export async function runInit(flags: InitFlags, io: InitIo): Promise<InitResult> {
  const configPath = flags.config;
  const envPath = flags.env;
  if (resolve(configPath) === resolve(envPath)) throw new ConfigError('--config and --env name the same file; give them different paths');
  const force = flags.force === true;
  // Before any question: typing credentials only to be told the files exist would be unkind.
  refuseExisting([configPath, envPath], force);

  const interactive = flags.interactive === true || (flags.yes !== true && io.input.isTTY === true);
  let answers: InitAnswers;
  if (interactive) {
    const prompter = createPrompter(io.input, io.prompts);
    try {
      prompter.say('segsync init: a few questions, then it writes the workspace config and .env (Ctrl-C stops; nothing is written before the end).');
      answers = await askAnswers(prompter, flags, io.env, io.registry);
    } finally {
      prompter.close();
    }
  } else {
    answers = answersFromFlags(flags, io.env, io.registry);
  }

  const sandbox = sandboxEnv(answers.platforms, answers.values, io.registry);
  const envValues: Record<string, string> = {
    ...answers.values,
    ...sandbox.values,
    SEGSYNC_DB: pathForEnv(flags.db ?? DEFAULT_DB, envPath),
    SEGSYNC_CONFIG: pathForEnv(configPath, envPath),
  };
  const now = io.now ?? new Date();
  const files: InitFile[] = [
    {
      path: configPath,
      kind: 'workspace config',
      mode: 0o644,
      text: renderWorkspace({ platforms: answers.platforms, windowDays: answers.windowDays, exampleSegments: answers.exampleSegments }, now),
    },
    {
      path: envPath,
      kind: 'env',
      mode: 0o600,
      text: renderEnvFile(envTemplate(), envValues, [
        `Written by \`segsync init\` on ${now.toISOString().slice(0, 10)} for ${answers.platforms.join(', ')}; every other variable is commented out.`,
        'It holds credentials: readable by its owner only (mode 0600), keep it out of version control.',
        'segsync reads ./.env from the directory it runs in; variables already set in the environment win.',
      ]),
    },
  ];
  writeInitFiles(files, { force, knownConnectors: io.registry.map((d) => d.id), envValues });

  const notes: string[] = [];
  if (sandbox.added.length > 0) {
    notes.push(
      `${sandbox.platforms.join(', ')} point${sandbox.platforms.length === 1 ? 's' : ''} at \`segsync sandbox\`: wrote ` +
        `${sandbox.added.map((name) => `${name}=${sandbox.values[name]}`).join(', ')} to ${shownPath(envPath)} as well, as the sandbox prints`,
    );
  }
  if (resolve(dirname(envPath)) !== process.cwd()) {
    notes.push(`segsync reads ./.env from the directory it runs in: run it from ${dirname(resolve(envPath))}, or load ${shownPath(envPath)} into the environment (set -a; . ${shownPath(envPath)}; set +a)`);
  }
  const ignore = gitignoreNote(envPath);
  if (ignore) notes.push(ignore);
  return {
    ok: true,
    platforms: answers.platforms,
    files: files.map((f) => ({ path: shownPath(f.path), kind: f.kind, mode: `0${f.mode.toString(8)}` })),
    variables: Object.keys(envValues),
    windowDays: answers.windowDays,
    exampleSegments: answers.exampleSegments,
    notes,
    next: 'segsync doctor',
  };
}

export function renderInit(result: InitResult): string {
  const [config, env] = result.files;
  const segments = result.exampleSegments ? ', 2 example rule segments' : '';
  return [
    `Wrote ${config?.path}: workspace config for ${result.platforms.join(', ')} (RFM window ${result.windowDays} days${segments}); it validates.`,
    `Wrote ${env?.path} (mode ${env?.mode}): ${result.variables.join(', ')}.`,
    ...result.notes.map((n) => `Note: ${n}.`),
    '',
    `Next: ${result.next}   (checks the credentials, scopes, store and config, writing nothing)`,
  ].join('\n');
}
