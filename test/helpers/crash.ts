/**
 * Crash-and-resume harness: a sandbox (every emulator) in the test process, segsync as a real
 * child process pointed at it, and a kill switch that sends SIGKILL to the child the moment the
 * N-th request of a given kind has fully arrived at an emulator — before the emulator has acted
 * on it, so the platform applies the change while segsync never hears the answer (the most
 * hostile point). Then: snapshots of the store and of the platforms by stable keys, to compare a
 * killed-and-resumed scenario with one that was never killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CONNECTORS } from '../../connectors/index.js';
import type { HubSpotEmulator } from '../../connectors/hubspot/emulator/index.js';
import { MarketoEmulator } from '../../connectors/marketo/emulator/index.js';
import { SANDBOX_MARKETO_CLIENT_ID, SANDBOX_MARKETO_CLIENT_SECRET } from '../../connectors/marketo/index.js';
import type { ShopifyEmulator } from '../../connectors/shopify/emulator/index.js';
import { segmentTag } from '../../connectors/shopify/destination.js';
import type { ConnectorDescriptor, MountedEmulator } from '../../src/domain/connector.js';
import { populationOn } from '../../src/sandbox/presence.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

const ROOT = join(import.meta.dirname, '../..');
export const ANCHOR = new Date('2026-06-01T00:00:00.000Z');
export const SEED = 11;
export const SIZE = 300;
/**
 * Marketo bulk export jobs run 200 ms each in the emulator; a 300-person population spans ~50
 * monthly windows, so a full Marketo pull would take ~10 s. 40 ms keeps real polling (jobs are
 * still Queued/Processing when asked) at a fifth of the time.
 */
const MARKETO_EXPORT_MS = 40;

export type Platform = 'hubspot' | 'marketo' | 'shopify';
const PLATFORMS: readonly Platform[] = ['hubspot', 'marketo', 'shopify'];

/** One request as it reached an emulator. */
export interface SeenRequest {
  seq: number;
  /** Index of the segsync run it arrived during; -1 for the test's own look-ups. */
  run: number;
  platform: Platform;
  method: string;
  /** Path below the emulator's mount, without the query. */
  path: string;
  /** Shopify: the GraphQL operation name. */
  operation: string | null;
  body: string;
  response?: string;
}

/** Where to kill: the `nth` request of a kind on one platform (counted from the killed run's start). */
export interface KillPoint {
  name: string;
  phase: 'pull' | 'push';
  platform: Platform;
  nth: number;
  match: (r: SeenRequest) => boolean;
  /**
   * Kill in the middle of the answer instead of on arrival: send the first `lines` lines of it,
   * wait until `stored` (SQL, first column truthy) holds in segsync's store, then kill.
   */
  midAnswer?: { lines: number; stored: string };
}

export interface RunOutcome {
  index: number;
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The request whose arrival triggered the SIGKILL. */
  killedAt?: SeenRequest;
  /** Write requests each emulator answered during this run (its own request log's `write` flag). */
  writes: Record<Platform, number>;
}

export type Snapshot = Record<string, string[]>;

export interface EffectiveChange {
  platform: Platform;
  list: string;
  member: string;
  change: 'added' | 'removed';
  run: number;
}

const http = (method: string, path: RegExp) => (r: SeenRequest) => r.method === method && path.test(r.path);
/** Request matchers: a REST call by method and path, a Shopify GraphQL call by operation name. */
export const requestKind = {
  hubspot: http,
  marketo: http,
  shopify: (operation: string) => (r: SeenRequest) => r.operation === operation,
};

