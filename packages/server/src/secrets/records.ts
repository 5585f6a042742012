import type { Sealed } from "../crypto/envelope.js";

export interface Tag {
  Key: string;
  Value: string;
}

export interface RotationRules {
  AutomaticallyAfterDays?: number;
  Duration?: string;
  ScheduleExpression?: string;
}

/** Replication of a primary to one other region, as DescribeSecret reports it. */
export interface ReplicaStatus {
  Region: string;
  KmsKeyId?: string;
  Status: "InSync" | "Failed" | "InProgress";
  StatusMessage?: string;
  /** Uid of the replica's secret row when Status is InSync. */
  replicaUid?: string;
}

/** A secret's metadata: everything but its versions. Times are ms since the epoch. */
export interface SecretRecord {
  uid: string;
  accountId: string;
  region: string;
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  type?: string;
  owningService?: string;
  createdAt: number;
  lastChangedAt: number;
  /** Day resolution (midnight UTC). */
  lastAccessedAt?: number;
  deletedAt?: number;
  /** When a secret scheduled for deletion is purged. */
  deletionDate?: number;
  rotationEnabled?: boolean;
  rotationLambdaArn?: string;
  rotationRules?: RotationRules;
  lastRotatedAt?: number;
  nextRotationAt?: number;
  /** Options for the rotation function (RotateSecret's ExternalSecretRotationMetadata). */
  rotationOptions?: Record<string, string>;
  /** When the scheduler should start the next attempt: the next window, or a retry after a failure; unset when nothing is scheduled. */
  rotationDueAt?: number;
  /** Failed attempts since the last success. */
  rotationFailures?: number;
  /** Set when the retries after failures are used up: automatic rotation stops until a manual RotateSecret. */
  rotationFailing?: boolean;
  /** Set by the management API's rotation registration (docs/management-api.md): what kind of credential this is and how critical. */
  management?: { secretType?: "password" | "api_key" | "token" | "database"; criticality?: "low" | "medium" | "high" | "critical" };
  /** Undefined until the secret is first tagged; [] once every tag was removed (AWS shows `Tags: []`). */
  tags?: Tag[];
  resourcePolicy?: string;
  /** Set on a replica: the uid of its primary, which owns the versions. */
  primaryUid?: string;
  /** Set on a replica: the region of its primary. */
  primaryRegion?: string;
  /** On a primary: its replicas. */
  replicas?: ReplicaStatus[];
  /** Incremented by every write; writes carry the revision they read (optimistic concurrency). */
  revision: number;
}

/** A version without its value. */
export interface VersionMeta {
  versionId: string;
  createdAt: number;
  lastAccessedAt?: number;
  stages: string[];
  /** Master key id the data key is wrapped under; undefined for a value-less placeholder. */
  keyId?: string;
}

export type ValueKind = "string" | "binary";

/** A version with its sealed value (absent for the placeholder AWSPENDING version a rotation creates first). */
export interface VersionRecord extends VersionMeta {
  kind?: ValueKind;
  sealed?: Sealed;
}

export interface AccountRecord {
  id: string;
  name: string;
  createdAt: number;
}

export interface AccessKeyRecord {
  accessKeyId: string;
  accountId: string;
  userName: string;
  status: "Active" | "Inactive";
  createdAt: number;
  lastUsedAt?: number;
  sealedSecret: Sealed;
}

/** A user of an account: signs requests with its access keys, is authorized by its policies. */
export interface UserRecord {
  accountId: string;
  userName: string;
  /** Account administrator: may do everything in its own account (explicit denies still apply). */
  admin: boolean;
  tags: Record<string, string>;
  createdAt: number;
}

/** An inline identity policy of a user (IAM PutUserPolicy). */
export interface UserPolicyRecord {
  accountId: string;
  userName: string;
  policyName: string;
  document: string;
  updatedAt: number;
}
