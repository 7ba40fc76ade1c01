import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseEnv } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadWorkspace, parseWorkspace } from '../../src/config/workspace.js';
import { answersFromFlags, askAnswers, type InitFlags } from '../../src/init/answers.js';
import { envTemplate, quoteEnvValue, renderEnvFile } from '../../src/init/env-file.js';
import { createPrompter } from '../../src/init/prompt.js';
import { runInit } from '../../src/init/run.js';
import { renderWorkspace } from '../../src/init/workspace-template.js';
import { writeInitFiles, type InitFile } from '../../src/init/write.js';

const IDS = CONNECTORS.map((d) => d.id);
const flags = (more: Partial<InitFlags> = {}): InitFlags => ({ config: 'segsync.yaml', env: '.env', ...more });

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
}

/** A prompter fed these lines, and everything it printed. */
function scripted(lines: string[]) {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  input.end(lines.map((l) => `${l}\n`).join(''));
  return { prompter: createPrompter(input, output), printed: () => printed };
}

describe('the starter workspace config', () => {
  it('validates for every choice of platforms, with and without the example segments', () => {
    for (const platforms of [['hubspot'], ['marketo'], ['shopify'], ['hubspot', 'marketo', 'shopify']]) {
      for (const exampleSegments of [false, true]) {
        const text = renderWorkspace({ platforms, windowDays: 180, exampleSegments });
        const workspace = parseWorkspace(parseYaml(text), 'generated', IDS);
        expect(workspace.segmentation.windowDays).toBe(180);
        expect(Object.keys(workspace.destinations)).toEqual(platforms);
        expect(workspace.segments.map((s) => s.key)).toEqual(exampleSegments ? ['recent_high_spenders', 'dormant_germans'] : []);
      }
    }
  });

  it('is commented like segsync.example.yaml: every section says what it is for', () => {
    const text = renderWorkspace({ platforms: ['hubspot'], windowDays: 365, exampleSegments: false });
    expect(text).toContain('# Purchases older than this many days');
    expect(text).toContain('# mirror: lists follow segments');
    expect(text).toContain('# segments:\n#  - key: recent_high_spenders');
  });
});

