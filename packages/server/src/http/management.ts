import type { IncomingHttpHeaders } from "node:http";
import { ServiceError } from "@keyshift/protocol";
import type { AccessKeyDirectory } from "../iam/access-keys.js";
import type { Principal } from "../iam/principal.js";
import type { SecretsDeps } from "../secrets/context.js";
import { asServiceError, newCallRecord, observedCall, type CallObserver, type CallRecord } from "./call-record.js";
import type { EdgeRequest, EdgeResponse } from "./edge.js";
import type { OperationDoc } from "../management/openapi.js";
import type { SigV4Verifier } from "./sigv4/verify.js";

/** The SigV4 service name of the management API (`/v1`). */
export const MANAGEMENT_SERVICE = "keyshift";

/** What a management route handler gets. */
export interface ManagementCall {
  requestId: string;
  principal: Principal;
  region: string;
  sourceIp: string;
  secureTransport: boolean;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** The request's record for audit and metrics: routes may note the secret they act on. */
  record?: CallRecord;
}

export interface ManagementRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below /v1 with `{name}` placeholders, e.g. `/rotators/{name}`. */
  path: string;
  /** Its OpenAPI documentation, if not in management/openapi.ts `routeDocs`. */
  doc?: OperationDoc;
  handler: (deps: SecretsDeps, call: ManagementCall) => Promise<{ status?: number; body?: unknown; stream?: EdgeResponse["stream"]; headers?: Record<string, string> }>;
}

const REST_STATUS: Partial<Record<string, number>> = {
  ResourceNotFoundException: 404,
  AccessDeniedException: 403,
  MissingAuthenticationTokenException: 401,
  UnrecognizedClientException: 401,
  InvalidSignatureException: 401,
  IncompleteSignatureException: 401,
  ResourceExistsException: 409,
  MethodNotAllowedException: 405,
};

function compile(path: string): RegExp {
  const src = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_, n: string) => `(?<${n}>[^/]+)`);
  return new RegExp(`^/v1${src}/?$`);
}

/**
 * The management API under `/v1`: JSON over HTTP, authenticated with SigV4 (service
 * `keyshift`) by the same access keys as the Secrets Manager API, or with a bearer token tied
 * to a user (`bearer`), errors as
 * `{"__type","Message"}` with REST status codes. Routes are plain data (rotation/routes.ts, ...).
 */
export class ManagementApi {
  private readonly routes: { method: string; re: RegExp; route: ManagementRoute }[];

  constructor(
    private readonly o: {
      verifier: SigV4Verifier<Principal>;
      keys: AccessKeyDirectory;
      deps: SecretsDeps;
      routes: readonly ManagementRoute[];
      onInternalError: (e: unknown, requestId: string) => void;
      /** Sees every call before its answer leaves (audit, metrics); see CallObserver. */
      observe?: CallObserver | undefined;
      /**
       * Authenticates `Authorization: Bearer ...` (management/tokens.ts) as an alternative to
       * SigV4; it throws a ServiceError for a token that stands for nobody. Without it, bearer
       * tokens are refused as an unsigned request is.
       */
      bearer?: { authenticate(authorization: string): Promise<{ principal: Principal; tokenId: string; region: string }> } | undefined;
      /** The OpenAPI document, served without authentication at GET /v1/openapi.json. */
      openApi?: (() => unknown) | undefined;
    },
  ) {
    this.routes = o.routes.map((route) => ({ method: route.method, re: compile(route.path), route }));
  }

  /** The routes served, in order (for the OpenAPI document). */
  get routeList(): readonly ManagementRoute[] {
    return this.o.routes;
  }

  static handles(url: string): boolean {
    return url === "/v1" || url.startsWith("/v1/") || url.startsWith("/v1?");
  }

  handle(req: EdgeRequest): Promise<EdgeResponse> {
    const rec = newCallRecord(req, "management");
    return observedCall(
      rec,
      this.o.observe,
      async () => {
        const { status, body, stream, headers } = await this.run(req, rec);
        rec.status = status ?? 200;
        return {
          status: rec.status,
          headers: { "Content-Type": "application/json", "x-amzn-RequestId": rec.requestId, ...headers },
          body: body === undefined ? "" : JSON.stringify(body),
          ...(stream ? { stream } : {}),
        };
      },
      (e) => {
        const err = asServiceError(e, (x) => this.o.onInternalError(x, rec.requestId));
        rec.status = REST_STATUS[err.code] ?? err.status;
        rec.errorCode = err.code;
        return {
          status: rec.status,
          headers: { "Content-Type": "application/json", "x-amzn-RequestId": rec.requestId, "x-amzn-ErrorType": err.code },
          body: JSON.stringify(err.toJSON()),
        };
      },
    );
  }

  private async run(req: EdgeRequest, rec: CallRecord): Promise<{ status?: number; body?: unknown; stream?: EdgeResponse["stream"]; headers?: Record<string, string> }> {
    const requestId = rec.requestId;
    const url = new URL(req.url, "http://localhost");
    if (this.o.openApi && url.pathname === "/v1/openapi.json" && req.method === "GET") {
      rec.operation = "GET /v1/openapi.json";
      return { body: this.o.openApi() };
    }
    const matches = this.routes.filter((r) => r.re.test(url.pathname));
    if (matches.length === 0) throw new ServiceError("ResourceNotFoundException", `No such management resource: ${url.pathname.slice(0, 200)}`);
    const hit = matches.find((r) => r.method === req.method);
    if (!hit) throw new ServiceError("MethodNotAllowedException", `Method ${req.method} is not allowed on ${url.pathname.slice(0, 200)}.`);
    rec.operation = `${hit.route.method} /v1${hit.route.path}`;
    const auth = req.headers.authorization;
    let verified: { principal: Principal; accessKeyId: string; region: string };
    if (this.o.bearer && auth !== undefined && /^Bearer\s/i.test(auth)) {
      const b = await this.o.bearer.authenticate(auth);
      verified = { principal: b.principal, accessKeyId: b.tokenId, region: b.region };
    } else {
      const akid = auth?.match(/Credential=([^/]+)\//)?.[1];
      if (akid && !this.o.keys.fresh(akid)) await this.o.keys.prefetch(akid);
      verified = this.o.verifier.verify(req);
    }
    rec.principal = verified.principal;
    rec.accessKeyId = verified.accessKeyId;
    rec.region = verified.region;
    let body: unknown = undefined;
    if (req.body.length > 0) {
      try {
        body = JSON.parse(req.body.toString("utf8"));
      } catch {
        throw new ServiceError("SerializationException", "Request body is not valid JSON.");
      }
    }
    const params = Object.fromEntries(Object.entries(hit.re.exec(url.pathname)!.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
    return hit.route.handler(this.o.deps, {
      requestId, principal: verified.principal, region: verified.region, params, query: url.searchParams, body, headers: req.headers,
      sourceIp: rec.sourceIp,
      secureTransport: req.secure,
      record: rec,
    });
  }
}
