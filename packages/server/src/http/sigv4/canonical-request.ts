import { ALGORITHM } from "./authorization-header.js";
import { sha256Hex } from "./sha256.js";

/** The already-canonical pieces of a request, in the order the canonical request lists them. */
export interface CanonicalParts {
  method: string;
  uri: string;
  query: string;
  /** CanonicalHeaders block, each line ending in `\n`. */
  headers: string;
  signedHeadersLine: string;
  /** Lower-case hex SHA-256 of the body. */
  payloadHash: string;
}

/** Joins the parts into the SigV4 canonical request (the spec's six lines; headers end with a blank line). */
export function canonicalRequest(p: CanonicalParts): string {
  return p.method + "\n" + p.uri + "\n" + p.query + "\n" + p.headers + "\n" + p.signedHeadersLine + "\n" + p.payloadHash;
}

/**
 * The string to sign: algorithm, signing time (ISO-8601 basic), credential scope
 * (`YYYYMMDD/region/service/aws4_request`) and the hex SHA-256 of the canonical request.
 */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return ALGORITHM + "\n" + amzDate + "\n" + scope + "\n" + sha256Hex(canonical);
}
