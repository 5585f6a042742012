import { randomUUID } from "node:crypto";
import { ServiceError } from "@keyshift/protocol";
import type { ManagementCall, ManagementRoute } from "../http/management.js";
import type { SecretsDeps } from "../secrets/context.js";
import type { SecretRecord } from "../secrets/records.js";
import { rotateSecret } from "../rotation/api.js";
import { actingContext, authorizeAction, bodyObject, mayAct, secretForAction } from "./access.js";
import { emergencyRotate } from "./emergency.js";
import type { ManagementEvent } from "./events.js";
import { parseRegistration, parseRules, register, updateSchedule } from "./registration.js";
import { dueness, maxResults, scanSecrets, scheduleView } from "./schedule-view.js";
import { statusView } from "./status-view.js";

export interface SecretRouteOptions {
  /** Receives EmergencyRotation (and future) events after they happened; must not throw or block (notifications attach here). */
  onEvent?: ((e: ManagementEvent) => void) | undefined;
}

/** RotateSecret with the stored configuration, as the account (the caller was authorized for keyshift:RotateSecret). */
async function rotateNow(deps: SecretsDeps, call: ManagementCall, s: SecretRecord): Promise<{ arn: string; name: string; version_id: string; rotation_id?: string }> {
  if (!s.rotationLambdaArn) throw new ServiceError("InvalidRequestException", "The secret has no rotator: register it for rotation first (PUT /v1/secrets/{SecretId}/rotation).");
  const r = await rotateSecret(deps, actingContext(call), { SecretId: s.arn, ClientRequestToken: randomUUID() });
  // The rotation to this version (it may already have ended).
  const started = (await deps.store.listRotations({ accountId: s.accountId, secretUid: s.uid, limit: 5 })).find((x) => x.token === r.VersionId);
  return { arn: r.ARN!, name: r.Name!, version_id: r.VersionId!, ...(started ? { rotation_id: started.id } : {}) };
}

const id = (call: ManagementCall) => call.params.SecretId!;

/**
 * The management API's secret routes: registration for rotation, schedules, rotate now,
 * emergency rotation, due secrets and the per-secret observability view. Each is authorized as
 * `keyshift:<Action>` on the secret's ARN (account-wide listings on `*`); see docs/management-api.md.
 */
