import { randomUUID, randomInt } from "node:crypto";
import { ServiceError, messages, secretArn } from "@keyshift/protocol";
import type { CreateSecretRequest, CreateSecretResponse } from "@keyshift/protocol";
import { StoreConflict, type Change } from "../../storage/store.js";
import type { RequestContext, SecretsDeps } from "../context.js";
import { assertValidName } from "../names.js";
import type { SecretRecord } from "../records.js";
import { authorizeOn } from "../resolve.js";
import { AWSCURRENT } from "../stages.js";
import { openValue, sameValue, sealValue, valueFromInput } from "../values.js";
import { assertValidTags } from "./tags.js";
import { planReplicas } from "./replication.js";
import { replicationView } from "../views.js";

const SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** The six random characters of a new secret's ARN. */
export function arnSuffix(): string {
  let s = "";
  for (let i = 0; i < 6; i++) s += SUFFIX_CHARS[randomInt(SUFFIX_CHARS.length)];
  return s;
}

/**
 * CreateSecret. With a value, the first version (id = ClientRequestToken) gets AWSCURRENT.
 * Idempotent: the same token and the same value answer as the first call did; the same token
 * with another value is ResourceExistsException.
 */
export async function createSecret(deps: SecretsDeps, ctx: RequestContext, input: CreateSecretRequest): Promise<CreateSecretResponse> {
  assertValidName(input.Name);
  const account = ctx.principal.accountId;
  const value = valueFromInput(input);
  const token = input.ClientRequestToken;
  if (value && !token) throw new ServiceError("InvalidRequestException", messages.missingToken);
  if (input.Tags) assertValidTags(input.Tags);
  const pendingArn = `arn:aws:secretsmanager:${ctx.region}:${account}:secret:${input.Name}`;
  const requestKeys = () => ({
    "secretsmanager:Name": input.Name,
    ...(input.Tags ? { "aws:TagKeys": input.Tags.map((t) => t.Key) } : {}),
    ...Object.fromEntries((input.Tags ?? []).map((t) => [`aws:RequestTag/${t.Key}`, t.Value])),
  });
  authorizeOn(deps, ctx, "CreateSecret", pendingArn, undefined, requestKeys);
  if (input.Tags?.length) authorizeOn(deps, ctx, "TagResource", pendingArn, undefined, requestKeys);

  const existing = await deps.store.getSecretByName(account, ctx.region, input.Name);
  if (existing) return answerExisting(deps, existing, input, value, token);

  const now = deps.clock();
  const secret: SecretRecord = {
    uid: randomUUID(),
    accountId: account,
    region: ctx.region,
    name: input.Name,
    arn: secretArn(ctx.region, account, input.Name, arnSuffix()),
    createdAt: now,
    lastChangedAt: now,
    revision: 1,
    ...(input.Description !== undefined ? { description: input.Description } : {}),
    ...(input.KmsKeyId !== undefined ? { kmsKeyId: input.KmsKeyId } : {}),
    ...(input.Type !== undefined ? { type: input.Type } : {}),
    ...(input.Tags !== undefined ? { tags: dedupeTags(input.Tags) } : {}),
  };
  const changes: Change[] = [{ op: "insertSecret", secret }];
  if (value && token) {
    changes.push({ op: "insertVersion", secretUid: secret.uid, versionId: token, createdAt: now, kind: value.kind, sealed: await sealValue(deps, secret, token, value) });
    changes.push({ op: "setStage", secretUid: secret.uid, stage: AWSCURRENT, versionId: token });
  }
  if (input.AddReplicaRegions?.length) {
    const replicas = await planReplicas(deps, secret, input.AddReplicaRegions, input.ForceOverwriteReplicaSecret === true);
    secret.replicas = replicas.statuses;
    changes.push(...replicas.changes);
  }
  try {
    await deps.store.commit(changes);
  } catch (e) {
    // Lost a race with a concurrent CreateSecret of the same name: answer as if it had come first.
    if (e instanceof StoreConflict && e.kind === "name") {
      const winner = await deps.store.getSecretByName(account, ctx.region, input.Name);
      if (winner) return answerExisting(deps, winner, input, value, token);
    }
    throw e;
  }
  if (ctx.call) {
    ctx.call.secretArn = secret.arn;
    ctx.call.secretName = secret.name;
    if (value && token) ctx.call.versionId = token;
  }
  return {
    ARN: secret.arn,
    Name: secret.name,
    ...(value && token ? { VersionId: token } : {}),
    ...(secret.replicas ? { ReplicationStatus: replicationView(secret) } : {}),
  };
}

async function answerExisting(
  deps: SecretsDeps,
  existing: SecretRecord,
  input: CreateSecretRequest,
  value: ReturnType<typeof valueFromInput>,
  token: string | undefined,
): Promise<CreateSecretResponse> {
  if (existing.deletedAt !== undefined) throw new ServiceError("InvalidRequestException", messages.scheduledForDeletion);
  if (token && value && existing.primaryUid === undefined) {
    const v = await deps.store.getVersion(existing.uid, token);
    if (v) {
      const stored = await openValue(deps, existing, v);
      if (stored && sameValue(stored, value)) return { ARN: existing.arn, Name: existing.name, VersionId: token };
      throw new ServiceError("ResourceExistsException", `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${existing.arn}.`);
    }
  }
  throw new ServiceError("ResourceExistsException", messages.secretExists(input.Name));
}

/** Later tags with the same key win, as TagResource does. */
export function dedupeTags(tags: readonly { Key?: string; Value?: string }[]): { Key: string; Value: string }[] {
  const m = new Map<string, string>();
  for (const t of tags) m.set(t.Key ?? "", t.Value ?? "");
  return [...m].map(([Key, Value]) => ({ Key, Value }));
}
