import { test } from "node:test";
import assert from "node:assert/strict";
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { callApi } from "../../../cli/api-client.js";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, hasPythonModule, requireDependency, startTestServer } from "../../../testing/harness.js";
import { startPythonRotationFunction } from "../../../testing/python-rotation-function.js";
import { smClient } from "../../../testing/sm-client.js";

test("an aws-samples style Python rotation function behind a small HTTP wrapper rotates a secret through the four events", { timeout: 90_000 }, async (t) => {
  if (!requireDependency(t, "python3 with boto3", hasPythonModule("boto3"))) return;
  const s = await startTestServer();
  const fn = await startPythonRotationFunction(s.awsEnv);
  try {
    const env = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET };
    await callApi({ endpointUrl: s.endpoint, region: TEST_REGION }, "PUT", "/v1/rotators/python-template", { Url: fn.url }, env);
    const c = smClient(s.endpoint);
    const v1 = (await c.send(new CreateSecretCommand({ Name: "py/rotated", SecretString: "first" }))).VersionId!;
    const r = await c.send(new RotateSecretCommand({ SecretId: "py/rotated", RotationLambdaARN: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:python-template`, RotationRules: { AutomaticallyAfterDays: 7 } }));
    const secret = (await s.app.store.getSecretByName(TEST_ACCOUNT, TEST_REGION, "py/rotated"))!;
    let rec;
    for (let i = 0; i < 300; i++) {
      [rec] = await s.app.store.listRotations({ accountId: TEST_ACCOUNT, secretUid: secret.uid, limit: 1 });
      if (rec && rec.status !== "running") break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(rec?.status, "succeeded", `${rec?.error}\n${fn.stderr()}`);
    const cur = await c.send(new GetSecretValueCommand({ SecretId: "py/rotated" }));
    assert.equal(cur.VersionId, r.VersionId);
    assert.equal(cur.SecretString!.length, 32);
    assert.ok(!/[/@"'\\]/.test(cur.SecretString!), "the function's ExcludeCharacters were honoured");
    const prev = await c.send(new GetSecretValueCommand({ SecretId: "py/rotated", VersionStage: "AWSPREVIOUS" }));
    assert.equal(prev.VersionId, v1);
    const d = await c.send(new DescribeSecretCommand({ SecretId: "py/rotated" }));
    assert.deepEqual(d.VersionIdsToStages, { [v1]: ["AWSPREVIOUS"], [r.VersionId!]: ["AWSCURRENT"] });
  } finally {
    fn.stop();
    await s.close();
  }
});
