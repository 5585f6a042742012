import type { ContextValue, EvalRequest } from "./types.js";

/** A condition key or variable name as written, with what is needed to look it up cheaply. */
export interface KeyRef {
  readonly name: string;
  readonly lower: string;
  readonly fallback: ((req: EvalRequest) => ContextValue) | undefined;
}

const TAG = "aws:principaltag/";

function principalTag(req: EvalRequest, tagKey: string): string | undefined {
  const tags = req.principal.tags;
  if (!tags) return undefined;
  const exact = tags[tagKey];
  if (exact !== undefined) return exact;
  // Tag keys in condition keys are case-insensitive, like the key names.
  for (const k of Object.keys(tags)) if (k.toLowerCase() === tagKey) return tags[k];
  return undefined;
}

function fallbackFor(lower: string): KeyRef["fallback"] {
  switch (lower) {
    case "aws:username": return (r) => r.principal.username;
    case "aws:principalarn": return (r) => r.principal.arn;
    case "aws:principalaccount": return (r) => r.principal.account;
    case "aws:resourceaccount": return (r) => r.resourceAccount;
  }
  if (lower.startsWith(TAG)) {
    const tagKey = lower.slice(TAG.length);
    return (r) => principalTag(r, tagKey);
  }
  return undefined;
}

export function keyRef(name: string): KeyRef {
  const lower = name.toLowerCase();
  return { name, lower, fallback: fallbackFor(lower) };
}

/** The request's value for a key: the context first, then what the principal itself tells. */
export function lookup(ref: KeyRef, req: EvalRequest): ContextValue {
  const v = req.context(ref.name);
  return v === undefined && ref.fallback ? ref.fallback(req) : v;
}

/** A case-insensitive `EvalRequest.context` over a plain record (tests, simple callers). */
export function contextFromRecord(record: Readonly<Record<string, ContextValue>>): EvalRequest["context"] {
  const exact = new Map<string, ContextValue>(Object.entries(record));
  const folded = new Map<string, ContextValue>();
  for (const [k, v] of exact) folded.set(k.toLowerCase(), v);
  // Policies mostly spell keys as documented: try that before folding case.
  return (key) => exact.get(key) ?? folded.get(key.toLowerCase());
}
