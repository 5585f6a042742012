import type { CredentialsOption } from "./credentials.js";

/** Options of `KeyshiftClient`; every one has a default (see packages/sdk/README.md). */
export interface KeyshiftClientOptions {
  /**
   * The Secrets Manager endpoint: Keyshift (`http://127.0.0.1:8400`) or any other. Default:
   * AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL, else `https://secretsmanager.<region>.amazonaws.com`.
   */
  endpoint?: string;
  /** Signing region. Default: AWS_REGION, AWS_DEFAULT_REGION, else `us-east-1`. */
  region?: string;
  /** Default: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else AWS_PROFILE (or `default`) of AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. */
  credentials?: CredentialsOption;
  /** Read through an agent (AWS Secrets Manager Agent protocol) instead of the API; a string is its URL. */
  agent?: string | { url: string; token?: string };
  /** How long a value is served from memory (default 300); 0: every call goes upstream (concurrent calls still share one request). */
  ttlSeconds?: number;
  /** Most cached (secret, version, stage) entries; the least recently used go first (default 1000). */
  maxEntries?: number;
  /** When the upstream fails transiently, the last good value is served this long past its expiry (default 3600; 0 disables). */
  staleIfErrorSeconds?: number;
  /** Retries of throttling, 5xx and network errors: attempts in total (default 4), full-jitter backoff from baseDelayMs (100) doubling to maxDelayMs (5000). */
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** After failureThreshold (5) consecutive failed attempts calls fail fast with CircuitOpenError until resetAfterMs (10000) lets a probe through. */
  circuitBreaker?: { failureThreshold?: number; resetAfterMs?: number };
  /** Follow Keyshift's change feed to drop changed values at once (default true; quietly off where there is none). */
  watch?: boolean;
  /** Report the versions held to Keyshift (`PUT /v1/consumers/{id}`, kind sdk); on by default once the change feed works. */
  consumer?: { id?: string; name?: string; reportIntervalMs?: number } | false;
  /** Per-attempt timeout (default 10000 ms). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  userAgent?: string;
  /** Background failures (change feed, consumer reports, watch callbacks); never called with a secret value. Default: ignored. */
  onError?: (e: Error) => void;
}
