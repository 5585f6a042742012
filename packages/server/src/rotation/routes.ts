import { ServiceError, epochSeconds } from "@keyshift/protocol";
import type { ManagementCall, ManagementRoute } from "../http/management.js";
import type { RequestContext, SecretsDeps } from "../secrets/context.js";
import { requireSecret } from "../secrets/resolve.js";
import { decodeToken, encodeToken } from "../secrets/page-token.js";
import type { RotationRecord, RotationStatus } from "./records.js";
import { functionArn } from "./registry.js";

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

function authorize(deps: SecretsDeps, call: ManagementCall, action: string, resource = "*"): void {
  deps.authz.authorize({ principal: call.principal, action: `keyshift:${action}`, resource, resourceAccount: undefined, conditions: () => ({ "aws:SourceIp": call.sourceIp }), resourcePolicy: undefined });
}

function requestContext(call: ManagementCall): RequestContext {
  return { requestId: call.requestId, principal: call.principal, region: call.region, sourceIp: call.sourceIp, userAgent: "", secureTransport: false };
}

/** A rotation as the history shows it: metadata only. */
export function rotationView(r: RotationRecord) {
  const at = (ms: number | undefined) => (ms === undefined ? undefined : epochSeconds(ms));
  return {
    RotationId: r.id,
    SecretARN: r.secretArn,
    SecretName: r.secretName,
    ...(r.fromVersion ? { FromVersionId: r.fromVersion } : {}),
    ToVersionId: r.token,
    RotationLambdaARN: r.rotatorArn,
    Method: r.method,
    Status: r.status,
    Attempt: r.attempt,
    StartedAt: at(r.startedAt),
    ...(r.endedAt !== undefined ? { EndedAt: at(r.endedAt), DurationMs: r.endedAt - r.startedAt } : {}),
    Steps: r.steps.map((s) => ({ Step: s.step, StartedAt: at(s.startedAt), ...(s.endedAt !== undefined ? { EndedAt: at(s.endedAt), DurationMs: s.endedAt - s.startedAt } : {}), ...(s.outcome ? { Outcome: s.outcome } : {}) })),
    ...(r.error ? { Error: r.error } : {}),
  };
}

function epochParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  if (!Number.isFinite(n)) throw new ServiceError("ValidationException", `${name} must be epoch seconds or an ISO-8601 date.`);
  return n;
}

/** The rotation part of the management API: HTTP rotation functions and rotation history. */
export const rotationRoutes: ManagementRoute[] = [
  {
    method: "GET",
    path: "/rotators",
    handler: async (deps, call) => {
      authorize(deps, call, "ListRotators");
      const builtins = deps.rotation.registry.list().map((r) => ({ Name: r.name, FunctionArn: functionArn(call.region, call.principal.accountId, r.name), BuiltIn: true, Description: r.description }));
      const users = (await deps.store.listRotators(call.principal.accountId)).map((r) => ({ Name: r.name, FunctionArn: functionArn(call.region, r.accountId, r.name), BuiltIn: false, Url: r.url }));
      return { body: { Rotators: [...builtins, ...users] } };
    },
  },
  {
    method: "PUT",
    path: "/rotators/{name}",
    handler: async (deps, call) => {
      authorize(deps, call, "RegisterRotator");
      const name = call.params.name!;
      if (!NAME.test(name)) throw new ServiceError("ValidationException", "A rotator name has 1 to 64 letters, digits, hyphens or underscores.");
      if (name.startsWith("keyshift-") || deps.rotation.registry.isBuiltin(name)) throw new ServiceError("InvalidParameterException", "Names starting with keyshift- are reserved for built-in rotators.");
      const url = (call.body as { Url?: unknown } | undefined)?.Url;
      let parsed: URL | undefined;
      try {
        parsed = typeof url === "string" ? new URL(url) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) throw new ServiceError("ValidationException", "Url must be an http:// or https:// URL.");
      await deps.store.putRotator({ accountId: call.principal.accountId, name, url: parsed.toString(), createdAt: deps.clock() });
      return { body: { Name: name, FunctionArn: functionArn(call.region, call.principal.accountId, name), Url: parsed.toString() } };
    },
  },
  {
    method: "DELETE",
    path: "/rotators/{name}",
    handler: async (deps, call) => {
      authorize(deps, call, "DeleteRotator");
      if (!(await deps.store.deleteRotator(call.principal.accountId, call.params.name!))) throw new ServiceError("ResourceNotFoundException", `No rotator named ${call.params.name!.slice(0, 64)}.`);
      return { status: 204 };
    },
  },
  {
    method: "GET",
    path: "/rotations",
    handler: async (deps, call) => {
      const q = call.query;
      const secretId = q.get("SecretId");
      let secretUid: string | undefined;
      if (secretId) secretUid = (await requireSecret(deps, requestContext(call), secretId, "DescribeSecret")).uid;
      authorize(deps, call, "ListRotations");
      const max = q.get("MaxResults") === null ? 50 : Number(q.get("MaxResults"));
      if (!Number.isInteger(max) || max < 1 || max > 500) throw new ServiceError("ValidationException", "MaxResults must be an integer from 1 to 500.");
      const status = q.get("Status") ?? undefined;
      if (status !== undefined && !["running", "succeeded", "failed", "cancelled"].includes(status)) throw new ServiceError("ValidationException", "Status must be running, succeeded, failed or cancelled.");
      const token = q.get("NextToken");
      let before: { startedAt: number; id: string } | undefined;
      if (token) {
        const t = decodeToken(token);
        if (typeof t.s !== "number" || typeof t.i !== "string") throw new ServiceError("InvalidNextTokenException", "The NextToken value is invalid.");
        before = { startedAt: t.s, id: t.i };
      }
      const since = epochParam(q, "Since");
      const until = epochParam(q, "Until");
      const method = q.get("Method") ?? undefined;
      const rows = await deps.store.listRotations({
        accountId: call.principal.accountId, limit: max + 1,
        ...(secretUid ? { secretUid } : {}), ...(status ? { status: status as RotationStatus } : {}), ...(method ? { method } : {}),
        ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), ...(before ? { before } : {}),
      });
      const page = rows.slice(0, max);
      const last = page[page.length - 1];
      return { body: { Rotations: page.map(rotationView), ...(rows.length > max && last ? { NextToken: encodeToken({ s: last.startedAt, i: last.id }) } : {}) } };
    },
  },
];
