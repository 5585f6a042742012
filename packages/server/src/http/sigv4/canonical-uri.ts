import { encodePath } from "./percent-encoding.js";

/**
 * The CanonicalURI line of a non-S3 request, computed from the path exactly as it arrived
 * (still percent-encoded): empty and `.` segments are dropped, `..` removes the segment before
 * it (never climbing above the root), a leading and a trailing `/` are kept, and the result is
 * URI-encoded once more. This is what @smithy/signature-v4 and botocore sign, so a path like
 * `/a%20b//./c/` canonicalises to `/a%2520b/c/`. An empty path canonicalises to `/`.
 */
export function canonicalUri(path: string): string {
  if (path === "/" || path === "") return "/";
  return encodePath(needsNormalizing(path) ? removeDotSegments(path) : path);
}

/** True when the path holds an empty, `.` or `..` segment (a `/` followed by `/` or `.`). */
function needsNormalizing(path: string): boolean {
  for (let i = path.indexOf("/"); i !== -1 && i + 1 < path.length; i = path.indexOf("/", i + 1)) {
    const next = path.charCodeAt(i + 1);
    if (next === 0x2f || next === 0x2e) return true;
  }
  return path.charCodeAt(0) === 0x2e;
}

function removeDotSegments(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const lead = path.startsWith("/") ? "/" : "";
  const trail = segments.length > 0 && path.endsWith("/") ? "/" : "";
  return lead + segments.join("/") + trail;
}
