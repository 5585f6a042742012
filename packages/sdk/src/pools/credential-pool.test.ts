import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CredentialPool, PoolEndedError, type PoolDriver } from "./credential-pool.js";
import { parseDbCredential, type DbCredential } from "./db-credential.js";
import { FakeSource } from "./fake-secret-source.js";

/** A database that accepts the passwords in `accepted`, and pools that log into it. */
class FakeDb {
  accepted = new Set<string>();
  readonly pools: FakeInner[] = [];
  readonly events: string[] = [];
  driver(): PoolDriver<FakeInner> {
    return {
      defaultPort: 5432,
      create: (cred) => {
        const p = new FakeInner(this, cred, this.pools.length + 1);
        this.pools.push(p);
        return p;
      },
      probe: async (p) => {
        this.events.push(`probe:${p.id}`);
        p.login();
      },
      end: async (p) => {
        this.events.push(`end:${p.id}`);
        p.ended = true;
      },
    };
  }
}

class FakeInner {
  ended = false;
  constructor(private readonly db: FakeDb, readonly cred: DbCredential, readonly id: number) {}
  login(): void {
    if (this.ended) throw new Error(`pool ${this.id} used after end`);
    if (!this.db.accepted.has(this.cred.password)) throw Object.assign(new Error("password authentication failed"), { code: "28P01" });
  }
  /** A query that opens a connection (logs in), then waits for `gate`. */
  async query(gate?: Promise<void>): Promise<string> {
    this.login();
    await gate;
    if (this.ended) throw new Error(`pool ${this.id} ended under a running query`);
    return `${this.cred.username}/${this.cred.password}@${this.id}`;
  }
}

const cred = (password: string, username = "app") => ({ engine: "postgres", host: "db", port: 5432, username, password, dbname: "app" });

function setup(o: { pending?: boolean; watch?: boolean } = {}) {
  const source = o.watch ? new FakeSource().watchable() : new FakeSource();
  source.put("v1", cred("p1"), "AWSCURRENT");
  if (o.pending) source.put("v2", cred("p2"), "AWSPENDING");
  const db = new FakeDb();
  db.accepted.add("p1");
  return { source, db };
}

/** setSecret of a single-user rotation: the database now takes only p2. */
function setSecret(db: FakeDb): void {
  db.accepted = new Set(["p2"]);
}

