import type { Db } from './db.js';

export interface Compaction {
  /** The file and its WAL hold no deleted content any more. */
  complete: boolean;
  detail: string;
}

/**
 * SQLite keeps deleted content in free pages of the file and in old frames of the WAL. VACUUM
 * rewrites the file from live rows only (also removing copies left by earlier updates, which
 * secure_delete cannot reach), and a TRUNCATE checkpoint copies the WAL into the file and
 * empties it. Another connection (the daemon) may keep the WAL open: that is fine while it is
 * idle; while it is inside a read, the checkpoint cannot finish and this says so.
 */
export function compactStore(db: Db): Compaction {
  if (db.memory) return { complete: true, detail: 'in-memory store' };
  db.exec('VACUUM');
  const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
  if (!result || result.busy !== 0 || result.log !== result.checkpointed) {
    return {
      complete: false,
      detail: 'another process (segsync schedule?) was reading the store, so its WAL could not be emptied: stop it and run the same forget again (it is safe to repeat)',
    };
  }
  return { complete: true, detail: 'store rewritten (VACUUM) and its WAL emptied: the deleted content is gone from the files' };
}
