import { readFile } from "node:fs/promises";
import { environmentCredentials, profileCredentials, sharedCredentialsPath, type SigningCredentials } from "@keyshift/protocol";
import { SecretsError } from "./errors.js";

/** Fixed credentials, or a function called before each signature (for credentials that rotate). */
export type CredentialsOption = SigningCredentials | (() => SigningCredentials | Promise<SigningCredentials>);

/**
 * The small part of the AWS credential chain that applications outside AWS use: with no
 * `profile` (argument or AWS_PROFILE), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
 * (/ AWS_SESSION_TOKEN); else, or when those are unset, the profile (default `default`) of
 * AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. `ConfigurationError` when neither has them.
 */
export async function credentialsFromEnvironment(profile?: string, env: NodeJS.ProcessEnv = process.env): Promise<SigningCredentials> {
  const name = profile ?? env.AWS_PROFILE;
  const fromEnv = environmentCredentials(env, name);
  if (fromEnv) return fromEnv;
  const file = sharedCredentialsPath(env);
  let text = "";
  try {
    text = await readFile(file, "utf8");
  } catch {
    /* no file */
  }
  const found = profileCredentials(text, name ?? "default");
  if (!found) {
    throw new SecretsError("ConfigurationError", `no AWS credentials: pass credentials, set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or add profile "${name ?? "default"}" to ${file}`);
  }
  return found;
}

/** A function giving the credentials to sign with: the option as given, else the environment's (read once). */
export function credentialsProvider(option: CredentialsOption | undefined, profile?: string): () => Promise<SigningCredentials> {
  if (typeof option === "function") return async () => option();
  if (option) return async () => option;
  let found: Promise<SigningCredentials> | undefined;
  return () => {
    found ??= credentialsFromEnvironment(profile).catch((e: unknown) => {
      found = undefined; // not cached: the file may appear later
      throw e;
    });
    return found;
  };
}
