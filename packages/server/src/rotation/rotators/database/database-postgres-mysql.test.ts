/** The shared part of the postgres and mysql rotators: secret parsing, TLS settings, messages, aborts. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RotationError } from "../../rotator.js";
import { abortable, Cancelled, DbError, safeMessage, type EngineSpec } from "./driver.js";
import { alternateUsername, parseDbSecret } from "./secret.js";
import { tlsSettings, withTlsMode } from "./tls.js";

const PG: EngineSpec = { label: "postgres", engines: ["postgres"], defaultPort: 5432, defaultDbname: "postgres", maxUsernameLength: () => 63 };
const MY: EngineSpec = { label: "mysql", engines: ["mysql", "mariadb"], defaultPort: 3306, defaultDbname: undefined, maxUsernameLength: (e) => (e === "mariadb" ? 80 : 32) };

test("postgres/mysql secrets: defaults, port as string, fields kept, bad values refused", () => {
  const pg = parseDbSecret(JSON.stringify({ host: "h", username: "u", password: "p", extra: 1 }), "AWSCURRENT", PG);
  assert.deepEqual({ ...pg, fields: undefined }, { engine: undefined, host: "h", port: 5432, username: "u", password: "p", dbname: "postgres", masterarn: undefined, fields: undefined });
  assert.equal(pg.fields.extra, 1);
  const my = parseDbSecret(JSON.stringify({ engine: "mariadb", host: "h", port: "3307", username: "u", password: "", masterarn: "m" }), "AWSCURRENT", MY);
  assert.equal(my.port, 3307);
  assert.equal(my.dbname, undefined);
  assert.equal(my.password, "");
  assert.equal(my.masterarn, "m");
  const refused: Array<[unknown, string]> = [
    [{ engine: "mysql", host: "h", username: "u", password: "p" }, `the X value's engine is "mysql": this rotator handles "postgres"`],
    [{ username: "u", password: "p" }, `the X value has no "host" field`],
    [{ host: "", username: "u", password: "p" }, `the X value's "host" field is empty`],
    [{ host: "h", username: "u" }, `the X value has no "password" field`],
    [{ host: "h", username: 5, password: "p" }, `the X value's "username" field is not a string`],
    [{ host: "h", username: "u", password: "p", port: "54x" }, `the X value's "port" field is not a port number`],
    [{ host: "h", username: "u", password: "p", port: 70000 }, `the X value's "port" field is not a port number`],
    [[1], "the X value is not a JSON object"],
  ];
  for (const [v, msg] of refused) {
    assert.throws(() => parseDbSecret(JSON.stringify(v), "X", PG), (e: unknown) => e instanceof RotationError && e.message === msg, msg);
  }
});

test("postgres/mysql alternate user names", () => {
  assert.equal(alternateUsername("app", 63), "app_clone");
  assert.equal(alternateUsername("app_clone", 63), "app");
  assert.equal(alternateUsername("_clone", 63), "_clone_clone");
  assert.throws(() => alternateUsername("x".repeat(27), 32), /longer than 32 characters/);
});

test("postgres/mysql TLS settings: option first, then the secret's ssl field; CA from option or secret", () => {
  const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  assert.deepEqual(tlsSettings({}, {}, "X"), { ssl: "prefer", ca: undefined });
  assert.deepEqual(tlsSettings({}, { ssl: true }, "X"), { ssl: "require", ca: undefined });
  assert.deepEqual(tlsSettings({}, { ssl: "true" }, "X"), { ssl: "require", ca: undefined });
  assert.deepEqual(tlsSettings({}, { ssl: false }, "X"), { ssl: "disable", ca: undefined });
  assert.deepEqual(tlsSettings({}, { ssl: "verify-full", sslCA: ca }, "X"), { ssl: "verify-full", ca });
  assert.deepEqual(tlsSettings({ ssl: "disable" }, { ssl: true }, "X"), { ssl: "disable", ca: undefined });
  assert.deepEqual(tlsSettings({ ssl: "verify-full", sslCa: ca }, { sslCA: "ignored" }, "X"), { ssl: "verify-full", ca });
  assert.throws(() => tlsSettings({ ssl: "yes" }, {}, "X"), /^RotationError: option ssl must be one of disable, prefer, require, verify-full$/);
  assert.throws(() => tlsSettings({}, { ssl: "sometimes" }, "X"), /the X value's "ssl" field must be true, false or one of/);
  assert.throws(() => tlsSettings({ sslCa: "not pem" }, {}, "X"), /is not a PEM certificate/);
});

test("postgres/mysql TLS modes: prefer falls back to plain on a TLS failure, not on a network failure or a refused password", async () => {
  const calls: boolean[] = [];
  const run = (outcomes: Record<"tls" | "plain", () => { ok: boolean; plainMightWork?: boolean }>) => {
    calls.length = 0;
    return withTlsMode("prefer", async (tls) => {
      calls.push(tls);
      return outcomes[tls ? "tls" : "plain"]();
    });
  };
  const ok = () => ({ ok: true });
  await run({ tls: () => { throw new DbError("handshake failed"); }, plain: ok });
  assert.deepEqual(calls, [true, false]);
  await assert.rejects(run({ tls: () => { throw new DbError("ECONNREFUSED", { network: true }); }, plain: ok }), /ECONNREFUSED/);
  assert.deepEqual(calls, [true]);
  assert.deepEqual(await run({ tls: () => ({ ok: false }), plain: ok }), { ok: false });
  assert.deepEqual(calls, [true]);
  await run({ tls: () => ({ ok: false, plainMightWork: true }), plain: ok });
  assert.deepEqual(calls, [true, false]);
  for (const mode of ["disable", "require", "verify-full"] as const) {
    const seen: boolean[] = [];
    await withTlsMode(mode, async (tls) => (seen.push(tls), { ok: true }));
    assert.deepEqual(seen, [mode !== "disable"]);
  }
});

test("postgres/mysql driver messages lose the passwords, escaped forms included", () => {
  const pw = `it's\\x`;
  const e = Object.assign(new Error(`syntax error near 'it''s\\\\x' and 'it\\'s\\\\x' and it's\\x`), { code: "ER_PARSE_ERROR" });
  assert.equal(safeMessage(e, [pw]), "syntax error near '[REDACTED]' and '[REDACTED]' and [REDACTED] (ER_PARSE_ERROR)");
  assert.equal(safeMessage(new Error("x".repeat(500))).length, 401);
});

test("postgres/mysql abortable: rejects at once with Cancelled and runs the close", async () => {
  const ac = new AbortController();
  let closed = 0;
  const p = abortable(ac.signal, new Promise(() => {}), () => closed++);
  ac.abort(new Error("timed out"));
  await assert.rejects(p, (e: unknown) => e instanceof Cancelled && e.message === "cancelled (timed out)");
  assert.equal(closed, 1);
  await assert.rejects(abortable(ac.signal, Promise.resolve(1), () => closed++), Cancelled);
  assert.equal(closed, 2);
  assert.equal(await abortable(new AbortController().signal, Promise.resolve(7), () => closed++), 7);
  assert.equal(closed, 2);
});
