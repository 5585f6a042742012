import Database from "better-sqlite3";
import { closeSync, openSync } from "node:fs";
import type { Sealed } from "../../crypto/envelope.js";
import { bindings } from "../../crypto/bindings.js";
import type { AccessKeyRecord, AccountRecord, SecretRecord, VersionMeta, VersionRecord, ValueKind } from "../../secrets/records.js";
import { StoreConflict, type AccessBatch, type Change, type RotationQuery, type SecretPageQuery, type Store, type WrappedKeyRef } from "../store.js";
import type { RotationRecord, RotatorRegistration } from "../../rotation/records.js";
import { sqliteMigrations } from "./migrations.js";

export interface SqliteStoreOptions {
  /** Database file, or ":memory:". */
  path: string;
  synchronous?: "full" | "normal";
  /** Page cache, MiB (default 64). */
  cacheMiB?: number;
  /** Memory-mapped I/O window, MiB (default 1024). */
  mmapMiB?: number;
}

interface SecretRow {
  uid: string;
  account_id: string;
  region: string;
  name: string;
  arn: string;
  created_at: number;
  last_changed_at: number;
  last_accessed_at: number | null;
  deleted_at: number | null;
  deletion_date: number | null;
  primary_uid: string | null;
  revision: number;
  rotation_due_at: number | null;
  doc: string;
}

interface VersionRow {
  version_id: string;
  created_at: number;
  last_accessed_at: number | null;
  kind: ValueKind | null;
  key_id: string | null;
  wrapped_key: Buffer | null;
  ciphertext: Buffer | null;
  stages: string | null;
}

/** Metadata kept as JSON: read and written whole, never queried by SQL. */
type SecretDoc = Omit<SecretRecord, "uid" | "accountId" | "region" | "name" | "arn" | "createdAt" | "lastChangedAt" | "lastAccessedAt" | "deletedAt" | "deletionDate" | "primaryUid" | "revision" | "rotationDueAt">;

const STAGE_SEP = "\u0001";

function toSecret(r: SecretRow): SecretRecord {
  const doc = JSON.parse(r.doc) as SecretDoc;
  const s: SecretRecord = { ...doc, uid: r.uid, accountId: r.account_id, region: r.region, name: r.name, arn: r.arn, createdAt: r.created_at, lastChangedAt: r.last_changed_at, revision: r.revision };
  if (r.last_accessed_at !== null) s.lastAccessedAt = r.last_accessed_at;
  if (r.deleted_at !== null) s.deletedAt = r.deleted_at;
  if (r.deletion_date !== null) s.deletionDate = r.deletion_date;
  if (r.primary_uid !== null) s.primaryUid = r.primary_uid;
  if (r.rotation_due_at !== null) s.rotationDueAt = r.rotation_due_at;
  return s;
}

function docOf(s: SecretRecord): string {
  const { uid, accountId, region, name, arn, createdAt, lastChangedAt, lastAccessedAt, deletedAt, deletionDate, primaryUid, revision, rotationDueAt, ...doc } = s;
  return JSON.stringify(doc);
}

function secretParams(s: SecretRecord) {
  return {
    uid: s.uid, account_id: s.accountId, region: s.region, name: s.name, arn: s.arn,
    created_at: s.createdAt, last_changed_at: s.lastChangedAt, last_accessed_at: s.lastAccessedAt ?? null,
    deleted_at: s.deletedAt ?? null, deletion_date: s.deletionDate ?? null, primary_uid: s.primaryUid ?? null,
    revision: s.revision, rotation_due_at: s.rotationDueAt ?? null, doc: docOf(s),
  };
}

