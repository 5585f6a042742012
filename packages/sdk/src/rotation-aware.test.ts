import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FakeSource } from "./pools/fake-secret-source.js";
import { isAuthError, withRotatingCredentials, type SecretSource } from "./rotation-aware.js";

const pgRefused = () => Object.assign(new Error('password authentication failed for user "app"'), { code: "28P01" });

/** A database that accepts exactly the passwords in `accepted`. */
function login(accepted: Set<string>, calls: string[]) {
  return async (c: { password: string }) => {
    calls.push(c.password);
    if (!accepted.has(c.password)) throw pgRefused();
    return `ok:${c.password}`;
  };
}

describe("withRotatingCredentials", () => {
  test("calls fn once with the cached AWSCURRENT when it is accepted", async () => {
    const s = new FakeSource();
    s.put("v1", { password: "p1" }, "AWSCURRENT");
    const calls: string[] = [];
    const metas: unknown[] = [];
    const r = await withRotatingCredentials(s, "db", (c: { password: string }, m) => (metas.push(m), login(new Set(["p1"]), calls)(c)));
    assert.equal(r, "ok:p1");
    assert.deepEqual(s.reads, ["AWSCURRENT"]);
    assert.deepEqual(metas, [{ versionId: "v1", stage: "AWSCURRENT", attempt: 1, refreshed: false }]);
  });

  test("between setSecret and finishSecret (old password refused): retries with AWSPENDING", async () => {
    const s = new FakeSource();
    s.put("v1", { password: "p1" }, "AWSCURRENT");
    s.put("v2", { password: "p2" }, "AWSPENDING");
    const calls: string[] = [];
    const metas: { stage: string }[] = [];
    const r = await withRotatingCredentials(s, "db", (c: { password: string }, m) => (metas.push(m), login(new Set(["p2"]), calls)(c)));
    assert.equal(r, "ok:p2");
    assert.deepEqual(calls, ["p1", "p2"]);
    assert.deepEqual(s.reads, ["AWSCURRENT", "AWSPENDING+refresh", "AWSCURRENT+refresh"]);
    assert.deepEqual(metas.map((m) => m.stage), ["AWSCURRENT", "AWSPENDING"]);
  });

  test("after finishSecret with a stale cached value: retries with the refreshed AWSCURRENT", async () => {
    const s = new FakeSource();
    s.put("v1", { password: "p1" }, "AWSCURRENT");
    s.put("v2", { password: "p2" }, "AWSPENDING");
    const stale: SecretSource = {
      getSecretValue: async (id, o) => (o?.refresh ? s.getSecretValue(id, o) : s.version("v1")),
    };
    s.finish();
    const calls: string[] = [];
    assert.equal(await withRotatingCredentials(stale, "db", login(new Set(["p2"]), calls)), "ok:p2");
    assert.deepEqual(calls, ["p1", "p2"]);
  });

  test("a pending version not yet set on the database (setSecret to come) falls through to AWSCURRENT", async () => {
    const s = new FakeSource();
    s.put("v2", { password: "p2" }, "AWSCURRENT");
    s.put("v3", { password: "p3" }, "AWSPENDING");
    const stale: SecretSource = { getSecretValue: async (id, o) => (o?.refresh ? s.getSecretValue(id, o) : { ...s.version("v2"), VersionId: "v1", SecretString: '{"password":"p1"}' }) };
    const calls: string[] = [];
    assert.equal(await withRotatingCredentials(stale, "db", login(new Set(["p2"]), calls)), "ok:p2");
    assert.deepEqual(calls, ["p1", "p3", "p2"]);
  });

  test("other errors are thrown at once, without reading the secret again", async () => {
    const s = new FakeSource();
    s.put("v1", { password: "p1" }, "AWSCURRENT");
    s.put("v2", { password: "p2" }, "AWSPENDING");
    const boom = Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" });
    await assert.rejects(withRotatingCredentials(s, "db", async () => { throw boom; }), (e) => e === boom);
    assert.deepEqual(s.reads, ["AWSCURRENT"]);
  });

  test("when no version is accepted, the last authentication error is thrown after `rounds` rounds of reading again", async () => {
    const s = new FakeSource();
    s.put("v1", { password: "p1" }, "AWSCURRENT");
    s.put("v2", { password: "p2" }, "AWSPENDING");
    const calls: string[] = [];
    await assert.rejects(withRotatingCredentials(s, "db", login(new Set(), calls), { rounds: 2 }), { code: "28P01" });
    assert.deepEqual(calls, ["p1", "p2", "p2", "p1"]);
    assert.deepEqual(s.reads, ["AWSCURRENT", "AWSPENDING+refresh", "AWSCURRENT+refresh", "AWSPENDING+refresh", "AWSCURRENT+refresh"]);
  });

  test("back-to-back rotations: refused by both stages in one round (setSecret ran in between), accepted in the next", async () => {
    const s = new FakeSource();
    s.put("v1", { password: "p1" }, "AWSCURRENT");
    s.put("v2", { password: "p2" }, "AWSPENDING");
    let accepted = new Set(["p1"]);
    const calls: string[] = [];
    const r = await withRotatingCredentials(s, "db", async (c: { password: string }) => {
      calls.push(c.password);
      // The next rotation's setSecret runs while the first refused login is being handled.
      if (calls.length === 1) accepted = new Set(["p2"]);
      if (calls.length === 2) accepted = new Set(["p3"]), s.finish(), s.put("v3", { password: "p3" }, "AWSPENDING");
      if (!accepted.has(c.password)) throw Object.assign(new Error("refused"), { code: "28P01" });
      return c.password;
    });
    assert.equal(r, "p3");
    assert.deepEqual(calls, ["p1", "p2", "p3"]);
  });

  test("isAuthError and parse options are used", async () => {
    const s = new FakeSource();
    s.put("v1", "token-1", "AWSCURRENT");
    s.put("v2", "token-2", "AWSPENDING");
    const seen: string[] = [];
    const r = await withRotatingCredentials(
      s, "db",
      async (tok: string) => {
        seen.push(tok);
        if (tok !== "token-2") throw Object.assign(new Error("401"), { status: 401 });
        return tok.length;
      },
      { parse: (v) => v.SecretString!, isAuthError: (e) => (e as { status?: number }).status === 401 },
    );
    assert.equal(r, 7);
    assert.deepEqual(seen, ["token-1", "token-2"]);
  });

  test("a secret that is not JSON fails without quoting the value", async () => {
    const s = new FakeSource();
    s.put("v1", "not-json-SECRETVALUE", "AWSCURRENT");
    await assert.rejects(withRotatingCredentials(s, "db", async () => 1), (e: Error) => /not JSON/.test(e.message) && !e.message.includes("SECRETVALUE"));
  });
});

describe("isAuthError", () => {
  const cases: [string, unknown, boolean][] = [
    ["PostgreSQL 28P01 invalid_password", { code: "28P01" }, true],
    ["PostgreSQL 28000 invalid_authorization_specification", { code: "28000" }, true],
    ["PostgreSQL 42P01 undefined_table", { code: "42P01" }, false],
    ["MySQL errno 1045", { errno: 1045, code: "ER_ACCESS_DENIED_ERROR" }, true],
    ["MySQL errno 1044", { errno: 1044 }, true],
    ["MySQL code only", { code: "ER_ACCESS_DENIED_ERROR" }, true],
    ["MySQL 1146 no such table", { errno: 1146, code: "ER_NO_SUCH_TABLE" }, false],
    ["network", { code: "ECONNREFUSED", errno: -111 }, false],
    ["wrapped in cause", new Error("outer", { cause: { code: "28P01" } }), true],
    ["undefined", undefined, false],
    ["string", "28P01", false],
  ];
  for (const [name, e, want] of cases) test(name, () => assert.equal(isAuthError(e), want));
});
