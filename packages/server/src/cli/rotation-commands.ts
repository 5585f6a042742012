import type { Command } from "commander";
import { callApi, withApiFlags, type ApiFlags } from "./api-client.js";

const print = (v: unknown): void => void process.stdout.write(JSON.stringify(v, null, 2) + "\n");

/**
 * `keyshift rotators register|list|delete` and `keyshift rotations history`: against a running
 * server, authenticated like the aws CLI (environment or shared credentials file).
 */
export function rotationCommands(program: Command): void {
  const rotators = program.command("rotators").description("rotation functions: built-in ones and your HTTP ones");
  withApiFlags(rotators.command("register").description("register an HTTP rotation function (it receives the AWS rotation event)"))
    .requiredOption("--name <name>", "function name; RotationLambdaARN arn:aws:lambda:<region>:<account>:function:<name> then calls it")
    .requiredOption("--url <url>", "where the engine POSTs each step's event")
    .action(async (f: ApiFlags & { name: string; url: string }) => print(await callApi(f, "PUT", `/v1/rotators/${encodeURIComponent(f.name)}`, { Url: f.url })));
  withApiFlags(rotators.command("list").description("list rotation functions")).action(async (f: ApiFlags) => print(await callApi(f, "GET", "/v1/rotators")));
  withApiFlags(rotators.command("delete").description("remove an HTTP rotation function"))
    .requiredOption("--name <name>", "function name")
    .action(async (f: ApiFlags & { name: string }) => {
      await callApi(f, "DELETE", `/v1/rotators/${encodeURIComponent(f.name)}`);
      print({ Deleted: f.name });
    });

  const rotations = program.command("rotations").description("rotation attempts");
  withApiFlags(rotations.command("history").description("rotation attempts, newest first"))
    .option("--secret-id <id>", "name or ARN of one secret")
    .option("--status <status>", "running, succeeded, failed or cancelled")
    .option("--method <method>", "automatic, manual, emergency or test")
    .option("--since <time>", "ISO-8601 date or epoch seconds")
    .option("--until <time>", "ISO-8601 date or epoch seconds")
    .option("--max-results <n>", "page size (1-500)", "50")
    .option("--next-token <token>", "continue a previous listing")
    .action(async (f: ApiFlags & { secretId?: string; status?: string; method?: string; since?: string; until?: string; maxResults: string; nextToken?: string }) => {
      const q = new URLSearchParams();
      if (f.secretId) q.set("SecretId", f.secretId);
      if (f.status) q.set("Status", f.status);
      if (f.method) q.set("Method", f.method);
      if (f.since) q.set("Since", f.since);
      if (f.until) q.set("Until", f.until);
      q.set("MaxResults", f.maxResults);
      if (f.nextToken) q.set("NextToken", f.nextToken);
      print(await callApi(f, "GET", `/v1/rotations?${q.toString()}`));
    });
}

/** `keyshift consumers [--secret-id X]`: who holds which version (agents and SDK clients report it). */
export function consumerCommands(program: Command): void {
  withApiFlags(program.command("consumers").description("agents and SDK clients, and the versions they hold"))
    .option("--secret-id <id>", "only consumers holding a version of this secret")
    .action(async (f: ApiFlags & { secretId?: string }) => {
      const q = f.secretId ? `?SecretId=${encodeURIComponent(f.secretId)}` : "";
      print(await callApi(f, "GET", `/v1/consumers${q}`));
    });
}
