import { z } from "zod";

/**
 * The one configuration schema. Strict: an unknown key anywhere is an error, so a typo in a
 * config file fails start-up instead of being ignored. Loaded once (config/load.ts) and passed
 * down frozen; nothing else reads process.env.
 */
export const configSchema = z
  .object({
    dataDir: z.string().min(1).default("./data"),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8400),
    store: z
      .object({
        /** `sqlite` (embedded, in dataDir) or a `postgres://` URL. */
        url: z.string().min(1).default("sqlite"),
        /** SQLite `synchronous`: `full` fsyncs every commit (survives power loss); `normal` survives process crashes only. */
        sqliteSynchronous: z.enum(["full", "normal"]).default("full"),
        /** PostgreSQL: connections this node keeps open at most (plus one for LISTEN). Size it so that nodes × poolSize stays under the server's max_connections. */
        poolSize: z.number().int().min(1).max(1000).default(10),
        /** PostgreSQL: give up opening a connection after this long; requests then fail and /ready reports not ready. */
        connectTimeoutSeconds: z.number().min(0.1).default(10),
      })
      .strict()
      .default({ url: "sqlite", sqliteSynchronous: "full", poolSize: 10, connectTimeoutSeconds: 10 }),
    masterKey: z
      .object({
        /** `file`: a 0600 keyring file (default dataDir/master.key). `env`: KEYSHIFT_MASTER_KEY (base64, 32 bytes). */
        provider: z.enum(["file", "env"]).default("file"),
        file: z.string().optional(),
        /** Set from KEYSHIFT_MASTER_KEY (base64 of 32 bytes) only; never written to a file or a log. */
        key: z.string().optional(),
        /** Set from KEYSHIFT_MASTER_KEY_PREVIOUS (comma-separated): keys still accepted for unwrapping during a rotation. */
        previousKeys: z.array(z.string()).default([]),
      })
      .strict()
      .default({ provider: "file", previousKeys: [] }),
    limits: z
      .object({
        /** Largest request body accepted; above it the request is refused with 413 before it is read. */
        maxBodyBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
        requestTimeoutMs: z.number().int().min(1000).default(60_000),
      })
      .strict()
      .default({ maxBodyBytes: 1024 * 1024, requestTimeoutMs: 60_000 }),
    cache: z
      .object({
        /** Secrets whose metadata and current versions (still encrypted) the server keeps in memory; 0 turns the cache off. */
        maxSecrets: z.number().int().min(0).default(50_000),
      })
      .strict()
      .default({ maxSecrets: 50_000 }),
    rotation: z
      .object({
        /** This server's name in rotation leases. Servers sharing a store need distinct ids; a restarted server with the same id resumes its rotations at once. */
        nodeId: z.string().min(1).default("local"),
        /** How often the scheduler looks for due rotations. */
        schedulerIntervalSeconds: z.number().min(0.05).default(30),
        /** Rotations one server runs at once, at most. */
        concurrency: z.number().int().min(1).max(1000).default(8),
        /** While the server is busy serving requests, run fewer rotations at once (down to one). */
        yieldToTraffic: z.boolean().default(true),
        stepTimeoutSeconds: z.number().min(0.1).default(60),
        leaseSeconds: z.number().min(1).default(300),
        /** Failed attempts in a row before automatic rotation stops and the secret is flagged failing. */
        maxAttempts: z.number().int().min(1).default(5),
        /** Backoff after the n-th failure: retryBaseSeconds × 2^(n-1), capped at retryMaxSeconds. */
        retryBaseSeconds: z.number().min(0).default(300),
        retryMaxSeconds: z.number().min(0).default(6 * 3600),
        /** Test hook for crash tests: pause a rotation forever at "before:<step>" or "after:<step>". Never set in production. */
        pauseAt: z.string().optional(),
      })
      .strict()
      .default({ nodeId: "local", schedulerIntervalSeconds: 30, concurrency: 8, yieldToTraffic: true, stepTimeoutSeconds: 60, leaseSeconds: 300, maxAttempts: 5, retryBaseSeconds: 300, retryMaxSeconds: 6 * 3600 }),
    /** How often the background job purges secrets whose recovery window has ended. */
    purgeIntervalSeconds: z.number().int().min(1).default(60),
    log: z
      .object({
        level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
        /** Replace secret names and ARNs in log lines by a keyed hash (key in dataDir/log-hash.key; `keyshift log hash-name` computes it). */
        hashSecretNames: z.boolean().default(false),
      })
      .strict()
      .default({ level: "info", hashSecretNames: false }),
    /** The audit trail of every call (docs/audit.md). */
    audit: z
      .object({
        enabled: z.boolean().default(true),
        /** `fail-closed`: a call is answered only after its record is durable, and refused (InternalServiceError) when it cannot be. `best-effort`: never held or refused; failures are logged and counted. */
        mode: z.enum(["fail-closed", "best-effort"]).default("fail-closed"),
        /** The store sink (queryable: keyshift audit query, GET /v1/audit, access tracking). */
        store: z.boolean().default(true),
        /** A JSON-lines file sink with size-based rotation (path.1, path.2, ...). */
        file: z
          .object({
            path: z.string().min(1),
            maxBytes: z.number().int().min(4096).default(100 * 1024 * 1024),
            maxFiles: z.number().int().min(1).max(1000).default(10),
            fsync: z.boolean().default(true),
          })
          .strict()
          .optional(),
        /** JSON lines on stdout. */
        stdout: z.boolean().default(false),
        /** An HTTP collector: batched POSTs of {"Records": [...], "Checkpoints": [...]}. */
        http: z
          .object({
            url: z.string().regex(/^https?:\/\/\S+$/, "an http:// or https:// URL"),
            batchSize: z.number().int().min(1).max(10_000).default(500),
            flushSeconds: z.number().min(0.01).default(1),
            timeoutSeconds: z.number().min(0.1).default(10),
            maxBuffer: z.number().int().min(1).default(100_000),
            headers: z.record(z.string(), z.string()).default({}),
          })
          .strict()
          .optional(),
        /** Store records older than this many days are deleted (a signed anchor keeps the rest verifiable); 0 keeps everything. */
        retentionDays: z.number().min(0).default(0),
        /** A signed checkpoint every this many records, and at least every checkpointSeconds while records come in. */
        checkpointEvery: z.number().int().min(1).default(1000),
        checkpointSeconds: z.number().min(0.01).default(60),
        /** The chain's HMAC key (default dataDir/audit.key, created 0600). */
        keyFile: z.string().optional(),
        /** Records per write at most (group commit). */
        maxBatch: z.number().int().min(1).max(100_000).default(4096),
        /** best-effort: records waiting beyond this are dropped (counted). */
        maxQueue: z.number().int().min(1).default(100_000),
      })
      .strict()
      .prefault({}),
    bootstrap: z
      .object({
        accountId: z.string().regex(/^\d{12}$/, "must be 12 digits").optional(),
        accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, "must be 16-128 upper-case letters or digits").optional(),
        secretAccessKey: z.string().min(16).max(128).optional(),
      })
      .strict()
      .default({}),
    /** Prometheus metrics at GET /metrics (docs/observability.md). */
    metrics: z
      .object({
        enabled: z.boolean().default(true),
        /** Who may scrape: `loopback` (requests from 127.0.0.1/::1 only), `token` (Authorization: Bearer <bearerToken>), `open` (anyone). */
        access: z.enum(["loopback", "token", "open"]).default("loopback"),
        bearerToken: z.string().min(16).optional(),
        /** Adds a per-secret request counter labelled with the secret name. Off: names never appear in metrics. */
        perSecretLabels: z.boolean().default(false),
        /** Node.js process metrics (CPU, memory, event loop lag, GC). */
        processMetrics: z.boolean().default(true),
        /** How often the secrets-due / overdue gauges are recomputed from the store. */
        gaugeIntervalSeconds: z.number().min(0.05).default(60),
      })
      .strict()
      .refine((m) => m.access !== "token" || m.bearerToken !== undefined, { message: "metrics.access = token needs metrics.bearerToken", path: ["bearerToken"] })
      .prefault({}),
    /** Notifications of rotation, deletion and security events to webhooks (docs/observability.md). */
    notifications: z
      .object({
        webhooks: z
          .array(
            z
              .object({
                name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1 to 64 letters, digits, - or _"),
                url: z.string().regex(/^https?:\/\/\S+$/, "an http:// or https:// URL"),
                /** HMAC-SHA256 key of the X-Keyshift-Signature header; required for kind = webhook. */
                secret: z.string().min(16).optional(),
                /** Event types delivered; empty: all. */
                events: z.array(z.enum(["RotationSucceeded", "RotationFailed", "RotationOverdue", "SecretDeleted", "EmergencyRotation", "AccessDeniedBurst"])).default([]),
                kind: z.enum(["webhook", "slack"]).default("webhook"),
              })
              .strict()
              .refine((w) => w.kind === "slack" || w.secret !== undefined, { message: "a webhook of kind webhook needs a secret", path: ["secret"] }),
          )
          .default([]),
        /** Delivery attempts per notification (the first one included). */
        maxAttempts: z.number().int().min(1).max(20).default(6),
        /** Backoff before attempt n+1: retryBaseSeconds × 2^(n-1), capped at retryMaxSeconds. */
        retryBaseSeconds: z.number().min(0).default(2),
        retryMaxSeconds: z.number().min(0).default(300),
        timeoutSeconds: z.number().min(0.1).default(10),
        /** How often secrets past the end of their rotation window are looked for (RotationOverdue). */
        overdueCheckSeconds: z.number().min(0.05).default(60),
        /** AccessDeniedBurst: `threshold` denials of one principal within `windowSeconds`. */
        accessDeniedBurst: z
          .object({ threshold: z.number().int().min(1).default(20), windowSeconds: z.number().min(1).default(60) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = Readonly<z.infer<typeof configSchema>>;
