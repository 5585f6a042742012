import { ARN_SUFFIX, ServiceError, messages, parseArn } from "@keyshift/protocol";
import type { RequestContext, SecretsDeps } from "./context.js";
import { assertValidSecretId } from "./names.js";
import type { SecretRecord } from "./records.js";

/** Where a SecretId points: the account and region to look in, and the secret if it exists. */
export interface Resolved {
  secret?: SecretRecord;
  /** The ARN to authorize against when the secret does not exist (AWS evaluates the name then). */
  resourceArn: string;
}

/**
 * Finds a secret by name, full ARN or partial ARN, as AWS does: a name is looked up in the
 * caller's account and the request's region; an ARN whose last part ends in `-` and six
 * alphanumerics is a full ARN and must match exactly; any other ARN is partial (name only).
 */
export async function resolveSecret(deps: SecretsDeps, ctx: RequestContext, secretId: string): Promise<Resolved> {
  assertValidSecretId(secretId);
  const account = ctx.principal.accountId;
  if (!secretId.startsWith("arn:")) {
    const secret = await deps.store.getSecretByName(account, ctx.region, secretId);
    return { secret, resourceArn: secret?.arn ?? partialArn(ctx.region, account, secretId) };
  }
  const arn = parseArn(secretId);
  if (!arn || arn.service !== "secretsmanager" || !arn.resource.startsWith("secret:") || arn.region !== ctx.region || !/^\d{12}$/.test(arn.account)) {
    return { resourceArn: secretId };
  }
  const name = arn.resource.slice("secret:".length);
  if (ARN_SUFFIX.test(name)) {
    const secret = await deps.store.getSecretByArn(secretId);
    return { secret: secret && secret.region === ctx.region ? secret : undefined, resourceArn: secretId };
  }
  const secret = await deps.store.getSecretByName(arn.account, ctx.region, name);
  return { secret, resourceArn: secret?.arn ?? secretId };
}

function partialArn(region: string, account: string, name: string): string {
  return `arn:aws:secretsmanager:${region}:${account}:secret:${name}`;
}

/**
 * Resolves and authorizes: the caller must be allowed `action` on the secret (or on the ARN its
 * SecretId names, when it does not exist, so that existence is not revealed to the unauthorized).
 * Throws ResourceNotFoundException when it does not exist.
 */
export async function requireSecret(
  deps: SecretsDeps,
  ctx: RequestContext,
  secretId: string,
  action: string,
  context?: () => Record<string, unknown>,
): Promise<SecretRecord> {
  const r = await resolveSecret(deps, ctx, secretId);
  if (ctx.call) {
    ctx.call.secretArn = r.resourceArn;
    if (r.secret) ctx.call.secretName = r.secret.name;
  }
  authorizeOn(deps, ctx, action, r.resourceArn, r.secret, () => ({ "secretsmanager:SecretId": r.resourceArn, ...context?.() }));
  if (!r.secret) throw new ServiceError("ResourceNotFoundException", messages.secretNotFound);
  return r.secret;
}

export function authorizeOn(
  deps: SecretsDeps,
  ctx: RequestContext,
  action: string,
  resource: string,
  secret: SecretRecord | undefined,
  context?: () => Record<string, unknown>,
): void {
  deps.authz.authorize({
    principal: ctx.principal,
    action: `secretsmanager:${action}`,
    resource,
    resourceAccount: secret?.accountId,
    conditions: () => requestConditions(ctx, secret, context?.() ?? {}),
    resourcePolicy: secret?.resourcePolicy,
  });
}

export function requestConditions(ctx: Pick<RequestContext, "sourceIp" | "secureTransport" | "region" | "principal">, secret: SecretRecord | undefined, extra: Record<string, unknown>): Record<string, unknown> {
  const c: Record<string, unknown> = {
    "aws:SourceIp": ctx.sourceIp,
    "aws:SecureTransport": ctx.secureTransport,
    "aws:RequestedRegion": ctx.region,
    "aws:PrincipalArn": ctx.principal.arn,
    "aws:PrincipalAccount": ctx.principal.accountId,
    "aws:username": ctx.principal.userName,
    ...extra,
  };
  if (secret) {
    c["secretsmanager:Name"] = secret.name;
    for (const t of secret.tags ?? []) {
      c[`aws:ResourceTag/${t.Key}`] = t.Value;
      c[`secretsmanager:ResourceTag/${t.Key}`] = t.Value;
    }
  }
  return c;
}

/** Writes are refused on a replica: they must go to the primary's region. */
export function assertNotReplica(s: SecretRecord): void {
  if (s.primaryUid !== undefined) throw new ServiceError("InvalidParameterException", messages.replicaWrite);
}

export function assertNotDeleted(s: SecretRecord, message: string = messages.markedForDeletion): void {
  if (s.deletedAt !== undefined) throw new ServiceError("InvalidRequestException", message);
}
