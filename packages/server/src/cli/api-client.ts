import { readFileSync, existsSync } from "node:fs";
import type { Command } from "commander";
import { environmentCredentials, profileCredentials, sharedCredentialsPath, signRequest, type SigningCredentials } from "@keyshift/protocol";

export interface ApiFlags {
  endpointUrl?: string;
  region?: string;
  profile?: string;
  /** Signing time (ms); programmatic callers only (tests with a server on another clock). */
  clock?: () => number;
}

/** The flags of every command that talks to a running server, as the aws CLI spells them. */
export function withApiFlags(cmd: Command): Command {
  return cmd
    .option("--endpoint-url <url>", "the Keyshift server (default AWS_ENDPOINT_URL or http://127.0.0.1:8400)")
    .option("--region <region>", "signing region (default AWS_REGION, AWS_DEFAULT_REGION or us-east-1)")
    .option("--profile <name>", "profile in the shared credentials file (default AWS_PROFILE or default)");
}

/**
 * Credentials the way the AWS CLI finds them (the part of the chain a workstation or a CI job
 * uses): an explicit --profile or AWS_PROFILE from the shared credentials file, else the
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) variables, else the
 * `default` profile of AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials.
 */
export function resolveCredentials(flags: ApiFlags, env: NodeJS.ProcessEnv = process.env): SigningCredentials {
  const profile = flags.profile ?? env.AWS_PROFILE;
  const fromEnv = environmentCredentials(env, profile);
  if (fromEnv) return fromEnv;
  const file = sharedCredentialsPath(env);
  const found = existsSync(file) ? profileCredentials(readFileSync(file, "utf8"), profile ?? "default") : undefined;
  if (!found) throw new Error(`no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile in ${file}`);
  return found;
}

/** A signed call to the management API; returns the parsed JSON answer or throws with the server's error. */
export async function callApi(flags: ApiFlags, method: string, path: string, body?: unknown, env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const endpoint = new URL(flags.endpointUrl ?? env.AWS_ENDPOINT_URL ?? "http://127.0.0.1:8400");
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const url = new URL(path, endpoint);
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers = signRequest(
    { method, host: url.host, path: url.pathname, query: url.search.slice(1), headers: { "content-type": "application/json" }, body: text, region, service: "keyshift", ...(flags.clock ? { now: flags.clock() } : {}) },
    resolveCredentials(flags, env),
  );
  delete headers.host;
  const res = await fetch(url, { method, headers, ...(method === "GET" || method === "DELETE" ? {} : { body: text }) });
  const answer = await res.text();
  if (!res.ok) {
    let msg = answer;
    try {
      const e = JSON.parse(answer) as { __type?: string; Message?: string };
      msg = `${e.__type}: ${e.Message}`;
    } catch {
      /* not JSON */
    }
    throw new Error(`${method} ${url.pathname} failed (HTTP ${res.status}): ${msg}`);
  }
  return answer === "" ? {} : JSON.parse(answer);
}
