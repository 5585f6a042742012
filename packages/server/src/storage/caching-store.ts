import type { AccessKeyRecord, AccountRecord, SecretRecord, UserPolicyRecord, UserRecord, VersionMeta, VersionRecord } from "../secrets/records.js";
import type { Sealed } from "../crypto/envelope.js";
import { secretUidOf, type AccessBatch, type Change, type RotationQuery, type SecretPageQuery, type Store, type WrappedKeyRef } from "./store.js";
import type { RotationRecord, RotatorRegistration } from "../rotation/records.js";
import type { ConsumerRecord } from "../changes/consumers.js";

export interface CachingStoreOptions {
  /** Secrets whose lookups are kept (least recently used evicted). */
  maxSecrets: number;
  /**
   * A value that changes whenever another process or node committed (SQLite: PRAGMA
   * data_version). When it changes, the whole cache is dropped.
   */
  externalStamp?: () => unknown;
  /** Consult `externalStamp` at most this often (ms); writes by other processes show within it. Default 50. */
  externalCheckMs?: number;
  /**
   * Subscribes to commits made elsewhere (PostgreSQL: other nodes' notifications), naming the
   * secrets they touched, or "all" when some may have been missed; returns the unsubscribe function.
   */
  externalChanges?: (listener: (uids: readonly string[] | "all") => void) => () => void;
}

interface Entry {
  secret: SecretRecord;
  stages: Map<string, VersionRecord | null>;
  /** Read since it was last considered for eviction (second-chance LRU: a hit only sets a flag). */
  recent: boolean;
}

/**
 * The read path of GetSecretValue served from memory: name → secret and (secret, stage) →
 * version (sealed: values stay encrypted in the cache), least recently used evicted first
 * (approximated with a second chance, so that a hit is a flag, not a reordering). Every commit through this store
 * invalidates the secrets it touches; a commit by anyone else is seen through `externalStamp`.
 * A read that raced with a commit is not cached (generation check), so the cache never keeps
 * what a finished write replaced. Everything else passes through to the backend.
 */
export class CachingStore implements Store {
  readonly kind: string;
  private readonly byName = new Map<string, Entry>();
  private readonly nameOfUid = new Map<string, string>();
  private readonly nameOfArn = new Map<string, string>();
  private generation = 0;
  private stamp: unknown;
  private nextCheck = 0;
  private hits = 0;
  private misses = 0;

  /** Lookups answered from memory and from the backend since start, and secrets held (for metrics). */
  stats(): { hits: number; misses: number; entries: number } {
    return { hits: this.hits, misses: this.misses, entries: this.byName.size };
  }

  constructor(
    private readonly inner: Store,
    private readonly o: CachingStoreOptions,
  ) {
    this.kind = inner.kind;
    this.stamp = o.externalStamp?.();
    this.appendAudit = inner.appendAudit?.bind(inner);
    this.sealAudit = inner.sealAudit?.bind(inner);
    this.auditChains = inner.auditChains?.bind(inner);
    this.flushAudit = inner.flushAudit?.bind(inner);
    this.listAuditChain = inner.listAuditChain?.bind(inner);
    this.listAuditCheckpoints = inner.listAuditCheckpoints?.bind(inner);
    this.queryAudit = inner.queryAudit?.bind(inner);
    this.summarizeAudit = inner.summarizeAudit?.bind(inner);
    this.pruneAudit = inner.pruneAudit?.bind(inner);
    this.unsubscribe = o.externalChanges?.((uids) => this.external(uids)) ?? (() => undefined);
    this.exclusive = inner.exclusive?.bind(inner);
  }

  readonly exclusive: Store["exclusive"];

  private readonly unsubscribe: () => void;

  /** A commit elsewhere: reads in flight are not cached (generation), the secrets it touched are dropped. */
  private external(uids: readonly string[] | "all"): void {
    if (uids === "all") return this.clear();
    this.generation++;
    for (const uid of uids) this.invalidate(uid);
  }

  // The audit trail is not cached: the backend's own methods, when it has them.
  readonly appendAudit: Store["appendAudit"];
  readonly sealAudit: Store["sealAudit"];
  readonly auditChains: Store["auditChains"];
  readonly flushAudit: Store["flushAudit"];
  readonly listAuditChain: Store["listAuditChain"];
  readonly listAuditCheckpoints: Store["listAuditCheckpoints"];
  readonly queryAudit: Store["queryAudit"];
  readonly summarizeAudit: Store["summarizeAudit"];
  readonly pruneAudit: Store["pruneAudit"];

