import type { ManagementRoute } from "../http/management.js";

/** An OpenAPI 3 operation object, as much of it as the documentation here uses. */
export interface OperationDoc {
  summary: string;
  description?: string;
  tags: string[];
  /** The `keyshift:`/`iam:` action the route is authorized as (shown as `x-keyshift-action`). */
  action?: string;
  query?: { name: string; description: string; schema?: Record<string, unknown> }[];
  body?: Record<string, unknown>;
  /** Schema of the success answer. */
  answer?: Record<string, unknown>;
  status?: number;
}

const str = { type: "string" };
const int = { type: "integer" };
const bool = { type: "boolean" };
const epoch = { type: "integer", description: "seconds since the epoch" };
const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: "object", properties, ...(required.length ? { required } : {}) });
const list = (items: unknown) => ({ type: "array", items });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const q = (name: string, description: string, schema: Record<string, unknown> = str) => ({ name, description, schema });

const scheduleRules = {
  rotation_interval_days: { type: "integer", minimum: 1, maximum: 1000 },
  schedule_expression: { type: "string", description: "cron(...) (AWS's six fields) or rate(N days|hours)" },
  duration: { type: "string", description: "rotation window length, e.g. 3h" },
};

const schemas: Record<string, unknown> = {
  Error: obj({ __type: str, Message: str }, ["__type", "Message"]),
  Schedule: obj({
    arn: str, name: str, description: str,
    secret_type: { type: "string", enum: ["password", "api_key", "token", "database"] },
    criticality: { type: "string", enum: ["low", "medium", "high", "critical"] },
    rotator: str, rotator_arn: str, rotation_enabled: bool, ...scheduleRules,
    last_rotated_at: epoch, next_rotation_at: epoch, due_at: epoch, due: bool, overdue: bool, failing: bool, failure_count: int,
  }, ["arn", "name", "rotation_enabled", "due", "overdue", "failing", "failure_count"]),
  RotationStarted: obj({ arn: str, name: str, version_id: str, rotation_id: str }, ["arn", "name", "version_id"]),
  Token: obj({
    token_id: str, user_name: str, user_arn: str, region: str, state: { type: "string", enum: ["active", "expired", "revoked"] },
    created_at: epoch, created_by: str, expires_at: epoch, revoked_at: epoch, description: str,
  }, ["token_id", "user_name", "state", "created_at"]),
  Rotation: obj({
    RotationId: str, SecretARN: str, SecretName: str, FromVersionId: str, ToVersionId: str, RotationLambdaARN: str,
    Method: { type: "string", enum: ["automatic", "manual", "emergency", "test"] },
    Status: { type: "string", enum: ["running", "succeeded", "failed", "cancelled"] },
    Attempt: int, StartedAt: epoch, EndedAt: epoch, DurationMs: { type: "number" }, Error: str,
    Steps: list(obj({ Step: str, StartedAt: epoch, EndedAt: epoch, DurationMs: { type: "number" }, Outcome: str })),
  }),
  Status: {
    allOf: [
      ref("Schedule"),
      obj({
        rotation_status: { type: "string", enum: ["rotating", "failing", "overdue", "due", "scheduled", "not_scheduled"] },
        current_rotation: obj({ rotation_id: str, method: str, step: str, started_at: epoch }),
        last_rotation: obj({ rotation_id: str, method: str, status: str, started_at: epoch, ended_at: epoch, error: str }),
        last_accessed_at: { ...epoch, description: "day resolution (midnight UTC)" },
        created_at: epoch, last_changed_at: epoch,
        versions: list(obj({ version_id: str, stages: list(str), created_at: epoch })),
        current_version_id: { type: "string", nullable: true },
        consumers: list(obj({ consumer_id: str, name: str, kind: str, principal_arn: str, last_seen: epoch, live: bool, version_id: str, version_stages: list(str) })),
      }),
    ],
  },
};

const secretId = "SecretId";

/**
 * The documentation of every management route, keyed by `METHOD /path` (below /v1). A route
 * may carry its own instead (`ManagementRoute.doc`). The tests check that every route has an
 * entry and every entry a route.
 */
