/**
 * Issue 12 item 1 end to end, through the CLI against the HubSpot emulator: a mapped property
 * HubSpot lacks stops a pull before it writes anything (and `doctor` fails on it), and a pull that
 * would empty the stored emails of most people is refused unless --allow-blanking.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANCHOR, TOKEN, hubspotWorld, type HubSpotWorld } from '../helpers/sandbox.js';
import { marketoWorld } from '../helpers/marketo-world.js';
import { shopifyWorld } from '../helpers/shopify-world.js';
import { pull } from '../../src/pipeline/run.js';
import { MappingFieldError } from '../../src/pipeline/mapping-check.js';
import type { StoreWorld } from '../helpers/world.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const SHIPPED_MAPPING = readFileSync(join(ROOT, 'mappings/hubspot.yaml'), 'utf8');

async function segsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    return { code: 0, stdout, stderr: messages(stderr) };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: messages(e.stderr) };
  }
}

/** stderr as text: JSON log lines (off a terminal) are read back to their messages. */
function messages(stderr: string): string {
  return stderr.split('\n').map((line) => {
    try {
      return (JSON.parse(line) as { msg: string }).msg;
    } catch {
      return line;
    }
  }).join('\n');
}

/** Every row of the tables a pull writes, every column, in a stable order. */
function dump(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    return JSON.stringify({
      contacts: db.prepare('SELECT * FROM contacts ORDER BY platform, external_id').all(),
      purchases: db.prepare('SELECT * FROM purchases ORDER BY platform, external_id').all(),
      cursors: db.prepare('SELECT * FROM stream_cursors ORDER BY platform, stream').all(),
      quarantine: db.prepare('SELECT * FROM quarantine ORDER BY id').all(),
    });
  } finally {
    db.close();
  }
}

function storedEmails(dbPath: string): Array<string | null> {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare("SELECT email FROM contacts WHERE platform = 'hubspot' AND archived = 0 ORDER BY external_id").all() as Array<{ email: string | null }>)
      .map((r) => r.email);
  } finally {
    db.close();
  }
}

