import type { SecretValue } from "./secret-value.js";

/** What to read: GetSecretValue's request (no version means the AWSCURRENT stage). */
export interface SecretRequest {
  SecretId: string;
  VersionId?: string;
  VersionStage?: string;
}

/**
 * Where secret values come from (the Secrets Manager JSON API, or an agent). One call is one
 * attempt: retries, caching and the circuit breaker live above, in the client. Failures are
 * `SecretsError`s with the upstream's AWS code, the HTTP status and `retryable`.
 */
export interface SecretsTransport {
  /** `refresh`: the caller wants a value no older than this call (an agent bypasses its own cache). */
  getSecretValue(request: SecretRequest, o?: { refresh?: boolean; signal?: AbortSignal }): Promise<SecretValue>;
  /** Keyshift's management API (`/v1`) of the same server, when the upstream may be Keyshift. */
  readonly management?: ManagementEndpoint;
}

/**
 * Keyshift's management API (`/v1`, SigV4 with service `keyshift`): where the change feed and
 * consumer reporting live. `signedHeaders` returns every header to send (including `host`).
 */
export interface ManagementEndpoint {
  /** The region the client signs with (change-feed events of other regions are not ours). */
  readonly region: string;
  url(path: string): URL;
  signedHeaders(method: string, url: URL, headers: Record<string, string>, body: string): Promise<Record<string, string>>;
  /** The fetch to use for plain requests (consumer reporting). */
  readonly fetch: typeof fetch;
}
