import { ServiceError, isServiceError } from "@keyshift/protocol";
import type {
  DeleteResourcePolicyRequest, DeleteResourcePolicyResponse, GetResourcePolicyRequest, GetResourcePolicyResponse,
  PutResourcePolicyRequest, PutResourcePolicyResponse, ValidateResourcePolicyRequest, ValidateResourcePolicyResponse, ValidationErrorsEntry,
} from "@keyshift/protocol";
import { isPublic, parsePolicy } from "../../iam/policy-document.js";
import type { RequestContext, SecretsDeps } from "../context.js";
import { mutateSecret, revise, saveWithReplicas } from "../mutation.js";
import { assertNotDeleted, assertNotReplica, authorizeOn, requireSecret } from "../resolve.js";

const PUBLIC_MESSAGE = "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.";

/** PutResourcePolicy: stored after its grammar is checked; BlockPublicPolicy refuses a public policy. */
export async function putResourcePolicy(deps: SecretsDeps, ctx: RequestContext, input: PutResourcePolicyRequest): Promise<PutResourcePolicyResponse> {
  const doc = parsePolicy(input.ResourcePolicy, "resource");
  const block = input.BlockPublicPolicy === true;
  if (block && isPublic(doc)) throw new ServiceError("PublicPolicyException", PUBLIC_MESSAGE);
  const first = await requireSecret(deps, ctx, input.SecretId, "PutResourcePolicy", () => ({ "secretsmanager:BlockPublicPolicy": block }));
  assertNotReplica(first);
  assertNotDeleted(first);
  return mutateSecret(deps, first, async (s) => ({
    changes: await saveWithReplicas(deps, revise(s, { resourcePolicy: input.ResourcePolicy, lastChangedAt: deps.clock() })),
    result: { ARN: s.arn, Name: s.name },
  }));
}

export async function getResourcePolicy(deps: SecretsDeps, ctx: RequestContext, input: GetResourcePolicyRequest): Promise<GetResourcePolicyResponse> {
  const s = await requireSecret(deps, ctx, input.SecretId, "GetResourcePolicy");
  return { ARN: s.arn, Name: s.name, ...(s.resourcePolicy !== undefined ? { ResourcePolicy: s.resourcePolicy } : {}) };
}

export async function deleteResourcePolicy(deps: SecretsDeps, ctx: RequestContext, input: DeleteResourcePolicyRequest): Promise<DeleteResourcePolicyResponse> {
  const first = await requireSecret(deps, ctx, input.SecretId, "DeleteResourcePolicy");
  assertNotReplica(first);
  return mutateSecret(deps, first, async (s) => {
    if (s.resourcePolicy === undefined) return { changes: [], result: { ARN: s.arn, Name: s.name } };
    const next = revise(s, { lastChangedAt: deps.clock() });
    delete next.resourcePolicy;
    return { changes: await saveWithReplicas(deps, next), result: { ARN: s.arn, Name: s.name } };
  });
}

/** ValidateResourcePolicy: grammar and broad-access checks, reported instead of thrown. Needs Validate and Put permission. */
export async function validateResourcePolicy(deps: SecretsDeps, ctx: RequestContext, input: ValidateResourcePolicyRequest): Promise<ValidateResourcePolicyResponse> {
  if (input.SecretId !== undefined) {
    await requireSecret(deps, ctx, input.SecretId, "ValidateResourcePolicy");
    await requireSecret(deps, ctx, input.SecretId, "PutResourcePolicy");
  } else {
    authorizeOn(deps, ctx, "ValidateResourcePolicy", "*", undefined);
  }
  const errors: ValidationErrorsEntry[] = [];
  try {
    const doc = parsePolicy(input.ResourcePolicy, "resource");
    if (isPublic(doc)) errors.push({ CheckName: "BROAD_ACCESS_CHECK", ErrorMessage: "The policy grants access to every principal (Principal \"*\") without a condition." });
  } catch (e) {
    if (!isServiceError(e)) throw e;
    errors.push({ CheckName: "SYNTAX_CHECK", ErrorMessage: e.message });
  }
  return { PolicyValidationPassed: errors.length === 0, ValidationErrors: errors };
}
