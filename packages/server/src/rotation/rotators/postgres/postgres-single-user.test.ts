/**
 * keyshift-postgres-single-user against a private PostgreSQL with SCRAM passwords (the shared
 * instance trusts every local login, so it could not show a password change). One server for
 * the file; every test has its own role, database and secret.
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { requireDependency, startTestServer, type TestServer } from "../../../testing/harness.js";
import { canStartPrivatePostgres, startPrivatePostgres, type PrivatePostgres } from "../../../testing/private-postgres.js";
import { smClient } from "../../../testing/sm-client.js";
import { createJsonSecret, eventually, prepare, rejectsWith, rotate, silentServer, stageValue, versionIdsToStages } from "../database/testing.js";
import { alterRolePasswordSql } from "./password.js";
import { postgresSingleUser as rotator } from "./single-user.js";

const AVAILABLE = canStartPrivatePostgres();
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

describe("keyshift-postgres-single-user", () => {
  let db: PrivatePostgres | undefined;
  let server: TestServer;
  let sm: SecretsManagerClient;

  before(async () => {
    server = await startTestServer();
    sm = smClient(server.endpoint);
    // DDL statements logged: the log shows what reached the server.
    if (AVAILABLE) db = await startPrivatePostgres({ settings: ["log_statement=ddl"] });
  });
  after(async () => {
    await db?.stop();
    sm?.destroy();
    await server?.close();
  });

  let n = 0;
  /** A role with a password, its own database, and a secret for it. */
  async function setup(t: TestContext, o: { options?: Record<string, string>; value?: Record<string, unknown> } = {}) {
    if (!requireDependency(t, "PostgreSQL server binaries (/usr/lib/postgresql/*/bin)", AVAILABLE)) return undefined;
    const pg = db!;
    const user = `su${++n}_${randomUUID().slice(0, 8)}`;
    const dbname = `db_${user}`;
    const password = `Initial-${randomUUID()}`;
    await pg.createDatabase(dbname);
    await pg.createRole(user, password);
    const name = `pg-single-${user}`;
    const value = { engine: "postgres", host: pg.host, port: pg.port, username: user, password, dbname, note: "kept as is", nested: { list: [1, "two"] }, ...o.value };
    const arn = await createJsonSecret(sm, name, value);
    return { pg, user, dbname, password, name, arn, value };
  }

  test("a rotation sets a new password: it logs in, the old one does not; AWSCURRENT/AWSPREVIOUS hold them; other fields kept", async (t) => {
    const s = await setup(t);
    if (!s) return;
    assert.equal(await s.pg.canLogin(s.user, s.password, s.dbname), true);
    await rotate(server, rotator, s.name);

    const current = await stageValue(sm, s.name, "AWSCURRENT");
    const previous = await stageValue(sm, s.name, "AWSPREVIOUS");
    assert.ok(current && previous);
    assert.equal(typeof current.password, "string");
    const pw = current.password as string;
    assert.notEqual(pw, s.password);
    assert.equal(pw.length, 32);
    assert.ok(!/["@/\\]/.test(pw), "default excluded characters");
    assert.deepEqual(previous, s.value);
    assert.deepEqual({ ...current, password: s.password }, s.value);
    assert.deepEqual(Object.keys(current), Object.keys(s.value), "field order kept");

    assert.equal(await s.pg.canLogin(s.user, pw, s.dbname), true);
    assert.equal(await s.pg.canLogin(s.user, s.password, s.dbname), false);
    // The password reached the server as a SCRAM verifier computed here, never in clear.
    assert.match((await s.pg.storedPassword(s.user)) ?? "", /^SCRAM-SHA-256\$4096:/);
    const log = readFileSync(s.pg.logFile, "utf8");
    assert.match(log, new RegExp(`statement: ALTER ROLE "${s.user}" WITH PASSWORD 'SCRAM-SHA-256\\$4096:`));
    assert.ok(!log.includes(pw), "the new password is not in the server's statement log");
  });

  test("every step is idempotent: createSecret and setSecret run twice, then all steps again after completion", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const r = await prepare(server, s.name);
    const pendingNow = () => stageValue(sm, s.name, "AWSPENDING");

    await rotator.createSecret(r.request("createSecret"));
    const p1 = await pendingNow();
    await rotator.createSecret(r.request("createSecret"));
    assert.deepEqual(await pendingNow(), p1, "a second createSecret keeps the pending value");
    assert.ok(p1);

    await rotator.setSecret(r.request("setSecret"));
    const verifier = await s.pg.storedPassword(s.user);
    await rotator.setSecret(r.request("setSecret"));
    // Setting the password again, even to the same one, would store a new salt.
    assert.equal(await s.pg.storedPassword(s.user), verifier, "a second setSecret does not touch the role");

    await rotator.testSecret(r.request("testSecret"));
    await rotator.testSecret(r.request("testSecret"));
    await rotator.finishSecret(r.request("finishSecret"));
    const stages = await versionIdsToStages(sm, s.name);
    await rotator.finishSecret(r.request("finishSecret"));
    assert.deepEqual(await versionIdsToStages(sm, s.name), stages);
    assert.ok(stages[r.token]?.includes("AWSCURRENT"));

    // The whole rotation again, after it completed: nothing changes.
    await r.runAll(rotator);
    assert.deepEqual(await versionIdsToStages(sm, s.name), stages);
    assert.equal(await s.pg.storedPassword(s.user), verifier);
    assert.deepEqual(await stageValue(sm, s.name, "AWSCURRENT"), p1);
    assert.equal(await s.pg.canLogin(s.user, p1.password as string, s.dbname), true);
    assert.equal(await s.pg.canLogin(s.user, s.password, s.dbname), false);
  });

  test("passwords with quotes, backslashes and spaces", async (t) => {
    const s = await setup(t);
    if (!s) return;
    // Left: digits, ' " \ and space, so 128 characters hold each of them (checked below).
    const excluded = LETTERS + "!#$%&()*+,-./:;<=>?@[]^_`{|}~";
    await rotate(server, rotator, s.name, { excludeCharacters: excluded, includeSpace: "true", passwordLength: "128" });
    const pw = (await stageValue(sm, s.name, "AWSCURRENT"))!.password as string;
    for (const c of ["'", '"', "\\", " "]) assert.ok(pw.includes(c), `the generated password has ${JSON.stringify(c)}`);
    assert.equal(await s.pg.canLogin(s.user, pw, s.dbname), true);
    assert.equal(await s.pg.canLogin(s.user, s.password, s.dbname), false);

    // The statement without client-side hashing (non-ASCII passwords, servers that hash nothing): literal escaping.
    for (const tricky of [`a'b"c\\d e`, `\\'; DROP ROLE ${s.user}; --`, "pässwörd 'ü' \\\\"]) {
      await s.pg.query(await alterRolePasswordSql(s.user, tricky, "plain"));
      assert.equal(await s.pg.canLogin(s.user, tricky, s.dbname), true, `plain literal for ${tricky}`);
    }
  });

  test("restoreCurrent after setSecret makes the current password log in again", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const r = await prepare(server, s.name);
    await rotator.createSecret(r.request("createSecret"));
    // Nothing set yet: restoreCurrent has nothing to do.
    const before = await s.pg.storedPassword(s.user);
    await rotator.restoreCurrent!(r.request("setSecret"));
    assert.equal(await s.pg.storedPassword(s.user), before);

    await rotator.setSecret(r.request("setSecret"));
    const pending = (await stageValue(sm, s.name, "AWSPENDING"))!.password as string;
    assert.equal(await s.pg.canLogin(s.user, s.password, s.dbname), false);
    // testSecret failed, say: the engine restores and drops AWSPENDING.
    await rotator.restoreCurrent!(r.request("setSecret"));
    assert.equal(await s.pg.canLogin(s.user, s.password, s.dbname), true);
    assert.equal(await s.pg.canLogin(s.user, pending, s.dbname), false);
    assert.equal((await stageValue(sm, s.name, "AWSCURRENT"))!.password, s.password);
  });

  test("setSecret logs in with AWSPREVIOUS when AWSCURRENT no longer works (as the templates do)", async (t) => {
    const s = await setup(t);
    if (!s) return;
    await rotate(server, rotator, s.name);
    // The database went back to the previous password (restored from a backup, say).
    await s.pg.query(await alterRolePasswordSql(s.user, s.password, "plain"));
    await rotate(server, rotator, s.name);
    const pw = (await stageValue(sm, s.name, "AWSCURRENT"))!.password as string;
    assert.equal(await s.pg.canLogin(s.user, pw, s.dbname), true);
    assert.equal(await s.pg.canLogin(s.user, s.password, s.dbname), false);
  });

  test("no working credential: setSecret fails saying where, as whom and why, without a password", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const other = `Other-${randomUUID()}`;
    await s.pg.query(await alterRolePasswordSql(s.user, other, "plain"));
    const r = await prepare(server, s.name);
    await rotator.createSecret(r.request("createSecret"));
    const pending = (await stageValue(sm, s.name, "AWSPENDING"))!.password as string;
    const re = new RegExp(
      `^setSecret: could not log in to postgres at 127\\.0\\.0\\.1:${s.pg.port} as ${s.user} with the current or previous credential \\(current: password authentication failed for user "${s.user}"`,
    );
    await rejectsWith(rotator.setSecret(r.request("setSecret")), re, [s.password, pending, other]);
    await rejectsWith(rotator.testSecret(r.request("testSecret")), /^testSecret: could not log in to postgres at .* as \S+ with the pending credential: password authentication failed/, [pending]);
  });

  test("a secret for another engine, or without a host, is refused by createSecret", async (t) => {
    if (!requireDependency(t, "PostgreSQL server binaries", AVAILABLE)) return;
    const name1 = `pg-wrong-engine-${randomUUID()}`;
    await createJsonSecret(sm, name1, { engine: "mysql", host: "127.0.0.1", username: "u", password: "p" });
    await rejectsWith(rotate(server, rotator, name1), /^createSecret: the AWSCURRENT value's engine is "mysql": this rotator handles "postgres"$/);
    const name2 = `pg-no-host-${randomUUID()}`;
    await createJsonSecret(sm, name2, { engine: "postgres", username: "u", password: "p" });
    await rejectsWith(rotate(server, rotator, name2), /^createSecret: the AWSCURRENT value has no "host" field$/);
    const name3 = `pg-bad-ssl-${randomUUID()}`;
    await createJsonSecret(sm, name3, { engine: "postgres", host: "127.0.0.1", username: "u", password: "p" });
    const r = await prepare(server, name3, { ssl: "maybe" });
    await rotator.createSecret(r.request("createSecret"));
    await rejectsWith(rotator.setSecret(r.request("setSecret")), /^setSecret: option ssl must be one of disable, prefer, require, verify-full$/);
  });

  test("an aborted step closes its connection and fails at once", async (t) => {
    if (!requireDependency(t, "PostgreSQL server binaries", AVAILABLE)) return;
    const hung = await silentServer();
    t.after(() => hung.close());
    const name = `pg-hung-${randomUUID()}`;
    await createJsonSecret(sm, name, { engine: "postgres", host: "127.0.0.1", port: hung.port, username: "u", password: "p" });
    const r = await prepare(server, name, { ssl: "disable" });
    await rotator.createSecret(r.request("createSecret"));
    const ac = new AbortController();
    const p = rotator.setSecret({ ...r.request("setSecret"), signal: ac.signal });
    await eventually(() => hung.connections() === 1, 2000, "the connection attempt");
    const t0 = Date.now();
    ac.abort(new Error("rotation cancelled"));
    await rejectsWith(p, /^setSecret: cancelled \(rotation cancelled\)$/);
    assert.ok(Date.now() - t0 < 1000, "fails at once, not after the connection timeout");
    await eventually(() => hung.open() === 0, 2000, "the connection to close");

    // Already aborted: nothing is attempted.
    ac.abort();
    await rejectsWith(rotator.testSecret({ ...r.request("testSecret"), signal: ac.signal }), /^testSecret: cancelled/);
    assert.equal(hung.connections(), 1);
  });
});
