import type { PatternMatcher } from "./pattern.js";
import { compilePattern } from "./pattern.js";
import { syntaxError } from "./policy-syntax-error.js";
import { stringList } from "./string-list.js";
import { hasWildcard } from "./wildcard.js";

/** "*", or an ARN: arn:partition:service:region:account:resource (a segment-ending `*` may stand for the rest). */
function isResourcePattern(r: string): boolean {
  if (r === "*") return true;
  if (!r.startsWith("arn:")) return false;
  return r.split(":").length > 5 || r.endsWith("*");
}

/**
 * Compiles a Resource/NotResource element. Wildcards match segment-wise like IAM; `*` alone
 * matches every resource, including "*" itself (actions without a resource). ARNs are
 * case-sensitive. With `variables`, `${aws:username}` and the like resolve per request.
 */
export function compileResources(v: unknown, path: string, variables: boolean): PatternMatcher {
  const list = stringList(v, path);
  const exact = new Set<string>();
  const patterns: PatternMatcher[] = [];
  list.forEach((r, i) => {
    const at = Array.isArray(v) ? `${path}[${i}]` : path;
    if (!isResourcePattern(r)) throw syntaxError(at, `"${r}" is not a resource: write an ARN (arn:aws:secretsmanager:region:account:secret:name) or "*"`);
    if (!hasWildcard(r) && !(variables && r.includes("${"))) exact.add(r);
    else patterns.push(compilePattern(r, { arn: true }, variables, at));
  });
  if (list.includes("*")) return () => true;
  if (patterns.length === 0) return (s) => exact.has(s);
  if (exact.size === 0 && patterns.length === 1) return patterns[0]!;
  return (s, req) => {
    if (exact.has(s)) return true;
    for (const p of patterns) if (p(s, req)) return true;
    return false;
  };
}
