import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Sealed } from "../../crypto/envelope.js";
import { bindings } from "../../crypto/bindings.js";
import type { RotationRecord, RotatorRegistration } from "../../rotation/records.js";
import type { ConsumerRecord } from "../../changes/consumers.js";
import type { AccessKeyRecord, AccountRecord, SecretRecord, UserPolicyRecord, UserRecord, VersionMeta, VersionRecord } from "../../secrets/records.js";
import type { AccessBatch, Change, RotationQuery, SecretPageQuery, Store, WrappedKeyRef } from "../store.js";
import { SORT_COLUMN, STAGE_SEP, toAccessKey, toSecret, toVersion, type AccessKeyRow, type SecretRow, type VersionRow } from "../sqlite/rows.js";
import type { AuditBatch, AuditChainInfo, AuditCheckpoint, AuditQuery, AuditRecord, AuditSummaryQuery, AuditSummaryRow } from "../../audit/records.js";
import * as audit from "./audit.js";
import { LockHeld, PgListener } from "./listener.js";
import { migratePostgres } from "./migrations.js";
import { clientConfig, openPool, type PostgresConnectionOptions } from "./pool.js";
import { commitChanges, inTransaction, SECRETS_CHANNEL, secretsPayload } from "./transactions.js";

export interface PostgresStoreOptions extends PostgresConnectionOptions {
  /**
   * This node's id (rotation.nodeId). Held as a lock for the store's lifetime: a second live node
   * with the same id cannot open the store (its rotation leases and audit chain would collide).
   */
  nodeId?: string;
  /** Connection problems of idle connections (the store recovers by itself); default: ignored. */
  onError?: (e: Error) => void;
}

const VERSION_COLUMNS = `v.version_id, v.created_at, v.last_accessed_at, v.kind, v.key_id, v.wrapped_key, v.ciphertext,
  (SELECT string_agg(s.stage, chr(1) ORDER BY s.stage) FROM stages s WHERE s.secret_uid = v.secret_uid AND s.version_id = v.version_id) AS stages`;

interface PolicyRow {
  account_id: string;
  user_name: string;
  policy_name: string;
  document: string;
  updated_at: number;
}

function toPolicy(r: PolicyRow): UserPolicyRecord {
  return { accountId: r.account_id, userName: r.user_name, policyName: r.policy_name, document: r.document, updatedAt: r.updated_at };
}

/** What changed on other nodes: the secrets touched, or "all" when this node may have missed notifications. */
export type ExternalChange = readonly string[] | "all";

/**
 * The PostgreSQL store, for several Keyshift nodes sharing one database. Each `commit` is one
 * READ COMMITTED transaction whose writes are compare-and-set on the row they change
 * (`UPDATE ... WHERE revision = n - 1` re-checks the condition on the newest row version after
 * waiting for a concurrent writer's lock, so exactly one of two concurrent writers of a revision
 * wins); unique violations map to the same StoreConflict kinds as SQLite's; deadlocks and
 * serialization failures are retried. An acknowledged commit is durable per the server's
 * `synchronous_commit` (on by default). Every commit also notifies the other nodes of the secrets
 * it touched (`onExternalChange`), in the same transaction, so they drop cached reads of them.
 */
export class PostgresStore implements Store {
  readonly kind = "postgres";
  readonly pool: pg.Pool;
  readonly listener: PgListener;
  /** Distinguishes this store's own notifications from other nodes'. */
  private readonly origin = randomUUID();
  private readonly external = new Set<(c: ExternalChange) => void>();
  private disconnectedStamp = 0;
  private readonly closers: (() => Promise<void>)[] = [];
  private readonly connection: pg.ClientConfig;

  private constructor(o: PostgresStoreOptions) {
    const onError = o.onError ?? (() => undefined);
    this.connection = clientConfig(o);
    this.pool = openPool(o, onError);
    this.listener = new PgListener(this.connection, onError, o.nodeId === undefined ? undefined : `keyshift-node:${o.nodeId}`);
    this.listener.on(SECRETS_CHANNEL, (payload) => {
      let msg: { o?: string; u?: string[] };
      try {
        msg = JSON.parse(payload) as { o?: string; u?: string[] };
      } catch {
        msg = {};
      }
      if (msg.o === this.origin) return;
      this.emit(msg.u ?? "all");
    });
    this.listener.onConnect(() => this.emit("all"));
  }

