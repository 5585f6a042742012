import type { AccessKeyRecord, SecretRecord, VersionRecord, ValueKind } from "../../secrets/records.js";
import type { RotationRecord } from "../../rotation/records.js";
import type { AuditOutcome, AuditRecord } from "../../audit/records.js";

/* Row shapes of the SQLite schema and their mapping to records, shared by the reader and the writer. */

export interface SecretRow {
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

export interface VersionRow {
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

export const STAGE_SEP = "\u0001";

export function toSecret(r: SecretRow): SecretRecord {
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

export function secretParams(s: SecretRecord) {
  return {
    uid: s.uid, account_id: s.accountId, region: s.region, name: s.name, arn: s.arn,
    created_at: s.createdAt, last_changed_at: s.lastChangedAt, last_accessed_at: s.lastAccessedAt ?? null,
    deleted_at: s.deletedAt ?? null, deletion_date: s.deletionDate ?? null, primary_uid: s.primaryUid ?? null,
    revision: s.revision, rotation_due_at: s.rotationDueAt ?? null, doc: docOf(s),
  };
}

export function toVersion(r: VersionRow): VersionRecord {
  const v: VersionRecord = { versionId: r.version_id, createdAt: r.created_at, stages: r.stages ? r.stages.split(STAGE_SEP).sort() : [] };
  if (r.last_accessed_at !== null) v.lastAccessedAt = r.last_accessed_at;
  if (r.key_id !== null && r.wrapped_key && r.ciphertext) {
    v.keyId = r.key_id;
    v.sealed = { keyId: r.key_id, wrappedKey: r.wrapped_key, ciphertext: r.ciphertext };
  }
  if (r.kind !== null) v.kind = r.kind;
  return v;
}

export function rotationParams(r: RotationRecord) {
  return { id: r.id, secret_uid: r.secretUid, account_id: r.accountId, status: r.status, started_at: r.startedAt, lease_until: r.leaseUntil ?? null, revision: r.revision, doc: JSON.stringify(r) };
}

export const SORT_COLUMN = {
  "created-date": "created_at",
  "last-changed-date": "last_changed_at",
  "last-accessed-date": "COALESCE(last_accessed_at, 0)",
  name: "name",
} as const;

export const VERSION_COLUMNS = `v.version_id, v.created_at, v.last_accessed_at, v.kind, v.key_id, v.wrapped_key, v.ciphertext,
  (SELECT group_concat(s.stage, char(1)) FROM stages s WHERE s.secret_uid = v.secret_uid AND s.version_id = v.version_id) AS stages`;

export interface AccessKeyRow {
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

export function toAccessKey(r: AccessKeyRow): AccessKeyRecord {
  const k: AccessKeyRecord = {
    accessKeyId: r.access_key_id, accountId: r.account_id, userName: r.user_name, status: r.status, createdAt: r.created_at,
    sealedSecret: { keyId: r.key_id, wrappedKey: r.wrapped_key, ciphertext: r.ciphertext },
  };
  if (r.last_used_at !== null) k.lastUsedAt = r.last_used_at;
  return k;
}

/* The audit trail (migration 5). */

export interface AuditRow {
  chain: string;
  seq: number;
  time: number;
  request_id: string;
  api: string;
  operation: string;
  account_id: string | null;
  principal_arn: string | null;
  access_key_id: string | null;
  region: string | null;
  source_ip: string;
  user_agent: string;
  secret_arn: string | null;
  secret_name: string | null;
  version_id: string | null;
  version_stage: string | null;
  outcome: string;
  status: number;
  error_code: string | null;
  duration_ms: number;
  prev_hash: string;
  hash: string;
}

export function auditParams(r: AuditRecord): AuditRow {
  return {
    chain: r.chain, seq: r.seq, time: r.time, request_id: r.requestId, api: r.api, operation: r.operation,
    account_id: r.accountId ?? null, principal_arn: r.principalArn ?? null, access_key_id: r.accessKeyId ?? null, region: r.region ?? null,
    source_ip: r.sourceIp, user_agent: r.userAgent, secret_arn: r.secretArn ?? null, secret_name: r.secretName ?? null,
    version_id: r.versionId ?? null, version_stage: r.versionStage ?? null, outcome: r.outcome, status: r.status,
    error_code: r.errorCode ?? null, duration_ms: r.durationMs, prev_hash: r.prevHash, hash: r.hash,
  };
}

export function toAuditRecord(r: AuditRow): AuditRecord {
  const opt = <K extends string>(k: K, v: string | null) => (v === null ? {} : ({ [k]: v } as Record<K, string>));
  return {
    chain: r.chain, seq: r.seq, time: r.time, requestId: r.request_id, api: r.api, operation: r.operation,
    ...opt("accountId", r.account_id), ...opt("principalArn", r.principal_arn), ...opt("accessKeyId", r.access_key_id), ...opt("region", r.region),
    sourceIp: r.source_ip, userAgent: r.user_agent,
    ...opt("secretArn", r.secret_arn), ...opt("secretName", r.secret_name), ...opt("versionId", r.version_id), ...opt("versionStage", r.version_stage),
    outcome: r.outcome as AuditOutcome, status: r.status, ...opt("errorCode", r.error_code), durationMs: r.duration_ms, prevHash: r.prev_hash, hash: r.hash,
  };
}