/** The sandbox registry, with Marketo's bulk export jobs shortened (see MARKETO_EXPORT_MS). */
function registry(): readonly ConnectorDescriptor<never>[] {
  return (CONNECTORS as readonly ConnectorDescriptor<never>[]).map((d) => {
    if (d.id !== 'marketo' || !d.emulator) return d;
    return {
      ...d,
      emulator: {
        ...d.emulator,
        create(people, pace = 'realistic') {
          const emulator = new MarketoEmulator({
            clientId: SANDBOX_MARKETO_CLIENT_ID,
            clientSecret: SANDBOX_MARKETO_CLIENT_SECRET,
            ...(pace === 'fast' ? { rateLimit: { max: 5000, intervalMs: 20_000 } } : {}),
            exportProcessingMs: MARKETO_EXPORT_MS,
          });
          emulator.load(populationOn(people, 'marketo'));
          return emulator;
        },
      },
    };
  });
}

function operationOf(body: string): string | null {
  try {
    const json = JSON.parse(body) as { operationName?: unknown; query?: unknown };
    if (typeof json.operationName === 'string' && json.operationName) return json.operationName;
    return typeof json.query === 'string' ? (/\b(?:query|mutation)\s+([_A-Za-z]\w*)/.exec(json.query)?.[1] ?? null) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Marks {
  requests: Record<Platform, number>;
}

/** A sandbox, a store and a workspace config of their own; segsync runs against them as a child. */
export class CrashWorld {
  readonly requests: SeenRequest[] = [];
  readonly runs: RunOutcome[] = [];
  private current = -1;
  private inFlight = 0;
  private trap: { point: KillPoint; seen: number; child: ChildProcess; armed?: SeenRequest; fired?: SeenRequest } | undefined;
  /** Where Marketo's and Shopify's change logs stood at each run's start. */
  private readonly changeStarts = { marketo: [] as number[], shopify: [] as number[] };

  private constructor(
    readonly sandbox: Sandbox,
    readonly dbPath: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    for (const platform of PLATFORMS) this.instrument(platform);
  }

  static async start(): Promise<CrashWorld> {
    const sandbox = await startSandbox({ registry: registry(), size: SIZE, seed: SEED, anchor: ANCHOR, pace: 'fast' });
    const dir = mkdtempSync(join(tmpdir(), 'segsync-crash-'));
    const config = join(dir, 'workspace.yaml');
    // Control groups off: every run's store draws its own salt, so the runs compared with the reference would hold out different people.
    writeFileSync(config, `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\ncontrolGroups:\n  share: 0\n`);
    const dbPath = join(dir, 'segsync.db');
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...sandbox.env, SEGSYNC_DB: dbPath, SEGSYNC_CONFIG: config };
    return new CrashWorld(sandbox, dbPath, env);
  }

  close(): Promise<void> {
    return this.sandbox.close();
  }

  get hubspot(): HubSpotEmulator {
    return this.sandbox.emulators.get('hubspot') as HubSpotEmulator;
  }

  get marketo(): MarketoEmulator {
    return this.sandbox.emulators.get('marketo') as MarketoEmulator;
  }

  get shopify(): ShopifyEmulator {
    return this.sandbox.emulators.get('shopify') as ShopifyEmulator;
  }

  private emulatorLog(platform: Platform): ReadonlyArray<{ write: boolean }> {
    return platform === 'hubspot' ? this.hubspot.requests : platform === 'marketo' ? this.marketo.requests : this.shopify.requests;
  }

  /** Sees every request before its emulator does; kills the child at the armed kill point. */
  private instrument(platform: Platform): void {
    const emulator = this.sandbox.emulators.get(platform) as MountedEmulator;
    const handle = emulator.handle.bind(emulator);
    emulator.handle = (req: IncomingMessage, res: ServerResponse, path: string) => {
      const q = path.indexOf('?');
      const seen: SeenRequest = {
        seq: this.requests.length,
        run: this.current,
        platform,
        method: (req.method ?? 'GET').toUpperCase(),
        path: q >= 0 ? path.slice(0, q) : path,
        operation: null,
        body: '',
      };
      this.requests.push(seen);
      this.inFlight++;
      res.once('close', () => this.inFlight--);
      res.on('error', () => undefined); // answers to a killed client go nowhere
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      (res as unknown as { end: (...args: unknown[]) => ServerResponse }).end = (...args: unknown[]) => {
        const chunk = args[0];
        if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) seen.response = String(chunk);
        if (this.trap?.armed === seen && seen.response !== undefined) {
          void this.killMidAnswer(seen.response, res, () => end(...args.slice(1)));
          return res;
        }
        return end(...args);
      };
      // The emulator starts reading the body first; these listeners see the same chunks, and
      // 'end' reaches this listener before the emulator's continuation runs (a microtask later).
      handle(req, res, path);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.body = Buffer.concat(chunks).toString('utf8');
        if (platform === 'shopify') seen.operation = operationOf(seen.body);
        this.arrived(seen);
      });
    };
  }

  private arrived(seen: SeenRequest): void {
    const trap = this.trap;
    if (!trap || trap.fired || seen.platform !== trap.point.platform || seen.run !== this.current || !trap.point.match(seen)) return;
    if (++trap.seen < trap.point.nth) return;
    if (trap.point.midAnswer) {
      trap.armed = seen;
      return;
    }
    trap.fired = seen;
    trap.child.kill('SIGKILL');
  }

  /** Sends the head of an answer, waits until the store shows it was taken in, kills, then sends the rest. */
  private async killMidAnswer(answer: string, res: ServerResponse, finish: () => void): Promise<void> {
    const trap = this.trap!;
    const { lines, stored } = trap.point.midAnswer!;
    const cut = answer.split('\n').slice(0, lines).join('\n').length + 1;
    res.write(answer.slice(0, cut));
    for (let i = 0; i < 2000 && trap.child.exitCode === null && trap.child.signalCode === null; i++) {
      let reached = false;
      try {
        reached = this.withDb((db) => Boolean(Object.values((db.prepare(stored).get() as Record<string, unknown> | undefined) ?? {})[0]));
      } catch {
        // The store may not exist yet, or be busy: ask again.
      }
      if (reached) {
        trap.fired = trap.armed;
        trap.child.kill('SIGKILL');
        break;
      }
      await sleep(5);
    }
    res.write(answer.slice(cut));
    finish();
  }

  private marks(): Marks {
    return { requests: { hubspot: this.hubspot.requests.length, marketo: this.marketo.requests.length, shopify: this.shopify.requests.length } };
  }

  /** Runs `segsync <args>` as a child process to its end (or to the kill point, when given). */
  async segsync(args: string[], killAt?: KillPoint): Promise<RunOutcome> {
    const index = this.runs.length;
    this.current = index;
    this.markChanges();
    const before = this.marks();
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.trap = killAt ? { point: killAt, seen: 0, child } : undefined;
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve({ code: c, signal: s }));
    });
    const ms = Date.now() - started;
    // Requests the child sent before it died may still be in the emulators' hands: let them finish.
    await sleep(30);
    for (let i = 0; this.inFlight > 0 && i < 400; i++) await sleep(5);
    const after = this.marks();
    const writes = {} as Record<Platform, number>;
    for (const p of PLATFORMS) writes[p] = this.emulatorLog(p).slice(before.requests[p], after.requests[p]).filter((r) => r.write).length;
    const outcome: RunOutcome = { index, args, code, signal, stdout, stderr, ms, writes, ...(this.trap?.fired ? { killedAt: this.trap.fired } : {}) };
    this.trap = undefined;
    this.current = -1;
    this.runs.push(outcome);
    return outcome;
  }

  requestsOf(run: number): SeenRequest[] {
    return this.requests.filter((r) => r.run === run);
  }

  // ================================================================ what the platforms did

  /**
   * Membership changes that took effect on each platform, in order. HubSpot says so in its answer
   * (recordsIdsAdded / recordIdsRemoved, as the real API does); Marketo logs an Add to List
   * activity only for a lead that was not on the list; the Shopify emulator keeps a log of tags
   * that were actually added or removed.
   */
  effectiveChanges(): EffectiveChange[] {
    const out: EffectiveChange[] = [];
    for (const r of this.requests) {
      const m = r.platform === 'hubspot' && r.method === 'PUT' ? /^\/crm\/v3\/lists\/(\d+)\/memberships\/(add|remove|add-and-remove)$/.exec(r.path) : null;
      if (!m || !r.response) continue;
      const answer = JSON.parse(r.response) as { recordsIdsAdded?: string[]; recordIdsRemoved?: string[] };
      for (const id of answer.recordsIdsAdded ?? []) out.push({ platform: 'hubspot', list: m[1]!, member: id, change: 'added', run: r.run });
      for (const id of answer.recordIdsRemoved ?? []) out.push({ platform: 'hubspot', list: m[1]!, member: id, change: 'removed', run: r.run });
    }
    // Marketo and Shopify log changes, not requests: attribute them to runs by when they happened.
    const marketo = this.marketo.listMembershipChanges();
    const shopify = this.shopify.tagChanges().filter((c) => c.tag.startsWith('segsync:'));
    const runOf = (i: number, starts: number[]) => {
      let run = -1;
      starts.forEach((s, r) => {
        if (s <= i) run = r;
      });
      return run;
    };
    marketo.forEach((c, i) => out.push({ platform: 'marketo', list: c.listId, member: c.leadId, change: c.change, run: runOf(i, this.changeStarts.marketo) }));
    shopify.forEach((c, i) => out.push({ platform: 'shopify', list: c.tag, member: c.customerId, change: c.change, run: runOf(i, this.changeStarts.shopify) }));
    return out;
  }

  /** Where each platform's change log stands as a run starts (for `effectiveChanges().run`). */
  private markChanges(): void {
    this.changeStarts.marketo.push(this.marketo.listMembershipChanges().length);
    this.changeStarts.shopify.push(this.shopify.tagChanges().filter((c) => c.tag.startsWith('segsync:')).length);
  }

  /** Every (platform, remote list, member) a run asked to add, from its list-add requests. */
  memberAddsOf(run: number): string[] {
    const out: string[] = [];
    for (const r of this.requestsOf(run)) {
      let m: RegExpExecArray | null;
      if (r.platform === 'hubspot' && r.method === 'PUT' && (m = /^\/crm\/v3\/lists\/(\d+)\/memberships\/add$/.exec(r.path))) {
        for (const id of JSON.parse(r.body) as string[]) out.push(`hubspot ${m[1]} ${id}`);
      }
      if (r.platform === 'marketo' && r.method === 'POST' && (m = /^\/rest\/v1\/lists\/(\d+)\/leads\.json$/.exec(r.path))) {
        for (const { id } of (JSON.parse(r.body) as { input: Array<{ id: number }> }).input) out.push(`marketo ${m[1]} ${id}`);
      }
      if (r.platform === 'shopify' && r.operation === 'TagsAdd') {
        const variables = (JSON.parse(r.body) as { variables: Record<string, unknown> }).variables;
        const tag = (variables.tags as string[])[0];
        for (const [k, v] of Object.entries(variables)) if (/^id\d+$/.test(k)) out.push(`shopify ${tag} ${String(v)}`);
      }
    }
    return out;
  }

  /** The list members segsync has recorded as added, as (platform, remote list, member). */
  recordedMembers(): Set<string> {
    return this.withDb((db) => new Set((db.prepare(`SELECT l.destination AS d, l.remote_id AS list, m.external_id AS id FROM destination_list_members m
      JOIN destination_lists l ON l.destination = m.destination AND l.segment_key = m.segment_key`).all() as Array<{ d: string; list: string; id: string }>)
      .map((r) => `${r.d} ${r.list} ${r.id}`)));
  }

  /** Write requests of `run` identical (platform, method, path, body) to one sent in an earlier run. */
  resentWrites(run: number): SeenRequest[] {
    const isWrite = (r: SeenRequest) =>
      r.platform === 'shopify' ? /^\s*mutation\b/.test((JSON.parse(r.body || '{}') as { query?: string }).query ?? '') && r.operation !== 'BulkQueryRun'
        : r.platform === 'marketo' ? (r.method === 'POST' || r.method === 'DELETE') && !r.path.startsWith('/bulk/') && r.path !== '/identity/oauth/token'
          : r.method !== 'GET' && !/\/(search|batch\/read)$/.test(r.path);
    const earlier = new Set(this.requests.filter((r) => r.run >= 0 && r.run < run && isWrite(r)).map((r) => `${r.platform} ${r.method} ${r.path} ${r.body}`));
    return this.requestsOf(run).filter((r) => isWrite(r) && earlier.has(`${r.platform} ${r.method} ${r.path} ${r.body}`));
  }

  // ================================================================ snapshots by stable keys

  /** The store and the platforms, as sorted lines keyed by natural keys (no ids, no timestamps). */
  async snapshot(): Promise<Snapshot> {
    return { ...this.storeSnapshot(), ...(await this.platformSnapshot()) };
  }

  private withDb<T>(read: (db: Database.Database) => T): T {
    const db = new Database(this.dbPath, { readonly: true, fileMustExist: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  }

  private storeSnapshot(): Snapshot {
    return this.withDb((db) => {
      const lines = (sql: string) => (db.prepare(sql).all() as Array<Record<string, unknown>>).map((row) => Object.values(row).map((v) => (v === null ? '∅' : String(v))).join(' | ')).sort();
      const profile = `COALESCE(p.email_key, 'phone:' || p.phone_key, 'ids:' || (SELECT MIN(i.platform || ':' || i.external_id) FROM identities i WHERE i.profile_id = p.id))`;
      return {
        // updated_at, raw and pull times move when a platform records segsync's own writes; content_hash is the content that matters.
        'store.contacts': lines(`SELECT platform, external_id, email, email_normalized, phone, phone_normalized, first_name, last_name, country, city,
          created_at, email_consent, archived, merged_into, attributes, content_hash FROM contacts`),
        'store.purchases': lines('SELECT platform, external_id, amount, currency, occurred_at, status, archived, invalid, updated_at, content_hash FROM purchases'),
        'store.purchase_contacts': lines('SELECT platform, purchase_external_id, contact_external_id FROM purchase_contacts'),
        'store.quarantine': lines(`SELECT platform, stream, COALESCE(external_id, 'raw:' || raw), reason FROM quarantine`),
        'store.quarantine by reason': lines('SELECT reason, COUNT(*) FROM quarantine GROUP BY reason'),
        'store.profiles': lines(`SELECT ${profile}, p.phone_key FROM profiles p`),
        'store.identities': lines(`SELECT i.platform, i.external_id, ${profile} FROM identities i JOIN profiles p ON p.id = i.profile_id`),
        'store.segments': lines('SELECT key, name, kind FROM segments'),
        'store.open memberships': lines(`SELECT ${profile}, m.segment_key FROM memberships m JOIN profiles p ON p.id = m.profile_id WHERE m.left_at IS NULL`),
        'store.closed memberships': lines(`SELECT ${profile}, m.segment_key FROM memberships m JOIN profiles p ON p.id = m.profile_id WHERE m.left_at IS NOT NULL`),
        'store.profile_tokens': lines(`SELECT ${profile}, t.token, t.value FROM profile_tokens t JOIN profiles p ON p.id = t.profile_id`),
        'store.destination_lists': lines('SELECT destination, segment_key, name FROM destination_lists'),
        'store.destination_list_members': lines('SELECT destination, segment_key, external_id FROM destination_list_members'),
        'store.destination_tokens': lines('SELECT destination, external_id, token, value FROM destination_tokens'),
        // The list segsync recorded is the live one of that name on the platform (not an orphan).
        'store.destination lists resolve': (db.prepare('SELECT destination, segment_key, remote_id, name FROM destination_lists').all() as Array<{ destination: string; segment_key: string; remote_id: string; name: string }>)
          .map((l) => `${l.destination} | ${l.segment_key} | ${this.remoteListId(l.destination, l.name, l.segment_key) === l.remote_id ? 'live list of that name' : `stale id ${l.remote_id}`}`)
          .sort(),
      };
    });
  }

  private remoteListId(destination: string, name: string, segmentKey: string): string | undefined {
    if (destination === 'hubspot') return this.hubspot.listByName(name)?.listId;
    if (destination === 'marketo') return this.marketo.listByName(name)?.id;
    return segmentTag(segmentKey); // Shopify: the "list" is a customer tag
  }

  /** Every HubSpot list (through the Lists API: the emulator has no accessor for all of them). */
  async hubspotLists(): Promise<Array<{ listId: string; name: string }>> {
    const res = await fetch(`${this.sandbox.url}/hubspot/crm/v3/lists/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.sandbox.env.HUBSPOT_ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ count: 500 }),
    });
    if (!res.ok) throw new Error(`lists/search answered ${res.status}`);
    return ((await res.json()) as { lists: Array<{ listId: string; name: string }> }).lists;
  }

  private async platformSnapshot(): Promise<Snapshot> {
    const hs = this.hubspot;
    const hsEmail = (id: string) => hs.getContact(id)?.properties.email ?? '∅';
    const hubspotLists = await this.hubspotLists();
    const mk = this.marketo;
    const mkEmail = (id: string) => String(mk.getLead(id)?.fields.email ?? '∅');
    const filled = (v: unknown) => v !== null && v !== undefined && v !== '';
    return {
      'hubspot.lists': hubspotLists.map((l) => `${l.name}: ${hs.listMemberIds(l.listId).map((id) => `${id}:${hsEmail(id)}`).join(', ')}`).sort(),
      'hubspot.segsync properties': hs.listContacts().flatMap((c) => {
        const props = Object.entries(c.properties).filter(([k, v]) => k.startsWith('segsync_') && filled(v)).sort(([a], [b]) => a.localeCompare(b));
        return props.length > 0 ? [`${c.id}:${c.properties.email ?? '∅'} ${props.map(([k, v]) => `${k}=${v}`).join(' ')}`] : [];
      }).sort(),
      'marketo.lists': mk.staticLists().map((l) => `${l.name}: ${mk.listMemberIds(l.id).map((id) => `${id}:${mkEmail(id)}`).join(', ')}`).sort(),
      'marketo.segsync fields': mk.listLeads().flatMap((l) => {
        const fields = Object.entries(mk.getLead(l.id)?.fields ?? {}).filter(([k, v]) => k.startsWith('segsync') && filled(v)).sort(([a], [b]) => a.localeCompare(b));
        return fields.length > 0 ? [`${l.id}:${l.email ?? '∅'} ${fields.map(([k, v]) => `${k}=${String(v)}`).join(' ')}`] : [];
      }).sort(),
      'shopify.segsync tags': this.shopify.listCustomers().flatMap((c) => {
        const tags = c.tags.filter((t) => t.startsWith('segsync:')).sort();
        return tags.length > 0 ? [`${c.id}:${c.email ?? '∅'} ${tags.join(' ')}`] : [];
      }).sort(),
      'shopify.segsync metafields': this.shopify.listCustomers().flatMap((c) => {
        const fields = Object.entries(c.metafields).filter(([k]) => k.startsWith('segsync.')).sort(([a], [b]) => a.localeCompare(b));
        return fields.length > 0 ? [`${c.id}:${c.email ?? '∅'} ${fields.map(([k, v]) => `${k}=${v.value}`).join(' ')}`] : [];
      }).sort(),
      'effective list changes': Object.entries(
        this.effectiveChanges().reduce<Record<string, number>>((n, c) => ({ ...n, [`${c.platform} ${c.change}`]: (n[`${c.platform} ${c.change}`] ?? 0) + 1 }), {}),
      ).map(([k, v]) => `${k}: ${v}`).sort(),
    };
  }

  /** Rows that share a natural key, lists that exist twice on a platform, tags a customer has twice. */
  async duplicates(): Promise<string[]> {
    const found = this.withDb((db) => {
      const keys: Array<[string, string, string?]> = [
        ['contacts', 'platform, external_id'],
        ['purchases', 'platform, external_id'],
        ['purchase_contacts', 'platform, purchase_external_id, contact_external_id'],
        ['quarantine', `platform, stream, COALESCE(external_id, raw)`],
        ['profiles', 'email_key', 'email_key IS NOT NULL'],
        ['identities', 'platform, external_id'],
        ['memberships', 'profile_id, segment_key', 'left_at IS NULL'],
        ['profile_tokens', 'profile_id, token'],
        ['destination_lists', 'destination, segment_key'],
        ['destination_lists', 'destination, remote_id'],
        ['destination_list_members', 'destination, segment_key, external_id'],
        ['destination_tokens', 'destination, external_id, token'],
      ];
      return keys.flatMap(([table, key, where]) =>
        (db.prepare(`SELECT ${key}, COUNT(*) AS n FROM ${table} ${where ? `WHERE ${where}` : ''} GROUP BY ${key} HAVING n > 1`).all() as Array<Record<string, unknown>>)
          .map((row) => `${table} (${key}): ${JSON.stringify(row)}`),
      );
    });
    const twice = (platform: string, names: string[]) => {
      const count = new Map<string, number>();
      for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
      return [...count].filter(([, n]) => n > 1).map(([name, n]) => `${platform} list "${name}" exists ${n} times`);
    };
    found.push(...twice('hubspot', (await this.hubspotLists()).map((l) => l.name)));
    found.push(...twice('marketo', this.marketo.staticLists().map((l) => l.name)));
    for (const c of this.shopify.listCustomers()) found.push(...twice(`shopify customer ${c.id} tag`, c.tags.map((t) => t.toLowerCase())));
    return found;
  }

  /** (platform, list, member) that were added in effect more than once. */
  addedTwice(): string[] {
    const count = new Map<string, number>();
    for (const c of this.effectiveChanges()) if (c.change === 'added') count.set(`${c.platform} ${c.list} ${c.member}`, (count.get(`${c.platform} ${c.list} ${c.member}`) ?? 0) + 1);
    return [...count].filter(([, n]) => n > 1).map(([k, n]) => `${k} added ${n} times`);
  }

  /** What the store holds per platform (to show where a killed run left it). */
  storeCounts(): string {
    return this.withDb((db) => {
      const per = (sql: string) => Object.fromEntries((db.prepare(sql).all() as Array<{ p: string; n: number }>).map((r) => [r.p, r.n]));
      return JSON.stringify({
        contacts: per('SELECT platform AS p, COUNT(*) AS n FROM contacts GROUP BY platform'),
        purchases: per('SELECT platform AS p, COUNT(*) AS n FROM purchases GROUP BY platform'),
        cursors: per("SELECT platform || '.' || stream AS p, json_extract(cursor, '$.phase') AS n FROM stream_cursors"),
        listMembers: per('SELECT destination AS p, COUNT(*) AS n FROM destination_list_members GROUP BY destination'),
        lists: per('SELECT destination AS p, COUNT(*) AS n FROM destination_lists GROUP BY destination'),
      });
    });
  }

  runHistory(): Array<{ command: string; status: string; error: string | null }> {
    return this.withDb((db) => db.prepare('SELECT command, status, error FROM runs ORDER BY id').all() as Array<{ command: string; status: string; error: string | null }>);
  }
}

// ================================================================ scenarios

export interface CrashReport {
  point: KillPoint;
  killed: RunOutcome;
  rerun: RunOutcome;
  /** The extra `segsync push` after a kill during the push. */
  push?: RunOutcome;
  snapshot: Snapshot;
  duplicates: string[];
  addedTwice: string[];
  history: Array<{ command: string; status: string; error: string | null }>;
  /** Member adds the resumed run sent although the killed run had recorded them as confirmed. */
  resentConfirmed: string[];
  /** What the resumed run sent again: identical write requests, member adds that were no-ops. */
  resent: { identicalWrites: string[]; memberAdds: Record<Platform, { sent: number; effective: number; noOps: number }> };
  /** The store as the killed run left it (counts per platform, cursor phases). */
  leftBehind: string;
  ms: number;
}

/** The never-killed reference: one `segsync sync` in a fresh sandbox with the same seed. */
export async function referenceRun(): Promise<{ run: RunOutcome; snapshot: Snapshot; ms: number }> {
  const started = Date.now();
  const world = await CrashWorld.start();
  try {
    const run = await world.segsync(['sync']);
    if (run.code !== 0) throw new Error(`reference sync exited ${run.code}:\n${run.stderr}${run.stdout}`);
    return { run, snapshot: await world.snapshot(), ms: Date.now() - started };
  } finally {
    await world.close();
  }
}

/** Kill `segsync sync` at the point, run `segsync sync` again, then (after a push kill) `segsync push`. */
export async function crashAndResume(point: KillPoint): Promise<CrashReport> {
  const started = Date.now();
  const world = await CrashWorld.start();
  try {
    const killed = await world.segsync(['sync'], point);
    const leftBehind = killed.killedAt ? world.storeCounts() : 'no store';
    const recorded = world.recordedMembers();
    const rerun = await world.segsync(['sync']);
    let push: RunOutcome | undefined;
    if (point.phase === 'push') {
        push = await world.segsync(['push']);
    }
    const sent = world.memberAddsOf(rerun.index);
    const effective = world.effectiveChanges().filter((c) => c.run === rerun.index && c.change === 'added');
    const memberAdds = {} as CrashReport['resent']['memberAdds'];
    for (const p of PLATFORMS) {
      const e = effective.filter((c) => c.platform === p).length;
      const n = sent.filter((m) => m.startsWith(`${p} `)).length;
      memberAdds[p] = { sent: n, effective: e, noOps: n - e };
    }
    return {
      point,
      killed,
      rerun,
      ...(push ? { push } : {}),
      snapshot: await world.snapshot(),
      duplicates: await world.duplicates(),
      addedTwice: world.addedTwice(),
      history: world.runHistory(),
      resentConfirmed: world.memberAddsOf(rerun.index).filter((m) => recorded.has(m)),
      resent: {
        identicalWrites: world.resentWrites(rerun.index).map((r) => `${r.platform} ${r.method} ${r.path}${r.operation ? ` ${r.operation}` : ''}`),
        memberAdds,
      },
      leftBehind,
      ms: Date.now() - started,
    };
  } finally {
    await world.close();
  }
}

/** Runs at most `n` jobs at once (scenarios are independent: own sandbox, own store). */
export function pool(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await job();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** One line per kill point for the test log. */
export function describeReport(r: CrashReport): string {
  const at = r.killed.killedAt;
  const adds = Object.entries(r.resent.memberAdds).filter(([, v]) => v.sent > 0).map(([p, v]) => `${p} ${v.sent} sent/${v.effective} effective/${v.noOps} no-op`).join('; ');
  const identical = r.resent.identicalWrites.reduce<Record<string, number>>((n, w) => ({ ...n, [w]: (n[w] ?? 0) + 1 }), {});
  return [
    `${r.point.name}: killed at #${at?.seq} ${at?.platform} ${at?.method} ${at?.path}${at?.operation ? ` ${at.operation}` : ''} after ${r.killed.ms} ms`,
    `  store left behind: ${r.leftBehind}`,
    `  killed run writes ${JSON.stringify(r.killed.writes)}; rerun writes ${JSON.stringify(r.rerun.writes)}${r.push ? `; final push writes ${JSON.stringify(r.push.writes)}` : ''}`,
    `  rerun member adds: ${adds || 'none'}`,
    `  rerun re-sent identical writes: ${Object.entries(identical).map(([k, v]) => `${v}× ${k}`).join('; ') || 'none'}`,
    `  scenario ${r.ms} ms`,
  ].join('\n');
}
