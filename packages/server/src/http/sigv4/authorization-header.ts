import { authErrors, type IncompletePart } from "./auth-errors.js";

/** The only algorithm accepted: HMAC-SHA256 signatures (not SigV4a's ECDSA). */
export const ALGORITHM = "AWS4-HMAC-SHA256";

/** The parts of an `AWS4-HMAC-SHA256` Authorization header, as written by the client. */
export interface ParsedAuthorization {
  accessKeyId: string;
  /** The four scope elements after the access key: `YYYYMMDD/region/service/aws4_request`. */
  scope: string;
  scopeDate: string;
  region: string;
  service: string;
  terminator: string;
  /** The SignedHeaders value verbatim, for the canonical request's SignedHeaders line. */
  signedHeadersLine: string;
  signedHeaders: string[];
  /** Provided signature; compared in constant time, never logged or echoed. */
  signature: string;
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request,
 * SignedHeaders=a;b, Signature=hex` (separators `,` with optional spaces; parameter names are
 * case-sensitive as in AWS). `hasDate` says whether X-Amz-Date or Date was received, so that a
 * missing date is reported together with missing parameters, as AWS does. Throws an
 * IncompleteSignatureException for another algorithm, an absent or empty parameter, or a
 * Credential that is not five non-empty `/`-separated elements. Checks no scope values.
 */
export function parseAuthorization(header: string, hasDate: boolean): ParsedAuthorization {
  const space = header.indexOf(" ");
  const algorithm = space === -1 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM && algorithm.startsWith("AWS4-")) throw authErrors.unsupportedAlgorithm(algorithm);

  let credential = "";
  let signedHeaders = "";
  let signature = "";
  // One pass over `name=value` parts separated by commas; parts without `=` are skipped.
  for (let start = space + 1; algorithm === ALGORITHM && start < header.length; ) {
    let end = header.indexOf(",", start);
    if (end === -1) end = header.length;
    const eq = header.indexOf("=", start);
    if (eq !== -1 && eq < end) {
      const name = header.slice(start, eq).trim();
      if (name === "Credential") credential = header.slice(eq + 1, end).trim();
      else if (name === "SignedHeaders") signedHeaders = header.slice(eq + 1, end).trim();
      else if (name === "Signature") signature = header.slice(eq + 1, end).trim();
    }
    start = end + 1;
  }

  const missing: IncompletePart[] = [];
  if (credential === "") missing.push("Credential");
  if (signature === "") missing.push("Signature");
  if (signedHeaders === "") missing.push("SignedHeaders");
  if (!hasDate) missing.push("Date");
  if (missing.length > 0) throw authErrors.incomplete(missing);

  const elements = credential.split("/");
  if (elements.length !== 5 || elements.includes("")) throw authErrors.malformedCredential();
  const [accessKeyId, scopeDate, region, service, terminator] = elements as [string, string, string, string, string];
  return {
    accessKeyId,
    scope: credential.slice(accessKeyId.length + 1),
    scopeDate,
    region,
    service,
    terminator,
    signedHeadersLine: signedHeaders,
    signedHeaders: signedHeaders.split(";"),
    signature,
  };
}
