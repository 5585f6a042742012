import { ServiceError, messages } from "@keyshift/protocol";
import type { CancelRotateSecretRequest, CancelRotateSecretResponse, RotateSecretRequest, RotateSecretResponse } from "@keyshift/protocol";
import type { RequestContext, SecretsDeps } from "../secrets/context.js";
import { labelsOf, mutateSecret, revise, saveWithReplicas } from "../secrets/mutation.js";
import type { SecretRecord } from "../secrets/records.js";
import { assertNotReplica, requireSecret } from "../secrets/resolve.js";
import { AWSCURRENT, AWSPENDING } from "../secrets/stages.js";
import { nextRotation } from "./next-rotation.js";
import type { RotationRecord } from "./records.js";
import { compileSchedule } from "./schedule.js";

/** A secret is mid-rotation while AWSPENDING sits on a version other than AWSCURRENT. */
export function pendingElsewhere(labels: ReadonlyMap<string, string>): string | undefined {
  const p = labels.get(AWSPENDING);
  return p !== undefined && p !== labels.get(AWSCURRENT) ? p : undefined;
}

/**
 * RotateSecret: stores the rotation configuration (function, rules, options) and starts a
 * rotation now: a value-less AWSPENDING version (id = ClientRequestToken) is created before the
 * first step, and the engine runs the steps in the background. RotateImmediately=false only
 * tests the configuration (testSecret on a copy of AWSCURRENT). Without parameters it rotates
 * with the stored configuration. A retry with the same token answers as the first call.
 */
export async function rotateSecret(deps: SecretsDeps, ctx: RequestContext, input: RotateSecretRequest): Promise<RotateSecretResponse> {
  if (!input.ClientRequestToken) throw new ServiceError("InvalidParameterException", messages.missingToken);
  const token = input.ClientRequestToken;
  const rules = input.RotationRules;
  if (rules) compileSchedule(rules);
  const first = await requireSecret(deps, ctx, input.SecretId, "RotateSecret", () => ({
    ...(input.RotationLambdaARN ? { "secretsmanager:RotationLambdaARN": input.RotationLambdaARN } : {}),
  }));
  assertNotReplica(first);
  if (first.deletedAt !== undefined) throw new ServiceError("InvalidRequestException", messages.getOnDeleted);
  const lambda = input.RotationLambdaARN ?? first.rotationLambdaArn;
  if (!lambda) throw new ServiceError("InvalidRequestException", messages.noLambda);
  if (!(await deps.rotation.registry.resolve(lambda, first.accountId))) throw new ServiceError("AccessDeniedException", messages.cannotInvokeLambda);
  const options = input.ExternalSecretRotationMetadata?.length
    ? Object.fromEntries(input.ExternalSecretRotationMetadata.map((m) => [m.Key ?? "", m.Value ?? ""]))
    : undefined;

  let started: RotationRecord | undefined;
  const result = await mutateSecret<RotateSecretResponse>(deps, first, async (s) => {
    started = undefined;
    const answer = { ARN: s.arn, Name: s.name, VersionId: token };
    const running = await deps.store.getRunningRotation(s.uid);
    if (running?.token === token) return { changes: [], result: answer };
    const labels = labelsOf(await deps.store.listVersions(s.uid));
    if (running || pendingElsewhere(labels) !== undefined) throw new ServiceError("InvalidRequestException", messages.rotationInProgress);
    if ((await deps.store.getVersion(s.uid, token)) !== undefined) {
      throw new ServiceError("ResourceExistsException", `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${s.arn}.`);
    }
    // RotateSecret turns rotation on (AWS rotation functions check RotationEnabled first); without rules nothing is scheduled.
    const config: Partial<SecretRecord> = {
      rotationLambdaArn: lambda,
      rotationEnabled: true,
      ...(rules ? { rotationRules: rules } : {}),
      ...(options ? { rotationOptions: options } : {}),
      rotationFailing: false,
      rotationFailures: 0,
    };
    const next = revise(s, config);
    const due = nextRotation(next, deps.clock());
    if (due === undefined) delete next.nextRotationAt;
    else next.nextRotationAt = due;
    // While a rotation runs nothing is due; its end sets the next date.
    delete next.rotationDueAt;
    const immediately = input.RotateImmediately !== false;
    const plan = await deps.rotation.planStart(next, { method: immediately ? "manual" : "test", rotatorArn: lambda, token, immediately });
    started = plan.rotation;
    return { changes: [...(await saveWithReplicas(deps, next)), ...plan.changes], result: answer };
  });
  if (started) deps.rotation.launch(started);
  return result;
}

/**
 * CancelRotateSecret: turns automatic rotation off and stops a rotation in progress (the engine
 * restores AWSCURRENT on the target and removes AWSPENDING). Answers the id of the version that
 * was pending, as AWS does.
 */
export async function cancelRotateSecret(deps: SecretsDeps, ctx: RequestContext, input: CancelRotateSecretRequest): Promise<CancelRotateSecretResponse> {
  const first = await requireSecret(deps, ctx, input.SecretId, "CancelRotateSecret");
  assertNotReplica(first);
  if (first.deletedAt !== undefined) throw new ServiceError("InvalidRequestException", messages.getOnDeleted);
  if (!first.rotationLambdaArn) {
    throw new ServiceError(
      "InvalidRequestException",
      "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.",
    );
  }
  const before = pendingElsewhere(labelsOf(await deps.store.listVersions(first.uid)));
  const cancelled = await deps.rotation.cancel(first.uid);
  return mutateSecret(deps, first, async (s) => {
    const next = revise(s, { rotationEnabled: false });
    delete next.nextRotationAt;
    delete next.rotationDueAt;
    const partial = cancelled ?? before;
    return { changes: await saveWithReplicas(deps, next), result: { ARN: s.arn, Name: s.name, ...(partial ? { VersionId: partial } : {}) } };
  });
}