export const routeDocs: Record<string, OperationDoc> = {
  "PUT /secrets/{SecretId}/rotation": {
    tags: ["rotation"], action: "keyshift:RegisterRotation", summary: "Register a secret for rotation",
    description: "Turns automatic rotation on with a rotator and a schedule, and records the secret's type and criticality. Without `rotator`, password/api_key/token secrets use keyshift-random-password in a matching format. Idempotent: registering again replaces the configuration.",
    body: obj({
      secret_type: { type: "string", enum: ["password", "api_key", "token", "database"] },
      rotator: { type: "string", description: "built-in name (keyshift-...), a registered HTTP rotation function's name, or a Lambda function ARN" },
      ...scheduleRules,
      criticality: { type: "string", enum: ["low", "medium", "high", "critical"], default: "medium" },
      description: { type: "string", maxLength: 2048 },
      rotator_options: { type: "object", additionalProperties: str },
      rotate_immediately: { type: "boolean", default: false },
    }, ["secret_type"]),
    answer: { allOf: [ref("Schedule"), obj({ rotation: ref("RotationStarted") })] },
  },
  "GET /secrets/{SecretId}/schedule": { tags: ["rotation"], action: "keyshift:DescribeSchedule", summary: "A secret's rotation schedule", answer: ref("Schedule") },
  "PUT /secrets/{SecretId}/schedule": {
    tags: ["rotation"], action: "keyshift:UpdateSchedule", summary: "Update a registered secret's schedule",
    body: obj({ ...scheduleRules, enabled: bool }), answer: ref("Schedule"),
  },
  "POST /secrets/{SecretId}/rotate": {
    tags: ["rotation"], action: "keyshift:RotateSecret", summary: "Rotate now", status: 202,
    description: "Starts a rotation with the stored configuration (RotateSecret semantics); it runs in the background: follow it in /v1/rotations.",
    answer: ref("RotationStarted"),
  },
  "POST /secrets/{SecretId}/emergency-rotation": {
    tags: ["rotation"], action: "keyshift:EmergencyRotateSecret", summary: "Emergency rotation: replace and revoke at once",
    description: "A new value (the supplied one, or one the rotator generates) becomes AWSCURRENT at once and the old credential is revoked at once (setSecret/finishSecret run now; AWSPREVIOUS is removed; alternating-users rotators rotate twice). Answers when done. Emits an EmergencyRotation event.",
    body: obj({ value: { type: "string", description: "the new secret string; generated when absent" }, reason: { type: "string", maxLength: 1024 } }),
    answer: obj({
      arn: str, name: str, version_id: str, previous_version_id: str, rotation_ids: list(str), rotator_arn: str, generated: bool,
      revocation: { type: "string", enum: ["value-withdrawn", "password-changed", "both-users-changed", "rotation-function"] },
    }),
  },
  "GET /secrets/{SecretId}/status": {
    tags: ["observability"], action: "keyshift:DescribeSecretStatus", summary: "Observability view of a secret (metadata only)",
    description: "Rotation status, last and next rotation, last access, consumers (agents and SDK clients) and failure count. Never a value.",
    answer: ref("Status"),
  },
  "GET /schedules": {
    tags: ["rotation"], action: "keyshift:ListSchedules", summary: "List rotation schedules",
    query: [q("secret_type", "only this type"), q("criticality", "only this criticality"), q("max_results", "1-500, default 100", int), q("next_token", "continue a listing")],
    answer: obj({ schedules: list(ref("Schedule")), next_token: str }),
  },
  "GET /schedules/due": {
    tags: ["rotation"], action: "keyshift:ListDueSecrets", summary: "Secrets due for rotation",
    query: [q("within_days", "also those due within this many days (default 0: due now)", { type: "number" }), q("max_results", "1-500, default 100", int), q("next_token", "continue a listing")],
    answer: obj({ secrets: list(ref("Schedule")), next_token: str }),
  },
  "POST /schedules/due/rotate": {
    tags: ["rotation"], action: "keyshift:RotateDueSecrets", summary: "Rotate every due secret now", status: 202,
    description: "Starts a rotation of each due secret the caller may keyshift:RotateSecret (at most 500 per call; `more` says there are others).",
    answer: obj({ started: list(ref("RotationStarted")), skipped: list(obj({ arn: str, name: str, reason: str })), more: bool }),
  },
  "GET /rotations": {
    tags: ["rotation"], action: "keyshift:ListRotations", summary: "Rotation history, newest first",
    query: [
      q("SecretId", "one secret (name or ARN)"), q("Status", "outcome: running, succeeded, failed or cancelled"), q("Method", "automatic, manual, emergency or test"),
      q("Since", "epoch seconds or ISO-8601"), q("Until", "epoch seconds or ISO-8601"), q("MaxResults", "1-500, default 50", int), q("NextToken", "continue a listing"),
    ],
    answer: obj({ Rotations: list(ref("Rotation")), NextToken: str }),
  },
  "GET /rotators": { tags: ["rotation"], action: "keyshift:ListRotators", summary: "Built-in and registered rotators", answer: obj({ Rotators: list(obj({ Name: str, FunctionArn: str, BuiltIn: bool, Description: str, Url: str })) }) },
  "PUT /rotators/{name}": { tags: ["rotation"], action: "keyshift:RegisterRotator", summary: "Register an HTTP rotation function", body: obj({ Url: str }, ["Url"]), answer: obj({ Name: str, FunctionArn: str, Url: str }) },
  "DELETE /rotators/{name}": { tags: ["rotation"], action: "keyshift:DeleteRotator", summary: "Remove an HTTP rotation function", status: 204 },
  "GET /changes": { tags: ["changes"], action: "keyshift:SubscribeChanges", summary: "The account's change feed (server-sent events)", description: "See docs/change-feed.md; resumes after Last-Event-ID." },
  "PUT /consumers/{id}": { tags: ["changes"], action: "keyshift:ReportConsumer", summary: "Report what a consumer holds", body: obj({ Kind: { type: "string", enum: ["agent", "sdk"] }, Name: str, Holdings: list(obj({ ARN: str, VersionId: str, VersionStages: list(str) })) }, ["Kind"]) },
  "GET /consumers": { tags: ["changes"], action: "keyshift:ListConsumers", summary: "Consumers and the versions they hold", query: [q("SecretId", "only consumers holding this secret")] },
  "POST /tokens": {
    tags: ["tokens"], action: "keyshift:CreateToken", summary: "Create a bearer token for a user", status: 201,
    description: "The token is in this answer only; Keyshift keeps a SHA-256 of it. Authorized on the user's ARN.",
    body: obj({ user_name: { type: "string", description: "default: the caller" }, expires_in_days: { type: "number" }, description: str }),
    answer: { allOf: [ref("Token"), obj({ token: str }, ["token"])] },
  },
  "GET /tokens": { tags: ["tokens"], action: "keyshift:ListTokens", summary: "List bearer tokens (metadata only)", query: [q("user_name", "only this user's")], answer: obj({ tokens: list(ref("Token")) }) },
  "DELETE /tokens/{TokenId}": { tags: ["tokens"], action: "keyshift:RevokeToken", summary: "Revoke a bearer token at once", answer: ref("Token") },
  "GET /audit": { tags: ["audit"], action: "keyshift:QueryAuditLog", summary: "Query the audit trail (metadata only)", description: "See the audit documentation for the filters." },
  "GET /audit/readers": { tags: ["audit"], action: "keyshift:GetAccessReport", summary: "Who read a secret in the last N days", query: [q("SecretId", "the secret (name or ARN)")] },
  "GET /audit/last-access": { tags: ["audit"], action: "keyshift:GetAccessReport", summary: "Last access per secret or per principal", query: [q("By", "secret or principal"), q("Days", "look-back in days", int), q("SecretId", "one secret"), q("Principal", "one principal ARN")] },
  "GET /notifications/webhooks": { tags: ["notifications"], action: "keyshift:ListWebhooks", summary: "List notification webhooks" },
  "GET /notifications/webhooks/{name}": { tags: ["notifications"], action: "keyshift:GetWebhook", summary: "A notification webhook" },
  "PUT /notifications/webhooks/{name}": { tags: ["notifications"], action: "keyshift:PutWebhook", summary: "Create or replace a notification webhook", body: { type: "object" } },
  "DELETE /notifications/webhooks/{name}": { tags: ["notifications"], action: "keyshift:DeleteWebhook", summary: "Remove a notification webhook" },
  "GET /notifications/deliveries": { tags: ["notifications"], action: "keyshift:ListNotificationDeliveries", summary: "The notification delivery log" },
  "POST /iam/accounts": { tags: ["iam"], action: "iam:CreateAccount", summary: "Create an account (operator)", status: 201, body: obj({ Name: str, AccountId: str }, ["Name"]) },
  "GET /iam/accounts": { tags: ["iam"], action: "iam:ListAccounts", summary: "List accounts (operator)" },
  "POST /iam/accounts/{account}/users": { tags: ["iam"], action: "iam:CreateUser", summary: "Create a user", status: 201, body: obj({ UserName: str, Admin: bool, Tags: { type: "object", additionalProperties: str } }, ["UserName"]) },
  "GET /iam/accounts/{account}/users": { tags: ["iam"], action: "iam:ListUsers", summary: "List users" },
  "DELETE /iam/accounts/{account}/users/{user}": { tags: ["iam"], action: "iam:DeleteUser", summary: "Delete a user with its keys and policies" },
  "POST /iam/accounts/{account}/users/{user}/access-keys": { tags: ["iam"], action: "iam:CreateAccessKey", summary: "Create an access key", status: 201 },
  "GET /iam/accounts/{account}/users/{user}/access-keys": { tags: ["iam"], action: "iam:ListAccessKeys", summary: "List access keys" },
  "PUT /iam/accounts/{account}/users/{user}/access-keys/{key}": { tags: ["iam"], action: "iam:UpdateAccessKey", summary: "Activate or deactivate an access key", body: obj({ Status: { type: "string", enum: ["Active", "Inactive"] } }, ["Status"]) },
  "DELETE /iam/accounts/{account}/users/{user}/access-keys/{key}": { tags: ["iam"], action: "iam:DeleteAccessKey", summary: "Delete an access key" },
  "PUT /iam/accounts/{account}/users/{user}/policies/{policy}": { tags: ["iam"], action: "iam:PutUserPolicy", summary: "Put an inline user policy", body: obj({ PolicyDocument: str }, ["PolicyDocument"]) },
  "GET /iam/accounts/{account}/users/{user}/policies": { tags: ["iam"], action: "iam:ListUserPolicies", summary: "List a user's inline policies" },
  "GET /iam/accounts/{account}/users/{user}/policies/{policy}": { tags: ["iam"], action: "iam:GetUserPolicy", summary: "Get an inline user policy" },
  "DELETE /iam/accounts/{account}/users/{user}/policies/{policy}": { tags: ["iam"], action: "iam:DeleteUserPolicy", summary: "Delete an inline user policy" },
};

