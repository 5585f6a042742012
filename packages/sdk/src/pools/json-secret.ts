import type { SecretVersion } from "../rotation-aware.js";

/** The SecretString parsed as JSON (a secret without a string value, or not JSON, throws without quoting it). */
export function parseJsonSecret<T = Record<string, unknown>>(v: SecretVersion): T {
  if (v.SecretString === undefined) throw new Error(`secret ${v.Name} (version ${v.VersionId}) has no SecretString`);
  try {
    return JSON.parse(v.SecretString) as T;
  } catch {
    throw new Error(`secret ${v.Name} (version ${v.VersionId}) is not JSON`);
  }
}
