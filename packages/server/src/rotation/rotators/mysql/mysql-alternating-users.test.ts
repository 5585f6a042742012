/**
 * keyshift-mysql-alternating-users against a private MariaDB. One server for the file; every
 * test has its own users, database and secrets. The master secret holds an administrator with
 * every privilege WITH GRANT OPTION (as an RDS master user).
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import mysql from "mysql2/promise";
import { requireDependency, startTestServer, type TestServer } from "../../../testing/harness.js";
import { canStartPrivateMariadb, startPrivateMariadb, type PrivateMariadb } from "../../../testing/private-mariadb.js";
import { smClient } from "../../../testing/sm-client.js";
import { createJsonSecret, prepare, putPending, rejectsWith, rotate, stageValue } from "../database/testing.js";
import { mysqlAlternatingUsers as rotator } from "./alternating-users.js";

const AVAILABLE = canStartPrivateMariadb();

describe("keyshift-mysql-alternating-users (MariaDB)", () => {
  let db: PrivateMariadb | undefined;
  let server: TestServer;
  let sm: SecretsManagerClient;

  before(async () => {
    server = await startTestServer();
    sm = smClient(server.endpoint);
    if (AVAILABLE) db = await startPrivateMariadb();
  });
  after(async () => {
    await db?.stop();
    sm?.destroy();
    await server?.close();
  });

  let n = 0;
  /**
   * A user that reads one table directly, one through a default role, and may grant SELECT on a
   * third; an administrator in the master secret; the user's secret pointing at it.
   */
  async function setup(t: TestContext) {
    if (!requireDependency(t, "MariaDB (mariadbd, mariadb-install-db)", AVAILABLE)) return undefined;
    const d = db!;
    const user = `au${++n}_${randomUUID().slice(0, 8)}`;
    const admin = `adm${n}_${randomUUID().slice(0, 8)}`;
    const dbname = `db_${user}`;
    const role = `reader_${user}`;
    const password = `Initial-${randomUUID()}`;
    const adminPassword = `Admin-${randomUUID()}`;
    const q = mysql.escapeId(dbname);
    await d.createDatabase(dbname);
    for (const table of ["readable", "hidden", "via_role", "grantable"]) {
      await d.query(`CREATE TABLE ${q}.${table} (v VARCHAR(20))`);
      await d.query(`INSERT INTO ${q}.${table} VALUES (?)`, [`${table} row`]);
    }
    await d.createUser(user, password);
    await d.query(`GRANT SELECT ON ${q}.readable TO ?@'%'`, [user]);
    await d.query(`GRANT SELECT ON ${q}.grantable TO ?@'%' WITH GRANT OPTION`, [user]);
    await d.query(`CREATE ROLE ${mysql.escapeId(role)}`);
    await d.query(`GRANT SELECT ON ${q}.via_role TO ${mysql.escapeId(role)}`);
    await d.query(`GRANT ${mysql.escapeId(role)} TO ?@'%'`, [user]);
    await d.query(`SET DEFAULT ROLE ${mysql.escapeId(role)} FOR ?@'%'`, [user]);
    await d.createUser(admin, adminPassword);
    await d.query("GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION", [admin]);
    await d.query(`GRANT ${mysql.escapeId(role)} TO ?@'%' WITH ADMIN OPTION`, [admin]);

    const masterName = `mysql-master-${user}`;
    const masterArn = await createJsonSecret(sm, masterName, { engine: "mariadb", host: d.host, port: d.port, username: admin, password: adminPassword });
    const name = `mysql-alt-${user}`;
    const value = { engine: "mariadb", host: d.host, port: d.port, username: user, password, dbname, masterarn: masterArn, note: "kept" };
    await createJsonSecret(sm, name, value);
    return { db: d, user, admin, adminPassword, dbname, password, name, value };
  }

  async function read(d: PrivateMariadb, user: string, password: string, dbname: string, table: string): Promise<string[]> {
    const c = await d.connect(user, password, dbname);
    try {
      const [rows] = await c.query<mysql.RowDataPacket[]>(`SELECT v FROM ${mysql.escapeId(table)}`);
      return rows.map((r) => r.v as string);
    } finally {
      await c.end();
    }
  }

  test("rotation 1 creates user_clone with the user's grants; rotation 2 goes back to user; the current and previous logins work", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const clone = `${s.user}_clone`;
    assert.deepEqual(await s.db.query("SELECT 1 FROM mysql.user WHERE User = ?", [clone]), []);

    await rotate(server, rotator, s.name);
    const c1 = await stageValue(sm, s.name, "AWSCURRENT");
    const p1 = await stageValue(sm, s.name, "AWSPREVIOUS");
    assert.ok(c1 && p1);
    assert.equal(c1.username, clone);
    assert.deepEqual(p1, s.value);
    assert.deepEqual({ ...c1, username: s.user, password: s.password }, s.value, "other fields kept");
    const pw1 = c1.password as string;
    assert.notEqual(pw1, s.password);
    assert.equal(await s.db.canLogin(clone, pw1, s.dbname), true, "current (clone) logs in");
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), true, "previous (user) still logs in");
    // Same grants: direct, through the default role, with grant option; nothing more.
    assert.deepEqual(await read(s.db, clone, pw1, s.dbname, "readable"), ["readable row"]);
    assert.deepEqual(await read(s.db, clone, pw1, s.dbname, "via_role"), ["via_role row"]);
    await assert.rejects(read(s.db, clone, pw1, s.dbname, "hidden"), /SELECT command denied/);
    const grants = (await s.db.query<Record<string, string>>("SHOW GRANTS FOR ?@'%'", [clone])).map((r) => Object.values(r)[0]);
    assert.ok(grants.some((g) => /GRANT SELECT ON `[^`]+`\.`grantable` TO `[^`]+`@`%` WITH GRANT OPTION/.test(g ?? "")), grants.join("\n"));

    await rotate(server, rotator, s.name);
    const c2 = await stageValue(sm, s.name, "AWSCURRENT");
    assert.equal(c2?.username, s.user);
    assert.deepEqual(await stageValue(sm, s.name, "AWSPREVIOUS"), c1);
    const pw2 = c2.password as string;
    assert.ok(pw2 !== s.password && pw2 !== pw1);
    assert.equal(await s.db.canLogin(s.user, pw2, s.dbname), true, "current (user) logs in");
    assert.equal(await s.db.canLogin(clone, pw1, s.dbname), true, "previous (clone) logs in");
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), false, "the password of two rotations ago does not");
    assert.deepEqual(await read(s.db, s.user, pw2, s.dbname, "via_role"), ["via_role row"]);

    await rotate(server, rotator, s.name);
    const c3 = await stageValue(sm, s.name, "AWSCURRENT");
    assert.equal(c3?.username, clone);
    assert.equal(await s.db.canLogin(clone, c3.password as string, s.dbname), true);
    assert.equal(await s.db.canLogin(s.user, pw2, s.dbname), true);
    assert.equal(await s.db.canLogin(clone, pw1, s.dbname), false);
  });

  test("setSecret is idempotent, and finishes a clone left half-made (created, no grants yet)", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const clone = `${s.user}_clone`;
    // As if a previous setSecret died right after CREATE USER.
    await s.db.createUser(clone, `Leftover-${randomUUID()}`);
    const r = await prepare(server, s.name);
    await rotator.createSecret(r.request("createSecret"));
    const pending = await stageValue(sm, s.name, "AWSPENDING");
    await rotator.createSecret(r.request("createSecret"));
    assert.deepEqual(await stageValue(sm, s.name, "AWSPENDING"), pending);

    await rotator.setSecret(r.request("setSecret"));
    const changed = await s.db.passwordLastChanged(clone);
    assert.ok(changed);
    assert.deepEqual(await read(s.db, clone, pending!.password as string, s.dbname, "readable"), ["readable row"]);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // password_last_changed: one-second resolution
    await rotator.setSecret(r.request("setSecret"));
    assert.equal(await s.db.passwordLastChanged(clone), changed, "a second setSecret does not touch the clone");
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), true, "the current login is untouched");
    assert.equal(rotator.restoreCurrent, undefined);
  });

  test("setSecret refuses a pending user that is not the other login of the pair", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const r = await prepare(server, s.name);
    await putPending(sm, s.name, r.token, { ...s.value, username: s.admin, password: "Tampered-0123456789" });
    await rejectsWith(
      rotator.setSecret(r.request("setSecret")),
      new RegExp(`^setSecret: the pending user ${s.admin} is neither the current user's clone nor its original \\(${s.user}_clone expected\\)$`),
    );
    assert.equal(await s.db.canLogin(s.admin, s.adminPassword), true);
  });

  test("a user name too long for a clone is refused by createSecret", async (t) => {
    if (!requireDependency(t, "MariaDB", AVAILABLE)) return;
    const name = `mysql-long-${randomUUID()}`;
    await createJsonSecret(sm, name, { engine: "mysql", host: "127.0.0.1", username: "u".repeat(30), password: "p", masterarn: "m" });
    await rejectsWith(rotate(server, rotator, name), /^createSecret: cannot alternate user u{30}: with "_clone" appended it is longer than 32 characters$/);
  });
});
