import { parseTemplate, resolutionKey, resolveTemplate, resolveText } from "./policy-variable.js";
import type { EvalRequest } from "./types.js";
import { compileGlob, compilePieces, type GlobOptions, type Matcher } from "./wildcard.js";

/** A pattern that may hold policy variables: it needs the request to resolve them. */
export type PatternMatcher = (s: string, req: EvalRequest) => boolean;

/** Distinct resolutions kept per pattern (one per user name, typically). */
const RESOLVED_CACHE = 256;

/**
 * Compiles a wildcard pattern; with `variables`, its `${...}` are resolved per request and the
 * resulting matcher cached per resolution, so steady traffic builds no RegExp.
 */
export function compilePattern(text: string, o: GlobOptions, variables: boolean, path: string): PatternMatcher {
  const t = variables ? parseTemplate(text, path) : undefined;
  if (!t) {
    return compileGlob(text, o);
  }
  const cache = new Map<string, Matcher>();
  return (s, req) => {
    const key = resolutionKey(t, req);
    if (key === undefined) return false;
    let m = cache.get(key);
    if (!m) {
      if (cache.size >= RESOLVED_CACHE) cache.delete(cache.keys().next().value!);
      m = compilePieces(resolveTemplate(t, req)!, o);
      cache.set(key, m);
    }
    return m(s);
  };
}

/** Like compilePattern for values compared whole (StringEquals): resolves to one string. */
export function compileValue(text: string, variables: boolean, path: string): (req: EvalRequest) => string | undefined {
  const t = variables ? parseTemplate(text, path) : undefined;
  if (!t) return () => text;
  return (req) => resolveText(t, req);
}
