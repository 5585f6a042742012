/**
 * Zero-downtime rotation against a private PostgreSQL with SCRAM passwords: 20 single-user and
 * 20 alternating-users rotations under a continuous query loop through `createRotatingPgPool`
 * (no query may fail), then the same through a plain pg.Pool (failures reported).
 * ZERO_DOWNTIME_ROTATIONS changes the number of rotations.
 */
import pg from "pg";
import { createRotatingPgPool, type PgPoolClient } from "@keyshift/sdk";
import { canStartPrivatePostgres, startPrivatePostgres } from "../testing/private-postgres.js";
import { zeroDowntimeSuite, type AppPool } from "../testing/zero-downtime-loop.js";

// Short-lived connections: idle ones close quickly and each serves a few queries at most.
const POOL = { max: 4, idleTimeoutMillis: 200, maxUses: 10, connectionTimeoutMillis: 10_000 };
const SQL = "SELECT count(*) AS n FROM t";

async function onOwnConnection(client: PgPoolClient): Promise<void> {
  try {
    await client.query("SELECT 1");
  } finally {
    client.release(true); // destroyed, not returned: the next checkout logs in again
  }
}

zeroDowntimeSuite({
  label: "PostgreSQL",
  engine: "postgres",
  kind: "postgres",
  available: canStartPrivatePostgres(),
  async start() {
    const p = await startPrivatePostgres();
    return {
      host: p.host,
      port: p.port,
      master: { username: p.superuser, password: p.superPassword },
      async makeUser(user, password, dbname) {
        await p.createDatabase(dbname);
        await p.createRole(user, password);
        await p.query("CREATE TABLE t (x int)", [], dbname);
        await p.query("INSERT INTO t VALUES (1), (2), (3)", [], dbname);
        await p.query(`GRANT SELECT ON t TO ${pg.escapeIdentifier(user)}`, [], dbname);
      },
      canLogin: (u, pw, d) => p.canLogin(u, pw, d),
      stop: () => p.stop(),
    };
  },
  async rotatingPool(source, secretId, o): Promise<AppPool> {
    // No `driver`: the pool imports pg by name, as an application's would.
    const pool = await createRotatingPgPool(source, secretId, { ...POOL, watch: o.watch, onCredentialChange: (c) => o.onChange(c.reason) });
    return {
      query: async () => void (await pool.query(SQL)),
      queryOnNewConnection: async () => onOwnConnection(await pool.connect()),
      end: () => pool.end(),
      credential: () => pool.credential,
    };
  },
  async queryOnce(l) {
    const c = new pg.Client({ host: l.host, port: l.port, user: l.username, password: l.password, database: l.dbname });
    c.on("error", () => {});
    await c.connect();
    try {
      await c.query(SQL);
    } finally {
      await c.end();
    }
  },
  plainPool(l): AppPool {
    const pool = new pg.Pool({ ...POOL, host: l.host, port: l.port, user: l.username, password: l.password, database: l.dbname });
    pool.on("error", () => {});
    return {
      query: async () => void (await pool.query(SQL)),
      queryOnNewConnection: async () => onOwnConnection(await pool.connect()),
      end: () => pool.end(),
    };
  },
});
