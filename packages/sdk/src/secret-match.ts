import { ARN_SUFFIX, parseArn } from "@keyshift/protocol";

/** A secret as a change event names it. */
export interface SecretIdentity {
  ARN: string;
  Name: string;
  Region: string;
}

/**
 * Whether `secretId`, as an application passed it to GetSecretValue in `region`, designates
 * the secret `s`: its name (same region), its full ARN, or its partial ARN (the ARN without
 * the `-xxxxxx` suffix AWS appends).
 */
export function secretIdMatches(secretId: string, s: SecretIdentity, region: string | undefined): boolean {
  if (secretId === s.ARN) return true;
  if (parseArn(secretId)) return secretId === s.ARN.replace(ARN_SUFFIX, "");
  return secretId === s.Name && (region === undefined || region === s.Region);
}
