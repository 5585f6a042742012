import { keyRef } from "./context-key.js";
import { compilePolicy, type CompiledPolicy } from "./compile-policy.js";
import { parseCidr } from "./ip-address.js";
import { PolicySyntaxError } from "./policy-syntax-error.js";
import { PrincipalMatch } from "./principal.js";
import { evaluate, IDENTITY_DENY } from "./evaluate.js";
import type { EvalRequest, PrincipalInfo } from "./types.js";

export interface ResourcePolicyFinding {
  check: "SYNTAX_CHECK" | "BROAD_ACCESS" | "LOCK_OUT";
  message: string;
}

export interface ResourcePolicyAnalysis {
  /** Some Allow statement grants every principal and no condition narrows it to known callers. */
  public: boolean;
  findings: ResourcePolicyFinding[];
}

/** Keys whose fixed values confine a statement to known accounts, organizations or networks. */
const NARROWING = new Map<string, (v: string) => boolean>([
  ["aws:principalaccount", isAccount],
  ["aws:sourceaccount", isAccount],
  ["aws:sourceowner", isAccount],
  ["aws:resourceaccount", isAccount],
  ["aws:principalarn", isAccountArn],
  ["aws:sourcearn", isAccountArn],
  ["aws:principalorgid", noWildcard],
  ["aws:principalorgpaths", noWildcard],
  ["aws:sourceorgid", noWildcard],
  ["aws:sourceorgpaths", noWildcard],
  ["aws:sourcevpc", noWildcard],
  ["aws:sourcevpce", noWildcard],
  ["aws:userid", (v) => !/^[*?]*$/.test(v)],
  ["aws:sourceip", isNarrowCidr],
]);
const NARROWING_OPERATORS = new Set(["StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress"]);
const MANAGE_ACTIONS = ["secretsmanager:PutResourcePolicy", "secretsmanager:GetResourcePolicy", "secretsmanager:DeleteResourcePolicy"];

function isAccount(v: string): boolean {
  return /^\d{12}$/.test(v);
}
function isAccountArn(v: string): boolean {
  return isAccount(v.split(":")[4] ?? "");
}
function noWildcard(v: string): boolean {
  return v !== "" && !v.includes("*") && !v.includes("?");
}
// S3's rule for public access: an IPv4 range wider than /8 or an IPv6 one wider than /32 is public.
function isNarrowCidr(v: string): boolean {
  const c = parseCidr(v);
  return c !== undefined && c.prefix >= (c.v6 ? 32 : 8);
}

function namesEveryone(st: Record<string, unknown>): boolean {
  if (st.NotPrincipal !== undefined) return true;
  const p = st.Principal;
  if (p === "*") return true;
  const aws = typeof p === "object" && p !== null ? (p as Record<string, unknown>).AWS : undefined;
  return aws === "*" || (Array.isArray(aws) && aws.includes("*"));
}

function narrowed(condition: unknown): boolean {
  if (typeof condition !== "object" || condition === null) return false;
  for (const [name, body] of Object.entries(condition as Record<string, unknown>)) {
    const base = name.startsWith("ForAnyValue:") ? name.slice("ForAnyValue:".length) : name;
    if (!NARROWING_OPERATORS.has(base)) continue;
    for (const [key, raw] of Object.entries(body as Record<string, unknown>)) {
      const specific = NARROWING.get(key.toLowerCase());
      const vals = (Array.isArray(raw) ? raw : [raw]).map(String);
      if (specific && vals.every(specific)) return true;
    }
  }
  return false;
}

/** Keys a lock-out check can answer without a real request: they describe the caller. */
const CALLER_KEYS = new Set(["aws:username", "aws:principalarn", "aws:principalaccount", "aws:resourceaccount"]);

/**
 * Finds the Deny statements that would stop `caller` from managing the policy itself. A Deny
 * whose condition depends on request facts (source IP, time, tags of the secret) is not
 * reported: whether it locks the caller out depends on the request.
 */
function lockOuts(policy: CompiledPolicy, secretArn: string, account: string, caller: PrincipalInfo, identity: readonly CompiledPolicy[]): ResourcePolicyFinding[] {
  const findings: ResourcePolicyFinding[] = [];
  policy.statements.forEach((s, i) => {
    if (s.allow) return;
    for (const action of MANAGE_ACTIONS) {
      let undetermined = false;
      const req: EvalRequest = {
        action, resource: secretArn, principal: caller, resourceAccount: account,
        context: (k) => {
          const ref = keyRef(k);
          if (!CALLER_KEYS.has(ref.lower) && !ref.lower.startsWith("aws:principaltag/")) undetermined = true;
          return undefined;
        },
      };
      if (!s.action(action.toLowerCase()) || s.resource(secretArn, req) === s.notResource) continue;
      if ((s.principal?.(caller) ?? PrincipalMatch.Direct) === PrincipalMatch.None) continue;
      if (s.condition && (!s.condition(req) || undetermined)) continue;
      // Already denied by the caller's own identity policies: this policy changes nothing.
      const before = evaluate(req, identity);
      if (before.effect === "Deny" && before.reason === IDENTITY_DENY) continue;
      findings.push({ check: "LOCK_OUT", message: `Statement[${i}] denies ${action} to the caller (${caller.arn}): once attached, this policy can't be changed or removed by you.` });
      return;
    }
  });
  return findings;
}

/**
 * What ValidateResourcePolicy and BlockPublicPolicy need to know about a resource policy: its
 * syntax problems (then nothing else is checked), whether it is public, and whether it would
 * lock `caller` out of managing it. Pure: `callerIdentity` are the caller's identity policies.
 */
export function analyzeResourcePolicy(text: string, o: { secretArn: string; account: string; caller?: PrincipalInfo; callerIdentity?: readonly CompiledPolicy[] }): ResourcePolicyAnalysis {
  let policy: CompiledPolicy;
  try {
    policy = compilePolicy(text, "resource");
  } catch (e) {
    if (e instanceof PolicySyntaxError) return { public: false, findings: [{ check: "SYNTAX_CHECK", message: e.message }] };
    throw e;
  }
  const findings: ResourcePolicyFinding[] = [];
  const doc = JSON.parse(text) as { Statement: unknown };
  const raw = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Record<string, unknown>[];
  let isPublic = false;
  raw.forEach((st, i) => {
    if (st.Effect !== "Allow" || !namesEveryone(st) || narrowed(st.Condition)) return;
    isPublic = true;
    findings.push({ check: "BROAD_ACCESS", message: `Statement[${i}] allows every principal ("Principal": "*") and no condition on aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalOrgID, aws:SourceAccount or aws:SourceIp narrows it.` });
  });
  if (o.caller) findings.push(...lockOuts(policy, o.secretArn, o.account, o.caller, o.callerIdentity ?? []));
  return { public: isPublic, findings };
}
