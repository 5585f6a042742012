/**
 * Schema migrations for the embedded store, applied in order at start-up inside one
 * transaction each. Append only: never edit a migration that has shipped.
 */
export const sqliteMigrations: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
  CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    user_name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    key_id TEXT NOT NULL,
    wrapped_key BLOB NOT NULL,
    ciphertext BLOB NOT NULL
  );
  CREATE INDEX access_keys_account ON access_keys(account_id);
  CREATE TABLE secrets (
    uid TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_changed_at INTEGER NOT NULL,
    last_accessed_at INTEGER,
    deleted_at INTEGER,
    deletion_date INTEGER,
    primary_uid TEXT,
    revision INTEGER NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (account_id, region, name)
  );
  CREATE INDEX secrets_by_created ON secrets(account_id, region, created_at, uid);
  CREATE INDEX secrets_by_changed ON secrets(account_id, region, last_changed_at, uid);
  CREATE INDEX secrets_by_accessed ON secrets(account_id, region, last_accessed_at, uid);
  CREATE INDEX secrets_purge ON secrets(deletion_date) WHERE deletion_date IS NOT NULL;
  CREATE TABLE versions (
    secret_uid TEXT NOT NULL REFERENCES secrets(uid) ON DELETE CASCADE,
    version_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_accessed_at INTEGER,
    kind TEXT,
    key_id TEXT,
    wrapped_key BLOB,
    ciphertext BLOB,
    UNIQUE (secret_uid, version_id)
  );
  CREATE INDEX versions_key_id ON versions(key_id);
  CREATE TABLE stages (
    secret_uid TEXT NOT NULL REFERENCES secrets(uid) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    version_id TEXT NOT NULL,
    PRIMARY KEY (secret_uid, stage)
  ) WITHOUT ROWID;
  CREATE INDEX stages_by_version ON stages(secret_uid, version_id);
  `,
  `
  ALTER TABLE secrets ADD COLUMN rotation_due_at INTEGER;
  CREATE INDEX secrets_rotation_due ON secrets(rotation_due_at) WHERE rotation_due_at IS NOT NULL;
  CREATE TABLE rotations (
    id TEXT PRIMARY KEY,
    secret_uid TEXT NOT NULL,
    account_id TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    lease_until INTEGER,
    revision INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE UNIQUE INDEX rotations_one_running ON rotations(secret_uid) WHERE status = 'running';
  CREATE INDEX rotations_by_secret ON rotations(secret_uid, started_at);
  CREATE INDEX rotations_by_account ON rotations(account_id, started_at);
  CREATE INDEX rotations_running ON rotations(lease_until) WHERE status = 'running';
  CREATE TABLE rotators (
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, name)
  );
  `,
  `
  CREATE TABLE consumers (
    account_id TEXT NOT NULL,
    consumer_id TEXT NOT NULL,
    last_seen INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, consumer_id)
  );
  `,
  `
  CREATE TABLE users (
    account_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account_id, user_name)
  );
  CREATE TABLE user_policies (
    account_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, user_name, policy_name)
  );
  CREATE INDEX access_keys_user ON access_keys(account_id, user_name);
  `,
  // 5: the audit trail (audit/, storage/sqlite/audit-blocks.ts): records in blocks (one per group commit), a coarse key index, signed checkpoints.
  `
  CREATE TABLE audit_blocks (
    id INTEGER PRIMARY KEY,
    chain TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    min_time INTEGER NOT NULL,
    max_time INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    records TEXT NOT NULL
  );
  CREATE UNIQUE INDEX audit_blocks_seq ON audit_blocks(chain, first_seq);
  CREATE INDEX audit_blocks_time ON audit_blocks(max_time);
  -- (key, chain, group): a block of that chain whose first_seq is in [group * 4096, group * 4096 + 4095] holds a record with the key.
  CREATE TABLE audit_keys (
    key TEXT NOT NULL,
    chain TEXT NOT NULL,
    grp INTEGER NOT NULL,
    PRIMARY KEY (key, chain, grp)
  ) WITHOUT ROWID;
  CREATE TABLE audit_checkpoints (
    chain TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    hash TEXT NOT NULL,
    time INTEGER NOT NULL,
    sig TEXT NOT NULL,
    PRIMARY KEY (chain, seq, kind)
  );
  `,
];