/** The doctor line `name` as printed: mark, detail lines and fix. */
function doctorLine(stdout: string, name: string): { mark: string; text: string } {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^[✓!✗] ${name} {2,}`).test(l));
  if (start < 0) throw new Error(`no line "${name}" in:\n${stdout}`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => !/^\s/.test(l) || l.trim() === '');
  return { mark: lines[start]![0]!, text: [lines[start], ...rest.slice(0, end < 0 ? rest.length : end)].join('\n') };
}

describe('a mapped property HubSpot lacks', () => {
  let world: HubSpotWorld;
  let dir: string;
  beforeAll(async () => {
    world = await hubspotWorld({ size: 120 });
    dir = mkdtempSync(join(tmpdir(), 'segsync-mapped-'));
    const first = await segsync(['pull'], world.env);
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(() => world.close());

  const config = (extra: string) => `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n${extra}`;

  it('the emulator lists every contact and deal property its population holds (what the check reads)', async () => {
    const listed = async (objectType: string) => {
      const res = await fetch(`${world.url}/crm/v3/properties/${objectType}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return new Set(((await res.json()) as { results: Array<{ name: string }> }).results.map((p) => p.name));
    };
    const contactProperties = await listed('contacts');
    const dealProperties = await listed('deals');
    const held = (records: Array<{ properties: Record<string, string | null> }>) =>
      [...new Set(records.flatMap((r) => Object.entries(r.properties).filter(([, v]) => v !== null && v !== '').map(([k]) => k)))];
    const contactHeld = held(world.emulator.listContacts());
    const dealHeld = held(world.emulator.listDeals());
    expect(contactHeld).toEqual(expect.arrayContaining(['email', 'firstname', 'lastname', 'hs_email_optout', 'lifecyclestage']));
    expect(dealHeld).toEqual(expect.arrayContaining(['amount', 'dealstage', 'closedate', 'deal_currency_code']));
    expect(contactHeld.filter((p) => !contactProperties.has(p))).toEqual([]);
    expect(dealHeld.filter((p) => !dealProperties.has(p))).toEqual([]);
    // work_email exists, and nobody has one: the blanking guard's test below maps email to it.
    expect(contactProperties.has('work_email')).toBe(true);
    expect(contactHeld).not.toContain('work_email');
  });

  it('stops the pull before it writes anything, naming the field, the file and the fix (exit 2)', async () => {
    const mapping = join(dir, 'typo.yaml');
    writeFileSync(mapping, SHIPPED_MAPPING.replace('    email: email\n', '    email: emial\n'));
    world.writeConfig(config(`sources:\n  hubspot:\n    mapping: ${mapping}\n`));
    const before = dump(world.dbPath);
    for (const args of [['pull'], ['pull', '--full'], ['sync']]) {
      const { code, stderr } = await segsync(args, world.env);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain('contacts.fields.email');
      expect(stderr).toContain('"emial"');
      expect(stderr).toContain(mapping);
      expect(stderr).toContain('did you mean "email"?');
      expect(stderr).toMatch(/Fix: set contacts\.fields\.email in .*typo\.yaml to a field HubSpot has \(e\.g\. email\)/);
      expect(stderr).toContain('Nothing was pulled or written.');
      expect(dump(world.dbPath)).toBe(before);
    }
    const json = await segsync(['pull', '--json'], world.env);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { kind: 'mapping_field' } });
  });

  it('doctor fails the same check on its own line, with the fix', async () => {
    const mapping = join(dir, 'typo.yaml');
    world.writeConfig(config(`sources:\n  hubspot:\n    mapping: ${mapping}\n`));
    const { code, stdout } = await segsync(['doctor'], world.env);
    expect(code).toBe(1);
    const line = doctorLine(stdout, 'hubspot mapped fields');
    expect(line.mark).toBe('✗');
    expect(line.text).toContain('contacts.fields.email');
    expect(line.text).toContain('"emial"');
    expect(line.text).toContain('fix: set contacts.fields.email');
    expect(line.text).toContain(mapping);

    world.writeConfig(config(''));
    const healthy = await segsync(['doctor'], world.env);
    expect(doctorLine(healthy.stdout, 'hubspot mapped fields').mark).toBe('✓');
  });

  it('a deal property and an attribute added by the workspace config are checked too, and named where they are set', async () => {
    const mapping = join(dir, 'deal-typo.yaml');
    writeFileSync(mapping, SHIPPED_MAPPING.replace('    amount: amount\n', '    amount: amuont\n'));
    world.writeConfig(config(`sources:\n  hubspot:\n    mapping: ${mapping}\n    attributes:\n      jobTitle: job_title\n`));
    const before = dump(world.dbPath);
    const { code, stderr } = await segsync(['pull'], world.env);
    expect(code).toBe(2);
    expect(stderr).toContain('purchases.fields.amount');
    expect(stderr).toContain('HubSpot has no deal property "amuont"');
    expect(stderr).toContain(`sources.hubspot.attributes.jobTitle in ${world.configPath}`);
    expect(stderr).toContain('did you mean "jobtitle"?');
    expect(dump(world.dbPath)).toBe(before);
  });
});

