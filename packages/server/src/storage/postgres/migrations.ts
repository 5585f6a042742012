import type pg from "pg";

/**
 * Schema migrations of the PostgreSQL store, applied in order at start-up, one transaction each.
 * Append only: never edit a migration that has shipped. The schema mirrors the SQLite one
 * (sqlite/migrations.ts); differences: BIGINT epoch milliseconds, BYTEA, an identity column for
 * version order, a foreign key from a label to its version (a label on a missing version is a
 * "missing" conflict, and the key check locks the version against a concurrent delete), "C" collation on the keys that lists sort by (byte order, as SQLite), named
 * unique constraints (they map to StoreConflict kinds), and the database-wide change log.
 */
export const postgresMigrations: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE accounts (id TEXT COLLATE "C" PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL);
  CREATE TABLE access_keys (
    access_key_id TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    user_name TEXT COLLATE "C" NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    key_id TEXT NOT NULL,
    wrapped_key BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL
  );
  CREATE INDEX access_keys_account ON access_keys(account_id);
  CREATE INDEX access_keys_user ON access_keys(account_id, user_name);
  CREATE TABLE secrets (
    uid TEXT COLLATE "C" PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    arn TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_changed_at BIGINT NOT NULL,
    last_accessed_at BIGINT,
    deleted_at BIGINT,
    deletion_date BIGINT,
    primary_uid TEXT,
    revision BIGINT NOT NULL,
    rotation_due_at BIGINT,
    doc TEXT NOT NULL,
    CONSTRAINT secrets_arn_unique UNIQUE (arn),
    CONSTRAINT secrets_name_unique UNIQUE (account_id, region, name)
  );
  CREATE INDEX secrets_by_created ON secrets(account_id, region, created_at, uid);
  CREATE INDEX secrets_by_changed ON secrets(account_id, region, last_changed_at, uid);
  CREATE INDEX secrets_by_accessed ON secrets(account_id, region, (COALESCE(last_accessed_at, 0)), uid);
  CREATE INDEX secrets_purge ON secrets(deletion_date) WHERE deletion_date IS NOT NULL;
  CREATE INDEX secrets_rotation_due ON secrets(rotation_due_at) WHERE rotation_due_at IS NOT NULL;
  CREATE TABLE versions (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    secret_uid TEXT COLLATE "C" NOT NULL REFERENCES secrets(uid) ON DELETE CASCADE,
    version_id TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    last_accessed_at BIGINT,
    kind TEXT,
    key_id TEXT,
    wrapped_key BYTEA,
    ciphertext BYTEA,
    CONSTRAINT versions_unique PRIMARY KEY (secret_uid, version_id)
  );
  CREATE INDEX versions_key_id ON versions(key_id);
  CREATE TABLE stages (
    secret_uid TEXT COLLATE "C" NOT NULL REFERENCES secrets(uid) ON DELETE CASCADE,
    stage TEXT COLLATE "C" NOT NULL,
    version_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (secret_uid, stage),
    CONSTRAINT stages_version_fk FOREIGN KEY (secret_uid, version_id) REFERENCES versions(secret_uid, version_id) ON DELETE CASCADE
  );
  CREATE INDEX stages_by_version ON stages(secret_uid, version_id);
  CREATE TABLE rotations (
    id TEXT COLLATE "C" PRIMARY KEY,
    secret_uid TEXT NOT NULL,
    account_id TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    lease_until BIGINT,
    revision BIGINT NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE UNIQUE INDEX rotations_one_running ON rotations(secret_uid) WHERE status = 'running';
  CREATE INDEX rotations_by_secret ON rotations(secret_uid, started_at);
  CREATE INDEX rotations_by_account ON rotations(account_id, started_at);
  CREATE INDEX rotations_running ON rotations(lease_until) WHERE status = 'running';
  CREATE TABLE rotators (
    account_id TEXT NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
  );
  CREATE TABLE consumers (
    account_id TEXT NOT NULL,
    consumer_id TEXT COLLATE "C" NOT NULL,
    last_seen BIGINT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, consumer_id)
  );
  CREATE TABLE users (
    account_id TEXT NOT NULL,
    user_name TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    doc TEXT NOT NULL,
    CONSTRAINT users_unique PRIMARY KEY (account_id, user_name)
  );
  CREATE TABLE user_policies (
    account_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    policy_name TEXT COLLATE "C" NOT NULL,
    document TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_name, policy_name)
  );
  CREATE TABLE change_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc TEXT NOT NULL
  );
  `,
  // 2: the audit trail (audit/): one hash chain per node, immutable rows keyed by (chain, seq), signed checkpoints.
  `
  CREATE TABLE audit_records (
    chain TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    time BIGINT NOT NULL,
    request_id TEXT NOT NULL,
    api TEXT NOT NULL,
    operation TEXT NOT NULL,
    account_id TEXT,
    principal_arn TEXT,
    access_key_id TEXT,
    region TEXT,
    source_ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    secret_arn TEXT,
    secret_name TEXT,
    version_id TEXT,
    version_stage TEXT,
    outcome TEXT NOT NULL,
    status INTEGER NOT NULL,
    error_code TEXT,
    duration_ms DOUBLE PRECISION NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
  );
  CREATE INDEX audit_by_time ON audit_records(time);
  CREATE INDEX audit_by_secret ON audit_records(secret_arn, time) WHERE secret_arn IS NOT NULL;
  CREATE INDEX audit_by_principal ON audit_records(principal_arn, time) WHERE principal_arn IS NOT NULL;
  CREATE INDEX audit_by_account ON audit_records(account_id, time);
  CREATE TABLE audit_checkpoints (
    chain TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    hash TEXT NOT NULL,
    time BIGINT NOT NULL,
    sig TEXT NOT NULL,
    PRIMARY KEY (chain, seq, kind)
  );
  `,
  // 3: a commit in one round trip (transactions.ts commitChanges): applies a list of changes in
  // order, in the caller's statement (so atomically), compare-and-set conflicts as SQLSTATE KS001
  // (revision) and KS002 (missing); unique and foreign-key violations surface as themselves.
  `
  CREATE FUNCTION keyshift_commit(changes jsonb, notify_channel text, notify_payload text) RETURNS void LANGUAGE plpgsql AS $fn$
  DECLARE
    c jsonb;
    n bigint;
  BEGIN
    FOR c IN SELECT value FROM jsonb_array_elements(changes) LOOP
      CASE c->>'op'
      WHEN 'insertSecret' THEN
        INSERT INTO secrets (uid, account_id, region, name, arn, created_at, last_changed_at, last_accessed_at, deleted_at, deletion_date, primary_uid, revision, rotation_due_at, doc)
        VALUES (c->>'uid', c->>'account_id', c->>'region', c->>'name', c->>'arn', (c->>'created_at')::int8, (c->>'last_changed_at')::int8, (c->>'last_accessed_at')::int8,
          (c->>'deleted_at')::int8, (c->>'deletion_date')::int8, c->>'primary_uid', (c->>'revision')::int8, (c->>'rotation_due_at')::int8, c->>'doc');
      WHEN 'updateSecret' THEN
        UPDATE secrets SET name = c->>'name', arn = c->>'arn', last_changed_at = (c->>'last_changed_at')::int8, last_accessed_at = (c->>'last_accessed_at')::int8,
          deleted_at = (c->>'deleted_at')::int8, deletion_date = (c->>'deletion_date')::int8, primary_uid = c->>'primary_uid', revision = (c->>'revision')::int8,
          rotation_due_at = (c->>'rotation_due_at')::int8, doc = c->>'doc'
        WHERE uid = c->>'uid' AND revision = (c->>'revision')::int8 - 1;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n <> 1 THEN RAISE EXCEPTION 'revision conflict' USING ERRCODE = 'KS001', DETAIL = c->>'uid'; END IF;
      WHEN 'deleteSecret' THEN
        DELETE FROM secrets WHERE uid = c->>'uid';
      WHEN 'insertVersion' THEN
        INSERT INTO versions (secret_uid, version_id, created_at, kind, key_id, wrapped_key, ciphertext)
        VALUES (c->>'secret_uid', c->>'version_id', (c->>'created_at')::int8, c->>'kind', c->>'key_id', decode(c->>'wrapped_key', 'base64'), decode(c->>'ciphertext', 'base64'));
      WHEN 'setVersionValue' THEN
        UPDATE versions SET kind = c->>'kind', key_id = c->>'key_id', wrapped_key = decode(c->>'wrapped_key', 'base64'), ciphertext = decode(c->>'ciphertext', 'base64')
        WHERE secret_uid = c->>'secret_uid' AND version_id = c->>'version_id';
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n <> 1 THEN RAISE EXCEPTION 'missing version' USING ERRCODE = 'KS002', DETAIL = c->>'version_id'; END IF;
      WHEN 'deleteVersion' THEN
        DELETE FROM versions WHERE secret_uid = c->>'secret_uid' AND version_id = c->>'version_id';
      WHEN 'setStage' THEN
        IF c->>'version_id' IS NULL THEN
          DELETE FROM stages WHERE secret_uid = c->>'secret_uid' AND stage = c->>'stage';
        ELSE
          INSERT INTO stages (secret_uid, stage, version_id) VALUES (c->>'secret_uid', c->>'stage', c->>'version_id')
          ON CONFLICT (secret_uid, stage) DO UPDATE SET version_id = excluded.version_id;
        END IF;
      WHEN 'insertRotation' THEN
        INSERT INTO rotations (id, secret_uid, account_id, status, started_at, lease_until, revision, doc)
        VALUES (c->>'id', c->>'secret_uid', c->>'account_id', c->>'status', (c->>'started_at')::int8, (c->>'lease_until')::int8, (c->>'revision')::int8, c->>'doc');
      WHEN 'updateRotation' THEN
        UPDATE rotations SET status = c->>'status', lease_until = (c->>'lease_until')::int8, revision = (c->>'revision')::int8, doc = c->>'doc'
        WHERE id = c->>'id' AND revision = (c->>'revision')::int8 - 1;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n <> 1 THEN RAISE EXCEPTION 'revision conflict' USING ERRCODE = 'KS001', DETAIL = c->>'id'; END IF;
      ELSE
        RAISE EXCEPTION 'unknown change %', c->>'op';
      END CASE;
    END LOOP;
    IF notify_payload IS NOT NULL THEN PERFORM pg_notify(notify_channel, notify_payload); END IF;
  END
  $fn$;
  -- The change feed (change-relay.ts): appends events under a transaction-level advisory lock,
  -- so that sequence numbers are assigned in commit order, and wakes every node. Events are
  -- best-effort (the changes they describe are committed already): no wait for the WAL flush.
  CREATE FUNCTION keyshift_append_events(lock_key int8, docs text[], notify_channel text) RETURNS void LANGUAGE plpgsql AS $fn$
  BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_advisory_xact_lock(lock_key);
    INSERT INTO change_events (doc) SELECT d FROM unnest(docs) WITH ORDINALITY AS x(d, n) ORDER BY n;
    PERFORM pg_notify(notify_channel, '');
  END
  $fn$;
  `,
];

/** Arbitrary constant of the session advisory lock that serializes migrations across nodes. */
const MIGRATION_LOCK = 0x6b657973_6d6967n; // "keysmig"

/**
 * Applies pending migrations. Several nodes starting at once take turns on a session advisory
 * lock: the first applies them, the others find nothing left to do. Each migration is one
 * transaction with its bookkeeping row, so a crash leaves a migration applied entirely or not at all.
 */
export async function migratePostgres(client: pg.ClientBase): Promise<number> {
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK.toString()]);
  try {
    await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
    const { rows } = await client.query<{ v: number | null }>("SELECT MAX(version) AS v FROM schema_migrations");
    const from = rows[0]?.v ?? 0;
    for (let i = from; i < postgresMigrations.length; i++) {
      await client.query("BEGIN");
      try {
        await client.query(postgresMigrations[i]!);
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [i + 1, Date.now()]);
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw e;
      }
    }
    return postgresMigrations.length - from;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK.toString()]).catch(() => undefined);
  }
}
