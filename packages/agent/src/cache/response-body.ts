import type { SecretValue } from "../upstream/upstream.js";

/**
 * The body the AWS agent answers with, built once per cached version: GetSecretValue's fields
 * in its order, without the ones that are absent, and `CreatedDate` as a string of epoch seconds
 * with their fraction (its `TimestampSecondsWithFrac<String>`: `"1729509676.851"`).
 */
export function responseBody(v: SecretValue): Buffer {
  const out: Record<string, unknown> = { ARN: v.ARN, Name: v.Name, VersionId: v.VersionId };
  if (v.SecretString !== undefined) out.SecretString = v.SecretString;
  if (v.SecretBinary !== undefined) out.SecretBinary = v.SecretBinary;
  out.VersionStages = v.VersionStages ?? [];
  if (v.CreatedDate !== undefined && v.CreatedDate !== null) out.CreatedDate = String(v.CreatedDate);
  return Buffer.from(JSON.stringify(out), "utf8");
}