describe('the blanking guard', () => {
  let world: HubSpotWorld;
  let dir: string;
  beforeAll(async () => {
    world = await hubspotWorld({ size: 150 });
    dir = mkdtempSync(join(tmpdir(), 'segsync-blanking-'));
    const first = await segsync(['pull'], world.env);
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(() => world.close());

  /** email mapped to work_email: a property every portal has, empty for everyone here. */
  const useWorkEmail = () => {
    const mapping = join(dir, 'work-email.yaml');
    writeFileSync(mapping, SHIPPED_MAPPING.replace('    email: email\n', '    email: work_email\n'));
    world.writeConfig(`segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\nsources:\n  hubspot:\n    mapping: ${mapping}\n`);
  };

  it('refuses a pull that would empty most stored emails; the store is unchanged', async () => {
    useWorkEmail();
    const before = dump(world.dbPath);
    const { code, stderr } = await segsync(['pull', '--full'], world.env);
    expect(code).toBe(1);
    expect(stderr).toContain('hubspot contacts: pull stopped');
    // The field as mapped on the platform, not the canonical name only.
    expect(stderr).toMatch(/email \(read from hubspot's "work_email"\): \d+ of the \d+ records holding one would lose it \(e\.g\. external id \d+\)/);
    expect(stderr).toContain('--allow-blanking');
    expect(dump(world.dbPath)).toBe(before);
    expect(storedEmails(world.dbPath).every((e) => e !== null)).toBe(true);
    const json = await segsync(['pull', '--full', '--json'], world.env);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { kind: 'blanking_guard' } });
  });

  it('a scheduled pull never allows blanking: the job fails and is recorded', async () => {
    const mapping = join(dir, 'work-email.yaml');
    writeFileSync(mapping, SHIPPED_MAPPING.replace('    email: email\n', '    email: work_email\n'));
    world.writeConfig(`segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\nsources:\n  hubspot:\n    mapping: ${mapping}\n` +
      'schedule:\n  jobs:\n    - name: pull-hubspot\n      run: pull\n      platform: hubspot\n      full: true\n      cron: "0 3 * * *"\n');
    const before = dump(world.dbPath);
    const { code } = await segsync(['schedule', '--once', 'pull-hubspot'], world.env);
    expect(code).toBe(1);
    expect(dump(world.dbPath)).toBe(before);
    const runs = JSON.parse((await segsync(['runs', '--job', 'pull-hubspot', '--json'], world.env)).stdout) as { runs: Array<{ status: string; trigger: string; error: string }> };
    expect(runs.runs[0]).toMatchObject({ status: 'failed', trigger: 'schedule' });
    expect(runs.runs[0]!.error).toContain('--allow-blanking');
  });

  it('goes through with --allow-blanking', async () => {
    useWorkEmail();
    const { code, stderr } = await segsync(['pull', '--full', '--allow-blanking'], world.env);
    expect(code, stderr).toBe(0);
    expect(storedEmails(world.dbPath).every((e) => e === null)).toBe(true);
    // Back to the shipped mapping: the emails return.
    world.writeConfig(`segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\n`);
    expect((await segsync(['pull', '--full'], world.env)).code).toBe(0);
    expect(storedEmails(world.dbPath).every((e) => e !== null)).toBe(true);
  });

  it('a pull where only two people cleared their first name goes through', async () => {
    const [a, b] = world.emulator.listContacts();
    world.emulator.updateContact(a!.id, { firstname: '' });
    world.emulator.updateContact(b!.id, { firstname: '' });
    const { code, stderr } = await segsync(['pull'], world.env);
    expect(code, stderr).toBe(0);
    const db = new Database(world.dbPath, { readonly: true });
    const names = db.prepare("SELECT external_id, first_name FROM contacts WHERE platform = 'hubspot' AND external_id IN (?, ?)").all(a!.id, b!.id);
    db.close();
    expect(names).toEqual([{ external_id: a!.id, first_name: null }, { external_id: b!.id, first_name: null }]);
  });
});

describe('purchase status values', () => {
  let world: HubSpotWorld;
  let dir: string;
  beforeAll(async () => {
    world = await hubspotWorld({ size: 150 });
    dir = mkdtempSync(join(tmpdir(), 'segsync-status-'));
    const first = await segsync(['pull'], world.env);
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(() => world.close());

  const useMapping = (name: string, edit: (yaml: string) => string) => {
    const mapping = join(dir, name);
    const edited = edit(SHIPPED_MAPPING);
    expect(edited).not.toBe(SHIPPED_MAPPING);
    writeFileSync(mapping, edited);
    world.writeConfig(`segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\nsources:\n  hubspot:\n    mapping: ${mapping}\n`);
    return mapping;
  };
  const statuses = () => {
    const db = new Database(world.dbPath, { readonly: true });
    try {
      return Object.fromEntries((db.prepare("SELECT status, COUNT(*) AS n FROM purchases WHERE platform = 'hubspot' GROUP BY status").all() as Array<{ status: string; n: number }>).map((r) => [r.status, r.n]));
    } finally {
      db.close();
    }
  };

  it('the emulator serves the deal pipelines its deals\' stages come from', async () => {
    const res = await fetch(`${world.url}/crm/v3/pipelines/deals`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: Array<{ id: string; label: string; stages: Array<{ id: string; metadata: { isClosed: string } }> }> };
    const stageIds = new Set(body.results.flatMap((p) => p.stages.map((s) => s.id)));
    const used = new Set(world.emulator.listDeals().map((d) => d.properties.dealstage));
    expect([...used].filter((s) => !stageIds.has(s!))).toEqual([]);
    expect(body.results[0]).toMatchObject({ id: 'default', label: 'Sales Pipeline' });
    expect(body.results[0]!.stages.find((s) => s.id === 'closedwon')!.metadata.isClosed).toBe('true');
  });

  it('a misspelt deal stage (closedwn) stops pull, sync and doctor before anything is written, naming the stage ids', async () => {
    const mapping = useMapping('typo.yaml', (yaml) => yaml.replace('      closedwon: won\n', '      closedwn: won\n'));
    const before = dump(world.dbPath);
    for (const args of [['pull', '--full'], ['sync']]) {
      const { code, stderr } = await segsync(args, world.env);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain(`purchases.status.values.closedwn in ${mapping}: "closedwn": no deal pipeline has a stage with id "closedwn"`);
      expect(stderr).toContain('Sales Pipeline (default): appointmentscheduled, qualifiedtobuy');
      expect(stderr).toContain('did you mean "closedwon"?');
      expect(stderr).toMatch(/Fix: rename "closedwn" under purchases\.status\.values in .*typo\.yaml to a value HubSpot uses \(e\.g\. closedwon\)/);
      expect(dump(world.dbPath)).toBe(before);
    }
    const doctor = await segsync(['doctor'], world.env);
    const line = doctorLine(doctor.stdout, 'hubspot mapped fields');
    expect(line.mark).toBe('✗');
    expect(line.text).toContain('"closedwn"');
    expect(line.text).toContain('closedwon');
  });

  it('a mapping that would turn the stored won deals open is refused by the status guard (exit 1), and goes through with --allow-blanking', async () => {
    const won = statuses().won!;
    expect(won).toBeGreaterThan(10);
    // A string property: HubSpot declares no values for it, so only the guard can tell.
    const mapping = useMapping('dealname.yaml', (yaml) => yaml.replace('    field: dealstage\n', '    field: dealname\n'));
    const purchasesOf = () => {
      const all = JSON.parse(dump(world.dbPath)) as { purchases: unknown[]; cursors: Array<{ stream: string }> };
      return JSON.stringify([all.purchases, all.cursors.filter((c) => c.stream === 'purchases')]);
    };
    const before = purchasesOf();
    const { code, stderr } = await segsync(['pull', '--full'], world.env);
    expect(code).toBe(1);
    const n = won.toLocaleString('en-US');
    expect(stderr).toContain(`hubspot purchases: pull stopped: this batch would turn ${n} of the ${n} stored won purchases it updates into the mapping's default status (open ${n}) because their status value is none of the mapped ones`);
    expect(stderr).toContain(`the status field "dealname" (purchases.status in ${mapping}) maps "closedwon" → won, "closedlost" → lost; any other value → open`);
    expect(stderr).toMatch(/e\.g\. external id \d+: stored won, now open/);
    // The contacts were pulled as usual; nothing of the refused purchases batch was written.
    expect(purchasesOf() === before).toBe(true);
    const json = await segsync(['pull', '--full', '--json'], world.env);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { kind: 'status_guard' } });

    expect((await segsync(['pull', '--full', '--allow-blanking'], world.env)).code).toBe(0);
    expect(statuses().won).toBeUndefined();
  });
});

/** Pulls once with the shipped mapping, then with `edit` applied to it: the second pull must refuse and write nothing. */
async function refusedAfterFirstPull(world: StoreWorld, platform: string, edit: (yaml: string) => string, afterFirstPull = () => {}): Promise<MappingFieldError> {
  const first = world.open();
  await pull(first, { full: false, signal: new AbortController().signal });
  first.close();
  afterFirstPull();
  const before = dump(world.dbPath);
  const mapping = join(mkdtempSync(join(tmpdir(), `segsync-${platform}-mapping-`)), `${platform}.yaml`);
  const shipped = readFileSync(join(ROOT, `mappings/${platform}.yaml`), 'utf8');
  const edited = edit(shipped);
  expect(edited).not.toBe(shipped);
  writeFileSync(mapping, edited);
  world.writeConfig(`sources:\n  ${platform}:\n    mapping: ${mapping}\n`);
  const session = world.open();
  try {
    const error = await pull(session, { full: true, signal: new AbortController().signal }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MappingFieldError);
    expect((error as Error).message).toContain(mapping);
    expect(dump(world.dbPath)).toBe(before);
    return error as MappingFieldError;
  } finally {
    session.close();
  }
}

describe('mapped fields on Marketo and Shopify', () => {
  it('Marketo: a lead field and an opportunity field its describe calls lack stop the pull before any export or write', async () => {
    const world = await marketoWorld({ size: 60 });
    try {
      const error = await refusedAfterFirstPull(world, 'marketo', (yaml) => yaml.replace('    email: email\n', '    email: emial\n').replace('    amount: amount\n', '    amount: amuont\n'));
      expect(error.problems.map((p) => [p.key, p.field, p.suggestion])).toEqual([
        ['contacts.fields.email', 'emial', 'email'],
        ['purchases.fields.amount', 'amuont', 'amount'],
      ]);
      const calls = world.emulator.requests.map((r) => `${r.method} ${r.path}`);
      const lastDescribe = calls.lastIndexOf('GET /rest/v1/opportunities/describe.json');
      expect(lastDescribe).toBeGreaterThan(0);
      // Nothing after the check: no bulk export, no activities, no opportunities read.
      expect(calls.slice(lastDescribe + 1)).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it('Shopify: a path the Admin schema lacks, or one ending on an object, stops the pull before any query', async () => {
    const world = await shopifyWorld({ size: 60 });
    try {
      let afterFirstPull = 0;
      const error = await refusedAfterFirstPull(world, 'shopify', (yaml) => yaml
        .replace('email: defaultEmailAddress.emailAddress', 'email: defaultEmailAddress')
        .replace('occurredAt: processedAt', 'occurredAt: procesedAt'), () => (afterFirstPull = world.emulator.requests.length));
      expect(error.problems.map((p) => [p.key, p.field, p.suggestion])).toEqual([
        ['contacts.fields.email', 'defaultEmailAddress', 'defaultEmailAddress.emailAddress'],
        ['purchases.fields.occurredAt', 'procesedAt', 'processedAt'],
      ]);
      expect(error.message).toContain('is an object (CustomerEmailAddress), not a value');
      // Shopify's schema is fixed: the fix is to correct the path, not to create a field.
      expect(error.fix).toContain('set contacts.fields.email in ');
      expect(error.fix).toContain('to a field Shopify has (e.g. defaultEmailAddress.emailAddress)');
      expect(error.fix).not.toContain('create');
      expect(afterFirstPull).toBeGreaterThan(0);
      // The check is offline: the refused pull sent nothing at all.
      expect(world.emulator.requests.length).toBe(afterFirstPull);
    } finally {
      await world.close();
    }
  });
});