export function secretRoutes(o: SecretRouteOptions = {}): ManagementRoute[] {
  const emit = (e: ManagementEvent) => {
    try {
      o.onEvent?.(e);
    } catch {
      // A listener's failure never fails the rotation that already happened.
    }
  };
  return [
    {
      method: "PUT",
      path: "/secrets/{SecretId}/rotation",
      handler: async (deps, call) => {
        const s = await secretForAction(deps, call, id(call), "RegisterRotation");
        const b = bodyObject(call);
        const reg = await parseRegistration(deps, b, s.region, s.accountId);
        if (b.rotate_immediately !== undefined && typeof b.rotate_immediately !== "boolean") throw new ServiceError("ValidationException", "rotate_immediately must be a boolean.");
        let next = await register(deps, s, reg);
        const rotation = b.rotate_immediately === true ? await rotateNow(deps, call, next) : undefined;
        if (rotation) next = (await deps.store.getSecretByUid(s.uid)) ?? next;
        return { body: { ...scheduleView(next, deps.clock()), ...(rotation ? { rotation } : {}) } };
      },
    },
    {
      method: "GET",
      path: "/secrets/{SecretId}/schedule",
      handler: async (deps, call) => {
        const s = await secretForAction(deps, call, id(call), "DescribeSchedule");
        return { body: scheduleView(s, deps.clock()) };
      },
    },
    {
      method: "PUT",
      path: "/secrets/{SecretId}/schedule",
      handler: async (deps, call) => {
        const s = await secretForAction(deps, call, id(call), "UpdateSchedule");
        const b = bodyObject(call);
        if (b.enabled !== undefined && typeof b.enabled !== "boolean") throw new ServiceError("ValidationException", "enabled must be a boolean.");
        const hasRules = b.rotation_interval_days !== undefined || b.schedule_expression !== undefined;
        if (!hasRules && b.enabled === undefined) throw new ServiceError("ValidationException", "Give rotation_interval_days or schedule_expression (and optionally duration), or enabled.");
        const next = await updateSchedule(deps, s, hasRules ? parseRules(b) : undefined, b.enabled !== false);
        return { body: scheduleView(next, deps.clock()) };
      },
    },
    {
      method: "POST",
      path: "/secrets/{SecretId}/rotate",
      handler: async (deps, call) => {
        const s = await secretForAction(deps, call, id(call), "RotateSecret");
        return { status: 202, body: await rotateNow(deps, call, s) };
      },
    },
    {
      method: "POST",
      path: "/secrets/{SecretId}/emergency-rotation",
      handler: async (deps, call) => {
        const s = await secretForAction(deps, call, id(call), "EmergencyRotateSecret");
        const b = bodyObject(call);
        if (b.value !== undefined && (typeof b.value !== "string" || b.value.length === 0 || b.value.length > 65536)) throw new ServiceError("ValidationException", "value must be a non-empty string of at most 65536 characters.");
        if (b.reason !== undefined && (typeof b.reason !== "string" || b.reason.length > 1024)) throw new ServiceError("ValidationException", "reason must be a string of at most 1024 characters.");
        const value = typeof b.value === "string" ? { kind: "string" as const, bytes: Buffer.from(b.value, "utf8") } : undefined;
        const out = await emergencyRotate(deps, s, value);
        emit({
          type: "EmergencyRotation", time: deps.clock(), accountId: s.accountId, region: s.region, secretArn: s.arn, secretName: s.name,
          principalArn: call.principal.arn, versionId: out.versionId, ...(out.previousVersionId ? { previousVersionId: out.previousVersionId } : {}),
          rotationIds: out.rotationIds, generated: out.generated, revocation: out.revocation, ...(typeof b.reason === "string" ? { reason: b.reason } : {}),
          ...(s.management?.criticality ? { criticality: s.management.criticality } : {}),
        });
        return {
          body: {
            arn: s.arn, name: s.name, version_id: out.versionId, ...(out.previousVersionId ? { previous_version_id: out.previousVersionId } : {}),
            rotation_ids: out.rotationIds, rotator_arn: out.rotatorArn, generated: out.generated, revocation: out.revocation,
          },
        };
      },
    },
    {
      method: "GET",
      path: "/secrets/{SecretId}/status",
      handler: async (deps, call) => {
        const s = await secretForAction(deps, call, id(call), "DescribeSecretStatus");
        return { body: await statusView(deps, s) };
      },
    },
    {
      method: "GET",
      path: "/schedules",
      handler: async (deps, call) => {
        authorizeAction(deps, call, "ListSchedules");
        const q = call.query;
        const type = q.get("secret_type");
        const crit = q.get("criticality");
        const page = await scanSecrets(
          deps, call,
          (s) => s.rotationLambdaArn !== undefined && (type === null || s.management?.secretType === type) && (crit === null || s.management?.criticality === crit),
          maxResults(q), q.get("next_token") ?? undefined,
        );
        const now = deps.clock();
        return { body: { schedules: page.secrets.map((s) => scheduleView(s, now)), ...(page.nextToken ? { next_token: page.nextToken } : {}) } };
      },
    },
    {
      method: "GET",
      path: "/schedules/due",
      handler: async (deps, call) => {
        authorizeAction(deps, call, "ListDueSecrets");
        const q = call.query;
        const within = q.get("within_days") === null ? 0 : Number(q.get("within_days"));
        if (!Number.isFinite(within) || within < 0 || within > 3650) throw new ServiceError("ValidationException", "within_days must be a number from 0 to 3650.");
        const now = deps.clock();
        const horizon = now + within * 86_400_000;
        const page = await scanSecrets(deps, call, (s) => dueness(s, horizon).due, maxResults(q), q.get("next_token") ?? undefined);
        return { body: { secrets: page.secrets.map((s) => scheduleView(s, now)), ...(page.nextToken ? { next_token: page.nextToken } : {}) } };
      },
    },
    {
      method: "POST",
      path: "/schedules/due/rotate",
      handler: async (deps, call) => {
        authorizeAction(deps, call, "RotateDueSecrets");
        const now = deps.clock();
        const page = await scanSecrets(deps, call, (s) => dueness(s, now).due, 500, undefined);
        const started: unknown[] = [];
        const skipped: { arn: string; name: string; reason: string }[] = [];
        for (const s of page.secrets) {
          if (!mayAct(deps, call, "RotateSecret", s)) {
            skipped.push({ arn: s.arn, name: s.name, reason: "AccessDenied: keyshift:RotateSecret is not allowed on this secret" });
            continue;
          }
          try {
            started.push(await rotateNow(deps, call, s));
          } catch (e) {
            skipped.push({ arn: s.arn, name: s.name, reason: e instanceof ServiceError ? `${e.code}: ${e.message}` : "InternalServiceError" });
          }
        }
        return { status: 202, body: { started, skipped, ...(page.nextToken ? { more: true } : {}) } };
      },
    },
  ];
}
