/**
 * kill -9 at every step boundary of a keyshift-postgres-single-user rotation, against a private
 * PostgreSQL with password authentication: after the restart the rotation completes, and the
 * database and the secret agree (AWSCURRENT logs in, AWSPREVIOUS does not).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateSecretCommand, GetSecretValueCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { TEST_ACCOUNT, TEST_REGION, requireDependency, spawnServer, tempDir } from "../testing/harness.js";
import { canStartPrivatePostgres, startPrivatePostgres, type PrivatePostgres } from "../testing/private-postgres.js";
import { smClient } from "../testing/sm-client.js";
import { waitForHistory } from "../testing/rotation-history.js";

const POINTS = ["createSecret", "setSecret", "testSecret", "finishSecret"].flatMap((s) => [`before:${s}`, `after:${s}`]);
const AVAILABLE = canStartPrivatePostgres();

describe("kill -9 during a PostgreSQL single-user rotation", () => {
  let pg: PrivatePostgres | undefined;
  before(async () => {
    if (AVAILABLE) pg = await startPrivatePostgres();
  });
  after(async () => pg?.stop());

  for (const point of POINTS) {
    test(`killed ${point.replace(":", " ")}: after restart the rotation completes and the database agrees with the secret`, { timeout: 120_000 }, async (t) => {
      if (!requireDependency(t, "PostgreSQL server binaries", AVAILABLE)) return;
      const user = `crash_${randomUUID().slice(0, 8)}`;
      const password = `Initial-${randomUUID()}`;
      await pg!.createRole(user, password);
      const dataDir = tempDir();
      const config = join(dataDir, "..", `${user}.toml`);
      writeFileSync(config, `[rotation]\npauseAt = "${point}"\n`);
      const first = await spawnServer(dataDir, 0, { KEYSHIFT_CONFIG: config });
      const c1 = smClient(first.endpoint);
      await c1.send(new CreateSecretCommand({ Name: "db/app", SecretString: JSON.stringify({ engine: "postgres", host: pg!.host, port: pg!.port, username: user, password, dbname: "postgres" }) }));
      const r = await c1.send(new RotateSecretCommand({ SecretId: "db/app", RotationLambdaARN: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-postgres-single-user` }));
      for (let i = 0; i < 400 && !first.output().includes(`rotation paused at ${point}`); i++) await new Promise((res) => setTimeout(res, 25));
      assert.ok(first.output().includes(`rotation paused at ${point}`), first.output());
      await first.kill9();

      const second = await spawnServer(dataDir);
      try {
        const c2 = smClient(second.endpoint);
        const history = await waitForHistory(second.endpoint, "db/app");
        assert.equal(history.length, 1);
        assert.equal(history[0]!.Status, "succeeded");
        const cur = await c2.send(new GetSecretValueCommand({ SecretId: "db/app" }));
        assert.equal(cur.VersionId, r.VersionId);
        const now = JSON.parse(cur.SecretString!) as { password: string };
        const prev = JSON.parse((await c2.send(new GetSecretValueCommand({ SecretId: "db/app", VersionStage: "AWSPREVIOUS" }))).SecretString!) as { password: string };
        assert.equal(prev.password, password);
        assert.equal(await pg!.canLogin(user, now.password), true, "AWSCURRENT logs in");
        assert.equal(await pg!.canLogin(user, password), false, "AWSPREVIOUS no longer does");
      } finally {
        await second.stop();
      }
    });
  }
});
