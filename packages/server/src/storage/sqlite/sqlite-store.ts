import type Database from "better-sqlite3";
import { Worker } from "node:worker_threads";
import type { Sealed } from "../../crypto/envelope.js";
import { bindings } from "../../crypto/bindings.js";
import type { RotationRecord, RotatorRegistration } from "../../rotation/records.js";
import type { ConsumerRecord } from "../../changes/consumers.js";
import type { AccessKeyRecord, AccountRecord, SecretRecord, UserPolicyRecord, UserRecord, VersionMeta, VersionRecord } from "../../secrets/records.js";
import type { AccessBatch, Change, RotationQuery, SecretPageQuery, Store, WrappedKeyRef } from "../store.js";
import { migrate, openConnection, type ConnectionOptions } from "./connection.js";
import { SORT_COLUMN, STAGE_SEP, VERSION_COLUMNS, toAccessKey, toSecret, toVersion, type AccessKeyRow, type SecretRow, type VersionRow } from "./rows.js";
import { encodeBlocks, encodeEntries } from "./audit-blocks.js";
import { SqliteAuditReader } from "./audit-reader.js";
import type { AuditBatch, AuditSealBatch, AuditSealResult, AuditChainInfo, AuditCheckpoint, AuditQuery, AuditRecord, AuditSummaryQuery, AuditSummaryRow } from "../../audit/records.js";
import { SqliteWriter, resultError, type WriteOp, type WriteResult, type WriteValue } from "./writer.js";

export interface SqliteStoreOptions extends ConnectionOptions {
  /**
   * `thread` (the server): writes go to a writer thread, so that fsyncs never block the event
   * loop and concurrent writes share a transaction (group commit). `inline` (CLI, tests): writes
   * run on the calling thread. Default inline.
   */
  writer?: "thread" | "inline";
  /** `thread`: the audit chain this server writes; what its journal holds after a crash is stored at start. */
  auditChain?: string;
}

/** Where writes go: applied on this thread, or sent to the writer thread. */
interface WriteChannel {
  write(w: WriteOp): Promise<WriteValue>;
  /** Resolves once every audit record acknowledged so far is in the database (the writer thread journals them first). */
  flushAudit(): Promise<void>;
  /** PRAGMA data_version of the writing connection: moves only when another process commits. */
  stamp(): number;
  close(): Promise<void>;
}

class InlineChannel implements WriteChannel {
  private readonly writer: SqliteWriter;
  private readonly version: Database.Statement;
  constructor(db: Database.Database) {
    this.writer = new SqliteWriter(db);
    this.version = db.prepare("PRAGMA data_version").pluck();
  }
  async write(w: WriteOp): Promise<WriteValue> {
    const r = this.writer.run([w])[0]!;
    if (!r.ok) throw resultError(r);
    return r.value;
  }
  async flushAudit(): Promise<void> {}
  stamp(): number {
    return this.version.get() as number;
  }
  async close(): Promise<void> {}
}

class ThreadChannel implements WriteChannel {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: WriteValue) => void; reject: (e: Error) => void }>();
  private readonly stampView: Int32Array;
  private next = 1;
  private failed: Error | undefined;

  constructor(o: ConnectionOptions, auditChain?: string) {
    const sab = new SharedArrayBuffer(4);
    this.stampView = new Int32Array(sab);
    this.worker = new Worker(new URL("./writer-thread.js", import.meta.url), { workerData: { options: o, stamp: sab, ...(auditChain !== undefined ? { auditChain } : {}) } });
    // The thread keeps the process alive only while a write is in flight.
    this.worker.unref();
    this.worker.on("message", (results: { id: number; result: WriteResult }[]) => {
      for (const { id, result } of results) {
        const p = this.pending.get(id);
        this.pending.delete(id);
        if (!p) continue;
        if (result.ok) p.resolve(result.value);
        else p.reject(resultError(result));
      }
      if (this.pending.size === 0) this.worker.unref();
    });
    this.worker.on("error", (e) => this.fail(e));
    this.worker.on("exit", (code) => this.fail(new Error(`the SQLite writer thread exited (code ${code})`)));
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  write(w: WriteOp): Promise<WriteValue> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, w });
    });
  }

  async flushAudit(): Promise<void> {
    await this.write({ op: "flushAudit" });
  }

  stamp(): number {
    return Atomics.load(this.stampView, 0);
  }

  /** Writes already sent are applied and answered (the thread drains its queue), later ones are refused. */
  async close(): Promise<void> {
    if (this.failed) return;
    const exited = new Promise((r) => this.worker.once("exit", r));
    this.worker.ref();
    this.worker.postMessage({ close: true });
    await exited;
  }
}

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

