import type { ManagementCall } from "../http/management.js";
import { decodeToken, encodeToken } from "../secrets/page-token.js";
import type { SecretRecord } from "../secrets/records.js";
import type { SecretsDeps } from "../secrets/context.js";
import { parseFunctionArn } from "../rotation/registry.js";
import { compileSchedule, nextWindow } from "../rotation/schedule.js";
import { ServiceError } from "@keyshift/protocol";
import { seconds } from "./access.js";

/** When a registered secret is next due: the scheduler's due date (a retry after a failure), else its next window. */
export function dueAt(s: SecretRecord): number | undefined {
  if (!s.rotationEnabled || !s.rotationLambdaArn) return undefined;
  return s.rotationDueAt ?? s.nextRotationAt;
}

/** Length of the secret's rotation window (its Duration, or the schedule's default), in ms. */
function windowLength(s: SecretRecord): number | undefined {
  if (!s.rotationRules) return undefined;
  try {
    const w = nextWindow(compileSchedule(s.rotationRules), s.lastRotatedAt ?? s.createdAt);
    return w && w.end - w.start;
  } catch {
    return undefined;
  }
}

/** Due (its date has come) and overdue (its window has closed without a rotation), as of `now`. */
export function dueness(s: SecretRecord, now: number): { due: boolean; overdue: boolean } {
  const at = dueAt(s);
  if (at === undefined || s.deletedAt !== undefined) return { due: false, overdue: false };
  const len = windowLength(s) ?? 0;
  return { due: at <= now, overdue: now > at + len };
}

/** A secret's rotation schedule: metadata only, snake_case like the registration body. */
export function scheduleView(s: SecretRecord, now: number) {
  const rules = s.rotationRules ?? {};
  const d = dueness(s, now);
  return {
    arn: s.arn,
    name: s.name,
    ...(s.description !== undefined ? { description: s.description } : {}),
    ...(s.management?.secretType ? { secret_type: s.management.secretType } : {}),
    ...(s.management?.criticality ? { criticality: s.management.criticality } : {}),
    ...(s.rotationLambdaArn ? { rotator: parseFunctionArn(s.rotationLambdaArn)?.name ?? s.rotationLambdaArn, rotator_arn: s.rotationLambdaArn } : {}),
    rotation_enabled: s.rotationEnabled === true,
    ...(rules.AutomaticallyAfterDays !== undefined ? { rotation_interval_days: rules.AutomaticallyAfterDays } : {}),
    ...(rules.ScheduleExpression !== undefined ? { schedule_expression: rules.ScheduleExpression } : {}),
    ...(rules.Duration !== undefined ? { duration: rules.Duration } : {}),
    ...(s.lastRotatedAt !== undefined ? { last_rotated_at: seconds(s.lastRotatedAt) } : {}),
    ...(s.nextRotationAt !== undefined ? { next_rotation_at: seconds(s.nextRotationAt) } : {}),
    ...(dueAt(s) !== undefined ? { due_at: seconds(dueAt(s)) } : {}),
    due: d.due,
    overdue: d.overdue,
    failing: s.rotationFailing === true,
    failure_count: s.rotationFailures ?? 0,
  };
}

const BATCH = 200;
/** Rows examined per request at most (a large account pages instead of scanning at once). */
const SCAN_BUDGET = 5000;

/**
 * One page of the caller's secrets (its account, the request's region; not deleted) that match
 * `keep`, oldest first. `next_token` resumes after the last secret examined; a page can be
 * short while a token is still returned.
 */
export async function scanSecrets(
  deps: SecretsDeps,
  call: ManagementCall,
  keep: (s: SecretRecord) => boolean,
  max: number,
  token: string | undefined,
): Promise<{ secrets: SecretRecord[]; nextToken?: string }> {
  let after: { key: number; uid: string } | undefined;
  if (token) {
    const t = decodeToken(token);
    if (typeof t.k !== "number" || typeof t.u !== "string") throw new ServiceError("InvalidNextTokenException", "The NextToken value is invalid.");
    after = { key: t.k, uid: t.u };
  }
  const out: SecretRecord[] = [];
  let scanned = 0;
  for (;;) {
    const rows = await deps.store.listSecrets({ accountId: call.principal.accountId, region: call.region, includeDeleted: false, sortBy: "created-date", order: "asc", ...(after ? { after } : {}), limit: BATCH });
    for (const s of rows) {
      after = { key: s.createdAt, uid: s.uid };
      scanned++;
      if (keep(s)) out.push(s);
      if (out.length === max) return { secrets: out, nextToken: encodeToken({ k: after.key, u: after.uid }) };
    }
    if (rows.length < BATCH) return { secrets: out };
    if (scanned >= SCAN_BUDGET && after) return { secrets: out, nextToken: encodeToken({ k: after.key, u: after.uid }) };
  }
}

/** `max_results` (1..500, default 100). */
export function maxResults(q: URLSearchParams): number {
  const v = q.get("max_results");
  const n = v === null ? 100 : Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new ServiceError("ValidationException", "max_results must be an integer from 1 to 500.");
  return n;
}
