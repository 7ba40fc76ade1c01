import { randomBytes } from 'node:crypto';
import type { Db } from './db.js';

/**
 * The store's own settings (table store_settings). The control-group salt lives here, not in the
 * config: it must never change for the life of the store (changing it would reshuffle every
 * control group), and it is not a secret worth a config line.
 */
export function controlGroupSalt(db: Db): string {
  const row = db.prepare("SELECT value FROM store_settings WHERE key = 'control_group_salt'").get() as { value: string } | undefined;
  if (row) return row.value;
  const salt = randomBytes(16).toString('hex');
  // INSERT OR IGNORE then read: two processes creating it at once agree on the first one written.
  db.prepare("INSERT OR IGNORE INTO store_settings (key, value) VALUES ('control_group_salt', ?)").run(salt);
  return (db.prepare("SELECT value FROM store_settings WHERE key = 'control_group_salt'").get() as { value: string }).value;
}

/**
 * The salt if the store has one, without creating it: for read-only commands (explain). None yet
 * means no segmentation or push has run since control groups existed, so nobody is grouped yet.
 */
export function storedControlGroupSalt(db: Db): string | undefined {
  const row = db.prepare("SELECT value FROM store_settings WHERE key = 'control_group_salt'").get() as { value: string } | undefined;
  return row?.value;
}
