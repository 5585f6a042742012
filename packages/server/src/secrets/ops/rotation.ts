import { ServiceError, messages } from "@keyshift/protocol";
import type { CancelRotateSecretRequest, CancelRotateSecretResponse, RotateSecretRequest, RotateSecretResponse } from "@keyshift/protocol";
import type { RequestContext, SecretsDeps } from "../context.js";
import { labelsOf, mutateSecret, revise, saveWithReplicas } from "../mutation.js";
import { assertNotReplica, requireSecret } from "../resolve.js";
import { AWSCURRENT, AWSPENDING } from "../stages.js";

/**
 * RotateSecret. Until the rotation engine lands, no rotation function is registered, so every
 * function ARN is refused the way AWS refuses a function it cannot invoke, and a call without
 * one is refused as AWS refuses a secret with no function configured.
 */
export async function rotateSecret(deps: SecretsDeps, ctx: RequestContext, input: RotateSecretRequest): Promise<RotateSecretResponse> {
  if (!input.ClientRequestToken) throw new ServiceError("InvalidParameterException", messages.missingToken);
  const rules = input.RotationRules;
  if (rules?.AutomaticallyAfterDays !== undefined && rules.ScheduleExpression !== undefined) {
    throw new ServiceError("InvalidParameterException", "You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules.");
  }
  const s = await requireSecret(deps, ctx, input.SecretId, "RotateSecret", () => ({
    ...(input.RotationLambdaARN ? { "secretsmanager:RotationLambdaARN": input.RotationLambdaARN } : {}),
  }));
  assertNotReplica(s);
  if (s.deletedAt !== undefined) throw new ServiceError("InvalidRequestException", messages.getOnDeleted);
  const lambda = input.RotationLambdaARN ?? s.rotationLambdaArn;
  if (!lambda) throw new ServiceError("InvalidRequestException", messages.noLambda);
  // No rotation function is registered yet: AWS's answer for a function it cannot invoke.
  throw new ServiceError("AccessDeniedException", messages.cannotInvokeLambda);
}

/** CancelRotateSecret: turns automatic rotation off; answers the id of an unfinished AWSPENDING version, if any. */
export async function cancelRotateSecret(deps: SecretsDeps, ctx: RequestContext, input: CancelRotateSecretRequest): Promise<CancelRotateSecretResponse> {
  const first = await requireSecret(deps, ctx, input.SecretId, "CancelRotateSecret");
  assertNotReplica(first);
  if (first.deletedAt !== undefined) throw new ServiceError("InvalidRequestException", messages.getOnDeleted);
  return mutateSecret(deps, first, async (s) => {
    if (!s.rotationLambdaArn) {
      throw new ServiceError(
        "InvalidRequestException",
        "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.",
      );
    }
    const labels = labelsOf(await deps.store.listVersions(s.uid));
    const pending = labels.get(AWSPENDING);
    const partial = pending !== undefined && pending !== labels.get(AWSCURRENT) ? pending : undefined;
    return {
      changes: await saveWithReplicas(deps, revise(s, { rotationEnabled: false })),
      result: { ARN: s.arn, Name: s.name, ...(partial ? { VersionId: partial } : {}) },
    };
  });
}
