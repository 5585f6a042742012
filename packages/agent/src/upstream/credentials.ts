import { existsSync, readFileSync } from "node:fs";
import { environmentCredentials, profileCredentials, sharedCredentialsPath, type SigningCredentials } from "@keyshift/protocol";

function fromFile(file: string, profile: string): SigningCredentials | undefined {
  return existsSync(file) ? profileCredentials(readFileSync(file, "utf8"), profile) : undefined;
}

/** Where signing credentials come from; `get()` is called before every upstream request. */
export interface CredentialSource {
  get(): SigningCredentials;
}

/**
 * The part of the AWS credential chain a sidecar uses, in the SDK's order: the
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) variables unless a profile is
 * named, else the profile (`profile`, AWS_PROFILE or `default`) of `credentials_file_path`,
 * AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. A file is re-read every 5 minutes (as the
 * AWS agent does with credentials_file_path), so rotated keys are picked up. Throws at creation
 * when nothing is found.
 */
export function credentialChain(o: { env: NodeJS.ProcessEnv; profile?: string; credentialsFilePath?: string; now?: () => number }): CredentialSource {
  const env = o.env;
  const profile = o.profile ?? env.AWS_PROFILE;
  const c = o.credentialsFilePath ? undefined : environmentCredentials(env, profile);
  if (c) return { get: () => c };
  const file = o.credentialsFilePath ?? sharedCredentialsPath(env);
  const name = profile ?? "default";
  const now = o.now ?? Date.now;
  let current = fromFile(file, name);
  if (!current) throw new Error(`no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or profile ${JSON.stringify(name)} in ${file}`);
  let readAt = now();
  return {
    get() {
      if (now() - readAt >= 300_000) {
        readAt = now();
        try {
          current = fromFile(file, name) ?? current;
        } catch {
          /* keep the last good credentials; the file may be mid-replace */
        }
      }
      return current!;
    },
  };
}

/** The signing region: the config's, else AWS_REGION, AWS_DEFAULT_REGION, else us-east-1. */
export function resolveRegion(configured: string | undefined, env: NodeJS.ProcessEnv): string {
  return configured ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
}

/** The upstream endpoint: the flag or config, AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL, else AWS's regional endpoint. */
export function resolveEndpoint(configured: string | undefined, region: string, env: NodeJS.ProcessEnv): string {
  return configured ?? env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? env.AWS_ENDPOINT_URL ?? `https://secretsmanager.${region}.amazonaws.com`;
}
