import { homedir } from "node:os";
import { join } from "node:path";
import type { SigningCredentials } from "./sign-request.js";

/** `[section]` → key → value of an AWS shared credentials or config file (`[profile x]` is read as `x`). */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const sec = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (sec) {
      out.set(sec[1]!, (cur = new Map()));
      continue;
    }
    const eq = line.indexOf("=");
    if (cur && eq > 0) cur.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

/**
 * The first link of the AWS credential chain as the CLI and SDKs use it outside AWS:
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN), unless a profile is named.
 */
export function environmentCredentials(env: NodeJS.ProcessEnv, profile: string | undefined): SigningCredentials | undefined {
  if (profile || !env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
  return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/** The shared credentials file: AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials. */
export function sharedCredentialsPath(env: NodeJS.ProcessEnv): string {
  return env.AWS_SHARED_CREDENTIALS_FILE ?? join(env.HOME ?? homedir(), ".aws", "credentials");
}

/** The keys of `profile` in the text of a shared credentials file, if it has both. */
export function profileCredentials(text: string, profile: string): SigningCredentials | undefined {
  const section = parseIni(text).get(profile);
  const id = section?.get("aws_access_key_id");
  const secret = section?.get("aws_secret_access_key");
  if (!id || !secret) return undefined;
  const token = section?.get("aws_session_token");
  return { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) };
}
