import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/index.js';
import { openSession } from '../../src/pipeline/session.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import type { ContactRecord, PurchaseRecord } from '../../src/domain/records.js';
import { purgeExpired } from '../../src/pipeline/retention.js';
import { planDestination } from '../../src/pipeline/plan.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { destinationSettings } from '../../src/config/workspace.js';
import { openStore, type Db } from '../../src/store/db.js';
import { Profiles } from '../../src/store/profiles.js';
import { Quarantine } from '../../src/store/quarantine.js';
import { SourceRecords } from '../../src/store/source-records.js';
import { ANCHOR, TOKEN, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';
import { segsync } from '../helpers/cli.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-05-01T12:00:00.000Z');

function contact(platform: string, externalId: string, email: string, archived = false): ContactRecord {
  return {
    platform, externalId, email, phone: '+44 7700 900123', firstName: 'Ada', lastName: 'Lovelace', country: 'GB', city: 'London',
    createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2026-04-01T00:00:00.000Z', emailConsent: 'subscribed', archived, mergedInto: null,
    mergedFrom: [], attributes: { plan: 'gold' }, raw: { id: externalId, email, phone: '+44 7700 900123', name: 'Ada Lovelace' },
  };
}

function purchase(platform: string, externalId: string, contactId: string, archived = false): PurchaseRecord {
  return {
    platform, externalId, contactExternalIds: [contactId], amount: 40, currency: 'USD', occurredAt: '2026-03-01T00:00:00.000Z',
    status: 'won', archived, updatedAt: '2026-03-01T00:00:00.000Z', raw: { id: externalId, note: `order of ${contactId}` },
  };
}

describe('retention of records gone from their platform (privacy.retentionDays)', () => {
  let db: Db;
  const row = (platform: string, id: string) =>
    db.prepare('SELECT email, email_normalized, phone, first_name, last_name, city, attributes, raw, archived_at, purged_at FROM contacts WHERE platform = ? AND external_id = ?')
      .get(platform, id) as Record<string, string | null>;
  const purchaseCount = (id: string) => (db.prepare('SELECT COUNT(*) AS n FROM purchases WHERE external_id = ?').get(id) as { n: number }).n;

  beforeAll(() => {
    db = openStore(':memory:');
    const records = new SourceRecords(db);
    const pulledAt = new Date(T0).toISOString();
    records.upsertContacts([
      contact('hubspot', 'live', 'live@example.org'),
      contact('hubspot', 'gone', 'gone@example.org', true),
      // One person, archived on HubSpot but still a Shopify customer.
      contact('hubspot', 'half', 'half@example.org', true),
      contact('shopify', 'half', 'half@example.org'),
    ], pulledAt);
    records.upsertPurchases([
      purchase('hubspot', 'deal-of-gone', 'gone'),
      purchase('hubspot', 'archived-deal-of-live', 'live', true),
      purchase('hubspot', 'deal-of-live', 'live'),
      purchase('hubspot', 'deal-of-half', 'half'),
    ], pulledAt);
    new Quarantine(db).add([{ platform: 'hubspot', stream: 'contacts', externalId: 'gone', reason: 'email: "gone@example.org" bounced', raw: { email: 'gone@example.org' } }], pulledAt);
    db.prepare("INSERT INTO destination_list_members (destination, segment_key, external_id, applied_at) VALUES ('hubspot', 'champions', 'gone', ?)").run(pulledAt);
    new Profiles(db).resolve();
  });

  it('keeps personal data for the retention period after the record was first seen gone', () => {
    expect(purgeExpired(db, { retentionDays: 30, now: T0 })).toMatchObject({ contacts: 0, purchases: 0 });
    expect(purgeExpired(db, { retentionDays: 30, now: T0 + 29 * DAY })).toMatchObject({ contacts: 0, purchases: 0 });
    expect(row('hubspot', 'gone')).toMatchObject({ email: 'gone@example.org', archived_at: new Date(T0).toISOString(), purged_at: null });
  });

  it('then blanks email, phone, names, place, attributes and the raw record; keeps the ids that take them off lists', () => {
    const summary = purgeExpired(db, { retentionDays: 30, now: T0 + 31 * DAY });
    expect(summary).toEqual({ contacts: 2, purchases: 2, profiles: 1, quarantine: 1 });
    expect(row('hubspot', 'gone')).toMatchObject({
      email: null, email_normalized: null, phone: null, first_name: null, last_name: null, city: null, attributes: '{}', raw: '{}',
      purged_at: new Date(T0 + 31 * DAY).toISOString(),
    });
    const everything = JSON.stringify(db.prepare('SELECT * FROM contacts').all()) + JSON.stringify(db.prepare('SELECT * FROM quarantine').all())
      + JSON.stringify(db.prepare('SELECT * FROM profiles').all()) + JSON.stringify(db.prepare('SELECT * FROM purchases').all());
    expect(everything).not.toContain('gone@example.org');
    // What removes them from lists stays: the id, and what segsync applied there.
    expect(db.prepare("SELECT COUNT(*) AS n FROM destination_list_members WHERE external_id = 'gone'").get()).toEqual({ n: 1 });
    // Purchases: the gone person's own, and the archived one, are deleted; a live person's stay,
    // including those of a contact of theirs that is gone from one platform only.
    expect(purchaseCount('deal-of-gone')).toBe(0);
    expect(purchaseCount('archived-deal-of-live')).toBe(0);
    expect(purchaseCount('deal-of-live')).toBe(1);
    expect(purchaseCount('deal-of-half')).toBe(1);
    expect(row('hubspot', 'half')).toMatchObject({ email: null, raw: '{}' });
    expect(row('shopify', 'half')).toMatchObject({ email: 'half@example.org' });
    expect(row('hubspot', 'live')).toMatchObject({ email: 'live@example.org', archived_at: null });
  });

  it('a record the platform restores is live and whole again, and its clock starts over', () => {
    const at = new Date(T0 + 40 * DAY).toISOString();
    new SourceRecords(db).upsertContacts([contact('hubspot', 'gone', 'gone@example.org', false)], at);
    expect(purgeExpired(db, { retentionDays: 30, now: T0 + 40 * DAY }).contacts).toBe(0);
    expect(row('hubspot', 'gone')).toMatchObject({ email: 'gone@example.org', archived_at: null, purged_at: null });
  });

  it('a purged record sent again, still gone, is purged again at once', () => {
    const at = new Date(T0 + 41 * DAY).toISOString();
    new SourceRecords(db).upsertContacts([contact('hubspot', 'half', 'half@example.org', true)], at);
    expect(row('hubspot', 'half')).toMatchObject({ email: 'half@example.org' });
    expect(purgeExpired(db, { retentionDays: 30, now: T0 + 41 * DAY }).contacts).toBe(1);
    expect(row('hubspot', 'half')).toMatchObject({ email: null, raw: '{}' });
  });
});

