import { canonicalQueryComponent } from "./percent-encoding.js";

/**
 * The CanonicalQueryString line, from the raw query (the part of the request target after `?`,
 * without the `?`): each `&`-separated pair is split at its first `=` (a bare `name` means
 * `name=`), both halves are decoded and re-encoded per RFC 3986 (`+` meaning a space), and the
 * pairs are sorted by encoded name, then by encoded value, and joined with `&`. Empty pairs
 * (`a=1&&b=2`) are ignored. Never throws.
 */
export function canonicalQuery(rawQuery: string): string {
  if (rawQuery === "") return "";
  const pairs: QueryPair[] = [];
  let start = 0;
  while (start <= rawQuery.length) {
    let end = rawQuery.indexOf("&", start);
    if (end === -1) end = rawQuery.length;
    if (end > start) pairs.push(toPair(rawQuery.slice(start, end)));
    start = end + 1;
  }
  if (pairs.length > 1) pairs.sort(byNameThenValue);
  let out = "";
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    out += (i === 0 ? "" : "&") + pair.name + "=" + pair.value;
  }
  return out;
}

interface QueryPair {
  name: string;
  value: string;
}

function toPair(raw: string): QueryPair {
  const eq = raw.indexOf("=");
  if (eq === -1) return { name: canonicalQueryComponent(raw), value: "" };
  return { name: canonicalQueryComponent(raw.slice(0, eq)), value: canonicalQueryComponent(raw.slice(eq + 1)) };
}

// Code-unit order equals byte order here: every canonical component is ASCII.
function byNameThenValue(a: QueryPair, b: QueryPair): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return 0;
}
