import { ServiceError, epochSeconds, messages, startOfUtcDay } from "@keyshift/protocol";
import type { GetSecretValueRequest, GetSecretValueResponse } from "@keyshift/protocol";
import type { RequestContext, SecretsDeps } from "../context.js";
import type { SecretRecord, VersionRecord } from "../records.js";
import { requireSecret } from "../resolve.js";
import { AWSCURRENT } from "../stages.js";
import { openValue, valueOutput, versionOwner } from "../values.js";

/**
 * GetSecretValue: AWSCURRENT unless a VersionId and/or VersionStage is given (they must agree).
 * Notes the access at day resolution (LastAccessedDate) for the AccessTracker to write in the
 * background, so that reads stay reads.
 */
export async function getSecretValue(deps: SecretsDeps, ctx: RequestContext, input: GetSecretValueRequest): Promise<GetSecretValueResponse> {
  const secret = await requireSecret(deps, ctx, input.SecretId, "GetSecretValue", () => ({
    ...(input.VersionId !== undefined ? { "secretsmanager:VersionId": input.VersionId } : {}),
    "secretsmanager:VersionStage": input.VersionStage ?? (input.VersionId === undefined ? AWSCURRENT : undefined),
  }));
  const out = await readValue(deps, secret, input.VersionId, input.VersionStage);
  if (ctx.call) {
    ctx.call.versionId = out.VersionId;
    ctx.call.versionStage = input.VersionStage ?? (input.VersionId === undefined ? AWSCURRENT : undefined);
  }
  return out;
}

/** The value of one version of an already authorized secret; shared with BatchGetSecretValue. */
export async function readValue(deps: SecretsDeps, secret: SecretRecord, versionId: string | undefined, stage: string | undefined): Promise<GetSecretValueResponse> {
  if (secret.deletedAt !== undefined) throw new ServiceError("InvalidRequestException", messages.getOnDeleted);
  const owner = versionOwner(secret);
  let v: VersionRecord | undefined;
  if (versionId !== undefined) {
    v = await deps.store.getVersion(owner, versionId);
    if (!v) throw new ServiceError("ResourceNotFoundException", messages.versionNotFound(versionId));
    if (stage !== undefined && !v.stages.includes(stage)) throw new ServiceError("InvalidRequestException", messages.stageVersionMismatch);
  } else {
    const label = stage ?? AWSCURRENT;
    v = await deps.store.getVersionByStage(owner, label);
    if (!v) throw new ServiceError("ResourceNotFoundException", messages.stageNotFound(label));
  }
  const value = await openValue(deps, { accountId: secret.accountId, uid: owner }, v);
  if (!value) {
    throw new ServiceError("ResourceNotFoundException", versionId !== undefined ? messages.versionNotFound(versionId) : messages.stageNotFound(stage ?? AWSCURRENT));
  }
  const day = startOfUtcDay(deps.clock());
  if (secret.lastAccessedAt === undefined || secret.lastAccessedAt < day || v.lastAccessedAt === undefined || v.lastAccessedAt < day) {
    deps.access.note(secret.uid, owner, v.versionId, day);
  }
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: v.versionId,
    ...valueOutput(value),
    VersionStages: v.stages,
    CreatedDate: epochSeconds(v.createdAt),
  };
}