describe('retention runs at the end of every pull', () => {
  let world: HubSpotWorld;
  let session: Session;

  beforeAll(async () => {
    world = await hubspotWorld({ size: 60, seed: 4, config: `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\nprivacy:\n  retentionDays: 0\n` });
    session = world.open();
    await pull(session, { full: true, signal });
    segment(session);
    await push(session, { dryRun: false, allowMassRemoval: false, signal });
  }, 60_000);

  afterAll(() => world.close());

  it('with retentionDays 0, a contact archived on HubSpot has its personal data purged by the pull that sees it, and leaves segsync\'s lists state', async () => {
    const id = (session.db.prepare("SELECT external_id AS id FROM destination_list_members WHERE destination = 'hubspot' ORDER BY external_id LIMIT 1").get() as { id: string }).id;
    const email = world.emulator.getContact(id)!.properties.email!;
    world.emulator.archiveContact(id);
    const result = await pull(session, { full: false, signal });
    expect(result.purged?.contacts).toBe(1);
    expect(session.db.prepare("SELECT email, phone, raw, archived FROM contacts WHERE platform = 'hubspot' AND external_id = ?").get(id))
      .toEqual({ email: null, phone: null, raw: '{}', archived: 1 });
    expect(JSON.stringify(session.db.prepare('SELECT * FROM contacts').all())).not.toContain(email);
    const plan = planDestination(session.db, 'hubspot', session.connectors[0]!.connector.destination!, destinationSettings(session.workspace, 'hubspot'), session.workspace.controlGroups);
    expect(plan.forgetIds).toContain(id);
  }, 60_000);
});

