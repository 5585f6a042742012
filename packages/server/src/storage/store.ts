import type { Sealed } from "../crypto/envelope.js";
import type { AccessKeyRecord, AccountRecord, SecretRecord, UserPolicyRecord, UserRecord, VersionMeta, VersionRecord, ValueKind } from "../secrets/records.js";
import type { RotationRecord, RotationStatus, RotatorRegistration } from "../rotation/records.js";
import type { ConsumerRecord } from "../changes/consumers.js";
import type { AuditBatch, AuditSealBatch, AuditSealResult, AuditChainInfo, AuditCheckpoint, AuditQuery, AuditRecord, AuditSummaryQuery, AuditSummaryRow } from "../audit/records.js";

/**
 * One row-level change. A write is a list of changes applied atomically by `Store.commit`;
 * the domain computes the list (secrets/), the backend only applies it.
 */
export type Change =
  | { op: "insertSecret"; secret: SecretRecord }
  /** Replaces the secret's metadata; fails with a revision conflict unless the stored revision is `secret.revision - 1`. */
  | { op: "updateSecret"; secret: SecretRecord }
  | { op: "deleteSecret"; uid: string }
  | { op: "insertVersion"; secretUid: string; versionId: string; createdAt: number; kind?: ValueKind; sealed?: Sealed }
  /** Sets a stored placeholder's value (rotation's createSecret step). */
  | { op: "setVersionValue"; secretUid: string; versionId: string; kind: ValueKind; sealed: Sealed }
  | { op: "deleteVersion"; secretUid: string; versionId: string }
  /** Points `stage` at `versionId`, or removes the label when versionId is null. */
  | { op: "setStage"; secretUid: string; stage: string; versionId: string | null }
  /** A new rotation; fails with a "rotation" conflict while the secret has another one running. */
  | { op: "insertRotation"; rotation: RotationRecord }
  /** Replaces a rotation; revision conflict unless the stored revision is `rotation.revision - 1`. */
  | { op: "updateRotation"; rotation: RotationRecord };

/** Thrown by `commit` when a change collides with stored state; the domain maps it to an AWS error or retries. */
export class StoreConflict extends Error {
  constructor(
    readonly kind: "name" | "version" | "revision" | "missing" | "rotation",
    detail: string,
  ) {
    super(`store conflict (${kind}): ${detail}`);
  }
}

export type SecretSortKey = "created-date" | "last-accessed-date" | "last-changed-date" | "name";

export interface SecretPageQuery {
  accountId: string;
  region: string;
  includeDeleted: boolean;
  sortBy: SecretSortKey;
  order: "asc" | "desc";
  /** Resume strictly after this position (the sort value and the uid of the last row returned). */
  after?: { key: string | number | null; uid: string };
  limit: number;
}

export interface RotationQuery {
  accountId: string;
  secretUid?: string;
  status?: RotationStatus;
  method?: string;
  since?: number;
  until?: number;
  before?: { startedAt: number; id: string };
  limit: number;
}

export interface AccessBatch {
  secrets: { uid: string; day: number }[];
  versions: { secretUid: string; versionId: string; day: number }[];
}

/** A data key wrapped under a master key, wherever it is stored; for master-key rotation. */
export interface WrappedKeyRef {
  table: "versions" | "access_keys";
  /** Primary key of the row, opaque to the caller. */
  id: string[];
  /** What the wrapped key is bound to (the Envelope `purpose` and `bind`). */
  purpose: string;
  bind: string[];
  sealed: Sealed;
}

/**
 * Persistence for Keyshift. Backends: sqlite/ (embedded) and, later, postgres/; every backend
 * runs the shared suite in store-conformance.ts.
 *
 * Contract: an acknowledged `commit` is durable (it survives kill -9) and atomic (all of its
 * changes or none). Reads see only committed data. Methods never see plaintext secret values.
 */
export interface Store {
  readonly kind: string;
  /** Applies the changes in one transaction; throws StoreConflict on a unique-key or revision collision. */
  commit(changes: readonly Change[]): Promise<void>;

  getSecretByName(accountId: string, region: string, name: string): Promise<SecretRecord | undefined>;
  getSecretByArn(arn: string): Promise<SecretRecord | undefined>;
  getSecretByUid(uid: string): Promise<SecretRecord | undefined>;
  /** A page of secrets in the requested order (stable: ties broken by uid). */
  listSecrets(q: SecretPageQuery): Promise<SecretRecord[]>;
  /** Secrets scheduled for deletion whose deletion date is at or before `now`. */
  listSecretsDueForPurge(now: number, limit: number): Promise<SecretRecord[]>;

  /** Every version of a secret without values, oldest first. */
  listVersions(secretUid: string): Promise<VersionMeta[]>;
  /** version id → stages for the labeled versions of each secret (one round trip for a page of secrets). */
  stagesBySecret(secretUids: readonly string[]): Promise<Map<string, Map<string, string[]>>>;
  getVersion(secretUid: string, versionId: string): Promise<VersionRecord | undefined>;
  getVersionByStage(secretUid: string, stage: string): Promise<VersionRecord | undefined>;

  /**
   * Records reads at day resolution, many at once in one transaction, outside revision checks;
   * an access time only moves forward.
   */
  recordAccess(batch: AccessBatch): Promise<void>;

  insertAccount(a: AccountRecord): Promise<void>;
  getAccount(id: string): Promise<AccountRecord | undefined>;
  listAccounts(): Promise<AccountRecord[]>;
  insertAccessKey(k: AccessKeyRecord): Promise<void>;
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  listAccessKeys(accountId: string): Promise<AccessKeyRecord[]>;
  deleteAccessKey(accessKeyId: string): Promise<boolean>;
  touchAccessKey(accessKeyId: string, at: number): Promise<void>;

