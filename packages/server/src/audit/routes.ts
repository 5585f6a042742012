import { ServiceError, epochSeconds } from "@keyshift/protocol";
import type { ManagementCall, ManagementRoute } from "../http/management.js";
import { userArn } from "../iam/principal.js";
import type { RequestContext, SecretsDeps } from "../secrets/context.js";
import { resolveSecret } from "../secrets/resolve.js";
import type { Store } from "../storage/store.js";
import { READ_OPERATIONS, type AuditOutcome, type AuditRecord } from "./records.js";

const OUTCOMES: readonly AuditOutcome[] = ["success", "denied", "error"];

function authorize(deps: SecretsDeps, call: ManagementCall, action: string): void {
  deps.authz.authorize({ principal: call.principal, action: `keyshift:${action}`, resource: "*", resourceAccount: undefined, conditions: () => ({ "aws:SourceIp": call.sourceIp }), resourcePolicy: undefined });
}

function auditStore(store: Store): Required<Pick<Store, "queryAudit" | "summarizeAudit">> {
  if (!store.queryAudit || !store.summarizeAudit) throw new ServiceError("InvalidRequestException", `The ${store.kind} store does not keep an audit trail.`);
  return { queryAudit: store.queryAudit.bind(store), summarizeAudit: store.summarizeAudit.bind(store) };
}

function timeParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  if (!Number.isFinite(n)) throw new ServiceError("ValidationException", `${name} must be epoch seconds or an ISO-8601 date.`);
  return n;
}

