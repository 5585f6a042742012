/**
 * The rotation engine driving the built-in database rotators end to end (RotateSecret, the
 * scheduler, failures, cancellation) against private PostgreSQL and MariaDB servers with real
 * password authentication.
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { CancelRotateSecretCommand, CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { TEST_ACCOUNT, TEST_REGION, requireDependency, startTestServer, type TestServer } from "../testing/harness.js";
import { canStartPrivatePostgres, startPrivatePostgres, type PrivatePostgres } from "../testing/private-postgres.js";
import { canStartPrivateMariadb, startPrivateMariadb, type PrivateMariadb } from "../testing/private-mariadb.js";
import { smClientAt } from "../testing/sm-client.js";
import type { RotationRecord } from "./records.js";

const fn = (name: string) => `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${name}`;


interface Target {
  label: string;
  engine: "postgres" | "mariadb";
  available: boolean;
  start(): Promise<{ host: string; port: number; stop(): Promise<void>; canLogin(u: string, p: string, db?: string): Promise<boolean>; makeUser(u: string, p: string, db: string): Promise<void>; lockedClone(u: string): Promise<void>; dropUser(u: string, db: string): Promise<void>; master: { username: string; password: string } }>;
}

const targets: Target[] = [
  {
    label: "PostgreSQL",
    engine: "postgres",
    available: canStartPrivatePostgres(),
    async start() {
      const pg: PrivatePostgres = await startPrivatePostgres();
      return {
        host: pg.host, port: pg.port, stop: () => pg.stop(), canLogin: (u, p, db) => pg.canLogin(u, p, db),
        async makeUser(u, p, db) {
          await pg.createDatabase(db);
          await pg.createRole(u, p);
          await pg.query(`CREATE TABLE t_${u} (x int)`, [], db);
          await pg.query(`GRANT SELECT ON t_${u} TO ${u}`, [], db);
        },
        lockedClone: async (u) => void (await pg.query(`CREATE ROLE ${u}_clone NOLOGIN`)),
        async dropUser(u, db) {
          await pg.query(`DROP OWNED BY ${u}`, [], db);
          await pg.query(`DROP ROLE ${u}`);
        },
        master: { username: pg.superuser, password: pg.superPassword },
      };
    },
  },
  {
    label: "MariaDB",
    engine: "mariadb",
    available: canStartPrivateMariadb(),
    async start() {
      const m: PrivateMariadb = await startPrivateMariadb();
      return {
        host: m.host, port: m.port, stop: () => m.stop(), canLogin: (u, p, db) => m.canLogin(u, p, db),
        async makeUser(u, p, db) {
          await m.createDatabase(db);
          await m.createUser(u, p);
          await m.query(`GRANT SELECT ON \`${db}\`.* TO '${u}'@'%'`);
        },
        lockedClone: async (u) => void (await m.query(`CREATE USER '${u}_clone'@'%' IDENTIFIED BY 'Locked-${randomUUID()}' ACCOUNT LOCK`)),
        dropUser: async (u) => void (await m.query(`DROP USER '${u}'@'%'`)),
        master: { username: m.rootUser, password: m.rootPassword },
      };
    },
  },
];

for (const target of targets) {
  describe(`rotation engine with ${target.label}`, () => {
    let db: Awaited<ReturnType<Target["start"]>> | undefined;
    let s: TestServer;
    let c: SecretsManagerClient;
    let now = Date.now();
    let paused: ((r: RotationRecord) => Promise<void>) | undefined;
    const kind = target.engine === "postgres" ? "postgres" : "mysql";

    before(async () => {
      s = await startTestServer({ clock: () => now, rotationCheckpoint: async (at, r) => (at === "before:testSecret" && paused ? paused(r) : undefined) });
      c = smClientAt(s.endpoint, () => now);
      if (target.available) db = await target.start();
    });
    after(async () => {
      await db?.stop();
      await s?.close();
    });

    /** Waits for the rotation to version `token` (the RotateSecret answer's VersionId) to end. */
    async function settled(name: string, token?: string): Promise<RotationRecord> {
      const secret = (await s.app.store.getSecretByName(TEST_ACCOUNT, TEST_REGION, name))!;
      for (let i = 0; i < 600; i++) {
        const all = await s.app.store.listRotations({ accountId: TEST_ACCOUNT, secretUid: secret.uid, limit: 50 });
        const r = token ? all.find((x) => x.token === token) : all[0];
        if (r && r.status !== "running") return r;
        await new Promise((res) => setTimeout(res, 25));
      }
      throw new Error("rotation did not end");
    }
    const rotateAndSettle = async (input: ConstructorParameters<typeof RotateSecretCommand>[0]) => {
      now += 1000;
      const out = await c.send(new RotateSecretCommand(input));
      return settled(input.SecretId!, out.VersionId);
    };

    let n = 0;
    async function setup(t: TestContext, o: { master?: boolean } = {}) {
      if (!requireDependency(t, `${target.label} server binaries`, target.available)) return undefined;
      const user = `e${++n}${randomUUID().slice(0, 6)}`;
      const password = `Initial-${randomUUID()}`;
      const dbname = `db_${user}`;
      await db!.makeUser(user, password, dbname);
      const name = `${kind}/${user}`;
      let masterarn: string | undefined;
      if (o.master) {
        masterarn = (await c.send(new CreateSecretCommand({ Name: `${name}/master`, SecretString: JSON.stringify({ engine: target.engine, host: db!.host, port: db!.port, ...db!.master, dbname }) }))).ARN!;
      }
      const value = { engine: target.engine, host: db!.host, port: db!.port, username: user, password, dbname, ...(masterarn ? { masterarn } : {}) };
      await c.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }));
      return { user, password, dbname, name };
    }

    const json = async (name: string, stage = "AWSCURRENT") =>
      JSON.parse((await c.send(new GetSecretValueCommand({ SecretId: name, VersionStage: stage }))).SecretString!) as { username: string; password: string };

    test("single user, through RotateSecret and then the scheduler: the new password logs in, the old one does not", async (t) => {
      const x = await setup(t);
      if (!x) return;
      assert.equal((await rotateAndSettle({ SecretId: x.name, RotationLambdaARN: fn(`keyshift-${kind}-single-user`), RotationRules: { AutomaticallyAfterDays: 7 } })).status, "succeeded");
      const first = await json(x.name);
      assert.notEqual(first.password, x.password);
      assert.equal(await db!.canLogin(x.user, first.password, x.dbname), true);
      assert.equal(await db!.canLogin(x.user, x.password, x.dbname), false);
      now = (await c.send(new DescribeSecretCommand({ SecretId: x.name }))).NextRotationDate!.getTime() + 1000;
      assert.equal(await s.app.scheduleNow(), 1);
      const r = await settled(x.name);
      assert.equal(r.status, "succeeded");
      assert.equal(r.method, "automatic");
      const second = await json(x.name);
      assert.equal(await db!.canLogin(x.user, second.password, x.dbname), true);
      assert.equal(await db!.canLogin(x.user, first.password, x.dbname), false);
      assert.deepEqual(await json(x.name, "AWSPREVIOUS"), first);
    });

    test("alternating users: the current and previous credentials log in, the one from two rotations ago does not", async (t) => {
      const x = await setup(t, { master: true });
      if (!x) return;
      const arn = fn(`keyshift-${kind}-alternating-users`);
      const seen: { username: string; password: string }[] = [{ username: x.user, password: x.password }];
      for (let i = 0; i < 3; i++) {
        const r = await rotateAndSettle({ SecretId: x.name, RotationLambdaARN: arn });
        assert.equal(r.status, "succeeded", r.error);
        seen.push(await json(x.name));
        const cur = seen[seen.length - 1]!;
        const prev = seen[seen.length - 2]!;
        assert.equal(cur.username, i % 2 === 0 ? `${x.user}_clone` : x.user);
        assert.equal(await db!.canLogin(cur.username, cur.password, x.dbname), true, "current");
        assert.equal(await db!.canLogin(prev.username, prev.password, x.dbname), true, "previous");
        if (seen.length >= 3) assert.equal(await db!.canLogin(seen[seen.length - 3]!.username, seen[seen.length - 3]!.password, x.dbname), false, "two rotations ago");
      }
    });

    test("a failing testSecret (the clone cannot log in) leaves AWSCURRENT working, removes AWSPENDING and records the failure", async (t) => {
      const x = await setup(t, { master: true });
      if (!x) return;
      await db!.lockedClone(x.user);
      const r = await rotateAndSettle({ SecretId: x.name, RotationLambdaARN: fn(`keyshift-${kind}-alternating-users`) });
      assert.equal(r.status, "failed");
      assert.deepEqual(r.steps.filter((st) => st.outcome === "failed").map((st) => st.step), ["testSecret"]);
      assert.match(r.error!, /testSecret/);
      assert.ok(!r.error!.includes(x.password));
      const cur = await json(x.name);
      assert.equal(cur.password, x.password);
      assert.equal(await db!.canLogin(x.user, x.password, x.dbname), true);
      const d = await c.send(new DescribeSecretCommand({ SecretId: x.name }));
      assert.ok(!Object.values(d.VersionIdsToStages ?? {}).some((st) => st.includes("AWSPENDING")));
    });

    test("a dropped role fails the rotation at setSecret; the secret keeps its value and the failure is recorded", async (t) => {
      const x = await setup(t);
      if (!x) return;
      await db!.dropUser(x.user, x.dbname);
      const r = await rotateAndSettle({ SecretId: x.name, RotationLambdaARN: fn(`keyshift-${kind}-single-user`) });
      assert.equal(r.status, "failed");
      assert.match(r.error!, /setSecret/);
      assert.ok(!r.error!.includes(x.password));
      assert.equal((await json(x.name)).password, x.password);
    });

    test("a rotation cancelled after setSecret restores the old password on the database (single user)", async (t) => {
      const x = await setup(t);
      if (!x) return;
      let reached!: () => void;
      const atTest = new Promise<void>((r) => (reached = r));
      let go!: () => void;
      paused = async () => {
        reached();
        await new Promise<void>((r) => (go = r));
      };
      try {
        now += 1000;
        const started = await c.send(new RotateSecretCommand({ SecretId: x.name, RotationLambdaARN: fn(`keyshift-${kind}-single-user`) }));
        await atTest;
        const pending = await json(x.name, "AWSPENDING");
        assert.equal(await db!.canLogin(x.user, pending.password, x.dbname), true, "setSecret changed the password");
        assert.equal(await db!.canLogin(x.user, x.password, x.dbname), false);
        const cancelled = c.send(new CancelRotateSecretCommand({ SecretId: x.name }));
        await new Promise((r) => setTimeout(r, 50));
        go();
        await cancelled;
        const r = await settled(x.name, started.VersionId);
        assert.equal(r.status, "cancelled");
        assert.deepEqual(r.steps.at(-1), { ...r.steps.at(-1)!, step: "restoreCurrent", outcome: "succeeded" });
        assert.equal(await db!.canLogin(x.user, x.password, x.dbname), true, "AWSCURRENT works again");
        assert.equal(await db!.canLogin(x.user, pending.password, x.dbname), false);
        assert.equal((await json(x.name)).password, x.password);
      } finally {
        paused = undefined;
        go?.();
      }
    });
  });
}


