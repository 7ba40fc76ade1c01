import type Database from 'better-sqlite3';

/**
 * Ordered, append-only migrations. Never edit a released one: add the next version. Each runs in
 * its own transaction together with its row in schema_migrations, so a crash leaves the store at
 * a whole version.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'source records, profiles, quarantine, cursors',
    sql: `
      CREATE TABLE contacts (
        platform TEXT NOT NULL,
        external_id TEXT NOT NULL,
        email TEXT,
        email_normalized TEXT,
        phone TEXT,
        first_name TEXT,
        last_name TEXT,
        country TEXT,
        city TEXT,
        created_at TEXT,
        updated_at TEXT NOT NULL,
        email_consent TEXT NOT NULL CHECK (email_consent IN ('subscribed','unsubscribed','unknown')),
        archived INTEGER NOT NULL DEFAULT 0,
        merged_into TEXT,
        attributes TEXT NOT NULL DEFAULT '{}',
        raw TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        first_pulled_at TEXT NOT NULL,
        last_pulled_at TEXT NOT NULL,
        PRIMARY KEY (platform, external_id)
      ) WITHOUT ROWID;
      CREATE INDEX contacts_email ON contacts (email_normalized);

      CREATE TABLE purchases (
        platform TEXT NOT NULL,
        external_id TEXT NOT NULL,
        amount REAL,
        currency TEXT,
        occurred_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('won','lost','open','cancelled','refunded')),
        archived INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        raw TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        first_pulled_at TEXT NOT NULL,
        last_pulled_at TEXT NOT NULL,
        PRIMARY KEY (platform, external_id)
      ) WITHOUT ROWID;

      CREATE TABLE purchase_contacts (
        platform TEXT NOT NULL,
        purchase_external_id TEXT NOT NULL,
        contact_external_id TEXT NOT NULL,
        PRIMARY KEY (platform, purchase_external_id, contact_external_id)
      ) WITHOUT ROWID;
      CREATE INDEX purchase_contacts_contact ON purchase_contacts (platform, contact_external_id);

      CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        stream TEXT NOT NULL,
        external_id TEXT,
        reason TEXT NOT NULL,
        raw TEXT NOT NULL,
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX quarantine_record ON quarantine (platform, stream, external_id) WHERE external_id IS NOT NULL;

      CREATE TABLE stream_cursors (
        platform TEXT NOT NULL,
        stream TEXT NOT NULL,
        cursor TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (platform, stream)
      ) WITHOUT ROWID;

      CREATE TABLE profiles (
        id INTEGER PRIMARY KEY,
        email_key TEXT UNIQUE,
        created_at TEXT NOT NULL
      );

      CREATE TABLE identities (
        platform TEXT NOT NULL,
        external_id TEXT NOT NULL,
        profile_id INTEGER NOT NULL REFERENCES profiles (id),
        PRIMARY KEY (platform, external_id)
      ) WITHOUT ROWID;
      CREATE INDEX identities_profile ON identities (profile_id);
    `,
  },
  {
    version: 2,
    name: 'segmentation runs, segments, memberships, tokens',
    sql: `
      CREATE TABLE segmentation_runs (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        reference_date TEXT NOT NULL,
        window_days INTEGER NOT NULL,
        profile_count INTEGER NOT NULL,
        summary TEXT NOT NULL
      );

      CREATE TABLE segments (
        key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        description TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE memberships (
        id INTEGER PRIMARY KEY,
        profile_id INTEGER NOT NULL REFERENCES profiles (id),
        segment_key TEXT NOT NULL REFERENCES segments (key),
        entered_at TEXT NOT NULL,
        entered_run_id INTEGER NOT NULL REFERENCES segmentation_runs (id),
        left_at TEXT,
        left_run_id INTEGER REFERENCES segmentation_runs (id)
      );
      CREATE UNIQUE INDEX memberships_open ON memberships (profile_id, segment_key) WHERE left_at IS NULL;
      CREATE INDEX memberships_segment ON memberships (segment_key, left_at);

      CREATE TABLE profile_rfm (
        profile_id INTEGER PRIMARY KEY REFERENCES profiles (id),
        run_id INTEGER NOT NULL REFERENCES segmentation_runs (id),
        status TEXT NOT NULL CHECK (status IN ('scored','lost','prospect')),
        recency_days REAL,
        frequency REAL,
        monetary REAL,
        r INTEGER,
        f INTEGER,
        m INTEGER,
        last_purchase_at TEXT,
        segment_key TEXT NOT NULL
      );

      CREATE TABLE profile_tokens (
        profile_id INTEGER NOT NULL REFERENCES profiles (id),
        token TEXT NOT NULL,
        value TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES segmentation_runs (id),
        PRIMARY KEY (profile_id, token)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'destination state and run history',
    sql: `
      CREATE TABLE destination_lists (
        destination TEXT NOT NULL,
        segment_key TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (destination, segment_key)
      ) WITHOUT ROWID;

      CREATE TABLE destination_list_members (
        destination TEXT NOT NULL,
        segment_key TEXT NOT NULL,
        external_id TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        PRIMARY KEY (destination, segment_key, external_id)
      ) WITHOUT ROWID;

      CREATE TABLE destination_tokens (
        destination TEXT NOT NULL,
        external_id TEXT NOT NULL,
        token TEXT NOT NULL,
        value TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        PRIMARY KEY (destination, external_id, token)
      ) WITHOUT ROWID;

      CREATE TABLE destination_schema (
        destination TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        applied_at TEXT NOT NULL
      );

      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        command TEXT NOT NULL,
        trigger TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running','succeeded','failed')),
        summary TEXT,
        error TEXT
      );
    `,
  },
  {
    version: 4,
    name: 'phone keys for identity resolution',
    sql: `
      ALTER TABLE contacts ADD COLUMN phone_normalized TEXT;
      CREATE INDEX contacts_phone ON contacts (phone_normalized);
      ALTER TABLE profiles ADD COLUMN phone_key TEXT;
      CREATE INDEX profiles_phone ON profiles (phone_key);
    `,
  },
  {
    version: 5,
    name: 'purchases whose latest version failed validation',
    sql: `
      -- The last valid version stays stored, but no longer counts while the platform's copy is invalid.
      ALTER TABLE purchases ADD COLUMN invalid INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 6,
    name: 'features, clusters and personas per segmentation run',
    sql: `
      -- The latest run's view of each profile, for explain and export (replaced by each run).
      CREATE TABLE profile_features (
        profile_id INTEGER PRIMARY KEY REFERENCES profiles (id),
        run_id INTEGER NOT NULL REFERENCES segmentation_runs (id),
        features TEXT NOT NULL,
        cluster INTEGER,
        persona_key TEXT,
        centre_distance REAL,
        next_centre_distance REAL,
        next_persona_key TEXT
      );

      -- Personas are kept per run: a marketer can see how a persona changed.
      CREATE TABLE personas (
        run_id INTEGER NOT NULL REFERENCES segmentation_runs (id),
        key TEXT NOT NULL,
        cluster INTEGER NOT NULL,
        label TEXT NOT NULL,
        size INTEGER NOT NULL,
        share REAL NOT NULL,
        narrative TEXT NOT NULL,
        summary TEXT NOT NULL,
        traits TEXT NOT NULL,
        medians TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;

      -- How the run clustered: preparation steps, the k scan and its metrics, PCA (JSON).
      ALTER TABLE segmentation_runs ADD COLUMN clustering TEXT;
    `,
  },
  {
    version: 7,
    name: 'scheduled jobs: leases, and run history per job with uniform counts',
    sql: `
      -- One row per job while a process holds it; a lease not renewed before expires_at is free again.
      CREATE TABLE job_leases (
        job TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      ) WITHOUT ROWID;

      ALTER TABLE runs ADD COLUMN job TEXT;
      -- host:pid of the process running it, so a run left 'running' by a dead process can be closed.
      ALTER TABLE runs ADD COLUMN owner TEXT;
      -- The same counts for every command (JSON): pulled, quarantined, segment entries and exits,
      -- list adds and removes, token updates, API requests, retries, throttled requests.
      ALTER TABLE runs ADD COLUMN counts TEXT;
      CREATE INDEX runs_job ON runs (job, id);
    `,
  },
  {
    version: 8,
    name: 'purchase models per segmentation run (BG/NBD, Gamma-Gamma, CLV, holdout check)',
    sql: `
      -- JSON (see src/pipeline/prediction-record.ts): the fits, totals and holdout check, or why there are none.
      ALTER TABLE segmentation_runs ADD COLUMN predictions TEXT;
    `,
  },
  {
    version: 9,
    name: 'quarantine reason kinds and reads by id; run heartbeats; persona summary figures',
    sql: `
      -- The reason as a kind (src/domain/quarantine-kinds.ts).
      ALTER TABLE quarantine ADD COLUMN kind TEXT NOT NULL DEFAULT 'other';
      -- When the next pull reads the record again by id; NULL: only once the platform changes it,
      -- or after \`segsync quarantine retry\`.
      ALTER TABLE quarantine ADD COLUMN refetch_after TEXT;
      -- Reads by id that still failed (they space out the next one).
      ALTER TABLE quarantine ADD COLUMN refetch_attempts INTEGER NOT NULL DEFAULT 0;
      -- The last read by id found no such record on the platform (deleted, or a garbled id).
      ALTER TABLE quarantine ADD COLUMN missing_since TEXT;
      -- Records quarantined before reasons had kinds are read again once by the next pull, which
      -- classifies those that still fail.
      UPDATE quarantine SET refetch_after = last_seen_at WHERE external_id IS NOT NULL;
      CREATE INDEX quarantine_refetch ON quarantine (platform, stream, refetch_after) WHERE refetch_after IS NOT NULL;

      -- A running run's last sign of life (with its counts so far): a run whose process is gone
      -- is closed as failed by the next command (src/store/runs.ts).
      ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;

      -- The figures a persona's summary token shows (JSON): the next run keeps the text while its
      -- own figures stay within their rounding (src/segmentation/persona-summary.ts).
      ALTER TABLE personas ADD COLUMN summary_figures TEXT;
    `,
  },
  {
    version: 10,
    name: 'privacy: suppression list of forgotten people, pending platform removals, retention of deleted records',
    sql: `
      -- segsync forget keeps no email: only keyed hashes (HMAC-SHA256 under this store's own random
      -- salt) of a forgotten person's emails, phones and platform ids, so pulls and imports drop them.
      CREATE TABLE suppression_salt (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        salt BLOB NOT NULL
      );
      INSERT INTO suppression_salt (id, salt) VALUES (1, randomblob(32));
      CREATE TABLE suppressions (
        key_hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('email','phone','identity')),
        added_at TEXT NOT NULL
      ) WITHOUT ROWID;

      -- What a platform has not confirmed yet for a forgotten person (it was unreachable): only the
      -- platform, its contact id and the list or token fields; the next push finishes it.
      CREATE TABLE pending_platform_removals (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        external_id TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('list_remove','clear_tokens','erase')),
        -- list_remove: the segment key; clear_tokens: the token fields (JSON array); erase: ''.
        target TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
      );
      CREATE UNIQUE INDEX pending_platform_removals_key ON pending_platform_removals (platform, external_id, action, target);

      -- Retention: when segsync first saw a record deleted, archived or merged away on its platform,
      -- and when it purged that record's personal data (privacy.retentionDays later).
      ALTER TABLE contacts ADD COLUMN archived_at TEXT;
      ALTER TABLE contacts ADD COLUMN purged_at TEXT;
      ALTER TABLE purchases ADD COLUMN archived_at TEXT;
      CREATE INDEX contacts_gone ON contacts (archived_at) WHERE archived = 1 OR merged_into IS NOT NULL OR archived_at IS NOT NULL;
      CREATE INDEX purchases_gone ON purchases (archived_at) WHERE archived = 1 OR archived_at IS NOT NULL;
    `,
  },
  {
    version: 11,
    name: 'leases per operation with what holds them; why a run started late',
    sql: `
      -- What holds a lease ("segsync push", "job push-hubspot"), for the message of whoever is refused.
      -- job_leases.job also holds operation keys (push:hubspot, pull:hubspot, segment:store).
      ALTER TABLE job_leases ADD COLUMN command TEXT;
      -- Why a scheduled run started when it did: "late: due ..., started ... (3 ticks missed: ...)".
      ALTER TABLE runs ADD COLUMN note TEXT;
    `,
  },
  {
    version: 12,
    name: 'quarantined purchases name their contacts',
    sql: `
      -- The contacts a quarantined purchase names (JSON array of external ids on its platform), when
      -- the source could read them: segsync forget erases it with them. NULL: not known.
      ALTER TABLE quarantine ADD COLUMN contact_external_ids TEXT;
    `,
  },
  {
    version: 13,
    name: 'engagement events: what people do, dated, one row per event',
    sql: `
      -- key: the platform's own id of the event (or a stable hash): reading it again replaces it.
      -- count: how many events the row stands for (a HubSpot counter's rise between two dates).
      CREATE TABLE engagement_events (
        platform TEXT NOT NULL,
        key TEXT NOT NULL,
        contact_external_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (platform, key)
      ) WITHOUT ROWID;
      CREATE INDEX engagement_events_contact ON engagement_events (platform, contact_external_id);
    `,
  },
  {
    version: 14,
    name: 'segmentation runs keep the first-purchase propensity model',
    sql: `
      -- What the propensity model did (JSON: status, validation AUC, lift and calibration by decile,
      -- the coefficients for explain), or why it was skipped; NULL for runs from before it.
      ALTER TABLE segmentation_runs ADD COLUMN propensity TEXT;
    `,
  },
  {
    version: 15,
    name: 'purchase items: product type, vendor, collections per line of a purchase',
    sql: `
      -- Replaced as a whole whenever the purchase is written with items; erased with the purchase.
      CREATE TABLE purchase_items (
        platform TEXT NOT NULL,
        purchase_external_id TEXT NOT NULL,
        line INTEGER NOT NULL,
        product_type TEXT,
        vendor TEXT,
        collections TEXT NOT NULL DEFAULT '[]',
        quantity INTEGER NOT NULL,
        amount REAL,
        PRIMARY KEY (platform, purchase_external_id, line)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 16,
    name: 'named clusterings: personas per clustering, each profile\'s cluster in each clustering',
    sql: `
      -- Runs before named clusterings had one clustering: customers.
      ALTER TABLE personas ADD COLUMN clustering TEXT NOT NULL DEFAULT 'customers';

      -- The latest run's cluster of each profile in each named clustering (replaced by each run);
      -- profile_features keeps the customers clustering's, as before.
      CREATE TABLE profile_clusters (
        profile_id INTEGER NOT NULL REFERENCES profiles (id),
        clustering TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES segmentation_runs (id),
        cluster INTEGER NOT NULL,
        persona_key TEXT NOT NULL,
        centre_distance REAL,
        next_centre_distance REAL,
        next_persona_key TEXT,
        PRIMARY KEY (profile_id, clustering)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 17,
    name: 'store settings (the control-group salt)',
    sql: `
      -- Settings that belong to the store for its whole life, e.g. control_group_salt: the salt of
      -- the hash that puts each person in a segment's treatment or control group.
      CREATE TABLE store_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 18,
    name: 'campaigns and their cohorts (treatment and control, frozen at the start)',
    sql: `
      -- A campaign on one segment's list: its window is [started_at, started_at + days], cut short
      -- by stopped_at. control_share: the segment's control share when it started (for the record).
      CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        segment_key TEXT NOT NULL,
        started_at TEXT NOT NULL,
        days INTEGER NOT NULL CHECK (days > 0),
        stopped_at TEXT,
        control_share REAL NOT NULL
      );

      -- The cohort as it was at the start (later runs never change it); personal data, erased by forget.
      CREATE TABLE campaign_members (
        campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
        profile_id INTEGER NOT NULL REFERENCES profiles (id),
        grp TEXT NOT NULL CHECK (grp IN ('treatment','control')),
        rfm_segment_at_start TEXT,
        PRIMARY KEY (campaign_id, profile_id)
      ) WITHOUT ROWID;
      CREATE INDEX campaign_members_profile ON campaign_members (profile_id);
    `,
  },
];

export function currentVersion(db: Database.Database): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/** Applies pending migrations in order; returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const from = currentVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (from > latest) {
    throw new Error(
      `the store is at schema version ${from}, newer than this segsync knows (${latest}). Upgrade segsync; the store was not changed.`,
    );
  }
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
    })();
    applied.push(migration.version);
  }
  return applied;
}
