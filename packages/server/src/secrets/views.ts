import { epochSeconds } from "@keyshift/protocol";
import type { DescribeSecretResponse, ReplicationStatusType, SecretListEntry, SecretVersionsListEntry } from "@keyshift/protocol";
import type { SecretRecord, VersionMeta } from "./records.js";

/** version id → stages, labeled versions only, stages sorted (as AWS lists them). */
export function versionsToStages(versions: Iterable<VersionMeta>): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  let any = false;
  for (const v of versions) {
    if (v.stages.length === 0) continue;
    out[v.versionId] = [...v.stages].sort();
    any = true;
  }
  return any ? out : undefined;
}

/** ReplicationStatus of a primary, as DescribeSecret and the replication operations answer it. */
export function replicationView(s: SecretRecord): ReplicationStatusType[] {
  return (s.replicas ?? []).map((r) => ({
    Region: r.Region,
    KmsKeyId: r.KmsKeyId ?? "alias/aws/secretsmanager",
    Status: r.Status,
    ...(r.StatusMessage !== undefined ? { StatusMessage: r.StatusMessage } : {}),
  }));
}

/** The fields DescribeSecret and ListSecrets share, in AWS's order, absent ones omitted. */
function common(s: SecretRecord) {
  return {
    ARN: s.arn,
    Name: s.name,
    ...(s.type !== undefined ? { Type: s.type } : {}),
    ...(s.description !== undefined ? { Description: s.description } : {}),
    ...(s.kmsKeyId !== undefined ? { KmsKeyId: s.kmsKeyId } : {}),
    ...(s.rotationEnabled !== undefined ? { RotationEnabled: s.rotationEnabled } : {}),
    ...(s.rotationLambdaArn ? { RotationLambdaARN: s.rotationLambdaArn } : {}),
    ...(s.rotationRules ? { RotationRules: s.rotationRules } : {}),
    ...(s.rotationOptions ? { ExternalSecretRotationMetadata: Object.entries(s.rotationOptions).map(([Key, Value]) => ({ Key, Value })) } : {}),
    ...(s.lastRotatedAt !== undefined ? { LastRotatedDate: epochSeconds(s.lastRotatedAt) } : {}),
    LastChangedDate: epochSeconds(s.lastChangedAt),
    ...(s.lastAccessedAt !== undefined ? { LastAccessedDate: epochSeconds(s.lastAccessedAt) } : {}),
    ...(s.deletedAt !== undefined ? { DeletedDate: epochSeconds(s.deletedAt) } : {}),
    ...(s.nextRotationAt !== undefined && s.rotationEnabled ? { NextRotationDate: epochSeconds(s.nextRotationAt) } : {}),
    ...(s.tags !== undefined ? { Tags: s.tags.map((t) => ({ Key: t.Key, Value: t.Value })) } : {}),
  };
}

/**
 * DescribeSecret. `primaryRegion` is set for a secret that takes part in replication (its own
 * region for a primary, the primary's for a replica).
 */
export function describeView(s: SecretRecord, versions: readonly VersionMeta[], primaryRegion?: string): DescribeSecretResponse {
  const stages = versionsToStages(versions);
  const replication = s.primaryUid === undefined && s.replicas?.length ? replicationView(s) : undefined;
  return {
    ...common(s),
    ...(stages ? { VersionIdsToStages: stages } : {}),
    ...(s.owningService !== undefined ? { OwningService: s.owningService } : {}),
    CreatedDate: epochSeconds(s.createdAt),
    ...(primaryRegion !== undefined ? { PrimaryRegion: primaryRegion } : {}),
    ...(replication ? { ReplicationStatus: replication } : {}),
  };
}

export function listEntryView(s: SecretRecord, stages: Record<string, string[]> | undefined, primaryRegion?: string): SecretListEntry {
  return {
    ...common(s),
    ...(stages ? { SecretVersionsToStages: stages } : {}),
    ...(s.owningService !== undefined ? { OwningService: s.owningService } : {}),
    CreatedDate: epochSeconds(s.createdAt),
    ...(primaryRegion !== undefined ? { PrimaryRegion: primaryRegion } : {}),
  };
}

export function versionEntryView(v: VersionMeta, kmsKeyId: string | undefined): SecretVersionsListEntry {
  return {
    VersionId: v.versionId,
    ...(v.stages.length ? { VersionStages: [...v.stages].sort() } : {}),
    ...(v.lastAccessedAt !== undefined ? { LastAccessedDate: epochSeconds(v.lastAccessedAt) } : {}),
    CreatedDate: epochSeconds(v.createdAt),
    KmsKeyIds: [kmsKeyId ?? "DefaultEncryptionKey"],
  };
}

/** Region of the primary for a secret in replication; undefined for a plain secret. */
export function primaryRegionOf(s: SecretRecord): string | undefined {
  if (s.primaryUid !== undefined) return s.primaryRegion;
  return s.replicas?.length ? s.region : undefined;
}
