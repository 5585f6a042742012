import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import { configSchema, type Config } from "./schema.js";

export interface ConfigSources {
  /** Path of a TOML config file (`--config` or KEYSHIFT_CONFIG). */
  file?: string;
  /** Values given as command-line flags; they override the file and the environment. */
  flags?: Partial<{ dataDir: string; host: string; port: number; store: string }>;
  env?: NodeJS.ProcessEnv;
  /** Values set by code (tests, embedding); they override everything else. */
  overrides?: Record<string, unknown>;
}

function merge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    const cur = target[k];
    if (v && typeof v === "object" && !Array.isArray(v) && cur && typeof cur === "object" && !Array.isArray(cur)) merge(cur as Record<string, unknown>, v as Record<string, unknown>);
    else target[k] = v;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let o = target;
  for (const p of path.slice(0, -1)) {
    if (typeof o[p] !== "object" || o[p] === null) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[path[path.length - 1]!] = value;
}

/** Environment variables the server reads, and where each lands in the config. */
const envMap: [string, string[], (v: string) => unknown][] = [
  ["KEYSHIFT_DATA_DIR", ["dataDir"], String],
  ["KEYSHIFT_HOST", ["host"], String],
  ["KEYSHIFT_PORT", ["port"], Number],
  ["KEYSHIFT_STORE", ["store", "url"], String],
  ["KEYSHIFT_MASTER_KEY_PROVIDER", ["masterKey", "provider"], String],
  ["KEYSHIFT_LOG_LEVEL", ["log", "level"], String],
  ["KEYSHIFT_ACCOUNT_ID", ["bootstrap", "accountId"], String],
  ["KEYSHIFT_BOOTSTRAP_ACCESS_KEY_ID", ["bootstrap", "accessKeyId"], String],
  ["KEYSHIFT_BOOTSTRAP_SECRET_ACCESS_KEY", ["bootstrap", "secretAccessKey"], String],
];

/**
 * Reads the configuration once: defaults, then the TOML file, then KEYSHIFT_* environment
 * variables, then flags. Throws an Error naming every invalid or unknown key.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const raw: Record<string, unknown> = {};
  const file = sources.file ?? env.KEYSHIFT_CONFIG;
  if (file) Object.assign(raw, parseToml(readFileSync(file, "utf8")));
  for (const [name, path, conv] of envMap) {
    const v = env[name];
    if (v !== undefined && v !== "") setPath(raw, path, conv(v));
  }
  if (env.KEYSHIFT_MASTER_KEY) {
    setPath(raw, ["masterKey", "key"], env.KEYSHIFT_MASTER_KEY);
    if (!env.KEYSHIFT_MASTER_KEY_PROVIDER) setPath(raw, ["masterKey", "provider"], "env");
  }
  if (env.KEYSHIFT_MASTER_KEY_PREVIOUS) setPath(raw, ["masterKey", "previousKeys"], env.KEYSHIFT_MASTER_KEY_PREVIOUS.split(",").filter(Boolean));
  const f = sources.flags ?? {};
  if (f.dataDir !== undefined) raw.dataDir = f.dataDir;
  if (f.host !== undefined) raw.host = f.host;
  if (f.port !== undefined) raw.port = f.port;
  if (f.store !== undefined) setPath(raw, ["store", "url"], f.store);
  if (sources.overrides) merge(raw, structuredClone(sources.overrides));
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid configuration:\n  ${issues.join("\n  ")}`);
  }
  const cfg = parsed.data;
  cfg.dataDir = resolve(cfg.dataDir);
  return deepFreeze(cfg);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