describe('the .env', () => {
  it('is .env.example with the chosen values set and every other assignment commented out', () => {
    const text = renderEnvFile(envTemplate(), { HUBSPOT_ACCESS_TOKEN: 'pat-na1-123', SEGSYNC_DB: './data/segsync.db', SEGSYNC_CONFIG: './segsync.yaml' }, ['written by a test']);
    expect(parseEnv(text)).toEqual({ HUBSPOT_ACCESS_TOKEN: 'pat-na1-123', SEGSYNC_DB: './data/segsync.db', SEGSYNC_CONFIG: './segsync.yaml' });
    expect(text).toMatch(/^# written by a test\n/);
    expect(text).toContain('\n# MARKETO_CLIENT_ID=\n');
    expect(text).toContain('\n# SHOPIFY_ACCESS_TOKEN=\n');
    expect(text).toContain('# HUBSPOT_RATE_LIMIT=100');
    expect(text).toContain('# Private app access token (Settings → Integrations → Private apps).');
    expect(text).not.toContain('Copy to .env');
  });

  it('quotes values so they read back unchanged', () => {
    const values = { A: 'plain-value_1.2:3/4', B: 'has space # and hash', C: "it's", D: 'both \' and "', E: 'x=y' };
    const text = Object.entries(values).map(([k, v]) => `${k}=${quoteEnvValue(k, v)}`).join('\n');
    expect(parseEnv(text)).toEqual(values);
    expect(() => quoteEnvValue('F', 'two\nlines')).toThrow(ConfigError);
  });

  it('appends values the template does not name', () => {
    const text = renderEnvFile('# intro\n\nA=1\n', { B: '2' }, []);
    expect(parseEnv(text)).toEqual({ B: '2' });
    expect(text).toContain('# A=1');
  });
});

describe('answers from flags', () => {
  it('takes credentials from flags, and the defaults', () => {
    const answers = answersFromFlags(flags({ platform: 'hubspot', hubspotToken: 'pat-1' }), {}, CONNECTORS);
    expect(answers).toEqual({ platforms: ['hubspot'], values: { HUBSPOT_ACCESS_TOKEN: 'pat-1' }, windowDays: 365, exampleSegments: false });
  });

  it('infers the platforms from the credential flags given', () => {
    const answers = answersFromFlags(flags({ shopifyToken: 'shpat_1', shopifyShopUrl: 'https://acme.myshopify.com' }), {}, CONNECTORS);
    expect(answers.platforms).toEqual(['shopify']);
  });

  it('falls back on the environment for a credential', () => {
    const answers = answersFromFlags(flags({ platform: 'hubspot' }), { HUBSPOT_ACCESS_TOKEN: 'from-env' }, CONNECTORS);
    expect(answers.values.HUBSPOT_ACCESS_TOKEN).toBe('from-env');
  });

  it('names the missing flag', () => {
    expect(usageError(() => answersFromFlags(flags({ platform: 'marketo', marketoClientId: 'id', marketoClientSecret: 's' }), {}, CONNECTORS))).toMatch(/^--marketo-base-url is required/);
    expect(usageError(() => answersFromFlags(flags(), {}, CONNECTORS))).toMatch(/^--platform is required/);
  });

  it('never suggests a secret on the command line (ps, shell history): the environment or the question instead; the flags still work', () => {
    const secrets = [
      { platform: 'hubspot', more: {}, variable: 'HUBSPOT_ACCESS_TOKEN', flag: '--hubspot-token' },
      { platform: 'marketo', more: { marketoBaseUrl: 'https://123-ABC-456.mktorest.com', marketoClientId: 'id' }, variable: 'MARKETO_CLIENT_SECRET', flag: '--marketo-client-secret' },
      { platform: 'shopify', more: { shopifyShopUrl: 'https://acme.myshopify.com' }, variable: 'SHOPIFY_ACCESS_TOKEN', flag: '--shopify-token' },
    ];
    for (const { platform, more, variable, flag } of secrets) {
      const message = usageError(() => answersFromFlags(flags({ platform, ...more }), {}, CONNECTORS));
      expect(message, platform).toMatch(new RegExp(`^${variable} is required for `));
      expect(message, platform).toContain(`set ${variable} in the environment`);
      expect(message, platform).toContain('without --yes');
      // The flag is named only with the reason not to use it, never as the thing to type.
      expect(message, platform).not.toMatch(new RegExp(`${flag} <`));
      expect(message, platform).toContain(`${flag} works too but leaves the secret in \`ps\` and your shell history`);
    }
    const none = usageError(() => answersFromFlags(flags(), {}, CONNECTORS));
    expect(none).not.toMatch(/--(hubspot|shopify)-token|--marketo-client-secret/);
    expect(none).toContain('HUBSPOT_ACCESS_TOKEN');
    // Still accepted for scripts that pass them.
    expect(answersFromFlags(flags({ platform: 'hubspot', hubspotToken: 'pat-flag' }), {}, CONNECTORS).values).toEqual({ HUBSPOT_ACCESS_TOKEN: 'pat-flag' });
  });

  it('with --yes and no --platform, takes the platforms whose variables the environment holds', () => {
    const sandbox = {
      HUBSPOT_ACCESS_TOKEN: 'sandbox-hubspot-token', HUBSPOT_BASE_URL: 'http://127.0.0.1:4010/hubspot',
      SHOPIFY_ACCESS_TOKEN: 'shpat_sandbox-shopify-token', SHOPIFY_SHOP_URL: 'http://127.0.0.1:4010/shopify',
    };
    const answers = answersFromFlags(flags({ yes: true }), sandbox, CONNECTORS);
    expect(answers.platforms).toEqual(['hubspot', 'shopify']);
    expect(answers.values).toEqual(sandbox);
    // A platform only partly set up in the environment is taken, and its missing variable named.
    const partial = usageError(() => answersFromFlags(flags({ yes: true }), { MARKETO_CLIENT_ID: 'id' }, CONNECTORS));
    expect(partial).toMatch(/^--marketo-base-url is required for Marketo/);
    // Credential flags and the environment together: both platforms.
    expect(answersFromFlags(flags({ yes: true, hubspotToken: 'pat-1' }), { SHOPIFY_ACCESS_TOKEN: 'shpat_1', SHOPIFY_SHOP_URL: 'https://acme.myshopify.com' }, CONNECTORS).platforms)
      .toEqual(['hubspot', 'shopify']);
  });

  it('names the flag of a value the connector refuses, an unknown platform, and a flag for a platform not chosen', () => {
    const bad = flags({ platform: 'marketo', marketoBaseUrl: 'not a url', marketoClientId: 'id', marketoClientSecret: 's' });
    expect(usageError(() => answersFromFlags(bad, {}, CONNECTORS))).toMatch(/^--marketo-base-url: must be your instance URL/);
    expect(usageError(() => answersFromFlags(flags({ platform: 'hubspot,salesforce' }), {}, CONNECTORS))).toContain('unknown platform salesforce');
    expect(usageError(() => answersFromFlags(flags({ platform: 'hubspot', hubspotToken: 't', shopifyToken: 's' }), {}, CONNECTORS))).toContain('--shopify-token is for Shopify');
  });
});

describe('the questions', () => {
  it('ask for the platforms, their credentials, the window and the example segments', async () => {
    const { prompter, printed } = scripted(['marketo, shopify', 'https://123-ABC-456.mktorest.com', 'client-id', 'client-secret', 'acme.myshopify.com', 'shpat_abc', '90', 'y']);
    const answers = await askAnswers(prompter, flags(), {}, CONNECTORS);
    prompter.close();
    expect(answers).toEqual({
      platforms: ['marketo', 'shopify'],
      values: {
        MARKETO_BASE_URL: 'https://123-ABC-456.mktorest.com',
        MARKETO_CLIENT_ID: 'client-id',
        MARKETO_CLIENT_SECRET: 'client-secret',
        SHOPIFY_SHOP_URL: 'acme.myshopify.com',
        SHOPIFY_ACCESS_TOKEN: 'shpat_abc',
      },
      windowDays: 90,
      exampleSegments: true,
    });
    expect(printed()).toContain('Platforms to sync (hubspot, marketo, shopify) [hubspot]: ');
    expect(printed()).toContain('Marketo client secret: ');
    // Piped answers are not echoed: the secret never reaches the output.
    expect(printed()).not.toContain('client-secret');
  });

  it('take the defaults for empty answers', async () => {
    const { prompter } = scripted(['', 'pat-xyz', '', '']);
    const answers = await askAnswers(prompter, flags(), {}, CONNECTORS);
    prompter.close();
    expect(answers).toEqual({ platforms: ['hubspot'], values: { HUBSPOT_ACCESS_TOKEN: 'pat-xyz' }, windowDays: 365, exampleSegments: false });
  });

  it('ask again after an answer that is not acceptable, saying why', async () => {
    const { prompter, printed } = scripted(['hubspot, crm', 'hubspot', '', 'pat-1', 'forever', '0', '30', 'maybe', 'n']);
    const answers = await askAnswers(prompter, flags(), {}, CONNECTORS);
    prompter.close();
    expect(answers.windowDays).toBe(30);
    expect(answers.exampleSegments).toBe(false);
    expect(printed()).toContain('unknown platform crm');
    expect(printed()).toContain('HUBSPOT_ACCESS_TOKEN is required for HubSpot');
    expect(printed()).toContain('a whole number of days from 1 to 3650');
    expect(printed()).toContain('answer y or n');
  });

  it('ask again for a value the connector refuses', async () => {
    const { prompter, printed } = scripted(['shopify', 'ftp://acme', 'shpat_1', 'https://acme.myshopify.com', '', '']);
    const answers = await askAnswers(prompter, flags(), {}, CONNECTORS);
    prompter.close();
    expect(answers.values.SHOPIFY_SHOP_URL).toBe('https://acme.myshopify.com');
    expect(printed()).toContain('SHOPIFY_SHOP_URL: must be a URL');
  });

  it('do not ask for what the flags give', async () => {
    const { prompter, printed } = scripted(['', '', '']);
    const answers = await askAnswers(prompter, flags({ platform: 'hubspot', hubspotToken: 'pat-flag' }), {}, CONNECTORS);
    prompter.close();
    expect(answers.values).toEqual({ HUBSPOT_ACCESS_TOKEN: 'pat-flag' });
    expect(printed()).not.toContain('access token');
  });

  it('stop with a usage error when the input ends early', async () => {
    const { prompter } = scripted(['hubspot']);
    await expect(askAnswers(prompter, flags(), {}, CONNECTORS)).rejects.toThrow(/input ended before "HubSpot private app access token/);
    prompter.close();
  });
});

describe('writing the files', () => {
  const files = (dir: string, windowDays = 365): InitFile[] => [
    { path: join(dir, 'segsync.yaml'), kind: 'workspace config', mode: 0o644, text: renderWorkspace({ platforms: ['hubspot'], windowDays, exampleSegments: false }) },
    { path: join(dir, '.env'), kind: 'env', mode: 0o600, text: 'HUBSPOT_ACCESS_TOKEN=secret\n' },
  ];
  const options = { force: false, knownConnectors: IDS, envValues: { HUBSPOT_ACCESS_TOKEN: 'secret' } };

  it('writes the .env readable by its owner only, and a config that loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-init-'));
    writeInitFiles(files(dir), options);
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
    expect(loadWorkspace(join(dir, 'segsync.yaml'), IDS).segmentation.windowDays).toBe(365);
  });

  it('refuses to overwrite without force, before writing anything, and overwrites with it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-init-'));
    writeFileSync(join(dir, 'segsync.yaml'), 'mine: true\n');
    expect(() => writeInitFiles(files(dir), options)).toThrow(/segsync\.yaml exists; use --force to overwrite/);
    expect(readFileSync(join(dir, 'segsync.yaml'), 'utf8')).toBe('mine: true\n');
    expect(existsSync(join(dir, '.env'))).toBe(false);
    writeFileSync(join(dir, '.env'), 'OLD=1\n', { mode: 0o644 });
    writeInitFiles(files(dir, 30), { ...options, force: true });
    expect(loadWorkspace(join(dir, 'segsync.yaml'), IDS).segmentation.windowDays).toBe(30);
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe('HUBSPOT_ACCESS_TOKEN=secret\n');
  });

  it('writes nothing when the config would not validate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-init-'));
    const broken = files(dir);
    broken[0]!.text = 'segmentation:\n  windowDays: 0\n';
    expect(() => writeInitFiles(broken, options)).toThrow(/windowDays/);
    expect(existsSync(join(dir, 'segsync.yaml'))).toBe(false);
    expect(existsSync(join(dir, '.env'))).toBe(false);
  });
});

