import { parse as parseToml } from "smol-toml";
import type { LogLevel } from "../log.js";
import { readOutputs, type OutputConfig } from "./output-config.js";
import { TableReader } from "./table-reader.js";

/**
 * The agent's configuration, read once and frozen. The first group of keys is the AWS Secrets
 * Manager Agent's (same names, defaults and ranges, so its config files load unchanged); the
 * second is Keyshift's.
 */
export interface AgentConfig {
  logLevel: LogLevel;
  /** AWS agent: `logs/secrets_manager_agent.log`, rotated 10 MB × 5. */
  logToFile: boolean;
  /** 1024–65535 in a file; `startAgent` also takes 0 (any free port, for tests). */
  httpPort: number;
  region?: string;
  /** 0 disables the cache. */
  ttlSeconds: number;
  cacheSize: number;
  ssrfHeaders: string[];
  ssrfEnvVariables: string[];
  pathPrefix: string;
  maxConn: number;
  /** A shared credentials file to sign with (re-read every 5 minutes). */
  credentialsFilePath?: string;
  /** Serve the cached value when a refresh fails for a reason that may pass (bounded by maxStaleSeconds). */
  ignoreTransientErrors: boolean;
  /** Check the credentials against the upstream at start-up. */
  validateCredentials: boolean;

  /** The upstream: Keyshift or any Secrets Manager endpoint (also --endpoint-url, AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL). */
  endpointUrl?: string;
  /** How long past its TTL a cached value may be served while the upstream is unavailable; 0 never. */
  maxStaleSeconds: number;
  /** Follow Keyshift's change feed and report holdings (`false` against AWS). */
  feed: boolean;
  /** The name the agent reports itself under (default: the host name). */
  consumerName?: string;
  outputs: OutputConfig[];
}

export const DEFAULT_SSRF_HEADERS = ["X-Aws-Parameters-Secrets-Token", "X-Vault-Token"] as const;
export const DEFAULT_SSRF_ENV_VARIABLES = ["AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"] as const;
const LOG_LEVELS: readonly LogLevel[] = ["DEBUG", "INFO", "WARN", "ERROR", "NONE"];

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid agent configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

/**
 * Reads a configuration from TOML text (or an already parsed table). Every problem is collected
 * and thrown together as a ConfigError: unknown keys, wrong types, values out of range.
 * Relative output paths are resolved against `baseDir` (default: the working directory).
 */
export function parseAgentConfig(input: string | Record<string, unknown> = {}, o: { baseDir?: string } = {}): AgentConfig {
  let table: Record<string, unknown>;
  if (typeof input === "string") {
    try {
      table = parseToml(input) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError([`not valid TOML: ${(e as Error).message.split("\n")[0]}`]);
    }
  } else table = input;
  const errors: string[] = [];
  const r = new TableReader(table, "", errors);
  const pathPrefix = r.str("path_prefix", "/v1/");
  if (!pathPrefix.startsWith("/")) r.fail("path_prefix", `must start with / (got ${JSON.stringify(pathPrefix)})`);
  const region = r.str("region");
  const credentialsFilePath = r.str("credentials_file_path");
  const endpointUrl = r.str("endpoint_url");
  if (endpointUrl !== undefined && !/^https?:\/\/[^/]/.test(endpointUrl)) r.fail("endpoint_url", `must be an http:// or https:// URL (got ${JSON.stringify(endpointUrl)})`);
  const consumerName = r.str("consumer_name");
  if (consumerName !== undefined && consumerName.length > 256) r.fail("consumer_name", "must be at most 256 characters");
  const config: AgentConfig = {
    logLevel: r.oneOf("log_level", LOG_LEVELS, "INFO"),
    logToFile: r.bool("log_to_file", false),
    httpPort: r.int("http_port", 2773, 1024, 65535),
    ...(region !== undefined ? { region } : {}),
    ttlSeconds: r.int("ttl_seconds", 300, 0, 3600),
    cacheSize: r.int("cache_size", 1000, 1, 1000),
    ssrfHeaders: r.strList("ssrf_headers", DEFAULT_SSRF_HEADERS),
    ssrfEnvVariables: r.strList("ssrf_env_variables", DEFAULT_SSRF_ENV_VARIABLES),
    pathPrefix,
    maxConn: r.int("max_conn", 800, 1, 1000),
    ...(credentialsFilePath !== undefined ? { credentialsFilePath } : {}),
    ignoreTransientErrors: r.bool("ignore_transient_errors", true),
    validateCredentials: r.bool("validate_credentials", true),
    ...(endpointUrl !== undefined ? { endpointUrl } : {}),
    maxStaleSeconds: r.int("max_stale_seconds", 3600, 0, 604_800),
    feed: r.bool("feed", true),
    ...(consumerName !== undefined ? { consumerName } : {}),
    outputs: readOutputs(r, o.baseDir ?? process.cwd()),
  };
  r.finish();
  if (errors.length > 0) throw new ConfigError(errors);
  return deepFreeze(config);
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