  setAccessKeyStatus(accessKeyId: string, status: AccessKeyRecord["status"]): Promise<boolean>;

  /** Fails with a "name" conflict if the user exists. */
  insertUser(u: UserRecord): Promise<void>;
  getUser(accountId: string, userName: string): Promise<UserRecord | undefined>;
  listUsers(accountId: string): Promise<UserRecord[]>;
  /** Deletes the user with its access keys and policies; returns whether it existed. */
  deleteUser(accountId: string, userName: string): Promise<boolean>;
  putUserPolicy(p: UserPolicyRecord): Promise<void>;
  getUserPolicy(accountId: string, userName: string, policyName: string): Promise<UserPolicyRecord | undefined>;
  listUserPolicies(accountId: string, userName: string): Promise<UserPolicyRecord[]>;
  deleteUserPolicy(accountId: string, userName: string, policyName: string): Promise<boolean>;

  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;

  /** Secrets whose rotation is due (`rotationDueAt` at or before `now`), soonest first. */
  listSecretsDueForRotation(now: number, limit: number): Promise<SecretRecord[]>;
  getRotation(id: string): Promise<RotationRecord | undefined>;
  /** The running rotation of a secret, if any (there is at most one). */
  getRunningRotation(secretUid: string): Promise<RotationRecord | undefined>;
  /** Running rotations whose lease ended before `now` or that `owner` holds. */
  listRotationsToResume(now: number, owner: string): Promise<RotationRecord[]>;
  /** Rotation history, newest first, after the `before` cursor (startedAt, id). */
  listRotations(q: RotationQuery): Promise<RotationRecord[]>;
  putRotator(r: RotatorRegistration): Promise<void>;
  getRotator(accountId: string, name: string): Promise<RotatorRegistration | undefined>;
  listRotators(accountId: string): Promise<RotatorRegistration[]>;
  deleteRotator(accountId: string, name: string): Promise<boolean>;

  /** Replaces a consumer's report. */
  putConsumer(c: ConsumerRecord): Promise<void>;
  listConsumers(accountId: string): Promise<ConsumerRecord[]>;

  /** Data keys not wrapped under `activeKeyId`, at most `limit` of them. */
  listWrappedKeysNotUnder(activeKeyId: string, limit: number): Promise<WrappedKeyRef[]>;
  /** Replaces a wrapped key if it is still the one read (compare-and-set); returns whether it did. */
  replaceWrappedKey(ref: WrappedKeyRef, next: Sealed): Promise<boolean>;

  /*
   * The audit trail (audit/, docs/audit.md). Optional so that a backend can land before it has
   * them; the audit store sink refuses to start on a store without them. Records are immutable
   * rows keyed by (chain, seq); the store never computes or checks hashes.
   */
  /**
   * Appends records and checkpoints in ONE durable transaction (group commit: a batch is many
   * calls). Appends are contiguous: the whole batch fails when a (chain, seq) is already stored,
   * or when its first record (seq > 1) does not follow the stored chain (record seq-1 hashing to
   * its prevHash, or an anchor checkpoint there), so a batch sealed on a failed one never lands.
   */
  appendAudit?(batch: AuditBatch): Promise<void>;
  /**
   * Optional, faster than appendAudit: seals entries onto the chain's stored head itself (hashes,
   * checkpoint when due) and stores them in one durable transaction, so the request thread does
   * no hashing and a failed write leaves nothing to re-seal. Same records as appendAudit would store.
   */
  sealAudit?(batch: AuditSealBatch): Promise<AuditSealResult>;
  /** Every chain with its first and last seq and last hash (a chain whose records retention removed is described by its anchor checkpoint). */
  auditChains?(): Promise<AuditChainInfo[]>;
  /** Optional: resolves once every acknowledged audit record is in the database for other processes to read (SQLite journals them first). */
  flushAudit?(): Promise<void>;
  /** Records of one chain with seq > afterSeq, ascending, at most `limit` (verification). */
  listAuditChain?(chain: string, afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** Checkpoints of one chain, ascending by seq (anchors before ordinary checkpoints of the same seq). */
  listAuditCheckpoints?(chain: string): Promise<AuditCheckpoint[]>;
  /** Records matching every given filter, newest first (time, chain, seq descending). */
  queryAudit?(q: AuditQuery): Promise<AuditRecord[]>;
  /** Successful calls grouped by principal or by secret: last time and count, most recent first. */
  summarizeAudit?(q: AuditSummaryQuery): Promise<AuditSummaryRow[]>;
  /**
   * Retention: stores `anchor` (a signed checkpoint of kind "anchor" at seq N) and deletes the
   * chain's records with seq <= N and its other checkpoints below N, in one transaction;
   * returns how many records it deleted.
   */
  pruneAudit?(anchor: AuditCheckpoint): Promise<number>;

  /**
   * Runs `fn` holding the store-wide lock `name`, so that nodes sharing a database take turns
   * (start-up bootstrap). Absent on single-process stores: the caller runs `fn` directly.
   */
  exclusive?<T>(name: string, fn: () => Promise<T>): Promise<T>;

  /** Closes the store; pending commits finish first. */
  close(): Promise<void>;
}

/** The secret a change touches (undefined for rotation journal changes). */
export function secretUidOf(c: Change): string | undefined {
  switch (c.op) {
    case "insertSecret":
    case "updateSecret":
      return c.secret.uid;
    case "deleteSecret":
      return c.uid;
    case "insertRotation":
    case "updateRotation":
      return undefined;
    default:
      return c.secretUid;
  }
}