function toVersion(r: VersionRow): VersionRecord {
  const v: VersionRecord = { versionId: r.version_id, createdAt: r.created_at, stages: r.stages ? r.stages.split(STAGE_SEP).sort() : [] };
  if (r.last_accessed_at !== null) v.lastAccessedAt = r.last_accessed_at;
  if (r.key_id !== null && r.wrapped_key && r.ciphertext) {
    v.keyId = r.key_id;
    v.sealed = { keyId: r.key_id, wrappedKey: r.wrapped_key, ciphertext: r.ciphertext };
  }
  if (r.kind !== null) v.kind = r.kind;
  return v;
}

function rotationParams(r: RotationRecord) {
  return { id: r.id, secret_uid: r.secretUid, account_id: r.accountId, status: r.status, started_at: r.startedAt, lease_until: r.leaseUntil ?? null, revision: r.revision, doc: JSON.stringify(r) };
}

const SORT_COLUMN = {
  "created-date": "created_at",
  "last-changed-date": "last_changed_at",
  "last-accessed-date": "COALESCE(last_accessed_at, 0)",
  name: "name",
} as const;

const VERSION_COLUMNS = `v.version_id, v.created_at, v.last_accessed_at, v.kind, v.key_id, v.wrapped_key, v.ciphertext,
  (SELECT group_concat(s.stage, char(1)) FROM stages s WHERE s.secret_uid = v.secret_uid AND s.version_id = v.version_id) AS stages`;

