/**
 * keyshift-mysql-single-user against a private MariaDB that asks for passwords (the shared
 * instance lets root in without one). One server for the file; every test has its own user,
 * database and secret.
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import mysql from "mysql2/promise";
import { requireDependency, startTestServer, type TestServer } from "../../../testing/harness.js";
import { canStartPrivateMariadb, startPrivateMariadb, type PrivateMariadb } from "../../../testing/private-mariadb.js";
import { smClient } from "../../../testing/sm-client.js";
import { createJsonSecret, eventually, prepare, rejectsWith, rotate, silentServer, stageValue, versionIdsToStages } from "../database/testing.js";
import { mysqlSingleUser as rotator } from "./single-user.js";

const AVAILABLE = canStartPrivateMariadb();
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

describe("keyshift-mysql-single-user (MariaDB)", () => {
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
  /** A user with a password and a database it may use, and a secret for it. */
  async function setup(t: TestContext, value: Record<string, unknown> = {}) {
    if (!requireDependency(t, "MariaDB (mariadbd, mariadb-install-db)", AVAILABLE)) return undefined;
    const d = db!;
    const user = `su${++n}_${randomUUID().slice(0, 8)}`;
    const dbname = `db_${user}`;
    const password = `Initial-${randomUUID()}`;
    await d.createDatabase(dbname);
    await d.createUser(user, password);
    await d.query(`GRANT SELECT ON ${mysql.escapeId(dbname)}.* TO ?@'%'`, [user]);
    const name = `mysql-single-${user}`;
    const full = { engine: "mysql", host: d.host, port: d.port, username: user, password, dbname, note: "kept as is", nested: { list: [1, "two"] }, ...value };
    await createJsonSecret(sm, name, full);
    return { db: d, user, dbname, password, name, value: full };
  }

  test("a rotation sets a new password: it logs in, the old one does not; AWSCURRENT/AWSPREVIOUS hold them; other fields kept", async (t) => {
    const s = await setup(t);
    if (!s) return;
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), true);
    await rotate(server, rotator, s.name);
    const current = await stageValue(sm, s.name, "AWSCURRENT");
    const previous = await stageValue(sm, s.name, "AWSPREVIOUS");
    assert.ok(current && previous);
    const pw = current.password as string;
    assert.equal(typeof pw, "string");
    assert.notEqual(pw, s.password);
    assert.equal(pw.length, 32);
    assert.deepEqual(previous, s.value);
    assert.deepEqual({ ...current, password: s.password }, s.value);
    assert.deepEqual(Object.keys(current), Object.keys(s.value), "field order kept");
    assert.equal(await s.db.canLogin(s.user, pw, s.dbname), true);
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), false);
  });

  test("engine mariadb, no dbname, port as a string: accepted", async (t) => {
    const s = await setup(t, { engine: "mariadb", dbname: undefined });
    if (!s) return;
    await createJsonSecret(sm, `${s.name}-2`, { ...s.value, port: String(s.db.port) });
    await rotate(server, rotator, `${s.name}-2`);
    const pw = (await stageValue(sm, `${s.name}-2`, "AWSCURRENT"))!.password as string;
    assert.equal(await s.db.canLogin(s.user, pw), true);
    assert.equal(await s.db.canLogin(s.user, s.password), false);
  });

  test("every step is idempotent: createSecret and setSecret run twice, then all steps again after completion", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const r = await prepare(server, s.name);
    await rotator.createSecret(r.request("createSecret"));
    const p1 = await stageValue(sm, s.name, "AWSPENDING");
    await rotator.createSecret(r.request("createSecret"));
    assert.deepEqual(await stageValue(sm, s.name, "AWSPENDING"), p1, "a second createSecret keeps the pending value");
    assert.ok(p1);

    await rotator.setSecret(r.request("setSecret"));
    const changed = await s.db.passwordLastChanged(s.user);
    assert.ok(changed);
    // password_last_changed has one-second resolution: a second SET PASSWORD would move it.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await rotator.setSecret(r.request("setSecret"));
    assert.equal(await s.db.passwordLastChanged(s.user), changed, "a second setSecret does not set the password again");

    await rotator.testSecret(r.request("testSecret"));
    await rotator.finishSecret(r.request("finishSecret"));
    const stages = await versionIdsToStages(sm, s.name);
    assert.ok(stages[r.token]?.includes("AWSCURRENT"));
    await r.runAll(rotator);
    assert.deepEqual(await versionIdsToStages(sm, s.name), stages);
    assert.equal(await s.db.passwordLastChanged(s.user), changed);
    assert.deepEqual(await stageValue(sm, s.name, "AWSCURRENT"), p1);
    assert.equal(await s.db.canLogin(s.user, p1.password as string, s.dbname), true);
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), false);
  });

  test("passwords with quotes, backslashes and spaces", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const excluded = LETTERS + "!#$%&()*+,-./:;<=>?@[]^_`{|}~";
    await rotate(server, rotator, s.name, { excludeCharacters: excluded, includeSpace: "true", passwordLength: "128" });
    const pw = (await stageValue(sm, s.name, "AWSCURRENT"))!.password as string;
    for (const c of ["'", '"', "\\", " "]) assert.ok(pw.includes(c), `the generated password has ${JSON.stringify(c)}`);
    assert.equal(await s.db.canLogin(s.user, pw, s.dbname), true);
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), false);
  });

  test("NO_BACKSLASH_ESCAPES in the server's sql_mode does not break passwords with backslashes", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const mode = (await s.db.query<{ mode: string }>("SELECT @@GLOBAL.sql_mode AS mode"))[0]!.mode;
    await s.db.query("SET GLOBAL sql_mode = ?", [`${mode},NO_BACKSLASH_ESCAPES`]);
    try {
      await rotate(server, rotator, s.name, { excludeCharacters: LETTERS + "!#$%&()*+,-./:;<=>?@[]^_`{|}~" + "'\" ", passwordLength: "40" });
    } finally {
      await s.db.query("SET GLOBAL sql_mode = ?", [mode]);
    }
    const pw = (await stageValue(sm, s.name, "AWSCURRENT"))!.password as string;
    assert.ok(pw.includes("\\"));
    assert.equal(await s.db.canLogin(s.user, pw, s.dbname), true);
  });

  test("restoreCurrent after setSecret makes the current password log in again", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const r = await prepare(server, s.name);
    await rotator.createSecret(r.request("createSecret"));
    await rotator.setSecret(r.request("setSecret"));
    const pending = (await stageValue(sm, s.name, "AWSPENDING"))!.password as string;
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), false);
    await rotator.restoreCurrent!(r.request("setSecret"));
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), true);
    assert.equal(await s.db.canLogin(s.user, pending, s.dbname), false);
    // Again: the current password works, nothing to do.
    await rotator.restoreCurrent!(r.request("setSecret"));
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), true);
  });

  test("setSecret logs in with AWSPREVIOUS when AWSCURRENT no longer works", async (t) => {
    const s = await setup(t);
    if (!s) return;
    await rotate(server, rotator, s.name);
    await s.db.query("SET PASSWORD FOR ?@'%' = PASSWORD(?)", [s.user, s.password]);
    await rotate(server, rotator, s.name);
    const pw = (await stageValue(sm, s.name, "AWSCURRENT"))!.password as string;
    assert.equal(await s.db.canLogin(s.user, pw, s.dbname), true);
    assert.equal(await s.db.canLogin(s.user, s.password, s.dbname), false);
  });

  test("no working credential: setSecret fails saying where, as whom and why, without a password", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const other = `Other-${randomUUID()}`;
    await s.db.query("SET PASSWORD FOR ?@'%' = PASSWORD(?)", [s.user, other]);
    const r = await prepare(server, s.name);
    await rotator.createSecret(r.request("createSecret"));
    const pending = (await stageValue(sm, s.name, "AWSPENDING"))!.password as string;
    await rejectsWith(
      rotator.setSecret(r.request("setSecret")),
      new RegExp(
        `^setSecret: could not log in to mysql at 127\\.0\\.0\\.1:${s.db.port} as ${s.user} with the current or previous credential \\(current: Access denied for user '${s.user}'@'127\\.0\\.0\\.1' \\(using password: YES\\)`,
      ),
      [s.password, pending, other],
    );
  });

  test("a secret for another engine is refused; a database the user may not use is a refused login", async (t) => {
    const s = await setup(t);
    if (!s) return;
    await createJsonSecret(sm, `${s.name}-pg`, { ...s.value, engine: "postgres" });
    await rejectsWith(rotate(server, rotator, `${s.name}-pg`), /^createSecret: the AWSCURRENT value's engine is "postgres": this rotator handles "mysql" or "mariadb"$/);
    await createJsonSecret(sm, `${s.name}-nodb`, { ...s.value, dbname: "no_such_db" });
    await rejectsWith(
      rotate(server, rotator, `${s.name}-nodb`, { ssl: "disable" }),
      /^setSecret: could not log in to mysql at 127\.0\.0\.1:\d+ as \S+ with the current or previous credential \(current: Access denied for user '\S+'@'%' to database 'no_such_db'/,
    );
  });

  test("an aborted step closes its connection and fails at once", async (t) => {
    if (!requireDependency(t, "MariaDB", AVAILABLE)) return;
    const hung = await silentServer();
    t.after(() => hung.close());
    const name = `mysql-hung-${randomUUID()}`;
    await createJsonSecret(sm, name, { engine: "mysql", host: "127.0.0.1", port: hung.port, username: "u", password: "p" });
    const r = await prepare(server, name, { ssl: "disable" });
    await rotator.createSecret(r.request("createSecret"));
    const ac = new AbortController();
    const p = rotator.testSecret({ ...r.request("testSecret"), signal: ac.signal });
    await eventually(() => hung.connections() === 1, 2000, "the connection attempt");
    const t0 = Date.now();
    ac.abort(new Error("step timed out"));
    await rejectsWith(p, /^testSecret: cancelled \(step timed out\)$/);
    assert.ok(Date.now() - t0 < 1000, "fails at once, not after the connection timeout");
    await eventually(() => hung.open() === 0, 2000, "the connection to close");
  });
});