describe('runInit', () => {
  it('without a terminal and with --yes, writes both files from the flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-init-'));
    const input = new PassThrough();
    const result = await runInit(
      flags({ yes: true, platform: 'hubspot', hubspotToken: 'pat-run', config: join(dir, 'ws.yaml'), env: join(dir, 'my.env'), windowDays: 200 }),
      { env: {}, registry: CONNECTORS, input, prompts: new PassThrough() },
    );
    expect(result.files.map((f) => f.kind)).toEqual(['workspace config', 'env']);
    expect(result.variables).toEqual(['HUBSPOT_ACCESS_TOKEN', 'SEGSYNC_DB', 'SEGSYNC_CONFIG']);
    const env = parseEnv(readFileSync(join(dir, 'my.env'), 'utf8'));
    // The .env is not in the working directory: its paths are absolute, so they mean the same wherever it is loaded.
    expect(env).toEqual({ HUBSPOT_ACCESS_TOKEN: 'pat-run', SEGSYNC_DB: join(process.cwd(), 'data/segsync.db'), SEGSYNC_CONFIG: join(dir, 'ws.yaml') });
    expect(result.notes.join('\n')).toContain('segsync reads ./.env from the directory it runs in');
    expect(loadWorkspace(join(dir, 'ws.yaml'), IDS).segmentation.windowDays).toBe(200);
  });

  it('says that it wrote the sandbox\'s own lines to the .env, not to set them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-init-'));
    const marketo = { MARKETO_BASE_URL: 'http://127.0.0.1:4010/marketo', MARKETO_CLIENT_ID: 'sandbox-marketo-client', MARKETO_CLIENT_SECRET: 'sandbox-marketo-secret' };
    const result = await runInit(
      flags({ yes: true, config: join(dir, 'segsync.yaml'), env: join(dir, '.env') }),
      { env: marketo, registry: CONNECTORS, input: new PassThrough(), prompts: new PassThrough() },
    );
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8')).MARKETO_BULK_POLL_MS).toBe('250');
    const note = result.notes.find((n) => n.includes('MARKETO_BULK_POLL_MS'))!;
    expect(note).toContain(`wrote MARKETO_BULK_POLL_MS=250 to ${join(dir, '.env')} as well`);
    expect(note).not.toMatch(/also set/);
  });

  it('refuses --config and --env naming one file', async () => {
    await expect(
      runInit(flags({ yes: true, config: 'x', env: './x' }), { env: {}, registry: CONNECTORS, input: new PassThrough(), prompts: new PassThrough() }),
    ).rejects.toThrow(/same file/);
  });
});
