import { ServiceError, messages } from "@keyshift/protocol";
import type { ManagementCall } from "../http/management.js";
import { systemPrincipal } from "../iam/principal.js";
import type { RequestContext, SecretsDeps } from "../secrets/context.js";
import type { SecretRecord } from "../secrets/records.js";
import { requestConditions, resolveSecret } from "../secrets/resolve.js";

/** The caller's request as the secret operations see it. */
export function callContext(call: ManagementCall): RequestContext {
  return {
    requestId: call.requestId, principal: call.principal, region: call.region, sourceIp: call.sourceIp,
    userAgent: String(call.headers["user-agent"] ?? ""), secureTransport: call.secureTransport, ...(call.record ? { call: call.record } : {}),
  };
}

/**
 * The context a management operation runs the secret operations with, once the caller was
 * authorized for the `keyshift:` action: the account's own authority (as the rotation engine
 * acts), so that one decision — the Keyshift action — governs the call. The account is the
 * caller's: the tenant always comes from the authenticated principal.
 */
export function actingContext(call: ManagementCall): RequestContext {
  return { ...callContext(call), principal: systemPrincipal(call.principal.accountId, call.principal.userName) };
}

/** Authorizes `keyshift:<action>` on `resource` ("*" for account-wide actions) for the caller. */
export function authorizeAction(deps: SecretsDeps, call: ManagementCall, action: string, resource = "*", secret?: SecretRecord): void {
  deps.authz.authorize({
    principal: call.principal,
    action: `keyshift:${action}`,
    resource,
    resourceAccount: secret?.accountId,
    conditions: () => requestConditions(callContext(call), secret, {}),
    resourcePolicy: secret?.resourcePolicy,
  });
}

/** Whether the caller may `keyshift:<action>` on `secret` (for filtering lists). */
export function mayAct(deps: SecretsDeps, call: ManagementCall, action: string, secret: SecretRecord): boolean {
  return deps.authz.allows({
    principal: call.principal, action: `keyshift:${action}`, resource: secret.arn, resourceAccount: secret.accountId,
    conditions: () => requestConditions(callContext(call), secret, {}), resourcePolicy: secret.resourcePolicy,
  });
}

/**
 * Finds a secret of the caller's account by name or ARN and authorizes `keyshift:<action>` on
 * its ARN (per-secret, so that policies can scope management by name). As with the Secrets
 * Manager API, the decision is made on the ARN the request names, so a caller without
 * permission cannot learn whether a secret exists. Another account's secret is never reachable
 * here. Throws ResourceNotFoundException for a missing or deleted secret.
 */
export async function secretForAction(deps: SecretsDeps, call: ManagementCall, secretId: string, action: string, o: { allowDeleted?: boolean } = {}): Promise<SecretRecord> {
  const r = await resolveSecret(deps, callContext(call), secretId);
  const secret = r.secret?.accountId === call.principal.accountId ? r.secret : undefined;
  if (call.record) {
    call.record.secretArn = r.resourceArn;
    if (secret) call.record.secretName = secret.name;
  }
  authorizeAction(deps, call, action, r.resourceArn, secret);
  if (!secret || (secret.deletedAt !== undefined && !o.allowDeleted)) throw new ServiceError("ResourceNotFoundException", messages.secretNotFound);
  return secret;
}

/** The JSON body as an object, or a ValidationException. */
export function bodyObject(call: ManagementCall): Record<string, unknown> {
  const b = call.body ?? {};
  if (typeof b !== "object" || Array.isArray(b) || b === null) throw new ServiceError("ValidationException", "The request body must be a JSON object.");
  return b as Record<string, unknown>;
}

/** Epoch seconds (as the rest of the API answers times), or undefined. */
export function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.floor(ms / 1000);
}
