import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { ServiceError, isServiceError } from "@keyshift/protocol";
import type { AccessKeyDirectory } from "../iam/access-keys.js";
import type { Principal } from "../iam/principal.js";
import type { SecretsDeps } from "../secrets/context.js";
import type { EdgeRequest, EdgeResponse } from "./edge.js";
import type { SigV4Verifier } from "./sigv4/verify.js";

/** The SigV4 service name of the management API (`/v1`). */
export const MANAGEMENT_SERVICE = "keyshift";

/** What a management route handler gets. */
export interface ManagementCall {
  requestId: string;
  principal: Principal;
  region: string;
  sourceIp: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface ManagementRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path below /v1 with `{name}` placeholders, e.g. `/rotators/{name}`. */
  path: string;
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
 * `keyshift`) by the same access keys as the Secrets Manager API, errors as
 * `{"__type","Message"}` with REST status codes. Routes are plain data (rotation/routes.ts, ...).
 */
export class ManagementApi {
  private readonly routes: { method: string; re: RegExp; route: ManagementRoute }[];

  constructor(
    private readonly o: { verifier: SigV4Verifier<Principal>; keys: AccessKeyDirectory; deps: SecretsDeps; routes: readonly ManagementRoute[]; onInternalError: (e: unknown, requestId: string) => void },
  ) {
    this.routes = o.routes.map((route) => ({ method: route.method, re: compile(route.path), route }));
  }

  static handles(url: string): boolean {
    return url === "/v1" || url.startsWith("/v1/") || url.startsWith("/v1?");
  }

  async handle(req: EdgeRequest): Promise<EdgeResponse> {
    const requestId = randomUUID();
    try {
      const { status, body, stream, headers } = await this.run(req, requestId);
      return {
        status: status ?? 200,
        headers: { "Content-Type": "application/json", "x-amzn-RequestId": requestId, ...headers },
        body: body === undefined ? "" : JSON.stringify(body),
        ...(stream ? { stream } : {}),
      };
    } catch (e) {
      let err: ServiceError;
      if (isServiceError(e)) err = e;
      else {
        this.o.onInternalError(e, requestId);
        err = new ServiceError("InternalServiceError", "An error occurred on the server side.");
      }
      return {
        status: REST_STATUS[err.code] ?? err.status,
        headers: { "Content-Type": "application/json", "x-amzn-RequestId": requestId, "x-amzn-ErrorType": err.code },
        body: JSON.stringify(err.toJSON()),
      };
    }
  }

  private async run(req: EdgeRequest, requestId: string): Promise<{ status?: number; body?: unknown; stream?: EdgeResponse["stream"]; headers?: Record<string, string> }> {
    const url = new URL(req.url, "http://localhost");
    const matches = this.routes.filter((r) => r.re.test(url.pathname));
    if (matches.length === 0) throw new ServiceError("ResourceNotFoundException", `No such management resource: ${url.pathname.slice(0, 200)}`);
    const hit = matches.find((r) => r.method === req.method);
    if (!hit) throw new ServiceError("MethodNotAllowedException", `Method ${req.method} is not allowed on ${url.pathname.slice(0, 200)}.`);
    const auth = req.headers.authorization;
    const akid = auth?.match(/Credential=([^/]+)\//)?.[1];
    if (akid && !this.o.keys.fresh(akid)) await this.o.keys.prefetch(akid);
    const verified = this.o.verifier.verify(req);
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
      sourceIp: req.remoteAddress.startsWith("::ffff:") ? req.remoteAddress.slice(7) : req.remoteAddress,
    });
  }
}
