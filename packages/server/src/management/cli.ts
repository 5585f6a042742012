import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { callApi, withApiFlags, type ApiFlags } from "../cli/api-client.js";

const print = (v: unknown): void => void process.stdout.write(JSON.stringify(v, null, 2) + "\n");
const secretPath = (id: string) => `/v1/secrets/${encodeURIComponent(id)}`;

function query(pairs: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(pairs)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The schedule flags shared by register-rotation and schedule. */
function scheduleBody(f: { rotationIntervalDays?: string; scheduleExpression?: string; duration?: string }): Record<string, unknown> {
  return {
    ...(f.rotationIntervalDays !== undefined ? { rotation_interval_days: Number(f.rotationIntervalDays) } : {}),
    ...(f.scheduleExpression !== undefined ? { schedule_expression: f.scheduleExpression } : {}),
    ...(f.duration !== undefined ? { duration: f.duration } : {}),
  };
}

/**
 * `keyshift secrets register-rotation|schedule|rotate|emergency-rotate|status|due`,
 * `keyshift schedules`, `keyshift rotate-due` and `keyshift tokens create|list|revoke`: the
 * management API (docs/management-api.md) against a running server, signed like the aws CLI.
 * An emergency value is read from a file (or - for stdin), never from a flag.
 */
export function managementCommands(program: Command): void {
  const secrets = program.command("secrets").description("rotation management of secrets (the management API)");
  withApiFlags(secrets.command("register-rotation").description("register a secret for rotation"))
    .requiredOption("--secret-id <id>", "name or ARN")
    .requiredOption("--secret-type <type>", "password, api_key, token or database")
    .option("--rotator <name>", "built-in rotator, registered HTTP function name, or Lambda ARN (default by type)")
    .option("--rotation-interval-days <n>", "rotate every n days")
    .option("--schedule-expression <expr>", "cron(...) or rate(...)")
    .option("--duration <d>", "rotation window, e.g. 3h")
    .option("--criticality <c>", "low, medium, high or critical", "medium")
    .option("--description <text>", "the secret's description")
    .option("--rotate-immediately", "also rotate now")
    .action(async (f: ApiFlags & { secretId: string; secretType: string; rotator?: string; rotationIntervalDays?: string; scheduleExpression?: string; duration?: string; criticality: string; description?: string; rotateImmediately?: boolean }) =>
      print(
        await callApi(f, "PUT", `${secretPath(f.secretId)}/rotation`, {
          secret_type: f.secretType, criticality: f.criticality, ...scheduleBody(f),
          ...(f.rotator ? { rotator: f.rotator } : {}), ...(f.description !== undefined ? { description: f.description } : {}), ...(f.rotateImmediately ? { rotate_immediately: true } : {}),
        }),
      ),
    );
  withApiFlags(secrets.command("schedule").description("update a registered secret's schedule"))
    .requiredOption("--secret-id <id>", "name or ARN")
    .option("--rotation-interval-days <n>", "rotate every n days")
    .option("--schedule-expression <expr>", "cron(...) or rate(...)")
    .option("--duration <d>", "rotation window, e.g. 3h")
    .option("--disable", "turn automatic rotation off")
    .action(async (f: ApiFlags & { secretId: string; rotationIntervalDays?: string; scheduleExpression?: string; duration?: string; disable?: boolean }) =>
      print(await callApi(f, "PUT", `${secretPath(f.secretId)}/schedule`, { ...scheduleBody(f), ...(f.disable ? { enabled: false } : {}) })),
    );
  withApiFlags(secrets.command("rotate").description("rotate now with the stored configuration"))
    .requiredOption("--secret-id <id>", "name or ARN")
    .action(async (f: ApiFlags & { secretId: string }) => print(await callApi(f, "POST", `${secretPath(f.secretId)}/rotate`)));
  withApiFlags(secrets.command("emergency-rotate").description("replace the value now and revoke the old credential at once"))
    .requiredOption("--secret-id <id>", "name or ARN")
    .option("--value-file <path>", "the new value from this file (- for stdin); generated when absent")
    .option("--reason <text>", "why (goes to the EmergencyRotation event)")
    .action(async (f: ApiFlags & { secretId: string; valueFile?: string; reason?: string }) => {
      const value = f.valueFile === undefined ? undefined : readFileSync(f.valueFile === "-" ? 0 : f.valueFile, "utf8").replace(/\r?\n$/, "");
      print(await callApi(f, "POST", `${secretPath(f.secretId)}/emergency-rotation`, { ...(value !== undefined ? { value } : {}), ...(f.reason ? { reason: f.reason } : {}) }));
    });
  withApiFlags(secrets.command("status").description("rotation status, last access and consumers of a secret (no values)"))
    .requiredOption("--secret-id <id>", "name or ARN")
    .action(async (f: ApiFlags & { secretId: string }) => print(await callApi(f, "GET", `${secretPath(f.secretId)}/status`)));
  withApiFlags(secrets.command("due").description("secrets due for rotation"))
    .option("--within-days <n>", "also those due within n days")
    .action(async (f: ApiFlags & { withinDays?: string }) => print(await callApi(f, "GET", `/v1/schedules/due${query({ within_days: f.withinDays })}`)));

  withApiFlags(program.command("schedules").description("rotation schedules of the account's registered secrets"))
    .option("--criticality <c>", "only this criticality")
    .option("--secret-type <t>", "only this secret type")
    .option("--next-token <token>", "continue a listing")
    .action(async (f: ApiFlags & { criticality?: string; secretType?: string; nextToken?: string }) =>
      print(await callApi(f, "GET", `/v1/schedules${query({ criticality: f.criticality, secret_type: f.secretType, next_token: f.nextToken })}`)),
    );
  withApiFlags(program.command("rotate-due").description("rotate every secret that is due now")).action(async (f: ApiFlags) => print(await callApi(f, "POST", "/v1/schedules/due/rotate")));

  const tokens = program.command("tokens").description("bearer tokens for the management API");
  withApiFlags(tokens.command("create").description("create a token (printed once; Keyshift keeps only its hash)"))
    .option("--user-name <name>", "for this user (default: you)")
    .option("--expires-in-days <n>", "expiry")
    .option("--description <text>", "what it is for")
    .action(async (f: ApiFlags & { userName?: string; expiresInDays?: string; description?: string }) =>
      print(
        await callApi(f, "POST", "/v1/tokens", {
          ...(f.userName ? { user_name: f.userName } : {}), ...(f.expiresInDays ? { expires_in_days: Number(f.expiresInDays) } : {}), ...(f.description ? { description: f.description } : {}),
        }),
      ),
    );
  withApiFlags(tokens.command("list").description("list tokens (metadata only)"))
    .option("--user-name <name>", "only this user's")
    .action(async (f: ApiFlags & { userName?: string }) => print(await callApi(f, "GET", `/v1/tokens${query({ user_name: f.userName })}`)));
  withApiFlags(tokens.command("revoke").description("revoke a token at once"))
    .requiredOption("--token-id <id>", "KSBT...")
    .action(async (f: ApiFlags & { tokenId: string }) => print(await callApi(f, "DELETE", `/v1/tokens/${encodeURIComponent(f.tokenId)}`)));
}
