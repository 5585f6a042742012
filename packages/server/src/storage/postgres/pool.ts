import pg from "pg";

/** BIGINT (int8) columns hold epoch milliseconds and revisions: well inside 2^53, read as numbers. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 && format !== "binary" ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

export interface PostgresConnectionOptions {
  /** `postgres://` or `postgresql://` URL (libpq syntax: user, password, host, port, database, `?sslmode=`). */
  url: string;
  /** Connections kept by this node at most (one more is used for LISTEN). Default 10. */
  poolSize?: number;
  /** Give up opening a connection after this long (ms). Default 10 000. */
  connectTimeoutMs?: number;
}

/** Client settings of every connection the store opens: int8 as number, a connection timeout, an application name. */
export function clientConfig(o: PostgresConnectionOptions): pg.ClientConfig {
  // Keepalives: a connection to a server that vanished (no FIN) fails within a minute instead of hanging.
  return { connectionString: o.url, types, connectionTimeoutMillis: o.connectTimeoutMs ?? 10_000, application_name: "keyshift", keepAlive: true, keepAliveInitialDelayMillis: 10_000 };
}

/**
 * The store's pool. An idle connection that breaks (server restart) is dropped and replaced on
 * next use; the error is reported, never thrown (an unhandled pool error would end the process).
 */
export function openPool(o: PostgresConnectionOptions, onError: (e: Error) => void): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(o), max: o.poolSize ?? 10, idleTimeoutMillis: 30_000 });
  pool.on("error", onError);
  return pool;
}
