import type { Db } from './db.js';

/** What was applied where: the plan is desired state minus this. */
export class DestinationState {
  constructor(private readonly db: Db) {}

  listId(destination: string, segmentKey: string): string | undefined {
    return (this.db
      .prepare('SELECT remote_id FROM destination_lists WHERE destination = ? AND segment_key = ?')
      .get(destination, segmentKey) as { remote_id: string } | undefined)?.remote_id;
  }

  saveList(destination: string, segmentKey: string, remoteId: string, name: string, at: string): void {
    this.db
      .prepare(`INSERT INTO destination_lists (destination, segment_key, remote_id, name, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (destination, segment_key) DO UPDATE SET remote_id = excluded.remote_id, name = excluded.name`)
      .run(destination, segmentKey, remoteId, name, at);
  }

  /** The list is gone on the platform: forget it and its members, so the next push recreates it. */
  forgetList(destination: string, segmentKey: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM destination_lists WHERE destination = ? AND segment_key = ?').run(destination, segmentKey);
      this.db.prepare('DELETE FROM destination_list_members WHERE destination = ? AND segment_key = ?').run(destination, segmentKey);
    })();
  }

  listMembers(destination: string): Map<string, Set<string>> {
    const rows = this.db
      .prepare('SELECT segment_key, external_id FROM destination_list_members WHERE destination = ?')
      .all(destination) as Array<{ segment_key: string; external_id: string }>;
    const bySegment = new Map<string, Set<string>>();
    for (const r of rows) {
      let set = bySegment.get(r.segment_key);
      if (!set) bySegment.set(r.segment_key, (set = new Set()));
      set.add(r.external_id);
    }
    return bySegment;
  }

  /** destination external id → token field → value last written. */
  tokens(destination: string): Map<string, Map<string, string>> {
    const rows = this.db
      .prepare('SELECT external_id, token, value FROM destination_tokens WHERE destination = ?')
      .all(destination) as Array<{ external_id: string; token: string; value: string }>;
    const byContact = new Map<string, Map<string, string>>();
    for (const r of rows) {
      let map = byContact.get(r.external_id);
      if (!map) byContact.set(r.external_id, (map = new Map()));
      map.set(r.token, r.value);
    }
    return byContact;
  }

  /** Records one applied batch; called right after the platform confirmed it. */
  recordListAdds(destination: string, segmentKey: string, externalIds: readonly string[], at: string): void {
    const stmt = this.db.prepare(`INSERT OR IGNORE INTO destination_list_members (destination, segment_key, external_id, applied_at)
      VALUES (?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const id of externalIds) stmt.run(destination, segmentKey, id, at);
    })();
  }

  recordListRemoves(destination: string, segmentKey: string, externalIds: readonly string[]): void {
    const stmt = this.db.prepare(
      'DELETE FROM destination_list_members WHERE destination = ? AND segment_key = ? AND external_id = ?',
    );
    this.db.transaction(() => {
      for (const id of externalIds) stmt.run(destination, segmentKey, id);
    })();
  }

  recordTokens(destination: string, updates: ReadonlyArray<{ externalId: string; values: Record<string, string> }>, at: string): void {
    const stmt = this.db.prepare(`INSERT INTO destination_tokens (destination, external_id, token, value, applied_at)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT (destination, external_id, token) DO UPDATE SET value = excluded.value,
      applied_at = excluded.applied_at`);
    this.db.transaction(() => {
      for (const u of updates) for (const [token, value] of Object.entries(u.values)) stmt.run(destination, u.externalId, token, value, at);
    })();
  }

  /** Drops state for contacts the platform no longer has (deleted or merged away): no calls needed. */
  forgetContacts(destination: string, externalIds: readonly string[]): { listMembers: number; tokenRows: number } {
    const members = this.db.prepare('DELETE FROM destination_list_members WHERE destination = ? AND external_id = ?');
    const tokens = this.db.prepare('DELETE FROM destination_tokens WHERE destination = ? AND external_id = ?');
    let listMembers = 0;
    let tokenRows = 0;
    this.db.transaction(() => {
      for (const id of externalIds) {
        listMembers += members.run(destination, id).changes;
        tokenRows += tokens.run(destination, id).changes;
      }
    })();
    return { listMembers, tokenRows };
  }

  schemaFingerprint(destination: string): string | undefined {
    return (this.db.prepare('SELECT fingerprint FROM destination_schema WHERE destination = ?').get(destination) as
      | { fingerprint: string }
      | undefined)?.fingerprint;
  }

  saveSchemaFingerprint(destination: string, fingerprint: string, at: string): void {
    this.db
      .prepare(`INSERT INTO destination_schema (destination, fingerprint, applied_at) VALUES (?, ?, ?)
                ON CONFLICT (destination) DO UPDATE SET fingerprint = excluded.fingerprint, applied_at = excluded.applied_at`)
      .run(destination, fingerprint, at);
  }
}
