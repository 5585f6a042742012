import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateSecretCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { CLI, TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, runProcess, spawnServer, tempDir } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";
import { waitForHistory } from "../testing/rotation-history.js";

test("keyshift rotators register/list/delete and rotations history, against a running server with credentials from a profile", async () => {
  const dataDir = tempDir();
  const srv = await spawnServer(dataDir);
  try {
    const credentials = join(dataDir, "..", "cli-credentials");
    writeFileSync(credentials, `[ops]\naws_access_key_id = ${TEST_KEY_ID}\naws_secret_access_key = ${TEST_SECRET}\n`, { mode: 0o600 });
    const env = { PATH: process.env.PATH, HOME: dataDir, AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_PROFILE: "ops", AWS_REGION: TEST_REGION };
    const cli = async (...args: string[]) => {
      const r = await runProcess(process.execPath, [CLI, ...args, "--endpoint-url", srv.endpoint], env, 30_000);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const reg = await cli("rotators", "register", "--name", "my-fn", "--url", "http://127.0.0.1:9/rotate");
    assert.equal(reg.FunctionArn, `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:my-fn`);
    const listed = (await cli("rotators", "list")) as { Rotators: { Name: string; BuiltIn: boolean }[] };
    assert.deepEqual(listed.Rotators.filter((r) => !r.BuiltIn).map((r) => r.Name), ["my-fn"]);
    assert.deepEqual(
      listed.Rotators.filter((r) => r.BuiltIn).map((r) => r.Name).sort(),
      ["keyshift-mysql-alternating-users", "keyshift-mysql-single-user", "keyshift-postgres-alternating-users", "keyshift-postgres-single-user", "keyshift-random-password"],
    );
    await cli("rotators", "delete", "--name", "my-fn");
    assert.deepEqual(((await cli("rotators", "list")) as { Rotators: { BuiltIn: boolean }[] }).Rotators.filter((r) => !r.BuiltIn), []);
    const reserved = await runProcess(process.execPath, [CLI, "rotators", "register", "--name", "keyshift-x", "--url", "http://x", "--endpoint-url", srv.endpoint], env, 30_000);
    assert.notEqual(reserved.code, 0);
    assert.match(reserved.stderr, /reserved/);

    const c = smClient(srv.endpoint);
    await c.send(new CreateSecretCommand({ Name: "cli/rotated", SecretString: "x" }));
    await c.send(new RotateSecretCommand({ SecretId: "cli/rotated", RotationLambdaARN: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password` }));
    await waitForHistory(srv.endpoint, "cli/rotated");
    const history = (await cli("rotations", "history", "--secret-id", "cli/rotated")) as { Rotations: { Status: string; Method: string; Steps: { Step: string; DurationMs: number }[] }[] };
    assert.equal(history.Rotations.length, 1);
    assert.equal(history.Rotations[0]!.Status, "succeeded");
    assert.equal(history.Rotations[0]!.Method, "manual");
    assert.deepEqual(history.Rotations[0]!.Steps.map((s) => s.Step), ["createSecret", "setSecret", "testSecret", "finishSecret"]);
    assert.ok(history.Rotations[0]!.Steps.every((s) => typeof s.DurationMs === "number"));
    const wrong = await runProcess(process.execPath, [CLI, "rotations", "history", "--endpoint-url", srv.endpoint], { ...env, AWS_PROFILE: "nope" }, 30_000);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /no credentials/);
  } finally {
    await srv.stop();
  }
});
