import type { AccessKeyRecord, SecretRecord, VersionRecord, ValueKind } from "../../secrets/records.js";
import type { RotationRecord } from "../../rotation/records.js";

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
