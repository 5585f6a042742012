import { createHmac, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pino, type DestinationStream, type Logger } from "pino";
import type { Config } from "../config/schema.js";
import { writePrivateFile } from "../fs/private-file.js";

/** Log fields that hold a secret's name or ARN (hashed when `log.hashSecretNames` is on). */
const NAME_FIELDS = new Set(["secretArn", "secretName", "arn", "secretId", "SecretId"]);
/** A Secrets Manager ARN anywhere in a line (messages, error texts): names use [A-Za-z0-9/_+=.@-]. */
const SECRET_ARN = /arn:aws:secretsmanager:[a-z0-9-]*:\d{12}:secret:[A-Za-z0-9/_+=.@-]+/g;

export function logHashKeyFile(dataDir: string): string {
  return join(dataDir, "log-hash.key");
}

/** The key of log hashes: 32 random bytes in dataDir/log-hash.key (0600), created on first use. */
export function logHashKey(dataDir: string): Buffer {
  const file = logHashKeyFile(dataDir);
  if (existsSync(file)) return Buffer.from(readFileSync(file, "utf8").trim(), "base64");
  const key = randomBytes(32);
  writePrivateFile(file, `${key.toString("base64")}\n`);
  return key;
}

/**
 * The keyed hash a secret name or ARN is logged as: `h:` and 16 hex digits of HMAC-SHA256.
 * Stable for a data dir, so an operator can find a secret's lines (`keyshift log hash-name`)
 * without the logs revealing which secrets exist.
 */
export function hashName(key: Buffer, name: string): string {
  return `h:${createHmac("sha256", key).update(name).digest("hex").slice(0, 16)}`;
}

/**
 * The server's logger: JSON lines (pino) on stdout or `destination`. With `log.hashSecretNames`
 * the name and ARN fields of every line, and any secret ARN inside a message, are replaced by
 * their keyed hash. Values are never logged in the first place (each component's contract).
 */
export function createLogger(config: Config, destination?: DestinationStream): Logger {
  const base = { level: config.log.level, base: { service: "keyshift" } };
  if (!config.log.hashSecretNames) return destination ? pino(base, destination) : pino(base);
  const key = logHashKey(config.dataDir);
  const hash = (s: string) => hashName(key, s);
  const options = {
    ...base,
    formatters: {
      log(obj: Record<string, unknown>): Record<string, unknown> {
        let out: Record<string, unknown> | undefined;
        for (const k of Object.keys(obj)) {
          const v = obj[k];
          if (typeof v === "string" && NAME_FIELDS.has(k)) (out ??= { ...obj })[k] = hash(v);
        }
        return out ?? obj;
      },
    },
    hooks: { streamWrite: (line: string) => line.replace(SECRET_ARN, (arn) => hash(arn)) },
  };
  return destination ? pino(options, destination) : pino(options);
}