function intParam(q: URLSearchParams, name: string, min: number, max: number, dflt: number): number {
  const v = q.get(name);
  if (v === null || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ServiceError("ValidationException", `${name} must be an integer from ${min} to ${max}.`);
  return n;
}

/** The ARN a SecretId names in the caller's account: the secret's, or a full ARN as given (a deleted secret's trail stays queryable). */
async function secretArnOf(deps: SecretsDeps, call: ManagementCall, secretId: string): Promise<string> {
  const ctx: RequestContext = { requestId: call.requestId, principal: call.principal, region: call.region, sourceIp: call.sourceIp, userAgent: "", secureTransport: call.secureTransport };
  const r = await resolveSecret(deps, ctx, secretId);
  const arn = r.secret?.arn ?? (/^arn:aws:secretsmanager:[^:]+:(\d{12}):secret:.+-[A-Za-z0-9]{6}$/.exec(secretId)?.[1] === call.principal.accountId ? secretId : undefined);
  if (!arn) throw new ServiceError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
  if (call.record) {
    call.record.secretArn = arn;
    if (r.secret) call.record.secretName = r.secret.name;
  }
  return arn;
}

function principalArnOf(call: ManagementCall, p: string | null): string | undefined {
  if (p === null || p === "") return undefined;
  return p.startsWith("arn:") ? p : userArn(call.principal.accountId, p);
}

/** An audit record as the API shows it (metadata only: records never hold a value). */
export function auditView(r: AuditRecord) {
  return {
    Time: epochSeconds(r.time), RequestId: r.requestId, Api: r.api, Operation: r.operation,
    ...(r.accountId ? { AccountId: r.accountId } : {}), ...(r.principalArn ? { PrincipalArn: r.principalArn } : {}),
    ...(r.accessKeyId ? { AccessKeyId: r.accessKeyId } : {}), ...(r.region ? { Region: r.region } : {}),
    SourceIp: r.sourceIp, UserAgent: r.userAgent,
    ...(r.secretArn ? { SecretARN: r.secretArn } : {}), ...(r.secretName ? { SecretName: r.secretName } : {}),
    ...(r.versionId ? { VersionId: r.versionId } : {}), ...(r.versionStage ? { VersionStage: r.versionStage } : {}),
    Outcome: r.outcome, Status: r.status, ...(r.errorCode ? { ErrorCode: r.errorCode } : {}), DurationMs: r.durationMs,
    Chain: r.chain, Seq: r.seq, Hash: r.hash,
  };
}

function encodeCursor(r: AuditRecord): string {
  return Buffer.from(JSON.stringify([r.time, r.chain, r.seq])).toString("base64url");
}

function decodeCursor(t: string): { time: number; chain: string; seq: number } {
  try {
    const [time, chain, seq] = JSON.parse(Buffer.from(t, "base64url").toString("utf8")) as [number, string, number];
    if (typeof time === "number" && typeof chain === "string" && typeof seq === "number") return { time, chain, seq };
  } catch {
    /* fall through */
  }
  throw new ServiceError("InvalidNextTokenException", "The NextToken value is invalid.");
}

/**
 * The audit part of the management API, always within the caller's account: `GET /v1/audit`
 * (records, newest first, filtered), `GET /v1/audit/readers` (who read a secret in the last N
 * days: the blast radius of a leak) and `GET /v1/audit/last-access` (per secret or principal).
 */
export const auditRoutes: ManagementRoute[] = [
  {
    method: "GET",
    path: "/audit",
    handler: async (deps, call) => {
      authorize(deps, call, "QueryAuditLog");
      const q = call.query;
      const outcome = q.get("Outcome") ?? undefined;
      if (outcome !== undefined && !OUTCOMES.includes(outcome as AuditOutcome)) throw new ServiceError("ValidationException", `Outcome must be one of ${OUTCOMES.join(", ")}.`);
      const secretId = q.get("SecretId");
      const limit = intParam(q, "MaxResults", 1, 1000, 100);
      const token = q.get("NextToken");
      const operation = q.get("Operation");
      const records = await auditStore(deps.store).queryAudit({
        accountId: call.principal.accountId,
        secretArn: secretId ? await secretArnOf(deps, call, secretId) : undefined,
        principalArn: principalArnOf(call, q.get("Principal")),
        outcome: outcome as AuditOutcome | undefined,
        operations: operation ? [operation] : undefined,
        since: timeParam(q, "Since"),
        until: timeParam(q, "Until"),
        before: token ? decodeCursor(token) : undefined,
        limit: limit + 1,
      });
      const page = records.slice(0, limit);
      return { body: { Records: page.map(auditView), ...(records.length > limit ? { NextToken: encodeCursor(page.at(-1)!) } : {}) } };
    },
  },
  {
    method: "GET",
    path: "/audit/readers",
    handler: async (deps, call) => {
      authorize(deps, call, "GetAccessReport");
      const secretId = call.query.get("SecretId");
      if (!secretId) throw new ServiceError("ValidationException", "SecretId is required.");
      const days = intParam(call.query, "Days", 1, 3650, 30);
      const arn = await secretArnOf(deps, call, secretId);
      const since = deps.clock() - days * 86_400_000;
      const rows = await auditStore(deps.store).summarizeAudit({ accountId: call.principal.accountId, groupBy: "principal", secretArn: arn, operations: READ_OPERATIONS, since, limit: 10_000 });
      return { body: { SecretARN: arn, Days: days, Since: epochSeconds(since), Readers: rows.map((r) => ({ PrincipalArn: r.key, LastRead: epochSeconds(r.last), Reads: r.count })) } };
    },
  },
  {
    method: "GET",
    path: "/audit/last-access",
    handler: async (deps, call) => {
      authorize(deps, call, "GetAccessReport");
      const by = call.query.get("By") ?? "secret";
      if (by !== "secret" && by !== "principal") throw new ServiceError("ValidationException", "By must be secret or principal.");
      const days = call.query.get("Days") === null ? undefined : intParam(call.query, "Days", 1, 3650, 30);
      const secretId = call.query.get("SecretId");
      const rows = await auditStore(deps.store).summarizeAudit({
        accountId: call.principal.accountId,
        groupBy: by,
        // A secret is accessed when its value is read; a principal's last access is its last successful call.
        operations: by === "secret" ? READ_OPERATIONS : undefined,
        secretArn: secretId ? await secretArnOf(deps, call, secretId) : undefined,
        principalArn: principalArnOf(call, call.query.get("Principal")),
        since: days === undefined ? undefined : deps.clock() - days * 86_400_000,
        limit: intParam(call.query, "MaxResults", 1, 10_000, 1000),
      });
      return {
        body: {
          By: by,
          Entries: rows.map((r) => (by === "secret" ? { SecretARN: r.key, ...(r.name ? { SecretName: r.name } : {}), LastAccess: epochSeconds(r.last), Reads: r.count } : { PrincipalArn: r.key, LastAccess: epochSeconds(r.last), Calls: r.count })),
        },
      };
    },
  },
];
