import { ServiceError } from "@keyshift/protocol";
import type { SecretsDeps } from "../secrets/context.js";
import { mutateSecret, revise, saveWithReplicas } from "../secrets/mutation.js";
import type { RotationRules, SecretRecord } from "../secrets/records.js";
import { assertNotReplica } from "../secrets/resolve.js";
import { functionArn, parseFunctionArn } from "../rotation/registry.js";
import { compileSchedule } from "../rotation/schedule.js";
import { nextRotation } from "../rotation/next-rotation.js";

export const SECRET_TYPES = ["password", "api_key", "token", "database"] as const;
export const CRITICALITIES = ["low", "medium", "high", "critical"] as const;
export type SecretType = (typeof SECRET_TYPES)[number];
export type Criticality = (typeof CRITICALITIES)[number];

/** What a registration sets: the rotator, its schedule and options, and the management metadata. */
export interface Registration {
  secretType: SecretType;
  criticality: Criticality;
  rotatorArn: string;
  rules: RotationRules;
  options?: Record<string, string>;
  description?: string;
}

/** A built-in rotator for each kind of credential that needs no external system (database has none: name one). */
const DEFAULT_ROTATOR: Partial<Record<SecretType, { name: string; options: Record<string, string> }>> = {
  password: { name: "keyshift-random-password", options: { format: "password" } },
  api_key: { name: "keyshift-random-password", options: { format: "apikey" } },
  token: { name: "keyshift-random-password", options: { format: "base64url" } },
};

function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): T {
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) throw new ServiceError("ValidationException", `${field} must be one of ${allowed.join(", ")}.`);
  return v as T;
}

/** The schedule part of a body: `rotation_interval_days` or `schedule_expression` (rate()/cron()), optional `duration`. Validated as RotateSecret validates RotationRules. */
export function parseRules(b: Record<string, unknown>): RotationRules {
  const days = b.rotation_interval_days;
  const expr = b.schedule_expression;
  if ((days === undefined) === (expr === undefined)) throw new ServiceError("ValidationException", "Give exactly one of rotation_interval_days and schedule_expression.");
  if (days !== undefined && (!Number.isInteger(days) || (days as number) < 1 || (days as number) > 1000)) throw new ServiceError("ValidationException", "rotation_interval_days must be an integer from 1 to 1000.");
  if (expr !== undefined && typeof expr !== "string") throw new ServiceError("ValidationException", "schedule_expression must be a string such as cron(0 4 ? * MON *) or rate(30 days).");
  if (b.duration !== undefined && typeof b.duration !== "string") throw new ServiceError("ValidationException", "duration must be a string such as 3h.");
  const rules: RotationRules = {
    ...(days !== undefined ? { AutomaticallyAfterDays: days as number } : {}),
    ...(expr !== undefined ? { ScheduleExpression: expr as string } : {}),
    ...(b.duration !== undefined ? { Duration: b.duration as string } : {}),
  };
  compileSchedule(rules);
  return rules;
}

function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "object" || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "string")) throw new ServiceError("ValidationException", `${field} must be an object of strings.`);
  return v as Record<string, string>;
}

/**
 * Parses a registration body. `rotator` is a built-in name (`keyshift-...`), the name of an
 * HTTP rotation function registered in the account, or a Lambda function ARN; without it, the
 * random-password rotator in the format the secret type suggests (database needs a rotator).
 */
export async function parseRegistration(deps: SecretsDeps, b: Record<string, unknown>, region: string, accountId: string): Promise<Registration> {
  const secretType = oneOf(b.secret_type, SECRET_TYPES, "secret_type");
  const criticality = b.criticality === undefined ? "medium" : oneOf(b.criticality, CRITICALITIES, "criticality");
  if (b.description !== undefined && (typeof b.description !== "string" || b.description.length > 2048)) throw new ServiceError("ValidationException", "description must be a string of at most 2048 characters.");
  const fallback = DEFAULT_ROTATOR[secretType];
  let options = stringMap(b.rotator_options, "rotator_options");
  let rotator = b.rotator;
  if (rotator === undefined) {
    if (!fallback) throw new ServiceError("ValidationException", `secret_type ${secretType} needs a rotator (e.g. keyshift-postgres-single-user).`);
    rotator = fallback.name;
    options = { ...fallback.options, ...options };
  }
  if (typeof rotator !== "string" || rotator.length === 0) throw new ServiceError("ValidationException", "rotator must be a rotator name or a Lambda function ARN.");
  const rotatorArn = rotator.startsWith("arn:") ? rotator : functionArn(region, accountId, rotator);
  if (!parseFunctionArn(rotatorArn) || !(await deps.rotation.registry.resolve(rotatorArn, accountId))) {
    throw new ServiceError("InvalidParameterException", `No rotator ${rotator.slice(0, 128)}: use a built-in one or register an HTTP rotation function first.`);
  }
  return {
    secretType, criticality, rotatorArn, rules: parseRules(b),
    ...(options ? { options } : {}),
    ...(typeof b.description === "string" ? { description: b.description } : {}),
  };
}

/** The due dates after a schedule change: counted from the last rotation (or creation), as the engine counts. */
function scheduleAt(next: SecretRecord, rotating: boolean): void {
  const due = nextRotation(next, next.lastRotatedAt ?? next.createdAt);
  if (due === undefined) delete next.nextRotationAt;
  else next.nextRotationAt = due;
  // While a rotation runs nothing is due; its end sets the next date.
  if (due === undefined || rotating) delete next.rotationDueAt;
  else next.rotationDueAt = due;
}

/**
 * Registers a secret for rotation: turns automatic rotation on with the rotator, schedule and
 * options, records its type and criticality (kept in the secret's metadata) and, if given, its
 * description. Idempotent: registering again replaces the configuration. A secret whose date is
 * already past (last rotated longer ago than the interval) is due at once.
 */
export async function register(deps: SecretsDeps, first: SecretRecord, reg: Registration): Promise<SecretRecord> {
  assertNotReplica(first);
  return mutateSecret(deps, first, async (s) => {
    const next = revise(s, {
      rotationEnabled: true,
      rotationLambdaArn: reg.rotatorArn,
      rotationRules: reg.rules,
      management: { secretType: reg.secretType, criticality: reg.criticality },
      rotationFailing: false,
      rotationFailures: 0,
      ...(reg.options ? { rotationOptions: reg.options } : {}),
      ...(reg.description !== undefined ? { description: reg.description } : {}),
    });
    scheduleAt(next, (await deps.store.getRunningRotation(s.uid)) !== undefined);
    return { changes: await saveWithReplicas(deps, next), result: next };
  });
}

/** Replaces the schedule of a registered secret (or turns automatic rotation off with `enabled: false`). */
export async function updateSchedule(deps: SecretsDeps, first: SecretRecord, rules: RotationRules | undefined, enabled: boolean): Promise<SecretRecord> {
  assertNotReplica(first);
  if (!first.rotationLambdaArn) throw new ServiceError("InvalidRequestException", "The secret has no rotator: register it for rotation first (PUT /v1/secrets/{SecretId}/rotation).");
  return mutateSecret(deps, first, async (s) => {
    const next = revise(s, { rotationEnabled: enabled, ...(rules ? { rotationRules: rules } : {}) });
    if (!next.rotationRules && enabled) throw new ServiceError("ValidationException", "The secret has no schedule yet: give rotation_interval_days or schedule_expression.");
    scheduleAt(next, (await deps.store.getRunningRotation(s.uid)) !== undefined);
    return { changes: await saveWithReplicas(deps, next), result: next };
  });
}
