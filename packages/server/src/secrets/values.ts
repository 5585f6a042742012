import { timingSafeEqual } from "node:crypto";
import { ServiceError } from "@keyshift/protocol";
import { bindings } from "../crypto/bindings.js";
import type { Sealed } from "../crypto/envelope.js";
import type { SecretsDeps } from "./context.js";
import type { SecretRecord, ValueKind, VersionRecord } from "./records.js";

/** A secret value in memory, only between the wire and the envelope. */
export interface PlainValue {
  kind: ValueKind;
  bytes: Buffer;
}

/** The value of a request (SecretString or SecretBinary, never both); undefined when it carries none. */
export function valueFromInput(input: { SecretString?: string; SecretBinary?: string }): PlainValue | undefined {
  const hasString = input.SecretString !== undefined && input.SecretString !== null;
  const hasBinary = input.SecretBinary !== undefined && input.SecretBinary !== null;
  if (hasString && hasBinary) {
    throw new ServiceError("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  if (hasString) return { kind: "string", bytes: Buffer.from(input.SecretString!, "utf8") };
  if (hasBinary) return { kind: "binary", bytes: Buffer.from(input.SecretBinary!, "base64") };
  return undefined;
}

export function valueOutput(v: PlainValue): { SecretString: string } | { SecretBinary: string } {
  return v.kind === "string" ? { SecretString: v.bytes.toString("utf8") } : { SecretBinary: v.bytes.toString("base64") };
}

export function sameValue(a: PlainValue, b: PlainValue): boolean {
  return a.kind === b.kind && a.bytes.length === b.bytes.length && timingSafeEqual(a.bytes, b.bytes);
}

/** The secret whose rows hold the versions: a replica reads its primary's. */
export function versionOwner(s: SecretRecord): string {
  return s.primaryUid ?? s.uid;
}

export function sealValue(deps: SecretsDeps, owner: SecretRecord, versionId: string, v: PlainValue): Promise<Sealed> {
  return deps.envelope.seal(v.bytes, bindings.secretValue.purpose, bindings.secretValue.bind(owner.accountId, owner.uid, versionId));
}

/** Decrypts a version of `owner` (the primary for a replica); undefined for a placeholder without a value. */
export async function openValue(deps: SecretsDeps, owner: { accountId: string; uid: string }, v: VersionRecord): Promise<PlainValue | undefined> {
  if (!v.sealed || !v.kind) return undefined;
  const bytes = await deps.envelope.open(v.sealed, bindings.secretValue.purpose, bindings.secretValue.bind(owner.accountId, owner.uid, v.versionId));
  return { kind: v.kind, bytes };
}
