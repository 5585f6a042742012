import { authErrors } from "./auth-errors.js";
import type { ParsedAuthorization } from "./authorization-header.js";
import type { RequestTime } from "./request-time.js";

/**
 * Checks the credential scope against this service and the request's own date: the terminator
 * must be `aws4_request`, the service the one this verifier serves, and the scope date the
 * YYYYMMDD of the signing time. Throws InvalidSignatureException with AWS's message otherwise.
 * The region is not checked here: any region is accepted and reported to the caller.
 */
export function checkCredentialScope(auth: ParsedAuthorization, service: string, time: RequestTime): void {
  if (auth.terminator !== "aws4_request") throw authErrors.wrongTerminator(auth.terminator);
  if (auth.service !== service) throw authErrors.wrongService(service);
  const requestDate = time.amzDate.slice(0, 8);
  if (auth.scopeDate !== requestDate) throw authErrors.scopeDateMismatch(auth.scopeDate, requestDate, time.header);
}
