import { ServiceError } from "@keyshift/protocol";

/** NextToken values: base64url JSON. Opaque to callers; every field is checked on the way back in. */
export function encodeToken(v: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(v), "utf8").toString("base64url");
}

export function decodeToken(token: string): Record<string, unknown> {
  try {
    const v = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new ServiceError("InvalidNextTokenException", "The NextToken value is invalid.");
}
