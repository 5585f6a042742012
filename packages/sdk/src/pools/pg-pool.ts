import type { SecretSource } from "../rotation-aware.js";
import { CredentialPool, ROTATING_POOL_KEYS, type PoolDriver, type RotatingPoolOptions } from "./credential-pool.js";
import type { DbCredential } from "./db-credential.js";

/** What node-postgres answers (the subset used here; `pg.QueryResult` fits). */
export interface PgQueryResult<R = any> {
  rows: R[];
  rowCount: number | null;
  command: string;
  fields: unknown[];
}

export type PgQuery = string | { text: string; values?: unknown[]; name?: string; rowMode?: string };

/** A checked-out connection (`pg.PoolClient` fits). `release(true)` destroys it instead of returning it. */
export interface PgPoolClient {
  query<R = any>(query: PgQuery, values?: unknown[]): Promise<PgQueryResult<R>>;
  release(destroy?: Error | boolean): void;
}

/** The subset of `pg.Pool` used here. */
export interface PgPoolLike {
  query<R = any>(query: PgQuery, values?: unknown[]): Promise<PgQueryResult<R>>;
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
  on(event: "error", listener: (e: Error) => void): unknown;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** The `pg` module (default export or namespace). */
export interface PgModule {
  Pool: new (config: Record<string, unknown>) => PgPoolLike;
}

/**
 * Options: everything `pg.Pool` takes except the login (`host`, `port`, `user`, `password`,
 * `database` come from the secret; `ssl` given here wins over the secret's), plus the rotating
 * pool's own (`RotatingPoolOptions`) and `driver` (the `pg` module, when it should not be
 * imported by name: bundlers, several copies).
 */
export type RotatingPgPoolOptions = RotatingPoolOptions & { driver?: PgModule } & Record<string, unknown>;

/**
 * A `pg.Pool` look-alike whose login follows a rotated secret. `query` and `connect` work as on
 * `pg.Pool` (promises only); a refused login while opening a connection recovers the credential
 * (AWSPENDING, then AWSCURRENT) and retries, so no query fails while a rotation is between
 * setSecret and finishSecret. When the credential changes, new connections use the new one and
 * the old pool drains (see `CredentialPool`).
 */
export class RotatingPgPool {
  constructor(private readonly core: CredentialPool<PgPoolLike>) {}

  query<R = any>(query: PgQuery, values?: unknown[]): Promise<PgQueryResult<R>> {
    return this.core.use((p) => p.query<R>(query, values));
  }

  /** A connection checked out of the current pool; release it with `release()` as with pg. */
  connect(): Promise<PgPoolClient> {
    return this.core.checkout(
      (p) => p.connect(),
      (client, done) => {
        const release = client.release.bind(client);
        // pg gives every checkout its own release function: wrapping it here is per checkout too.
        client.release = (destroy?: Error | boolean) => {
          done();
          release(destroy);
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
  get totalCount(): number {
    return this.core.current.totalCount;
  }
  get idleCount(): number {
    return this.core.current.idleCount;
  }
  get waitingCount(): number {
    return this.core.current.waitingCount;
  }
}

async function loadPg(): Promise<PgModule> {
  const name = "pg"; // a variable: the SDK compiles and loads without pg installed
  let mod: { default?: PgModule } & Partial<PgModule>;
  try {
    mod = await import(name);
  } catch (e) {
    throw new Error('createRotatingPgPool needs the "pg" package (npm install pg), or pass it as options.driver', { cause: e });
  }
  const pg = mod.Pool ? (mod as PgModule) : mod.default;
  if (!pg?.Pool) throw new Error('the "pg" module has no Pool');
  return pg;
}

/** The pg adapter of `CredentialPool`. */
export function pgDriver(pg: PgModule, options: Record<string, unknown>, onError: ((e: unknown) => void) | undefined): PoolDriver<PgPoolLike> {
  return {
    defaultPort: 5432,
    create(cred: DbCredential): PgPoolLike {
      const ssl = "ssl" in options ? options.ssl : cred.ssl;
      const pool = new pg.Pool({
        ...options,
        host: cred.host,
        port: cred.port,
        user: cred.username,
        password: cred.password,
        ...(cred.dbname !== undefined ? { database: cred.dbname } : {}),
        ...(ssl !== undefined ? { ssl } : {}),
      });
      // An idle connection that breaks is reported here; without a listener pg would crash the process.
      pool.on("error", (e) => onError?.(e));
      return pool;
    },
    async probe(pool) {
      (await pool.connect()).release();
    },
    end: (pool) => pool.end(),
  };
}

/**
 * Reads the secret (AWSCURRENT, AWS template JSON) and returns a pool that logs in with it and
 * follows its rotations. Rejects when the secret cannot be read or is not a database secret; no
 * connection is opened before the first query.
 */
export async function createRotatingPgPool(source: SecretSource, secretId: string, options: RotatingPgPoolOptions = {}): Promise<RotatingPgPool> {
  const pg = options.driver ?? (await loadPg());
  const poolOptions: Record<string, unknown> = { ...options };
  for (const k of [...ROTATING_POOL_KEYS, "host", "port", "user", "password", "database", "connectionString"]) delete poolOptions[k];
  const core = await CredentialPool.open(source, secretId, pgDriver(pg, poolOptions, options.onError), options);
  return new RotatingPgPool(core);
}
