import { ServiceError } from "@keyshift/protocol";
import type {
  DeleteResourcePolicyRequest, DeleteResourcePolicyResponse, GetResourcePolicyRequest, GetResourcePolicyResponse,
  PutResourcePolicyRequest, PutResourcePolicyResponse, ValidateResourcePolicyRequest, ValidateResourcePolicyResponse, ValidationErrorsEntry,
} from "@keyshift/protocol";
import { analyzeForCaller, checkPolicy } from "../../iam/policy-document.js";
import type { RequestContext, SecretsDeps } from "../context.js";
import type { SecretRecord } from "../records.js";
import { mutateSecret, revise, saveWithReplicas } from "../mutation.js";
import { assertNotDeleted, assertNotReplica, authorizeOn, requireSecret } from "../resolve.js";

/** ValidateResourcePolicy's check names. */
const CHECK_NAMES = { SYNTAX_CHECK: "SYNTAX_CHECK", BROAD_ACCESS: "BROAD_ACCESS_CHECK", LOCK_OUT: "LOCK_OUT_CHECK" } as const;

const PUBLIC_MESSAGE = "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.";

/** PutResourcePolicy: stored after its grammar is checked; BlockPublicPolicy refuses a public policy. */
export async function putResourcePolicy(deps: SecretsDeps, ctx: RequestContext, input: PutResourcePolicyRequest): Promise<PutResourcePolicyResponse> {
  const block = input.BlockPublicPolicy === true;
  const first = await requireSecret(deps, ctx, input.SecretId, "PutResourcePolicy", () => ({ "secretsmanager:BlockPublicPolicy": block }));
  checkPolicy(input.ResourcePolicy, "resource");
  if (block && analyzeForCaller(input.ResourcePolicy, first.arn, ctx.principal).public) throw new ServiceError("PublicPolicyException", PUBLIC_MESSAGE);
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
  let target: SecretRecord | undefined;
  if (input.SecretId !== undefined) {
    await requireSecret(deps, ctx, input.SecretId, "ValidateResourcePolicy");
    target = await requireSecret(deps, ctx, input.SecretId, "PutResourcePolicy");
  } else {
    authorizeOn(deps, ctx, "ValidateResourcePolicy", "*", undefined);
  }
  const errors: ValidationErrorsEntry[] = [];
  const secretArn = target?.arn ?? `arn:aws:secretsmanager:${ctx.region}:${ctx.principal.accountId}:secret:*`;
  for (const f of analyzeForCaller(input.ResourcePolicy, secretArn, ctx.principal).findings) {
    errors.push({ CheckName: CHECK_NAMES[f.check], ErrorMessage: f.message });
  }
  return { PolicyValidationPassed: errors.length === 0, ValidationErrors: errors };
}
