import type { UpdateSecretVersionStageRequest, UpdateSecretVersionStageResponse } from "@keyshift/protocol";
import type { RequestContext, SecretsDeps } from "../context.js";
import { labelChanges, labelsOf, mutateSecret, revise, saveWithReplicas } from "../mutation.js";
import { assertNotDeleted, assertNotReplica, requireSecret } from "../resolve.js";
import { applyMoves, moveLabel } from "../stages.js";

/** UpdateSecretVersionStage: moves or removes one staging label (AWSPREVIOUS follows AWSCURRENT). */
export async function updateSecretVersionStage(
  deps: SecretsDeps,
  ctx: RequestContext,
  input: UpdateSecretVersionStageRequest,
): Promise<UpdateSecretVersionStageResponse> {
  const first = await requireSecret(deps, ctx, input.SecretId, "UpdateSecretVersionStage", () => ({ "secretsmanager:VersionStage": input.VersionStage }));
  assertNotReplica(first);
  assertNotDeleted(first);
  return mutateSecret(deps, first, async (s) => {
    assertNotDeleted(s);
    const versions = await deps.store.listVersions(s.uid);
    const ids = new Set(versions.map((v) => v.versionId));
    const labels = labelsOf(versions);
    const moves = moveLabel(labels, input.VersionStage, input.RemoveFromVersionId, input.MoveToVersionId, (v) => ids.has(v));
    applyMoves(labels, moves);
    if (moves.length === 0) return { changes: [], result: { ARN: s.arn, Name: s.name } };
    return {
      changes: [...labelChanges(s.uid, moves), ...(await saveWithReplicas(deps, revise(s, { lastChangedAt: deps.clock() })))],
      result: { ARN: s.arn, Name: s.name },
    };
  });
}
