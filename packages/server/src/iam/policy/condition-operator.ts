import { parseDate, type Scalar } from "./date-value.js";
import { cidrContains, parseCidr, parseIp, type IpAddress } from "./ip-address.js";
import { compilePattern, compileValue } from "./pattern.js";
import { syntaxError } from "./policy-syntax-error.js";
import type { EvalRequest } from "./types.js";

export type { Scalar };

/**
 * A condition operator without its set qualifier and IfExists suffix. `prepare` converts a
 * request value once (undefined: it can't match, e.g. "abc" for a numeric operator);
 * `compile` turns one policy value into a test. A negated operator is the negation of the
 * positive test over all its values.
 */
export interface OperatorSpec {
  negated: boolean;
  prepare: (r: Scalar) => unknown;
  compile: (value: string, path: string, variables: boolean) => (prepared: never, req: EvalRequest) => boolean;
}

const asString = (r: Scalar) => (typeof r === "string" ? r : String(r));
const asFolded = (r: Scalar) => asString(r).toLowerCase();

function stringEquals(value: string, path: string, variables: boolean) {
  if (!value.includes("${") || !variables) return (r: string) => r === value;
  const v = compileValue(value, variables, path);
  return (r: string, req: EvalRequest) => r === v(req);
}

function stringEqualsIgnoreCase(value: string, path: string, variables: boolean) {
  const folded = value.toLowerCase();
  if (!value.includes("${") || !variables) return (r: string) => r === folded;
  const v = compileValue(value, variables, path);
  return (r: string, req: EvalRequest) => r === v(req)?.toLowerCase();
}

const like = (arn: boolean) => (value: string, path: string, variables: boolean) => {
  const m = compilePattern(value, { arn }, variables, path);
  return (r: string, req: EvalRequest) => m(r, req);
};

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function prepareNumber(r: Scalar): number | undefined {
  if (typeof r === "number") return r;
  return typeof r === "string" && NUMBER.test(r.trim()) ? Number(r) : undefined;
}

const numeric = (cmp: (a: number, b: number) => boolean) => (value: string, path: string) => {
  const n = prepareNumber(value);
  if (n === undefined) throw syntaxError(path, `"${value}" is not a number`);
  return (r: number) => cmp(r, n);
};

const date = (cmp: (a: number, b: number) => boolean) => (value: string, path: string) => {
  const t = parseDate(value);
  if (t === undefined) throw syntaxError(path, `"${value}" is not a date (ISO 8601 such as 2026-01-31T12:00:00Z, or epoch seconds)`);
  return (r: number) => cmp(r, t);
};

function prepareBool(r: Scalar): boolean | undefined {
  if (typeof r === "boolean") return r;
  const s = String(r).toLowerCase();
  return s === "true" ? true : s === "false" ? false : undefined;
}

function bool(value: string, path: string) {
  const b = prepareBool(value);
  if (b === undefined) throw syntaxError(path, `"${value}" is not a boolean (true or false)`);
  return (r: boolean) => r === b;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const prepareBinary = (r: Scalar) => (typeof r === "string" && BASE64.test(r) ? Buffer.from(r, "base64").toString("base64") : undefined);

function binary(value: string, path: string) {
  const b = prepareBinary(value);
  if (b === undefined) throw syntaxError(path, `"${value}" is not base64`);
  return (r: string) => r === b;
}

function ipAddress(value: string, path: string) {
  const c = parseCidr(value);
  if (!c) throw syntaxError(path, `"${value}" is not an IP address or CIDR block`);
  return (r: IpAddress) => cidrContains(c, r);
}

let lastIpText = "";
let lastIp: IpAddress | undefined;
// Memoized like parseDate: the caller's address is tested by several statements per request.
function prepareIp(r: Scalar): IpAddress | undefined {
  if (typeof r !== "string") return undefined;
  if (r !== lastIpText) {
    lastIp = parseIp(r.trim());
    lastIpText = r;
  }
  return lastIp;
}

const spec = (negated: boolean, prepare: OperatorSpec["prepare"], compile: (v: string, p: string, vars: boolean) => (r: never, req: EvalRequest) => boolean): OperatorSpec => ({ negated, prepare, compile });

const eq = (a: number, b: number) => a === b;
const lt = (a: number, b: number) => a < b;
const le = (a: number, b: number) => a <= b;
const gt = (a: number, b: number) => a > b;
const ge = (a: number, b: number) => a >= b;

/** Every operator of the IAM condition language except Null (see condition.ts), by name. */
export const OPERATORS: ReadonlyMap<string, OperatorSpec> = new Map([
  ["StringEquals", spec(false, asString, stringEquals)],
  ["StringNotEquals", spec(true, asString, stringEquals)],
  ["StringEqualsIgnoreCase", spec(false, asFolded, stringEqualsIgnoreCase)],
  ["StringNotEqualsIgnoreCase", spec(true, asFolded, stringEqualsIgnoreCase)],
  ["StringLike", spec(false, asString, like(false))],
  ["StringNotLike", spec(true, asString, like(false))],
  ["ArnEquals", spec(false, asString, like(true))],
  ["ArnLike", spec(false, asString, like(true))],
  ["ArnNotEquals", spec(true, asString, like(true))],
  ["ArnNotLike", spec(true, asString, like(true))],
  ["NumericEquals", spec(false, prepareNumber, numeric(eq))],
  ["NumericNotEquals", spec(true, prepareNumber, numeric(eq))],
  ["NumericLessThan", spec(false, prepareNumber, numeric(lt))],
  ["NumericLessThanEquals", spec(false, prepareNumber, numeric(le))],
  ["NumericGreaterThan", spec(false, prepareNumber, numeric(gt))],
  ["NumericGreaterThanEquals", spec(false, prepareNumber, numeric(ge))],
  ["DateEquals", spec(false, parseDate, date(eq))],
  ["DateNotEquals", spec(true, parseDate, date(eq))],
  ["DateLessThan", spec(false, parseDate, date(lt))],
  ["DateLessThanEquals", spec(false, parseDate, date(le))],
  ["DateGreaterThan", spec(false, parseDate, date(gt))],
  ["DateGreaterThanEquals", spec(false, parseDate, date(ge))],
  ["Bool", spec(false, prepareBool, bool)],
  ["BinaryEquals", spec(false, prepareBinary, binary)],
  ["IpAddress", spec(false, prepareIp, ipAddress)],
  ["NotIpAddress", spec(true, prepareIp, ipAddress)],
]);

/** Operators whose values may hold policy variables. */
export function takesVariables(name: string): boolean {
  return name.startsWith("String") || name.startsWith("Arn");
}
