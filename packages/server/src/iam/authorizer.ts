import { ServiceError, parseArn } from "@keyshift/protocol";
import type { Principal } from "./principal.js";

/** One authorization question: may `principal` perform `action` on `resource`? */
export interface AuthzRequest {
  principal: Principal;
  /** e.g. "secretsmanager:GetSecretValue" */
  action: string;
  /** The secret's ARN, or "*" for actions without a resource (ListSecrets, GetRandomPassword). */
  resource: string;
  /** The account owning `resource`, when the secret exists (saves parsing the ARN). */
  resourceAccount: string | undefined;
  /**
   * Condition keys of the request (aws:SourceIp, secretsmanager:VersionStage, ...), computed
   * on demand: only a policy with a Condition block needs them.
   */
  conditions: () => Readonly<Record<string, unknown>>;
  /** The secret's resource policy, if it has one. */
  resourcePolicy: string | undefined;
}

/**
 * The one authorization point every operation passes through before it reads or changes
 * anything. Contract: returns normally to allow; throws ServiceError AccessDeniedException to deny.
 */
export interface Authorizer {
  authorize(req: AuthzRequest): void;
  /** The same decision as a boolean (for filtering what a principal may see). */
  allows(req: AuthzRequest): boolean;
}

export function accessDenied(req: AuthzRequest, because: string): ServiceError {
  return new ServiceError(
    "AccessDeniedException",
    `User: ${req.principal.arn} is not authorized to perform: ${req.action} on resource: ${req.resource} because ${because}`,
  );
}

/** `allows` for authorizers that only throw. */
export function allowsByTrying(a: Pick<Authorizer, "authorize">, req: AuthzRequest): boolean {
  try {
    a.authorize(req);
    return true;
  } catch {
    return false;
  }
}

/**
 * Until IAM policies are enforced (the access-control issue): every key is its account's
 * administrator and may act on its own account's secrets only.
 */
export class AccountBoundaryAuthorizer implements Authorizer {
  authorize(req: AuthzRequest): void {
    // An operator administers every account's users (never their secrets).
    if (req.action.startsWith("iam:") && req.principal.operator) return;
    if (req.resource === "*") return;
    const account = req.resourceAccount ?? parseArn(req.resource)?.account;
    if (account === req.principal.accountId) return;
    throw accessDenied(req, "no resource-based policy allows the action");
  }

  allows(req: AuthzRequest): boolean {
    return allowsByTrying(this, req);
  }
}
