import { syntaxError } from "./policy-syntax-error.js";
import { compileStatement, type CompiledStatement, type PolicyKind } from "./statement.js";

/** A checked policy document, compiled to closures; immutable and shareable. */
export interface CompiledPolicy {
  readonly text: string;
  readonly kind: PolicyKind;
  /** Some statement has a Condition or a policy variable: evaluation may call `context`. */
  readonly hasConditions: boolean;
  readonly version: "2012-10-17" | "2008-10-17";
  readonly statements: readonly CompiledStatement[];
  /** The statements whose Action/NotAction covers `action` (any case), in document order. */
  readonly statementsFor: (action: string) => readonly CompiledStatement[];
}

// Requests use a few dozen action names: index the statements by action on first use.
const ACTION_INDEX_LIMIT = 256;

function actionIndex(statements: readonly CompiledStatement[]): (action: string) => readonly CompiledStatement[] {
  const index = new Map<string, readonly CompiledStatement[]>();
  return (action) => {
    let hit = index.get(action);
    if (hit === undefined) {
      const folded = action.toLowerCase();
      hit = statements.filter((s) => s.action(folded));
      if (index.size < ACTION_INDEX_LIMIT) index.set(action, hit);
    }
    return hit;
  };
}

const TOP = new Set(["Version", "Id", "Statement"]);
const CACHE_LIMIT = 1000;
// One map per kind, keyed by the text itself: V8 caches a string's hash, so a caller passing
// the same stored string again pays no rehashing of a long document.
const caches: Record<PolicyKind, Map<string, CompiledPolicy>> = { identity: new Map(), resource: new Map() };

function parse(text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw syntaxError("", `the document is not valid JSON (${(e as Error).message})`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw syntaxError("", "the document must be a JSON object");
  return doc as Record<string, unknown>;
}

function build(text: string, kind: PolicyKind): CompiledPolicy {
  const d = parse(text);
  for (const k of Object.keys(d)) if (!TOP.has(k)) throw syntaxError("", `unknown field ${k} (a policy has Version, Id and Statement)`);
  // Without a Version, IAM reads the document as 2008-10-17, where `${...}` is literal text.
  const version = d.Version ?? "2008-10-17";
  if (version !== "2012-10-17" && version !== "2008-10-17") throw syntaxError("Version", `must be "2012-10-17" or "2008-10-17", not ${JSON.stringify(d.Version)}`);
  if (d.Id !== undefined && typeof d.Id !== "string") throw syntaxError("Id", "must be a string");
  if (d.Statement === undefined) throw syntaxError("", "Statement is missing");
  const list: unknown[] = Array.isArray(d.Statement) ? d.Statement : [d.Statement];
  if (list.length === 0) throw syntaxError("Statement", "must not be empty");
  const variables = version === "2012-10-17";
  const sids = new Set<string>();
  const statements = list.map((s, i) => {
    const c = compileStatement(s, `Statement[${i}]`, kind, variables);
    if (c.sid !== undefined && c.sid !== "") {
      if (sids.has(c.sid)) throw syntaxError(`Statement[${i}].Sid`, `duplicate Sid "${c.sid}": statement ids must be unique`);
      sids.add(c.sid);
    }
    return c;
  });
  const hasConditions = statements.some((s) => s.condition !== undefined) || (variables && text.includes("${"));
  return Object.freeze({ text, kind, hasConditions, version, statements: Object.freeze(statements), statementsFor: actionIndex(statements) });
}

/**
 * Parses, checks and compiles a policy document. Identity policies must not name a Principal;
 * resource policies must, in every statement. Throws PolicySyntaxError naming the first problem.
 * Results are memoized by (kind, text) in a bounded cache (the oldest entry goes first: a hit
 * stays a bare Map lookup), so callers may compile the stored text on every request.
 */
export function compilePolicy(text: string, kind: PolicyKind): CompiledPolicy {
  const cache = caches[kind];
  const hit = cache.get(text);
  if (hit) return hit;
  const compiled = build(text, kind);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(text, compiled);
  return compiled;
}
