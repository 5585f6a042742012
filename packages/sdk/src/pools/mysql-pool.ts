import type { SecretSource } from "../rotation-aware.js";
import { CredentialPool, ROTATING_POOL_KEYS, type PoolDriver, type RotatingPoolOptions } from "./credential-pool.js";
import type { DbCredential } from "./db-credential.js";

/** `[rows, fields]`, as mysql2/promise answers. */
export type MysqlResult<R = any> = [R, unknown];

/** A checked-out connection (mysql2/promise `PoolConnection` fits). `destroy()` closes it instead of returning it. */
export interface MysqlPoolConnection {
  query<R = any>(sql: string | { sql: string; values?: unknown }, values?: unknown): Promise<MysqlResult<R>>;
  execute<R = any>(sql: string | { sql: string; values?: unknown }, values?: unknown): Promise<MysqlResult<R>>;
  release(): void;
  destroy(): void;
}

/** The subset of a mysql2/promise `Pool` used here. */
export interface MysqlPoolLike {
  query<R = any>(sql: string | { sql: string; values?: unknown }, values?: unknown): Promise<MysqlResult<R>>;
  execute<R = any>(sql: string | { sql: string; values?: unknown }, values?: unknown): Promise<MysqlResult<R>>;
  getConnection(): Promise<MysqlPoolConnection>;
  end(): Promise<void>;
}

/** The `mysql2/promise` module (default export or namespace). */
export interface MysqlModule {
  createPool(config: Record<string, unknown>): MysqlPoolLike;
}

/**
 * Options: everything mysql2's `createPool` takes except the login (`host`, `port`, `user`,
 * `password`, `database` come from the secret; `ssl` given here wins over the secret's), plus
 * `RotatingPoolOptions` and `driver` (the `mysql2/promise` module).
 */
export type RotatingMysqlPoolOptions = RotatingPoolOptions & { driver?: MysqlModule } & Record<string, unknown>;

/**
 * A mysql2/promise pool look-alike whose login follows a rotated secret: `query`, `execute` and
 * `getConnection` as on mysql2's pool; a refused login (errno 1045/1044) while opening a
 * connection recovers the credential (AWSPENDING, then AWSCURRENT) and retries. The old pool is
 * ended only when its running queries and checked-out connections are done (mysql2's own
 * `end()` would cut them).
 */
export class RotatingMysqlPool {
  constructor(private readonly core: CredentialPool<MysqlPoolLike>) {}

  query<R = any>(sql: string | { sql: string; values?: unknown }, values?: unknown): Promise<MysqlResult<R>> {
    return this.core.use((p) => p.query<R>(sql, values));
  }

  execute<R = any>(sql: string | { sql: string; values?: unknown }, values?: unknown): Promise<MysqlResult<R>> {
    return this.core.use((p) => p.execute<R>(sql, values));
  }

  /** A connection checked out of the current pool; give it back with `release()` (or `destroy()`). */
  getConnection(): Promise<MysqlPoolConnection> {
    return this.core.checkout(
      (p) => p.getConnection(),
      (conn, done) => {
        const release = conn.release.bind(conn);
        const destroy = conn.destroy.bind(conn);
        // mysql2 wraps every checkout in a new PoolConnection object: these are per checkout.
        conn.release = () => {
          done();
          release();
        };
        conn.destroy = () => {
          done();
          destroy();
        };
      },
    );
  }

  /** Ends every connection once the queries running now are done; later calls reject. */
  end(): Promise<void> {
    return this.core.end();
  }

  /** The secret version and user the pool logs in with now (no password). */
  get credential(): { versionId: string; username: string } {
    return this.core.credential;
  }
  /** How many times the pool moved to another credential. */
  get credentialChanges(): number {
    return this.core.credentialChanges;
  }
}

async function loadMysql(): Promise<MysqlModule> {
  const name = "mysql2/promise"; // a variable: the SDK compiles and loads without mysql2 installed
  let mod: { default?: MysqlModule } & Partial<MysqlModule>;
  try {
    mod = await import(name);
  } catch (e) {
    throw new Error('createRotatingMysqlPool needs the "mysql2" package (npm install mysql2), or pass mysql2/promise as options.driver', { cause: e });
  }
  const m = typeof mod.createPool === "function" ? (mod as MysqlModule) : mod.default;
  if (typeof m?.createPool !== "function") throw new Error('the "mysql2/promise" module has no createPool');
  return m;
}

/** The mysql2 adapter of `CredentialPool`. */
export function mysqlDriver(mysql: MysqlModule, options: Record<string, unknown>): PoolDriver<MysqlPoolLike> {
  return {
    defaultPort: 3306,
    create(cred: DbCredential): MysqlPoolLike {
      const ssl = "ssl" in options ? options.ssl : cred.ssl;
      return mysql.createPool({
        ...options,
        host: cred.host,
        port: cred.port,
        user: cred.username,
        password: cred.password,
        ...(cred.dbname !== undefined ? { database: cred.dbname } : {}),
        // mysql2 takes no `ssl: false`: plain TCP is the absence of the option.
        ...(ssl ? { ssl } : {}),
      });
    },
    async probe(pool) {
      (await pool.getConnection()).release();
    },
    end: (pool) => pool.end(),
  };
}

/**
 * Reads the secret (AWSCURRENT, AWS template JSON) and returns a pool that logs in with it and
 * follows its rotations. Rejects when the secret cannot be read or is not a database secret; no
 * connection is opened before the first query.
 */
export async function createRotatingMysqlPool(source: SecretSource, secretId: string, options: RotatingMysqlPoolOptions = {}): Promise<RotatingMysqlPool> {
  const mysql = options.driver ?? (await loadMysql());
  const poolOptions: Record<string, unknown> = { ...options };
  for (const k of [...ROTATING_POOL_KEYS, "host", "port", "user", "password", "database", "uri"]) delete poolOptions[k];
  const core = await CredentialPool.open(source, secretId, mysqlDriver(mysql, poolOptions), options);
  return new RotatingMysqlPool(core);
}
