import { randomUUID } from "node:crypto";
import { ServiceError } from "@keyshift/protocol";
import type {
  RemoveRegionsFromReplicationRequest, RemoveRegionsFromReplicationResponse, ReplicaRegionType, ReplicateSecretToRegionsRequest,
  ReplicateSecretToRegionsResponse, StopReplicationToReplicaRequest, StopReplicationToReplicaResponse,
} from "@keyshift/protocol";
import type { Change } from "../../storage/store.js";
import type { RequestContext, SecretsDeps } from "../context.js";
import { mutateSecret, revise, saveWithReplicas } from "../mutation.js";
import type { ReplicaStatus, SecretRecord } from "../records.js";
import { assertNotDeleted, assertNotReplica, requireSecret } from "../resolve.js";
import { openValue, sealValue } from "../values.js";
import { replicationView } from "../views.js";

/*
 * Regions are namespaces of one deployment: a replica is a secret row in another region whose
 * versions are its primary's rows (read through primaryUid) and whose metadata is mirrored in
 * the primary's own commits (mutation.ts saveWithReplicas). It is therefore always in sync.
 */

/** Replica rows (and removals of same-named secrets when forced) for `regions`, and their statuses. */
export async function planReplicas(
  deps: SecretsDeps,
  primary: SecretRecord,
  regions: readonly ReplicaRegionType[],
  force: boolean,
): Promise<{ changes: Change[]; statuses: ReplicaStatus[] }> {
  const seen = new Set((primary.replicas ?? []).map((r) => r.Region));
  for (const r of regions) {
    if (!r.Region || r.Region === primary.region) throw new ServiceError("InvalidParameterException", "Invalid replica region.");
    if (seen.has(r.Region)) throw new ServiceError("InvalidParameterException", `The secret is already replicated to region ${r.Region}.`);
    seen.add(r.Region);
  }
  const changes: Change[] = [];
  const statuses: ReplicaStatus[] = [...(primary.replicas ?? [])];
  for (const r of regions) {
    const region = r.Region!;
    const kms = r.KmsKeyId ? { KmsKeyId: r.KmsKeyId } : {};
    const clash = await deps.store.getSecretByName(primary.accountId, region, primary.name);
    if (clash && !force) {
      statuses.push({ Region: region, ...kms, Status: "Failed", StatusMessage: `Replication failed: Secret name ${primary.name} already exists in region ${region}.` });
      continue;
    }
    if (clash) changes.push({ op: "deleteSecret", uid: clash.uid });
    const replica: SecretRecord = {
      ...primary,
      uid: randomUUID(),
      region,
      arn: primary.arn.replace(`:secretsmanager:${primary.region}:`, `:secretsmanager:${region}:`),
      createdAt: deps.clock(),
      primaryUid: primary.uid,
      primaryRegion: primary.region,
      revision: 1,
      ...(r.KmsKeyId ? { kmsKeyId: r.KmsKeyId } : {}),
    };
    delete replica.replicas;
    delete replica.lastAccessedAt;
    if (!r.KmsKeyId) delete replica.kmsKeyId;
    changes.push({ op: "insertSecret", secret: replica });
    statuses.push({ Region: region, ...kms, Status: "InSync", StatusMessage: "Replication succeeded", replicaUid: replica.uid });
  }
  return { changes, statuses };
}

export async function replicateSecretToRegions(deps: SecretsDeps, ctx: RequestContext, input: ReplicateSecretToRegionsRequest): Promise<ReplicateSecretToRegionsResponse> {
  const first = await requireSecret(deps, ctx, input.SecretId, "ReplicateSecretToRegions");
  assertNotReplica(first);
  assertNotDeleted(first);
  return mutateSecret(deps, first, async (s) => {
    const plan = await planReplicas(deps, s, input.AddReplicaRegions, input.ForceOverwriteReplicaSecret === true);
    const next = revise(s, { replicas: plan.statuses });
    return { changes: [...plan.changes, { op: "updateSecret", secret: next }], result: { ARN: s.arn, ReplicationStatus: replicationView(next) } };
  });
}

export async function removeRegionsFromReplication(deps: SecretsDeps, ctx: RequestContext, input: RemoveRegionsFromReplicationRequest): Promise<RemoveRegionsFromReplicationResponse> {
  const first = await requireSecret(deps, ctx, input.SecretId, "RemoveRegionsFromReplication");
  assertNotReplica(first);
  return mutateSecret(deps, first, async (s) => {
    const drop = new Set(input.RemoveReplicaRegions);
    const changes: Change[] = [];
    for (const r of s.replicas ?? []) if (drop.has(r.Region) && r.replicaUid) changes.push({ op: "deleteSecret", uid: r.replicaUid });
    const next = revise(s, { replicas: (s.replicas ?? []).filter((r) => !drop.has(r.Region)) });
    changes.push(...(await saveWithReplicas(deps, next)));
    return { changes, result: { ARN: s.arn, ReplicationStatus: replicationView(next) } };
  });
}

/** Promotes a replica to a standalone secret: its versions are copied out of the primary and sealed under its own identity. */
export async function stopReplicationToReplica(deps: SecretsDeps, ctx: RequestContext, input: StopReplicationToReplicaRequest): Promise<StopReplicationToReplicaResponse> {
  const first = await requireSecret(deps, ctx, input.SecretId, "StopReplicationToReplica");
  if (first.primaryUid === undefined) throw new ServiceError("InvalidRequestException", "The secret is not a replica secret.");
  return mutateSecret(deps, first, async (replica) => {
    const primary = await deps.store.getSecretByUid(replica.primaryUid!);
    const changes: Change[] = [];
    const promoted = revise(replica, {});
    delete promoted.primaryUid;
    delete promoted.primaryRegion;
    changes.push({ op: "updateSecret", secret: promoted });
    if (primary) {
      for (const meta of await deps.store.listVersions(primary.uid)) {
        const v = await deps.store.getVersion(primary.uid, meta.versionId);
        if (!v) continue;
        const value = await openValue(deps, primary, v);
        const sealed = value ? await sealValue(deps, promoted, v.versionId, value) : undefined;
        changes.push({ op: "insertVersion", secretUid: promoted.uid, versionId: v.versionId, createdAt: v.createdAt, ...(value && sealed ? { kind: value.kind, sealed } : {}) });
        for (const stage of v.stages) changes.push({ op: "setStage", secretUid: promoted.uid, stage, versionId: v.versionId });
      }
      const rest = (primary.replicas ?? []).filter((r) => r.replicaUid !== replica.uid);
      changes.push({ op: "updateSecret", secret: revise(primary, { replicas: rest }) });
    }
    return { changes, result: { ARN: replica.arn } };
  });
}
