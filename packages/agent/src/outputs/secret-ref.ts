import type { SecretValue } from "../upstream/upstream.js";

/** A secret (and optionally one top-level key of its JSON value) that an output reads. */
export interface SecretRef {
  secretId: string;
  versionId?: string;
  versionStage?: string;
  jsonKey?: string;
}

/** Looks a secret up for rendering (through the agent's cache). Rejects like the upstream does. */
export type SecretSource = (ref: Omit<SecretRef, "jsonKey">) => Promise<SecretValue>;

/** Thrown when a value cannot be rendered; the message names the secret and key, never the value. */
export class RenderError extends Error {
  override name = "RenderError";
}

/** The bytes of a secret value: SecretString as UTF-8, SecretBinary decoded. */
export function valueBytes(v: SecretValue): Buffer {
  if (v.SecretString !== undefined) return Buffer.from(v.SecretString, "utf8");
  return Buffer.from(v.SecretBinary ?? "", "base64");
}

/** The top-level members of a JSON-object SecretString. */
export function jsonMembers(v: SecretValue, secretId: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = v.SecretString === undefined ? undefined : JSON.parse(v.SecretString);
  } catch {
    /* reported below */
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new RenderError(`secret ${JSON.stringify(secretId)} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** A JSON member as text: strings as they are, anything else as JSON. */
export function memberText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The bytes a ref designates: the whole value, or one key of its JSON object. */
export function refBytes(v: SecretValue, ref: SecretRef): Buffer {
  if (ref.jsonKey === undefined) return valueBytes(v);
  const members = jsonMembers(v, ref.secretId);
  if (!Object.hasOwn(members, ref.jsonKey)) throw new RenderError(`secret ${JSON.stringify(ref.secretId)} has no key ${JSON.stringify(ref.jsonKey)}`);
  return Buffer.from(memberText(members[ref.jsonKey]), "utf8");
}

/** The key a ref is fetched and cached under (the JSON key is applied afterwards). */
export function fetchKey(ref: Omit<SecretRef, "jsonKey">): string {
  return JSON.stringify([ref.secretId, ref.versionId ?? null, ref.versionStage ?? null]);
}