/**
 * The embedded store: one SQLite file in WAL mode. Writes run in a single synchronous
 * transaction per commit, fsynced before `commit` resolves (synchronous=FULL by default), so
 * an acknowledged write survives kill -9 and power loss; other processes (the CLI) can read
 * and write the same file concurrently.
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  private readonly db: Database.Database;
  private readonly stmt: Record<string, Database.Statement>;

  constructor(opts: SqliteStoreOptions) {
    if (opts.path !== ":memory:") closeSync(openSync(opts.path, "a", 0o600));
    this.db = new Database(opts.path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${opts.synchronous ?? "full"}`);
    this.db.pragma("busy_timeout = 10000");
    this.db.pragma("foreign_keys = ON");
    // Reads are the hot path: keep the working set in the page cache and map the file instead of
    // paying a pread syscall per page.
    this.db.pragma(`cache_size = -${(opts.cacheMiB ?? 64) * 1024}`);
    this.db.pragma(`mmap_size = ${(opts.mmapMiB ?? 1024) * 1024 * 1024}`);
    this.migrate();
    const p = (sql: string) => this.db.prepare(sql);
    this.stmt = {
      insertSecret: p(`INSERT INTO secrets (uid, account_id, region, name, arn, created_at, last_changed_at, last_accessed_at, deleted_at, deletion_date, primary_uid, revision, rotation_due_at, doc)
        VALUES (@uid, @account_id, @region, @name, @arn, @created_at, @last_changed_at, @last_accessed_at, @deleted_at, @deletion_date, @primary_uid, @revision, @rotation_due_at, @doc)`),
      updateSecret: p(`UPDATE secrets SET name=@name, arn=@arn, last_changed_at=@last_changed_at, last_accessed_at=@last_accessed_at, deleted_at=@deleted_at,
        deletion_date=@deletion_date, primary_uid=@primary_uid, revision=@revision, rotation_due_at=@rotation_due_at, doc=@doc WHERE uid=@uid AND revision=@revision - 1`),
      dueRotation: p(`SELECT * FROM secrets WHERE rotation_due_at IS NOT NULL AND rotation_due_at <= ? AND deleted_at IS NULL ORDER BY rotation_due_at LIMIT ?`),
      insertRotation: p(`INSERT INTO rotations (id, secret_uid, account_id, status, started_at, lease_until, revision, doc) VALUES (@id, @secret_uid, @account_id, @status, @started_at, @lease_until, @revision, @doc)`),
      updateRotation: p(`UPDATE rotations SET status=@status, lease_until=@lease_until, revision=@revision, doc=@doc WHERE id=@id AND revision=@revision - 1`),
      getRotation: p(`SELECT doc FROM rotations WHERE id=?`),
      runningRotation: p(`SELECT doc FROM rotations WHERE secret_uid=? AND status='running'`),
      rotationsToResume: p(`SELECT doc FROM rotations WHERE status='running' AND (lease_until IS NULL OR lease_until < ? OR json_extract(doc, '$.leaseOwner') = ?)`),
      putRotator: p(`INSERT INTO rotators (account_id, name, url, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (account_id, name) DO UPDATE SET url = excluded.url`),
      getRotator: p(`SELECT * FROM rotators WHERE account_id=? AND name=?`),
      listRotators: p(`SELECT * FROM rotators WHERE account_id=? ORDER BY name`),
      deleteRotator: p(`DELETE FROM rotators WHERE account_id=? AND name=?`),
      deleteSecret: p(`DELETE FROM secrets WHERE uid = ?`),
      insertVersion: p(`INSERT INTO versions (secret_uid, version_id, created_at, kind, key_id, wrapped_key, ciphertext) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      setVersionValue: p(`UPDATE versions SET kind=?, key_id=?, wrapped_key=?, ciphertext=? WHERE secret_uid=? AND version_id=?`),
      deleteVersion: p(`DELETE FROM versions WHERE secret_uid=? AND version_id=?`),
      deleteVersionStages: p(`DELETE FROM stages WHERE secret_uid=? AND version_id=?`),
      setStage: p(`INSERT INTO stages (secret_uid, stage, version_id) VALUES (?, ?, ?) ON CONFLICT (secret_uid, stage) DO UPDATE SET version_id = excluded.version_id`),
      removeStage: p(`DELETE FROM stages WHERE secret_uid=? AND stage=?`),
      versionExists: p(`SELECT 1 FROM versions WHERE secret_uid=? AND version_id=?`),
      secretByName: p(`SELECT * FROM secrets WHERE account_id=? AND region=? AND name=?`),
      secretByArn: p(`SELECT * FROM secrets WHERE arn=?`),
      secretByUid: p(`SELECT * FROM secrets WHERE uid=?`),
      duePurge: p(`SELECT * FROM secrets WHERE deletion_date IS NOT NULL AND deletion_date <= ? ORDER BY deletion_date LIMIT ?`),
      listVersions: p(`SELECT v.version_id, v.created_at, v.last_accessed_at, v.key_id,
        (SELECT group_concat(s.stage, char(1)) FROM stages s WHERE s.secret_uid = v.secret_uid AND s.version_id = v.version_id) AS stages
        FROM versions v WHERE v.secret_uid=? ORDER BY v.created_at, v.rowid`),
      getVersion: p(`SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.secret_uid=? AND v.version_id=?`),
      getVersionByStage: p(`SELECT ${VERSION_COLUMNS} FROM stages st JOIN versions v ON v.secret_uid = st.secret_uid AND v.version_id = st.version_id
        WHERE st.secret_uid=? AND st.stage=?`),
      touchSecret: p(`UPDATE secrets SET last_accessed_at=? WHERE uid=? AND (last_accessed_at IS NULL OR last_accessed_at < ?)`),
      touchVersion: p(`UPDATE versions SET last_accessed_at=? WHERE secret_uid=? AND version_id=? AND (last_accessed_at IS NULL OR last_accessed_at < ?)`),
      insertAccount: p(`INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)`),
      getAccount: p(`SELECT * FROM accounts WHERE id=?`),
      listAccounts: p(`SELECT * FROM accounts ORDER BY created_at, id`),
      insertAccessKey: p(`INSERT INTO access_keys (access_key_id, account_id, user_name, status, created_at, last_used_at, key_id, wrapped_key, ciphertext) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      getAccessKey: p(`SELECT * FROM access_keys WHERE access_key_id=?`),
      listAccessKeys: p(`SELECT * FROM access_keys WHERE account_id=? ORDER BY created_at, access_key_id`),
      deleteAccessKey: p(`DELETE FROM access_keys WHERE access_key_id=?`),
      touchAccessKey: p(`UPDATE access_keys SET last_used_at=? WHERE access_key_id=?`),
      getMeta: p(`SELECT value FROM meta WHERE key=?`),
      dataVersion: p(`PRAGMA data_version`),
      setMeta: p(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      staleVersionKeys: p(`SELECT v.secret_uid, v.version_id, v.key_id, v.wrapped_key, v.ciphertext, s.account_id FROM versions v JOIN secrets s ON s.uid = v.secret_uid
        WHERE v.key_id IS NOT NULL AND v.key_id <> ? LIMIT ?`),
      staleAccessKeys: p(`SELECT access_key_id, account_id, key_id, wrapped_key, ciphertext FROM access_keys WHERE key_id <> ? LIMIT ?`),
      replaceVersionKey: p(`UPDATE versions SET key_id=?, wrapped_key=? WHERE secret_uid=? AND version_id=? AND key_id=? AND wrapped_key=?`),
      replaceAccessKeyKey: p(`UPDATE access_keys SET key_id=?, wrapped_key=? WHERE access_key_id=? AND key_id=? AND wrapped_key=?`),
    };
  }

  private migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`);
    // BEGIN IMMEDIATE: two processes opening a fresh data dir at once must not both migrate.
    const apply = this.db.transaction(() => {
      const row = this.db.prepare(`SELECT MAX(version) AS v FROM schema_migrations`).get() as { v: number | null };
      for (let i = row.v ?? 0; i < sqliteMigrations.length; i++) {
        this.db.exec(sqliteMigrations[i]!);
        this.db.prepare(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`).run(i + 1, Date.now());
      }
    });
    apply.immediate();
  }

  async commit(changes: readonly Change[]): Promise<void> {
    const run = this.db.transaction((cs: readonly Change[]) => {
      for (const c of cs) this.apply(c);
    });
    try {
      run.immediate(changes);
    } catch (e) {
      if (e instanceof StoreConflict) throw e;
      const code = (e as { code?: string }).code;
      if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
        const msg = String((e as Error).message);
        if (msg.includes("secrets.")) throw new StoreConflict("name", msg);
        if (msg.includes("rotations.secret_uid")) throw new StoreConflict("rotation", msg);
        if (msg.includes("versions.")) throw new StoreConflict("version", msg);
      }
      throw e;
    }
  }

  private apply(c: Change): void {
    const s = this.stmt;
    switch (c.op) {
      case "insertSecret":
        s.insertSecret!.run(secretParams(c.secret));
        return;
      case "updateSecret":
        if (s.updateSecret!.run(secretParams(c.secret)).changes !== 1) throw new StoreConflict("revision", c.secret.uid);
        return;
      case "deleteSecret":
        s.deleteSecret!.run(c.uid);
        return;
      case "insertVersion":
        s.insertVersion!.run(c.secretUid, c.versionId, c.createdAt, c.kind ?? null, c.sealed?.keyId ?? null, c.sealed?.wrappedKey ?? null, c.sealed?.ciphertext ?? null);
        return;
      case "setVersionValue":
        if (s.setVersionValue!.run(c.kind, c.sealed.keyId, c.sealed.wrappedKey, c.sealed.ciphertext, c.secretUid, c.versionId).changes !== 1) {
          throw new StoreConflict("missing", `${c.secretUid}/${c.versionId}`);
        }
        return;
      case "deleteVersion":
        s.deleteVersionStages!.run(c.secretUid, c.versionId);
        s.deleteVersion!.run(c.secretUid, c.versionId);
        return;
      case "insertRotation":
        s.insertRotation!.run(rotationParams(c.rotation));
        return;
      case "updateRotation":
        if (s.updateRotation!.run(rotationParams(c.rotation)).changes !== 1) throw new StoreConflict("revision", c.rotation.id);
        return;
      case "setStage":
        if (c.versionId === null) s.removeStage!.run(c.secretUid, c.stage);
        else {
          if (!s.versionExists!.get(c.secretUid, c.versionId)) throw new StoreConflict("missing", `${c.secretUid}/${c.versionId}`);
          s.setStage!.run(c.secretUid, c.stage, c.versionId);
        }
        return;
    }
  }

  async getSecretByName(accountId: string, region: string, name: string): Promise<SecretRecord | undefined> {
    const r = this.stmt.secretByName!.get(accountId, region, name) as SecretRow | undefined;
    return r && toSecret(r);
  }
  async getSecretByArn(arn: string): Promise<SecretRecord | undefined> {
    const r = this.stmt.secretByArn!.get(arn) as SecretRow | undefined;
    return r && toSecret(r);
  }
  async getSecretByUid(uid: string): Promise<SecretRecord | undefined> {
    const r = this.stmt.secretByUid!.get(uid) as SecretRow | undefined;
    return r && toSecret(r);
  }

  async listSecrets(q: SecretPageQuery): Promise<SecretRecord[]> {
    const col = SORT_COLUMN[q.sortBy];
    const dir = q.order === "asc" ? "ASC" : "DESC";
    const cmp = q.order === "asc" ? ">" : "<";
    const where = ["account_id = @account", "region = @region"];
    if (!q.includeDeleted) where.push("deleted_at IS NULL");
    if (q.after) where.push(`(${col} ${cmp} @key OR (${col} = @key AND uid ${cmp} @uid))`);
    const sql = `SELECT * FROM secrets WHERE ${where.join(" AND ")} ORDER BY ${col} ${dir}, uid ${dir} LIMIT @limit`;
    const rows = this.db.prepare(sql).all({ account: q.accountId, region: q.region, key: q.after?.key ?? null, uid: q.after?.uid ?? null, limit: q.limit }) as SecretRow[];
    return rows.map(toSecret);
  }

  async listSecretsDueForPurge(now: number, limit: number): Promise<SecretRecord[]> {
    return (this.stmt.duePurge!.all(now, limit) as SecretRow[]).map(toSecret);
  }

  async listVersions(secretUid: string): Promise<VersionMeta[]> {
    return (this.stmt.listVersions!.all(secretUid) as VersionRow[]).map((r) => {
      const v: VersionMeta = { versionId: r.version_id, createdAt: r.created_at, stages: r.stages ? r.stages.split(STAGE_SEP).sort() : [] };
      if (r.last_accessed_at !== null) v.lastAccessedAt = r.last_accessed_at;
      if (r.key_id !== null) v.keyId = r.key_id;
      return v;
    });
  }

  async stagesBySecret(secretUids: readonly string[]): Promise<Map<string, Map<string, string[]>>> {
    const out = new Map<string, Map<string, string[]>>();
    for (let i = 0; i < secretUids.length; i += 500) {
      const chunk = secretUids.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT secret_uid, version_id, stage FROM stages WHERE secret_uid IN (${chunk.map(() => "?").join(",")}) ORDER BY stage`)
        .all(...chunk) as { secret_uid: string; version_id: string; stage: string }[];
      for (const r of rows) {
        let m = out.get(r.secret_uid);
        if (!m) out.set(r.secret_uid, (m = new Map()));
        const l = m.get(r.version_id);
        if (l) l.push(r.stage);
        else m.set(r.version_id, [r.stage]);
      }
    }
    return out;
  }

  async getVersion(secretUid: string, versionId: string): Promise<VersionRecord | undefined> {
    const r = this.stmt.getVersion!.get(secretUid, versionId) as VersionRow | undefined;
    return r && toVersion(r);
  }
  async getVersionByStage(secretUid: string, stage: string): Promise<VersionRecord | undefined> {
    const r = this.stmt.getVersionByStage!.get(secretUid, stage) as VersionRow | undefined;
    return r && toVersion(r);
  }

  async recordAccess(batch: AccessBatch): Promise<void> {
    this.db.transaction(() => {
      for (const s of batch.secrets) this.stmt.touchSecret!.run(s.day, s.uid, s.day);
      for (const v of batch.versions) this.stmt.touchVersion!.run(v.day, v.secretUid, v.versionId, v.day);
    })();
  }

  async insertAccount(a: AccountRecord): Promise<void> {
    this.stmt.insertAccount!.run(a.id, a.name, a.createdAt);
  }
  async getAccount(id: string): Promise<AccountRecord | undefined> {
    const r = this.stmt.getAccount!.get(id) as { id: string; name: string; created_at: number } | undefined;
    return r && { id: r.id, name: r.name, createdAt: r.created_at };
  }
  async listAccounts(): Promise<AccountRecord[]> {
    return (this.stmt.listAccounts!.all() as { id: string; name: string; created_at: number }[]).map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  async insertAccessKey(k: AccessKeyRecord): Promise<void> {
    this.stmt.insertAccessKey!.run(k.accessKeyId, k.accountId, k.userName, k.status, k.createdAt, k.lastUsedAt ?? null, k.sealedSecret.keyId, k.sealedSecret.wrappedKey, k.sealedSecret.ciphertext);
  }
  async getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const r = this.stmt.getAccessKey!.get(accessKeyId) as AccessKeyRow | undefined;
    return r && toAccessKey(r);
  }
  async listAccessKeys(accountId: string): Promise<AccessKeyRecord[]> {
    return (this.stmt.listAccessKeys!.all(accountId) as AccessKeyRow[]).map(toAccessKey);
  }
  async deleteAccessKey(accessKeyId: string): Promise<boolean> {
    return this.stmt.deleteAccessKey!.run(accessKeyId).changes > 0;
  }
  async touchAccessKey(accessKeyId: string, at: number): Promise<void> {
    this.stmt.touchAccessKey!.run(at, accessKeyId);
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (this.stmt.getMeta!.get(key) as { value: string } | undefined)?.value;
  }
  async setMeta(key: string, value: string): Promise<void> {
    this.stmt.setMeta!.run(key, value);
  }

  async listWrappedKeysNotUnder(activeKeyId: string, limit: number): Promise<WrappedKeyRef[]> {
    const out: WrappedKeyRef[] = [];
    const vs = this.stmt.staleVersionKeys!.all(activeKeyId, limit) as { secret_uid: string; version_id: string; key_id: string; wrapped_key: Buffer; ciphertext: Buffer; account_id: string }[];
    for (const v of vs) {
      out.push({
        table: "versions", id: [v.secret_uid, v.version_id], purpose: bindings.secretValue.purpose,
        bind: bindings.secretValue.bind(v.account_id, v.secret_uid, v.version_id),
        sealed: { keyId: v.key_id, wrappedKey: v.wrapped_key, ciphertext: v.ciphertext },
      });
    }
    const ks = this.stmt.staleAccessKeys!.all(activeKeyId, Math.max(0, limit - out.length)) as AccessKeyRow[];
    for (const k of ks) {
      out.push({
        table: "access_keys", id: [k.access_key_id], purpose: bindings.accessKey.purpose,
        bind: bindings.accessKey.bind(k.account_id, k.access_key_id),
        sealed: { keyId: k.key_id, wrappedKey: k.wrapped_key, ciphertext: k.ciphertext },
      });
    }
    return out;
  }

  async replaceWrappedKey(ref: WrappedKeyRef, next: Sealed): Promise<boolean> {
    if (ref.table === "versions") {
      return this.stmt.replaceVersionKey!.run(next.keyId, next.wrappedKey, ref.id[0], ref.id[1], ref.sealed.keyId, ref.sealed.wrappedKey).changes === 1;
    }
    return this.stmt.replaceAccessKeyKey!.run(next.keyId, next.wrappedKey, ref.id[0], ref.sealed.keyId, ref.sealed.wrappedKey).changes === 1;
  }

  async listSecretsDueForRotation(now: number, limit: number): Promise<SecretRecord[]> {
    return (this.stmt.dueRotation!.all(now, limit) as SecretRow[]).map(toSecret);
  }

  async getRotation(id: string): Promise<RotationRecord | undefined> {
    const r = this.stmt.getRotation!.get(id) as { doc: string } | undefined;
    return r && (JSON.parse(r.doc) as RotationRecord);
  }

  async getRunningRotation(secretUid: string): Promise<RotationRecord | undefined> {
    const r = this.stmt.runningRotation!.get(secretUid) as { doc: string } | undefined;
    return r && (JSON.parse(r.doc) as RotationRecord);
  }

  async listRotationsToResume(now: number, owner: string): Promise<RotationRecord[]> {
    return (this.stmt.rotationsToResume!.all(now, owner) as { doc: string }[]).map((r) => JSON.parse(r.doc) as RotationRecord);
  }

  async listRotations(q: RotationQuery): Promise<RotationRecord[]> {
    const where = ["account_id = @account"];
    if (q.secretUid !== undefined) where.push("secret_uid = @secret");
    if (q.status !== undefined) where.push("status = @status");
    if (q.method !== undefined) where.push("json_extract(doc, '$.method') = @method");
    if (q.since !== undefined) where.push("started_at >= @since");
    if (q.until !== undefined) where.push("started_at < @until");
    if (q.before) where.push("(started_at < @bStarted OR (started_at = @bStarted AND id < @bId))");
    const rows = this.db
      .prepare(`SELECT doc FROM rotations WHERE ${where.join(" AND ")} ORDER BY started_at DESC, id DESC LIMIT @limit`)
      .all({ account: q.accountId, secret: q.secretUid ?? null, status: q.status ?? null, method: q.method ?? null, since: q.since ?? null, until: q.until ?? null, bStarted: q.before?.startedAt ?? null, bId: q.before?.id ?? null, limit: q.limit }) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as RotationRecord);
  }

  async putRotator(r: RotatorRegistration): Promise<void> {
    this.stmt.putRotator!.run(r.accountId, r.name, r.url, r.createdAt);
  }
  async getRotator(accountId: string, name: string): Promise<RotatorRegistration | undefined> {
    const r = this.stmt.getRotator!.get(accountId, name) as { account_id: string; name: string; url: string; created_at: number } | undefined;
    return r && { accountId: r.account_id, name: r.name, url: r.url, createdAt: r.created_at };
  }
  async listRotators(accountId: string): Promise<RotatorRegistration[]> {
    return (this.stmt.listRotators!.all(accountId) as { account_id: string; name: string; url: string; created_at: number }[]).map((r) => ({ accountId: r.account_id, name: r.name, url: r.url, createdAt: r.created_at }));
  }
  async deleteRotator(accountId: string, name: string): Promise<boolean> {
    return this.stmt.deleteRotator!.run(accountId, name).changes > 0;
  }

  /** Changes whenever another connection (another process) commits to the file. */
  dataVersion(): number {
    return this.stmt.dataVersion!.pluck().get() as number;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

interface AccessKeyRow {
  access_key_id: string;
  account_id: string;
  user_name: string;
  status: "Active" | "Inactive";
  created_at: number;
  last_used_at: number | null;
  key_id: string;
  wrapped_key: Buffer;
  ciphertext: Buffer;
}

function toAccessKey(r: AccessKeyRow): AccessKeyRecord {
  const k: AccessKeyRecord = {
    accessKeyId: r.access_key_id, accountId: r.account_id, userName: r.user_name, status: r.status, createdAt: r.created_at,
    sealedSecret: { keyId: r.key_id, wrappedKey: r.wrapped_key, ciphertext: r.ciphertext },
  };
  if (r.last_used_at !== null) k.lastUsedAt = r.last_used_at;
  return k;
}
