import { syntaxError } from "./policy-syntax-error.js";
import { stringList } from "./string-list.js";
import { compileGlob, hasWildcard, type Matcher } from "./wildcard.js";

// A service prefix (no wildcard: IAM rejects "secrets*:Get*") and an action name pattern.
const ACTION = /^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/;

/**
 * Compiles an Action/NotAction element to a matcher over the lower-cased action name
 * ("secretsmanager:getsecretvalue"): action names are case-insensitive.
 */
export function compileActions(v: unknown, path: string): Matcher {
  const list = stringList(v, path);
  const exact = new Set<string>();
  const globs: Matcher[] = [];
  list.forEach((a, i) => {
    if (a !== "*" && !ACTION.test(a)) throw syntaxError(Array.isArray(v) ? `${path}[${i}]` : path, `"${a}" is not an action: write "service:Action" (wildcards * and ? allowed in the action name) or "*"`);
    if (!hasWildcard(a)) exact.add(a.toLowerCase());
    else globs.push(compileGlob(a, { folded: true }));
  });
  if (list.includes("*")) return () => true;
  if (globs.length === 0) {
    if (exact.size === 1) {
      const only = exact.values().next().value!;
      return (s) => s === only;
    }
    return (s) => exact.has(s);
  }
  if (exact.size === 0 && globs.length === 1) return globs[0]!;
  return (s) => {
    if (exact.has(s)) return true;
    for (const g of globs) if (g(s)) return true;
    return false;
  };
}