  private checkExternal(): void {
    if (!this.o.externalStamp) return;
    const t = performance.now();
    if (t < this.nextCheck) return;
    this.nextCheck = t + (this.o.externalCheckMs ?? 50);
    const now = this.o.externalStamp();
    if (now !== this.stamp) {
      this.stamp = now;
      this.clear();
    }
  }

  private clear(): void {
    this.generation++;
    this.byName.clear();
    this.nameOfUid.clear();
    this.nameOfArn.clear();
  }

  private invalidate(uid: string): void {
    const key = this.nameOfUid.get(uid);
    if (key === undefined) return;
    const e = this.byName.get(key);
    if (e) this.nameOfArn.delete(e.secret.arn);
    this.byName.delete(key);
    this.nameOfUid.delete(uid);
  }

  private remember(key: string, secret: SecretRecord): void {
    while (this.byName.size >= this.o.maxSecrets) {
      const [oldestKey, oldest] = this.byName.entries().next().value!;
      this.byName.delete(oldestKey);
      if (oldest.recent) {
        oldest.recent = false;
        this.byName.set(oldestKey, oldest);
      } else {
        this.nameOfUid.delete(oldest.secret.uid);
        this.nameOfArn.delete(oldest.secret.arn);
      }
    }
    this.byName.set(key, { secret, stages: new Map(), recent: false });
    this.nameOfUid.set(secret.uid, key);
    this.nameOfArn.set(secret.arn, key);
  }

  private hit(key: string | undefined): Entry | undefined {
    if (key === undefined) return undefined;
    const e = this.byName.get(key);
    if (e) e.recent = true;
    return e;
  }

  async commit(changes: readonly Change[]): Promise<void> {
    this.generation++;
    try {
      await this.inner.commit(changes);
    } finally {
      this.generation++;
      for (const c of changes) {
        const uid = secretUidOf(c);
        if (uid !== undefined) this.invalidate(uid);
        if (c.op === "insertSecret") this.byName.delete(`${c.secret.accountId}\u0000${c.secret.region}\u0000${c.secret.name}`);
      }
    }
  }

  async getSecretByName(accountId: string, region: string, name: string): Promise<SecretRecord | undefined> {
    this.checkExternal();
    const key = `${accountId}\u0000${region}\u0000${name}`;
    const hit = this.hit(key);
    if (hit) {
      this.hits++;
      return hit.secret;
    }
    this.misses++;
    const gen = this.generation;
    const secret = await this.inner.getSecretByName(accountId, region, name);
    if (secret && gen === this.generation) this.remember(key, secret);
    return secret;
  }

  async getSecretByArn(arn: string): Promise<SecretRecord | undefined> {
    this.checkExternal();
    const hit = this.hit(this.nameOfArn.get(arn));
    if (hit) {
      this.hits++;
      return hit.secret;
    }
    this.misses++;
    const gen = this.generation;
    const secret = await this.inner.getSecretByArn(arn);
    if (secret && gen === this.generation) this.remember(`${secret.accountId}\u0000${secret.region}\u0000${secret.name}`, secret);
    return secret;
  }

  async getVersionByStage(secretUid: string, stage: string): Promise<VersionRecord | undefined> {
    this.checkExternal();
    const key = this.nameOfUid.get(secretUid);
    const entry = key === undefined ? undefined : this.byName.get(key);
    const hit = entry?.stages.get(stage);
    if (hit !== undefined) {
      this.hits++;
      return hit ?? undefined;
    }
    this.misses++;
    const gen = this.generation;
    const v = await this.inner.getVersionByStage(secretUid, stage);
    if (entry && gen === this.generation && this.byName.get(key!) === entry) entry.stages.set(stage, v ?? null);
    return v;
  }

  async recordAccess(batch: AccessBatch): Promise<void> {
    this.generation++;
    await this.inner.recordAccess(batch);
    this.generation++;
    for (const s of batch.secrets) this.invalidate(s.uid);
    for (const v of batch.versions) this.invalidate(v.secretUid);
  }

  async replaceWrappedKey(ref: WrappedKeyRef, next: Sealed): Promise<boolean> {
    const ok = await this.inner.replaceWrappedKey(ref, next);
    if (ref.table === "versions") this.invalidate(ref.id[0]!);
    return ok;
  }

