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
