import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { basename } from "node:path";
import { createAgentTransport } from "./agent-transport.js";
import type { ChangeEvent } from "./change-feed.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import type { KeyshiftClientOptions } from "./client-options.js";
import { ConsumerReporter } from "./consumer-reporter.js";
import { CircuitOpenError, SecretsError, isSecretsError } from "./errors.js";
import { defaultRetryPolicy, withRetries, type RetryPolicy } from "./retry.js";
import { SecretCache, type CacheEntry, type Flight } from "./secret-cache.js";
import { secretIdMatches } from "./secret-match.js";
import { parseSecretJson, type SecretValue } from "./secret-value.js";
import { createSecretsManagerTransport } from "./secretsmanager-transport.js";
import type { SecretRequest, SecretsTransport } from "./transport.js";
import { WatchHub } from "./watch-hub.js";

/** Which version to read, and whether the cache may answer. */
export interface GetOptions {
  versionId?: string;
  versionStage?: string;
  /** Bypass the cache (concurrent refreshes still share one request). */
  refresh?: boolean;
}

export const SDK_VERSION = "0.1.0";

/** A ConsumerId the server accepts (1–128 of `A-Za-z0-9._:-`), stable for this client's lifetime. */
function defaultConsumerId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 80);
  return `sdk:${host}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

function defaultConsumerName(): string {
  const script = process.argv[1] ? basename(process.argv[1]) : "node";
  return `${hostname()}/${script}[${process.pid}]`.slice(0, 256);
}

/**
 * Reads secrets for an application: from Keyshift, from AWS Secrets Manager (or anything that
 * speaks its JSON API), or through an agent. Values are cached per (SecretId, VersionId,
 * VersionStage) for `ttlSeconds`; concurrent misses share one upstream request; throttling,
 * 5xx and network failures are retried with full-jitter backoff behind a circuit breaker, and
 * the last good value is served for `staleIfErrorSeconds` while the upstream fails. Against
 * Keyshift the change feed drops changed values at once and powers `watch`; elsewhere this
 * degrades quietly to the TTL. The client never logs and never puts a value in an error.
 */
export class KeyshiftClient {
  private readonly transport: SecretsTransport;
  private readonly cache: SecretCache;
  private readonly breaker: CircuitBreaker;
  private readonly retry: RetryPolicy;
  private readonly ttlMs: number;
  private readonly staleMs: number;
  private readonly hub: WatchHub;
  private readonly reporter: ConsumerReporter | undefined;
  private readonly feedEnabled: boolean;
  private started = false;
  /** Reports start once the feed shows the server is Keyshift (or when asked for without the feed). */
  private reporting = false;
  private closed = false;

  constructor(private readonly options: KeyshiftClientOptions = {}) {
    const o = options;
    const userAgent = o.userAgent ?? `keyshift-sdk-js/${SDK_VERSION} node/${process.versions.node}`;
    const common = { userAgent, ...(o.fetch ? { fetch: o.fetch } : {}), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) };
    if (o.agent !== undefined) {
      const a = typeof o.agent === "string" ? { url: o.agent } : o.agent;
      this.transport = createAgentTransport({ endpoint: a.url, ...(a.token !== undefined ? { token: a.token } : {}), ...common });
    } else {
      this.transport = createSecretsManagerTransport({
        ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
        ...(o.region !== undefined ? { region: o.region } : {}),
        ...(o.credentials !== undefined ? { credentials: o.credentials } : {}),
        ...common,
      });
    }
    this.ttlMs = Math.max(0, (o.ttlSeconds ?? 300) * 1000);
    this.staleMs = Math.max(0, (o.staleIfErrorSeconds ?? 3600) * 1000);
    this.retry = {
      maxAttempts: Math.max(1, o.retry?.maxAttempts ?? defaultRetryPolicy.maxAttempts),
      baseDelayMs: o.retry?.baseDelayMs ?? defaultRetryPolicy.baseDelayMs,
      maxDelayMs: o.retry?.maxDelayMs ?? defaultRetryPolicy.maxDelayMs,
      maxTotalMs: defaultRetryPolicy.maxTotalMs,
    };
    this.breaker = new CircuitBreaker({ failureThreshold: Math.max(1, o.circuitBreaker?.failureThreshold ?? 5), resetAfterMs: o.circuitBreaker?.resetAfterMs ?? 10_000 });
    const management = this.transport.management;
    this.feedEnabled = o.watch !== false && management !== undefined;
    if (management && o.consumer !== false) {
      const c = o.consumer ?? {};
      this.reporter = new ConsumerReporter({
        management,
        consumerId: c.id ?? defaultConsumerId(),
        name: c.name ?? defaultConsumerName(),
        holdings: () => this.cache.holdings(),
        intervalMs: Math.min(60_000, Math.max(1000, c.reportIntervalMs ?? 60_000)),
        ...(o.onError ? { onError: o.onError } : {}),
      });
    }
    this.cache = new SecretCache({ maxEntries: Math.max(1, o.maxEntries ?? 1000), onHoldingsChanged: () => this.reportSoon() });
    this.hub = new WatchHub({
      read: (secretId, versionStage, refresh) => this.getSecretValue(secretId, { versionStage, refresh }),
      invalidate: (change) => this.invalidateChange(change),
      ...(this.feedEnabled && management ? { management } : {}),
      pollIntervalMs: this.ttlMs > 0 ? Math.max(1000, this.ttlMs) : 60_000,
      onFeedConnected: () => {
        this.reporting = true;
        this.reportSoon();
      },
      ...(o.onError ? { onError: o.onError } : {}),
    });
  }

  /** The current value of a secret (AWSCURRENT unless a version id or stage is given). Errors are `SecretsError`s. */
  getSecretValue(secretId: string, options?: GetOptions): Promise<SecretValue> {
    if (this.closed) return Promise.reject(new SecretsError("ClientClosed", "the client is closed"));
    if (!this.started) this.start();
    const e = this.cache.entry(secretId, options?.versionId, options?.versionStage);
    const refresh = options?.refresh === true;
    if (!refresh && e.value !== undefined && Date.now() < e.expiresAt) return Promise.resolve(e.value);
    const flight = e.flight && (!refresh || e.flight.fresh) ? e.flight : this.fly(e, refresh);
    return flight.promise;
  }

  /** The secret's SecretString; `SecretNotString` (naming the secret, never the value) when it is binary. */
  async getSecretString(secretId: string, options?: GetOptions): Promise<string> {
    const v = await this.getSecretValue(secretId, options);
    if (v.SecretString === undefined) throw new SecretsError("SecretNotString", `secret ${v.Name} (version ${v.VersionId}) has a binary value`);
    return v.SecretString;
  }

  /** The secret's SecretString parsed as JSON (a fresh object per call); `SecretNotJson` when it is not JSON. */
  async getSecretJson<T = Record<string, unknown>>(secretId: string, options?: GetOptions): Promise<T> {
    return parseSecretJson<T>(await this.getSecretValue(secretId, options));
  }

  /**
   * Makes the next read of `secretId` (as passed to getSecretValue, its name or its ARN) — or of
   * every secret — go upstream. The old value stays available to stale-if-error.
   */
  invalidate(secretId?: string): void {
    this.cache.invalidate((e) => secretId === undefined || e.request.SecretId === secretId || e.value?.Name === secretId || e.value?.ARN === secretId);
  }

  /**
   * Calls `onChange` with the new value of the stage (AWSCURRENT by default) each time it moves
   * to another version: at once through Keyshift's change feed, else by polling every TTL (60 s
   * when the cache is off). Not called for the version current at subscription (`ready`
   * resolves once that is known). The subscription keeps the process alive until `close()`.
   * Callback errors (thrown or rejected) go to `onError`.
   */
  watch(secretId: string, onChange: (v: SecretValue) => unknown, versionStage = "AWSCURRENT"): { close(): void; ready: Promise<void> } {
    if (this.closed) throw new SecretsError("ClientClosed", "the client is closed");
    this.start();
    return this.hub.watch(secretId, onChange, versionStage);
  }

  /** Stops the change feed, the watchers and the reporter (telling the server nothing is held), and forgets every value. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.close();
    await this.reporter?.close();
    this.cache.clear();
  }

  /** Whether the change feed is connected now (cache entries are then dropped as soon as they change). */
  get changeFeedConnected(): boolean {
    return this.hub.feedConnected;
  }

  /** The circuit breaker's state, for health checks. */
  get circuitState(): "closed" | "open" | "half-open" {
    return this.breaker.state;
  }

  /** The feed starts with the first use, so that constructing a client costs nothing. */
  private start(): void {
    if (this.started) return;
    this.started = true;
    if (this.feedEnabled) this.hub.start();
    else if (this.options.consumer) {
      this.reporting = true; // asked for explicitly, without the feed
      this.reportSoon();
    }
  }

  private reportSoon(): void {
    if (this.reporting && !this.closed) this.reporter?.changed();
  }

  private fly(e: CacheEntry, fresh: boolean): Flight {
    const generation = e.generation;
    const startedAt = Date.now();
    // Declared first: the promise's finally compares the entry's flight with this one.
    let flight: Flight | undefined;
    flight = {
      fresh,
      promise: (async () => {
        try {
          const v = await this.fetchUpstream(e.request, fresh);
          this.cache.store(e, v, generation, startedAt, startedAt + this.ttlMs);
          return v;
        } catch (err) {
          const last = e.value;
          if (isSecretsError(err) && err.retryable && last && Date.now() <= e.fetchedAt + this.ttlMs + this.staleMs) return Object.freeze({ ...last, stale: true });
          throw err;
        } finally {
          if (e.flight === flight) delete e.flight;
        }
      })(),
    };
    e.flight = flight;
    return flight;
  }

  /** One logical read: attempts through the circuit breaker, retried while retryable. */
  private fetchUpstream(request: SecretRequest, refresh: boolean): Promise<SecretValue> {
    return withRetries(
      async () => {
        if (!this.breaker.admit()) {
          const wait = Math.max(0, this.breaker.retryAt - Date.now());
          throw new CircuitOpenError(`the upstream failed ${this.breaker.consecutiveFailures} times in a row; next attempt in ${wait} ms`, this.breaker.retryAt);
        }
        try {
          const v = await this.transport.getSecretValue(request, { refresh });
          this.breaker.success();
          return v;
        } catch (err) {
          if (isSecretsError(err) && err.retryable) this.breaker.failure();
          else if (isSecretsError(err) && err.status > 0) this.breaker.success(); // it answered: a client error is not an outage
          else this.breaker.release();
          throw err;
        }
      },
      this.retry,
      { isRetryable: (err) => isSecretsError(err) && err.retryable && !(err instanceof CircuitOpenError) },
    );
  }

  private invalidateChange(change: ChangeEvent | undefined): void {
    const region = this.transport.management?.region;
    this.cache.invalidate((e) => change === undefined || e.value?.ARN === change.ARN || secretIdMatches(e.request.SecretId, change, region));
  }
}