  // Pass-through reads and writes that are not on the hot path.
  getSecretByUid(uid: string): Promise<SecretRecord | undefined> {
    return this.inner.getSecretByUid(uid);
  }
  listSecrets(q: SecretPageQuery): Promise<SecretRecord[]> {
    return this.inner.listSecrets(q);
  }
  listSecretsDueForPurge(now: number, limit: number): Promise<SecretRecord[]> {
    return this.inner.listSecretsDueForPurge(now, limit);
  }
  listVersions(secretUid: string): Promise<VersionMeta[]> {
    return this.inner.listVersions(secretUid);
  }
  stagesBySecret(secretUids: readonly string[]): Promise<Map<string, Map<string, string[]>>> {
    return this.inner.stagesBySecret(secretUids);
  }
  getVersion(secretUid: string, versionId: string): Promise<VersionRecord | undefined> {
    return this.inner.getVersion(secretUid, versionId);
  }
  insertAccount(a: AccountRecord): Promise<void> {
    return this.inner.insertAccount(a);
  }
  getAccount(id: string): Promise<AccountRecord | undefined> {
    return this.inner.getAccount(id);
  }
  listAccounts(): Promise<AccountRecord[]> {
    return this.inner.listAccounts();
  }
  insertAccessKey(k: AccessKeyRecord): Promise<void> {
    return this.inner.insertAccessKey(k);
  }
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    return this.inner.getAccessKey(accessKeyId);
  }
  listAccessKeys(accountId: string): Promise<AccessKeyRecord[]> {
    return this.inner.listAccessKeys(accountId);
  }
  deleteAccessKey(accessKeyId: string): Promise<boolean> {
    return this.inner.deleteAccessKey(accessKeyId);
  }
  touchAccessKey(accessKeyId: string, at: number): Promise<void> {
    return this.inner.touchAccessKey(accessKeyId, at);
  }
  getMeta(key: string): Promise<string | undefined> {
    return this.inner.getMeta(key);
  }
  setMeta(key: string, value: string): Promise<void> {
    return this.inner.setMeta(key, value);
  }
  listSecretsDueForRotation(now: number, limit: number): Promise<SecretRecord[]> {
    return this.inner.listSecretsDueForRotation(now, limit);
  }
  getRotation(id: string): Promise<RotationRecord | undefined> {
    return this.inner.getRotation(id);
  }
  getRunningRotation(secretUid: string): Promise<RotationRecord | undefined> {
    return this.inner.getRunningRotation(secretUid);
  }
  listRotationsToResume(now: number, owner: string): Promise<RotationRecord[]> {
    return this.inner.listRotationsToResume(now, owner);
  }
  listRotations(q: RotationQuery): Promise<RotationRecord[]> {
    return this.inner.listRotations(q);
  }
  putRotator(r: RotatorRegistration): Promise<void> {
    return this.inner.putRotator(r);
  }
  getRotator(accountId: string, name: string): Promise<RotatorRegistration | undefined> {
    return this.inner.getRotator(accountId, name);
  }
  listRotators(accountId: string): Promise<RotatorRegistration[]> {
    return this.inner.listRotators(accountId);
  }
  deleteRotator(accountId: string, name: string): Promise<boolean> {
    return this.inner.deleteRotator(accountId, name);
  }
  setAccessKeyStatus(accessKeyId: string, status: AccessKeyRecord["status"]): Promise<boolean> {
    return this.inner.setAccessKeyStatus(accessKeyId, status);
  }
  insertUser(u: UserRecord): Promise<void> {
    return this.inner.insertUser(u);
  }
  getUser(accountId: string, userName: string): Promise<UserRecord | undefined> {
    return this.inner.getUser(accountId, userName);
  }
  listUsers(accountId: string): Promise<UserRecord[]> {
    return this.inner.listUsers(accountId);
  }
  deleteUser(accountId: string, userName: string): Promise<boolean> {
    return this.inner.deleteUser(accountId, userName);
  }
  putUserPolicy(p: UserPolicyRecord): Promise<void> {
    return this.inner.putUserPolicy(p);
  }
  getUserPolicy(accountId: string, userName: string, policyName: string): Promise<UserPolicyRecord | undefined> {
    return this.inner.getUserPolicy(accountId, userName, policyName);
  }
  listUserPolicies(accountId: string, userName: string): Promise<UserPolicyRecord[]> {
    return this.inner.listUserPolicies(accountId, userName);
  }
  deleteUserPolicy(accountId: string, userName: string, policyName: string): Promise<boolean> {
    return this.inner.deleteUserPolicy(accountId, userName, policyName);
  }
  putConsumer(c: ConsumerRecord): Promise<void> {
    return this.inner.putConsumer(c);
  }
  listConsumers(accountId: string): Promise<ConsumerRecord[]> {
    return this.inner.listConsumers(accountId);
  }
  listWrappedKeysNotUnder(activeKeyId: string, limit: number): Promise<WrappedKeyRef[]> {
    return this.inner.listWrappedKeysNotUnder(activeKeyId, limit);
  }
  close(): Promise<void> {
    this.unsubscribe();
    this.clear();
    return this.inner.close();
  }
}