  /** Opens the pool, applies pending migrations (safe with several nodes starting at once) and starts listening. */
  static async open(o: PostgresStoreOptions): Promise<PostgresStore> {
    const s = new PostgresStore(o);
    try {
      const c = await s.pool.connect();
      try {
        await migratePostgres(c);
      } finally {
        c.release();
      }
      await s.listener.start();
    } catch (e) {
      await s.close().catch(() => undefined);
      if (e instanceof LockHeld) throw new Error(`another Keyshift node with rotation.nodeId "${o.nodeId}" is running on this database: give every node its own nodeId`);
      throw e;
    }
    return s;
  }

  private emit(c: ExternalChange): void {
    for (const fn of this.external) fn(c);
  }

  /** Subscribes to changes committed by other nodes (and "all" after any gap in notifications). */
  onExternalChange(fn: (c: ExternalChange) => void): () => void {
    this.external.add(fn);
    return () => this.external.delete(fn);
  }

  /** A value that stays put while notifications flow and moves on every check while they do not (for CachingStore). */
  externalStamp(): unknown {
    return this.listener.epoch ?? `down-${++this.disconnectedStamp}`;
  }

  private async rows<R extends pg.QueryResultRow>(name: string | undefined, text: string, values: unknown[]): Promise<R[]> {
    return (await this.pool.query<R>(name ? { name, text, values } : { text, values })).rows;
  }

  private async write<T>(fn: (c: pg.PoolClient) => Promise<T>, uids: readonly string[] = []): Promise<T> {
    return inTransaction(this.pool, async (c) => {
      const r = await fn(c);
      if (uids.length > 0) await notifySecrets(c, this.origin, uids);
      return r;
    });
  }

  async commit(changes: readonly Change[]): Promise<void> {
    if (changes.length > 0) await commitChanges(this.pool, changes, this.origin);
  }

  async getSecretByName(accountId: string, region: string, name: string): Promise<SecretRecord | undefined> {
    const r = await this.rows<SecretRow>("ks_secret_by_name", "SELECT * FROM secrets WHERE account_id=$1 AND region=$2 AND name=$3", [accountId, region, name]);
    return r[0] && toSecret(r[0]);
  }
  async getSecretByArn(arn: string): Promise<SecretRecord | undefined> {
    const r = await this.rows<SecretRow>("ks_secret_by_arn", "SELECT * FROM secrets WHERE arn=$1", [arn]);
    return r[0] && toSecret(r[0]);
  }
  async getSecretByUid(uid: string): Promise<SecretRecord | undefined> {
    const r = await this.rows<SecretRow>("ks_secret_by_uid", "SELECT * FROM secrets WHERE uid=$1", [uid]);
    return r[0] && toSecret(r[0]);
  }

  async listSecrets(q: SecretPageQuery): Promise<SecretRecord[]> {
    const col = SORT_COLUMN[q.sortBy];
    const dir = q.order === "asc" ? "ASC" : "DESC";
    const cmp = q.order === "asc" ? ">" : "<";
    const values: unknown[] = [q.accountId, q.region, q.limit];
    const where = ["account_id = $1", "region = $2"];
    if (!q.includeDeleted) where.push("deleted_at IS NULL");
    if (q.after) {
      values.push(q.after.key, q.after.uid);
      where.push(`(${col} ${cmp} $4 OR (${col} = $4 AND uid ${cmp} $5))`);
    }
    const rows = await this.rows<SecretRow>(undefined, `SELECT * FROM secrets WHERE ${where.join(" AND ")} ORDER BY ${col} ${dir}, uid ${dir} LIMIT $3`, values);
    return rows.map(toSecret);
  }

  async listSecretsDueForPurge(now: number, limit: number): Promise<SecretRecord[]> {
    return (await this.rows<SecretRow>(undefined, "SELECT * FROM secrets WHERE deletion_date IS NOT NULL AND deletion_date <= $1 ORDER BY deletion_date LIMIT $2", [now, limit])).map(toSecret);
  }

  async listVersions(secretUid: string): Promise<VersionMeta[]> {
    const rows = await this.rows<VersionRow>("ks_list_versions", `SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.secret_uid=$1 ORDER BY v.created_at, v.seq`, [secretUid]);
    return rows.map((r) => {
      const v: VersionMeta = { versionId: r.version_id, createdAt: r.created_at, stages: r.stages ? r.stages.split(STAGE_SEP).sort() : [] };
      if (r.last_accessed_at !== null) v.lastAccessedAt = r.last_accessed_at;
      if (r.key_id !== null) v.keyId = r.key_id;
      return v;
    });
  }

