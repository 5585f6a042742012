import { SecretsError } from "./errors.js";

/**
 * One version of a secret as the application sees it: the GetSecretValue answer with
 * `SecretBinary` decoded (a Buffer at run time) and `CreatedDate` as a Date. `stale` is true
 * when the value was served from the cache because the upstream failed (stale-if-error).
 * Cached values are shared between callers and frozen: treat them as read-only.
 */
export interface SecretValue {
  ARN: string;
  Name: string;
  VersionId: string;
  SecretString?: string;
  SecretBinary?: Uint8Array;
  VersionStages: string[];
  CreatedDate?: Date;
  stale?: boolean;
}

/** A GetSecretValue answer as it arrives: `CreatedDate` in epoch seconds, or a string from the agent. */
export interface WireSecretValue {
  ARN?: string;
  Name?: string;
  VersionId?: string;
  SecretString?: string;
  SecretBinary?: string;
  VersionStages?: string[];
  CreatedDate?: number | string;
}

/** Epoch seconds (number or numeric string) or an ISO 8601 string, as a Date; undefined when absent or unreadable. */
function parseCreatedDate(d: unknown): Date | undefined {
  let ms = NaN;
  if (typeof d === "number") ms = Math.round(d * 1000);
  else if (typeof d === "string") ms = /^\d+(\.\d+)?$/.test(d.trim()) ? Math.round(Number(d) * 1000) : Date.parse(d);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/** Converts a wire answer to a frozen value; an answer without ARN, Name or VersionId is an `InvalidResponse`. */
export function secretValueFromWire(w: WireSecretValue): SecretValue {
  if (typeof w.ARN !== "string" || typeof w.Name !== "string" || typeof w.VersionId !== "string") {
    throw new SecretsError("InvalidResponse", "GetSecretValue answer without ARN, Name or VersionId", { status: 200, retryable: true });
  }
  const created = parseCreatedDate(w.CreatedDate);
  return Object.freeze({
    ARN: w.ARN,
    Name: w.Name,
    VersionId: w.VersionId,
    ...(typeof w.SecretString === "string" ? { SecretString: w.SecretString } : {}),
    ...(typeof w.SecretBinary === "string" ? { SecretBinary: Buffer.from(w.SecretBinary, "base64") } : {}),
    VersionStages: Object.freeze(Array.isArray(w.VersionStages) ? w.VersionStages.filter((x) => typeof x === "string") : []) as string[],
    ...(created ? { CreatedDate: created } : {}),
  });
}

/** The value's SecretString parsed as JSON; `SecretNotJson` when it is binary or not JSON (the message names the secret, never the value). */
export function parseSecretJson<T>(v: SecretValue): T {
  if (v.SecretString === undefined) throw new SecretsError("SecretNotJson", `secret ${v.Name} (version ${v.VersionId}) has a binary value, not a JSON string`);
  try {
    return JSON.parse(v.SecretString) as T;
  } catch {
    throw new SecretsError("SecretNotJson", `secret ${v.Name} (version ${v.VersionId}) is not valid JSON`);
  }
}
