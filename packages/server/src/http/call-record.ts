import { randomUUID } from "node:crypto";
import { ServiceError, isServiceError } from "@keyshift/protocol";
import type { Principal } from "../iam/principal.js";
import type { EdgeRequest, EdgeResponse } from "./edge.js";

/**
 * What happened to one request, for audit, metrics and logs (never a value). The dispatcher
 * fills the request part; operations add the secret they acted on (`resolve.ts`).
 */
export interface CallRecord {
  requestId: string;
  /** Epoch ms when the request arrived. */
  time: number;
  /** Which API answered: the Secrets Manager JSON protocol or the management API (`/v1`). */
  api: "secretsmanager" | "management";
  /** e.g. `GetSecretValue`, or `GET /changes` for the management API. */
  operation?: string;
  principal?: Principal;
  accessKeyId?: string;
  region?: string;
  sourceIp: string;
  userAgent: string;
  status: number;
  errorCode?: string;
  durationMs: number;
  secretArn?: string;
  secretName?: string;
  versionId?: string;
  versionStage?: string;
  /** BatchGetSecretValue: every secret whose value it returned (the audit log writes one record per secret). */
  secrets?: { arn: string; name?: string; versionId?: string; versionStage?: string }[];
}

/** Error codes of a request whose caller could not be authenticated. */
export const AUTHENTICATION_ERRORS: ReadonlySet<string> = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignatureException",
  "MissingAuthenticationTokenException",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredTokenException",
]);
export const AUTHORIZATION_ERROR = "AccessDeniedException";

/** How a call ended (metrics, logs, audit): bounded, so that a caller cannot grow a metric's series count. */
export type CallOutcome = "success" | "unauthenticated" | "denied" | "client_error" | "server_error";

export function outcomeOf(c: Pick<CallRecord, "status" | "errorCode">): CallOutcome {
  if (c.errorCode === undefined && c.status < 400) return "success";
  if (c.errorCode !== undefined && AUTHENTICATION_ERRORS.has(c.errorCode)) return "unauthenticated";
  if (c.errorCode === AUTHORIZATION_ERROR) return "denied";
  return c.status >= 500 ? "server_error" : "client_error";
}

/**
 * Sees every call once, after it ran and before its answer leaves. A synchronous observer
 * (metrics) costs nothing more; an asynchronous one (a fail-closed audit log) holds the answer
 * until it settles, and when it rejects with a ServiceError the caller gets that error instead
 * of the answer.
 */
export type CallObserver = (c: CallRecord) => void | Promise<void>;

/** One observer made of several, in order; the promise (if any) settles when all have. */
export function observeAll(observers: readonly CallObserver[]): CallObserver | undefined {
  if (observers.length === 0) return undefined;
  if (observers.length === 1) return observers[0];
  return (c) => {
    let pending: Promise<void>[] | undefined;
    for (const o of observers) {
      const r = o(c);
      if (r) (pending ??= []).push(r);
    }
    // Usually one (the audit log's): its own promise, not another one around it.
    if (pending === undefined || pending.length === 1) return pending?.[0];
    return Promise.all(pending).then(() => undefined);
  };
}

export function sourceIpOf(remoteAddress: string): string {
  return remoteAddress.startsWith("::ffff:") ? remoteAddress.slice(7) : remoteAddress;
}

/** A call's record as the request arrives (before authentication). */
export function newCallRecord(req: EdgeRequest, api: CallRecord["api"]): CallRecord {
  return {
    requestId: randomUUID(), time: Date.now(), api, status: 200, durationMs: 0,
    sourceIp: sourceIpOf(req.remoteAddress), userAgent: String(req.headers["user-agent"] ?? ""),
  };
}

/** The error a failure is answered with: its own when it is a ServiceError, else a reported, detail-free InternalServiceError. */
export function asServiceError(e: unknown, onInternal: (e: unknown) => void): ServiceError {
  if (isServiceError(e)) return e;
  onInternal(e);
  return new ServiceError("InternalServiceError", "An error occurred on the server side.");
}

/**
 * Runs a call and lets the observers see its record before the answer leaves; when they refuse
 * it (a fail-closed audit log could not record it), the answer is withheld and `fail`'s sent instead.
 * `fail` also answers what `run` throws, and notes the error in the record.
 */
export async function observedCall(
  rec: CallRecord,
  observe: CallObserver | undefined,
  run: () => Promise<EdgeResponse>,
  fail: (e: unknown) => EdgeResponse,
): Promise<EdgeResponse> {
  const started = performance.now();
  let res: EdgeResponse;
  try {
    res = await run();
  } catch (e) {
    res = fail(e);
  }
  rec.durationMs = performance.now() - started;
  const observed = observe?.(rec);
  if (observed) {
    try {
      await observed;
    } catch (e) {
      return fail(e);
    }
  }
  return res;
}
