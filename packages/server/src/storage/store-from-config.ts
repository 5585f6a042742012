import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

export function sqlitePath(config: Config): string {
  return join(config.dataDir, "keyshift.db");
}

/** Opens the configured store and runs its migrations. */
export async function storeFromConfig(config: Config): Promise<Store> {
  const url = config.store.url;
  if (url === "sqlite") return new SqliteStore({ path: sqlitePath(config), synchronous: config.store.sqliteSynchronous });
  if (url.startsWith("sqlite:")) return new SqliteStore({ path: url.slice("sqlite:".length), synchronous: config.store.sqliteSynchronous });
  throw new Error(`unsupported store ${url.replace(/\/\/[^@]*@/, "//***@")}: this build has the embedded SQLite store`);
}
