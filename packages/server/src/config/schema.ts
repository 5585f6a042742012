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
      })
      .strict()
      .default({ url: "sqlite", sqliteSynchronous: "full" }),
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
      })
      .strict()
      .default({ level: "info" }),
    bootstrap: z
      .object({
        accountId: z.string().regex(/^\d{12}$/, "must be 12 digits").optional(),
        accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, "must be 16-128 upper-case letters or digits").optional(),
        secretAccessKey: z.string().min(16).max(128).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type Config = Readonly<z.infer<typeof configSchema>>;
