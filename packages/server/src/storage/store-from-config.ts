import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import { CachingStore } from "./caching-store.js";
import type { Store } from "./store.js";

export function sqlitePath(config: Config): string {
  return join(config.dataDir, "keyshift.db");
}

/** Opens the configured store and runs its migrations; `writer: "thread"` for a server (see SqliteStoreOptions). */
export async function storeFromConfig(config: Config, writer: "thread" | "inline" = "inline"): Promise<Store> {
  const url = config.store.url;
  if (url === "sqlite" || url.startsWith("sqlite:")) {
    return new SqliteStore({ path: url === "sqlite" ? sqlitePath(config) : url.slice("sqlite:".length), synchronous: config.store.sqliteSynchronous, writer });
  }
  throw new Error(`unsupported store ${url.replace(/\/\/[^@]*@/, "//***@")}: this build has the embedded SQLite store`);
}

/** The server's store: the configured backend behind the read cache of the GetSecretValue path. */
export async function servingStoreFromConfig(config: Config): Promise<Store> {
  const inner = await storeFromConfig(config, "thread");
  if (config.cache.maxSecrets === 0) return inner;
  const stamp = inner instanceof SqliteStore ? () => inner.dataVersion() : undefined;
  return new CachingStore(inner, { maxSecrets: config.cache.maxSecrets, ...(stamp ? { externalStamp: stamp } : {}) });
}
