/**
 * The IAM JSON policy language, evaluated purely: compile a document once (checked strictly,
 * memoized), then evaluate requests against compiled closures. No I/O.
 */
export { PolicySyntaxError } from "./policy-syntax-error.js";
export { compilePolicy, type CompiledPolicy } from "./compile-policy.js";
export type { PolicyKind } from "./statement.js";
export { evaluate } from "./evaluate.js";
export { analyzeResourcePolicy, type ResourcePolicyAnalysis, type ResourcePolicyFinding } from "./analyze-resource-policy.js";
export { contextFromRecord } from "./context-key.js";
export type { ContextValue, Decision, EvalRequest, PrincipalInfo } from "./types.js";
