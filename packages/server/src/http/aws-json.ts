import { randomUUID } from "node:crypto";
import { ServiceError, isServiceError, operations as model, parseJsonBody, validateInput, type OperationName } from "@keyshift/protocol";
import type { AccessKeyDirectory } from "../iam/access-keys.js";
import type { Principal } from "../iam/principal.js";
import type { RequestContext, SecretsDeps } from "../secrets/context.js";
import { operations } from "../secrets/operations.js";
import type { EdgeRequest, EdgeResponse } from "./edge.js";
import type { SigV4Verifier } from "./sigv4/verify.js";

const CONTENT_TYPE = "application/x-amz-json-1.1";
const TARGET_PREFIX = "secretsmanager.";

/** What happened to one request, for logs, audit and metrics (never a value). */
export interface CallRecord {
  requestId: string;
  operation?: string;
  principal?: Principal;
  region?: string;
  status: number;
  errorCode?: string;
  durationMs: number;
}

export interface AwsJsonOptions {
  verifier: SigV4Verifier<Principal>;
  keys: AccessKeyDirectory;
  deps: SecretsDeps;
  onInternalError: (e: unknown, requestId: string) => void;
  onCall?: (c: CallRecord) => void;
}

export function errorResponse(e: ServiceError, requestId: string = randomUUID()): EdgeResponse {
  return {
    status: e.status,
    headers: { "Content-Type": CONTENT_TYPE, "x-amzn-RequestId": requestId, "x-amzn-ErrorType": e.code },
    body: JSON.stringify(e.toJSON()),
  };
}

function accessKeyIdOf(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const i = authorization.indexOf("Credential=");
  if (i < 0) return undefined;
  const j = authorization.indexOf("/", i + 11);
  return j < 0 ? undefined : authorization.slice(i + 11, j);
}

/**
 * The AWS JSON 1.1 protocol: authenticate (SigV4), find the operation named by X-Amz-Target,
 * parse and validate the body against the model, run the operation, answer JSON. Every failure
 * becomes an AWS error body; an unexpected exception is logged and answered as
 * InternalServiceError without its details.
 */
export class AwsJsonDispatcher {
  constructor(private readonly o: AwsJsonOptions) {}

  async handle(req: EdgeRequest): Promise<EdgeResponse> {
    const started = performance.now();
    const requestId = randomUUID();
    const rec: CallRecord = { requestId, status: 200, durationMs: 0 };
    let res: EdgeResponse;
    try {
      const body = await this.run(req, rec);
      res = { status: 200, headers: { "Content-Type": CONTENT_TYPE, "x-amzn-RequestId": requestId }, body };
    } catch (e) {
      let err: ServiceError;
      if (isServiceError(e)) err = e;
      else {
        this.o.onInternalError(e, requestId);
        err = new ServiceError("InternalServiceError", "An error occurred on the server side.");
      }
      rec.status = err.status;
      rec.errorCode = err.code;
      res = errorResponse(err, requestId);
    }
    rec.durationMs = performance.now() - started;
    this.o.onCall?.(rec);
    return res;
  }

  private async run(req: EdgeRequest, rec: CallRecord): Promise<string> {
    if (req.method !== "POST") throw new ServiceError("MethodNotAllowedException", `Method ${req.method} is not allowed; the API takes POST.`);
    const akid = accessKeyIdOf(req.headers.authorization);
    if (akid && !this.o.keys.fresh(akid)) await this.o.keys.prefetch(akid);
    const verified = this.o.verifier.verify(req);
    if (verified.securityToken !== undefined) throw new ServiceError("UnrecognizedClientException", "The security token included in the request is invalid.");
    const principal = verified.principal;
    rec.principal = principal;
    rec.region = verified.region;
    this.o.keys.touch(verified.accessKeyId)?.catch((e) => this.o.onInternalError(e, rec.requestId));

    const target = req.headers["x-amz-target"];
    const opName = typeof target === "string" && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
    if (!opName || !Object.hasOwn(model, opName)) {
      throw new ServiceError("UnknownOperationException", `The operation ${typeof target === "string" ? target.slice(0, 128) : "(none)"} is not supported.`);
    }
    const op = opName as OperationName;
    rec.operation = op;
    const input = validateInput<object>(model[op].input, parseJsonBody(req.body.toString("utf8")));
    const ctx: RequestContext = {
      requestId: rec.requestId,
      principal,
      region: verified.region,
      sourceIp: req.remoteAddress.startsWith("::ffff:") ? req.remoteAddress.slice(7) : req.remoteAddress,
      userAgent: String(req.headers["user-agent"] ?? ""),
      secureTransport: req.secure,
    };
    const out = await operations[op](this.o.deps, ctx, input);
    return JSON.stringify(out);
  }
}