  async stagesBySecret(secretUids: readonly string[]): Promise<Map<string, Map<string, string[]>>> {
    const out = new Map<string, Map<string, string[]>>();
    if (secretUids.length === 0) return out;
    const rows = await this.rows<{ secret_uid: string; version_id: string; stage: string }>(
      "ks_stages_by_secret", "SELECT secret_uid, version_id, stage FROM stages WHERE secret_uid = ANY($1::text[]) ORDER BY stage", [secretUids],
    );
    for (const r of rows) {
      let m = out.get(r.secret_uid);
      if (!m) out.set(r.secret_uid, (m = new Map()));
      const l = m.get(r.version_id);
      if (l) l.push(r.stage);
      else m.set(r.version_id, [r.stage]);
    }
    return out;
  }

  async getVersion(secretUid: string, versionId: string): Promise<VersionRecord | undefined> {
    const r = await this.rows<VersionRow>("ks_get_version", `SELECT ${VERSION_COLUMNS} FROM versions v WHERE v.secret_uid=$1 AND v.version_id=$2`, [secretUid, versionId]);
    return r[0] && toVersion(r[0]);
  }
  async getVersionByStage(secretUid: string, stage: string): Promise<VersionRecord | undefined> {
    const r = await this.rows<VersionRow>(
      "ks_version_by_stage",
      `SELECT ${VERSION_COLUMNS} FROM stages st JOIN versions v ON v.secret_uid = st.secret_uid AND v.version_id = st.version_id WHERE st.secret_uid=$1 AND st.stage=$2`,
      [secretUid, stage],
    );
    return r[0] && toVersion(r[0]);
  }

  async recordAccess(batch: AccessBatch): Promise<void> {
    // One statement per table; the latest day per row (a batch may name a row twice).
    const secrets = new Map<string, number>();
    for (const s of batch.secrets) secrets.set(s.uid, Math.max(s.day, secrets.get(s.uid) ?? 0));
    const versions = new Map<string, { secretUid: string; versionId: string; day: number }>();
    for (const v of batch.versions) {
      const k = `${v.secretUid}\u0000${v.versionId}`;
      versions.set(k, { ...v, day: Math.max(v.day, versions.get(k)?.day ?? 0) });
    }
    const uids = [...new Set([...secrets.keys(), ...[...versions.values()].map((v) => v.secretUid)])];
    if (uids.length === 0) return;
    await this.write(async (c) => {
      if (secrets.size > 0) {
        await c.query(
          `UPDATE secrets s SET last_accessed_at = x.day FROM unnest($1::text[], $2::int8[]) AS x(uid, day)
           WHERE s.uid = x.uid AND (s.last_accessed_at IS NULL OR s.last_accessed_at < x.day)`,
          [[...secrets.keys()], [...secrets.values()]],
        );
      }
      if (versions.size > 0) {
        const vs = [...versions.values()];
        await c.query(
          `UPDATE versions v SET last_accessed_at = x.day FROM unnest($1::text[], $2::text[], $3::int8[]) AS x(secret_uid, version_id, day)
           WHERE v.secret_uid = x.secret_uid AND v.version_id = x.version_id AND (v.last_accessed_at IS NULL OR v.last_accessed_at < x.day)`,
          [vs.map((v) => v.secretUid), vs.map((v) => v.versionId), vs.map((v) => v.day)],
        );
      }
    }, uids);
  }