describe('records erased on their platform are noticed (HubSpot GDPR delete, Marketo delete, Shopify customer erasure)', () => {
  let sandbox: Sandbox;
  let session: Session;
  const platforms = ['hubspot', 'marketo', 'shopify'] as const;
  const destination = (platform: string) => session.connectors.find((c) => c.id === platform)!.connector.destination!;
  const contactRow = (platform: string, id: string) =>
    session.db.prepare('SELECT archived, archived_at IS NOT NULL AS dated, email FROM contacts WHERE platform = ? AND external_id = ?').get(platform, id);
  const listed = (platform: string, id: string) =>
    (session.db.prepare('SELECT COUNT(*) AS n FROM destination_list_members WHERE destination = ? AND external_id = ?').get(platform, id) as { n: number }).n;

  beforeAll(async () => {
    sandbox = await startSandbox({ registry: CONNECTORS, size: 120, seed: 21, anchor: ANCHOR, pace: 'fast' });
    const dir = mkdtempSync(join(tmpdir(), 'segsync-gone-'));
    writeFileSync(join(dir, 'workspace.yaml'), `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\nprivacy:\n  retentionDays: 0\n`);
    session = openSession({ env: { ...sandbox.env, SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'workspace.yaml') }, registry: CONNECTORS });
    await pull(session, { full: true, signal });
    segment(session);
  }, 120_000);

  afterAll(async () => {
    session?.close();
    await sandbox?.close();
  });

  it('a push told that the platform has no such contact marks it gone instead of failing it at every push', async () => {
    // One contact per platform that this first push would put on a list, erased there just before.
    const erased = new Map<string, string>();
    for (const platform of platforms) {
      const plan = planDestination(session.db, platform, destination(platform), destinationSettings(session.workspace, platform), session.workspace.controlGroups);
      const id = plan.lists.flatMap((l) => l.add)[0]!;
      const answer = await destination(platform).eraseContacts!([id]);
      expect(answer.erased, platform).toEqual([id]);
      erased.set(platform, id);
    }
    const first = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    for (const platform of platforms) {
      const applied = first.destinations.find((d) => d.platform === platform)!.applied!;
      expect(applied.gone, platform).toBeGreaterThanOrEqual(1);
      expect(applied.failed, platform).toEqual([]);
      expect(contactRow(platform, erased.get(platform)!), platform).toMatchObject({ archived: 1, dated: 1 });
    }
    const second = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    for (const d of second.destinations) {
      expect(d.applied?.failed ?? [], d.platform).toEqual([]);
      expect(d.plan.listAdds + d.plan.tokenUpdates, d.platform).toBe(0);
    }
  }, 120_000);

  it('a full pull marks what HubSpot and Shopify erased gone; retention (0 days) purges it; the next push takes it off segsync\'s lists without failing', async () => {
    const onList = (platform: string) =>
      (session.db.prepare(`SELECT m.external_id AS id FROM destination_list_members m JOIN contacts c ON c.platform = m.destination AND c.external_id = m.external_id
                           WHERE m.destination = ? AND c.archived = 0 ORDER BY m.external_id LIMIT 1`).get(platform) as { id: string }).id;
    const hubspotId = onList('hubspot');
    const shopifyId = onList('shopify');
    expect((await destination('hubspot').eraseContacts!([hubspotId])).erased).toEqual([hubspotId]);
    expect((await destination('shopify').eraseContacts!([shopifyId])).erased).toEqual([shopifyId]);

    const pulled = await pull(session, { full: true, signal });
    const gone = Object.fromEntries(pulled.streams.map((s) => [`${s.platform} ${s.stream}`, s.gone ?? 0]));
    expect(gone).toMatchObject({ 'hubspot contacts': 1, 'shopify contacts': 1, 'marketo contacts': 0 });
    expect(pulled.purged!.contacts).toBeGreaterThanOrEqual(2);
    expect(contactRow('hubspot', hubspotId)).toEqual({ archived: 1, dated: 1, email: null });
    expect(contactRow('shopify', shopifyId)).toEqual({ archived: 1, dated: 1, email: null });

    const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(pushed.destinations.find((d) => d.platform === 'hubspot')!.plan.forget).toBeGreaterThan(0);
    for (const d of pushed.destinations) expect(d.applied?.failed ?? [], d.platform).toEqual([]);
    expect(listed('hubspot', hubspotId) + listed('shopify', shopifyId)).toBe(0);
    const again = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    for (const d of again.destinations) expect(d.applied?.failed ?? [], d.platform).toEqual([]);
  }, 180_000);
});

describe('the mass-deletion guard through the CLI', () => {
  let world: HubSpotWorld;

  beforeAll(async () => {
    world = await hubspotWorld({ size: 40, seed: 8 });
  }, 60_000);

  afterAll(() => world.close());

  it('a full pull that finds a third of the contacts gone marks none and exits 1 saying why; --allow-mass-deletion marks them', async () => {
    expect((await segsync(['pull'], world.env)).code).toBe(0);
    const erased = world.emulator.listContacts().slice(0, 12).map((c) => c.id);
    const archived = () => {
      const db = new Database(world.dbPath, { readonly: true });
      try {
        return (db.prepare("SELECT COUNT(*) AS n FROM contacts WHERE platform = 'hubspot' AND archived = 1").get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const before = archived();
    for (const id of erased) {
      const res = await fetch(`${world.url}/crm/v3/objects/contacts/gdpr-delete`, {
        method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ objectId: id }),
      });
      expect(res.status).toBe(204);
    }
    const refused = await segsync(['pull', '--full', '--json'], world.env);
    expect(refused.code).toBe(1);
    const out = JSON.parse(refused.stdout) as { ok: boolean; error: { kind: string; message: string } };
    expect(out).toMatchObject({ ok: false, error: { kind: 'mass_deletion_guard' } });
    expect(out.error.message).toMatch(/hubspot contacts: pull stopped: the full read did not find 12 of the \d+ stored records/);
    expect(out.error.message).toMatch(/segsync pull --full --allow-mass-deletion/);
    expect(archived()).toBe(before);

    const allowed = await segsync(['pull', '--full', '--allow-mass-deletion'], world.env);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/hubspot contacts: 12 stored records are no longer on hubspot \(erased or deleted there\): marked deleted/);
    expect(archived()).toBe(before + 12);
  }, 120_000);
});
