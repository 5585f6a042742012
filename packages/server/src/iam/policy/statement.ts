import { compileActions } from "./action.js";
import { compileCondition, type ConditionTest } from "./condition.js";
import type { PatternMatcher } from "./pattern.js";
import { syntaxError } from "./policy-syntax-error.js";
import { compilePrincipal, PrincipalMatch, type PrincipalMatcher } from "./principal.js";
import { compileResources } from "./resource.js";
import type { Matcher } from "./wildcard.js";

export type PolicyKind = "identity" | "resource";

/** A statement ready to evaluate: each element is a closure built once. */
export interface CompiledStatement {
  readonly sid: string | undefined;
  readonly allow: boolean;
  /** Over the lower-cased action; NotAction already folded in. */
  readonly action: Matcher;
  readonly resource: PatternMatcher;
  readonly notResource: boolean;
  /** Resource policies only; NotPrincipal already folded in. */
  readonly principal: PrincipalMatcher | undefined;
  readonly condition: ConditionTest | undefined;
}

const FIELDS = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);

function either(st: Record<string, unknown>, a: string, b: string, path: string, required: boolean): [unknown, boolean] | undefined {
  if (st[a] !== undefined && st[b] !== undefined) throw syntaxError(path, `can't have both ${a} and ${b}`);
  if (st[a] !== undefined) return [st[a], false];
  if (st[b] !== undefined) return [st[b], true];
  if (required) throw syntaxError(path, `must have ${a} or ${b}`);
  return undefined;
}

/** Checks and compiles one statement; `variables` when the document is 2012-10-17. */
export function compileStatement(s: unknown, path: string, kind: PolicyKind, variables: boolean): CompiledStatement {
  if (typeof s !== "object" || s === null || Array.isArray(s)) throw syntaxError(path, "must be an object");
  const st = s as Record<string, unknown>;
  for (const k of Object.keys(st)) if (!FIELDS.has(k)) throw syntaxError(path, `unknown field ${k}`);
  if (st.Sid !== undefined && typeof st.Sid !== "string") throw syntaxError(`${path}.Sid`, "must be a string");
  if (st.Effect === undefined) throw syntaxError(path, `must have an Effect`);
  if (st.Effect !== "Allow" && st.Effect !== "Deny") throw syntaxError(`${path}.Effect`, `must be "Allow" or "Deny", not ${JSON.stringify(st.Effect)}`);

  const [actionValue, notAction] = either(st, "Action", "NotAction", path, true)!;
  const actionMatch = compileActions(actionValue, `${path}.${notAction ? "NotAction" : "Action"}`);
  const action: Matcher = notAction ? (a) => !actionMatch(a) : actionMatch;

  const [resourceValue, notResource] = either(st, "Resource", "NotResource", path, true)!;
  const resource = compileResources(resourceValue, `${path}.${notResource ? "NotResource" : "Resource"}`, variables);

  let principal: PrincipalMatcher | undefined;
  if (kind === "identity") {
    if (st.Principal !== undefined || st.NotPrincipal !== undefined) throw syntaxError(path, "an identity-based policy can't have a Principal or NotPrincipal");
  } else {
    const [principalValue, notPrincipal] = either(st, "Principal", "NotPrincipal", path, true)!;
    const m = compilePrincipal(principalValue, `${path}.${notPrincipal ? "NotPrincipal" : "Principal"}`);
    principal = notPrincipal ? (p) => (m(p) === PrincipalMatch.None ? PrincipalMatch.Direct : PrincipalMatch.None) : m;
  }

  const hasCondition = st.Condition !== undefined && !(typeof st.Condition === "object" && st.Condition !== null && !Array.isArray(st.Condition) && Object.keys(st.Condition).length === 0);
  const condition = hasCondition ? compileCondition(st.Condition, `${path}.Condition`, variables) : undefined;
  return { sid: st.Sid as string | undefined, allow: st.Effect === "Allow", action, resource, notResource, principal, condition };
}
