import { ServiceError } from "./errors.js";

/**
 * Parses a JSON request body the way an AWS JSON 1.1 service does, refusing what `JSON.parse`
 * silently accepts: duplicate member names in an object (the last would win) and a top level
 * that is not an object. An empty body counts as `{}`. Errors are SerializationException.
 */
export function parseJsonBody(body: string): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new ServiceError("SerializationException", "Request body is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ServiceError("SerializationException", "Request body must be a JSON object.");
  }
  const dup = findDuplicateKey(body);
  if (dup !== undefined) throw new ServiceError("SerializationException", `Duplicate field '${dup.slice(0, 128)}' in request body.`);
  return value as Record<string, unknown>;
}

/**
 * Scans already-valid JSON for an object with a repeated key. Only structure is examined: string
 * contents are skipped with indexOf, so a body holding a large secret value costs little.
 */
export function findDuplicateKey(json: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  let expectKey = false;
  const n = json.length;
  while (i < n) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      for (;;) {
        const q = json.indexOf('"', j);
        if (q < 0) return undefined;
        let bs = 0;
        for (let k = q - 1; k > i && json.charCodeAt(k) === 0x5c; k--) bs++;
        if (bs % 2 === 0) {
          j = q;
          break;
        }
        j = q + 1;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const raw = json.slice(i + 1, j);
        const key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] != null;
    }
    i++;
  }
  return undefined;
}
