import { ServiceError, messages } from "@keyshift/protocol";
import type { PutSecretValueRequest, PutSecretValueResponse, UpdateSecretRequest, UpdateSecretResponse } from "@keyshift/protocol";
import type { Change } from "../../storage/store.js";
import type { RequestContext, SecretsDeps } from "../context.js";
import { labelChanges, labelsOf, mutateSecret, revise, saveWithReplicas, versionPurge } from "../mutation.js";
import type { SecretRecord } from "../records.js";
import { assertNotDeleted, assertNotReplica, requireSecret } from "../resolve.js";
import { AWSCURRENT, applyMoves, attachLabels, type LabelMove } from "../stages.js";
import { nextRotation } from "../../rotation/next-rotation.js";
import { openValue, sameValue, sealValue, valueFromInput, type PlainValue } from "../values.js";

interface NewVersion {
  token: string;
  value: PlainValue;
  stages: readonly string[];
}

/**
 * Plans a new version: the version row, its labels (moving them off other versions, AWSPREVIOUS
 * following AWSCURRENT), the purge of old unlabeled versions, and the secret's new revision.
 * Idempotent on the token: the same value again changes nothing; another value is refused.
 * Returns undefined changes when the version already exists with this value.
 */
export async function planVersion(
  deps: SecretsDeps,
  s: SecretRecord,
  nv: NewVersion,
  patch: Partial<SecretRecord>,
): Promise<{ changes: Change[]; stages: string[] } | { existing: string[] }> {
  const existing = await deps.store.getVersion(s.uid, nv.token);
  // A value-less version is the placeholder RotateSecret created: the rotation's createSecret fills it.
  const placeholder = existing !== undefined && existing.sealed === undefined;
  if (existing && !placeholder) {
    const stored = await openValue(deps, s, existing);
    if (stored && sameValue(stored, nv.value)) return { existing: existing.stages };
    throw new ServiceError("ResourceExistsException", `You can't use ClientRequestToken ${nv.token} because that value is already in use for a version of secret ${s.arn}.`);
  }
  const versions = await deps.store.listVersions(s.uid);
  const labels = labelsOf(versions);
  // The first version of a secret is always its AWSCURRENT.
  const stages = labels.has(AWSCURRENT) ? nv.stages : [...new Set([...nv.stages, AWSCURRENT])];
  const moves = attachLabels(labels, nv.token, stages);
  const after = applyMoves(labels, moves);
  const now = deps.clock();
  const sealed = await sealValue(deps, s, nv.token, nv.value);
  const changes: Change[] = [
    placeholder
      ? { op: "setVersionValue", secretUid: s.uid, versionId: nv.token, kind: nv.value.kind, sealed }
      : { op: "insertVersion", secretUid: s.uid, versionId: nv.token, createdAt: now, kind: nv.value.kind, sealed },
    ...labelChanges(s.uid, moves),
    ...(placeholder ? [] : versionPurge(s.uid, [...versions, { versionId: nv.token, createdAt: now, stages: [...stages] }], after, now)),
    ...(await saveWithReplicas(deps, revise(s, { lastChangedAt: now, ...patch, ...manualRotation(s, moves, now) }))),
  ];
  return { changes, stages: [...stages].sort() };
}

/**
 * A value set by hand as AWSCURRENT counts as a rotation when the next automatic one is
 * computed (AWS: "Secrets Manager considers that a valid rotation").
 */
function manualRotation(s: SecretRecord, moves: readonly LabelMove[], now: number): Partial<SecretRecord> {
  if (!s.rotationEnabled || s.rotationDueAt === undefined || !moves.some((m) => m.stage === AWSCURRENT && m.versionId !== null)) return {};
  const next = nextRotation(s, now);
  return next === undefined ? {} : { nextRotationAt: next, rotationDueAt: next };
}

/** PutSecretValue: a new version, AWSCURRENT by default or the given VersionStages. */
export async function putSecretValue(deps: SecretsDeps, ctx: RequestContext, input: PutSecretValueRequest): Promise<PutSecretValueResponse> {
  const value = valueFromInput(input);
  if (!value) throw new ServiceError("InvalidRequestException", "You must provide either SecretString or SecretBinary.");
  if (!input.ClientRequestToken) throw new ServiceError("InvalidRequestException", messages.missingToken);
  const token = input.ClientRequestToken;
  const first = await requireSecret(deps, ctx, input.SecretId, "PutSecretValue", () => ({ "secretsmanager:VersionStage": input.VersionStages ?? [AWSCURRENT] }));
  assertNotReplica(first);
  assertNotDeleted(first);
  const out = await mutateSecret(deps, first, async (s) => {
    assertNotDeleted(s);
    const p = await planVersion(deps, s, { token, value, stages: input.VersionStages ?? [AWSCURRENT] }, {});
    if ("existing" in p) return { changes: [], result: { ARN: s.arn, Name: s.name, VersionId: token, VersionStages: p.existing } };
    return { changes: p.changes, result: { ARN: s.arn, Name: s.name, VersionId: token, VersionStages: p.stages } };
  });
  // The audit record names the version written.
  if (ctx.call) ctx.call.versionId = token;
  return out;
}

/** UpdateSecret: metadata, and with a value a new AWSCURRENT version. */
export async function updateSecret(deps: SecretsDeps, ctx: RequestContext, input: UpdateSecretRequest): Promise<UpdateSecretResponse> {
  const value = valueFromInput(input);
  if (value && !input.ClientRequestToken) throw new ServiceError("InvalidRequestException", messages.missingToken);
  const first = await requireSecret(deps, ctx, input.SecretId, "UpdateSecret");
  assertNotReplica(first);
  assertNotDeleted(first);
  const patch: Partial<SecretRecord> = {
    ...(input.Description !== undefined ? { description: input.Description } : {}),
    ...(input.KmsKeyId !== undefined ? { kmsKeyId: input.KmsKeyId } : {}),
    ...(input.Type !== undefined ? { type: input.Type } : {}),
  };
  return mutateSecret<UpdateSecretResponse>(deps, first, async (s) => {
    assertNotDeleted(s);
    if (!value) {
      return { changes: await saveWithReplicas(deps, revise(s, { ...patch, lastChangedAt: deps.clock() })), result: { ARN: s.arn, Name: s.name } };
    }
    const token = input.ClientRequestToken!;
    const p = await planVersion(deps, s, { token, value, stages: [AWSCURRENT] }, patch);
    return { changes: "existing" in p ? [] : p.changes, result: { ARN: s.arn, Name: s.name, VersionId: token } };
  });
}
