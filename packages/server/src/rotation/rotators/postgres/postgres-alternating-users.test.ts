/**
 * keyshift-postgres-alternating-users against a private PostgreSQL with SCRAM passwords. One
 * server for the file; every test has its own roles, database and secrets. The master secret
 * holds a CREATEROLE administrator (not the superuser), as on RDS.
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import pg from "pg";
import { requireDependency, startTestServer, type TestServer } from "../../../testing/harness.js";
import { canStartPrivatePostgres, startPrivatePostgres, type PrivatePostgres } from "../../../testing/private-postgres.js";
import { smClient } from "../../../testing/sm-client.js";
import { createJsonSecret, prepare, putPending, rejectsWith, rotate, stageValue } from "../database/testing.js";
import { postgresAlternatingUsers as rotator } from "./alternating-users.js";

const AVAILABLE = canStartPrivatePostgres();

describe("keyshift-postgres-alternating-users", () => {
  let db: PrivatePostgres | undefined;
  let server: TestServer;
  let sm: SecretsManagerClient;

  before(async () => {
    server = await startTestServer();
    sm = smClient(server.endpoint);
    if (AVAILABLE) db = await startPrivatePostgres();
  });
  after(async () => {
    await db?.stop();
    sm?.destroy();
    await server?.close();
  });

  let n = 0;
  /**
   * A role that can read one table of its own database, an administrator that manages it (in the
   * master secret), and the user's secret pointing at the master secret.
   */
  async function setup(t: TestContext, o: { masterValue?: Record<string, unknown>; masterRef?: "arn" | "name" } = {}) {
    if (!requireDependency(t, "PostgreSQL server binaries (/usr/lib/postgresql/*/bin)", AVAILABLE)) return undefined;
    const db_ = db!;
    const user = `au${++n}_${randomUUID().slice(0, 8)}`;
    const admin = `admin_${user}`;
    const dbname = `db_${user}`;
    const password = `Initial-${randomUUID()}`;
    const adminPassword = `Admin-${randomUUID()}`;
    await db_.createDatabase(dbname);
    await db_.createRole(user, password);
    await db_.createRole(admin, adminPassword, "CREATEROLE");
    // PostgreSQL 16 wants ADMIN OPTION on a role to grant it; older versions accept CREATEROLE.
    await db_.query(`GRANT ${pg.escapeIdentifier(user)} TO ${pg.escapeIdentifier(admin)} WITH ADMIN OPTION`);
    await db_.query("CREATE TABLE readable (v text)", [], dbname);
    await db_.query("INSERT INTO readable VALUES ('hello')", [], dbname);
    await db_.query("CREATE TABLE hidden (v text)", [], dbname);
    await db_.query(`GRANT SELECT ON readable TO ${pg.escapeIdentifier(user)}`, [], dbname);

    const masterName = `pg-master-${user}`;
    const masterArn = await createJsonSecret(sm, masterName, {
      engine: "postgres", host: db_.host, port: db_.port, username: admin, password: adminPassword, dbname: "postgres", ...o.masterValue,
    });
    const name = `pg-alt-${user}`;
    const value = {
      engine: "postgres", host: db_.host, port: db_.port, username: user, password, dbname,
      masterarn: o.masterRef === "name" ? masterName : masterArn, note: "kept",
    };
    await createJsonSecret(sm, name, value);
    return { db: db_, user, admin, dbname, password, adminPassword, name, value, masterName };
  }

  async function read(d: PrivatePostgres, user: string, password: string, dbname: string, table: string): Promise<string[]> {
    const c = await d.connect(user, password, dbname);
    try {
      return (await c.query<{ v: string }>(`SELECT v FROM ${table}`)).rows.map((r) => r.v);
    } finally {
      await c.end();
    }
  }

  test("rotation 1 creates user_clone with the user's grants; rotation 2 goes back to user; the current and previous logins work", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const clone = `${s.user}_clone`;
    assert.deepEqual(await s.db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [clone]), []);

    // Rotation 1: user → user_clone.
    await rotate(server, rotator, s.name);
    const c1 = await stageValue(sm, s.name, "AWSCURRENT");
    const p1 = await stageValue(sm, s.name, "AWSPREVIOUS");
    assert.ok(c1 && p1);
    assert.equal(c1.username, clone);
    assert.notEqual(c1.password, s.password);
    assert.deepEqual(p1, s.value);
    assert.deepEqual({ ...c1, username: s.user, password: s.password }, s.value, "other fields kept");
    const pw1 = c1.password as string;
    assert.equal(await s.db.canLogin(clone, pw1, s.dbname), true, "current (clone) logs in");
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), true, "previous (user) still logs in");
    // The clone has the user's grants: it reads what the user reads, and not what the user cannot.
    assert.deepEqual(await read(s.db, clone, pw1, s.dbname, "readable"), ["hello"]);
    await assert.rejects(read(s.db, clone, pw1, s.dbname, "hidden"), /permission denied/);

    // Rotation 2: user_clone → user, with a new password.
    await rotate(server, rotator, s.name);
    const c2 = await stageValue(sm, s.name, "AWSCURRENT");
    const p2 = await stageValue(sm, s.name, "AWSPREVIOUS");
    assert.ok(c2 && p2);
    assert.equal(c2.username, s.user);
    assert.deepEqual(p2, c1);
    const pw2 = c2.password as string;
    assert.ok(pw2 !== s.password && pw2 !== pw1);
    assert.equal(await s.db.canLogin(s.user, pw2, s.dbname), true, "current (user) logs in");
    assert.equal(await s.db.canLogin(clone, pw1, s.dbname), true, "previous (clone) logs in");
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), false, "the password of two rotations ago does not");
    assert.deepEqual(await read(s.db, s.user, pw2, s.dbname, "readable"), ["hello"]);

    // Rotation 3: the clone again; its password from rotation 1 stops working.
    await rotate(server, rotator, s.name);
    const c3 = await stageValue(sm, s.name, "AWSCURRENT");
    assert.equal(c3?.username, clone);
    assert.equal(await s.db.canLogin(clone, c3.password as string, s.dbname), true);
    assert.equal(await s.db.canLogin(s.user, pw2, s.dbname), true);
    assert.equal(await s.db.canLogin(clone, pw1, s.dbname), false);
  });

  test("setSecret is idempotent, and createSecret keeps an existing pending value; masterarn may be a name", async (t) => {
    const s = await setup(t, { masterRef: "name" });
    if (!s) return;
    const r = await prepare(server, s.name);
    await rotator.createSecret(r.request("createSecret"));
    const pending = await stageValue(sm, s.name, "AWSPENDING");
    await rotator.createSecret(r.request("createSecret"));
    assert.deepEqual(await stageValue(sm, s.name, "AWSPENDING"), pending);
    assert.equal(pending?.username, `${s.user}_clone`);

    await rotator.setSecret(r.request("setSecret"));
    const verifier = await s.db.storedPassword(`${s.user}_clone`);
    assert.ok(verifier);
    await rotator.setSecret(r.request("setSecret"));
    assert.equal(await s.db.storedPassword(`${s.user}_clone`), verifier, "a second setSecret does not touch the clone");
    // Alternating users never changes the current login.
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), true);
    assert.equal(rotator.restoreCurrent, undefined);
    await rotator.testSecret(r.request("testSecret"));
    await rotator.finishSecret(r.request("finishSecret"));
    assert.equal((await stageValue(sm, s.name, "AWSCURRENT"))?.username, `${s.user}_clone`);
  });

  test("setSecret refuses a pending user that is not the other login of the pair", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const r = await prepare(server, s.name);
    // A tampered pending value that would have the master set the administrator's password.
    await putPending(sm, s.name, r.token, { ...s.value, username: s.admin, password: "Tampered-0123456789" });
    await rejectsWith(
      rotator.setSecret(r.request("setSecret")),
      new RegExp(`^setSecret: the pending user ${s.admin} is neither the current user's clone nor its original \\(${s.user}_clone expected\\)$`),
    );
    assert.equal(await s.db.canLogin(s.admin, s.adminPassword), true);
  });

  test("missing or unusable master secret: clear errors, no password in them", async (t) => {
    const s = await setup(t, { masterValue: { port: 1 } });
    if (!s) return;
    // The master secret points at another server.
    const r = await prepare(server, s.name);
    await rotator.createSecret(r.request("createSecret"));
    await rejectsWith(
      rotator.setSecret(r.request("setSecret")),
      new RegExp(`^setSecret: the master secret points at postgres at 127\\.0\\.0\\.1:1, not at the server of this secret \\(127\\.0\\.0\\.1:${s.db.port}\\)$`),
      [s.password, s.adminPassword],
    );
    // A wrong master password.
    await createJsonSecret(sm, `${s.masterName}-bad`, { engine: "postgres", host: s.db.host, port: s.db.port, username: s.admin, password: "Wrong-password-123" });
    const name2 = `${s.name}-2`;
    await createJsonSecret(sm, name2, { ...s.value, masterarn: `${s.masterName}-bad` });
    const r2 = await prepare(server, name2);
    await rotator.createSecret(r2.request("createSecret"));
    await rejectsWith(
      rotator.setSecret(r2.request("setSecret")),
      new RegExp(`^setSecret: could not log in to postgres at .* as ${s.admin} with the master secret ${s.masterName}-bad: password authentication failed`),
      ["Wrong-password-123", s.password],
    );
    // No such master secret.
    const name3 = `${s.name}-3`;
    await createJsonSecret(sm, name3, { ...s.value, masterarn: "no-such-master" });
    const r3 = await prepare(server, name3);
    await rotator.createSecret(r3.request("createSecret"));
    await rejectsWith(rotator.setSecret(r3.request("setSecret")), /^setSecret: could not read the master secret no-such-master: Secrets Manager can't find the specified secret\.$/);
    // No masterarn at all.
    const name4 = `${s.name}-4`;
    const { masterarn: _, ...noMaster } = s.value;
    await createJsonSecret(sm, name4, noMaster);
    await rejectsWith(rotate(server, rotator, name4), /^createSecret: the AWSCURRENT value has no "masterarn" field/);
  });
});
