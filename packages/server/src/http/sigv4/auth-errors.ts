import { ServiceError } from "@keyshift/protocol";

/**
 * Every error the SigV4 verifier raises, with AWS's wording. Each entry returns a fresh
 * `ServiceError`; none of them includes the provided signature, the Authorization header or any
 * key material. Values that are echoed (dates, scope parts) are clipped so a hostile header
 * cannot make the reply large.
 */
export const authErrors = {
  missingToken: () => new ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token"),

  /** `missing` lists, in AWS's order, the parts of the Authorization header that are absent. */
  incomplete: (missing: readonly IncompletePart[]) =>
    new ServiceError("IncompleteSignatureException", missing.map((part) => incompleteText[part]).join(" ")),

  unsupportedAlgorithm: (algorithm: string) =>
    new ServiceError("IncompleteSignatureException", `Unsupported AWS 'algorithm': '${clip(algorithm)}'.`),

  malformedCredential: () =>
    new ServiceError(
      "IncompleteSignatureException",
      "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.",
    ),

  hostNotSigned: () =>
    new ServiceError("IncompleteSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),

  badDate: (value: string) =>
    new ServiceError(
      "IncompleteSignatureException",
      `Date must be in ISO-8601 'basic format'. Got '${clip(value)}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    ),

  unknownAccessKey: () =>
    new ServiceError("UnrecognizedClientException", "The security token included in the request is invalid."),

  wrongService: (service: string) =>
    new ServiceError("InvalidSignatureException", `Credential should be scoped to correct service: '${service}'.`),

  wrongTerminator: (terminator: string) =>
    new ServiceError(
      "InvalidSignatureException",
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${clip(terminator)}'.`,
    ),

  scopeDateMismatch: (scopeDate: string, requestDate: string, header: "X-Amz-Date" | "Date") =>
    new ServiceError(
      "InvalidSignatureException",
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: " +
        `'${clip(scopeDate)}' != '${requestDate}', from '${header}'.`,
    ),

  expired: (signedAt: string, earliest: string, now: string, skew: string) =>
    new ServiceError("InvalidSignatureException", `Signature expired: ${signedAt} is now earlier than ${earliest} (${now} - ${skew}.)`),

  notYetCurrent: (signedAt: string, latest: string, now: string, skew: string) =>
    new ServiceError("InvalidSignatureException", `Signature not yet current: ${signedAt} is still later than ${latest} (${now} + ${skew}.)`),

  payloadHashMismatch: () =>
    new ServiceError("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed."),

  signatureMismatch: () =>
    new ServiceError(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. " +
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    ),
} as const;

/** A part of the Authorization header whose absence makes the signature incomplete. */
export type IncompletePart = "Credential" | "Signature" | "SignedHeaders" | "Date";

const incompleteText: Record<IncompletePart, string> = {
  Credential: "Authorization header requires 'Credential' parameter.",
  Signature: "Authorization header requires 'Signature' parameter.",
  SignedHeaders: "Authorization header requires 'SignedHeaders' parameter.",
  Date: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
};

function clip(value: string): string {
  return value.length <= 64 ? value : `${value.slice(0, 64)}...`;
}