describe("CredentialPool", () => {
  test("a refused login (setSecret ran) recovers with AWSPENDING, reruns the operation, and ends the old pool", async () => {
    const { source, db } = setup({ pending: true });
    const changes: unknown[] = [];
    const pool = await CredentialPool.open(source, "db", db.driver(), { onCredentialChange: (c) => changes.push(c) });
    assert.equal(await pool.use((p) => p.query()), "app/p1@1");
    setSecret(db);
    assert.equal(await pool.use((p) => p.query()), "app/p2@2");
    assert.deepEqual(db.events, ["probe:2", "end:1"]);
    assert.deepEqual(changes, [{ versionId: "v2", username: "app", reason: "auth-failure" }]);
    assert.deepEqual(pool.credential, { versionId: "v2", username: "app" });
    await pool.end();
  });

  test("after finishSecret, a stale AWSCURRENT recovers with the refreshed AWSCURRENT", async () => {
    const { source, db } = setup({ pending: true });
    const pool = await CredentialPool.open(source, "db", db.driver(), {});
    setSecret(db);
    source.finish();
    assert.equal(await pool.use((p) => p.query()), "app/p2@2");
    assert.deepEqual(source.reads, ["AWSCURRENT", "AWSPENDING+refresh", "AWSCURRENT+refresh"]);
    await pool.end();
  });

  test("the old pool ends only after its running operations and checked-out connections are done", async () => {
    const { source, db } = setup({ pending: true });
    const pool = await CredentialPool.open(source, "db", db.driver(), {});
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const running = pool.use((p) => p.query(gate));
    let release!: () => void;
    const conn = await pool.checkout(async (p) => (p.login(), p), (_c, done) => (release = done));
    await new Promise((r) => setImmediate(r));
    setSecret(db);
    assert.equal(await pool.use((p) => p.query()), "app/p2@2");
    assert.equal(db.pools[0]!.ended, false, "pool 1 is still in use");
    open();
    assert.equal(await running, "app/p1@1");
    assert.equal(db.pools[0]!.ended, false, "a connection of pool 1 is still checked out");
    assert.equal(conn.id, 1);
    release();
    release(); // idempotent
    await pool.end();
    assert.deepEqual(db.events, ["probe:2", "end:1", "end:2"]);
  });

  test("concurrent refused logins share one recovery", async () => {
    const { source, db } = setup({ pending: true });
    const pool = await CredentialPool.open(source, "db", db.driver(), {});
    setSecret(db);
    const results = await Promise.all(Array.from({ length: 20 }, () => pool.use((p) => p.query())));
    assert.deepEqual(new Set(results), new Set(["app/p2@2"]));
    assert.deepEqual(db.events.filter((e) => e.startsWith("probe")), ["probe:2"]);
    assert.equal(pool.credentialChanges, 1);
    await pool.end();
  });

  test("alternating users: the refused user is replaced by the other one from AWSPENDING", async () => {
    const source = new FakeSource();
    source.put("v1", cred("a1", "app"), "AWSCURRENT");
    source.put("v2", cred("c1", "app_clone"), "AWSPENDING");
    const db = new FakeDb();
    db.accepted = new Set(["a1"]);
    const pool = await CredentialPool.open(source, "db", db.driver(), {});
    db.accepted = new Set(["c1"]);
    assert.equal(await pool.use((p) => p.query()), "app_clone/c1@2");
    await pool.end();
  });

  test("watch: when AWSCURRENT moves, new work goes to a pool with the new login without a refused login first", async () => {
    const { source, db } = setup({ pending: true, watch: true });
    const pool = await CredentialPool.open(source, "db", db.driver(), {});
    db.accepted.add("p2");
    source.finish();
    assert.equal(await pool.use((p) => p.query()), "app/p2@2");
    assert.deepEqual(db.events, ["end:1"]);
    await pool.end();
    source.label("AWSCURRENT", "v1"); // a closed watch no longer moves the pool
    assert.equal(db.pools.length, 2);
  });

  test("no accepted version: the original error, after the configured rounds, and the pool in use stays", async () => {
    const { source, db } = setup({ pending: true });
    const pool = await CredentialPool.open(source, "db", db.driver(), { recoveryRounds: 2 });
    db.accepted = new Set();
    await assert.rejects(pool.use((p) => p.query()), { code: "28P01" });
    assert.deepEqual(db.events, ["probe:2", "end:2", "probe:3", "end:3", "probe:4", "end:4", "probe:5", "end:5"]);
    assert.equal(pool.current, db.pools[0]);
    await pool.end();
  });

  test("other errors are not retried", async () => {
    const { source, db } = setup();
    const pool = await CredentialPool.open(source, "db", db.driver(), {});
    let calls = 0;
    await assert.rejects(pool.use(async () => { calls++; throw Object.assign(new Error("syntax"), { code: "42601" }); }), { code: "42601" });
    assert.equal(calls, 1);
    assert.deepEqual(source.reads, ["AWSCURRENT"]);
    await pool.end();
  });

  test("end() ends the pool; later operations reject with PoolEndedError", async () => {
    const { source, db } = setup();
    const pool = await CredentialPool.open(source, "db", db.driver(), {});
    await pool.end();
    assert.equal(db.pools[0]!.ended, true);
    await assert.rejects(pool.use((p) => p.query()), PoolEndedError);
  });
});

describe("parseDbCredential", () => {
  const v = (value: unknown) => ({ ARN: "arn", Name: "db", VersionId: "v1", SecretString: JSON.stringify(value), VersionStages: ["AWSCURRENT"] });
  test("reads the AWS template fields; a string port and the default port", () => {
    assert.deepEqual(parseDbCredential(v({ engine: "postgres", host: "h", port: "6543", username: "u", password: "p", dbname: "d", masterarn: "x" }), 5432), {
      engine: "postgres", host: "h", port: 6543, username: "u", password: "p", dbname: "d", ssl: undefined, versionId: "v1",
    });
    assert.equal(parseDbCredential(v({ host: "h", username: "u", password: "p" }), 3306).port, 3306);
  });
  test("ssl: true/require, verify-full with sslCA, false/disable, prefer", () => {
    const ssl = (x: unknown, ca?: string) => parseDbCredential(v({ host: "h", username: "u", password: "p", ssl: x, ...(ca ? { sslCA: ca } : {}) }), 1).ssl;
    assert.deepEqual(ssl(true), { rejectUnauthorized: false });
    assert.deepEqual(ssl("require"), { rejectUnauthorized: false });
    assert.deepEqual(ssl("verify-full", "PEM"), { rejectUnauthorized: true, ca: "PEM" });
    assert.equal(ssl(false), false);
    assert.equal(ssl("disable"), false);
    assert.equal(ssl("prefer"), undefined);
  });
  test("errors name the field, never the value", () => {
    assert.throws(() => parseDbCredential(v({ username: "u", password: "HUNTER2" }), 1), (e: Error) => /"host"/.test(e.message) && !e.message.includes("HUNTER2"));
    assert.throws(() => parseDbCredential(v({ host: "h", username: "u", password: "HUNTER2", port: "x" }), 1), (e: Error) => /port/.test(e.message) && !e.message.includes("HUNTER2"));
    assert.throws(() => parseDbCredential(v({ host: "h", username: "u" }), 1), /password/);
  });
});
