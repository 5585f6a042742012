/**
 * The zero-downtime rotation suite shared by zero-downtime-postgres.test.ts and
 * zero-downtime-mariadb.test.ts: an application loop queries a private password-auth database
 * continuously (several workers, new connections opened all the time) while the in-process
 * server rotates the credential back to back through RotateSecret (the real AWS SDK client).
 * Through the SDK's rotating pool no query may fail; through a plain pool created once from the
 * secret, the failures are counted and printed.
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { CreateSecretCommand, GetSecretValueCommand, RotateSecretCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { KeyshiftClient, withRotatingCredentials } from "@keyshift/sdk";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, requireDependency, startTestServer, type TestServer } from "./harness.js";
import { smClient } from "./sm-client.js";
import type { RotationRecord } from "../rotation/records.js";

/** A login as the secret holds it. */
export interface Login {
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string;
}

/** What the loop does with a pool: a query on any connection, and one on a connection opened for it and then closed. */
export interface AppPool {
  query(): Promise<void>;
  queryOnNewConnection(): Promise<void>;
  end(): Promise<void>;
  /** The rotating pool's credential (helpers only). */
  credential?(): { versionId: string; username: string };
}

export interface PrivateDb {
  host: string;
  port: number;
  master: { username: string; password: string };
  /** A login `user` with a database `dbname` holding a table `t` it may read. */
  makeUser(user: string, password: string, dbname: string): Promise<void>;
  canLogin(user: string, password: string, dbname: string): Promise<boolean>;
  stop(): Promise<void>;
}

export interface ZeroDowntimeTarget {
  label: string;
  /** The secret's `engine` field. */
  engine: string;
  /** The rotator name part: keyshift-<kind>-single-user. */
  kind: "postgres" | "mysql";
  available: boolean;
  start(): Promise<PrivateDb>;
  /** The SDK's rotating pool over `source`, secret `secretId`. */
  rotatingPool(source: KeyshiftClient, secretId: string, o: { watch: boolean; onChange: (reason: string) => void }): Promise<AppPool>;
  /** Opens one connection with `login`, runs a query, closes it. */
  queryOnce(login: Login): Promise<void>;
  /** A plain driver pool with a fixed login. */
  plainPool(login: Login): AppPool;
}

const ROTATIONS = Number(process.env.ZERO_DOWNTIME_ROTATIONS ?? 20);
const WORKERS = 4;

export interface LoopFigures {
  queries: number;
  failures: number;
  /** Failures by error code. */
  byCode: Record<string, number>;
  rotations: number;
  seconds: number;
}

