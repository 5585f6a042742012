/**
 * Using a credential that a rotation may change under the application's feet. Between a
 * rotation's setSecret (the target system accepts the AWSPENDING credential; single-user: no
 * longer the AWSCURRENT one) and its finishSecret (AWSPENDING becomes AWSCURRENT), the cached
 * AWSCURRENT value is refused; right after finishSecret, a cached value is stale. Both cases show
 * up as an authentication failure of the target system, and both are resolved by reading the
 * secret again: AWSPENDING first, then AWSCURRENT.
 */

import { parseJsonSecret } from "./pools/json-secret.js";

/** One version of a secret, as `SecretSource.getSecretValue` answers (KeyshiftClient's SecretValue fits). */
export interface SecretVersion {
  ARN: string;
  Name: string;
  VersionId: string;
  SecretString?: string;
  VersionStages: string[];
}

/**
 * Where the helpers read secrets from: `KeyshiftClient` satisfies it, and so does a small adapter
 * over any Secrets Manager client. `refresh: true` must bypass (and update) a cache. A missing
 * version (no AWSPENDING outside a rotation) rejects with an error whose `code` or `name` is
 * `ResourceNotFoundException`. `watch`, when offered, calls back when the stage moves to another
 * version; the returned handle's `close()` ends the subscription.
 */
export interface SecretSource {
  getSecretValue(secretId: string, o?: { versionId?: string; versionStage?: string; refresh?: boolean }): Promise<SecretVersion>;
  watch?(secretId: string, onChange: (v: SecretVersion) => void | Promise<void>, versionStage?: string): { close(): void } | void;
}

export type CredentialStage = "AWSCURRENT" | "AWSPENDING";

/** What `fn` was called with, besides the parsed value (never the value itself). */
export interface CredentialMeta {
  versionId: string;
  stage: CredentialStage;
  /** 1 for the cached AWSCURRENT, then 2, 3, ... for each retry after an authentication failure. */
  attempt: number;
  /** True when the value was read with `refresh` (after an authentication failure). */
  refreshed: boolean;
}

export interface RotatingCredentialsOptions<T> {
  /** Whether an error of `fn` means "the credential was refused" (default: `isAuthError`). */
  isAuthError?: (e: unknown) => boolean;
  /** Turns a version into what `fn` receives (default: the SecretString parsed as JSON). */
  parse?: (v: SecretVersion) => T;
  /** How many times AWSPENDING and AWSCURRENT are read again and tried after a refusal (default 3). */
  rounds?: number;
}

const PG_AUTH_SQLSTATES = new Set(["28P01", "28000"]);
const MYSQL_AUTH_ERRNOS = new Set([1045, 1044]);
const MYSQL_AUTH_CODES = new Set(["ER_ACCESS_DENIED_ERROR", "ER_DBACCESS_DENIED_ERROR"]);

/**
 * The default test for "the database refused the credential": PostgreSQL SQLSTATE 28P01
 * (invalid_password) / 28000 (invalid_authorization_specification), MySQL/MariaDB errno 1045
 * (ER_ACCESS_DENIED_ERROR) / 1044 (ER_DBACCESS_DENIED_ERROR). Looks through `cause` chains.
 */
export function isAuthError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === "object" && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const { code, errno } = cur as { code?: unknown; errno?: unknown };
    if (typeof code === "string" && (PG_AUTH_SQLSTATES.has(code) || MYSQL_AUTH_CODES.has(code))) return true;
    if (typeof errno === "number" && MYSQL_AUTH_ERRNOS.has(errno)) return true;
  }
  return false;
}

/** True for "this version or stage does not exist" from KeyshiftClient or an AWS SDK client. */
function isNotFound(e: unknown): boolean {
  const { code, name } = (e ?? {}) as { code?: unknown; name?: unknown };
  return code === "ResourceNotFoundException" || name === "ResourceNotFoundException";
}

/**
 * The versions to try after `failed` was refused, in order: AWSPENDING (the rotation is between
 * setSecret and finishSecret), then AWSCURRENT read again (the rotation has finished). Both are
 * read with `refresh`; a missing AWSPENDING is skipped, and AWSCURRENT is left out when it is the
 * same version as AWSPENDING.
 */
export async function rotationCandidates(source: SecretSource, secretId: string): Promise<{ version: SecretVersion; stage: CredentialStage }[]> {
  const out: { version: SecretVersion; stage: CredentialStage }[] = [];
  try {
    out.push({ version: await source.getSecretValue(secretId, { versionStage: "AWSPENDING", refresh: true }), stage: "AWSPENDING" });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const current = await source.getSecretValue(secretId, { versionStage: "AWSCURRENT", refresh: true });
  if (!out.some((c) => c.version.VersionId === current.VersionId)) out.push({ version: current, stage: "AWSCURRENT" });
  return out;
}

/**
 * Calls `fn` with the (possibly cached) AWSCURRENT credential of `secretId`. When `fn` fails with
 * an authentication error, reads AWSPENDING and AWSCURRENT again (refreshed) and calls `fn` with
 * each, in that order, until one is accepted; when none is, reads and tries them again, up to
 * `rounds` times (back-to-back rotations: a pending version may be refused because its setSecret
 * is about to run, and AWSCURRENT refused a moment later because it just ran). Any other error,
 * or the last authentication error when no version is accepted, is thrown as it is. `fn` may
 * therefore run several times: it must not do anything before the target system has accepted
 * the credential that it would regret doing twice. Stateless: every call starts from the cached
 * AWSCURRENT (the source's cache learns the new AWSCURRENT once finishSecret has run).
 */
export async function withRotatingCredentials<T = Record<string, unknown>, R = unknown>(
  source: SecretSource,
  secretId: string,
  fn: (creds: T, meta: CredentialMeta) => Promise<R>,
  options: RotatingCredentialsOptions<T> = {},
): Promise<R> {
  const authError = options.isAuthError ?? isAuthError;
  const parse = options.parse ?? ((v: SecretVersion) => parseJsonSecret<T>(v));
  const first = await source.getSecretValue(secretId);
  let attempt = 1;
  let last: unknown;
  try {
    return await fn(parse(first), { versionId: first.VersionId, stage: "AWSCURRENT", attempt, refreshed: false });
  } catch (e) {
    if (!authError(e)) throw e;
    last = e;
  }
  const rounds = Math.max(1, options.rounds ?? 3);
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await new Promise((r) => setTimeout(r, 100 * round));
    for (const { version, stage } of await rotationCandidates(source, secretId)) {
      // The first round skips the version that was just refused; later rounds try everything again.
      if (round === 0 && version.VersionId === first.VersionId) continue;
      try {
        return await fn(parse(version), { versionId: version.VersionId, stage, attempt: ++attempt, refreshed: true });
      } catch (e) {
        if (!authError(e)) throw e;
        last = e;
      }
    }
  }
  throw last;
}