  async insertAccount(a: AccountRecord): Promise<void> {
    await this.pool.query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)", [a.id, a.name, a.createdAt]);
  }
  async getAccount(id: string): Promise<AccountRecord | undefined> {
    const r = await this.rows<{ id: string; name: string; created_at: number }>(undefined, "SELECT * FROM accounts WHERE id=$1", [id]);
    return r[0] && { id: r[0].id, name: r[0].name, createdAt: r[0].created_at };
  }
  async listAccounts(): Promise<AccountRecord[]> {
    const r = await this.rows<{ id: string; name: string; created_at: number }>(undefined, "SELECT * FROM accounts ORDER BY created_at, id", []);
    return r.map((x) => ({ id: x.id, name: x.name, createdAt: x.created_at }));
  }

  async insertAccessKey(k: AccessKeyRecord): Promise<void> {
    await this.pool.query(
      "INSERT INTO access_keys (access_key_id, account_id, user_name, status, created_at, last_used_at, key_id, wrapped_key, ciphertext) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      [k.accessKeyId, k.accountId, k.userName, k.status, k.createdAt, k.lastUsedAt ?? null, k.sealedSecret.keyId, k.sealedSecret.wrappedKey, k.sealedSecret.ciphertext],
    );
  }
  async getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const r = await this.rows<AccessKeyRow>("ks_access_key", "SELECT * FROM access_keys WHERE access_key_id=$1", [accessKeyId]);
    return r[0] && toAccessKey(r[0]);
  }
  async listAccessKeys(accountId: string): Promise<AccessKeyRecord[]> {
    return (await this.rows<AccessKeyRow>(undefined, "SELECT * FROM access_keys WHERE account_id=$1 ORDER BY created_at, access_key_id", [accountId])).map(toAccessKey);
  }
  async deleteAccessKey(accessKeyId: string): Promise<boolean> {
    return ((await this.pool.query("DELETE FROM access_keys WHERE access_key_id=$1", [accessKeyId])).rowCount ?? 0) > 0;
  }
  async touchAccessKey(accessKeyId: string, at: number): Promise<void> {
    await this.pool.query("UPDATE access_keys SET last_used_at=$1 WHERE access_key_id=$2", [at, accessKeyId]);
  }
  async setAccessKeyStatus(accessKeyId: string, status: AccessKeyRecord["status"]): Promise<boolean> {
    return ((await this.pool.query("UPDATE access_keys SET status=$1 WHERE access_key_id=$2", [status, accessKeyId])).rowCount ?? 0) > 0;
  }

  async insertUser(u: UserRecord): Promise<void> {
    await this.write((c) => c.query("INSERT INTO users (account_id, user_name, created_at, doc) VALUES ($1, $2, $3, $4)", [u.accountId, u.userName, u.createdAt, JSON.stringify(u)]));
  }
  async getUser(accountId: string, userName: string): Promise<UserRecord | undefined> {
    const r = await this.rows<{ doc: string }>(undefined, "SELECT doc FROM users WHERE account_id=$1 AND user_name=$2", [accountId, userName]);
    return r[0] && (JSON.parse(r[0].doc) as UserRecord);
  }
  async listUsers(accountId: string): Promise<UserRecord[]> {
    return (await this.rows<{ doc: string }>(undefined, "SELECT doc FROM users WHERE account_id=$1 ORDER BY user_name", [accountId])).map((r) => JSON.parse(r.doc) as UserRecord);
  }
  async deleteUser(accountId: string, userName: string): Promise<boolean> {
    return this.write(async (c) => {
      await c.query("DELETE FROM access_keys WHERE account_id=$1 AND user_name=$2", [accountId, userName]);
      await c.query("DELETE FROM user_policies WHERE account_id=$1 AND user_name=$2", [accountId, userName]);
      return ((await c.query("DELETE FROM users WHERE account_id=$1 AND user_name=$2", [accountId, userName])).rowCount ?? 0) > 0;
    });
  }
  async putUserPolicy(p: UserPolicyRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO user_policies (account_id, user_name, policy_name, document, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_id, user_name, policy_name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
      [p.accountId, p.userName, p.policyName, p.document, p.updatedAt],
    );
  }
  async getUserPolicy(accountId: string, userName: string, policyName: string): Promise<UserPolicyRecord | undefined> {
    const r = await this.rows<PolicyRow>(undefined, "SELECT * FROM user_policies WHERE account_id=$1 AND user_name=$2 AND policy_name=$3", [accountId, userName, policyName]);
    return r[0] && toPolicy(r[0]);
  }
  async listUserPolicies(accountId: string, userName: string): Promise<UserPolicyRecord[]> {
    return (await this.rows<PolicyRow>(undefined, "SELECT * FROM user_policies WHERE account_id=$1 AND user_name=$2 ORDER BY policy_name", [accountId, userName])).map(toPolicy);
  }
  async deleteUserPolicy(accountId: string, userName: string, policyName: string): Promise<boolean> {
    return ((await this.pool.query("DELETE FROM user_policies WHERE account_id=$1 AND user_name=$2 AND policy_name=$3", [accountId, userName, policyName])).rowCount ?? 0) > 0;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.rows<{ value: string }>(undefined, "SELECT value FROM meta WHERE key=$1", [key]))[0]?.value;
  }
  async setMeta(key: string, value: string): Promise<void> {
    await this.pool.query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]);
  }

  async listSecretsDueForRotation(now: number, limit: number): Promise<SecretRecord[]> {
    const rows = await this.rows<SecretRow>(
      undefined, "SELECT * FROM secrets WHERE rotation_due_at IS NOT NULL AND rotation_due_at <= $1 AND deleted_at IS NULL ORDER BY rotation_due_at LIMIT $2", [now, limit],
    );
    return rows.map(toSecret);
  }
  async getRotation(id: string): Promise<RotationRecord | undefined> {
    const r = await this.rows<{ doc: string }>(undefined, "SELECT doc FROM rotations WHERE id=$1", [id]);
    return r[0] && (JSON.parse(r[0].doc) as RotationRecord);
  }
  async getRunningRotation(secretUid: string): Promise<RotationRecord | undefined> {
    const r = await this.rows<{ doc: string }>(undefined, "SELECT doc FROM rotations WHERE secret_uid=$1 AND status='running'", [secretUid]);
    return r[0] && (JSON.parse(r[0].doc) as RotationRecord);
  }
  async listRotationsToResume(now: number, owner: string): Promise<RotationRecord[]> {
    const r = await this.rows<{ doc: string }>(
      undefined, "SELECT doc FROM rotations WHERE status='running' AND (lease_until IS NULL OR lease_until < $1 OR (doc::jsonb ->> 'leaseOwner') = $2)", [now, owner],
    );
    return r.map((x) => JSON.parse(x.doc) as RotationRecord);
  }
  async listRotations(q: RotationQuery): Promise<RotationRecord[]> {
    const values: unknown[] = [q.accountId];
    const where = ["account_id = $1"];
    const add = (sql: (n: string) => string, v: unknown) => {
      values.push(v);
      where.push(sql(`$${values.length}`));
    };
    if (q.secretUid !== undefined) add((p) => `secret_uid = ${p}`, q.secretUid);
    if (q.status !== undefined) add((p) => `status = ${p}`, q.status);
    if (q.method !== undefined) add((p) => `(doc::jsonb ->> 'method') = ${p}`, q.method);
    if (q.since !== undefined) add((p) => `started_at >= ${p}`, q.since);
    if (q.until !== undefined) add((p) => `started_at < ${p}`, q.until);
    if (q.before) {
      values.push(q.before.startedAt, q.before.id);
      where.push(`(started_at < $${values.length - 1} OR (started_at = $${values.length - 1} AND id < $${values.length}))`);
    }
    values.push(q.limit);
    const rows = await this.rows<{ doc: string }>(undefined, `SELECT doc FROM rotations WHERE ${where.join(" AND ")} ORDER BY started_at DESC, id DESC LIMIT $${values.length}`, values);
    return rows.map((r) => JSON.parse(r.doc) as RotationRecord);
  }
  async putRotator(r: RotatorRegistration): Promise<void> {
    await this.pool.query("INSERT INTO rotators (account_id, name, url, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, name) DO UPDATE SET url = excluded.url", [r.accountId, r.name, r.url, r.createdAt]);
  }
  async getRotator(accountId: string, name: string): Promise<RotatorRegistration | undefined> {
    const r = await this.rows<{ account_id: string; name: string; url: string; created_at: number }>(undefined, "SELECT * FROM rotators WHERE account_id=$1 AND name=$2", [accountId, name]);
    return r[0] && { accountId: r[0].account_id, name: r[0].name, url: r[0].url, createdAt: r[0].created_at };
  }
  async listRotators(accountId: string): Promise<RotatorRegistration[]> {
    const r = await this.rows<{ account_id: string; name: string; url: string; created_at: number }>(undefined, "SELECT * FROM rotators WHERE account_id=$1 ORDER BY name", [accountId]);
    return r.map((x) => ({ accountId: x.account_id, name: x.name, url: x.url, createdAt: x.created_at }));
  }
  async deleteRotator(accountId: string, name: string): Promise<boolean> {
    return ((await this.pool.query("DELETE FROM rotators WHERE account_id=$1 AND name=$2", [accountId, name])).rowCount ?? 0) > 0;
  }

  async putConsumer(c: ConsumerRecord): Promise<void> {
    await this.pool.query(
      "INSERT INTO consumers (account_id, consumer_id, last_seen, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, consumer_id) DO UPDATE SET last_seen = excluded.last_seen, doc = excluded.doc",
      [c.accountId, c.consumerId, c.lastSeen, JSON.stringify(c)],
    );
  }
  async listConsumers(accountId: string): Promise<ConsumerRecord[]> {
    return (await this.rows<{ doc: string }>(undefined, "SELECT doc FROM consumers WHERE account_id=$1 ORDER BY last_seen DESC, consumer_id", [accountId])).map((r) => JSON.parse(r.doc) as ConsumerRecord);
  }

  async listWrappedKeysNotUnder(activeKeyId: string, limit: number): Promise<WrappedKeyRef[]> {
    const out: WrappedKeyRef[] = [];
    const vs = await this.rows<{ secret_uid: string; version_id: string; key_id: string; wrapped_key: Buffer; ciphertext: Buffer; account_id: string }>(
      undefined,
      `SELECT v.secret_uid, v.version_id, v.key_id, v.wrapped_key, v.ciphertext, s.account_id FROM versions v JOIN secrets s ON s.uid = v.secret_uid
       WHERE v.key_id IS NOT NULL AND v.key_id <> $1 LIMIT $2`,
      [activeKeyId, limit],
    );
    for (const v of vs) {
      out.push({
        table: "versions", id: [v.secret_uid, v.version_id], purpose: bindings.secretValue.purpose,
        bind: bindings.secretValue.bind(v.account_id, v.secret_uid, v.version_id),
        sealed: { keyId: v.key_id, wrappedKey: v.wrapped_key, ciphertext: v.ciphertext },
      });
    }
    const ks = await this.rows<AccessKeyRow>(undefined, "SELECT * FROM access_keys WHERE key_id <> $1 LIMIT $2", [activeKeyId, Math.max(0, limit - out.length)]);
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
      return this.write(async (c) => {
        const r = await c.query("UPDATE versions SET key_id=$1, wrapped_key=$2 WHERE secret_uid=$3 AND version_id=$4 AND key_id=$5 AND wrapped_key=$6", [next.keyId, next.wrappedKey, ref.id[0], ref.id[1], ref.sealed.keyId, ref.sealed.wrappedKey]);
        return r.rowCount === 1;
      }, [ref.id[0]!]);
    }
    const r = await this.pool.query("UPDATE access_keys SET key_id=$1, wrapped_key=$2 WHERE access_key_id=$3 AND key_id=$4 AND wrapped_key=$5", [next.keyId, next.wrappedKey, ref.id[0], ref.sealed.keyId, ref.sealed.wrappedKey]);
    return r.rowCount === 1;
  }

  // The audit trail (store.ts; audit.ts).
  appendAudit(batch: AuditBatch): Promise<void> {
    return this.auditAppender.append(batch);
  }
  private readonly auditAppender = new audit.AuditAppender((b) => audit.appendAudit(this.pool, b));
  auditChains(): Promise<AuditChainInfo[]> {
    return audit.auditChains(this.pool);
  }
  listAuditChain(chain: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return audit.listAuditChain(this.pool, chain, afterSeq, limit);
  }
  listAuditCheckpoints(chain: string): Promise<AuditCheckpoint[]> {
    return audit.listAuditCheckpoints(this.pool, chain);
  }
  queryAudit(q: AuditQuery): Promise<AuditRecord[]> {
    return audit.queryAudit(this.pool, q);
  }
  summarizeAudit(q: AuditSummaryQuery): Promise<AuditSummaryRow[]> {
    return audit.summarizeAudit(this.pool, q);
  }
  pruneAudit(anchor: AuditCheckpoint): Promise<number> {
    return audit.pruneAudit(this.pool, anchor);
  }

  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    // Its own connection: `fn` uses the pool, which may be a single connection.
    const c = new pg.Client(this.connection);
    c.on("error", () => undefined);
    await c.connect();
    try {
      await c.query("SELECT pg_advisory_lock(hashtext($1))", [`keyshift:${name}`]);
      return await fn();
    } finally {
      // Ending the session releases the lock.
      await c.end().catch(() => undefined);
    }
  }

  /** Runs `fn` first when the store closes (components built on the pool flush their work). */
  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers.splice(0)) await fn().catch(() => undefined);
    this.external.clear();
    await this.listener.close();
    await this.pool.end().catch(() => undefined);
  }
}

/** Tells the other nodes which secrets this transaction touched (delivered at commit, dropped on rollback). */
async function notifySecrets(c: pg.ClientBase, origin: string, uids: readonly string[]): Promise<void> {
  await c.query("SELECT pg_notify($1, $2)", [SECRETS_CHANNEL, secretsPayload(origin, uids)]);
}
