import type { IncomingHttpHeaders } from "node:http";
import { authErrors } from "./auth-errors.js";
import { parseAuthorization } from "./authorization-header.js";
import { canonicalHeaders } from "./canonical-headers.js";
import { canonicalQuery } from "./canonical-query.js";
import { canonicalRequest, stringToSign } from "./canonical-request.js";
import { canonicalUri } from "./canonical-uri.js";
import { checkCredentialScope } from "./credential-scope.js";
import { checkClockSkew, hasRequestTime, readRequestTime } from "./request-time.js";
import { sha256Hex } from "./sha256.js";
import { signatureMatches } from "./signature.js";
import { SigningKeyCache } from "./signing-key.js";

/** A received HTTP request, as node's `IncomingMessage` presents it, with its whole body. */
export interface SignedRequest {
  method: string;
  /** The raw request target (`req.url`): path plus optional `?query`. */
  url: string;
  /** `req.rawHeaders` (name, value, name, value, ...): exact values, duplicates kept. */
  rawHeaders: string[];
  /** `req.headers`: lower-cased names, for lookups. */
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the credential store knows about an access key id. */
export interface CredentialLookup<P> {
  secretAccessKey: string;
  principal: P;
}

/** The identity a request proved, and the scope it was signed for. */
export interface VerifiedRequest<P> {
  accessKeyId: string;
  region: string;
  service: string;
  /** Milliseconds since the epoch of X-Amz-Date (or Date). */
  signedAt: number;
  /** X-Amz-Security-Token, if sent; whether it is valid or required is the caller's decision. */
  securityToken?: string;
  principal: P;
}

/** How a verifier is set up: the service it serves, where keys come from, and its limits. */
export interface SigV4VerifierOptions<P> {
  /** The service name the credential scope must name, e.g. "secretsmanager". */
  service: string;
  /** Resolves an access key id; undefined when it is unknown. Called once per verification. */
  lookup: (accessKeyId: string) => CredentialLookup<P> | undefined;
  /** Current time in epoch milliseconds; default `Date.now`. */
  now?: () => number;
  /** Largest accepted distance between the signing time and now; default 15 minutes. */
  maxSkewMs?: number;
  /** Most derived signing keys kept; default 10 000. */
  signingKeyCacheSize?: number;
}

/**
 * Verifies AWS Signature Version 4 in the Authorization header (AWS4-HMAC-SHA256) of requests to
 * one service. Checks run cheapest first: header syntax, Host signed, credential scope, clock
 * skew, access key, payload hash, then the signature in constant time. The payload hash used is
 * always the one computed from the body; UNSIGNED-PAYLOAD is refused. Signing keys are cached per
 * (access key, secret, date, region, service). Stateless otherwise; safe to share.
 */
export class SigV4Verifier<P> {
  readonly #service: string;
  readonly #lookup: (accessKeyId: string) => CredentialLookup<P> | undefined;
  readonly #now: () => number;
  readonly #maxSkewMs: number;
  readonly #keys: SigningKeyCache;

  constructor(opts: SigV4VerifierOptions<P>) {
    this.#service = opts.service;
    this.#lookup = opts.lookup;
    this.#now = opts.now ?? Date.now;
    this.#maxSkewMs = opts.maxSkewMs ?? 15 * 60_000;
    this.#keys = new SigningKeyCache(opts.signingKeyCacheSize ?? 10_000);
  }

  /** Signing keys held and derived so far (cache misses); for metrics and tests. */
  get signingKeyStats(): { size: number; derivations: number } {
    return { size: this.#keys.size, derivations: this.#keys.derivations };
  }

  /** Throws ServiceError (from "@keyshift/protocol") on any failure; returns the verified identity otherwise. */
  verify(req: SignedRequest): VerifiedRequest<P> {
    const header = req.headers.authorization;
    if (header === undefined || header === "") throw authErrors.missingToken();
    const auth = parseAuthorization(header, hasRequestTime(req.headers));
    const time = readRequestTime(req.headers)!; // present: parseAuthorization checked it
    if (!auth.signedHeaders.includes("host")) throw authErrors.hostNotSigned();
    checkCredentialScope(auth, this.#service, time);
    checkClockSkew(time.amzDate, time.ms, this.#now(), this.#maxSkewMs);

    const credential = this.#lookup(auth.accessKeyId);
    if (credential === undefined) throw authErrors.unknownAccessKey();

    const payloadHash = sha256Hex(req.body);
    const declared = req.headers["x-amz-content-sha256"];
    if (declared !== undefined && declared !== payloadHash) throw authErrors.payloadHashMismatch();

    const { path, query } = splitTarget(req.url);
    const canonical = canonicalRequest({
      method: req.method,
      uri: canonicalUri(path),
      query: canonicalQuery(query),
      headers: canonicalHeaders(req.rawHeaders, auth.signedHeaders),
      signedHeadersLine: auth.signedHeadersLine,
      payloadHash,
    });
    const key = this.#keys.get(auth.accessKeyId, credential.secretAccessKey, auth.scopeDate, auth.region, auth.service);
    if (!signatureMatches(key, stringToSign(time.amzDate, auth.scope, canonical), auth.signature)) {
      throw authErrors.signatureMismatch();
    }

    const token = req.headers["x-amz-security-token"];
    const verified: VerifiedRequest<P> = {
      accessKeyId: auth.accessKeyId,
      region: auth.region,
      service: auth.service,
      signedAt: time.ms,
      principal: credential.principal,
    };
    if (typeof token === "string") verified.securityToken = token;
    return verified;
  }
}

/** Splits a request target into path and query; an absolute-form target loses its scheme and authority. */
function splitTarget(url: string): { path: string; query: string } {
  let start = 0;
  if (url.charCodeAt(0) !== 0x2f) {
    const scheme = url.indexOf("://");
    if (scheme !== -1) {
      start = scheme + 3;
      while (start < url.length && url[start] !== "/" && url[start] !== "?") start++;
    }
  }
  const q = url.indexOf("?", start);
  return q === -1 ? { path: url.slice(start), query: "" } : { path: url.slice(start, q), query: url.slice(q + 1) };
}
