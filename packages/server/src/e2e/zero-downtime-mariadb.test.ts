/**
 * Zero-downtime rotation against a private MariaDB with password logins: 20 single-user and
 * 20 alternating-users rotations under a continuous query loop through `createRotatingMysqlPool`
 * (no query may fail), then the same through a plain mysql2 pool (failures reported).
 * ZERO_DOWNTIME_ROTATIONS changes the number of rotations.
 */
import mysql from "mysql2/promise";
import { createRotatingMysqlPool, type MysqlPoolConnection } from "@keyshift/sdk";
import { canStartPrivateMariadb, startPrivateMariadb } from "../testing/private-mariadb.js";
import { zeroDowntimeSuite, type AppPool } from "../testing/zero-downtime-loop.js";

// Short-lived connections: idle ones close quickly (and queryOnNewConnection destroys its own).
const POOL = { connectionLimit: 4, maxIdle: 2, idleTimeout: 200, connectTimeout: 10_000 };
const SQL = "SELECT COUNT(*) AS n FROM t";

async function onOwnConnection(conn: MysqlPoolConnection): Promise<void> {
  try {
    await conn.query("SELECT 1");
  } finally {
    conn.destroy(); // closed, not returned: the next checkout logs in again
  }
}

zeroDowntimeSuite({
  label: "MariaDB",
  engine: "mariadb",
  kind: "mysql",
  available: canStartPrivateMariadb(),
  async start() {
    const m = await startPrivateMariadb();
    return {
      host: m.host,
      port: m.port,
      master: { username: m.rootUser, password: m.rootPassword },
      async makeUser(user, password, dbname) {
        await m.createDatabase(dbname);
        await m.createUser(user, password);
        await m.query("CREATE TABLE t (x int)", [], dbname);
        await m.query("INSERT INTO t VALUES (1), (2), (3)", [], dbname);
        await m.query(`GRANT SELECT ON ${mysql.escapeId(dbname)}.* TO ?@'%'`, [user]);
      },
      canLogin: (u, pw, d) => m.canLogin(u, pw, d),
      stop: () => m.stop(),
    };
  },
  async rotatingPool(source, secretId, o): Promise<AppPool> {
    // No `driver`: the pool imports mysql2/promise by name, as an application's would.
    const pool = await createRotatingMysqlPool(source, secretId, { ...POOL, watch: o.watch, onCredentialChange: (c) => o.onChange(c.reason) });
    return {
      query: async () => void (await pool.query(SQL)),
      queryOnNewConnection: async () => onOwnConnection(await pool.getConnection()),
      end: () => pool.end(),
      credential: () => pool.credential,
    };
  },
  async queryOnce(l) {
    const c = await mysql.createConnection({ host: l.host, port: l.port, user: l.username, password: l.password, database: l.dbname });
    try {
      await c.query(SQL);
    } finally {
      await c.end();
    }
  },
  plainPool(l): AppPool {
    const pool = mysql.createPool({ ...POOL, host: l.host, port: l.port, user: l.username, password: l.password, database: l.dbname });
    return {
      query: async () => void (await pool.query(SQL)),
      queryOnNewConnection: async () => onOwnConnection(await pool.getConnection()),
      end: () => pool.end(),
    };
  },
});
