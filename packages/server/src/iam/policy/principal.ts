import { syntaxError } from "./policy-syntax-error.js";
import { stringList } from "./string-list.js";
import type { PrincipalInfo } from "./types.js";

/**
 * How a Principal element names a caller: not at all; through its account (a delegation: in a
 * resource policy it grants only what the account's identity policies also allow); or directly
 * (its ARN, or everyone).
 */
export const enum PrincipalMatch {
  None = 0,
  Account = 1,
  Direct = 2,
}

export type PrincipalMatcher = (p: PrincipalInfo) => PrincipalMatch;

const TYPES = new Set(["AWS", "Service", "Federated", "CanonicalUser"]);
const ACCOUNT = /^\d{12}$/;
const ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;
const IDENTITY_ARN = /^arn:aws[a-z-]*:(?:iam|sts)::\d{12}:(?:user|role|assumed-role|federated-user|group)\/\S+$/;

/** Compiles a Principal/NotPrincipal element: "*" or {"AWS"|"Service"|"Federated"|"CanonicalUser": string | string[]}. */
export function compilePrincipal(v: unknown, path: string): PrincipalMatcher {
  if (v === "*") return () => PrincipalMatch.Direct;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw syntaxError(path, `must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}`);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) throw syntaxError(path, "must name at least one principal");
  let everyone = false;
  const accounts = new Set<string>();
  const arns = new Set<string>();
  for (const [type, value] of entries) {
    if (!TYPES.has(type)) throw syntaxError(`${path}.${type}`, `unknown principal type (use AWS, Service, Federated or CanonicalUser)`);
    const list = stringList(value, `${path}.${type}`);
    // Keyshift's callers are IAM users: service, federated and canonical principals are valid but match no one.
    if (type !== "AWS") {
      list.forEach((s, i) => {
        if (s.trim() === "") throw syntaxError(`${path}.${type}[${i}]`, "must not be empty");
      });
      continue;
    }
    list.forEach((s, i) => {
      const at = Array.isArray(value) ? `${path}.AWS[${i}]` : `${path}.AWS`;
      if (s === "*") everyone = true;
      else if (ACCOUNT.test(s)) accounts.add(s);
      else if (ROOT.test(s)) accounts.add(ROOT.exec(s)![1]!);
      else if (IDENTITY_ARN.test(s) && !s.includes("*") && !s.includes("?")) arns.add(s);
      else throw syntaxError(at, `invalid principal "${s}": use "*", an account id, arn:aws:iam::<account>:root or a user or role ARN (no wildcards)`);
    });
  }
  if (everyone) return () => PrincipalMatch.Direct;
  return (p) => {
    if (arns.has(p.arn)) return PrincipalMatch.Direct;
    if (accounts.has(p.account)) return p.isRoot ? PrincipalMatch.Direct : PrincipalMatch.Account;
    return PrincipalMatch.None;
  };
}