/**
 * The embedded store: one SQLite file in WAL mode. Reads run on the calling thread (they are the
 * hot path and take microseconds); writes go through a WriteChannel, in one transaction each,
 * fsynced before they resolve (synchronous=FULL by default), so an acknowledged write survives
 * kill -9 and power loss. Other processes (the CLI) can read and write the same file.
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  private readonly db: Database.Database;
  private readonly stmt: Record<string, Database.Statement>;
  private readonly writes: WriteChannel;

  constructor(opts: SqliteStoreOptions) {
    this.db = openConnection(opts);
    migrate(this.db);
    this.audit = new SqliteAuditReader(this.db);
    this.writes = opts.writer === "thread" ? new ThreadChannel(opts, opts.auditChain) : new InlineChannel(this.db);
    const p = (sql: string) => this.db.prepare(sql);
    this.stmt = {
      dueRotation: p(`SELECT * FROM secrets WHERE rotation_due_at IS NOT NULL AND rotation_due_at <= ? AND deleted_at IS NULL ORDER BY rotation_due_at LIMIT ?`),
      getRotation: p(`SELECT doc FROM rotations WHERE id=?`),
      runningRotation: p(`SELECT doc FROM rotations WHERE secret_uid=? AND status='running'`),
      rotationsToResume: p(`SELECT doc FROM rotations WHERE status='running' AND (lease_until IS NULL OR lease_until < ? OR json_extract(doc, '$.leaseOwner') = ?)`),
      getRotator: p(`SELECT * FROM rotators WHERE account_id=? AND name=?`),
      listRotators: p(`SELECT * FROM rotators WHERE account_id=? ORDER BY name`),
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
      getAccount: p(`SELECT * FROM accounts WHERE id=?`),
      listAccounts: p(`SELECT * FROM accounts ORDER BY created_at, id`),
      getAccessKey: p(`SELECT * FROM access_keys WHERE access_key_id=?`),
      listAccessKeys: p(`SELECT * FROM access_keys WHERE account_id=? ORDER BY created_at, access_key_id`),
      getMeta: p(`SELECT value FROM meta WHERE key=?`),
      getUser: p(`SELECT doc FROM users WHERE account_id=? AND user_name=?`),
      listUsers: p(`SELECT doc FROM users WHERE account_id=? ORDER BY user_name`),
      getUserPolicy: p(`SELECT * FROM user_policies WHERE account_id=? AND user_name=? AND policy_name=?`),
      listUserPolicies: p(`SELECT * FROM user_policies WHERE account_id=? AND user_name=? ORDER BY policy_name`),
      listConsumers: p(`SELECT doc FROM consumers WHERE account_id=? ORDER BY last_seen DESC, consumer_id`),
      staleVersionKeys: p(`SELECT v.secret_uid, v.version_id, v.key_id, v.wrapped_key, v.ciphertext, s.account_id FROM versions v JOIN secrets s ON s.uid = v.secret_uid
        WHERE v.key_id IS NOT NULL AND v.key_id <> ? LIMIT ?`),
      staleAccessKeys: p(`SELECT access_key_id, account_id, key_id, wrapped_key, ciphertext FROM access_keys WHERE key_id <> ? LIMIT ?`),
    };
  }

  async commit(changes: readonly Change[]): Promise<void> {
    await this.writes.write({ op: "commit", changes });
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
    await this.writes.write({ op: "recordAccess", batch });
  }


  async insertAccount(a: AccountRecord): Promise<void> {
    await this.writes.write({ op: "insertAccount", account: a });
  }

  async getAccount(id: string): Promise<AccountRecord | undefined> {
    const r = this.stmt.getAccount!.get(id) as { id: string; name: string; created_at: number } | undefined;
    return r && { id: r.id, name: r.name, createdAt: r.created_at };
  }
  async listAccounts(): Promise<AccountRecord[]> {
    return (this.stmt.listAccounts!.all() as { id: string; name: string; created_at: number }[]).map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  async insertAccessKey(k: AccessKeyRecord): Promise<void> {
    await this.writes.write({ op: "insertAccessKey", key: k });
  }

  async getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const r = this.stmt.getAccessKey!.get(accessKeyId) as AccessKeyRow | undefined;
    return r && toAccessKey(r);
  }
  async listAccessKeys(accountId: string): Promise<AccessKeyRecord[]> {
    return (this.stmt.listAccessKeys!.all(accountId) as AccessKeyRow[]).map(toAccessKey);
  }
  async deleteAccessKey(accessKeyId: string): Promise<boolean> {
    return (await this.writes.write({ op: "deleteAccessKey", accessKeyId })) === true;
  }

  async touchAccessKey(accessKeyId: string, at: number): Promise<void> {
    await this.writes.write({ op: "touchAccessKey", accessKeyId, at });
  }


  async getMeta(key: string): Promise<string | undefined> {
    return (this.stmt.getMeta!.get(key) as { value: string } | undefined)?.value;
  }
  async setMeta(key: string, value: string): Promise<void> {
    await this.writes.write({ op: "setMeta", key, value });
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
    return (await this.writes.write({ op: "replaceWrappedKey", ref, next })) === true;
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
    await this.writes.write({ op: "putRotator", rotator: r });
  }

  async getRotator(accountId: string, name: string): Promise<RotatorRegistration | undefined> {
    const r = this.stmt.getRotator!.get(accountId, name) as { account_id: string; name: string; url: string; created_at: number } | undefined;
    return r && { accountId: r.account_id, name: r.name, url: r.url, createdAt: r.created_at };
  }
  async listRotators(accountId: string): Promise<RotatorRegistration[]> {
    return (this.stmt.listRotators!.all(accountId) as { account_id: string; name: string; url: string; created_at: number }[]).map((r) => ({ accountId: r.account_id, name: r.name, url: r.url, createdAt: r.created_at }));
  }
  async deleteRotator(accountId: string, name: string): Promise<boolean> {
    return (await this.writes.write({ op: "deleteRotator", accountId, name })) === true;
  }


  async setAccessKeyStatus(accessKeyId: string, status: AccessKeyRecord["status"]): Promise<boolean> {
    return (await this.writes.write({ op: "setAccessKeyStatus", accessKeyId, status })) === true;
  }
  async insertUser(u: UserRecord): Promise<void> {
    await this.writes.write({ op: "insertUser", user: u });
  }
  async getUser(accountId: string, userName: string): Promise<UserRecord | undefined> {
    const r = this.stmt.getUser!.get(accountId, userName) as { doc: string } | undefined;
    return r && (JSON.parse(r.doc) as UserRecord);
  }
  async listUsers(accountId: string): Promise<UserRecord[]> {
    return (this.stmt.listUsers!.all(accountId) as { doc: string }[]).map((r) => JSON.parse(r.doc) as UserRecord);
  }
  async deleteUser(accountId: string, userName: string): Promise<boolean> {
    return (await this.writes.write({ op: "deleteUser", accountId, userName })) === true;
  }
  async putUserPolicy(p: UserPolicyRecord): Promise<void> {
    await this.writes.write({ op: "putUserPolicy", policy: p });
  }
  async getUserPolicy(accountId: string, userName: string, policyName: string): Promise<UserPolicyRecord | undefined> {
    const r = this.stmt.getUserPolicy!.get(accountId, userName, policyName) as PolicyRow | undefined;
    return r && toPolicy(r);
  }
  async listUserPolicies(accountId: string, userName: string): Promise<UserPolicyRecord[]> {
    return (this.stmt.listUserPolicies!.all(accountId, userName) as PolicyRow[]).map(toPolicy);
  }
  async deleteUserPolicy(accountId: string, userName: string, policyName: string): Promise<boolean> {
    return (await this.writes.write({ op: "deleteUserPolicy", accountId, userName, policyName })) === true;
  }

  async putConsumer(c: ConsumerRecord): Promise<void> {
    await this.writes.write({ op: "putConsumer", consumer: c });
  }

  async listConsumers(accountId: string): Promise<ConsumerRecord[]> {
    return (this.stmt.listConsumers!.all(accountId) as { doc: string }[]).map((r) => JSON.parse(r.doc) as ConsumerRecord);
  }

  // The audit trail (store.ts, audit-blocks.ts): a batch goes to the writer as one block per chain,
  // encoded here; it shares the transaction and the fsync of whatever else is being committed.
  // sealAudit on the writer thread is journaled first (audit-journal.ts): every read of the trail
  // below waits until what was acknowledged is in the database.
  async appendAudit(batch: AuditBatch): Promise<void> {
    if (batch.records.length === 0 && batch.checkpoints.length === 0) return;
    await this.writes.write({ op: "appendAudit", blocks: encodeBlocks(batch.records), checkpoints: batch.checkpoints });
  }

  async sealAudit(batch: AuditSealBatch): Promise<AuditSealResult> {
    const { key, chain, checkpointEvery, checkpoint, time } = batch;
    return (await this.writes.write({ op: "sealAudit", key, chain, entries: encodeEntries(batch.entries), checkpointEvery, checkpoint, time })) as AuditSealResult;
  }

  private readonly audit: SqliteAuditReader;

  async flushAudit(): Promise<void> {
    await this.writes.flushAudit();
  }

  async auditChains(): Promise<AuditChainInfo[]> {
    await this.writes.flushAudit();
    return this.audit.chains();
  }

  async listAuditChain(chain: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    await this.writes.flushAudit();
    return this.audit.listChain(chain, afterSeq, limit);
  }

  async listAuditCheckpoints(chain: string): Promise<AuditCheckpoint[]> {
    await this.writes.flushAudit();
    return this.audit.checkpoints(chain);
  }

  async queryAudit(q: AuditQuery): Promise<AuditRecord[]> {
    await this.writes.flushAudit();
    return this.audit.query(q);
  }

  async summarizeAudit(q: AuditSummaryQuery): Promise<AuditSummaryRow[]> {
    await this.writes.flushAudit();
    return this.audit.summarize(q);
  }

  async pruneAudit(anchor: AuditCheckpoint): Promise<number> {
    await this.writes.flushAudit();
    const n = this.audit.countThrough(anchor.chain, anchor.seq);
    await this.writes.write({ op: "pruneAudit", anchor });
    return n;
  }

  /** Changes whenever another process commits to the file (never for this store's own writes). */
  dataVersion(): number {
    return this.writes.stamp();
  }


  async close(): Promise<void> {
    await this.writes.close();
    if (this.db.open) this.db.close();
  }

}
