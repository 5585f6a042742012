import type { CompiledPolicy } from "./compile-policy.js";
import { PrincipalMatch } from "./principal.js";
import type { Decision, EvalRequest } from "./types.js";

export const IDENTITY_DENY = "with an explicit deny in an identity-based policy";
export const RESOURCE_DENY = "with an explicit deny in a resource-based policy";
export const noIdentityAllow = (action: string) => `because no identity-based policy allows the ${action} action`;
export const noResourceAllow = (action: string) => `because no resource-based policy allows the ${action} action`;

const ALLOW: Decision = Object.freeze({ effect: "Allow" });

/**
 * Scans one policy: Deny as soon as a Deny statement applies; otherwise the strongest grant of
 * an Allow statement (for identity policies Direct stands for "allows"). Conditions of Allow
 * statements are skipped once the request is allowed at full strength: only Deny can change it.
 */
function scan(p: CompiledPolicy, req: EvalRequest, granted: PrincipalMatch): PrincipalMatch | -1 {
  for (const s of p.statementsFor(req.action)) {
    if (s.allow && granted === PrincipalMatch.Direct) continue;
    if (s.resource(req.resource, req) === s.notResource) continue;
    let level = PrincipalMatch.Direct;
    if (s.principal) {
      level = s.principal(req.principal);
      if (level === PrincipalMatch.None) continue;
      if (s.allow && level <= granted) continue;
    }
    if (s.condition && !s.condition(req)) continue;
    if (!s.allow) return -1;
    granted = level;
  }
  return granted;
}

/**
 * AWS's evaluation logic for one request. An explicit Deny in any policy wins. Otherwise, in the
 * resource's own account, an Allow in an identity policy or a resource-policy Allow naming the
 * caller directly (its ARN or "*") allows; a resource policy naming only the caller's account
 * delegates to the account's identity policies. Across accounts both an identity Allow and a
 * resource Allow (naming the caller or its account) are required. The account root is allowed
 * by its (absent) identity policies.
 */
export function evaluate(req: EvalRequest, identity: readonly CompiledPolicy[], resource?: CompiledPolicy): Decision {
  let identityAllows = req.principal.isRoot === true;
  for (const p of identity) {
    const r = scan(p, req, identityAllows ? PrincipalMatch.Direct : PrincipalMatch.None);
    if (r === -1) return { effect: "Deny", reason: IDENTITY_DENY };
    if (r === PrincipalMatch.Direct) identityAllows = true;
  }
  let resourceGrant = PrincipalMatch.None;
  if (resource) {
    const r = scan(resource, req, PrincipalMatch.None);
    if (r === -1) return { effect: "Deny", reason: RESOURCE_DENY };
    resourceGrant = r;
  }
  const sameAccount = req.resourceAccount === undefined || req.resourceAccount === req.principal.account;
  if (sameAccount) {
    if (identityAllows || resourceGrant === PrincipalMatch.Direct) return ALLOW;
    return { effect: "Deny", reason: noIdentityAllow(req.action) };
  }
  if (!identityAllows) return { effect: "Deny", reason: noIdentityAllow(req.action) };
  if (resourceGrant === PrincipalMatch.None) return { effect: "Deny", reason: noResourceAllow(req.action) };
  return ALLOW;
}
