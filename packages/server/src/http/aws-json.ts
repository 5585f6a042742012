import { randomUUID } from "node:crypto";
import { ServiceError, operations as model, parseJsonBody, validateInput, type OperationName } from "@keyshift/protocol";
import type { AccessKeyDirectory } from "../iam/access-keys.js";
import type { Principal } from "../iam/principal.js";
import type { RequestContext, SecretsDeps } from "../secrets/context.js";
import { operations } from "../secrets/operations.js";
import { asServiceError, newCallRecord, observedCall, type CallObserver, type CallRecord } from "./call-record.js";
import type { EdgeRequest, EdgeResponse } from "./edge.js";
import type { SigV4Verifier } from "./sigv4/verify.js";

const CONTENT_TYPE = "application/x-amz-json-1.1";
const TARGET_PREFIX = "secretsmanager.";

export type { CallRecord } from "./call-record.js";

export interface AwsJsonOptions {
  verifier: SigV4Verifier<Principal>;
  keys: AccessKeyDirectory;
  deps: SecretsDeps;
  onInternalError: (e: unknown, requestId: string) => void;
  /** Sees every call before its answer leaves (audit, metrics); see CallObserver. */
  observe?: CallObserver | undefined;
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

  handle(req: EdgeRequest): Promise<EdgeResponse> {
    const rec = newCallRecord(req, "secretsmanager");
    return observedCall(
      rec,
      this.o.observe,
      async () => ({ status: 200, headers: { "Content-Type": CONTENT_TYPE, "x-amzn-RequestId": rec.requestId }, body: await this.run(req, rec) }),
      (e) => {
        const err = asServiceError(e, (x) => this.o.onInternalError(x, rec.requestId));
        rec.status = err.status;
        rec.errorCode = err.code;
        return errorResponse(err, rec.requestId);
      },
    );
  }

  private async run(req: EdgeRequest, rec: CallRecord): Promise<string> {
    if (req.method !== "POST") throw new ServiceError("MethodNotAllowedException", `Method ${req.method} is not allowed; the API takes POST.`);
    const akid = accessKeyIdOf(req.headers.authorization);
    // Known before authentication, so that a refused call is recorded with the key it claimed and the operation it asked for.
    if (akid) rec.accessKeyId = akid.slice(0, 128);
    const claimed = req.headers["x-amz-target"];
    if (typeof claimed === "string" && claimed.startsWith(TARGET_PREFIX) && Object.hasOwn(model, claimed.slice(TARGET_PREFIX.length))) rec.operation = claimed.slice(TARGET_PREFIX.length);
    if (akid && !this.o.keys.fresh(akid)) await this.o.keys.prefetch(akid);
    const verified = this.o.verifier.verify(req);
    if (verified.securityToken !== undefined) throw new ServiceError("UnrecognizedClientException", "The security token included in the request is invalid.");
    const principal = verified.principal;
    rec.principal = principal;
    rec.accessKeyId = verified.accessKeyId;
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
      sourceIp: rec.sourceIp,
      userAgent: rec.userAgent,
      secureTransport: req.secure,
      call: rec,
    };
    const out = await operations[op](this.o.deps, ctx, input);
    return JSON.stringify(out);
  }
}
