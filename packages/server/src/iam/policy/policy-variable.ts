import { keyRef, lookup, type KeyRef } from "./context-key.js";
import { syntaxError } from "./policy-syntax-error.js";
import type { PatternPiece } from "./wildcard.js";
import type { EvalRequest } from "./types.js";

interface VariablePart {
  key: KeyRef;
  default: string | undefined;
}

/** Text holding `${...}` policy variables, split into wildcard text, literals and variables. */
export interface Template {
  readonly parts: readonly (PatternPiece | VariablePart)[];
}

const ESCAPES: Record<string, string> = { "*": "*", "?": "?", $: "$" };
const VARIABLE = /^\s*([^\s,'}]+)\s*(?:,\s*'([^']*)'\s*)?$/;

/**
 * Splits `text` on its policy variables, or returns undefined when it has none (then the text
 * is used as it is). Only 2012-10-17 documents have variables; older ones take `${` literally.
 */
export function parseTemplate(text: string, path: string): Template | undefined {
  if (!text.includes("${")) return undefined;
  const parts: (PatternPiece | VariablePart)[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf("${", from);
    if (open < 0) break;
    const close = text.indexOf("}", open);
    if (close < 0) throw syntaxError(path, `unterminated policy variable in "${text}"`);
    if (open > from) parts.push({ text: text.slice(from, open), wild: true });
    const inner = text.slice(open + 2, close);
    const escaped = ESCAPES[inner];
    if (escaped !== undefined) {
      parts.push({ text: escaped, wild: false });
    } else {
      const m = VARIABLE.exec(inner);
      if (!m || !/^[A-Za-z0-9-]+:[^:]/.test(m[1]!)) throw syntaxError(path, `invalid policy variable \${${inner}} in "${text}"`);
      parts.push({ key: keyRef(m[1]!), default: m[2] });
    }
    from = close + 1;
  }
  if (from < text.length) parts.push({ text: text.slice(from), wild: true });
  return { parts };
}

function valueOf(p: VariablePart, req: EvalRequest): string | undefined {
  const v = lookup(p.key, req);
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return p.default;
}

/**
 * The substituted values of a template's variables, as one string that identifies the
 * resolution (a cache key); undefined when a variable has no value and no default. A template
 * with one variable, the common case, allocates nothing.
 */
export function resolutionKey(t: Template, req: EvalRequest): string | undefined {
  let key: string | undefined;
  for (const p of t.parts) {
    if ("wild" in p) continue;
    const v = valueOf(p, req);
    if (v === undefined) return undefined;
    key = key === undefined ? v : `${key}\u0000${v}`;
  }
  return key ?? "";
}

/**
 * Substitutes the request's values: each becomes literal text (a `*` in a user name is not a
 * wildcard). Returns undefined when a variable has no value and no default: the pattern then
 * matches nothing. Multivalued keys can't be variables.
 */
export function resolveTemplate(t: Template, req: EvalRequest): PatternPiece[] | undefined {
  const out: PatternPiece[] = [];
  for (const p of t.parts) {
    if ("wild" in p) {
      out.push(p);
      continue;
    }
    const s = valueOf(p, req);
    if (s === undefined) return undefined;
    out.push({ text: s, wild: false });
  }
  return out;
}

/** The template's text with its variables substituted (for values compared whole). */
export function resolveText(t: Template, req: EvalRequest): string | undefined {
  let out = "";
  for (const p of t.parts) {
    if ("wild" in p) {
      out += p.text;
      continue;
    }
    const s = valueOf(p, req);
    if (s === undefined) return undefined;
    out += s;
  }
  return out;
}
