import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forget } from '../../src/pipeline/forget.js';
import { pull, push, recorded, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { PendingRemovals } from '../../src/store/pending-removals.js';
import { hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';

const PLATFORMS = ['hubspot', 'marketo', 'shopify'];

describe('forget while a platform cannot be asked', () => {
  let world: HubSpotWorld;
  let session: Session;
  let email: string;
  let contactId: string;
  let listIds: string[];

  beforeAll(async () => {
    world = await hubspotWorld({ size: 80, seed: 3 });
    session = world.open();
    await pull(session, { full: true, signal });
    segment(session);
    await push(session, { dryRun: false, allowMassRemoval: false, signal });
    const row = session.db
      .prepare(`SELECT m.external_id AS id, c.email_normalized AS email FROM destination_list_members m
                JOIN contacts c ON c.platform = m.destination AND c.external_id = m.external_id
                WHERE m.destination = 'hubspot' ORDER BY m.external_id LIMIT 1`)
      .get() as { id: string; email: string };
    contactId = row.id;
    email = row.email;
    listIds = (session.db.prepare("SELECT remote_id FROM destination_lists WHERE destination = 'hubspot'").all() as Array<{ remote_id: string }>)
      .map((r) => r.remote_id);
  }, 60_000);

  afterAll(() => world.close());

  const onAList = () => listIds.some((l) => world.emulator.listMemberIds(l).includes(contactId));

  it('keeps only the platform, contact id and list or fields for later, and the next push finishes the removals and the erasure', async () => {
    expect(onAList()).toBe(true);
    // HubSpot refuses the first call (credentials revoked meanwhile): nothing more is tried this time.
    world.emulator.injectFault({
      match: /memberships\/remove/,
      times: 1,
      status: 401,
      body: { status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION', correlationId: 'c-1' },
    });
    const result = await forget(session, { targets: [email], onPlatforms: true, dryRun: false, platforms: PLATFORMS, signal });
    expect(result.platforms.length).toBeGreaterThan(2);
    expect(result.platforms.every((o) => o.status === 'pending')).toBe(true);
    expect(result.platforms.map((o) => o.action)).toEqual(expect.arrayContaining(['list_remove', 'clear_tokens', 'erase']));
    expect(onAList()).toBe(true);
    expect(world.emulator.getContact(contactId)).toBeDefined();

    // What waits holds no email, no name: platform, contact id, list or token fields.
    const waiting = session.db.prepare('SELECT platform, external_id, action, target, last_error FROM pending_platform_removals').all();
    expect(waiting.length).toBe(result.platforms.length);
    expect(JSON.stringify(waiting)).not.toContain(email);
    expect(JSON.stringify(waiting)).toContain(contactId);
    expect(session.db.prepare('SELECT COUNT(*) AS n FROM contacts WHERE email_normalized = ?').get(email)).toEqual({ n: 0 });

    const planned = await push(session, { dryRun: true, allowMassRemoval: false, signal });
    expect(planned.pendingRemovals).toEqual({ planned: result.platforms.length });
    expect(new PendingRemovals(session.db).count()).toBe(result.platforms.length);

    const { result: pushed } = await recorded(session, 'push', () => push(session, { dryRun: false, allowMassRemoval: false, signal }));
    expect(pushed.pendingRemovals).toEqual({ done: result.platforms.length });
    // The run history counts them, never names them.
    const history = session.db.prepare("SELECT summary FROM runs WHERE command IN ('push', 'forget')").all() as Array<{ summary: string }>;
    expect(history).toHaveLength(2);
    for (const r of history) expect(r.summary).not.toContain(`"${contactId}"`);
    expect(new PendingRemovals(session.db).count()).toBe(0);
    expect(onAList()).toBe(false);
    expect(world.emulator.getContact(contactId)).toBeUndefined();
    expect(world.emulator.contactIdForEmail(email)).toBeUndefined();

    const again = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(again.pendingRemovals).toBeUndefined();
  }, 60_000);

  it('an id the platform does not have is reported absent, not failed', async () => {
    const result = await forget(session, { targets: ['hubspot:999999999'], onPlatforms: true, dryRun: false, platforms: PLATFORMS, signal });
    expect(result.people[0]).toMatchObject({ found: false });
    expect(result.platforms).toEqual([expect.objectContaining({ platform: 'hubspot', externalId: '999999999', action: 'erase', status: 'absent' })]);
  });

  it('a process in the middle of a read keeps the WAL from being emptied: forget says so, and running it again once the reader is done finishes it', async () => {
    const victim = session.db
      .prepare("SELECT email_normalized AS email FROM contacts WHERE platform = 'hubspot' AND archived = 0 AND email_normalized IS NOT NULL ORDER BY external_id DESC LIMIT 1")
      .get() as { email: string };
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    // Another process holding a read transaction open (a daemon half-way through reading a page).
    const script = `const D = require(process.argv[1]); const db = new D(process.argv[2]); db.prepare('BEGIN').run();
      db.prepare('SELECT COUNT(*) FROM contacts').get(); process.stdout.write('reading\\n');
      process.stdin.on('end', () => { db.prepare('COMMIT').run(); db.close(); process.exit(0); }); process.stdin.resume();`;
    const reader = spawn(process.execPath, ['-e', script, sqlite, world.dbPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    await once(reader.stdout!, 'data');
    const first = await forget(session, { targets: [victim.email], onPlatforms: false, dryRun: false, platforms: PLATFORMS, signal });
    expect(first.people[0]).toMatchObject({ found: true });
    expect(first.compaction).toMatchObject({ complete: false });
    expect(first.compaction!.detail).toMatch(/run the same forget again/);
    reader.stdin!.end();
    await once(reader, 'exit');

    const again = await forget(session, { targets: [victim.email], onPlatforms: false, dryRun: false, platforms: PLATFORMS, signal });
    expect(again.people[0]).toMatchObject({ found: false });
    expect(again.compaction).toMatchObject({ complete: true });
    session.close();
    const files = [world.dbPath, `${world.dbPath}-wal`, `${world.dbPath}-shm`].filter((f) => existsSync(f));
    for (const f of files) expect(readFileSync(f).toString('latin1').toLowerCase().includes(victim.email), f).toBe(false);
  }, 60_000);
});
