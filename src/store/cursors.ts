import type { Db } from './db.js';
import type { JsonValue } from '../domain/connector.js';
import type { StreamName } from '../domain/records.js';

export class StreamCursors {
  constructor(private readonly db: Db) {}

  get(platform: string, stream: StreamName): JsonValue | undefined {
    const row = this.db
      .prepare('SELECT cursor FROM stream_cursors WHERE platform = ? AND stream = ?')
      .get(platform, stream) as { cursor: string } | undefined;
    return row ? (JSON.parse(row.cursor) as JsonValue) : undefined;
  }

  /** Call inside the page's transaction. */
  set(platform: string, stream: StreamName, cursor: JsonValue, at: string): void {
    this.db
      .prepare(`INSERT INTO stream_cursors (platform, stream, cursor, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (platform, stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`)
      .run(platform, stream, JSON.stringify(cursor), at);
  }

  all(): Array<{ platform: string; stream: string; cursor: JsonValue; updatedAt: string }> {
    return (this.db.prepare('SELECT platform, stream, cursor, updated_at FROM stream_cursors ORDER BY platform, stream').all() as
      Array<{ platform: string; stream: string; cursor: string; updated_at: string }>).map((r) => ({
      platform: r.platform,
      stream: r.stream,
      cursor: JSON.parse(r.cursor) as JsonValue,
      updatedAt: r.updated_at,
    }));
  }
}