const errors = {
  "400": { description: "Invalid request", content: { "application/json": { schema: ref("Error") } } },
  "401": { description: "Not authenticated (missing or invalid signature or token)", content: { "application/json": { schema: ref("Error") } } },
  "403": { description: "AccessDeniedException: no policy allows the action", content: { "application/json": { schema: ref("Error") } } },
  "404": { description: "ResourceNotFoundException", content: { "application/json": { schema: ref("Error") } } },
};

function operation(method: string, path: string, d: OperationDoc | undefined) {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1]!, in: "path", required: true, schema: str,
    ...(m[1] === secretId ? { description: "name or ARN of a secret of the caller's account (URL-encoded: / is %2F)" } : {}),
  }));
  const status = String(d?.status ?? 200);
  return {
    operationId: `${method.toLowerCase()}${path.replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
    summary: d?.summary ?? "Undocumented",
    ...(d?.description ? { description: d.description } : {}),
    tags: d?.tags ?? ["undocumented"],
    ...(d ? {} : { "x-keyshift-undocumented": true }),
    ...(d?.action ? { "x-keyshift-action": d.action } : {}),
    parameters: [...params, ...(d?.query ?? []).map((x) => ({ name: x.name, in: "query", required: false, description: x.description, schema: x.schema ?? str }))],
    ...(d?.body ? { requestBody: { required: true, content: { "application/json": { schema: d.body } } } } : {}),
    responses: {
      [status]: status === "204" ? { description: "Done" } : { description: "Success", content: { "application/json": { schema: d?.answer ?? { type: "object" } } } },
      ...errors,
    },
  };
}

/** Routes documented neither beside the route nor in `routeDocs`, and `routeDocs` entries without a route. */
export function documentationGaps(routes: readonly ManagementRoute[]): { undocumented: string[]; stale: string[] } {
  const keys = new Set(routes.map((r) => `${r.method} ${r.path}`));
  return {
    undocumented: routes.filter((r) => !r.doc && !routeDocs[`${r.method} ${r.path}`]).map((r) => `${r.method} ${r.path}`),
    stale: Object.keys(routeDocs).filter((k) => !keys.has(k)),
  };
}

/**
 * The OpenAPI 3.0 document of the management API, built from the routes the server serves (so
 * it lists exactly those), each described by its `doc` or its `routeDocs` entry. Served at
 * `GET /v1/openapi.json` without authentication.
 */
export function openApiDocument(routes: readonly ManagementRoute[], version = "0.1.0"): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = `/v1${r.path}`;
    (paths[p] ??= {})[r.method.toLowerCase()] = operation(r.method, r.path, r.doc ?? routeDocs[`${r.method} ${r.path}`]);
  }
  paths["/v1/openapi.json"] = {
    get: { operationId: "getOpenApi", summary: "This document", tags: ["meta"], security: [], responses: { "200": { description: "The OpenAPI document", content: { "application/json": { schema: { type: "object" } } } } } },
  };
  return {
    openapi: "3.0.3",
    info: {
      title: "Keyshift management API",
      version,
      description: "JSON management API of Keyshift. Authenticate with AWS SigV4 (service `keyshift`, the same access keys as the Secrets Manager API) or with `Authorization: Bearer <token>` (POST /v1/tokens). Every operation is authorized by the caller's IAM policies as the action in `x-keyshift-action`; the account is always the caller's. See docs/management-api.md.",
    },
    servers: [{ url: "/" }],
    security: [{ sigv4: [] }, { bearer: [] }],
    tags: ["rotation", "observability", "tokens", "changes", "audit", "notifications", "iam", "meta"].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        sigv4: { type: "apiKey", in: "header", name: "Authorization", description: "AWS Signature Version 4, service name `keyshift`" },
        bearer: { type: "http", scheme: "bearer", description: "A Keyshift bearer token (ksbt_...) tied to a user" },
      },
    },
  };
}
