import type { Command } from "commander";
import { auditKeyPath } from "../audit/audit-from-config.js";
import { loadAuditKey } from "../audit/chain.js";
import { verifyFileTrail, verifyStoreTrail, type TrailReport } from "../audit/verify-trail.js";
import { storeFromConfig } from "../storage/store-from-config.js";
import { callApi, withApiFlags, type ApiFlags } from "./api-client.js";
import { configFrom, withDataDirFlags, type ServerFlags } from "./common.js";

const print = (v: unknown): void => void process.stdout.write(JSON.stringify(v, null, 2) + "\n");

/** Runs the verification `keyshift audit verify` does; the report says where the first bad record is. */
export async function verifyAudit(flags: ServerFlags & { file?: string }): Promise<TrailReport & { seconds: number }> {
  const config = configFrom(flags);
  const key = loadAuditKey(auditKeyPath(config), false);
  const t0 = performance.now();
  let report: TrailReport;
  if (flags.file) report = verifyFileTrail(flags.file, key);
  else {
    const store = await storeFromConfig(config);
    try {
      report = await verifyStoreTrail(store, key);
    } finally {
      await store.close();
    }
  }
  return { ...report, seconds: (performance.now() - t0) / 1000 };
}

/**
 * `keyshift audit verify` (offline, on the data dir: the store's chains, or a file sink's log
 * with --file; exit code 1 at the first bad record), and against a running server
 * `keyshift audit query`, `who-read` (blast radius) and `last-access`.
 */
export function auditCommands(program: Command): void {
  const audit = program.command("audit").description("the audit trail: verify it, query it, who read what");
  withDataDirFlags(audit.command("verify").description("check the hash chains and signed checkpoints; names the first edited, deleted, inserted or reordered record"))
    .option("--file <path>", "verify a file sink's log (and its rotated files) instead of the store")
    .action(async (f: ServerFlags & { file?: string }) => {
      const r = await verifyAudit(f);
      print(r);
      const bad = r.problem ?? r.chains.find((c) => c.problem)?.problem;
      if (bad) {
        process.stderr.write(`audit verification FAILED at ${bad.at}${bad.chain ? ` of chain ${bad.chain}` : ""}${bad.requestId ? ` (request ${bad.requestId})` : ""}: ${bad.reason}\n`);
        process.exitCode = 1;
      } else process.stderr.write(`audit verification passed: ${r.records} records in ${r.chains.length} chain(s), ${r.seconds.toFixed(2)} s\n`);
    });

  withApiFlags(audit.command("query").description("audit records, newest first"))
    .option("--secret-id <id>", "name or ARN of a secret")
    .option("--principal <arn>", "principal ARN (or user name of your account)")
    .option("--since <time>", "ISO-8601 date or epoch seconds")
    .option("--until <time>", "ISO-8601 date or epoch seconds")
    .option("--outcome <outcome>", "success, denied or error")
    .option("--operation <name>", "e.g. GetSecretValue")
    .option("--max-results <n>", "page size (1-1000)", "100")
    .option("--next-token <token>", "continue a previous listing")
    .action(async (f: ApiFlags & { secretId?: string; principal?: string; since?: string; until?: string; outcome?: string; operation?: string; maxResults: string; nextToken?: string }) => {
      const q = new URLSearchParams();
      if (f.secretId) q.set("SecretId", f.secretId);
      if (f.principal) q.set("Principal", f.principal);
      if (f.since) q.set("Since", f.since);
      if (f.until) q.set("Until", f.until);
      if (f.outcome) q.set("Outcome", f.outcome);
      if (f.operation) q.set("Operation", f.operation);
      q.set("MaxResults", f.maxResults);
      if (f.nextToken) q.set("NextToken", f.nextToken);
      print(await callApi(f, "GET", `/v1/audit?${q.toString()}`));
    });

  withApiFlags(audit.command("who-read").description("who read a secret's value in the last N days (the blast radius of a leak)"))
    .requiredOption("--secret-id <id>", "name or ARN of the secret")
    .option("--days <n>", "look-back in days", "30")
    .action(async (f: ApiFlags & { secretId: string; days: string }) => {
      print(await callApi(f, "GET", `/v1/audit/readers?SecretId=${encodeURIComponent(f.secretId)}&Days=${encodeURIComponent(f.days)}`));
    });

  withApiFlags(audit.command("last-access").description("last read of each secret, or last call of each principal"))
    .option("--by <what>", "secret or principal", "secret")
    .option("--secret-id <id>", "only this secret")
    .option("--principal <arn>", "only this principal")
    .option("--days <n>", "only within the last N days")
    .action(async (f: ApiFlags & { by: string; secretId?: string; principal?: string; days?: string }) => {
      const q = new URLSearchParams({ By: f.by });
      if (f.secretId) q.set("SecretId", f.secretId);
      if (f.principal) q.set("Principal", f.principal);
      if (f.days) q.set("Days", f.days);
      print(await callApi(f, "GET", `/v1/audit/last-access?${q.toString()}`));
    });
}
