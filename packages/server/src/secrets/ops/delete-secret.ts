import { ServiceError, epochSeconds, messages } from "@keyshift/protocol";
import type { DeleteSecretRequest, DeleteSecretResponse, RestoreSecretRequest, RestoreSecretResponse } from "@keyshift/protocol";
import type { RequestContext, SecretsDeps } from "../context.js";
import { mutateSecret, revise } from "../mutation.js";
import { assertNotReplica, requireSecret, resolveSecret, authorizeOn } from "../resolve.js";
import { arnSuffix } from "./create-secret.js";

const DAY_MS = 86_400_000;

/**
 * DeleteSecret: schedules deletion after a recovery window (7–30 days, default 30) or, with
 * ForceDeleteWithoutRecovery, deletes at once. The background purge (lifecycle/purge.ts)
 * removes scheduled secrets when their window ends.
 */
export async function deleteSecret(deps: SecretsDeps, ctx: RequestContext, input: DeleteSecretRequest): Promise<DeleteSecretResponse> {
  const force = input.ForceDeleteWithoutRecovery === true;
  if (input.RecoveryWindowInDays !== undefined && (input.RecoveryWindowInDays < 7 || input.RecoveryWindowInDays > 30)) {
    throw new ServiceError("InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
  }
  if (force && input.RecoveryWindowInDays !== undefined) {
    throw new ServiceError("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
  }
  const conditions = {
    "secretsmanager:ForceDeleteWithoutRecovery": force,
    ...(input.RecoveryWindowInDays !== undefined ? { "secretsmanager:RecoveryWindowInDays": input.RecoveryWindowInDays } : {}),
  };
  if (force) {
    // AWS answers a forced delete of a secret that does not exist with success.
    const r = await resolveSecret(deps, ctx, input.SecretId);
    authorizeOn(deps, ctx, "DeleteSecret", r.resourceArn, r.secret, () => conditions);
    if (!r.secret) {
      const name = input.SecretId.startsWith("arn:") ? input.SecretId.slice(input.SecretId.indexOf(":secret:") + 8) : input.SecretId;
      return { ARN: `arn:aws:secretsmanager:${ctx.region}:${ctx.principal.accountId}:secret:${name}-${arnSuffix()}`, Name: name, DeletionDate: epochSeconds(deps.clock()) };
    }
  }
  const first = await requireSecret(deps, ctx, input.SecretId, "DeleteSecret", () => conditions);
  assertNotReplica(first);
  return mutateSecret(deps, first, async (s) => {
    if (s.replicas?.length) {
      throw new ServiceError("InvalidParameterException", `You can't delete secret ${s.name} that still has replica regions [${s.replicas.map((r) => r.Region).join(",")}]`);
    }
    const now = deps.clock();
    if (force) return { changes: [{ op: "deleteSecret", uid: s.uid }], result: { ARN: s.arn, Name: s.name, DeletionDate: epochSeconds(now) } };
    if (s.deletedAt !== undefined) throw new ServiceError("InvalidRequestException", messages.getOnDeleted);
    const deletionDate = now + (input.RecoveryWindowInDays ?? 30) * DAY_MS;
    return {
      changes: [{ op: "updateSecret", secret: revise(s, { deletedAt: now, deletionDate }) }],
      result: { ARN: s.arn, Name: s.name, DeletionDate: epochSeconds(deletionDate) },
    };
  });
}

/** RestoreSecret: cancels a scheduled deletion; restoring a secret that is not deleted is a no-op. */
export async function restoreSecret(deps: SecretsDeps, ctx: RequestContext, input: RestoreSecretRequest): Promise<RestoreSecretResponse> {
  const first = await requireSecret(deps, ctx, input.SecretId, "RestoreSecret");
  assertNotReplica(first);
  return mutateSecret(deps, first, async (s) => {
    if (s.deletedAt === undefined) return { changes: [], result: { ARN: s.arn, Name: s.name } };
    const next = revise(s, {});
    delete next.deletedAt;
    delete next.deletionDate;
    return { changes: [{ op: "updateSecret", secret: next }], result: { ARN: s.arn, Name: s.name } };
  });
}
