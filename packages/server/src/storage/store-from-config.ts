import { join } from "node:path";
import type { Config } from "../config/schema.js";
import type { ChangeFeed } from "../changes/change-feed.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { relayChangesThroughPostgres } from "./postgres/change-relay.js";
import { CachingStore } from "./caching-store.js";
import type { Store } from "./store.js";

export function sqlitePath(config: Config): string {
  return join(config.dataDir, "keyshift.db");
}

/** Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export interface StoreOpenOptions {
  /** Connection problems the store recovers from by itself (PostgreSQL), for the log. */
  onError?: (e: Error) => void;
  /** PostgreSQL: hold `rotation.nodeId` while open (a server), so that two live nodes cannot share one. */
  holdNodeId?: boolean;
}

/** Opens the configured store and runs its migrations; `writer: "thread"` for a server (see SqliteStoreOptions). */
export async function storeFromConfig(config: Config, writer: "thread" | "inline" = "inline", o: StoreOpenOptions = {}): Promise<Store> {
  const url = config.store.url;
  if (url === "sqlite" || url.startsWith("sqlite:")) {
    return new SqliteStore({ path: url === "sqlite" ? sqlitePath(config) : url.slice("sqlite:".length), synchronous: config.store.sqliteSynchronous, writer, ...(writer === "thread" ? { auditChain: config.rotation.nodeId } : {}) });
  }
  if (isPostgresUrl(url)) {
    return PostgresStore.open({
      url, poolSize: config.store.poolSize, connectTimeoutMs: config.store.connectTimeoutSeconds * 1000,
      ...(o.holdNodeId ? { nodeId: config.rotation.nodeId } : {}), ...(o.onError ? { onError: o.onError } : {}),
    });
  }
  throw new Error(`unsupported store ${url.replace(/\/\/[^@]*@/, "//***@")}: use sqlite, sqlite:<file> or a postgres:// URL`);
}

/**
 * The server's store: the configured backend behind the read cache of the GetSecretValue path.
 * On PostgreSQL (several nodes), the cache also drops what other nodes change, and `feed`, when
 * given, is numbered database-wide and reaches subscribers on every node.
 */
export async function servingStoreFromConfig(config: Config, feed?: ChangeFeed, onError?: (e: Error) => void): Promise<Store> {
  const inner = await storeFromConfig(config, "thread", { holdNodeId: true, ...(onError ? { onError } : {}) });
  if (inner instanceof PostgresStore && feed) await relayChangesThroughPostgres(inner, feed, onError).catch(async (e: unknown) => {
    await inner.close();
    throw e;
  });
  if (config.cache.maxSecrets === 0) return inner;
  if (inner instanceof PostgresStore) {
    return new CachingStore(inner, { maxSecrets: config.cache.maxSecrets, externalStamp: () => inner.externalStamp(), externalChanges: (fn) => inner.onExternalChange(fn) });
  }
  const stamp = inner instanceof SqliteStore ? () => inner.dataVersion() : undefined;
  return new CachingStore(inner, { maxSecrets: config.cache.maxSecrets, ...(stamp ? { externalStamp: stamp } : {}) });
}
