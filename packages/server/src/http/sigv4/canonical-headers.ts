/**
 * The CanonicalHeaders block (each line `name:value\n`) for the headers named in SignedHeaders,
 * in the order they are listed there, built from the headers exactly as received (node's
 * `rawHeaders`: alternating names and values). Names match case-insensitively against the
 * lower-case signed names; every value is trimmed with its inner runs of spaces and tabs
 * collapsed to one space; repeated headers are joined with `,` in arrival order. A signed header
 * that was not received yields `name:` (so the signature cannot match unless it was signed so).
 */
export function canonicalHeaders(rawHeaders: readonly string[], signedHeaders: readonly string[]): string {
  const values: (string | undefined)[] = new Array<string | undefined>(signedHeaders.length);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const at = signedHeaders.indexOf(rawHeaders[i]!.toLowerCase());
    if (at === -1) continue;
    const value = trimAll(rawHeaders[i + 1]!);
    const previous = values[at];
    values[at] = previous === undefined ? value : previous + "," + value;
  }
  let out = "";
  for (let at = 0; at < signedHeaders.length; at++) out += signedHeaders[at] + ":" + (values[at] ?? "") + "\n";
  return out;
}

const SPACE = 0x20;
const TAB = 0x09;

/**
 * SigV4's Trimall: leading and trailing spaces and tabs removed, each inner run of them replaced
 * by a single space (a lone tab too, as both @smithy/signature-v4 and botocore do). Returns the
 * input itself when it is already in that form.
 */
export function trimAll(value: string): string {
  if (isTrimmed(value)) return value;
  let out = "";
  let pendingSpace = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      pendingSpace = out.length > 0;
      continue;
    }
    if (pendingSpace) out += " ";
    pendingSpace = false;
    out += value[i];
  }
  return out;
}

function isTrimmed(value: string): boolean {
  let previousWasSpace = true; // so that a leading space fails the check
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === TAB) return false;
    if (c === SPACE) {
      if (previousWasSpace) return false;
      previousWasSpace = true;
    } else {
      previousWasSpace = false;
    }
  }
  return !previousWasSpace || value.length === 0;
}
