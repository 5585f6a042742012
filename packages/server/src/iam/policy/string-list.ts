import { syntaxError } from "./policy-syntax-error.js";

/** An element that takes a string or a non-empty array of strings, as a list. */
export function stringList(v: unknown, path: string): string[] {
  if (typeof v === "string") return [v];
  if (!Array.isArray(v)) throw syntaxError(path, "must be a string or an array of strings");
  if (v.length === 0) throw syntaxError(path, "must not be an empty array");
  v.forEach((x, i) => {
    if (typeof x !== "string") throw syntaxError(`${path}[${i}]`, "must be a string");
  });
  return v as string[];
}
