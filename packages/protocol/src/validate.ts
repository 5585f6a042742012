import { ServiceError } from "./errors.js";
import { shapes } from "./model.generated.js";
import type { Shape } from "./model-types.js";

const MAX_REPORTED = 10;
const patternCache = new Map<string, RegExp>();
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Member names as AWS (Coral) writes them in validation messages: first letter lower-cased. */
function memberPath(parent: string, member: string): string {
  const m = member.charAt(0).toLowerCase() + member.slice(1);
  return parent ? `${parent}.${m}` : m;
}

const memberLists = new Map<string, [member: string, shape: string][]>();
function membersOf(name: string, shape: Shape): [string, string][] {
  let l = memberLists.get(name);
  if (!l) memberLists.set(name, (l = Object.entries(shape.members ?? {})));
  return l;
}

function shapeOf(name: string): Shape {
  const s = shapes[name];
  if (!s) throw new Error(`unknown shape ${name}`);
  return s;
}

function typeName(v: unknown): string {
  if (v === null) return "VALUE_NULL";
  if (Array.isArray(v)) return "START_ARRAY";
  switch (typeof v) {
    case "string": return "VALUE_STRING";
    case "number": return Number.isInteger(v) ? "VALUE_NUMBER_INT" : "VALUE_NUMBER_FLOAT";
    case "boolean": return v ? "VALUE_TRUE" : "VALUE_FALSE";
    default: return "START_OBJECT";
  }
}

function serialization(expected: string, v: unknown, path: string): ServiceError {
  return new ServiceError("SerializationException", `Unexpected token ${typeName(v)} at '${path || "body"}': expected ${expected}`);
}

/**
 * Byte length for secret values (AWS quotes the 65,536 limit in bytes), code points for other strings
 * (Smithy's definition of string length).
 */
function stringLength(shapeName: string, v: string): number {
  if (shapeName === "SecretStringType") return Buffer.byteLength(v, "utf8");
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < v.length) i++;
    n++;
  }
  return n;
}

class Collector {
  readonly problems: string[] = [];
  add(shape: Shape, v: unknown, path: string, constraint: string): void {
    const shown = shape.sensitive ? "Value" : v === undefined ? "Value null" : `Value '${display(v)}'`;
    this.problems.push(`${shown} at '${path}' failed to satisfy constraint: ${constraint}`);
  }
}

function display(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => display(x)).join(", ")}]`;
  if (typeof v === "object" && v !== null) return "{...}";
  const s = String(v);
  return s.length > 256 ? `${s.slice(0, 256)}...` : s;
}

function check(shapeName: string, v: unknown, path: string, out: Collector): void {
  const shape = shapeOf(shapeName);
  switch (shape.type) {
    case "structure": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw serialization("an object", v, path);
      const obj = v as Record<string, unknown>;
      for (const req of shape.required ?? []) {
        if (obj[req] === undefined || obj[req] === null) out.add(shapeOf(shape.members![req]!), undefined, memberPath(path, req), "Member must not be null");
      }
      for (const [m, target] of membersOf(shapeName, shape)) {
        const mv = obj[m];
        // AWS reads an explicit null as an absent member; drop it so operations never see it.
        if (mv === null) delete obj[m];
        if (mv === undefined || mv === null) continue;
        check(target, mv, memberPath(path, m), out);
      }
      return;
    }
    case "string": {
      if (typeof v !== "string") throw serialization("a string", v, path);
      if (shape.enum && !shape.enum.includes(v)) {
        out.add(shape, v, path, `Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
        return;
      }
      const len = stringLength(shapeName, v);
      if (shape.min !== undefined && len < shape.min) out.add(shape, v, path, `Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && len > shape.max) out.add(shape, v, path, `Member must have length less than or equal to ${shape.max}`);
      if (shape.pattern) {
        let re = patternCache.get(shape.pattern);
        if (!re) patternCache.set(shape.pattern, (re = new RegExp(shape.pattern)));
        if (!re.test(v)) out.add(shape, v, path, `Member must satisfy regular expression pattern: ${shape.pattern}`);
      }
      return;
    }
    case "long":
    case "integer": {
      if (typeof v !== "number" || !Number.isInteger(v)) throw serialization("an integer", v, path);
      if (shape.min !== undefined && v < shape.min) out.add(shape, v, path, `Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && v > shape.max) out.add(shape, v, path, `Member must have value less than or equal to ${shape.max}`);
      return;
    }
    case "boolean":
      if (typeof v !== "boolean") throw serialization("a boolean", v, path);
      return;
    case "timestamp":
      if (typeof v !== "number") throw serialization("a timestamp", v, path);
      return;
    case "blob": {
      if (typeof v !== "string" || !BASE64.test(v)) throw serialization("a base64-encoded blob", typeof v === "string" ? 0 : v, path);
      const len = Buffer.byteLength(v, "base64");
      if (shape.min !== undefined && len < shape.min) out.add(shape, v, path, `Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && len > shape.max) out.add(shape, v, path, `Member must have length less than or equal to ${shape.max}`);
      return;
    }
    case "list": {
      if (!Array.isArray(v)) throw serialization("an array", v, path);
      if (shape.min !== undefined && v.length < shape.min) out.add(shape, v, path, `Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && v.length > shape.max) out.add(shape, v, path, `Member must have length less than or equal to ${shape.max}`);
      v.forEach((item, i) => {
        if (item === null || item === undefined) throw serialization("a list member", item, `${path}.${i + 1}.member`);
        check(shape.member!, item, `${path}.${i + 1}.member`, out);
      });
      return;
    }
    case "map": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw serialization("an object", v, path);
      for (const [k, mv] of Object.entries(v)) {
        check(shape.key!, k, `${path}.${k}.key`, out);
        check(shape.value!, mv, `${path}.${k}.value`, out);
      }
      return;
    }
  }
}

/**
 * Checks `input` against the model's input shape `shapeName` and returns it typed, with
 * explicit nulls removed (AWS treats `"Member": null` as an absent member).
 * Wrong JSON types → SerializationException; constraint violations → one ValidationException
 * listing them the way AWS does ("N validation errors detected: ...; ..."). Values of sensitive
 * members are never echoed.
 */
export function validateInput<T>(shapeName: string, input: unknown): T {
  const out = new Collector();
  check(shapeName, input, "", out);
  const n = out.problems.length;
  if (n > 0) {
    const head = n === 1 ? "1 validation error detected: " : `${n} validation errors detected: `;
    throw new ServiceError("ValidationException", head + out.problems.slice(0, MAX_REPORTED).join("; "));
  }
  return input as T;
}
