import { ServiceError } from "@keyshift/protocol";
import { analyzeResourcePolicy, compilePolicy, PolicySyntaxError, type CompiledPolicy, type ResourcePolicyAnalysis } from "./policy/index.js";
import { compiledPrincipal } from "./policy-authorizer.js";
import type { Principal } from "./principal.js";

/**
 * Checks a policy document (the AWS JSON policy language, iam/policy/) before it is stored:
 * MalformedPolicyDocumentException with a message naming the first problem found.
 */
export function checkPolicy(text: string, kind: "resource" | "identity"): CompiledPolicy {
  try {
    return compilePolicy(text, kind);
  } catch (e) {
    if (e instanceof PolicySyntaxError) throw new ServiceError("MalformedPolicyDocumentException", `This ${kind === "resource" ? "resource" : "identity"} policy contains a syntax error: ${e.message}`);
    throw e;
  }
}

/** What BlockPublicPolicy and ValidateResourcePolicy need: syntax, broad access, and whether `caller` would lock itself out. */
export function analyzeForCaller(text: string, secretArn: string, caller: Principal): ResourcePolicyAnalysis {
  const c = compiledPrincipal(caller);
  return analyzeResourcePolicy(text, { secretArn, account: caller.accountId, caller: c.info, callerIdentity: c.identity });
}
