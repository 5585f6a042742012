import { keyRef, lookup, type KeyRef } from "./context-key.js";
import { OPERATORS, takesVariables, type OperatorSpec, type Scalar } from "./condition-operator.js";
import { syntaxError } from "./policy-syntax-error.js";
import type { ContextValue, EvalRequest } from "./types.js";

/** A compiled Condition block: true when every operator and key in it holds for the request. */
export type ConditionTest = (req: EvalRequest) => boolean;

type Test = (prepared: unknown, req: EvalRequest) => boolean;

const KEY = /^[A-Za-z0-9-]+:\S.*$/;

function isMissing(v: ContextValue): boolean {
  return v === undefined || (Array.isArray(v) && v.length === 0);
}

function values(v: unknown, path: string): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw syntaxError(path, "must not be an empty array");
  return list.map((x, i) => {
    if (typeof x === "string") return x;
    if (typeof x === "number" || typeof x === "boolean") return String(x);
    throw syntaxError(Array.isArray(v) ? `${path}[${i}]` : path, "must be a string, number or boolean");
  });
}

/** Null: "true" holds when the key is absent (or an empty list), "false" when it is present. */
function nullClause(key: KeyRef, vals: string[], path: string): ConditionTest {
  const want = vals.map((v) => {
    const b = v.toLowerCase();
    if (b !== "true" && b !== "false") throw syntaxError(path, `"${v}" is not a boolean (true or false)`);
    return b === "true";
  });
  const whenMissing = want.includes(true);
  const whenPresent = want.includes(false);
  return (req) => (isMissing(lookup(key, req)) ? whenMissing : whenPresent);
}

type Qualifier = "" | "ForAnyValue" | "ForAllValues";

/**
 * One key under one operator, with AWS semantics: the policy's values are ORed; a negated
 * operator holds when no value matches; a missing key fails a positive operator and passes a
 * negated one (IfExists: passes); ForAnyValue fails on a missing key, ForAllValues passes.
 * A multivalued request key without a qualifier matches when any of its values does.
 */
function clause(op: OperatorSpec, qualifier: Qualifier, ifExists: boolean, key: KeyRef, tests: Test[]): ConditionTest {
  const negated = op.negated;
  const prepare = op.prepare;
  const matchOne = (r: Scalar, req: EvalRequest): boolean => {
    const p = prepare(r);
    if (p === undefined) return false;
    for (const t of tests) if (t(p, req)) return true;
    return false;
  };
  const onMissing = ifExists || qualifier === "ForAllValues" || (qualifier === "" && negated);
  if (qualifier === "") {
    return (req) => {
      const v = lookup(key, req);
      if (isMissing(v)) return onMissing;
      let any = false;
      if (Array.isArray(v)) {
        for (const r of v as readonly string[]) if (matchOne(r, req)) { any = true; break; }
      } else any = matchOne(v as Scalar, req);
      return negated ? !any : any;
    };
  }
  const all = qualifier === "ForAllValues";
  return (req) => {
    const v = lookup(key, req);
    if (isMissing(v)) return onMissing;
    const list: readonly Scalar[] = Array.isArray(v) ? v : [v as Scalar];
    for (const r of list) {
      const ok = matchOne(r, req) !== negated;
      if (all && !ok) return false;
      if (!all && ok) return true;
    }
    return all;
  };
}

function parseOperator(name: string, path: string): { qualifier: Qualifier; base: string; ifExists: boolean } {
  let rest = name;
  let qualifier: Qualifier = "";
  const colon = name.indexOf(":");
  if (colon >= 0) {
    const q = name.slice(0, colon);
    if (q !== "ForAnyValue" && q !== "ForAllValues") throw syntaxError(path, `unknown set qualifier ${q} in ${name} (use ForAnyValue or ForAllValues)`);
    qualifier = q;
    rest = name.slice(colon + 1);
  }
  const ifExists = rest.endsWith("IfExists") && rest !== "IfExists";
  const base = ifExists ? rest.slice(0, -"IfExists".length) : rest;
  if (base === "Null") {
    if (qualifier || ifExists) throw syntaxError(path, `unknown operator ${name}: Null takes no set qualifier and no IfExists`);
  } else if (!OPERATORS.has(base)) throw syntaxError(path, `unknown operator ${name}`);
  return { qualifier, base, ifExists };
}

/** Compiles a statement's Condition element; `variables` when the document is 2012-10-17. */
export function compileCondition(v: unknown, path: string, variables: boolean): ConditionTest {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw syntaxError(path, "must be an object of operators");
  const clauses: ConditionTest[] = [];
  for (const [name, body] of Object.entries(v as Record<string, unknown>)) {
    const { qualifier, base, ifExists } = parseOperator(name, path);
    const at = `${path}.${name}`;
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw syntaxError(at, `must be an object of condition keys, e.g. {"aws:SourceIp": "10.0.0.0/8"}`);
    const entries = Object.entries(body as Record<string, unknown>);
    if (entries.length === 0) throw syntaxError(at, "must name at least one condition key");
    for (const [k, raw] of entries) {
      if (!KEY.test(k)) throw syntaxError(at, `"${k}" is not a condition key (write service:name, e.g. aws:SourceIp)`);
      const key = keyRef(k);
      const vals = values(raw, `${at}.${k}`);
      if (base === "Null") {
        clauses.push(nullClause(key, vals, `${at}.${k}`));
        continue;
      }
      const op = OPERATORS.get(base)!;
      const vars = variables && takesVariables(base);
      const tests = vals.map((x, i) => op.compile(x, Array.isArray(raw) ? `${at}.${k}[${i}]` : `${at}.${k}`, vars) as Test);
      clauses.push(clause(op, qualifier, ifExists, key, tests));
    }
  }
  if (clauses.length === 0) return () => true;
  if (clauses.length === 1) return clauses[0]!;
  return (req) => {
    for (const c of clauses) if (!c(req)) return false;
    return true;
  };
}
