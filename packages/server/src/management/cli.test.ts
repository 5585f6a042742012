import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { CLI, TEST_KEY_ID, TEST_REGION, TEST_SECRET, runProcess, startTestServer, tempDir } from "../testing/harness.js";
import { rotationEnded } from "./emergency.js";
import { smClient } from "../testing/sm-client.js";

test("keyshift secrets/schedules/rotate-due/tokens drive the management API of a running server", async () => {
  const srv = await startTestServer();
  const c = smClient(srv.endpoint);
  try {
    const env = { PATH: process.env.PATH, HOME: tempDir(), AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET, AWS_REGION: TEST_REGION };
    const cli = async (...args: string[]) => {
      const r = await runProcess(process.execPath, [CLI, ...args, "--endpoint-url", srv.endpoint], env, 30_000);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, any>;
    };
    await c.send(new CreateSecretCommand({ Name: "/cli/token", SecretString: "first" }));
    const reg = await cli("secrets", "register-rotation", "--secret-id", "/cli/token", "--secret-type", "token", "--rotation-interval-days", "7", "--criticality", "high");
    assert.equal(reg.rotator, "keyshift-random-password");
    assert.equal(reg.criticality, "high");
    assert.equal((await cli("secrets", "schedule", "--secret-id", "/cli/token", "--schedule-expression", "rate(10 days)")).schedule_expression, "rate(10 days)");
    assert.equal((await cli("schedules", "--criticality", "high")).schedules.length, 1);
    assert.deepEqual((await cli("secrets", "due")).secrets, []);
    assert.equal((await cli("secrets", "due", "--within-days", "11")).secrets.length, 1);
    assert.deepEqual((await cli("rotate-due")).started, []);
    const r = await cli("secrets", "rotate", "--secret-id", "/cli/token");
    await rotationEnded(srv.app.deps, r.rotation_id);
    assert.equal((await cli("secrets", "status", "--secret-id", "/cli/token")).last_rotation.status, "succeeded");

    const file = join(srv.dataDir, "new-value");
    writeFileSync(file, "from-a-file\n", { mode: 0o600 });
    const em = await cli("secrets", "emergency-rotate", "--secret-id", "/cli/token", "--value-file", file, "--reason", "drill");
    assert.equal(em.generated, false);
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "/cli/token" }))).SecretString, "from-a-file");

    const t = await cli("tokens", "create", "--expires-in-days", "1", "--description", "cli");
    assert.match(t.token, /^ksbt_/);
    assert.equal((await cli("tokens", "list")).tokens.length, 1);
    assert.equal((await cli("tokens", "revoke", "--token-id", t.token_id)).state, "revoked");
  } finally {
    c.destroy();
    await srv.close();
  }
});
