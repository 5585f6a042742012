import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { TEST_ACCOUNT, TEST_REGION, spawnServer, tempDir } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";
import { waitForHistory } from "../testing/rotation-history.js";

const POINTS = ["createSecret", "setSecret", "testSecret", "finishSecret"].flatMap((s) => [`before:${s}`, `after:${s}`]);

for (const point of POINTS) {
  test(`kill -9 ${point.replace(":", " ")} (random-password): the rotation resumes and completes once after restart`, async () => {
    const dataDir = tempDir();
    const config = join(dataDir, "..", `pause-${point.replace(":", "-")}-${Date.now()}.toml`);
    writeFileSync(config, `[rotation]\npauseAt = "${point}"\nschedulerIntervalSeconds = 0.2\n`);
    const first = await spawnServer(dataDir, 0, { KEYSHIFT_CONFIG: config });
    const c1 = smClient(first.endpoint);
    const v1 = (await c1.send(new CreateSecretCommand({ Name: "crash/rot", SecretString: "before" }))).VersionId!;
    const r = await c1.send(new RotateSecretCommand({ SecretId: "crash/rot", RotationLambdaARN: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password`, RotationRules: { AutomaticallyAfterDays: 30 } }));
    for (let i = 0; i < 200 && !first.output().includes(`rotation paused at ${point}`); i++) await new Promise((res) => setTimeout(res, 25));
    assert.ok(first.output().includes(`rotation paused at ${point}`), first.output());
    await first.kill9();

    const second = await spawnServer(dataDir);
    try {
      const c2 = smClient(second.endpoint);
      const history = await waitForHistory(second.endpoint, "crash/rot");
      assert.equal(history.length, 1, "one attempt, resumed, not a second one");
      assert.equal(history[0]!.Status, "succeeded");
      assert.equal(history[0]!.ToVersionId, r.VersionId);
      const stepsRun = history[0]!.Steps.filter((s) => s.Outcome === "succeeded").map((s) => s.Step);
      assert.deepEqual([...new Set(stepsRun)], ["createSecret", "setSecret", "testSecret", "finishSecret"]);
      const cur = await c2.send(new GetSecretValueCommand({ SecretId: "crash/rot" }));
      assert.equal(cur.VersionId, r.VersionId);
      assert.notEqual(cur.SecretString, "before");
      const d = await c2.send(new DescribeSecretCommand({ SecretId: "crash/rot" }));
      assert.deepEqual(d.VersionIdsToStages, { [v1]: ["AWSPREVIOUS"], [r.VersionId!]: ["AWSCURRENT"] });
      assert.ok(d.NextRotationDate);
    } finally {
      await second.stop();
    }
  });
}