/** Runs the application loop on `pool` until `work` has resolved, then a little longer. */
async function underLoad(pool: AppPool, work: () => Promise<number>): Promise<LoopFigures> {
  const figures: LoopFigures = { queries: 0, failures: 0, byCode: {}, rotations: 0, seconds: 0 };
  const started = Date.now();
  let stop = false;
  const worker = async (): Promise<void> => {
    for (let i = 0; !stop; i++) {
      figures.queries++;
      try {
        // Every third query opens a connection of its own (and closes it), so that new logins happen all the time.
        await (i % 3 === 0 ? pool.queryOnNewConnection() : pool.query());
      } catch (e) {
        figures.failures++;
        const code = String((e as { code?: unknown }).code ?? (e as Error).name);
        figures.byCode[code] = (figures.byCode[code] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, worker);
  try {
    await new Promise((r) => setTimeout(r, 200));
    figures.rotations = await work();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    stop = true;
    await Promise.all(workers);
  }
  figures.seconds = (Date.now() - started) / 1000;
  return figures;
}

function print(label: string, f: LoopFigures): void {
  console.log(
    `zero-downtime ${label}: ${f.rotations} rotations in ${f.seconds.toFixed(1)} s, ${f.queries} queries, ${f.failures} failed` +
      (f.failures ? ` (${Object.entries(f.byCode).map(([c, n]) => `${c}: ${n}`).join(", ")})` : ""),
  );
}

export function zeroDowntimeSuite(target: ZeroDowntimeTarget): void {
  describe(`zero-downtime rotation with ${target.label}`, () => {
    let db: PrivateDb | undefined;
    let s: TestServer;
    let c: SecretsManagerClient;
    let source: KeyshiftClient;

    before(async () => {
      s = await startTestServer();
      c = smClient(s.endpoint);
      source = new KeyshiftClient({
        endpoint: s.endpoint, region: TEST_REGION, credentials: { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET }, consumer: false,
      });
      if (target.available) db = await target.start();
    });
    after(async () => {
      await source?.close();
      await s?.close();
      await db?.stop();
    });

    let n = 0;
    async function setup(t: TestContext, o: { alternating: boolean }) {
      if (!requireDependency(t, `${target.label} server binaries`, target.available)) return undefined;
      const user = `z${++n}${randomUUID().slice(0, 6)}`;
      const password = `Initial-${randomUUID()}`;
      const dbname = `db_${user}`;
      await db!.makeUser(user, password, dbname);
      const name = `${target.kind}/${user}`;
      let masterarn: string | undefined;
      if (o.alternating) {
        const master = { engine: target.engine, host: db!.host, port: db!.port, ...db!.master, dbname };
        masterarn = (await c.send(new CreateSecretCommand({ Name: `${name}/master`, SecretString: JSON.stringify(master) }))).ARN!;
      }
      const login: Login = { host: db!.host, port: db!.port, username: user, password, dbname };
      await c.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ engine: target.engine, ...login, ...(masterarn ? { masterarn } : {}) }) }));
      const rotator = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-${target.kind}-${o.alternating ? "alternating-users" : "single-user"}`;
      return { name, login, rotator };
    }

    /** RotateSecret, then wait until that rotation has ended; returns its record. */
    async function rotate(name: string, rotator: string): Promise<RotationRecord> {
      const out = await c.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: rotator }));
      const secret = (await s.app.store.getSecretByName(TEST_ACCOUNT, TEST_REGION, name))!;
      for (let i = 0; i < 6000; i++) {
        const r = (await s.app.store.listRotations({ accountId: TEST_ACCOUNT, secretUid: secret.uid, limit: 5 })).find((x) => x.token === out.VersionId);
        if (r && r.status !== "running") return r;
        await new Promise((res) => setTimeout(res, 10));
      }
      throw new Error("rotation did not end");
    }

    /** `ROTATIONS` rotations back to back; each must succeed. Returns how many ran. */
    async function rotations(name: string, rotator: string, seen?: Login[]): Promise<number> {
      for (let i = 0; i < ROTATIONS; i++) {
        const r = await rotate(name, rotator);
        assert.equal(r.status, "succeeded", `rotation ${i + 1}: ${r.error ?? ""}`);
        if (seen) seen.push(await current(name));
      }
      return ROTATIONS;
    }

    const current = async (name: string): Promise<Login> => JSON.parse((await c.send(new GetSecretValueCommand({ SecretId: name }))).SecretString!) as Login;
    const versionAt = async (name: string, stage: string): Promise<string> => (await c.send(new GetSecretValueCommand({ SecretId: name, VersionStage: stage }))).VersionId!;

    /**
     * The rotating pool ends up on the final AWSCURRENT (through a refused login or the change
     * feed) — or, alternating users without watch, possibly still on AWSPREVIOUS, whose login
     * keeps working until the next rotation.
     */
    async function assertFollowed(pool: AppPool, name: string, allowPrevious: boolean): Promise<void> {
      const want = [await versionAt(name, "AWSCURRENT"), ...(allowPrevious ? [await versionAt(name, "AWSPREVIOUS")] : [])];
      for (let i = 0; i < 200 && !want.includes(pool.credential!().versionId); i++) {
        await pool.query();
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(want.includes(pool.credential!().versionId), `the pool is on ${pool.credential!().versionId}, not on ${want.join(" or ")}`);
    }

    for (const alternating of [false, true]) {
      for (const watch of [true, false]) {
        const mode = alternating ? "alternating users" : "single user";
        const how = watch ? "the pool following the change feed" : "watch off (recovery from refused logins only)";
        test(`${mode}, ${how}: ${ROTATIONS} rotations under load through the rotating pool, no query fails, the initial credential is refused`, async (t) => {
          const x = await setup(t, { alternating });
          if (!x) return;
          const reasons: Record<string, number> = {};
          const pool = await target.rotatingPool(source, x.name, { watch, onChange: (r) => (reasons[r] = (reasons[r] ?? 0) + 1) });
          const seen: Login[] = [x.login];
          try {
            const f = await underLoad(pool, () => rotations(x.name, x.rotator, seen));
            print(`${target.label} ${mode} with helpers, ${watch ? "watch on" : "watch off"}`, f);
            console.log(`  pool credential changes: ${JSON.stringify(reasons)}`);
            assert.equal(f.failures, 0, `failed queries: ${JSON.stringify(f.byCode)}`);
            assert.ok(f.queries > ROTATIONS * 10, `the loop ran (${f.queries} queries)`);
            if (!watch) assert.ok((reasons["auth-failure"] ?? 0) > 0, "refused logins were recovered from");
            const now = seen.at(-1)!;
            if (alternating) assert.deepEqual(new Set(seen.map((l) => l.username)), new Set([x.login.username, `${x.login.username}_clone`]));
            else assert.notEqual(now.password, x.login.password);
            assert.equal(await db!.canLogin(x.login.username, x.login.password, x.login.dbname), false, "the initial password is refused");
            assert.equal(await db!.canLogin(now.username, now.password, now.dbname), true);
            await assertFollowed(pool, x.name, alternating && !watch);
          } finally {
            await pool.end();
          }
        });
      }
    }

    test(`withRotatingCredentials, a connection of its own per query: ${ROTATIONS} single-user rotations under load, no query fails`, async (t) => {
      const x = await setup(t, { alternating: false });
      if (!x) return;
      const tries: Record<string, number> = {};
      const once = () =>
        withRotatingCredentials(source, x.name, (l: Login, meta) => {
          tries[meta.stage] = (tries[meta.stage] ?? 0) + (meta.attempt > 1 ? 1 : 0);
          return target.queryOnce(l);
        });
      const f = await underLoad({ query: once, queryOnNewConnection: once, end: async () => {} }, () => rotations(x.name, x.rotator));
      print(`${target.label} single user with withRotatingCredentials`, f);
      console.log(`  retries after a refused login, by stage: ${JSON.stringify(tries)}`);
      assert.equal(f.failures, 0, `failed queries: ${JSON.stringify(f.byCode)}`);
      assert.ok((tries.AWSPENDING ?? 0) + (tries.AWSCURRENT ?? 0) > 0, "refused logins were retried");
      assert.equal(await db!.canLogin(x.login.username, x.login.password, x.login.dbname), false, "the initial password is refused");
    });

    test("without the helpers: a plain pool made once from the secret, the same rotations — failures reported", async (t) => {
      const results: Record<string, number> = {};
      for (const alternating of [false, true]) {
        const x = await setup(t, { alternating });
        if (!x) return;
        const pool = target.plainPool(await current(x.name));
        try {
          const f = await underLoad(pool, () => rotations(x.name, x.rotator));
          const mode = alternating ? "alternating-users" : "single-user";
          print(`${target.label} ${mode} WITHOUT helpers (plain pool)`, f);
          assert.ok(Number.isInteger(f.failures) && f.failures >= 0 && f.failures <= f.queries);
          results[mode] = f.failures;
        } finally {
          await pool.end();
        }
      }
      console.log(`zero-downtime ${target.label} failed queries without helpers: ${JSON.stringify(results)}`);
      assert.deepEqual(Object.keys(results).sort(), ["alternating-users", "single-user"]);
    });
  });
}
